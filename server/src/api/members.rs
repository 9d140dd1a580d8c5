//! `/v1/members`: the operator's member directory. An upsert or a deactivation goes through the
//! same path as a CRM sync: a leaver's passes are voided and their wallets told at once.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::api::{MemberInput, Upserted};
use domain::state::AppState;
use domain::store::SqlMember;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    cursor, page_size, paged, parse_time, rfc3339, ApiResult, Body, Key, Page, Params, Problem,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(get_member, put_member))
        .routes(routes!(deactivate_member))
}

/// A member of the operator's directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// The operator's own id for the member (the CRM's).
    pub external_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// E.164, e.g. `+14155550101`.
    pub mobile: Option<String>,
    /// Inactive members cannot get a pass; their passes are void.
    pub active: bool,
    /// The member's language (a BCP 47 tag), when known.
    pub language: Option<String>,
    /// When the membership ends (RFC 3339); passes expire then.
    pub membership_ends_at: Option<String>,
    /// When the member was last synced or written (RFC 3339).
    pub synced_at: Option<String>,
}

impl From<SqlMember> for Member {
    fn from(m: SqlMember) -> Member {
        Member {
            external_id: m.external_id,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            mobile: m.mobile_e164,
            active: m.active,
            language: m.language,
            membership_ends_at: m.membership_ends_at.map(rfc3339),
            synced_at: m.synced_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Name, email or external id text, or the last digits of a mobile number.
    search: Option<String>,
    /// Only active (`true`) or inactive (`false`) members.
    active: Option<bool>,
    /// Items per page, 1–200 (50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A member to create or update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// A mobile number, E.164 or national (read in the operator's default country).
    pub mobile: Option<String>,
    /// `false` deactivates the member (as `POST …/deactivate`). Default `true`.
    pub active: Option<bool>,
    /// A BCP 47 language tag, e.g. `de`.
    pub language: Option<String>,
    /// When the membership ends (RFC 3339 or a date).
    pub membership_ends_at: Option<String>,
}

fn external_id(id: &str) -> ApiResult<&str> {
    let id = id.trim();
    if id.is_empty() || id.len() > 128 {
        return Err(Problem::invalid(
            "An external id is 1 to 128 characters long.",
        ));
    }
    Ok(id)
}

/// Lists members in a stable order, a page at a time.
#[utoipa::path(
    get, path = "/v1/members", tag = "members",
    params(MemberQuery),
    responses(
        (status = 200, description = "A page of members", body = Page<Member>),
        (status = 400, description = "A query parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The key's rate limit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn list_members(
    State(state): State<AppState>,
    key: Key,
    Params(q): Params<MemberQuery>,
) -> ApiResult<axum::Json<Page<Member>>> {
    let limit = page_size(q.limit)?;
    let after = cursor(q.cursor.as_deref())?;
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows = state
        .store
        .member_page(key.caller.operator_id, after, limit + 1, search, q.active)
        .await?;
    Ok(axum::Json(paged(rows, limit, |m| m.id, Member::from)))
}

/// One member by their external id.
#[utoipa::path(
    get, path = "/v1/members/{external_id}", tag = "members",
    params(("external_id" = String, Path, description = "The operator's id for the member")),
    responses(
        (status = 200, description = "The member", body = Member),
        (status = 401, description = "No key, or not a live one", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
async fn get_member(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Member>> {
    let id = external_id(&id)?;
    let m = state
        .store
        .member_by_external_id(key.caller.operator_id, id)
        .await?
        .ok_or_else(|| Problem::not_found("member"))?;
    Ok(axum::Json(m.into()))
}

/// Creates the member with this external id, or updates it (the whole record: absent optional
/// fields are cleared). Answers 201 when created.
#[utoipa::path(
    put, path = "/v1/members/{external_id}", tag = "members",
    params(("external_id" = String, Path, description = "The operator's id for the member")),
    request_body = MemberBody,
    responses(
        (status = 200, description = "Updated (or unchanged)", body = Member),
        (status = 201, description = "Created", body = Member),
        (status = 400, description = "The body is not valid JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The directory refused the member (e.g. a number that is not a mobile)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["write"]))
)]
async fn put_member(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
    Body(body): Body<MemberBody>,
) -> ApiResult<Response> {
    key.writes()?;
    let id = external_id(&id)?;
    let membership_ends = body
        .membership_ends_at
        .as_deref()
        .map(|t| parse_time("membership_ends_at", t).map_err(|p| Problem::invalid(p.detail)))
        .transpose()?;
    let input = MemberInput {
        first_name: body.first_name,
        last_name: body.last_name,
        email: body.email,
        mobile: body.mobile,
        active: body.active.unwrap_or(true),
        language: body.language,
        membership_ends,
    };
    let upserted = domain::api::upsert_member(&state, &key.caller, id, input, &key.ip)
        .await?
        .ok_or_else(|| Problem::not_found("member"))?;
    Ok(match upserted {
        Upserted::Created(m) => (
            StatusCode::CREATED,
            [(
                header::LOCATION,
                format!("/v1/members/{}", domain::tokens::urlencode(&m.external_id)),
            )],
            axum::Json(Member::from(m)),
        )
            .into_response(),
        Upserted::Updated(m) | Upserted::Unchanged(m) => {
            axum::Json(Member::from(m)).into_response()
        }
        Upserted::Refused(why) => return Err(Problem::invalid(why)),
    })
}

/// Deactivates the member at once: their passes are voided (wallets show them void within a
/// minute) and their links stop working. Deactivating an inactive member changes nothing.
#[utoipa::path(
    post, path = "/v1/members/{external_id}/deactivate", tag = "members",
    params(("external_id" = String, Path, description = "The operator's id for the member")),
    responses(
        (status = 200, description = "The member, inactive", body = Member),
        (status = 403, description = "The key may only read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["write"]))
)]
async fn deactivate_member(
    State(state): State<AppState>,
    key: Key,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Member>> {
    key.writes()?;
    let id = external_id(&id)?;
    let m = domain::api::deactivate_member(&state, &key.caller, id, &key.ip)
        .await?
        .ok_or_else(|| Problem::not_found("member"))?;
    Ok(axum::Json(m.into()))
}
