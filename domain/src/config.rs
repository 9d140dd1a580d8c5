//! Configuration from the environment, one struct per concern. Every variable is listed in the
//! README's table with its default; the defaults are safe for a local run.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {why}")]
    Invalid { name: &'static str, why: String },
    /// Everything production still needs, so one start names every variable to set.
    #[error("ELUMO_ENV=production cannot start:\n  - {}", .0.join("\n  - "))]
    Production(Vec<String>),
}

/// The identifiers of the development signing material: production refuses them.
pub const DEV_APPLE_PASS_TYPE_ID: &str = "pass.dev.elumo.pass";
pub const DEV_APPLE_TEAM_ID: &str = "ELUMODEV01";
pub const DEV_GOOGLE_ISSUER_ID: &str = "3388000000022000000";
pub const DEV_GOOGLE_SERVICE_ACCOUNT: &str = "elumo-dev@elumo-pass-dev.iam.gserviceaccount.com";

/// A value that must never reach a log: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub http: HttpConfig,
    pub db: DbConfig,
    pub journey: JourneyConfig,
    pub sms: SmsConfig,
    pub limits: LimitsConfig,
    pub apple_wallet: AppleWalletConfig,
    pub google_wallet: GoogleWalletConfig,
    pub demo: DemoConfig,
    pub mail: MailConfig,
    pub admin: AdminConfig,
    pub metrics: MetricsConfig,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where the server listens. Loopback unless configured wider.
    pub listen: SocketAddr,
    /// Every link the product hands out is built from this, never from a request's Host header.
    pub public_url: String,
    /// The compiled site (HTML shell assets, WASM, CSS) that cargo-leptos produces.
    pub site_root: PathBuf,
    pub request_timeout_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (their own address is not the
    /// client's). Empty: the connection's address is the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `sqlite://…` (the embedded default) or `postgres://…`. May hold a password.
    pub url: Secret,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct JourneyConfig {
    /// Where local state lives: the SQLite file, development certificates, outboxes.
    pub data_dir: PathBuf,
    /// How long the SMS link works, in seconds (at most an hour).
    pub link_ttl_secs: u64,
    /// The Ed25519 key of signed credential tokens (PEM); generated on first run when missing.
    pub credential_key_file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct SmsConfig {
    /// Which sender delivers texts.
    pub provider: SmsProvider,
    /// The local outbox file the development sender appends to.
    pub outbox_file: PathBuf,
    pub max_attempts: u64,
    /// Texts sent at the same time (each waits for the provider's answer).
    pub workers: usize,
    /// How long an instance's claim on a text lasts before another instance may take the send
    /// over. Longer than the provider's HTTP timeout, so a live send is never taken over.
    pub lease_secs: u64,
    pub twilio: Option<TwilioConfig>,
}

/// Abuse limits. Each is a count per window; they live in the database, so they hold across
/// server instances. The operator's hourly SMS budget and allowed countries are per operator.
#[derive(Debug, Clone, Copy)]
pub struct LimitsConfig {
    pub sms_per_number_per_minute: i64,
    pub sms_per_number_per_day: i64,
    pub submissions_per_ip_per_10_minutes: i64,
    /// Every submission from one address, a member's included: a building's members behind one
    /// address fit, and one address cannot spend a poster's ceiling.
    pub submissions_per_ip_all_per_10_minutes: i64,
    pub submissions_per_invite_per_hour: i64,
    /// A poster (one invite for a whole building) has only this ceiling: sized for a 9 a.m. rush.
    pub submissions_per_poster_per_hour: i64,
    /// Found and not-found answers take at least this long, so timing does not tell them apart.
    pub answer_floor_ms: u64,
    /// REST API requests one key may make per minute.
    pub api_requests_per_key_per_minute: i64,
    /// How old an event must be before the API's events feed lists it (see
    /// `Store::event_page`): a feed read at once never skips an event committed a moment late.
    pub api_events_settle_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsProvider {
    /// The local outbox file: for development and tests; refused in production.
    Outbox,
    /// Twilio's Messages API, or a provider that speaks it.
    Twilio,
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: Secret,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone)]
pub struct AppleWalletConfig {
    /// Must equal the certificate's UID.
    pub pass_type_id: String,
    /// Must equal the certificate's OU.
    pub team_id: String,
    /// PEM files. When all are unset, a development chain is generated under `<data>/certs`.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub wwdr_file: Option<PathBuf>,
    /// Or a PKCS#12 bundle (a Keychain export) holding the certificate and key, and its password.
    pub p12_file: Option<PathBuf>,
    pub p12_password: Option<Secret>,
    /// Where pass updates are pushed (HTTP/2). Unset: Apple's production APNs in production, a
    /// local outbox file (`<data>/apns-outbox.jsonl`) in development.
    pub apns_base_url: Option<String>,
    /// Apple's NFC pass entitlement: the reader's ECDH P-256 public key (base64 DER); when set,
    /// passes carry an `nfc` dictionary.
    pub nfc_public_key: Option<String>,
    /// Token authentication with APNs (a `.p8` key and its id); without it, the Pass Type ID
    /// certificate authenticates.
    pub apns_key_file: Option<PathBuf>,
    pub apns_key_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GoogleWalletConfig {
    pub issuer_id: String,
    pub service_account_email: String,
    /// The service account's RSA private key (PEM). Unset: a development key under `<data>/certs`.
    pub key_file: Option<PathBuf>,
    /// Pre-insert the class and object through the Wallet REST API and put only the object id in
    /// the link (the default with a real key), or carry them in the link itself.
    pub rest: bool,
    pub api_base_url: String,
    pub token_url: String,
    /// Smart Tap redemption issuers (comma-separated ids); empty: Smart Tap off.
    pub redemption_issuers: Vec<String>,
    /// Google's root signing keys for save and delete callbacks: a file, or an http(s) URL
    /// (production default: Google's own list). Unset: no callbacks (the class asks for none).
    pub callback_keys: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Load the demo operator, sites and members into an empty database on start.
    pub seed: bool,
    /// The demo admin's password (else one is generated and written to `<data>/demo-admin.txt`).
    pub admin_password: Option<Secret>,
}

/// Email (member invites): SMTP when a URL is set, else `.eml` files in a local outbox folder.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://user:pass@host:587` (STARTTLS) or `smtps://…:465`.
    pub smtp_url: Option<Secret>,
    pub from: String,
    pub outbox_dir: PathBuf,
}

/// The dashboard's sessions and sign-in protection.
#[derive(Debug, Clone, Copy)]
pub struct AdminConfig {
    pub idle_minutes: i64,
    pub absolute_hours: i64,
    /// Failed sign-ins in a row that lock an account, and for how long.
    pub lockout_after: i64,
    pub lockout_minutes: i64,
    /// Sign-in attempts per client address per 15 minutes.
    pub logins_per_ip: i64,
}

/// `GET /metrics`: who may scrape it, and the `instance` label every series carries.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    /// Addresses and networks whose connections may read `/metrics`; everyone else gets the
    /// not-found page. Decided on the connection's own address, never `X-Forwarded-For`.
    pub allow: Vec<ipnet::IpNet>,
    /// Tells this process's series from the other instances' (default: host name and pid).
    pub instance_id: String,
}

impl MetricsConfig {
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        self.allow.iter().any(|net| net.contains(&ip))
    }
}

/// `<host name>-<pid>`: distinct per process, readable in a dashboard.
fn default_instance_id() -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}-{}", std::process::id())
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `get`, so tests can supply their own variables.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let env = match var("ELUMO_ENV").as_deref().unwrap_or("development") {
            "development" | "dev" => Environment::Development,
            "production" | "prod" => Environment::Production,
            other => {
                return Err(ConfigError::Invalid {
                    name: "ELUMO_ENV",
                    why: format!("expected development or production, got {other:?}"),
                })
            }
        };
        let listen_raw = var("ELUMO_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_raw.parse().map_err(|_| ConfigError::Invalid {
            name: "ELUMO_LISTEN",
            why: format!("expected an address like 127.0.0.1:3000, got {listen_raw:?}"),
        })?;
        let public_url = var("ELUMO_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "ELUMO_PUBLIC_URL",
                why: "must start with http:// or https://".into(),
            });
        }
        let data_dir = PathBuf::from(var("ELUMO_DATA_DIR").unwrap_or_else(|| "data".into()));
        let mail_outbox = var("ELUMO_MAIL_OUTBOX")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("mail-outbox"));
        let db_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("elumo.db").to_string_lossy()));
        if !(db_url.starts_with("sqlite:")
            || db_url.starts_with("postgres://")
            || db_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                why: "must start with sqlite: or postgres://".into(),
            });
        }
        let site_root = var("ELUMO_SITE_ROOT")
            .or_else(|| var("LEPTOS_SITE_ROOT"))
            .unwrap_or_else(|| "target/site".into());
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name,
                    why: format!("expected a whole number, got {v:?}"),
                }),
            }
        };
        let per_ip = number("ELUMO_LIMIT_SUBMISSIONS_PER_IP", 10)?.max(1);
        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match var(name).as_deref().map(str::trim) {
                None => Ok(default),
                Some("1" | "true" | "yes" | "on") => Ok(true),
                Some("0" | "false" | "no" | "off") => Ok(false),
                Some(v) => Err(ConfigError::Invalid {
                    name,
                    why: format!("expected true or false, got {v:?}"),
                }),
            }
        };
        let metrics_allow = var("ELUMO_METRICS_ALLOW")
            .unwrap_or_else(|| "127.0.0.1,::1".into())
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| ConfigError::Invalid {
                        name: "ELUMO_METRICS_ALLOW",
                        why: format!(
                            "expected IP addresses or networks (10.0.0.0/8) separated by commas, got {s:?}"
                        ),
                    })
            })
            .collect::<Result<_, _>>()?;
        let instance_id = match var("ELUMO_INSTANCE_ID") {
            None => default_instance_id(),
            Some(id) => {
                let id = id.trim().to_owned();
                if id.len() > 64
                    || !id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
                {
                    return Err(ConfigError::Invalid {
                        name: "ELUMO_INSTANCE_ID",
                        why: format!(
                            "expected at most 64 letters, digits, '.', '_', ':' or '-', got {id:?}"
                        ),
                    });
                }
                id
            }
        };
        let config = Config {
            env,
            http: HttpConfig {
                listen,
                public_url,
                site_root: PathBuf::from(site_root),
                request_timeout_secs: number("ELUMO_REQUEST_TIMEOUT_SECS", 30)?.max(1),
                trusted_proxies: var("ELUMO_TRUSTED_PROXIES")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse().map_err(|_| ConfigError::Invalid {
                            name: "ELUMO_TRUSTED_PROXIES",
                            why: format!("expected IP addresses separated by commas, got {s:?}"),
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            db: DbConfig {
                url: Secret::new(db_url),
                max_connections: number("ELUMO_DB_MAX_CONNECTIONS", 8)?.clamp(1, 200) as u32,
            },
            sms: SmsConfig {
                workers: number("ELUMO_SMS_WORKERS", 4)?.clamp(1, 64) as usize,
                lease_secs: number("ELUMO_SMS_LEASE_SECS", 60)?.clamp(1, 3_600),
                provider: match var("ELUMO_SMS_PROVIDER").as_deref().unwrap_or("outbox") {
                    "outbox" => SmsProvider::Outbox,
                    "twilio" => SmsProvider::Twilio,
                    other => {
                        return Err(ConfigError::Invalid {
                            name: "ELUMO_SMS_PROVIDER",
                            why: format!("expected outbox or twilio, got {other:?}"),
                        })
                    }
                },
                twilio: match (
                    var("ELUMO_TWILIO_ACCOUNT_SID"),
                    var("ELUMO_TWILIO_AUTH_TOKEN"),
                ) {
                    (Some(account_sid), Some(token)) => Some(TwilioConfig {
                        base_url: var("ELUMO_TWILIO_BASE_URL")
                            .unwrap_or_else(|| "https://api.twilio.com".into()),
                        account_sid,
                        auth_token: Secret::new(token),
                        from: var("ELUMO_TWILIO_FROM"),
                        messaging_service_sid: var("ELUMO_TWILIO_MESSAGING_SERVICE_SID"),
                        timeout_ms: number("ELUMO_TWILIO_TIMEOUT_MS", 10_000)?.clamp(100, 60_000),
                    }),
                    _ => None,
                },
                outbox_file: var("ELUMO_SMS_OUTBOX")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("sms-outbox.jsonl")),
                max_attempts: number("ELUMO_SMS_MAX_ATTEMPTS", 20)?.clamp(1, 50),
            },
            limits: LimitsConfig {
                sms_per_number_per_minute: number("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", 1)?
                    .max(1) as i64,
                sms_per_number_per_day: number("ELUMO_LIMIT_SMS_PER_NUMBER_PER_DAY", 5)?.max(1)
                    as i64,
                submissions_per_ip_per_10_minutes: per_ip as i64,
                submissions_per_ip_all_per_10_minutes: number(
                    "ELUMO_LIMIT_SUBMISSIONS_PER_IP_ALL",
                    10 * per_ip,
                )?
                .max(1) as i64,
                submissions_per_invite_per_hour: number("ELUMO_LIMIT_SUBMISSIONS_PER_INVITE", 20)?
                    .max(1) as i64,
                submissions_per_poster_per_hour: number(
                    "ELUMO_LIMIT_SUBMISSIONS_PER_POSTER",
                    2_000,
                )?
                .max(1) as i64,
                answer_floor_ms: number("ELUMO_ANSWER_FLOOR_MS", 250)?.min(5_000),
                api_requests_per_key_per_minute: number("ELUMO_LIMIT_API_PER_KEY_PER_MINUTE", 600)?
                    .max(1) as i64,
                api_events_settle_ms: number("ELUMO_API_EVENTS_SETTLE_MS", 2_000)?.min(60_000)
                    as i64,
            },
            apple_wallet: AppleWalletConfig {
                pass_type_id: var("ELUMO_APPLE_PASS_TYPE_ID")
                    .unwrap_or_else(|| DEV_APPLE_PASS_TYPE_ID.into()),
                team_id: var("ELUMO_APPLE_TEAM_ID").unwrap_or_else(|| DEV_APPLE_TEAM_ID.into()),
                cert_file: var("ELUMO_APPLE_CERT").map(PathBuf::from),
                key_file: var("ELUMO_APPLE_KEY").map(PathBuf::from),
                wwdr_file: var("ELUMO_APPLE_WWDR").map(PathBuf::from),
                p12_file: var("ELUMO_APPLE_P12").map(PathBuf::from),
                p12_password: get("ELUMO_APPLE_P12_PASSWORD").map(Secret::new),
                apns_base_url: var("ELUMO_APNS_BASE_URL")
                    .or_else(|| {
                        (env == Environment::Production)
                            .then(|| "https://api.push.apple.com".to_owned())
                    })
                    .map(|u| u.trim_end_matches('/').to_owned()),
                apns_key_file: var("ELUMO_APNS_KEY").map(PathBuf::from),
                nfc_public_key: var("ELUMO_APPLE_NFC_PUBLIC_KEY"),
                apns_key_id: var("ELUMO_APNS_KEY_ID"),
            },
            google_wallet: GoogleWalletConfig {
                issuer_id: var("ELUMO_GOOGLE_ISSUER_ID")
                    .unwrap_or_else(|| DEV_GOOGLE_ISSUER_ID.into()),
                service_account_email: var("ELUMO_GOOGLE_SERVICE_ACCOUNT")
                    .unwrap_or_else(|| DEV_GOOGLE_SERVICE_ACCOUNT.into()),
                key_file: var("ELUMO_GOOGLE_KEY").map(PathBuf::from),
                rest: match var("ELUMO_GOOGLE_MODE").as_deref() {
                    None => var("ELUMO_GOOGLE_KEY").is_some(),
                    Some("rest") => true,
                    Some("embedded") => false,
                    Some(other) => {
                        return Err(ConfigError::Invalid {
                            name: "ELUMO_GOOGLE_MODE",
                            why: format!("expected rest or embedded, got {other:?}"),
                        })
                    }
                },
                api_base_url: var("ELUMO_GOOGLE_API_BASE_URL")
                    .unwrap_or_else(|| "https://walletobjects.googleapis.com".into())
                    .trim_end_matches('/')
                    .to_owned(),
                token_url: var("ELUMO_GOOGLE_TOKEN_URL")
                    .unwrap_or_else(|| "https://oauth2.googleapis.com/token".into()),
                callback_keys: var("ELUMO_GOOGLE_CALLBACK_KEYS").or_else(|| {
                    (env == Environment::Production)
                        .then(|| crate::wallet::callbacks::KEYS_URL.to_owned())
                }),
                redemption_issuers: var("ELUMO_GOOGLE_REDEMPTION_ISSUERS")
                    .map(|v| {
                        v.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            journey: JourneyConfig {
                link_ttl_secs: number("ELUMO_LINK_TTL_SECS", 600)?.clamp(60, 3600),
                credential_key_file: var("ELUMO_CREDENTIAL_KEY")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("certs").join("credential-signing-key.pem")),
                data_dir,
            },
            demo: DemoConfig {
                seed: flag("ELUMO_DEMO", env == Environment::Development)?,
                admin_password: get("ELUMO_DEMO_ADMIN_PASSWORD").map(Secret::new),
            },
            mail: MailConfig {
                smtp_url: get("ELUMO_SMTP_URL").map(Secret::new),
                from: var("ELUMO_MAIL_FROM")
                    .unwrap_or_else(|| "elumo pass <passes@elumo.invalid>".into()),
                outbox_dir: mail_outbox,
            },
            admin: AdminConfig {
                idle_minutes: number("ELUMO_ADMIN_IDLE_MINUTES", 30)?.clamp(1, 24 * 60) as i64,
                absolute_hours: number("ELUMO_ADMIN_SESSION_HOURS", 12)?.clamp(1, 24 * 30) as i64,
                lockout_after: number("ELUMO_ADMIN_LOCKOUT_AFTER", 5)?.clamp(1, 100) as i64,
                lockout_minutes: number("ELUMO_ADMIN_LOCKOUT_MINUTES", 15)?.clamp(1, 24 * 60)
                    as i64,
                logins_per_ip: number("ELUMO_ADMIN_LOGINS_PER_IP", 30)?.max(1) as i64,
            },
            metrics: MetricsConfig {
                allow: metrics_allow,
                instance_id,
            },
        };
        config.check()?;
        Ok(config)
    }

    /// Rules across variables: the Twilio sender has what it needs, and production runs on
    /// nothing local (see [`Config::production_problems`]).
    fn check(&self) -> Result<(), ConfigError> {
        if self.sms.provider == SmsProvider::Twilio {
            match &self.sms.twilio {
                None => return Err(ConfigError::Invalid {
                    name: "ELUMO_TWILIO_ACCOUNT_SID",
                    why: "the twilio provider needs ELUMO_TWILIO_ACCOUNT_SID and ELUMO_TWILIO_AUTH_TOKEN".into(),
                }),
                Some(t) if t.from.is_none() && t.messaging_service_sid.is_none() => return Err(ConfigError::Invalid {
                    name: "ELUMO_TWILIO_FROM",
                    why: "set ELUMO_TWILIO_FROM or ELUMO_TWILIO_MESSAGING_SERVICE_SID".into(),
                }),
                Some(t) if self.sms.lease_secs * 1_000 <= t.timeout_ms => return Err(ConfigError::Invalid {
                    name: "ELUMO_SMS_LEASE_SECS",
                    why: format!(
                        "the lease on a send ({} s) must outlast the provider's timeout (ELUMO_TWILIO_TIMEOUT_MS = {} ms), \
                         or another instance takes over a send still in flight",
                        self.sms.lease_secs, t.timeout_ms
                    ),
                }),
                Some(_) => {}
            }
        }
        let problems = self.production_problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Production(problems))
        }
    }

    /// What keeps production from starting, each with the variables to set: the local SMS
    /// outbox, a public URL that is not https (iOS refuses a pass whose `webServiceURL` is not),
    /// and development signing material (generated passes no wallet accepts).
    fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.env != Environment::Production {
            return problems;
        }
        if self.sms.provider == SmsProvider::Outbox {
            problems.push(
                "ELUMO_SMS_PROVIDER: the local outbox sender never reaches a phone, so production refuses it; \
                 set ELUMO_SMS_PROVIDER=twilio with its ELUMO_TWILIO_* variables"
                    .into(),
            );
        }
        if !self.http.public_url.starts_with("https://") {
            problems.push(format!(
                "ELUMO_PUBLIC_URL must start with https:// in production (iOS refuses a pass whose \
                 webServiceURL is not https), not {:?}",
                self.http.public_url
            ));
        }
        let a = &self.apple_wallet;
        if a.cert_file.is_none() && a.key_file.is_none() && a.p12_file.is_none() {
            problems.push(
                "Apple Wallet has no signing certificate, and production refuses the development one \
                 no iPhone trusts: set ELUMO_APPLE_CERT and ELUMO_APPLE_KEY (PEM), or ELUMO_APPLE_P12 \
                 and ELUMO_APPLE_P12_PASSWORD"
                    .into(),
            );
        }
        if a.wwdr_file.is_none() {
            problems.push(
                "ELUMO_APPLE_WWDR must name Apple's WWDR G4 intermediate certificate (PEM or DER)"
                    .into(),
            );
        }
        if a.pass_type_id == DEV_APPLE_PASS_TYPE_ID {
            problems.push(
                "ELUMO_APPLE_PASS_TYPE_ID must be your Pass Type ID (pass.com.example.access), not the development one"
                    .into(),
            );
        }
        if a.team_id == DEV_APPLE_TEAM_ID {
            problems.push(
                "ELUMO_APPLE_TEAM_ID must be your Apple team identifier, not the development one"
                    .into(),
            );
        }
        let g = &self.google_wallet;
        if g.key_file.is_none() {
            problems.push(
                "Google Wallet has no service-account key, and production refuses the generated development \
                 key Google does not know: set ELUMO_GOOGLE_KEY to the service account's private key (PEM)"
                    .into(),
            );
        }
        if g.issuer_id == DEV_GOOGLE_ISSUER_ID {
            problems.push("ELUMO_GOOGLE_ISSUER_ID must be your Google Wallet issuer id, not the development one".into());
        }
        if g.service_account_email == DEV_GOOGLE_SERVICE_ACCOUNT {
            problems.push(
                "ELUMO_GOOGLE_SERVICE_ACCOUNT must be your service account's email, not the development one".into(),
            );
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_local_and_safe() {
        let c = config(&[]).unwrap();
        assert_eq!(c.http.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.http.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.db.url.expose(), "sqlite://data/elumo.db");
        assert!(c.demo.seed);
        assert_eq!(c.env, Environment::Development);
    }

    #[test]
    fn database_password_never_shows_in_debug() {
        let c = config(&[("DATABASE_URL", "postgres://u:hunter2@localhost/db")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[("ELUMO_LISTEN", "everywhere")]).unwrap_err();
        assert!(err.to_string().contains("ELUMO_LISTEN"));
        let err = config(&[("ELUMO_DEMO", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("ELUMO_DEMO"));
        let err = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"));
    }

    #[test]
    fn production_does_not_seed_demo_data() {
        let c = config(&[
            ("ELUMO_ENV", "production"),
            ("ELUMO_PUBLIC_URL", "https://pass.example.com"),
            ("ELUMO_APPLE_PASS_TYPE_ID", "pass.com.example.access"),
            ("ELUMO_APPLE_TEAM_ID", "ABCDE12345"),
            ("ELUMO_APPLE_P12", "/etc/elumo/pass.p12"),
            ("ELUMO_APPLE_WWDR", "/etc/elumo/wwdr.pem"),
            ("ELUMO_GOOGLE_ISSUER_ID", "3388000000099999999"),
            (
                "ELUMO_GOOGLE_SERVICE_ACCOUNT",
                "wallet@example.iam.gserviceaccount.com",
            ),
            ("ELUMO_GOOGLE_KEY", "/etc/elumo/google.pem"),
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_ACCOUNT_SID", "AC1"),
            ("ELUMO_TWILIO_AUTH_TOKEN", "t"),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
        ])
        .unwrap();
        assert!(!c.demo.seed);
        assert!(
            !format!("{c:?}").contains("AC1\", auth_token: \"t"),
            "the auth token is redacted"
        );
    }

    #[test]
    fn metrics_are_for_loopback_unless_the_operator_allows_more() {
        let local = config(&[]).unwrap();
        assert!(local.metrics.allows("127.0.0.1".parse().unwrap()));
        assert!(local.metrics.allows("::1".parse().unwrap()));
        assert!(local.metrics.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!local.metrics.allows("10.0.0.5".parse().unwrap()));
        assert!(!local.metrics.instance_id.is_empty());

        let wider = config(&[
            ("ELUMO_METRICS_ALLOW", "10.0.0.0/8, 192.0.2.7"),
            ("ELUMO_INSTANCE_ID", "web-1"),
        ])
        .unwrap();
        assert!(wider.metrics.allows("10.20.30.40".parse().unwrap()));
        assert!(wider.metrics.allows("192.0.2.7".parse().unwrap()));
        assert!(!wider.metrics.allows("192.0.2.8".parse().unwrap()));
        assert!(!wider.metrics.allows("127.0.0.1".parse().unwrap()));
        assert_eq!(wider.metrics.instance_id, "web-1");

        let err = config(&[("ELUMO_METRICS_ALLOW", "10.0.0.0/33")]).unwrap_err();
        assert!(err.to_string().contains("ELUMO_METRICS_ALLOW"), "{err}");
        let err = config(&[("ELUMO_INSTANCE_ID", "web 1\"")]).unwrap_err();
        assert!(err.to_string().contains("ELUMO_INSTANCE_ID"), "{err}");
    }

    #[test]
    fn production_refuses_the_local_sms_outbox() {
        let err = config(&[("ELUMO_ENV", "production")]).unwrap_err();
        assert!(err.to_string().contains("production refuses it"), "{err}");
        let err = config(&[("ELUMO_SMS_PROVIDER", "twilio")]).unwrap_err();
        assert!(
            err.to_string().contains("ELUMO_TWILIO_ACCOUNT_SID"),
            "{err}"
        );
    }

    #[test]
    fn the_sms_lease_outlasts_the_provider_timeout() {
        let twilio = [
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_ACCOUNT_SID", "AC1"),
            ("ELUMO_TWILIO_AUTH_TOKEN", "t"),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
        ];
        let c = config(&twilio).unwrap();
        assert_eq!(c.sms.lease_secs, 60);
        let too_short = [twilio.as_slice(), &[("ELUMO_SMS_LEASE_SECS", "10")]].concat();
        let err = config(&too_short).unwrap_err();
        assert!(err.to_string().contains("ELUMO_SMS_LEASE_SECS"), "{err}");
        let longer = [
            twilio.as_slice(),
            &[
                ("ELUMO_SMS_LEASE_SECS", "5"),
                ("ELUMO_TWILIO_TIMEOUT_MS", "4000"),
            ],
        ]
        .concat();
        assert_eq!(config(&longer).unwrap().sms.lease_secs, 5);
    }
}
