//! `/v1/invites`: posters (a site's printed QR code, for anyone in the building) and member
//! invites (one member's link, emailed). An invite's link is shown when it is made; a poster's
//! stays printable (`url`, and its QR code as SVG or PNG), a member invite's is not kept.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::api::InviteRefusal;
use domain::state::AppState;
use domain::store::SqlInviteRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    cursor, number, page_size, paged, rfc3339, ApiResult, Body, Key, Page, Params, Problem,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(get_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(invite_qr_svg))
        .routes(routes!(invite_qr_png))
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InviteKind {
    /// A site's printed QR code: anyone with a mobile on record may use it.
    Poster,
    /// One member's invite.
    Member,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub id: i64,
    pub kind: InviteKind,
    /// `live`, `expired` or `revoked`.
    pub state: String,
    pub site: Option<String>,
    /// The member a member invite is for.
    pub member_external_id: Option<String>,
    /// The poster's link (what its QR code holds); member invites' links are not kept.
    pub url: Option<String>,
    pub label: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// When the member invite's email went out.
    pub sent_at: Option<String>,
    /// How many journeys started from it.
    pub journeys: i64,
}

fn invite(public_url: &str, i: SqlInviteRow) -> Invite {
    let now = domain::store::now_ms();
    let state = if i.revoked_at.is_some() {
        "revoked"
    } else if i.expires_at <= now {
        "expired"
    } else {
        "live"
    };
    Invite {
        id: i.id,
        kind: if i.member_id.is_some() {
            InviteKind::Member
        } else {
            InviteKind::Poster
        },
        state: state.to_owned(),
        site: i.site_name,
        member_external_id: i.member_external_id,
        url: i.print_token.map(|t| format!("{public_url}/i/{t}")),
        label: i.label,
        created_at: rfc3339(i.created_at),
        expires_at: rfc3339(i.expires_at),
        revoked_at: i.revoked_at.map(rfc3339),
        sent_at: i.sent_at.map(rfc3339),
        journeys: i.journeys,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InviteQuery {
    /// Items per page, 1–200 (50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// An invite to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    pub kind: InviteKind,
    /// The site (see `/v1/sites`); its name is on the poster and the pass.
    pub site_id: Option<i64>,
    /// For a member invite: the member's external id.
    pub member_external_id: Option<String>,
    /// How many days the invite works, 1–366 (the operator's setting when absent).
    pub days: Option<i64>,
    /// For a member invite: email it to the member (default `true`). With `false`, send the
    /// returned `url` yourself.
    pub email: Option<bool>,
}

/// An invite just made, with its link.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvite {
    #[serde(flatten)]
    pub invite: Invite,
    /// The invite's link. A member invite's is shown only now.
    pub link: String,
    /// Whether the member invite's email went out.
    pub emailed: bool,
}

/// Lists invites, newest first.
#[utoipa::path(
    get, path = "/v1/invites", tag = "invites",
    params(InviteQuery),
    responses(
        (status = 200, description = "A page of invites", body = Page<Invite>),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn list_invites(
    State(state): State<AppState>,
    key: Key,
    Params(q): Params<InviteQuery>,
) -> ApiResult<axum::Json<Page<Invite>>> {
    let limit = page_size(q.limit)?;
    let before = cursor(q.cursor.as_deref())?;
    let rows = state
        .store
        .invite_page(key.caller.operator_id, before, limit + 1)
        .await?;
    let public = state.config.http.public_url.clone();
    Ok(axum::Json(paged(
        rows,
        limit,
        |i| i.id,
        |i| invite(&public, i),
    )))
}

/// Makes a poster or a member invite.
#[utoipa::path(
    post, path = "/v1/invites", tag = "invites",
    request_body = InviteBody,
    responses(
        (status = 201, description = "Made; `link` is shown only now for a member invite", body = CreatedInvite),
        (status = 403, description = "The key may only read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown site or member, a member without email, or days out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["write"]))
)]
async fn create_invite(
    State(state): State<AppState>,
    key: Key,
    Body(body): Body<InviteBody>,
) -> ApiResult<Response> {
    key.writes()?;
    let member = match (body.kind, body.member_external_id.as_deref().map(str::trim)) {
        (InviteKind::Member, Some(ext)) if !ext.is_empty() => Some(ext),
        (InviteKind::Member, _) => {
            return Err(Problem::invalid(
                "A member invite needs member_external_id.",
            ))
        }
        (InviteKind::Poster, None) => None,
        (InviteKind::Poster, Some(_)) => {
            return Err(Problem::invalid(
                "A poster is for a whole site: leave member_external_id out.",
            ))
        }
    };
    let made = domain::api::create_invite(
        &state,
        &key.caller,
        body.site_id,
        member,
        body.days,
        body.email.unwrap_or(true),
        &key.ip,
    )
    .await?
    .map_err(|refusal| {
        Problem::invalid(match refusal {
            InviteRefusal::UnknownSite => "This operator has no such site.",
            InviteRefusal::UnknownMember => "This operator has no such member.",
            InviteRefusal::MemberHasNoEmail => {
                "The member has no email address: set email to false and send the link yourself."
            }
            InviteRefusal::BadLifetime => "days must be between 1 and 366.",
        })
    })?;
    let row = state
        .store
        .invite_row(key.caller.operator_id, made.id)
        .await?
        .ok_or_else(|| Problem::not_found("invite"))?;
    let created = CreatedInvite {
        invite: invite(&state.config.http.public_url, row),
        link: made.url,
        emailed: made.emailed,
    };
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/v1/invites/{}", made.id)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::Json(created),
    )
        .into_response())
}

async fn find(state: &AppState, key: &Key, id: i64) -> ApiResult<SqlInviteRow> {
    state
        .store
        .invite_row(key.caller.operator_id, id)
        .await?
        .ok_or_else(|| Problem::not_found("invite"))
}

/// One invite.
#[utoipa::path(
    get, path = "/v1/invites/{id}", tag = "invites",
    params(("id" = i64, Path, description = "The invite's id")),
    responses(
        (status = 200, description = "The invite", body = Invite),
        (status = 404, description = "No such invite", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn get_invite(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Invite>> {
    let id = number(&id, "invite")?;
    let row = find(&state, &key, id).await?;
    Ok(axum::Json(invite(&state.config.http.public_url, row)))
}

/// Revokes an invite: its link stops working at once (journeys already past it go on).
#[utoipa::path(
    post, path = "/v1/invites/{id}/revoke", tag = "invites",
    params(("id" = i64, Path, description = "The invite's id")),
    responses(
        (status = 200, description = "The invite, revoked (or expired)", body = Invite),
        (status = 403, description = "The key may only read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invite", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["write"]))
)]
async fn revoke_invite(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Invite>> {
    key.writes()?;
    let id = number(&id, "invite")?;
    domain::dashboard::revoke_invite(&state, &key.caller.as_session(), id, &key.ip)
        .await?
        .ok_or_else(|| Problem::not_found("invite"))?;
    let row = find(&state, &key, id).await?;
    Ok(axum::Json(invite(&state.config.http.public_url, row)))
}

/// A poster's link, for its QR code.
async fn poster_url(state: &AppState, key: &Key, id: i64) -> ApiResult<String> {
    let row = find(state, key, id).await?;
    row.print_token
        .map(|t| format!("{}/i/{t}", state.config.http.public_url))
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "no-qr-code",
                "This invite has no QR code",
                "Only posters keep their link for a QR code; a member invite's link was sent to the member.",
            )
        })
}

/// A poster's QR code as SVG.
#[utoipa::path(
    get, path = "/v1/invites/{id}/qr.svg", tag = "invites",
    params(("id" = i64, Path, description = "The invite's id")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml", body = String),
        (status = 404, description = "No such poster", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn invite_qr_svg(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = number(&id, "invite")?;
    let url = poster_url(&state, &key, id).await?;
    let svg = app::admin::views::qr_svg(&url).ok_or_else(|| Problem::not_found("invite"))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// A poster's QR code as PNG.
#[utoipa::path(
    get, path = "/v1/invites/{id}/qr.png", tag = "invites",
    params(("id" = i64, Path, description = "The invite's id")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "No such poster", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn invite_qr_png(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = number(&id, "invite")?;
    let url = poster_url(&state, &key, id).await?;
    let png = app::admin::views::qr_png(&url).ok_or_else(|| Problem::not_found("invite"))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
