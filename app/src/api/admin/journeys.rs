//! The journeys list's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, JourneyFilter, JourneyList};
use crate::types::AppError;

#[server(endpoint = "admin/journeys")]
pub async fn admin_journeys(filter: JourneyFilter) -> Result<Admin<JourneyList>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let data = crate::admin::views::journeys(&state.store, s.operator_id, filter).await?;
    Ok(Admin { me, data })
}
