//! The dashboard's server functions: each reads one page's data for the signed-in staff member,
//! scoped to their operator. Without a live session they answer `SignIn` (401); pages that need
//! an admin answer `Forbidden` (403) to staff; another operator's ids answer `NotFound` (404).
//! What the dashboard changes goes through the form routes in the server crate (with CSRF).

mod account;
mod api_keys;
mod audit;
mod funnel;
mod invites;
mod journey;
mod journeys;
mod member;
mod members;
mod messages;
mod mfa;
mod poster;
mod reset;
mod security;
mod settings;
mod staff;
mod webhooks;

pub use account::{admin_account, AdminAccount};
pub use api_keys::{admin_api_keys, AdminApiKeys};
pub use audit::{admin_audit, AdminAudit};
pub use funnel::{admin_funnel, AdminFunnel};
pub use invites::{admin_invites, AdminInvites};
pub use journey::{admin_journey, AdminJourney};
pub use journeys::{admin_journeys, AdminJourneys};
pub use member::{admin_member, AdminMember};
pub use members::{admin_members, AdminMembers};
pub use messages::{admin_messages, AdminMessages};
pub use mfa::{admin_mfa, AdminMfa};
pub use poster::{admin_poster, AdminPoster};
pub use reset::{admin_reset, AdminReset};
pub use security::{admin_security, AdminSecurity};
pub use settings::{admin_settings, AdminSettings};
pub use staff::{admin_staff, AdminStaff};
pub use webhooks::{admin_webhook, admin_webhooks, AdminWebhook, AdminWebhooks};

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::use_context;

    use crate::admin::Session;
    use crate::types::admin::Me;
    use crate::types::AppError;
    use domain::state::AppState;

    pub fn set_status(code: u16) {
        if let (Some(res), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(code),
        ) {
            res.set_status(status);
        }
    }

    /// The signed-in staff member, or `SignIn`. A page asking is sent to the sign-in form.
    pub async fn session(admin_only: bool) -> Result<(AppState, Session, Me), AppError> {
        session_with(admin_only, false).await
    }

    /// `session` for the second factor's setup page, which a session restricted to setting one
    /// up may read too.
    pub async fn session_enrolling() -> Result<(AppState, Session, Me), AppError> {
        session_with(false, true).await
    }

    async fn session_with(
        admin_only: bool,
        enrolling: bool,
    ) -> Result<(AppState, Session, Me), AppError> {
        let state = crate::api::current_state().ok_or(AppError::Unavailable)?;
        let parts = use_context::<http::request::Parts>();
        let cookie = parts
            .as_ref()
            .and_then(|p| p.headers.get(http::header::COOKIE))
            .and_then(|v| v.to_str().ok());
        let Some(session) = domain::staff::session_from_cookie_header(&state, cookie).await? else {
            // A page answers with a redirect to the sign-in form; a direct call gets 401.
            return Err(AppError::SignIn);
        };
        // A session that may only set up a second factor reads nothing else (the setup page
        // asks through `session_enrolling`).
        if !enrolling && domain::mfa::session_must_enrol(&state, &session).await? {
            set_status(403);
            return Err(AppError::Forbidden);
        }
        if admin_only && !session.is_admin() {
            set_status(403);
            return Err(AppError::Forbidden);
        }
        let operator = state.store.operator(session.operator_id).await?;
        let sms_budget = match &operator {
            Some(op) => domain::limits::budget_notice(&state.store, op).await?,
            None => None,
        };
        let webhook_notice = if session.is_admin() {
            let n = state
                .store
                .endpoints_disabled_for(
                    session.operator_id,
                    domain::webhooks::attempts::DISABLED_REASON,
                )
                .await?;
            (n > 0).then(|| {
                format!(
                    "{n} webhook endpoint{} stopped after a day of failed deliveries: see Webhooks.",
                    if n == 1 { " was" } else { "s were" }
                )
            })
        } else {
            None
        };
        let me = Me {
            webhook_notice,
            email: session.email.clone(),
            is_admin: session.is_admin(),
            csrf: session.csrf.clone(),
            operator: operator.map(|o| o.name).unwrap_or_default(),
            sms_budget,
        };
        Ok((state, session, me))
    }

    pub fn found<T>(v: Option<T>) -> Result<T, AppError> {
        v.ok_or_else(|| {
            set_status(404);
            AppError::NotFound
        })
    }
}
