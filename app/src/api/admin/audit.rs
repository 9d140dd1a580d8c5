//! The audit log's server function (admins only).

use leptos::prelude::*;

use crate::types::admin::{Admin, AuditRow};
use crate::types::AppError;

#[server(endpoint = "admin/audit")]
pub async fn admin_audit(page: u32) -> Result<Admin<Vec<AuditRow>>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data = crate::admin::views::audit(&state.store, s.operator_id, page).await?;
    Ok(Admin { me, data })
}
