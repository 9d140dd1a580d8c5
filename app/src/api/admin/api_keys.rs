//! The API keys page's server function (admins only).

use leptos::prelude::*;

use crate::types::admin::{Admin, ApiKeyRow};
use crate::types::AppError;

#[server(endpoint = "admin/api_keys")]
pub async fn admin_api_keys() -> Result<Admin<Vec<ApiKeyRow>>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data = crate::admin::views::api_keys(&state.store, s.operator_id).await?;
    Ok(Admin { me, data })
}
