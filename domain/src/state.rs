//! The one state every handler and server function reaches: configuration, the store and the
//! services (SMS sender, wallets) as trait objects or shared values.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos_config::LeptosOptions;
use tokio::sync::Notify;

use crate::config::{Config, SmsProvider};
use crate::retry::RetryPolicy;
use crate::sms::twilio::TwilioSender;
use crate::sms::{OutboxFileSender, SmsSender};
use crate::store::Store;
use crate::wallet::apple::AppleWallet;
use crate::wallet::certs::{self, PassIdentity};
use crate::wallet::google::GoogleWallet;
use crate::wallet::WalletError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub leptos_options: LeptosOptions,
    pub sms: Arc<dyn SmsSender>,
    /// Wakes the SMS worker when a message is queued.
    pub sms_wake: Arc<Notify>,
    /// Wakes the webhook worker when a message is queued.
    #[from_ref(skip)]
    pub webhooks_wake: Arc<Notify>,
    pub apple: Arc<AppleWallet>,
    pub google: Arc<GoogleWallet>,
    /// Email for member invites: SMTP, or the local `.eml` outbox.
    pub mailer: Arc<crate::mail::Mailer>,
    /// Signs credential tokens for operators whose readers verify them offline.
    pub credentials: Arc<crate::credentials::CredentialSigner>,
    /// Invite opens not yet written (a GET writes nothing; a task writes them every few seconds).
    pub opens: Arc<crate::journeys::OpenCounter>,
    /// This process's id (`lease::instance_id`): who holds the leases on shared work.
    pub instance: &'static str,
    /// Google's root keys for its save and delete callbacks, when they are configured.
    pub google_keys: Option<Arc<crate::devices::GoogleKeys>>,
}

impl AppState {
    /// The state with the configured backends; locally, the outbox-file SMS sender and
    /// development signing material generated on first use.
    pub fn build(config: Config, store: Store) -> Result<AppState, WalletError> {
        let apple = apple_wallet(&config)?;
        let google = GoogleWallet::new(
            config.google_wallet.issuer_id.clone(),
            config.google_wallet.service_account_email.clone(),
            &certs::google_key(
                config.google_wallet.key_file.as_deref(),
                &config.journey.data_dir,
            )?,
        )?;
        let g = &config.google_wallet;
        let mut google = if g.rest {
            google.with_rest(&g.api_base_url, &g.token_url)?
        } else {
            google
        };
        google.redemption_issuers = g.redemption_issuers.clone();
        // Google calls back only over https, and only when we can check what it sends.
        if g.callback_keys.is_some() && config.http.public_url.starts_with("https://") {
            google.callback_url = Some(format!(
                "{}{}",
                config.http.public_url,
                crate::wallet::google::CALLBACK_PATH
            ));
        }
        let google_keys = g
            .callback_keys
            .as_deref()
            .map(|source| Arc::new(crate::devices::GoogleKeys::new(source)));
        let credentials = crate::credentials::CredentialSigner::load_or_create(
            &config.journey.credential_key_file,
        )
        .map_err(|e| WalletError::Config(format!("ELUMO_CREDENTIAL_KEY: {e}")))?;
        let sms: Arc<dyn SmsSender> = match (&config.sms.provider, &config.sms.twilio) {
            (SmsProvider::Twilio, Some(twilio)) => Arc::new(
                TwilioSender::new(twilio.clone(), &config.http.public_url)
                    .map_err(WalletError::Config)?,
            ),
            _ => Arc::new(OutboxFileSender::new(config.sms.outbox_file.clone())),
        };
        let mailer = crate::mail::Mailer::new(&config.mail)
            .map_err(|e| WalletError::Config(e.to_string()))?;
        Ok(AppState {
            google_keys,
            opens: Arc::default(),
            instance: crate::lease::instance_id(),
            mailer: Arc::new(mailer),
            credentials: Arc::new(credentials),
            leptos_options: Self::leptos_options(&config),
            config: Arc::new(config),
            store,
            sms,
            sms_wake: Arc::new(Notify::new()),
            webhooks_wake: Arc::new(Notify::new()),
            apple: Arc::new(apple),
            google: Arc::new(google),
        })
    }

    /// Waits out the rest of the answer-time floor begun at `started`, so answers that did
    /// different work (a match, a miss, strict mode's stand-in) take the same time.
    pub async fn answer_floor(&self, started: std::time::Instant) {
        let floor = std::time::Duration::from_millis(self.config.limits.answer_floor_ms);
        if let Some(rest) = floor.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }

    /// This instance's lease on a text it sends.
    pub fn sms_lease(&self) -> crate::lease::Lease {
        crate::lease::Lease::new(self.instance, self.config.sms.lease_secs as i64 * 1_000)
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.config.sms.max_attempts as i64,
            base_delay_ms: 2_000,
        }
    }

    /// Leptos options built from our configuration, so the binary runs the same whether or not
    /// cargo-leptos started it.
    pub fn leptos_options(config: &Config) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("elumo-pass")
            .site_root(config.http.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.http.listen)
            .reload_port(3001)
            .build()
    }
}

fn apple_wallet(config: &Config) -> Result<AppleWallet, WalletError> {
    let a = &config.apple_wallet;
    let material = match (&a.cert_file, &a.key_file, &a.p12_file, &a.wwdr_file) {
        (Some(cert), Some(key), None, Some(wwdr)) => certs::load_apple(
            PassIdentity::Pem { cert, key },
            wwdr,
            &a.pass_type_id,
            &a.team_id,
            None,
        )?,
        (None, None, Some(bundle), Some(wwdr)) => certs::load_apple(
            PassIdentity::Pkcs12 {
                bundle,
                password: a.p12_password.as_ref().map_or("", |p| p.expose()),
            },
            wwdr,
            &a.pass_type_id,
            &a.team_id,
            None,
        )?,
        (None, None, None, None) => {
            let dev = certs::ensure_dev_apple_chain(&config.journey.data_dir, &a.pass_type_id, &a.team_id)?;
            certs::load_apple(
                PassIdentity::Pem { cert: &dev.pass_cert, key: &dev.pass_key },
                &dev.wwdr_cert,
                &a.pass_type_id,
                &a.team_id,
                Some(dev.root_cert),
            )?
        }
        _ => {
            return Err(WalletError::Config(
                "set ELUMO_APPLE_WWDR with either ELUMO_APPLE_CERT and ELUMO_APPLE_KEY (PEM) or \
                 ELUMO_APPLE_P12 (and ELUMO_APPLE_P12_PASSWORD); or none of them for development certificates"
                    .into(),
            ))
        }
    };
    for warning in &material.warnings {
        tracing::warn!("Apple Wallet: {warning}");
    }
    tracing::info!(
        pass_type = %a.pass_type_id,
        team = %a.team_id,
        valid_until = %material.pass_cert.not_after(),
        wwdr = %material.wwdr_generation,
        "Apple Wallet signing certificate loaded"
    );
    if let Some(key) = &a.nfc_public_key {
        check_nfc_key(key)?;
    }
    Ok(AppleWallet {
        nfc_public_key: a.nfc_public_key.clone(),
        pass_type_id: a.pass_type_id.clone(),
        team_id: a.team_id.clone(),
        material,
    })
}

/// Apple's NFC `encryptionPublicKey`: a base64 DER public key on P-256.
fn check_nfc_key(key: &str) -> Result<(), WalletError> {
    use base64::Engine as _;
    let bad = |why: &str| {
        WalletError::Config(format!(
            "ELUMO_APPLE_NFC_PUBLIC_KEY {why}; it is the reader's ECDH P-256 public key as base64 DER"
        ))
    };
    let der = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .map_err(|_| bad("is not base64"))?;
    let pkey =
        openssl::pkey::PKey::public_key_from_der(&der).map_err(|_| bad("is not a public key"))?;
    let curve = pkey.ec_key().ok().and_then(|ec| ec.group().curve_name());
    if curve != Some(openssl::nid::Nid::X9_62_PRIME256V1) {
        return Err(bad("is not on P-256"));
    }
    Ok(())
}
