//! The webhooks pages' server functions (admins only).

use leptos::prelude::*;

use crate::types::admin::{Admin, EndpointView, WebhooksView};
use crate::types::AppError;

#[server(endpoint = "admin/webhooks")]
pub async fn admin_webhooks() -> Result<Admin<WebhooksView>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data = crate::admin::views::webhooks(&state.store, s.operator_id).await?;
    Ok(Admin { me, data })
}

#[server(endpoint = "admin/webhook")]
pub async fn admin_webhook(id: i64) -> Result<Admin<EndpointView>, AppError> {
    let (state, s, me) = super::ssr::session(true).await?;
    let data =
        super::ssr::found(crate::admin::views::webhook(&state.store, s.operator_id, id).await?)?;
    Ok(Admin { me, data })
}
