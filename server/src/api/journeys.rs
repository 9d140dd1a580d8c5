//! `/v1/journeys`: each member's way from an invite to a pass, with the dashboard's filters, and
//! one journey's timeline.

use axum::extract::{Path, State};
use domain::state::AppState;
use domain::store::{JourneyQuery, SqlJourneyRow, OUTCOMES};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{cursor, page_size, parse_time, rfc3339, ApiResult, Key, Page, Params, Problem};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_journeys))
        .routes(routes!(get_journey))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Journey {
    /// The journey's public id.
    pub id: String,
    /// The member it reached, once the number matched.
    pub member_external_id: Option<String>,
    /// The number as entered (E.164 when it could be read).
    pub entered_mobile: Option<String>,
    pub site: Option<String>,
    /// How the invite reached the member: `poster` or `email`.
    pub channel: String,
    /// The furthest step: `invite_opened`, `number_entered`, `sms_queued`, `sms_sent`,
    /// `link_opened`, `pass_issued`, …
    pub step: String,
    /// `completed`, `in_progress`, `not_found`, `not_eligible`, `sms_failed`, `link_expired`
    /// or `rate_limited`.
    pub outcome: String,
    pub started_at: String,
    pub updated_at: String,
    /// When an Apple pass was first issued on it.
    pub apple_pass_at: Option<String>,
    /// When a Google pass was first issued on it.
    pub google_pass_at: Option<String>,
}

impl From<SqlJourneyRow> for Journey {
    fn from(j: SqlJourneyRow) -> Journey {
        Journey {
            id: j.public_id,
            member_external_id: j.member_external_id,
            entered_mobile: j.entered_mobile,
            site: j.site_name,
            channel: j.channel,
            step: j.step,
            outcome: j.outcome,
            started_at: rfc3339(j.started_at),
            updated_at: rfc3339(j.updated_at),
            apple_pass_at: j.apple_at.map(rfc3339),
            google_pass_at: j.google_at.map(rfc3339),
        }
    }
}

/// One line of a journey's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub at: String,
    /// What happened, e.g. `number_entered`, `member_matched`, `sms_sent`, `apple_pass_issued`.
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JourneyWithTimeline {
    #[serde(flatten)]
    pub journey: Journey,
    pub timeline: Vec<TimelineEvent>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JourneyParams {
    /// Started at or after (a date or an RFC 3339 time).
    from: Option<String>,
    /// Started before (a date or an RFC 3339 time).
    to: Option<String>,
    site_id: Option<i64>,
    /// One of the outcomes (see `Journey.outcome`).
    outcome: Option<String>,
    /// Name or email text, or the last digits of a number.
    search: Option<String>,
    /// Items per page, 1–200 (50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists journeys, newest first.
#[utoipa::path(
    get, path = "/v1/journeys", tag = "journeys",
    params(JourneyParams),
    responses(
        (status = 200, description = "A page of journeys", body = Page<Journey>),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn list_journeys(
    State(state): State<AppState>,
    key: Key,
    Params(p): Params<JourneyParams>,
) -> ApiResult<axum::Json<Page<Journey>>> {
    let limit = page_size(p.limit)?;
    let offset = cursor(p.cursor.as_deref())?;
    if let Some(o) = p.outcome.as_deref() {
        if !OUTCOMES.contains(&o) {
            return Err(Problem::bad_query(format!(
                "outcome must be one of {}.",
                OUTCOMES.join(", ")
            )));
        }
    }
    let q = JourneyQuery {
        from: p
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: p.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
        site_id: p.site_id,
        outcome: p.outcome,
        search: p
            .search
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    };
    let (rows, total) = state
        .store
        .journey_rows(key.caller.operator_id, &q, limit, offset)
        .await?;
    let next = offset + rows.len() as i64;
    Ok(axum::Json(Page {
        data: rows.into_iter().map(Journey::from).collect(),
        next_cursor: (next < total).then(|| next.to_string()),
    }))
}

/// One journey with its timeline.
#[utoipa::path(
    get, path = "/v1/journeys/{id}", tag = "journeys",
    params(("id" = String, Path, description = "The journey's public id")),
    responses(
        (status = 200, description = "The journey and its timeline", body = JourneyWithTimeline),
        (status = 404, description = "No such journey", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn get_journey(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<JourneyWithTimeline>> {
    let row = state
        .store
        .journey_row(key.caller.operator_id, &id)
        .await?
        .ok_or_else(|| Problem::not_found("journey"))?;
    let timeline = state
        .store
        .journey_events(row.id)
        .await?
        .into_iter()
        .map(|e| TimelineEvent {
            at: rfc3339(e.at),
            kind: e.kind,
            detail: e.detail,
        })
        .collect();
    Ok(axum::Json(JourneyWithTimeline {
        journey: row.into(),
        timeline,
    }))
}
