//! Outgoing webhooks: an operator's systems hear what happens (a pass issued, a number not found,
//! a text that failed, a member synced) without anyone watching the dashboard. Messages follow
//! the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
//! HMAC-SHA256 of `id.timestamp.body`), wait in a durable queue claimed under a lease like the
//! SMS outbox, are tried again on Standard Webhooks' schedule for about a day, and an endpoint
//! that fails all that time is disabled with a notice in the dashboard. A URL is checked when it
//! is saved and again before every attempt: https in production, and never an address on the
//! host's own networks (loopback, private, link-local) unless the operator allows it; the
//! connection goes to the addresses that were checked, so a DNS answer cannot change in between.

pub mod attempts;
pub mod destination;
pub mod events;
pub mod sign;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};

pub use events::EventType;

use crate::config::Environment;
use crate::lease::Lease;
use crate::staff::Session;
use crate::state::AppState;
use crate::store::{DeliveryOutcome, SqlDue, Store, StoreError};

/// Queues `event` for every live endpoint of the operator subscribed to it (the worker looks
/// every second; `wake` sooner). Never fails the caller's own work: a queue that cannot be
/// written is logged.
pub async fn emit(
    store: &Store,
    wake: Option<&Notify>,
    operator_id: i64,
    event: EventType,
    data: serde_json::Value,
) {
    let body = events::envelope(event, crate::store::now_ms(), data);
    match store
        .enqueue_webhook(operator_id, event.as_str(), &body, &sign::new_message_id())
        .await
    {
        Ok(0) => {}
        Ok(_) => {
            if let Some(wake) = wake {
                wake.notify_one();
            }
        }
        Err(err) => tracing::warn!(error = %err, event = %event, "could not queue a webhook"),
    }
}

/// The HTTP client for deliveries: no redirects followed (a receiver's redirect could point
/// anywhere), a timeout per attempt, connections pinned per request to the checked addresses.
fn client_for(dest: &destination::Destination) -> reqwest::Result<reqwest::Client> {
    // No proxy: a proxy would look the host up itself, past the addresses checked here.
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(attempts::TIMEOUT_MS as u64))
        .user_agent("elumo-pass-webhooks");
    if let Some(domain) = &dest.domain {
        b = b.resolve_to_addrs(domain, &dest.addrs);
    }
    b.build()
}

/// One attempt of a claimed delivery: the destination checked again, the message signed now
/// and sent.
async fn attempt(due: &SqlDue, production: bool) -> (attempts::Answer, i64) {
    let started = Instant::now();
    let elapsed = |s: Instant| s.elapsed().as_millis() as i64;
    let dest = match destination::check_destination(&due.url, production, due.allow_private).await {
        Ok(d) => d,
        Err(p) if p.is_temporary() => return (attempts::Answer::NotYet(p.to_string()), 0),
        Err(p) => return (attempts::Answer::Refused(p.to_string()), 0),
    };
    let timestamp = crate::store::now_ms() / 1000;
    let signature = match sign::sign(
        &due.secret,
        &due.message_id,
        timestamp,
        due.payload.as_bytes(),
    ) {
        Ok(s) => s,
        Err(e) => return (attempts::Answer::Refused(e.to_string()), 0),
    };
    let client = match client_for(&dest) {
        Ok(c) => c,
        Err(e) => return (attempts::Answer::NoAnswer(e.to_string()), 0),
    };
    let sent = client
        .post(dest.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &due.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(due.payload.clone())
        .send()
        .await;
    match sent {
        Ok(mut res) => {
            let code = res.status().as_u16();
            // The start of the answer, for the log: a receiver cannot make us read more.
            let mut head = Vec::new();
            while head.len() < 1024 {
                match res.chunk().await {
                    Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            head.truncate(1024);
            let body: String = String::from_utf8_lossy(&head).chars().take(500).collect();
            (attempts::Answer::Status { code, body }, elapsed(started))
        }
        Err(e) => {
            let why = if e.is_timeout() {
                format!("no answer within {} s", attempts::TIMEOUT_MS / 1000)
            } else {
                format!("could not connect: {e}")
            };
            (attempts::Answer::NoAnswer(why), elapsed(started))
        }
    }
}

/// Sends what is due under `lease` at `now`; how many deliveries were attempted.
pub async fn deliver_due_as(
    store: &Store,
    production: bool,
    lease: &Lease,
    now: i64,
) -> Result<usize, StoreError> {
    let due = store.claim_due_webhooks(now, lease, 16).await?;
    let n = due.len();
    let runs = due.into_iter().map(|d| async move {
        let (answer, latency) = attempt(&d, production).await;
        let status_code = match &answer {
            attempts::Answer::Status { code, .. } => Some(i64::from(*code)),
            _ => None,
        };
        let at = crate::store::now_ms();
        let decision = attempts::decide(d.attempts, &answer, at);
        let (status, next, error, disable) = match &decision {
            attempts::Decision::Delivered => ("delivered", at, None, None),
            attempts::Decision::RetryAt { at: next, error } => {
                ("queued", *next, Some(error.as_str()), None)
            }
            attempts::Decision::GiveUp { error } => {
                // Out of attempts after a day of failures: the endpoint is switched off. A
                // refused destination fails this message only.
                let failing_for = at - d.failing_since.unwrap_or(at);
                let disable = (!matches!(answer, attempts::Answer::Refused(_))
                    && failing_for.max(at - d.created_at) >= attempts::DISABLE_AFTER_MS)
                    .then_some(attempts::DISABLED_REASON);
                ("failed", at, Some(error.as_str()), disable)
            }
        };
        let outcome = DeliveryOutcome {
            status,
            next_attempt_at: next,
            status_code,
            latency_ms: matches!(
                answer,
                attempts::Answer::Status { .. } | attempts::Answer::NoAnswer(_)
            )
            .then_some(latency),
            error,
            disable_endpoint: disable,
        };
        if let Err(err) = store.finish_webhook(&d, lease, &outcome).await {
            tracing::warn!(error = %err, delivery = d.id, "could not record a webhook attempt");
        }
        if disable.is_some() {
            tracing::warn!(
                endpoint = d.endpoint_id,
                "webhook endpoint disabled after a day of failures"
            );
        }
    });
    futures_join_all(runs).await;
    Ok(n)
}

/// Runs the futures side by side (the deliveries of one claim).
async fn futures_join_all<F: std::future::Future<Output = ()>>(runs: impl IntoIterator<Item = F>) {
    let mut set = Vec::new();
    for r in runs {
        set.push(r);
    }
    // A handful at a time: each is bounded by the attempt's timeout.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = set.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        pinned.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pinned.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

/// The worker: delivers what is due, then waits for a wake, a second, or the stop.
pub async fn run_worker(
    store: Store,
    production: bool,
    lease: Lease,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        match deliver_due_as(&store, production, &lease, crate::store::now_ms()).await {
            Ok(found) if found > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "webhook worker: store error"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("webhook worker stopped");
}

/// Whether this server runs in production (https only for webhook URLs).
pub fn production(state: &AppState) -> bool {
    state.config.env == Environment::Production
}

// ---- the dashboard ----

/// A new endpoint: its id and its signing secret, shown once.
pub struct NewEndpoint {
    pub id: i64,
    pub secret: String,
}

/// Adds an endpoint (admins): the URL checked as the worker will check it, at least one event.
/// `Err(words)` tells the admin what to change.
pub async fn add_endpoint(
    state: &AppState,
    s: &Session,
    url: &str,
    description: &str,
    chosen: &[&str],
    ip: &str,
) -> Result<Result<NewEndpoint, String>, StoreError> {
    let store = &state.store;
    let events = match events::parse_events(chosen.iter().copied()) {
        Ok(e) if !e.is_empty() => e,
        Ok(_) => return Ok(Err("Choose at least one event to send.".into())),
        Err(unknown) => return Ok(Err(format!("There is no event called {unknown}."))),
    };
    let allow_private = store.webhooks_allow_private(s.operator_id).await?;
    if let Err(problem) =
        destination::check_destination(url, production(state), allow_private).await
    {
        let mut words = problem.to_string();
        if let Some(first) = words.get(..1) {
            words = format!("{}{}.", first.to_uppercase(), &words[1..]);
        }
        return Ok(Err(words));
    }
    let description: String = description.trim().chars().take(200).collect();
    let secret = sign::new_secret();
    let id = store
        .insert_endpoint(
            s.operator_id,
            url.trim(),
            &description,
            &events::join_events(&events),
            secret.expose(),
        )
        .await?;
    s.audit(
        state,
        "webhook_added",
        &format!("webhook {id}"),
        &format!("{} ({})", url.trim(), events::join_events(&events)),
        ip,
    )
    .await?;
    Ok(Ok(NewEndpoint {
        id,
        secret: secret.expose().to_owned(),
    }))
}

/// Switches one of the operator's endpoints on or off, or deletes it; `None` when not theirs.
pub async fn change_endpoint(
    state: &AppState,
    s: &Session,
    id: i64,
    action: &str,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let store = &state.store;
    if store.endpoint(s.operator_id, id).await?.is_none() {
        return Ok(None);
    }
    let code = match action {
        "enable" => {
            store
                .set_endpoint_enabled(s.operator_id, id, true, "")
                .await?;
            "webhook-enabled"
        }
        "disable" => {
            let why = format!("switched off by {}", s.email);
            store
                .set_endpoint_enabled(s.operator_id, id, false, &why)
                .await?;
            "webhook-disabled"
        }
        "delete" => {
            store.delete_endpoint(s.operator_id, id).await?;
            "webhook-deleted"
        }
        _ => return Ok(Some("webhook-bad")),
    };
    s.audit(
        state,
        &format!("webhook_{action}d"),
        &format!("webhook {id}"),
        "",
        ip,
    )
    .await?;
    Ok(Some(code))
}

/// "Send again" of one delivery of the operator's: a new message with the same body, due now.
pub async fn send_again(
    state: &AppState,
    s: &Session,
    delivery_id: i64,
    ip: &str,
) -> Result<Option<i64>, StoreError> {
    let Some(new) = state
        .store
        .send_webhook_again(s.operator_id, delivery_id, &sign::new_message_id())
        .await?
    else {
        return Ok(None);
    };
    state.webhooks_wake.notify_one();
    s.audit(
        state,
        "webhook_resent",
        &format!("delivery {delivery_id}"),
        &format!("as delivery {new}"),
        ip,
    )
    .await?;
    Ok(Some(new))
}
