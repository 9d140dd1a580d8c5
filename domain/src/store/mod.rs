//! The database. SQLite is the embedded default; PostgreSQL serves operators who run several
//! instances. Each query is written once, in the SQL both dialects agree on (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`, times as integer milliseconds), and runs on whichever pool is
//! configured. Only the migrations differ per dialect.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is unavailable or failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the database schema could not be brought up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("could not prepare the database folder: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone)]
pub struct Store {
    db: Db,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.db {
            Db::Sqlite(_) => "Store(sqlite)",
            Db::Postgres(_) => "Store(postgres)",
        })
    }
}

/// Runs the same body against whichever pool is configured; the body is compiled once per dialect.
macro_rules! on_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

/// Milliseconds since the Unix epoch: how every time is stored.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A time for people: `2026-12-01 09:00:00 UTC`.
pub fn fmt_time(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .map(|s| format!("{s} UTC"))
        .unwrap_or_default()
}

fn unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

// ---- rows (never sent to the browser; converted into `types` first) ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlOperator {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub brand_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub support_url: Option<String>,
    pub default_region: String,
    pub digital_facility_code: i64,
    pub strict_enumeration: bool,
    pub sms_countries: String,
    pub sms_hourly_budget: i64,
    /// How long the texted link works, when the operator set it (else the server's default).
    pub link_ttl_secs: Option<i64>,
    /// How long new invites work, in days.
    pub invite_days: i64,
    /// What the pass's QR code carries (`credentials::PayloadFormat`).
    pub credential_format: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlSite {
    pub id: i64,
    pub operator_id: i64,
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlMember {
    pub id: i64,
    pub operator_id: i64,
    pub external_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub mobile_e164: Option<String>,
    pub synced_at: Option<i64>,
    pub active: bool,
    /// When the membership ends (passes expire then), if the CRM says.
    pub membership_ends_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlCredential {
    pub id: i64,
    pub member_id: i64,
    pub source: String,
    pub facility_code: i64,
    pub card_number: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlInvite {
    pub id: i64,
    pub operator_id: i64,
    pub site_id: Option<i64>,
    pub member_id: Option<i64>,
    pub channel: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlJourney {
    pub id: i64,
    pub public_id: String,
    pub operator_id: i64,
    pub invite_id: i64,
    pub member_id: Option<i64>,
    pub step: String,
    pub outcome: Option<String>,
    pub entered_mobile: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlLink {
    pub id: i64,
    pub journey_id: i64,
    pub expires_at: i64,
    pub claimed_at: Option<i64>,
    pub claim_hash: Option<String>,
    pub revoked_at: Option<i64>,
    /// The member the link was texted to, bound when it was made: the only member it issues.
    pub member_id: Option<i64>,
    /// The number it was texted to.
    pub to_e164: Option<String>,
}

pub(crate) const LINK_COLUMNS: &str =
    "id, journey_id, expires_at, claimed_at, claim_hash, revoked_at, member_id, to_e164";

/// An SMS as the worker sees it. `Debug` leaves out the number and the text (they hold a link).
#[derive(Clone, sqlx::FromRow)]
pub struct SqlSms {
    pub id: i64,
    pub journey_id: i64,
    pub operator_id: i64,
    pub to_e164: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    /// The expiry of the newest link of the message's journey.
    pub link_expires_at: Option<i64>,
}

impl std::fmt::Debug for SqlSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlSms")
            .field("id", &self.id)
            .field("journey_id", &self.journey_id)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlWalletPass {
    pub id: i64,
    pub member_id: i64,
    pub credential_id: i64,
    pub platform: String,
    pub serial: String,
    pub issued_at: i64,
    pub updated_at: i64,
    /// When the pass was voided (the member left, or the operator revoked it).
    pub voided_at: Option<i64>,
    /// Apple's `authenticationToken` for the PassKit web service.
    pub auth_token: Option<String>,
    pub site_name: Option<String>,
    pub operator_id: i64,
}

/// A pass to issue (or issue again).
#[derive(Debug, Clone)]
pub struct NewWalletPass<'a> {
    pub operator_id: i64,
    pub member_id: i64,
    pub credential_id: i64,
    pub platform: &'a str,
    /// Used only when the member has no pass on this platform yet.
    pub new_serial: &'a str,
    pub new_auth_token: &'a str,
    pub site_name: Option<&'a str>,
}

pub(crate) const PASS_COLUMNS: &str = "id, member_id, credential_id, platform, serial, issued_at, \
     updated_at, voided_at, auth_token, site_name, operator_id";

/// A matched number's link and SMS, written with the journey's step in one transaction.
#[derive(Clone)]
pub struct QueueLinkSms<'a> {
    pub journey_id: i64,
    pub operator_id: i64,
    /// The member the link is for (`None` for strict mode's stand-in link, which issues nothing
    /// and sends no text).
    pub member_id: Option<i64>,
    pub to_e164: &'a str,
    pub body: &'a str,
    pub token_hash: &'a str,
    /// The hash of the 6-digit code in the text, when there is one.
    pub code_hash: Option<&'a str>,
    pub expires_at: i64,
    /// Shown on the journey: the masked number.
    pub detail: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlJourneyEvent {
    pub id: i64,
    pub journey_id: i64,
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

// ---- inputs ----

#[derive(Debug, Clone)]
pub struct NewOperator<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub brand_color: &'a str,
    pub accent_color: &'a str,
    pub support_email: Option<&'a str>,
    pub support_phone: Option<&'a str>,
    pub support_url: Option<&'a str>,
    pub default_region: &'a str,
}

#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub operator_id: i64,
    pub external_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub mobile_e164: Option<&'a str>,
    pub source: &'a str,
    pub synced_at: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    PhysicalCard,
    Digital,
}

impl CredentialSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::PhysicalCard => "physical_card",
            CredentialSource::Digital => "digital",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewInvite<'a> {
    pub operator_id: i64,
    pub site_id: Option<i64>,
    pub member_id: Option<i64>,
    pub token_hash: &'a str,
    pub channel: &'a str,
    pub expires_at: i64,
}

/// One step of a journey: the journey row moves on and the event log gains a line, atomically.
#[derive(Debug, Clone, Default)]
pub struct Advance<'a> {
    pub step: &'a str,
    pub outcome: Option<&'a str>,
    pub member_id: Option<i64>,
    pub entered_mobile: Option<&'a str>,
    pub event: &'a str,
    pub detail: &'a str,
}

/// One send attempt's outcome.
#[derive(Debug, Clone, Default)]
pub struct SmsAttempt<'a> {
    /// `sent`, `queued` (to retry at `next_attempt_at`) or `failed`.
    pub status: &'a str,
    pub provider_id: Option<&'a str>,
    pub error: Option<&'a str>,
    pub next_attempt_at: i64,
    pub event: &'a str,
    pub detail: &'a str,
}

/// Appends one line to a journey's event log (inside a caller's transaction).
const EVENT_SQL: &str =
    "INSERT INTO journey_events (journey_id, at, kind, detail) VALUES ($1, $2, $3, $4)";

const OPERATOR_COLUMNS: &str =
    "id, slug, name, brand_color, accent_color, logo_url, support_email, \
     support_phone, support_url, default_region, digital_facility_code, strict_enumeration, \
     sms_countries, sms_hourly_budget, link_ttl_secs, invite_days, credential_format";
const MEMBER_COLUMNS: &str =
    "id, operator_id, external_id, first_name, last_name, email, mobile_e164, synced_at, active, \
     membership_ends_at";
const JOURNEY_COLUMNS: &str = "id, public_id, operator_id, invite_id, member_id, step, outcome, \
     entered_mobile, started_at, updated_at";

impl Store {
    /// Connects to `url` (creating the SQLite file and its folder when missing) and migrates.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            Store {
                db: Db::Postgres(pool),
            }
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let path = options.get_filename();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            // A connection to a local file does not go stale: no ping before each use (it
            // doubled the round trips to SQLite's worker threads).
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Store {
                db: Db::Sqlite(pool),
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    /// A PostgreSQL connection without migrations, for creating databases (test harnesses, tools).
    pub async fn connect_admin(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
        Ok(Store {
            db: Db::Postgres(pool),
        })
    }

    /// Creates an empty PostgreSQL database named `name` (lowercase letters, digits, `_`).
    pub async fn create_database(&self, name: &str) -> Result<()> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Conflict(
                "a database name with other characters",
            ));
        }
        if let Db::Postgres(p) = &self.db {
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(p)
                .await?;
        }
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Readiness: the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }

    // ---- operators and sites ----

    pub async fn operator_count(&self) -> Result<i64> {
        let n: i64 = on_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM operators"
        )
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    pub async fn insert_operator(&self, op: &NewOperator<'_>) -> Result<i64> {
        let sql = "INSERT INTO operators (slug, name, brand_color, accent_color, support_email, \
                   support_phone, support_url, default_region, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
        let res: Result<i64, sqlx::Error> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(op.slug)
            .bind(op.name)
            .bind(op.brand_color)
            .bind(op.accent_color)
            .bind(op.support_email)
            .bind(op.support_phone)
            .bind(op.support_url)
            .bind(op.default_region)
            .bind(now_ms())
            .fetch_one(p)
            .await);
        res.map_err(|e| {
            if unique_violation(&e) {
                StoreError::Conflict("an operator with this slug")
            } else {
                e.into()
            }
        })
    }

    pub async fn operator(&self, id: i64) -> Result<Option<SqlOperator>> {
        let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn operator_by_slug(&self, slug: &str) -> Result<Option<SqlOperator>> {
        let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE slug = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(slug)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn site_by_name(&self, operator_id: i64, name: &str) -> Result<Option<SqlSite>> {
        let sql =
            "SELECT id, operator_id, name, address FROM sites WHERE operator_id = $1 AND name = $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(name)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn member_by_external_id(
        &self,
        operator_id: i64,
        external_id: &str,
    ) -> Result<Option<SqlMember>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE operator_id = $1 AND external_id = $2"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(external_id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn insert_site(
        &self,
        operator_id: i64,
        name: &str,
        address: Option<&str>,
    ) -> Result<i64> {
        let sql = "INSERT INTO sites (operator_id, name, address, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
        let res: Result<i64, sqlx::Error> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(name)
            .bind(address)
            .bind(now_ms())
            .fetch_one(p)
            .await);
        res.map_err(|e| {
            if unique_violation(&e) {
                StoreError::Conflict("a site with this name")
            } else {
                e.into()
            }
        })
    }

    pub async fn site(&self, id: i64) -> Result<Option<SqlSite>> {
        let sql = "SELECT id, operator_id, name, address FROM sites WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    // ---- members and credentials ----

    /// Creates the member or updates the one with the same external id; returns its id.
    pub async fn upsert_member(&self, m: &NewMember<'_>) -> Result<i64> {
        let sql = "INSERT INTO members (operator_id, external_id, first_name, last_name, email, \
                   mobile_e164, source, synced_at, active, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                   ON CONFLICT (operator_id, external_id) DO UPDATE SET \
                   first_name = excluded.first_name, last_name = excluded.last_name, \
                   email = excluded.email, mobile_e164 = excluded.mobile_e164, \
                   source = excluded.source, synced_at = excluded.synced_at, \
                   active = excluded.active, updated_at = excluded.updated_at \
                   RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(m.operator_id)
            .bind(m.external_id)
            .bind(m.first_name)
            .bind(m.last_name)
            .bind(m.email)
            .bind(m.mobile_e164)
            .bind(m.source)
            .bind(m.synced_at)
            .bind(m.active)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    pub async fn member(&self, id: i64) -> Result<Option<SqlMember>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Every member of the operator whose mobile on record is `e164`, active or not.
    pub async fn members_by_mobile(&self, operator_id: i64, e164: &str) -> Result<Vec<SqlMember>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE operator_id = $1 AND mobile_e164 = $2 ORDER BY id"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(e164)
            .fetch_all(p)
            .await)?)
    }

    pub async fn insert_credential(
        &self,
        operator_id: i64,
        member_id: i64,
        source: CredentialSource,
        facility_code: u8,
        card_number: u16,
    ) -> Result<i64> {
        let sql = "INSERT INTO credentials (operator_id, member_id, source, facility_code, card_number, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let res: Result<i64, sqlx::Error> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(member_id)
            .bind(source.as_str())
            .bind(i64::from(facility_code))
            .bind(i64::from(card_number))
            .bind(now_ms())
            .fetch_one(p)
            .await);
        res.map_err(|e| {
            if unique_violation(&e) {
                StoreError::Conflict("this card number")
            } else {
                e.into()
            }
        })
    }

    pub async fn credentials_for_member(&self, member_id: i64) -> Result<Vec<SqlCredential>> {
        let sql = "SELECT id, member_id, source, facility_code, card_number, revoked_at \
                   FROM credentials WHERE member_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(member_id)
            .fetch_all(p)
            .await)?)
    }

    // ---- invites ----

    pub async fn insert_invite(&self, inv: &NewInvite<'_>) -> Result<i64> {
        let sql = "INSERT INTO invites (operator_id, site_id, member_id, token_hash, channel, expires_at, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(inv.operator_id)
            .bind(inv.site_id)
            .bind(inv.member_id)
            .bind(inv.token_hash)
            .bind(inv.channel)
            .bind(inv.expires_at)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    pub async fn invite_by_token_hash(&self, token_hash: &str) -> Result<Option<SqlInvite>> {
        let sql = "SELECT id, operator_id, site_id, member_id, channel, expires_at, revoked_at \
                   FROM invites WHERE token_hash = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    // ---- journeys ----

    /// Starts a journey and writes its first event, atomically.
    pub async fn start_journey(
        &self,
        public_id: &str,
        operator_id: i64,
        invite_id: i64,
        event: &str,
        detail: &str,
    ) -> Result<SqlJourney> {
        let now = now_ms();
        let insert = format!(
            "INSERT INTO journeys (public_id, operator_id, invite_id, step, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {JOURNEY_COLUMNS}"
        );
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let journey: SqlJourney = sqlx::query_as(&insert)
                .bind(public_id)
                .bind(operator_id)
                .bind(invite_id)
                .bind(event)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(EVENT_SQL)
                .bind(journey.id)
                .bind(now)
                .bind(event)
                .bind(detail)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(journey)
        })
    }

    pub async fn journey_by_public_id(&self, public_id: &str) -> Result<Option<SqlJourney>> {
        let sql = format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE public_id = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(public_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Moves the journey on and appends the event, in one transaction. A journey's member, once
    /// matched, never changes.
    pub async fn advance_journey(&self, journey_id: i64, a: &Advance<'_>) -> Result<()> {
        let now = now_ms();
        let update = "UPDATE journeys SET step = $2, outcome = $3, \
                      member_id = COALESCE(member_id, $4), \
                      entered_mobile = COALESCE($5, entered_mobile), updated_at = $6 WHERE id = $1";
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(update)
                .bind(journey_id)
                .bind(a.step)
                .bind(a.outcome)
                .bind(a.member_id)
                .bind(a.entered_mobile)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(EVENT_SQL)
                .bind(journey_id)
                .bind(now)
                .bind(a.event)
                .bind(a.detail)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn journey_events(&self, journey_id: i64) -> Result<Vec<SqlJourneyEvent>> {
        let sql = "SELECT id, journey_id, at, kind, detail FROM journey_events WHERE journey_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(journey_id)
            .fetch_all(p)
            .await)?)
    }

    /// Appends an event, and moves the journey's step when `step` is given.
    pub async fn append_event(
        &self,
        journey_id: i64,
        step: Option<&str>,
        kind: &str,
        detail: &str,
    ) -> Result<()> {
        let now = now_ms();
        let update = "UPDATE journeys SET step = COALESCE($2, step), updated_at = $3 WHERE id = $1";
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(update)
                .bind(journey_id)
                .bind(step)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(EVENT_SQL)
                .bind(journey_id)
                .bind(now)
                .bind(kind)
                .bind(detail)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn journey(&self, id: i64) -> Result<Option<SqlJourney>> {
        let sql = format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE id = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn invite(&self, id: i64) -> Result<Option<SqlInvite>> {
        let sql = "SELECT id, operator_id, site_id, member_id, channel, expires_at, revoked_at FROM invites WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    // ---- links and the SMS outbox ----

    /// Earlier links of the journey stop working; the new link and its SMS are written, and the
    /// journey records the queued message, all in one transaction.
    pub async fn queue_link_sms(&self, q: &QueueLinkSms<'_>) -> Result<i64> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE link_tokens SET revoked_at = $2 WHERE journey_id = $1 AND revoked_at IS NULL")
                .bind(q.journey_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO link_tokens (journey_id, token_hash, expires_at, created_at, code_hash, member_id, to_e164) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(q.journey_id)
            .bind(q.token_hash)
            .bind(q.expires_at)
            .bind(now)
            .bind(q.code_hash)
            .bind(q.member_id)
            .bind(q.to_e164)
            .execute(&mut *tx)
            .await?;
            // Strict mode's stand-in link for a miss goes nowhere: no text, nothing to send.
            let sms_id: i64 = if q.member_id.is_some() {
                sqlx::query_scalar(
                    "INSERT INTO sms_outbox (journey_id, operator_id, to_e164, body, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5) RETURNING id",
                )
                .bind(q.journey_id)
                .bind(q.operator_id)
                .bind(q.to_e164)
                .bind(q.body)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            } else {
                0
            };
            if q.member_id.is_some() {
                sqlx::query(
                    "UPDATE journeys SET step = 'sms_queued', updated_at = $2 WHERE id = $1",
                )
                .bind(q.journey_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO journey_events (journey_id, at, kind, detail) VALUES ($1, $2, 'sms_queued', $3)")
                    .bind(q.journey_id)
                    .bind(now)
                    .bind(q.detail)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(sms_id)
        })
    }

    /// Claims the oldest due message for sending. The attempt is counted before the send; the
    /// `status = 'queued'` re-check makes a claim that lost a race change nothing.
    pub async fn claim_due_sms(&self, now: i64) -> Result<Option<SqlSms>> {
        // The one statement whose dialects differ: PostgreSQL skips rows another instance's
        // worker holds (so several workers share the queue); SQLite serialises writers anyway.
        let pick = match self.db {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1 \
             WHERE status = 'queued' AND id = (SELECT id FROM sms_outbox WHERE status = 'queued' \
             AND next_attempt_at <= $1 ORDER BY id LIMIT 1 {pick}) \
             RETURNING id, journey_id, operator_id, to_e164, body, status, attempts, \
             (SELECT MAX(expires_at) FROM link_tokens l WHERE l.journey_id = sms_outbox.journey_id) AS link_expires_at"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(now)
            .fetch_optional(p)
            .await)?)
    }

    /// A message claimed but never finished (the process stopped mid-send) goes back in the queue.
    pub async fn requeue_unfinished_sms(&self) -> Result<u64> {
        let sql = "UPDATE sms_outbox SET status = 'queued' WHERE status = 'sending'";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Records the outcome of one send attempt: `status` is `sent`, `queued` (retry at
    /// `next_attempt_at`) or `failed`; the journey gets the matching event.
    pub async fn finish_sms(&self, sms: &SqlSms, done: &SmsAttempt<'_>) -> Result<()> {
        let now = now_ms();
        let step = match done.status {
            "sent" => Some("sms_sent"),
            "failed" => Some("sms_failed"),
            _ => None,
        };
        // Once the provider has the text (or it was given up), the link and code in clear are
        // not kept: the timeline and the outbox keep a masked copy.
        let masked = step.map(|_| crate::sms::masked_body(&sms.body));
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE sms_outbox SET status = $2, provider_id = COALESCE($3, provider_id), last_error = $4, \
                 next_attempt_at = $5, sent_at = CASE WHEN $2 = 'sent' THEN $6 ELSE sent_at END, \
                 body = COALESCE($7, body) WHERE id = $1",
            )
            .bind(sms.id)
            .bind(done.status)
            .bind(done.provider_id)
            .bind(done.error)
            .bind(done.next_attempt_at)
            .bind(now)
            .bind(masked.as_deref())
            .execute(&mut *tx)
            .await?;
            // The journey only moves on while it is still at the SMS step (a later link-open wins).
            sqlx::query(
                "UPDATE journeys SET step = COALESCE($2, step), updated_at = $3 \
                 WHERE id = $1 AND step IN ('sms_queued', 'sms_sent', 'sms_failed')",
            )
            .bind(sms.journey_id)
            .bind(step)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(EVENT_SQL)
                .bind(sms.journey_id)
                .bind(now)
                .bind(done.event)
                .bind(done.detail)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// When the journey's newest SMS was queued.
    pub async fn last_sms_at(&self, journey_id: i64) -> Result<Option<i64>> {
        let sql = "SELECT MAX(created_at) FROM sms_outbox WHERE journey_id = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(journey_id)
            .fetch_one(p)
            .await)?)
    }

    /// Records a provider's delivery receipt. Receipts may repeat and arrive out of order: a
    /// state only replaces an earlier one (queued < sent < delivered/undelivered/failed).
    /// Returns the message's journey when the state moved on.
    pub async fn record_delivery(
        &self,
        provider_id: &str,
        status: &str,
        detail: &str,
    ) -> Result<Option<i64>> {
        fn rank(s: &str) -> i64 {
            match s {
                "accepted" | "scheduled" | "queued" => 1,
                "sending" => 2,
                "sent" => 3,
                "delivered" | "undelivered" | "failed" | "read" | "canceled" => 4,
                _ => 0,
            }
        }
        let new_rank = rank(status);
        if new_rank == 0 {
            return Ok(None);
        }
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let row: Option<(i64, i64, Option<String>)> = sqlx::query_as(
                "SELECT id, journey_id, delivery_status FROM sms_outbox WHERE provider_id = $1",
            )
            .bind(provider_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, journey_id, current)) = row else {
                return Ok(None);
            };
            if current.as_deref().map(rank).unwrap_or(0) >= new_rank {
                return Ok(None);
            }
            sqlx::query(
                "UPDATE sms_outbox SET delivery_status = $2, delivery_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(EVENT_SQL)
                .bind(journey_id)
                .bind(now)
                .bind(format!("sms_{status}"))
                .bind(detail)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(journey_id))
        })
    }

    pub async fn delivery_status(&self, provider_id: &str) -> Result<Option<String>> {
        let sql = "SELECT delivery_status FROM sms_outbox WHERE provider_id = $1";
        let row: Option<Option<String>> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(provider_id)
            .fetch_optional(p)
            .await)?;
        Ok(row.flatten())
    }

    /// The newest messages, for the development outbox page.
    pub async fn recent_sms(&self, limit: i64) -> Result<Vec<SqlSms>> {
        let sql = "SELECT id, journey_id, operator_id, to_e164, body, status, attempts, NULL AS link_expires_at \
                   FROM sms_outbox ORDER BY id DESC LIMIT $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    pub async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<SqlLink>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM link_tokens WHERE token_hash = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// Binds a link to one browser. One atomic statement: of any number of concurrent claims,
    /// exactly one changes the row and wins.
    pub async fn claim_link(&self, link_id: i64, claim_hash: &str, now: i64) -> Result<bool> {
        let sql = "UPDATE link_tokens SET claimed_at = $3, claim_hash = $2 \
                   WHERE id = $1 AND claimed_at IS NULL AND revoked_at IS NULL AND expires_at > $3";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(link_id)
            .bind(claim_hash)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    // ---- wallet passes ----

    /// One live pass per member and platform: issuing again keeps the serial and authentication
    /// token (so Wallet replaces the pass rather than adding a second) and points it at the
    /// current credential; if that changed, its devices are due a push. A voided pass is never
    /// revived: issuing after a void makes a new pass, with a new serial and token, so the
    /// devices registered to the voided one keep seeing it void.
    pub async fn upsert_wallet_pass(&self, p: &NewWalletPass<'_>) -> Result<SqlWalletPass> {
        let sql = format!(
            "INSERT INTO wallet_passes (operator_id, member_id, credential_id, platform, serial, issued_at, updated_at, \
             auth_token, site_name) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) \
             ON CONFLICT (member_id, platform) WHERE voided_at IS NULL DO UPDATE SET credential_id = excluded.credential_id, \
             updated_at = excluded.updated_at, site_name = excluded.site_name, \
             auth_token = COALESCE(wallet_passes.auth_token, excluded.auth_token), \
             push_due_at = CASE WHEN wallet_passes.credential_id <> excluded.credential_id \
             THEN excluded.updated_at ELSE wallet_passes.push_due_at END \
             RETURNING {PASS_COLUMNS}"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(p.operator_id)
            .bind(p.member_id)
            .bind(p.credential_id)
            .bind(p.platform)
            .bind(p.new_serial)
            .bind(now_ms())
            .bind(p.new_auth_token)
            .bind(p.site_name)
            .fetch_one(pool)
            .await)?)
    }

    pub async fn wallet_passes_for_member(&self, member_id: i64) -> Result<Vec<SqlWalletPass>> {
        let sql = format!(
            "SELECT {PASS_COLUMNS} FROM wallet_passes WHERE member_id = $1 ORDER BY platform"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(member_id)
            .fetch_all(p)
            .await)?)
    }

    // ---- abuse limits ----

    /// Counts one event against a limit of `max` per `window_ms`: the row is written only while
    /// the window holds fewer than `max` (SQLite serialises writers; PostgreSQL takes a per-key
    /// advisory lock, so racing requests on several instances never overshoot). Returns `None` when counted, or
    /// how long until the oldest event in the window leaves it.
    pub async fn hit(
        &self,
        scope: &str,
        key: &str,
        max: i64,
        window_ms: i64,
    ) -> Result<Option<i64>> {
        let now = now_ms();
        let since = now - window_ms;
        // The count stops at `max` rows: the cost stays bounded by the limit, not by traffic.
        let insert = "INSERT INTO rate_hits (scope, key, at) SELECT $1, $2, $3 \
                      WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM rate_hits WHERE scope = $1 \
                      AND key = $2 AND at > $4 LIMIT $5) AS w) < $5";
        let written = match &self.db {
            Db::Sqlite(p) => sqlx::query(insert)
                .bind(scope)
                .bind(key)
                .bind(now)
                .bind(since)
                .bind(max)
                .execute(p)
                .await?
                .rows_affected(),
            // Concurrent transactions on PostgreSQL would each count the window before any
            // insert is visible; a per-key advisory lock makes the count-and-insert one at a time.
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(format!("{scope}:{key}"))
                    .execute(&mut *tx)
                    .await?;
                let n = sqlx::query(insert)
                    .bind(scope)
                    .bind(key)
                    .bind(now)
                    .bind(since)
                    .bind(max)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                n
            }
        };
        if written == 1 {
            return Ok(None);
        }
        let oldest: Option<i64> = on_pool!(self, |p| sqlx::query_scalar(
            "SELECT MIN(at) FROM rate_hits WHERE scope = $1 AND key = $2 AND at > $3"
        )
        .bind(scope)
        .bind(key)
        .bind(since)
        .fetch_one(p)
        .await)?;
        Ok(Some(
            oldest
                .map(|o| o + window_ms - now)
                .unwrap_or(window_ms)
                // A racing request may have counted after this one read the clock.
                .clamp(1_000, window_ms.max(1_000)),
        ))
    }

    /// How many events `scope`/`key` counted in the last `window_ms`, and when the newest was.
    pub async fn recent_hits(
        &self,
        scope: &str,
        key: &str,
        window_ms: i64,
    ) -> Result<(i64, Option<i64>)> {
        let sql =
            "SELECT COUNT(*), MAX(at) FROM rate_hits WHERE scope = $1 AND key = $2 AND at > $3";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(scope)
            .bind(key)
            .bind(now_ms() - window_ms)
            .fetch_one(p)
            .await)?)
    }

    /// Adds `n` opens of the invite on `day` (days since the epoch).
    pub async fn add_invite_opens(&self, invite_id: i64, day: i64, n: i64) -> Result<()> {
        let sql = "INSERT INTO invite_opens (invite_id, day, opens) VALUES ($1, $2, $3) \
                   ON CONFLICT (invite_id, day) DO UPDATE SET opens = invite_opens.opens + excluded.opens";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(invite_id)
            .bind(day)
            .bind(n)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Forgets the events of one key (`key`), or of every key starting with it (`prefix`).
    pub async fn forget_hits(&self, scope: &str, key: &str, prefix: bool) -> Result<()> {
        let (sql, key) = if prefix {
            // Keys here are hex digests and addresses: no LIKE wildcards to escape.
            (
                "DELETE FROM rate_hits WHERE scope = $1 AND key LIKE $2",
                format!("{key}%"),
            )
        } else {
            (
                "DELETE FROM rate_hits WHERE scope = $1 AND key = $2",
                key.to_owned(),
            )
        };
        on_pool!(self, |p| sqlx::query(sql)
            .bind(scope)
            .bind(&key)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Would a hit be refused? Reads only.
    pub async fn would_limit(
        &self,
        scope: &str,
        key: &str,
        max: i64,
        window_ms: i64,
    ) -> Result<Option<i64>> {
        let now = now_ms();
        let since = now - window_ms;
        // The oldest `max` events of the window decide; the rest need not be counted.
        let (count, oldest): (i64, Option<i64>) = on_pool!(self, |p| sqlx::query_as(
            "SELECT COUNT(*), MIN(at) FROM (SELECT at FROM rate_hits WHERE scope = $1 \
             AND key = $2 AND at > $3 ORDER BY at LIMIT $4) AS w"
        )
        .bind(scope)
        .bind(key)
        .bind(since)
        .bind(max)
        .fetch_one(p)
        .await)?;
        Ok((count >= max).then(|| {
            oldest
                .map(|o| o + window_ms - now)
                .unwrap_or(window_ms)
                .clamp(1_000, window_ms.max(1_000))
        }))
    }

    /// Operator settings for the abuse limits.
    pub async fn set_operator_limits(
        &self,
        operator_id: i64,
        strict: bool,
        countries: &str,
        budget: i64,
    ) -> Result<()> {
        let sql = "UPDATE operators SET strict_enumeration = $2, sms_countries = $3, sms_hourly_budget = $4 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(strict)
            .bind(countries)
            .bind(budget)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The journey's live link (the newest, not replaced). Its code's tries are counted by
    /// `try_code`, which alone decides whether one is left.
    pub async fn live_link_for_journey(&self, journey_id: i64) -> Result<Option<SqlLink>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM link_tokens \
             WHERE journey_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(journey_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Counts one try of the link's code and returns (tries so far, the code's hash, the link's
    /// token hash), in one statement: of any number of concurrent tries, at most `max` are
    /// counted, and none once the link is used, replaced or expired. `None`: no try left.
    pub async fn try_code(
        &self,
        link_id: i64,
        max: i64,
    ) -> Result<Option<(i64, Option<String>, String)>> {
        let sql = "UPDATE link_tokens SET code_attempts = code_attempts + 1 \
                   WHERE id = $1 AND code_attempts < $2 AND revoked_at IS NULL \
                   AND claimed_at IS NULL AND expires_at > $3 \
                   RETURNING code_attempts, code_hash, token_hash";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(link_id)
            .bind(max)
            .bind(now_ms())
            .fetch_optional(p)
            .await)?)
    }

    /// The right code opens the link in this browser: the old link is replaced by a new one with
    /// the same expiry, member and number, already claimed by this browser. One transaction;
    /// only one request wins, and never on a link whose code is locked.
    pub async fn exchange_code(
        &self,
        link: &SqlLink,
        max_tries: i64,
        new_token_hash: &str,
        claim_hash: &str,
    ) -> Result<bool> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE link_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL \
                 AND claimed_at IS NULL AND code_attempts <= $3 AND expires_at > $2",
            )
            .bind(link.id)
            .bind(now)
            .bind(max_tries)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO link_tokens (journey_id, token_hash, expires_at, created_at, claimed_at, claim_hash, member_id, to_e164, code_attempts) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
            )
            .bind(link.journey_id)
            .bind(new_token_hash)
            .bind(link.expires_at)
            .bind(now)
            .bind(claim_hash)
            .bind(link.member_id)
            .bind(link.to_e164.as_deref())
            .bind(max_tries)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO journey_events (journey_id, at, kind, detail) VALUES ($1, $2, 'code_accepted', 'the code from the text opened the link')")
                .bind(link.journey_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Tries to rewrite history; the schema refuses. Exposed for the append-only test.
    pub async fn try_rewrite_event(&self, event_id: i64) -> Result<()> {
        on_pool!(self, |p| sqlx::query(
            "UPDATE journey_events SET kind = 'rewritten' WHERE id = $1"
        )
        .bind(event_id)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}

mod admin;
mod passkit;
mod sync;
pub use admin::*;
pub use passkit::*;
pub use sync::*;
