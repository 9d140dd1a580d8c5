//! Apple's PassKit web service at `{public URL}/passkit` (the pass's `webServiceURL`):
//!
//! - `POST   /v1/devices/{device}/registrations/{passType}/{serial}`: register for updates
//!   (201 new, 200 known, 401 not authorised)
//! - `DELETE /v1/devices/{device}/registrations/{passType}/{serial}`: unregister (200, 401)
//! - `GET    /v1/devices/{device}/registrations/{passType}?passesUpdatedSince=tag`: serial numbers
//!   changed since the tag (200 with `lastUpdated`, 204 when none)
//! - `GET    /v1/passes/{passType}/{serial}`: the latest pass (`Last-Modified`; 304 for
//!   `If-Modified-Since` when unchanged; 401)
//! - `POST   /v1/log`: Wallet's error messages, logged (at most 64 KiB a report and
//!   [`LOGS_PER_ADDRESS`] reports per address per 10 minutes, so it cannot fill the logs)
//!
//! Calls about one pass carry `Authorization: ApplePass <authenticationToken>`, checked in
//! constant time against that pass's own token.

use std::time::{Duration, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::state::AppState;
use domain::store::SqlWalletPass;
use serde::Deserialize;

use crate::error::{HttpError, Plain};

/// What the web service's handlers answer: Wallet reads the status code alone.
type Answer = Result<Response, Plain>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/passkit/v1/devices/{device}/registrations/{pass_type}/{serial}",
            post(register).delete(unregister),
        )
        .route(
            "/passkit/v1/devices/{device}/registrations/{pass_type}",
            get(updated_serials),
        )
        .route("/passkit/v1/passes/{pass_type}/{serial}", get(latest_pass))
        .route(
            "/passkit/v1/log",
            post(log).layer(axum::extract::DefaultBodyLimit::max(LOG_MAX_BYTES)),
        )
}

/// A report larger than this is answered 413 without being read.
pub const LOG_MAX_BYTES: usize = 64 * 1024;
/// Reports one client address may send per [`LOG_WINDOW_MS`]; more are answered 429.
pub const LOGS_PER_ADDRESS: i64 = 30;
pub const LOG_WINDOW_MS: i64 = 10 * 60_000;

/// The pass, when the request names our pass type, a pass we issued, and carries its token.
async fn authorised(
    state: &AppState,
    headers: &HeaderMap,
    pass_type: &str,
    serial: &str,
) -> Result<SqlWalletPass, Plain> {
    if pass_type != state.config.apple_wallet.pass_type_id {
        return Err(HttpError::not_found().into());
    }
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("ApplePass "))
        .unwrap_or_default()
        .trim();
    match state.store.apple_pass_by_serial(serial).await? {
        Some(pass)
            if pass.auth_token.as_deref().is_some_and(|token| {
                token.len() == offered.len()
                    && openssl::memcmp::eq(token.as_bytes(), offered.as_bytes())
            }) =>
        {
            Ok(pass)
        }
        _ => {
            tracing::warn!("a PassKit request without a valid authentication token");
            Err(HttpError::sign_in().into())
        }
    }
}

#[derive(Deserialize)]
struct Registration {
    #[serde(rename = "pushToken")]
    push_token: String,
}

fn valid_device(device: &str) -> bool {
    !device.is_empty()
        && device.len() <= 128
        && device
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn register(
    State(state): State<AppState>,
    Path((device, pass_type, serial)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let pass = authorised(&state, &headers, &pass_type, &serial).await?;
    let Ok(reg) = serde_json::from_slice::<Registration>(&body) else {
        return Ok((StatusCode::BAD_REQUEST, "expected {\"pushToken\": \"…\"}").into_response());
    };
    if !valid_device(&device) || reg.push_token.is_empty() || reg.push_token.len() > 200 {
        return Ok((StatusCode::BAD_REQUEST, "bad device or push token").into_response());
    }
    let registered = state
        .store
        .register_pass_device(&device, &reg.push_token, pass.id)
        .await?;
    let max = match state.store.operator(pass.operator_id).await? {
        Some(op) => op.max_apple_devices,
        None => domain::devices::DEFAULT_MAX_APPLE_DEVICES,
    };
    let mut events = domain::devices::on_registered(registered, max);
    // A new phone's pass, now on the new phone: it replaces the previous one.
    events.extend(domain::new_phone::on_added(&state.store, &pass).await?);
    if let Err(e) = domain::devices::record(&state.store, &pass, &events).await {
        tracing::warn!(error = %e, "a registration was kept but its timeline entry was not");
    }
    Ok(if registered.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
    .into_response())
}

async fn unregister(
    State(state): State<AppState>,
    Path((device, pass_type, serial)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    let pass = authorised(&state, &headers, &pass_type, &serial).await?;
    if let Some(left) = state.store.unregister_pass_device(&device, pass.id).await? {
        let event = domain::devices::on_unregistered(left, "removed from a device");
        if let Err(e) = domain::devices::record(&state.store, &pass, &[event]).await {
            tracing::warn!(error = %e, "an unregistration was kept but its timeline entry was not");
        }
    }
    Ok(StatusCode::OK.into_response())
}

#[derive(Deserialize)]
struct Since {
    #[serde(rename = "passesUpdatedSince")]
    passes_updated_since: Option<String>,
}

async fn updated_serials(
    State(state): State<AppState>,
    Path((device, pass_type)): Path<(String, String)>,
    Query(since): Query<Since>,
) -> Answer {
    if pass_type != state.config.apple_wallet.pass_type_id {
        return Err(HttpError::not_found().into());
    }
    let since = since
        .passes_updated_since
        .and_then(|tag| tag.trim().parse::<i64>().ok());
    // The device is still there (its last seen, at most once a minute).
    if valid_device(&device) {
        state.store.device_seen(&device).await?;
    }
    let found = state.store.serials_for_device(&device, since).await?;
    if found.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let last = found.iter().map(|(_, at)| *at).max().unwrap_or_default();
    let serials: Vec<&str> = found.iter().map(|(s, _)| s.as_str()).collect();
    Ok(axum::Json(serde_json::json!({
        "serialNumbers": serials,
        "lastUpdated": last.to_string(),
    }))
    .into_response())
}

async fn latest_pass(
    State(state): State<AppState>,
    Path((pass_type, serial)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let pass = authorised(&state, &headers, &pass_type, &serial).await?;
    let modified = UNIX_EPOCH + Duration::from_secs((pass.updated_at / 1000).max(0) as u64);
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    if since.is_some_and(|since| modified <= since) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let content = domain::links::content_of(
        &state.store,
        &state.config.http.public_url,
        &state.credentials,
        &pass,
    )
    .await?
    .ok_or_else(HttpError::not_found)?;
    let mut res = state.apple.pkpass(&content)?.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(domain::wallet::apple::CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

async fn log(
    State(state): State<AppState>,
    crate::admin::ClientIp(ip): crate::admin::ClientIp,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Answer {
    #[derive(Deserialize)]
    struct Logs {
        logs: Vec<String>,
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return Ok((
                rejection.status(),
                format!("a log report is at most {} KiB", LOG_MAX_BYTES / 1024),
            )
                .into_response())
        }
    };
    let limited = state
        .store
        .hit(
            "passkit_log_ip",
            &domain::limits::address_key(&ip),
            LOGS_PER_ADDRESS,
            LOG_WINDOW_MS,
        )
        .await?;
    if let Some(wait_ms) = limited {
        let secs = ((wait_ms + 999) / 1000).max(1).to_string();
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs)],
            "too many log reports from this address; try again later",
        )
            .into_response());
    }
    let Ok(logs) = serde_json::from_slice::<Logs>(&body) else {
        return Ok((StatusCode::BAD_REQUEST, "expected {\"logs\": [\"…\"]}").into_response());
    };
    for line in logs.logs.iter().take(50) {
        let line: String = line.chars().take(500).collect();
        tracing::warn!(message = %line, "Apple Wallet reported");
    }
    Ok(StatusCode::OK.into_response())
}
