//! `/v1/passes`: the members' Apple and Google Wallet passes, and voiding one.

use axum::extract::{Path, State};
use domain::state::AppState;
use domain::store::SqlPassRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{cursor, number, page_size, paged, rfc3339, ApiResult, Key, Page, Params, Problem};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_passes))
        .routes(routes!(void_pass))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pass {
    pub id: i64,
    pub member_external_id: String,
    /// `apple` or `google`.
    pub platform: String,
    pub serial: String,
    /// `live`; `pending` (a new phone's pass, live once added); `voided`; or `replaced` (by a
    /// new phone's pass).
    pub state: String,
    pub site: Option<String>,
    pub issued_at: String,
    pub updated_at: String,
    pub voided_at: Option<String>,
}

impl From<SqlPassRow> for Pass {
    fn from(r: SqlPassRow) -> Pass {
        let p = r.pass;
        let state = if p.replaced_by.is_some() {
            "replaced"
        } else if p.voided_at.is_some() {
            "voided"
        } else if p.pending_at.is_some() {
            "pending"
        } else {
            "live"
        };
        Pass {
            id: p.id,
            member_external_id: r.external_id,
            platform: p.platform,
            serial: p.serial,
            state: state.to_owned(),
            site: p.site_name,
            issued_at: rfc3339(p.issued_at),
            updated_at: rfc3339(p.updated_at),
            voided_at: p.voided_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PassParams {
    /// Only this member's passes.
    member_external_id: Option<String>,
    /// Items per page, 1–200 (50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists passes in a stable order.
#[utoipa::path(
    get, path = "/v1/passes", tag = "passes",
    params(PassParams),
    responses(
        (status = 200, description = "A page of passes", body = Page<Pass>),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn list_passes(
    State(state): State<AppState>,
    key: Key,
    Params(p): Params<PassParams>,
) -> ApiResult<axum::Json<Page<Pass>>> {
    let limit = page_size(p.limit)?;
    let after = cursor(p.cursor.as_deref())?;
    let member_id = match p.member_external_id.as_deref() {
        None => None,
        Some(ext) => match state
            .store
            .member_by_external_id(key.caller.operator_id, ext)
            .await?
        {
            Some(m) => Some(m.id),
            // Another operator's member, or none: an empty page, as for a member without passes.
            None => {
                return Ok(axum::Json(Page {
                    data: Vec::new(),
                    next_cursor: None,
                }))
            }
        },
    };
    let rows = state
        .store
        .pass_page(key.caller.operator_id, after, limit + 1, member_id)
        .await?;
    Ok(axum::Json(paged(rows, limit, |r| r.pass.id, Pass::from)))
}

/// Voids a pass: the wallets holding it show it void within a minute, a generated credential
/// goes into the access system's revocation feed, and the member's links stop working.
/// Voiding a void pass changes nothing.
#[utoipa::path(
    post, path = "/v1/passes/{id}/void", tag = "passes",
    params(("id" = i64, Path, description = "The pass's id")),
    responses(
        (status = 200, description = "The pass, void", body = Pass),
        (status = 403, description = "The key may only read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pass", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["write"]))
)]
async fn void_pass(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Pass>> {
    key.writes()?;
    let id = number(&id, "pass")?;
    domain::api::void_pass(&state, &key.caller, id, &key.ip)
        .await?
        .ok_or_else(|| Problem::not_found("pass"))?;
    let row = state
        .store
        .pass_page(key.caller.operator_id, id - 1, 1, None)
        .await?
        .into_iter()
        .find(|r| r.pass.id == id)
        .ok_or_else(|| Problem::not_found("pass"))?;
    Ok(axum::Json(row.into()))
}
