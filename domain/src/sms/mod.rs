//! Sending SMS. The journey writes a message to the outbox in the same transaction as its
//! event; a worker claims due messages and hands them to the configured sender. The embedded
//! default is the outbox-file sender (`twilio` is the real one): it appends each message to a JSON-lines file that a
//! developer (and the end-to-end tests) can read, and never pretends to reach a phone.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::sync::{watch, Mutex, Notify};

pub mod segments;
pub mod twilio;

use crate::retry::{BoxFuture, RetryPolicy};

use crate::lease::Lease;
use crate::phone::mask;
use crate::store::{now_ms, SmsAttempt, SqlSms, Store};

/// A message to send. `Debug` shows neither the number nor the text.
#[derive(Clone)]
pub struct OutgoingSms {
    pub id: i64,
    pub to: String,
    pub body: String,
    /// How long the message is worth delivering: the link's remaining life.
    pub valid_for_secs: u64,
}

impl std::fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OutgoingSms {{ id: {}, to: {} }}",
            self.id,
            mask(&self.to)
        )
    }
}

#[derive(Debug, Clone)]
pub struct SmsReceipt {
    pub provider_id: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SmsError {
    /// Worth trying again later (timeouts, rate limits, provider outages).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Will never succeed (an invalid number, a rejected message).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

pub trait SmsSender: Send + Sync {
    fn name(&self) -> &'static str;
    fn send<'a>(&'a self, msg: &'a OutgoingSms) -> BoxFuture<'a, Result<SmsReceipt, SmsError>>;

    /// Before a message taken over from another instance is sent again: whether the provider
    /// already has it (that instance stopped after the provider accepted it and before it wrote
    /// that down). `Ok(None)` when the provider does not have it, or cannot tell.
    fn find_sent<'a>(
        &'a self,
        _msg: &'a OutgoingSms,
    ) -> BoxFuture<'a, Result<Option<SmsReceipt>, SmsError>> {
        Box::pin(async { Ok(None) })
    }
}

/// The local sender: one JSON object per line in `path`.
pub struct OutboxFileSender {
    path: PathBuf,
    lock: Mutex<()>,
}

impl OutboxFileSender {
    pub fn new(path: PathBuf) -> Self {
        OutboxFileSender {
            path,
            lock: Mutex::new(()),
        }
    }
}

impl SmsSender for OutboxFileSender {
    fn name(&self) -> &'static str {
        "outbox-file"
    }

    fn send<'a>(&'a self, msg: &'a OutgoingSms) -> BoxFuture<'a, Result<SmsReceipt, SmsError>> {
        Box::pin(async move {
            let provider_id = format!("outbox-{}", msg.id);
            let line = serde_json::json!({
                "id": provider_id,
                "at": now_ms(),
                "to": msg.to,
                "body": msg.body,
            })
            .to_string();
            let _guard = self.lock.lock().await;
            if let Some(dir) = self.path.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| SmsError::Temporary(e.to_string()))?;
            }
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .await
                .map_err(|e| SmsError::Temporary(e.to_string()))?;
            file.write_all(format!("{line}\n").as_bytes())
                .await
                .map_err(|e| SmsError::Temporary(e.to_string()))?;
            // tokio's File hands writes to a background thread: flush, so the line is on disk
            // before the message counts as sent.
            file.flush()
                .await
                .map_err(|e| SmsError::Temporary(e.to_string()))?;
            tracing::info!(to = %mask(&msg.to), outbox = %self.path.display(), "SMS written to the local outbox");
            Ok(SmsReceipt { provider_id })
        })
    }

    /// A line with the message's id is already in the file.
    fn find_sent<'a>(
        &'a self,
        msg: &'a OutgoingSms,
    ) -> BoxFuture<'a, Result<Option<SmsReceipt>, SmsError>> {
        Box::pin(async move {
            let provider_id = format!("outbox-{}", msg.id);
            let _guard = self.lock.lock().await;
            let text = match tokio::fs::read_to_string(&self.path).await {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(SmsError::Temporary(e.to_string())),
            };
            let found = text.lines().any(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .is_ok_and(|v| v["id"] == provider_id.as_str())
            });
            Ok(found.then_some(SmsReceipt { provider_id }))
        })
    }
}

/// The text with its secrets masked: the link's token and the code. Kept once the text left.
pub fn masked_body(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(at) = line.find("/l/") {
            out.push_str(&line[..at + 3]);
            out.push('…');
        } else if let Some((before, _)) = line.rsplit_once(" #") {
            out.push_str(before);
            out.push_str(" #••••••");
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Sends one due message, if there is one, under this process's default lease (for tests and
/// tools; the workers use `send_one_as`). Returns whether it found one.
pub async fn send_one(
    store: &Store,
    sender: &dyn SmsSender,
    policy: RetryPolicy,
) -> Result<bool, crate::store::StoreError> {
    send_one_as(store, sender, policy, &Lease::of_this_process()).await
}

/// Claims one due message under `lease` (a queued one, or one whose sender's lease ran out)
/// and sends it. Returns whether it found one.
pub async fn send_one_as(
    store: &Store,
    sender: &dyn SmsSender,
    policy: RetryPolicy,
    lease: &Lease,
) -> Result<bool, crate::store::StoreError> {
    let Some(sms) = store.claim_due_sms(now_ms(), lease).await? else {
        return Ok(false);
    };
    send_claimed(store, sender, policy, lease, sms).await?;
    Ok(true)
}

/// The most messages one worker claims at once. A claim and each outcome are writes that queue
/// behind the submissions on SQLite's one writer: claiming one at a time, four workers sent
/// fewer texts a second than a busy morning queued.
const CLAIM: i64 = 8;

/// Claims up to `CLAIM` due messages under `lease` and sends them side by side; their outcomes
/// are written together. Returns how many it found.
pub async fn send_due_as(
    store: &Store,
    sender: &Arc<dyn SmsSender>,
    policy: RetryPolicy,
    lease: &Lease,
) -> Result<usize, crate::store::StoreError> {
    let claimed = store.claim_due_sms_many(now_ms(), lease, CLAIM).await?;
    let found = claimed.len();
    let mut sends = tokio::task::JoinSet::new();
    for sms in claimed {
        let (store, sender, lease) = (store.clone(), sender.clone(), lease.clone());
        sends
            .spawn(async move { send_claimed(&store, sender.as_ref(), policy, &lease, sms).await });
    }
    while let Some(sent) = sends.join_next().await {
        match sent {
            Ok(Err(err)) => tracing::error!(error = %err, "SMS worker: store error"),
            Err(err) => tracing::error!(error = %err, "SMS worker: a send stopped"),
            Ok(Ok(())) => {}
        }
    }
    Ok(found)
}

/// Sends one claimed message and records its outcome.
async fn send_claimed(
    store: &Store,
    sender: &dyn SmsSender,
    policy: RetryPolicy,
    lease: &Lease,
    sms: SqlSms,
) -> Result<(), crate::store::StoreError> {
    let now = now_ms();
    if let Some(from) = &sms.taken_over_from {
        crate::lease::count_takeover("sms");
        tracing::warn!(sms = sms.id, from = %from, attempt = sms.attempts,
            "took over an SMS whose sender's lease ran out (that instance stopped or stalled mid-send)");
    }
    let remaining_ms = sms.link_expires_at.unwrap_or(now + 600_000) - now;
    if remaining_ms < 1_000 {
        // The link died while the message waited: a text with a dead link helps nobody.
        let dead = SmsError::Permanent("the link expired before the text could be sent".into());
        return record(store, &sms, lease, Err(dead), policy).await;
    }
    let msg = OutgoingSms {
        id: sms.id,
        to: sms.to_e164.clone(),
        body: sms.body.clone(),
        valid_for_secs: (remaining_ms / 1000) as u64,
    };
    if sms.taken_over_from.is_some() {
        // The instance that claimed it may have stopped after the provider took it.
        match sender.find_sent(&msg).await {
            Ok(Some(receipt)) => {
                tracing::warn!(sms = sms.id, provider_id = %receipt.provider_id,
                    "a taken-over SMS was already at the provider: recorded as sent, not sent again");
                return record(store, &sms, lease, Ok(receipt), policy).await;
            }
            Ok(None) => {}
            Err(err) => return record(store, &sms, lease, Err(err), policy).await,
        }
    }
    let result = sender.send(&msg).await;
    record(store, &sms, lease, result, policy).await
}

async fn record(
    store: &Store,
    sms: &SqlSms,
    lease: &Lease,
    result: Result<SmsReceipt, SmsError>,
    policy: RetryPolicy,
) -> Result<(), crate::store::StoreError> {
    let masked = mask(&sms.to_e164);
    let outcome = match &result {
        Ok(_) => "sent",
        Err(_) => "not sent",
    };
    // A text that will not be tried again: the operator's webhooks hear of it.
    let failed_for_good = match &result {
        Err(SmsError::Temporary(_)) if sms.attempts < policy.max_attempts => None,
        Err(err) => Some(err.to_string()),
        Ok(_) => None,
    };
    let recorded = match result {
        Ok(receipt) => {
            let detail = format!("{masked} via {}", receipt.provider_id);
            store
                .finish_sms(
                    sms,
                    lease,
                    &SmsAttempt {
                        status: "sent",
                        provider_id: Some(&receipt.provider_id),
                        next_attempt_at: now_ms(),
                        event: crate::kinds::Event::SmsSent.as_str(),
                        detail: &detail,
                        ..SmsAttempt::default()
                    },
                )
                .await
                .inspect(|&mine| {
                    if mine {
                        metrics::counter!(crate::metrics::SMS_SENT).increment(1)
                    }
                })
        }
        Err(SmsError::Temporary(why)) if sms.attempts < policy.max_attempts => {
            let detail = format!("attempt {} failed, will retry: {why}", sms.attempts);
            store
                .finish_sms(
                    sms,
                    lease,
                    &SmsAttempt {
                        status: "queued",
                        error: Some(&why),
                        next_attempt_at: now_ms() + policy.delay_ms(sms.attempts),
                        event: crate::kinds::Event::SmsRetry.as_str(),
                        detail: &detail,
                        ..SmsAttempt::default()
                    },
                )
                .await
                .inspect(|&mine| {
                    if mine {
                        metrics::counter!(crate::metrics::SMS_RETRIED).increment(1)
                    }
                })
        }
        Err(err) => {
            let detail = format!("gave up after attempt {}: {err}", sms.attempts);
            store
                .finish_sms(
                    sms,
                    lease,
                    &SmsAttempt {
                        status: "failed",
                        error: Some(&err.to_string()),
                        next_attempt_at: now_ms(),
                        event: crate::kinds::Event::SmsFailed.as_str(),
                        detail: &detail,
                        ..SmsAttempt::default()
                    },
                )
                .await
                .inspect(|&mine| {
                    if mine {
                        metrics::counter!(crate::metrics::SMS_FAILED).increment(1)
                    }
                })
        }
    }?;
    if let (true, Some(why)) = (recorded, &failed_for_good) {
        let journey = store.journey(sms.journey_id).await.ok().flatten();
        crate::webhooks::emit(
            store,
            None,
            sms.operator_id,
            crate::webhooks::EventType::SmsFailed,
            serde_json::json!({
                "journey_id": journey.map(|j| j.public_id),
                "to": crate::phone::mask(&sms.to_e164),
                "attempts": sms.attempts,
                "error": why,
            }),
        )
        .await;
    }
    if !recorded {
        // Too slow: the lease ran out and another instance claimed the message. Its result
        // stands; this one is only logged.
        tracing::warn!(sms = sms.id, attempt = sms.attempts, outcome,
            "an SMS send finished after its lease ran out and another instance took it over; its result was not recorded");
    }
    Ok(())
}

/// Runs until `stop` turns true: sends due messages as soon as `wake` is notified, and checks
/// for due retries (and sends whose instance's lease ran out) every second. Nothing is re-queued
/// at start: a live instance may be sending what looks unfinished, and an expired lease is
/// simply claimable.
pub async fn run_worker(
    store: Store,
    sender: Arc<dyn SmsSender>,
    policy: RetryPolicy,
    lease: Lease,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        match send_due_as(&store, &sender, policy, &lease).await {
            Ok(found) if found > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "SMS worker: store error"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("SMS worker stopped");
}
