//! Pushes to Apple Wallet: when a pass changes (a new credential, a void), every device that
//! registered for it gets an empty push on the pass type's topic over HTTP/2, and then asks the
//! PassKit web service for the latest version. Due pushes live in the database (a pass's
//! `push_due_at`), so a restart loses none; failures are tried again with back-off.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::{Config, Environment};
use crate::lease::Lease;
use crate::retry::BoxFuture;
use crate::store::{now_ms, DuePush, Store, StoreError};
use crate::wallet::apple::AppleWallet;
use crate::wallet::google::GoogleWallet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Delivered,
    /// The device token is no longer valid (410, or 400 BadDeviceToken): forget the device.
    Gone,
    /// Worth trying again later: a timeout, 429, 5xx.
    Retry(String),
    /// APNs refused the push for good (a wrong topic or certificate): logged, not retried.
    Refused(String),
}

impl PushOutcome {
    /// The outcome as the pushes metric labels it.
    pub fn as_str(&self) -> &'static str {
        match self {
            PushOutcome::Delivered => "delivered",
            PushOutcome::Gone => "gone",
            PushOutcome::Retry(_) => "retry",
            PushOutcome::Refused(_) => "refused",
        }
    }
}

pub trait PushSender: Send + Sync {
    fn name(&self) -> &'static str;
    fn push<'a>(&'a self, device_token: &'a str) -> BoxFuture<'a, PushOutcome>;
}

/// The local sender: one JSON line per push in a file, so development shows what would go out.
pub struct OutboxPush {
    path: PathBuf,
    topic: String,
    lock: Mutex<()>,
}

impl PushSender for OutboxPush {
    fn name(&self) -> &'static str {
        "outbox file"
    }

    fn push<'a>(&'a self, device_token: &'a str) -> BoxFuture<'a, PushOutcome> {
        Box::pin(async move {
            use std::io::Write as _;
            let line = serde_json::json!({
                "at": now_ms(), "topic": self.topic, "device_token": device_token, "payload": {},
            });
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .and_then(|mut f| {
                    writeln!(f, "{line}")?;
                    f.flush()
                });
            match written {
                Ok(()) => PushOutcome::Delivered,
                Err(e) => PushOutcome::Retry(format!("could not write the push outbox: {e}")),
            }
        })
    }
}

enum Auth {
    /// A provider token: an ES256 JWT from the `.p8` key, renewed every 50 minutes.
    Token {
        key: jsonwebtoken::EncodingKey,
        key_id: String,
        team_id: String,
        cached: Mutex<Option<(String, i64)>>,
    },
    /// The Pass Type ID certificate as the TLS client identity.
    Certificate,
}

/// APNs over HTTP/2 (`POST {base}/3/device/{token}`, `apns-topic` = the pass type identifier).
pub struct Apns {
    client: reqwest::Client,
    base_url: String,
    topic: String,
    auth: Auth,
}

impl Apns {
    pub fn new(config: &Config, apple: &AppleWallet, base_url: &str) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let a = &config.apple_wallet;
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5));
        if base_url.starts_with("http://") {
            // Plain HTTP/2 (h2c) for a loopback stand-in; APNs itself is HTTPS with ALPN.
            builder = builder.http2_prior_knowledge();
        }
        let auth = match (&a.apns_key_file, &a.apns_key_id) {
            (Some(file), Some(key_id)) => {
                let pem = std::fs::read(file)
                    .with_context(|| format!("could not read ELUMO_APNS_KEY {}", file.display()))?;
                let key = jsonwebtoken::EncodingKey::from_ec_pem(&pem)
                    .context("ELUMO_APNS_KEY is not an APNs .p8 (EC P-256) key")?;
                Auth::Token {
                    key,
                    key_id: key_id.clone(),
                    team_id: a.team_id.clone(),
                    cached: Mutex::new(None),
                }
            }
            (Some(_), None) | (None, Some(_)) => {
                anyhow::bail!(
                    "APNs token authentication needs both ELUMO_APNS_KEY and ELUMO_APNS_KEY_ID"
                )
            }
            (None, None) => {
                let m = &apple.material;
                let key = m.pass_key.private_key_to_pem_pkcs8()?;
                let identity = reqwest::Identity::from_pkcs8_pem(&m.pass_cert.to_pem()?, &key)
                    .context(
                        "the Pass Type ID certificate cannot be used as an APNs client identity",
                    )?;
                builder = builder.identity(identity);
                Auth::Certificate
            }
        };
        Ok(Apns {
            client: builder
                .build()
                .context("could not set up the APNs client")?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            topic: a.pass_type_id.clone(),
            auth,
        })
    }

    fn bearer(&self) -> Option<String> {
        let Auth::Token {
            key,
            key_id,
            team_id,
            cached,
        } = &self.auth
        else {
            return None;
        };
        let now = now_ms() / 1000;
        let mut cached = cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((token, at)) = cached.as_ref() {
            if now - at < 50 * 60 {
                return Some(token.clone());
            }
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(key_id.clone());
        let claims = serde_json::json!({ "iss": team_id, "iat": now });
        let token = jsonwebtoken::encode(&header, &claims, key).ok()?;
        *cached = Some((token.clone(), now));
        Some(token)
    }
}

impl PushSender for Apns {
    fn name(&self) -> &'static str {
        "APNs"
    }

    fn push<'a>(&'a self, device_token: &'a str) -> BoxFuture<'a, PushOutcome> {
        Box::pin(async move {
            if device_token.is_empty() || !device_token.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return PushOutcome::Gone;
            }
            let mut req = self
                .client
                .post(format!("{}/3/device/{device_token}", self.base_url))
                .header("apns-topic", &self.topic)
                .header("content-type", "application/json")
                .body("{}");
            if let Some(bearer) = self.bearer() {
                req = req.header("authorization", format!("bearer {bearer}"));
            }
            let res = match req.send().await {
                Ok(res) => res,
                Err(e) if e.is_timeout() => return PushOutcome::Retry("timed out".into()),
                Err(_) => return PushOutcome::Retry("could not reach APNs".into()),
            };
            let status = res.status().as_u16();
            let reason = res
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["reason"].as_str().map(str::to_owned))
                .unwrap_or_default();
            match status {
                200 => PushOutcome::Delivered,
                410 => PushOutcome::Gone,
                400 if reason == "BadDeviceToken" => PushOutcome::Gone,
                429 | 500..=599 => PushOutcome::Retry(format!("HTTP {status} {reason}")),
                _ => PushOutcome::Refused(format!("HTTP {status} {reason}")),
            }
        })
    }
}

/// The configured sender: APNs when a base URL is set (always in production), else the local
/// outbox file.
pub fn sender(config: &Config, apple: &AppleWallet) -> anyhow::Result<Arc<dyn PushSender>> {
    match &config.apple_wallet.apns_base_url {
        Some(base) => Ok(Arc::new(Apns::new(config, apple, base)?)),
        None => {
            debug_assert!(config.env != Environment::Production);
            Ok(Arc::new(OutboxPush {
                path: config.journey.data_dir.join("apns-outbox.jsonl"),
                topic: config.apple_wallet.pass_type_id.clone(),
                lock: Mutex::new(()),
            }))
        }
    }
}

const MAX_ROUNDS: i64 = 12;

/// Who hears of changed passes: Apple devices through APNs, Google through its REST API.
pub struct Updates<'a> {
    pub store: &'a Store,
    pub apple: &'a dyn PushSender,
    pub google: &'a GoogleWallet,
    pub public_url: &'a str,
    pub signer: &'a crate::credentials::CredentialSigner,
    /// This instance's claim on a due push, so two instances never push the same change at once.
    pub lease: &'a Lease,
}

/// Google's copy of the pass, brought up to date (its state INACTIVE once voided).
async fn update_google(u: &Updates<'_>, pass_id: i64) -> Result<Option<String>, StoreError> {
    let Some(rest) = &u.google.rest else {
        // Passes saved from a self-contained link cannot be changed without the REST API.
        return Ok(None);
    };
    let Some(pass) = u.store.wallet_pass(pass_id).await? else {
        return Ok(None);
    };
    let Some(content) = crate::links::content_of(u.store, u.public_url, u.signer, &pass).await?
    else {
        return Ok(None);
    };
    Ok(rest
        .upsert(
            &u.google.class_json(&content),
            &u.google.object_json(&content),
        )
        .await
        .err()
        .map(|e| e.to_string()))
}

/// How long an instance's claim on one pass's push round lasts; renewed between devices once
/// half of it is gone (each device can take the APNs timeout, 10 s).
pub const PUSH_LEASE_MS: i64 = 60_000;

/// This instance's lease on a push round.
pub fn lease(instance: &str) -> Lease {
    Lease::new(instance, PUSH_LEASE_MS)
}

/// The passes one call handles at most (the worker comes back for the rest).
const PER_CALL: usize = 50;

/// Tells wallets about what is due once: claims each due pass (under `u.lease`), pushes and
/// records the round. Returns how many passes were handled.
pub async fn push_due(u: &Updates<'_>) -> Result<usize, StoreError> {
    let mut handled = 0;
    while handled < PER_CALL {
        let Some(push) = u.store.claim_due_push(now_ms(), u.lease).await? else {
            break;
        };
        handled += 1;
        if let Some(from) = &push.taken_over_from {
            crate::lease::count_takeover("push");
            tracing::warn!(serial = %short(&push.serial), from = %from,
                "took over a push whose instance's lease ran out");
        }
        push_one(u, &push).await?;
    }
    Ok(handled)
}

async fn push_one(u: &Updates<'_>, push: &DuePush) -> Result<(), StoreError> {
    let store = u.store;
    let sender = u.apple;
    let mut renewed_at = now_ms();
    let mut retry = None;
    let mut delivered = 0;
    if push.platform == "google" {
        match update_google(u, push.pass_id).await? {
            None if u.google.rest.is_some() => {
                crate::metrics::push("google", "delivered");
                delivered += 1;
            }
            None => {}
            Some(why) => {
                crate::metrics::push("google", "retry");
                retry = Some(why);
            }
        }
    }
    for (device_id, token) in &push.devices {
        if now_ms() - renewed_at > u.lease.ttl_ms / 2 {
            renewed_at = now_ms();
            if !store
                .renew_push_lease(push.pass_id, renewed_at, u.lease)
                .await?
            {
                tracing::warn!(serial = %short(&push.serial), "another instance took this push over; stopping");
                return Ok(());
            }
        }
        let outcome = sender.push(token).await;
        crate::metrics::push("apple", outcome.as_str());
        match outcome {
            PushOutcome::Delivered => delivered += 1,
            PushOutcome::Gone => {
                tracing::info!(serial = %short(&push.serial), "a device left; it gets no more updates");
                for pass_id in store.forget_pass_device(*device_id).await? {
                    if let Some(pass) = store.wallet_pass(pass_id).await? {
                        let left = store.pass_device_count(pass_id).await?;
                        let event = crate::devices::on_unregistered(
                            left,
                            "APNs says a device no longer takes its updates",
                        );
                        crate::devices::record(store, &pass, &[event]).await?;
                    }
                }
            }
            PushOutcome::Retry(why) => retry = Some(why),
            PushOutcome::Refused(why) => {
                tracing::error!(serial = %short(&push.serial), %why, "APNs refused a push");
            }
        }
    }
    let next = match retry {
        Some(why) if push.attempts + 1 < MAX_ROUNDS => {
            let wait = crate::retry::RetryPolicy {
                max_attempts: MAX_ROUNDS,
                base_delay_ms: 2_000,
            }
            .delay_ms(push.attempts + 1);
            tracing::warn!(serial = %short(&push.serial), %why, wait_ms = wait, "a push failed; trying again");
            Some(now_ms() + wait)
        }
        _ => None,
    };
    if !store.finish_push(push, u.lease, next).await? {
        tracing::warn!(serial = %short(&push.serial),
            "a push round finished after its lease ran out and another instance took it over; its result was not recorded");
    }
    if delivered > 0 {
        note_on_journey(store, push, delivered).await?;
    }
    Ok(())
}

async fn note_on_journey(store: &Store, push: &DuePush, devices: usize) -> Result<(), StoreError> {
    let Some(pass) = store.wallet_pass(push.pass_id).await? else {
        return Ok(());
    };
    if let Some(journey) = store.latest_journey_for_member(pass.member_id).await? {
        let detail = if pass.platform == "google" {
            "through the Google Wallet API".to_owned()
        } else {
            format!("pushed to {devices} device(s)")
        };
        store
            .append_event(
                journey,
                None,
                crate::kinds::Event::pass_changed(&pass.platform, pass.voided_at.is_some())
                    .as_str(),
                &detail,
            )
            .await?;
    }
    Ok(())
}

/// The first characters of a serial: enough to find it, not enough to use it.
fn short(serial: &str) -> String {
    serial.chars().take(6).collect()
}

/// Pushes until `stop` turns true, checking every `tick` or when woken.
pub async fn run_push_worker(
    state: crate::state::AppState,
    sender: Arc<dyn PushSender>,
    wake: Arc<tokio::sync::Notify>,
    tick: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let lease = lease(state.instance);
    let updates = Updates {
        lease: &lease,
        store: &state.store,
        apple: sender.as_ref(),
        google: &state.google,
        public_url: &state.config.http.public_url,
        signer: &state.credentials,
    };
    loop {
        if let Err(err) = push_due(&updates).await {
            tracing::warn!(error = %err, "the push worker could not read the database");
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = wake.notified() => {}
            _ = stop.changed() => return,
        }
    }
}
