//! The dashboard's server functions: each reads one page's data for the signed-in staff member,
//! scoped to their operator. Without a live session they answer `SignIn` (401); pages that need
//! an admin answer `Forbidden` (403) to staff; another operator's ids answer `NotFound` (404).
//! What the dashboard changes goes through the form routes in the server crate (with CSRF).

use leptos::prelude::*;

use crate::types::admin::*;
use crate::types::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::admin::Session;
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
        if admin_only && !session.is_admin() {
            set_status(403);
            return Err(AppError::Forbidden);
        }
        let operator = state.store.operator(session.operator_id).await?;
        let sms_budget = match &operator {
            Some(op) => domain::limits::budget_notice(&state.store, op).await?,
            None => None,
        };
        let me = Me {
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

#[server(endpoint = "admin/journeys")]
pub async fn admin_journeys(filter: JourneyFilter) -> Result<Admin<JourneyList>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let data = crate::admin::views::journeys(&state.store, s.operator_id, filter).await?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/journey")]
pub async fn admin_journey(id: String) -> Result<Admin<JourneyDetail>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let data = ssr::found(crate::admin::views::journey(&state.store, s.operator_id, &id).await?)?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/funnel")]
pub async fn admin_funnel(from: String, to: String) -> Result<Admin<FunnelView>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let data = crate::admin::views::funnel(&state.store, s.operator_id, &from, &to).await?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/members")]
pub async fn admin_members(q: String, page: u32) -> Result<Admin<MemberList>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let data = crate::admin::views::members(&state.store, s.operator_id, &q, page).await?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/member")]
pub async fn admin_member(id: i64) -> Result<Admin<MemberDetail>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let data = ssr::found(crate::admin::views::member(&state.store, s.operator_id, id).await?)?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/invites")]
pub async fn admin_invites() -> Result<Admin<InviteList>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let days = state
        .store
        .operator(s.operator_id)
        .await?
        .map(|o| o.invite_days)
        .unwrap_or(30);
    let data = crate::admin::views::invites(&state.store, s.operator_id, days).await?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/poster")]
pub async fn admin_poster(id: i64) -> Result<Admin<PosterView>, AppError> {
    let (state, s, me) = ssr::session(false).await?;
    let data = ssr::found(
        crate::admin::views::poster(
            &state.store,
            &state.config.http.public_url,
            s.operator_id,
            id,
        )
        .await?,
    )?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/settings")]
pub async fn admin_settings() -> Result<Admin<SettingsView>, AppError> {
    let (state, s, me) = ssr::session(true).await?;
    let data = ssr::found(
        crate::admin::views::settings(
            &state.store,
            s.operator_id,
            state.config.journey.link_ttl_secs,
        )
        .await?,
    )?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/staff")]
pub async fn admin_staff() -> Result<Admin<Vec<StaffRow>>, AppError> {
    let (state, s, me) = ssr::session(true).await?;
    let data = crate::admin::views::staff(&state.store, s.operator_id, s.staff_id).await?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/audit")]
pub async fn admin_audit(page: u32) -> Result<Admin<Vec<AuditRow>>, AppError> {
    let (state, s, me) = ssr::session(true).await?;
    let data = crate::admin::views::audit(&state.store, s.operator_id, page).await?;
    Ok(Admin { me, data })
}

/// The account page: who is signed in (the page's form changes the password).
#[server(endpoint = "admin/account")]
pub async fn admin_account() -> Result<Admin<()>, AppError> {
    let (_, _, me) = ssr::session(false).await?;
    Ok(Admin { me, data: () })
}

/// What a password reset link can do; no session needed (the link is the secret). A page
/// about a link that cannot be used answers 410 (used, expired) or 404 (not ours).
#[server(endpoint = "admin/reset")]
pub async fn admin_reset(token: String) -> Result<ResetState, AppError> {
    let state = crate::api::current_state().ok_or(AppError::Unavailable)?;
    let reset = crate::admin::passwords::reset_state(&state, &token).await?;
    if reset.status() != 200 {
        ssr::set_status(reset.status());
    }
    Ok(reset)
}
