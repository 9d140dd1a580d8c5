//! The sign-in settings page's server function (admins only).

use leptos::prelude::*;

use crate::types::admin::{Admin, SecurityView};
use crate::types::AppError;

#[server(endpoint = "admin/security")]
pub async fn admin_security() -> Result<Admin<SecurityView>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data = super::ssr::found(
        crate::admin::views::security(&state.store, s.operator_id, &state.config.http.public_url)
            .await?,
    )?;
    Ok(Admin { me, data })
}
