//! Google Wallet's save and delete callbacks at `POST /wallet/google/callback` (the pass class's
//! `callbackOptions.url`). Each body is checked as Google documents (ECv2SigningOnly: the
//! intermediate key signed by one of Google's root keys, the message signed by the intermediate
//! key for our issuer id, neither expired; `domain::wallet::callbacks`), its nonce counted once,
//! and the pass's state and timeline updated.
//!
//! Answers: 200 when the callback was taken (or was a repeat, or names an object we never
//! issued: nothing for Google to retry); 400 for a body that is not a callback Google signed;
//! 404 when no callback keys are configured; 503 when Google's keys cannot be had (Google tries
//! again).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use domain::state::AppState;
use domain::wallet::callbacks::{self, EventType};

use crate::error::Plain;

/// A callback larger than this is answered 413 without being read (Google's are under 2 KiB).
pub const CALLBACK_MAX_BYTES: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/wallet/google/callback",
        post(callback).layer(axum::extract::DefaultBodyLimit::max(CALLBACK_MAX_BYTES)),
    )
}

async fn callback(State(state): State<AppState>, body: Bytes) -> Result<Response, Plain> {
    let Some(keys) = state.google_keys.as_ref() else {
        return Ok((StatusCode::NOT_FOUND, "no Google callbacks here").into_response());
    };
    let roots = match keys.get().await {
        Ok(roots) => roots,
        Err(why) => {
            tracing::error!(%why, "Google's callback keys are not available");
            return Ok((StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response());
        }
    };
    let issuer = &state.config.google_wallet.issuer_id;
    let message = match callbacks::verify(&body, &roots, issuer, domain::store::now_ms()) {
        Ok(message) => message,
        Err(e) => {
            tracing::warn!(error = %e, "refused a Google Wallet callback");
            return Ok((StatusCode::BAD_REQUEST, e.to_string()).into_response());
        }
    };
    let serial = message
        .object_id
        .strip_prefix(issuer.as_str())
        .and_then(|rest| rest.strip_prefix('.'));
    let pass = match serial {
        Some(serial) => state.store.google_pass_by_serial(serial).await?,
        None => None,
    };
    let Some(pass) = pass else {
        tracing::warn!(object = %message.object_id, "a Google callback for an object we did not issue");
        return Ok((StatusCode::OK, "unknown object").into_response());
    };
    let saved = message.event_type == EventType::Save;
    let now = domain::store::now_ms();
    if !state
        .store
        .record_google_callback(&message.nonce, pass.id, saved, now)
        .await?
    {
        return Ok((StatusCode::OK, "already seen").into_response());
    }
    let event = if saved {
        domain::kinds::Event::GooglePassSaved
    } else {
        domain::kinds::Event::GooglePassDeleted
    };
    let detail = if saved {
        "Google says it is in a wallet"
    } else {
        "Google says it was deleted from a wallet"
    };
    let mut events = vec![(event, detail.to_owned())];
    if saved {
        // A new phone's pass, now in the member's wallet: it replaces the previous one.
        events.extend(domain::new_phone::on_added(&state.store, &pass).await?);
    }
    if let Err(e) = domain::devices::record(&state.store, &pass, &events).await {
        tracing::warn!(error = %e, "a Google callback was kept but its timeline entry was not");
    }
    Ok((StatusCode::OK, "ok").into_response())
}
