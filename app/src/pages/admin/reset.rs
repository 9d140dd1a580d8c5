//! The password reset page at `/admin/reset/:token`.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};

use super::{param, query};
use crate::api::admin::admin_reset;
use crate::types::admin::{encode, flash, ResetState};

/// The page a password reset link opens: the new-password form, or why the link cannot be used.
#[component]
pub fn AdminResetPage() -> impl IntoView {
    let token = param("token");
    let error = query("error");
    let data = admin_reset(token.clone());
    view! {
        <Title text="New password · elumo pass dashboard"/>
        <Stylesheet href="/admin.css"/>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let reset = data.await.unwrap_or(ResetState::Invalid);
                let body = match &reset {
                    ResetState::Ready { email } => {
                        let problem = flash(&error).filter(|(ok, _)| !ok).map(|(_, text)| text);
                        view! {
                            <h1>"Choose a new password"</h1>
                            <p class="lead">{format!("For the dashboard account {email}.")}</p>
                            {problem.map(|m| view! { <p class="notice notice-error" role="alert" data-testid="flash">{m}</p> })}
                            <form method="post" action=format!("/admin/reset/{}", encode(&token)) class="admin-form">
                                <label for="reset-password">"New password (at least 12 characters)"</label>
                                <input id="reset-password" name="password" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                <label for="reset-confirm">"New password again"</label>
                                <input id="reset-confirm" name="confirm" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                <button type="submit" class="button primary">"Set the new password"</button>
                            </form>
                            <p>"The link works once. Setting a password signs this account out everywhere; then you sign in with the new one."</p>
                        }.into_any()
                    }
                    other => {
                        let (title, text) = other.problem().unwrap_or_default();
                        view! {
                            <h1>{title}</h1>
                            <p data-testid="reset-problem">{text}</p>
                            <p><a href="/admin/login">"Go to the sign-in page"</a></p>
                        }.into_any()
                    }
                };
                view! { <main class="admin-login"><section class="card">{body}</section></main> }
            })}
        </Suspense>
    }
}
