//! The signed-in staff member's second factor at `/admin/account/mfa`: set up an authenticator
//! app (scan the QR code, confirm with a first code, keep the recovery codes), make new recovery
//! codes, or turn it off (each with a current code).

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_mfa;
use crate::types::admin::{Admin, Me};

#[component]
fn CodeField(id: &'static str) -> impl IntoView {
    view! {
        <label for=id>"Code from your app (or a recovery code)"</label>
        <input id=id name="code" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" maxlength="20" required/>
    }
}

fn off_view(me: Me, required: bool) -> AnyView {
    view! {
        <p data-testid="mfa-state">{if required {
            "Your team requires a second factor: set one up to use the dashboard."
        } else {
            "Off: you sign in with your password alone."
        }}</p>
        <p>"With a second factor, signing in also asks for the 6-digit code an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, …) shows on your phone: a stolen password is not enough."</p>
        <form method="post" action="/admin/account/mfa/start" class="admin-form">
            <Csrf me=me/>
            <button type="submit" class="button primary">"Set up an authenticator app"</button>
        </form>
    }
    .into_any()
}

#[component]
pub fn AdminMfaPage() -> impl IntoView {
    let data = admin_mfa();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: v }) => {
                        let body = match (&v.enabled_since, &v.setup_secret) {
                            (Some(since), _) => view! {
                                <p data-testid="mfa-state">{format!("On since {since}. {} recovery code{} left.", v.recovery_left, if v.recovery_left == 1 { "" } else { "s" })}</p>
                                <h2>"New recovery codes"</h2>
                                <p>"Makes ten new codes; the old ones stop working."</p>
                                <form method="post" action="/admin/account/mfa/recovery" class="admin-form">
                                    <Csrf me=me.clone()/>
                                    <CodeField id="mfa-recovery-code"/>
                                    <button type="submit" class="button">"Make new recovery codes"</button>
                                </form>
                                {(!v.required).then(|| view! {
                                    <h2>"Turn it off"</h2>
                                    <form method="post" action="/admin/account/mfa/off" class="admin-form">
                                        <Csrf me=me.clone()/>
                                        <CodeField id="mfa-off-code"/>
                                        <button type="submit" class="button">"Turn the second factor off"</button>
                                    </form>
                                })}
                            }.into_any(),
                            (None, Some(secret)) => view! {
                                <p data-testid="mfa-state">"Setting up: scan this QR code with your authenticator app, then type the code it shows."</p>
                                <div class="mfa-qr" data-testid="mfa-qr" inner_html=v.setup_qr_svg.clone().unwrap_or_default()></div>
                                <p>"Can't scan it? Type this key into the app instead: "<code data-testid="mfa-secret">{secret.clone()}</code></p>
                                <form method="post" action="/admin/account/mfa/confirm" class="admin-form">
                                    <Csrf me=me.clone()/>
                                    <label for="mfa-confirm-code">"Code from your app"</label>
                                    <input id="mfa-confirm-code" name="code" autocomplete="one-time-code" inputmode="numeric" maxlength="7" required/>
                                    <button type="submit" class="button primary">"Turn it on"</button>
                                </form>
                                <form method="post" action="/admin/account/mfa/start" class="inline-form">
                                    <Csrf me=me.clone()/>
                                    <button type="submit" class="button small">"Start again with a new QR code"</button>
                                </form>
                            }.into_any(),
                            (None, None) => off_view(me.clone(), v.required),
                        };
                        view! {
                            <Layout me=me.clone() current="account" title="Second factor".to_owned()>
                                {body}
                                <p><a href="/admin/account">"Back to your account"</a></p>
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
