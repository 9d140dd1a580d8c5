//! One journey's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, JourneyDetail};
use crate::types::AppError;

#[server(endpoint = "admin/journey")]
pub async fn admin_journey(id: String) -> Result<Admin<JourneyDetail>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let data =
        super::ssr::found(crate::admin::views::journey(&state.store, s.operator_id, &id).await?)?;
    Ok(Admin { me, data })
}
