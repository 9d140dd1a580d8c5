//! The invites page's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, InviteList};
use crate::types::AppError;

#[server(endpoint = "admin/invites")]
pub async fn admin_invites() -> Result<Admin<InviteList>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let days = state
        .store
        .operator(s.operator_id)
        .await?
        .map(|o| o.invite_days)
        .unwrap_or(30);
    let data = crate::admin::views::invites(&state.store, s.operator_id, days).await?;
    Ok(Admin { me, data })
}
