//! The sign-in page at `/admin/login`.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};

use super::query;

/// The sign-in form's token for this browser's pre-session cookie (the server's `/admin`
/// layer sets the cookie on the request when the browser had none).
#[cfg(feature = "ssr")]
fn login_form_token() -> String {
    let (Some(state), Some(parts)) = (
        crate::api::current_state(),
        use_context::<http::request::Parts>(),
    ) else {
        return String::new();
    };
    let cookie = parts
        .headers
        .get(http::header::COOKIE)
        .and_then(|v| v.to_str().ok());
    domain::staff::login_cookie_value(&state.config.http.public_url, cookie)
        .map(domain::staff::login_form_token)
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn login_form_token() -> String {
    String::new()
}

#[component]
pub fn AdminLoginPage() -> impl IntoView {
    let message = crate::types::admin::login_text(&query("error"));
    let done = crate::types::admin::login_done_text(&query("done"));
    let operator = query("operator");
    let sso_first = !operator.is_empty();
    view! {
        <Title text="Sign in · elumo pass dashboard"/>
        <Stylesheet href="/admin.css"/>
        <main class="admin-login">
            <section class="card">
                <h1>"Operator dashboard"</h1>
                <p class="lead">"Sign in with your staff account."</p>
                {done.map(|m| view! { <p class="notice notice-ok" role="status" data-testid="login-done">{m}</p> })}
                {message.map(|m| view! { <p class="notice notice-error" role="alert" data-testid="login-error">{m}</p> })}
                <form method="get" action="/admin/sso" class="admin-form" data-testid="sso-sign-in">
                    <label for="sso-operator">"Organisation ID, for single sign-on"</label>
                    <input id="sso-operator" name="operator" value=operator autocomplete="organization" required/>
                    <button type="submit" class=if sso_first { "button primary" } else { "button" }>"Continue with single sign-on"</button>
                </form>
                <p class="lead or">"Or with your email and password:"</p>
                <form method="post" action="/admin/login" class="admin-form">
                    <input type="hidden" name="csrf" value=login_form_token()/>
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    <button type="submit" class="button primary">"Sign in"</button>
                </form>
            </section>
        </main>
    }
}
