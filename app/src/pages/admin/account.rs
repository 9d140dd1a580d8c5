//! The signed-in staff member's account page at `/admin/account`.

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_account;
use crate::types::admin::Admin;

/// The signed-in staff member's own account: changing the password.
#[component]
pub fn AdminAccountPage() -> impl IntoView {
    let data = admin_account();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, .. }) => view! {
                        <Layout me=me.clone() current="account" title="Your account".to_owned()>
                            <section class="panel" aria-labelledby="mfa-title">
                                <h2 id="mfa-title">"Second factor"</h2>
                                <p>"Ask for a code from an authenticator app at every sign-in, so a stolen password is not enough. "
                                   <a href="/admin/account/mfa">"Set up or change your second factor"</a></p>
                            </section>
                            <section class="panel" aria-labelledby="password-title">
                                <h2 id="password-title">"Change your password"</h2>
                                <p>"Changing it signs you out on every other device and browser."</p>
                                <form method="post" action="/admin/account/password" class="admin-form">
                                    <Csrf me=me.clone()/>
                                    <label for="pw-current">"Current password"</label>
                                    <input id="pw-current" name="current_password" type="password" autocomplete="current-password" required/>
                                    <label for="pw-new">"New password (at least 12 characters)"</label>
                                    <input id="pw-new" name="new_password" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                    <label for="pw-confirm">"New password again"</label>
                                    <input id="pw-confirm" name="confirm" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                    <button type="submit" class="button primary">"Change password"</button>
                                </form>
                            </section>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
