use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::journey::get_invite;
use crate::components::{
    BrandHeader, LanguageSwitch, PageLang, PhoneForm, ProblemView, UnavailableView,
};
use crate::pages::brand_style;
use crate::types::{InvitePage, SubmitOutcome};

/// Step 2 of the journey: the member enters their mobile number.
#[component]
pub fn PhonePage() -> impl IntoView {
    let token = use_params_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let query = use_query_map().read_untracked();
    let journey = query.get("j");
    let lang = query.get("lang");
    // A form post without JavaScript that failed on our side comes back with `__err` (Leptos's
    // redirect to the page that posted): say so, never "not found".
    let failed = query.get("__err").is_some();
    let wait = query.get("wait").and_then(|w| w.parse::<i64>().ok());
    let page = get_invite(token, journey.clone(), lang, wait);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match page.await {
                    Ok(InvitePage::Ready(v)) => {
                        let (number, region, error, not_found) = match v.previous.clone() {
                            Some(SubmitOutcome::Invalid { message, number, region }) => (number, region, Some(message), false),
                            Some(SubmitOutcome::NotFound { number, region }) => (number, region, None, true),
                            Some(SubmitOutcome::RateLimited { message, number, region }) => (number, region, Some(message), false),
                            _ => (String::new(), v.default_region.clone(), None, false),
                        };
                        let t = v.texts.clone();
                        let error = error.or_else(|| failed.then(|| t.t("error-unavailable")));
                        let style = brand_style(&v.branding);
                        let base = match &journey {
                            Some(j) => format!("/i/{}?j={}&", v.token, j),
                            None => format!("/i/{}?", v.token),
                        };
                        view! {
                            <PageLang lang=t.lang.clone()/>
                            <Title text=format!("{} · {}", t.t("phone-title"), v.branding.name)/>
                            <main class="page" style=style>
                                <BrandHeader name=v.branding.name.clone() site=v.site_name.clone().unwrap_or_default()/>
                                <LanguageSwitch texts=t.clone() base=base/>
                                <section class="card">
                                    <h1>{t.t("phone-heading")}</h1>
                                    <p class="lead">{t.t("phone-lead")}</p>
                                    <PhoneForm
                                        token=v.token.clone()
                                        journey=v.journey.clone()
                                        support=v.branding.support.link()
                                        region=region
                                        number=number
                                        error=error
                                        not_found=not_found
                                        texts=t.clone()
                                    />
                                </section>
                                <p class="fine-print">{t.t("fine-print")}</p>
                            </main>
                        }.into_any()
                    }
                    Ok(InvitePage::Problem(problem, t)) => view! {
                        <PageLang lang=t.lang.clone()/>
                        <Title text=format!("{} · {}", t.t("invite-unavailable-title"), t.t("page-suffix"))/>
                        <main class="page"><ProblemView problem texts=t/></main>
                    }.into_any(),
                    Err(e) => view! { <UnavailableView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
