//! A site poster's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, PosterView};
use crate::types::AppError;

#[server(endpoint = "admin/poster")]
pub async fn admin_poster(id: i64) -> Result<Admin<PosterView>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let data = super::ssr::found(
        crate::admin::views::poster(
            &state.store,
            &state.config.http.public_url,
            s.operator_id,
            id,
        )
        .await?,
    )?;
    Ok(Admin { me, data })
}
