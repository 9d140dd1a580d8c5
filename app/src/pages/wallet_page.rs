use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::wallet::get_wallet;
use crate::components::{BrandHeader, UnavailableView};
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
    let page = get_wallet(token.clone());
    // Why "Start again" did not start again, when it did not.
    let refused = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("restart")
        .and_then(|r| restart_refused_text(&r));
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match page.await {
                    Ok(Page::Ready(v)) => ready(*v, refused).into_any(),
                    Ok(Page::Problem { problem, can_restart, branding }) => {
                        let style = branding.as_ref().map(brand_style).unwrap_or_default();
                        let (title, body) = problem_text(problem);
                        view! {
                            <Title text=format!("{title} · elumo pass")/>
                            <main class="page" style=style>
                                {branding.map(|b| view! { <BrandHeader name=b.name/> })}
                                <section class="card" data-testid="link-problem">
                                    <h1>{title}</h1>
                                    {refused.map(|r| view! { <p class="notice notice-error" role="alert">{r}</p> })}
                                    <p>{body}</p>
                                    {if can_restart {
                                        view! {
                                            <form method="post" action=format!("/l/{token}/restart")>
                                                <button type="submit" class="button primary">"Start again"</button>
                                            </form>
                                        }.into_any()
                                    } else {
                                        view! { <p>"Scan the QR code from your building or workspace again to start over."</p> }.into_any()
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

fn restart_refused_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "usable" => "This link still works: add your pass with the buttons below.",
        "invite-gone" => "The invite this link came from no longer works. Ask your building or workspace for a new QR code.",
        "not-eligible" => "We can't start again from this link. Contact your building's front desk.",
        "too-often" => "You've started again too often today. Try again tomorrow, or contact your building's front desk.",
        _ => return None,
    })
}

fn problem_text(problem: LinkProblem) -> (&'static str, &'static str) {
    match problem {
        LinkProblem::Unknown => ("This link isn't valid", "We couldn't find this link. Check that you opened the whole link from the text message."),
        LinkProblem::Expired => ("This link has expired", "For your security, pass links only work for a few minutes."),
        LinkProblem::Replaced => ("This link was replaced", "We sent you a newer link; only the newest one works. Open the latest text from us, or start again."),
        LinkProblem::Used => ("This link was already used", "This link was opened to add a pass on another device or browser. For your security it only works there."),
        LinkProblem::NotEligible => ("Your pass isn't available", "Your membership doesn't allow a digital pass right now. Contact your building's front desk."),
    }
}

fn ready(v: WalletView, refused: Option<&'static str>) -> impl IntoView {
    let style = brand_style(&v.branding);
    let apple = view! {
        <form method="post" action=format!("/l/{}/apple", v.token)>
            {match v.apple_badge.clone() {
                Some(src) => view! {
                    <button type="submit" class="wallet-art" data-testid="add-apple">
                        <img src=src alt="Add to Apple Wallet"/>
                    </button>
                }.into_any(),
                None => view! {
                    <button type="submit" class="wallet-badge apple" data-testid="add-apple">
                        <WalletGlyph/>
                        <span><small>"Add to"</small>" Apple Wallet"</span>
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
                        <img src=src alt="Add to Google Wallet"/>
                    </button>
                }.into_any(),
                None => view! {
                    <button type="submit" class="wallet-badge google" data-testid="add-google">
                        <WalletGlyph/>
                        <span><small>"Add to"</small>" Google Wallet"</span>
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
        <Title text=format!("Add your pass · {}", v.branding.name)/>
        <main class="page" style=style>
            <BrandHeader name=v.branding.name.clone() site=v.site_name.clone().unwrap_or_default()/>
            <section class="card" data-testid="wallet">
                <h1>{format!("Your pass is ready, {}", v.first_name)}</h1>
                {refused.map(|r| view! { <p class="notice notice-info" role="note">{r}</p> })}
                <p class="lead">"Add it to your phone's wallet, then hold your phone to the reader at the door."</p>
                {v.credential.map(|c| view! { <p class="credential">"Card " <strong>{c}</strong></p> })}
                <div class="wallet-buttons">{buttons}</div>
                {v.other_phone.then(|| view! {
                    <p class="notice notice-info" role="note" data-testid="other-phone">
                        "You already have this pass on another phone. Once you add it here, the pass on the other phone stops working."
                    </p>
                })}
                {v.ios_chrome.then(|| view! {
                    <p class="notice notice-info" role="note">
                        "Chrome on iPhone can't add passes to Apple Wallet. Open this link in Safari to add it."
                    </p>
                })}
                <p class="help">"This link works only on this phone and for a few minutes."</p>
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
