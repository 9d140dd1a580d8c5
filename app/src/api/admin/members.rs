//! The members list's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, MemberList};
use crate::types::AppError;

#[server(endpoint = "admin/members")]
pub async fn admin_members(
    q: String,
    pass: String,
    page: u32,
) -> Result<Admin<MemberList>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let data = crate::admin::views::members(&state.store, s.operator_id, &q, &pass, page).await?;
    Ok(Admin { me, data })
}
