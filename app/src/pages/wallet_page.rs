use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::wallet::get_wallet;
use crate::components::{BrandHeader, LanguageSwitch, PageLang, UnavailableView};
use crate::pages::brand_style;
use crate::types::{LinkProblem, WalletPage as Page, WalletView};

/// Step 4: the page behind the SMS link, with "Add to Apple Wallet" and "Add to Google Wallet".
/// Opening it issues nothing; each button posts.
#[component]
pub fn WalletPage() -> impl IntoView {
    let token = use_params_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let query = leptos_router::hooks::use_query_map().read_untracked();
    let page = get_wallet(token.clone(), query.get("lang"));
    // Why "Start again" did not start again, when it did not.
    let refused = query.get("restart").and_then(|r| restart_refused_key(&r));
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match page.await {
                    Ok(Page::Ready(v)) => ready(*v, refused).into_any(),
                    Ok(Page::Problem { problem, can_restart, branding, texts }) => {
                        let t = *texts;
                        let style = branding.as_ref().map(brand_style).unwrap_or_default();
                        let key = problem_key(problem);
                        let (title, body) = (t.t(&format!("{key}-title")), t.t(&format!("{key}-body")));
                        view! {
                            <PageLang lang=t.lang.clone()/>
                            <Title text=format!("{title} · {}", t.t("page-suffix"))/>
                            <main class="page" style=style>
                                {branding.map(|b| view! { <BrandHeader name=b.name/> })}
                                <LanguageSwitch texts=t.clone() base=format!("/l/{token}?")/>
                                <section class="card" data-testid="link-problem">
                                    <h1>{title}</h1>
                                    {refused.map(|r| view! { <p class="notice notice-error" role="alert">{t.t(r)}</p> })}
                                    <p>{body}</p>
                                    {if can_restart {
                                        view! {
                                            <form method="post" action=format!("/l/{token}/restart")>
                                                <button type="submit" class="button primary">{t.t("restart-button")}</button>
                                            </form>
                                        }.into_any()
                                    } else {
                                        view! { <p>{t.t("restart-scan-again")}</p> }.into_any()
                                    }}
                                </section>
                            </main>
                        }.into_any()
                    }
                    Err(e) => view! { <UnavailableView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Why "Start again" did not start again: the message id.
fn restart_refused_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "usable" => "restart-usable",
        "invite-gone" => "restart-invite-gone",
        "not-eligible" => "restart-not-eligible",
        "too-often" => "restart-too-often",
        _ => return None,
    })
}

fn problem_key(problem: LinkProblem) -> &'static str {
    match problem {
        LinkProblem::Unknown => "link-unknown",
        LinkProblem::Expired => "link-expired",
        LinkProblem::Replaced => "link-replaced",
        LinkProblem::Used => "link-used",
        LinkProblem::NotEligible => "link-not-eligible",
    }
}

fn ready(v: WalletView, refused: Option<&'static str>) -> impl IntoView {
    let style = brand_style(&v.branding);
    let t = v.texts.clone();
    let apple = view! {
        <form method="post" action=format!("/l/{}/apple", v.token)>
            {match v.apple_badge.clone() {
                Some(src) => view! {
                    <button type="submit" class="wallet-art" data-testid="add-apple">
                        <img src=src alt=t.t("wallet-add-apple")/>
                    </button>
                }.into_any(),
                None => view! {
                    <button type="submit" class="wallet-badge apple" data-testid="add-apple">
                        <WalletGlyph/>
                        <span><small>{t.t("wallet-add-to")}</small>" "{t.t("wallet-apple")}</span>
                    </button>
                }.into_any(),
            }}
        </form>
    };
    let google = view! {
        <form method="post" action=format!("/l/{}/google", v.token)>
            {match v.google_badge.clone() {
                Some(src) => view! {
                    <button type="submit" class="wallet-art" data-testid="add-google">
                        <img src=src alt=t.t("wallet-add-google")/>
                    </button>
                }.into_any(),
                None => view! {
                    <button type="submit" class="wallet-badge google" data-testid="add-google">
                        <WalletGlyph/>
                        <span><small>{t.t("wallet-add-to")}</small>" "{t.t("wallet-google")}</span>
                    </button>
                }.into_any(),
            }}
        </form>
    };
    let buttons = if v.apple_first {
        view! { {apple} {google} }.into_any()
    } else {
        view! { {google} {apple} }.into_any()
    };
    view! {
        <PageLang lang=t.lang.clone()/>
        <Title text=format!("{} · {}", t.t("wallet-title"), v.branding.name)/>
        <main class="page" style=style>
            <BrandHeader name=v.branding.name.clone() site=v.site_name.clone().unwrap_or_default()/>
            <LanguageSwitch texts=t.clone() base=format!("/l/{}?", v.token)/>
            <section class="card" data-testid="wallet">
                <h1>{t.t("wallet-heading")}</h1>
                {refused.map(|r| view! { <p class="notice notice-info" role="note">{t.t(r)}</p> })}
                <p class="lead">{t.t("wallet-lead")}</p>
                {v.credential.map(|c| view! { <p class="credential">{t.t("wallet-card")} " " <strong>{c}</strong></p> })}
                <div class="wallet-buttons">{buttons}</div>
                {v.other_phone.then(|| view! {
                    <p class="notice notice-info" role="note" data-testid="other-phone">
                        {t.t("wallet-other-phone")}
                    </p>
                })}
                {v.ios_chrome.then(|| view! {
                    <p class="notice notice-info" role="note">
                        {t.t("wallet-ios-chrome")}
                    </p>
                })}
                <p class="help">{t.t("wallet-help")}</p>
            </section>
        </main>
    }
}

/// A plain wallet glyph; operators can replace the buttons with Apple's and Google's official badges.
#[component]
fn WalletGlyph() -> impl IntoView {
    view! {
        <svg class="glyph" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <rect x="2" y="5" width="20" height="15" rx="3" fill="none" stroke="currentColor" stroke-width="2"/>
            <path d="M2 9h20" stroke="currentColor" stroke-width="2"/>
            <circle cx="17" cy="14.5" r="1.6" fill="currentColor"/>
        </svg>
    }
}
