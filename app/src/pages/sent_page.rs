use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::journey::get_sent;
use crate::components::{BrandHeader, ProblemView, UnavailableView, WebOtp};
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
    let page = get_sent(token, journey, notice);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match page.await {
                    Ok(Sent::Ready { branding, masked_number, invite_url, token, journey, notice, strict, link_minutes }) => view! {
                        <Title text=format!("Check your messages · {}", branding.name)/>
                        <main class="page" style=brand_style(&branding)>
                            <BrandHeader name=branding.name.clone()/>
                            <section class="card" data-testid="sent">
                                <h1>"Check your messages"</h1>
                                {if strict {
                                    view! {
                                        <p class="lead">
                                            "If " <strong class="nowrap">{masked_number}</strong> " is registered with "
                                            {branding.name.clone()} ", you will receive a text message shortly. "
                                            "Open its link on this phone to add your pass."
                                        </p>
                                    }.into_any()
                                } else {
                                    view! {
                                        <p class="lead">
                                            "We've texted a secure link to " <strong class="nowrap">{masked_number}</strong>
                                            ". Open it on this phone to add your pass. The link works for " {link_minutes} " minutes."
                                        </p>
                                    }.into_any()
                                }}
                                {notice.map(|n| view! { <p class="notice notice-info" role="status">{n}</p> })}
                                <form method="post" action=format!("/i/{token}/code") class="code-form">
                                    <input type="hidden" name="journey" value=journey.clone()/>
                                    <div class="field">
                                        <label for="code">"Or enter the 6-digit code from the text"</label>
                                        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                                            pattern="[0-9]{6}" maxlength="6" required/>
                                    </div>
                                    <button type="submit" class="button primary">"Continue"</button>
                                    <WebOtp/>
                                </form>
                                <form method="post" action="/api/resend_link" class="resend">
                                    <input type="hidden" name="token" value=token/>
                                    <input type="hidden" name="journey" value=journey/>
                                    <p class="help">"No text after a minute? You can ask for another one a minute after the last."</p>
                                    <button type="submit" class="button secondary">"Send the text again"</button>
                                </form>
                                <p class="start-again"><a href=invite_url>"Not your number? Start again"</a></p>
                            </section>
                        </main>
                    }.into_any(),
                    Ok(Sent::Problem(problem)) => view! {
                        <Title text="Link unavailable · elumo pass"/>
                        <main class="page"><ProblemView problem/></main>
                    }.into_any(),
                    Err(e) => view! { <UnavailableView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
