//! The REST API under `/v1/`: members, invites, journeys, passes, sites and an events feed, for
//! an operator's own systems. A request carries an API key (`Authorization: Bearer elumo_…`,
//! made in the dashboard); everything it reads or changes is the key's operator's, writes need
//! the `write` scope, each key has a rate limit, and writes are in the audit log. Every error is
//! an RFC 9457 problem (`application/problem+json`). The OpenAPI 3.1 document is generated from
//! the handlers themselves (`utoipa`: a route is registered only with its description), served
//! at `/v1/openapi.json` and readable at `/v1/docs`.

mod docs;
mod events;
mod invites;
mod journeys;
mod members;
mod passes;
mod sites;

use std::sync::OnceLock;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::api_keys::{Caller, Scope};
use domain::state::AppState;
use domain::store::StoreError;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

/// The most items one page holds, and the default.
const MAX_PAGE: i64 = 200;
const DEFAULT_PAGE: i64 = 50;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "elumo pass API",
        version = "1",
        description = "Members, invites, journeys, passes, sites and events of one operator. \
            Authenticate with an API key made in the dashboard (Settings → API keys): \
            `Authorization: Bearer elumo_…`. Keys have the scope `read` or `read write`. \
            Errors are RFC 9457 problem details."
    ),
    modifiers(&BearerKeys),
    tags(
        (name = "members", description = "The operator's member directory"),
        (name = "invites", description = "Posters and member invites"),
        (name = "journeys", description = "Each member's way from the invite to the pass"),
        (name = "passes", description = "Apple and Google Wallet passes"),
        (name = "sites", description = "The operator's buildings"),
        (name = "events", description = "Everything that happened, in order, with a cursor"),
    )
)]
struct ApiDoc;

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key from the dashboard, e.g. `Bearer elumo_…`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API's routes (with the state still to be given) and its OpenAPI document.
fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(members::routes())
        .merge(invites::routes())
        .merge(journeys::routes())
        .merge(passes::routes())
        .merge(sites::routes())
        .merge(events::routes())
        .split_for_parts()
}

/// The OpenAPI document, as served.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| split().1)
}

/// Every `/v1` route: the resources, the document, the docs page, and a problem for the rest.
pub fn routes() -> Router<AppState> {
    let (resources, _) = split();
    resources
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/docs", get(docs::page))
        .route("/v1", get(no_such_route))
        .route("/v1/", get(no_such_route))
        .route("/v1/{*rest}", axum::routing::any(no_such_route))
        .layer(axum::middleware::map_response(as_problem))
}

async fn openapi_json() -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(openapi()),
    )
        .into_response()
}

async fn no_such_route() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no-such-route",
        "There is no such API route",
        "See /v1/docs for the routes this API has.",
    )
}

/// Answers axum gives by itself (a method the route does not take) as problems too.
async fn as_problem(res: Response) -> Response {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    match res.status() {
        StatusCode::METHOD_NOT_ALLOWED if !is_problem => {
            let allow = res.headers().get(header::ALLOW).cloned();
            let mut answer = Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "This route does not take that method",
                "See /v1/docs for the methods each route takes.",
            )
            .into_response();
            if let Some(allow) = allow {
                answer.headers_mut().insert(header::ALLOW, allow);
            }
            answer
        }
        _ => res,
    }
}

/// An RFC 9457 problem. `type` is a relative URI: the docs page's section on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Where the problem is explained, e.g. `/v1/docs#problem-invalid-body`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Seconds until a rate-limited key may call again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/v1/docs#problem-{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("This operator has no such {what}."),
        )
    }

    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "The request cannot be carried out as sent",
            detail,
        )
    }

    pub fn bad_query(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            "A query parameter is not valid",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"elumo pass\""),
            );
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        res
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        tracing::error!(error = %e, "an API request failed on the database");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Try again in a moment",
            "The service could not reach its database. Nothing was changed by this request.",
        )
    }
}

/// What an API handler answers.
pub type ApiResult<T> = Result<T, Problem>;

/// The caller behind a request's key: authenticated, within its rate limit, with its address
/// for the audit log.
pub struct Key {
    pub caller: Caller,
    pub ip: String,
}

impl Key {
    /// Refuses a key without the `write` scope.
    pub fn writes(&self) -> ApiResult<()> {
        if self.caller.may(Scope::Write) {
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient-scope",
                "This key may only read",
                "Make a key with the write scope in the dashboard for changes.",
            ))
        }
    }
}

impl FromRequestParts<AppState> for Key {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Key> {
        let unauthorized = |detail: &str| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "An API key is needed",
                detail,
            )
        };
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "Send the key as `Authorization: Bearer elumo_…`.",
            ));
        };
        let bearer = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            })
            .map(|(_, key)| key.trim())
            .ok_or_else(|| unauthorized("Send the key as `Authorization: Bearer elumo_…`."))?;
        let caller = domain::api_keys::authenticate(state, bearer)
            .await?
            .ok_or_else(|| unauthorized("This key is not known or was revoked."))?;
        let limit = state.config.limits.api_requests_per_key_per_minute;
        if let Some(wait_ms) = state
            .store
            .hit("api_key", &caller.key_id.to_string(), limit, 60_000)
            .await?
        {
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests with this key",
                format!("A key may make {limit} requests a minute."),
            );
            p.retry_after = Some((wait_ms + 999) / 1000);
            return Err(p);
        }
        let ip = domain::limits::client_address(parts, &state.config.http.trusted_proxies);
        Ok(Key { caller, ip })
    }
}

/// A JSON body, or a problem saying what is wrong with it.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> ApiResult<Body<T>> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-body",
                "The body is not what this route takes",
                rejection.body_text(),
            )),
        }
    }
}

/// A page of items and where the next one starts (`None` on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A page size from the query: 1–200, 50 when absent.
fn page_size(limit: Option<i64>) -> ApiResult<i64> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(Problem::bad_query(format!(
            "limit must be between 1 and {MAX_PAGE}."
        ))),
    }
}

/// A cursor this API handed out (a number), or 0 for the first page.
fn cursor(c: Option<&str>) -> ApiResult<i64> {
    match c {
        None | Some("") => Ok(0),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Problem::bad_query("cursor is not one this API handed out.")),
    }
}

/// Keeps `limit` items of `rows` fetched with one more, and the cursor after the last kept.
fn paged<R, T>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> i64,
    item: impl Fn(R) -> T,
) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| key(r).to_string()))
        .flatten();
    Page {
        data: rows.into_iter().map(item).collect(),
        next_cursor,
    }
}

/// A stored time (milliseconds) as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A time a client sends: RFC 3339, or a date (midnight UTC).
pub fn parse_time(name: &str, s: &str) -> ApiResult<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &date)
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|_| {
            Problem::bad_query(format!(
                "{name} must be a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:00:00Z)."
            ))
        })
}

/// Query parameters, or a problem saying which one is wrong.
pub struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequestParts<AppState> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Params<T>> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(rejection) => Err(Problem::bad_query(rejection.body_text())),
        }
    }
}

/// A numeric id from the path, or "not found" (an id that cannot exist names nothing).
fn number(id: &str, what: &str) -> ApiResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Problem::not_found(what))
}
