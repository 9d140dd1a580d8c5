//! The settings page's server function (admins only).

use leptos::prelude::*;

use crate::types::admin::{Admin, SettingsView};
use crate::types::AppError;

#[server(endpoint = "admin/settings")]
pub async fn admin_settings() -> Result<Admin<SettingsView>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data = super::ssr::found(
        crate::admin::views::settings(
            &state.store,
            s.operator_id,
            state.config.journey.link_ttl_secs,
            &state.config.http.public_url,
        )
        .await?,
    )?;
    Ok(Admin { me, data })
}
