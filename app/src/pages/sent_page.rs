use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::journey::get_sent;
use crate::components::{
    BrandHeader, LanguageSwitch, PageLang, ProblemView, UnavailableView, WebOtp,
};
use crate::pages::brand_style;
use crate::types::SentPage as Sent;

/// Step 3: the number matched; the member is told to check their messages.
#[component]
pub fn SentPage() -> impl IntoView {
    let token = use_params_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let query = use_query_map();
    let journey = query.read_untracked().get("j").unwrap_or_default();
    let notice = query.read_untracked().get("n");
    let lang = query.read_untracked().get("lang");
    let page = get_sent(token, journey, notice, lang);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match page.await {
                    Ok(Sent::Ready { branding, masked_number, invite_url, token, journey, notice, strict, link_minutes, texts: t }) => {
                        let _ = (masked_number, link_minutes);
                        let base = format!("/i/{token}/sent?j={journey}&");
                        view! {
                        <PageLang lang=t.lang.clone()/>
                        <Title text=format!("{} · {}", t.t("sent-title"), branding.name)/>
                        <main class="page" style=brand_style(&branding)>
                            <BrandHeader name=branding.name.clone()/>
                            <LanguageSwitch texts=t.clone() base=base/>
                            <section class="card" data-testid="sent">
                                <h1>{t.t("sent-heading")}</h1>
                                <p class="lead">{if strict { t.t("sent-strict") } else { t.t("sent-lead") }}</p>
                                {notice.map(|n| view! { <p class="notice notice-info" role="status">{n}</p> })}
                                <form method="post" action=format!("/i/{token}/code") class="code-form">
                                    <input type="hidden" name="journey" value=journey.clone()/>
                                    <div class="field">
                                        <label for="code">{t.t("sent-code-label")}</label>
                                        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                                            pattern="[0-9]{6}" maxlength="6" required/>
                                    </div>
                                    <button type="submit" class="button primary">{t.t("sent-continue")}</button>
                                    <WebOtp/>
                                </form>
                                <form method="post" action="/api/resend_link" class="resend">
                                    <input type="hidden" name="token" value=token/>
                                    <input type="hidden" name="journey" value=journey/>
                                    <p class="help">{t.t("sent-resend-help")}</p>
                                    <button type="submit" class="button secondary">{t.t("sent-resend")}</button>
                                </form>
                                <p class="start-again"><a href=invite_url>{t.t("sent-start-again")}</a></p>
                            </section>
                        </main>
                    }.into_any()
                    }
                    Ok(Sent::Problem(problem, t)) => view! {
                        <PageLang lang=t.lang.clone()/>
                        <Title text=format!("{} · {}", t.t("link-unavailable-title"), t.t("page-suffix"))/>
                        <main class="page"><ProblemView problem texts=t/></main>
                    }.into_any(),
                    Err(e) => view! { <UnavailableView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
