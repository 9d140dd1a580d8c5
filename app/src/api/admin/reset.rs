//! The password reset page's server function.

use leptos::prelude::*;

use crate::types::admin::ResetState;
use crate::types::AppError;

/// What a password reset link can do; no session needed (the link is the secret). A page
/// about a link that cannot be used answers 410 (used, expired) or 404 (not ours).
#[server(endpoint = "admin/reset")]
pub async fn admin_reset(token: String) -> Result<ResetState, AppError> {
    let state = crate::api::current_state().ok_or(AppError::Unavailable)?;
    let reset: ResetState = domain::dashboard::passwords::reset_state(&state, &token)
        .await?
        .into();
    if reset.status() != 200 {
        super::ssr::set_status(reset.status());
    }
    Ok(reset)
}
