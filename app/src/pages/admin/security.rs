//! Sign-in settings at `/admin/security` (admins only): single sign-on through the operator's
//! OpenID Connect provider, and whether every staff member must use it.

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_security;
use crate::types::admin::Admin;

#[component]
pub fn AdminSecurityPage() -> impl IntoView {
    let data = admin_security();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: v }) => view! {
                        <Layout me=me.clone() current="security" title="Sign-in".to_owned()>
                            <h2>"Single sign-on"</h2>
                            <p>"Let your staff sign in with your identity provider (Okta, Microsoft Entra ID, Google Workspace or any OpenID Connect provider). Register elumo pass there as a web application with this redirect URI:"</p>
                            <p><code data-testid="callback-url">{v.callback_url.clone()}</code></p>
                            <p>"Staff sign in from "<a href=format!("/admin/login?operator={}", v.slug)>{format!("/admin/login?operator={}", v.slug)}</a>
                               " (organisation ID "<code>{v.slug.clone()}</code>"). The provider's verified email must be the staff account's email."</p>
                            <form method="post" action="/admin/security/sso" class="admin-form" data-testid="sso-form">
                                <Csrf me=me.clone()/>
                                <label for="sso-issuer">"Issuer URL"</label>
                                <input id="sso-issuer" name="issuer" type="url" value=v.issuer.clone() placeholder="https://login.example.com"/>
                                <label for="sso-client">"Client ID"</label>
                                <input id="sso-client" name="client_id" value=v.client_id.clone() autocomplete="off"/>
                                <label for="sso-secret">{if v.secret_saved { "Client secret (saved; leave empty to keep it)" } else { "Client secret" }}</label>
                                <input id="sso-secret" name="client_secret" type="password" autocomplete="off"/>
                                <label class="check"><input type="checkbox" name="require_sso" checked=v.require_sso/>" Require single sign-on for all staff (passwords stop working)"</label>
                                <button type="submit" class="button primary">"Save single sign-on"</button>
                            </form>
                            <p>"Leave the issuer and client ID empty and save to turn single sign-on off."</p>
                            <h2>"Second factor"</h2>
                            <p>"Staff who sign in with a password can add a code from an authenticator app (their account page). You can require it of everyone: staff without one set it up at their next sign-in, before anything else."</p>
                            <form method="post" action="/admin/security/mfa" class="admin-form" data-testid="mfa-form">
                                <Csrf me=me.clone()/>
                                <label class="check"><input type="checkbox" name="require_mfa" checked=v.require_mfa/>" Require a second factor for password sign-ins"</label>
                                <button type="submit" class="button primary">"Save"</button>
                            </form>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
