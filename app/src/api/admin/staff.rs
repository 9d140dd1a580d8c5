//! The staff page's server function (admins only).

use leptos::prelude::*;

use crate::types::admin::{Admin, StaffRow};
use crate::types::AppError;

#[server(endpoint = "admin/staff")]
pub async fn admin_staff() -> Result<Admin<Vec<StaffRow>>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data = crate::admin::views::staff(&state.store, s.operator_id, s.staff_id).await?;
    Ok(Admin { me, data })
}
