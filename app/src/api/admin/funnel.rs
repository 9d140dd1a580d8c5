//! The funnel's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, FunnelView};
use crate::types::AppError;

#[server(endpoint = "admin/funnel")]
pub async fn admin_funnel(from: String, to: String) -> Result<Admin<FunnelView>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let data = crate::admin::views::funnel(&state.store, s.operator_id, &from, &to).await?;
    Ok(Admin { me, data })
}
