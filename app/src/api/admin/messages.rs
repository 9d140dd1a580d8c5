//! The messages page's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, MessagesView};
use crate::types::AppError;

/// `member` (0 for none): a member to write to, from their page.
#[server(endpoint = "admin/messages")]
pub async fn admin_messages(member: i64) -> Result<Admin<MessagesView>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let member = (member > 0).then_some(member);
    let data = crate::admin::views::messages(&state.store, s.operator_id, member).await?;
    Ok(Admin { me, data })
}
