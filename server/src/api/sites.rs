//! `/v1/sites`: the operator's buildings (invites and passes name them).

use axum::extract::State;
use domain::state::AppState;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, Key, Problem};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_sites))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    /// Where the door is, when set (a pass shows it near the door).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// What the entrance is called.
    pub entrance: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sites {
    pub data: Vec<Site>,
}

/// Lists the operator's sites.
#[utoipa::path(
    get, path = "/v1/sites", tag = "sites",
    responses(
        (status = 200, description = "Every site", body = Sites),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn list_sites(State(state): State<AppState>, key: Key) -> ApiResult<axum::Json<Sites>> {
    let data = state
        .store
        .sites_of(key.caller.operator_id)
        .await?
        .into_iter()
        .map(|s| Site {
            id: s.id,
            name: s.name,
            address: s.address,
            latitude: s.latitude,
            longitude: s.longitude,
            entrance: s.entrance,
        })
        .collect();
    Ok(axum::Json(Sites { data }))
}
