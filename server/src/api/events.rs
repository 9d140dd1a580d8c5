//! `/v1/events`: everything that happened on the operator's journeys, oldest first, read with a
//! cursor: a client keeps the last `next_cursor` and asks again from there, and sees each event
//! once. An event is listed once it is a moment old (`ELUMO_API_EVENTS_SETTLE_MS`, 2 s), so a
//! cursor never passes an event that a slower transaction was still writing.

use axum::extract::State;
use domain::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{cursor, page_size, rfc3339, ApiResult, Key, Page, Params, Problem};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    /// The event's place in the feed.
    pub id: i64,
    /// The journey's public id (`/v1/journeys/{id}`).
    pub journey_id: String,
    pub at: String,
    /// What happened, e.g. `number_entered`, `member_not_found`, `sms_sent`,
    /// `apple_pass_issued`, `google_pass_voided`.
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Items per page, 1–200 (50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page; absent for the beginning.
    cursor: Option<String>,
}

/// Events after the cursor, oldest first. `next_cursor` is always given: ask again with it
/// later for what happened since.
#[utoipa::path(
    get, path = "/v1/events", tag = "events",
    params(EventParams),
    responses(
        (status = 200, description = "The events after the cursor", body = Page<FeedEvent>),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn list_events(
    State(state): State<AppState>,
    key: Key,
    Params(p): Params<EventParams>,
) -> ApiResult<axum::Json<Page<FeedEvent>>> {
    let limit = page_size(p.limit)?;
    let after = cursor(p.cursor.as_deref())?;
    let settled_before = domain::store::now_ms() - state.config.limits.api_events_settle_ms;
    // On PostgreSQL an event's id is taken before its transaction commits, so a lower id can
    // appear after a higher one was read: the page ends before the first event that is not yet
    // a moment old, and a cursor never passes one still being written.
    let rows: Vec<_> = state
        .store
        .event_page(key.caller.operator_id, after, limit)
        .await?
        .into_iter()
        .take_while(|e| e.at < settled_before)
        .collect();
    let next = rows.last().map_or(after, |e| e.id);
    Ok(axum::Json(Page {
        data: rows
            .into_iter()
            .map(|e| FeedEvent {
                id: e.id,
                journey_id: e.public_id,
                at: rfc3339(e.at),
                kind: e.kind,
                detail: e.detail,
            })
            .collect(),
        next_cursor: Some(next.to_string()),
    }))
}
