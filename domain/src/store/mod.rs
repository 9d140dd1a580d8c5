//! The database. SQLite is the embedded default; PostgreSQL serves operators who run several
//! instances. Each query is written once, in the SQL both dialects agree on (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`, times as integer milliseconds), and runs on whichever pool is
//! configured. Only the migrations differ per dialect.
//!
//! This module holds the connection, the error and the shared helpers; each table (or group of
//! tables) has its own file with its rows, its inputs and its queries. Every query of the
//! operator dashboard takes the operator's id: nothing reaches another operator's rows.

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

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// The search text as a LIKE pattern: a number's last digits, or a substring of a name or email.
fn search_pattern(s: &str) -> String {
    let escaped: String = s
        .to_lowercase()
        .chars()
        .filter(|c| *c != '%' && *c != '_')
        .collect();
    if is_digits(s) {
        format!("%{escaped}")
    } else {
        format!("%{escaped}%")
    }
}

mod audit;
mod credentials;
mod crm;
mod invites;
mod journeys;
mod limits;
mod links;
mod members;
mod operators;
mod outbox;
mod passes;
mod passkit;
mod staff;
mod sync;
pub use audit::*;
pub use credentials::*;
pub use crm::*;
pub use invites::*;
pub use journeys::*;
pub use links::*;
pub use members::*;
pub use operators::*;
pub use outbox::*;
pub use passes::*;
pub use passkit::*;
pub use staff::*;
pub use sync::*;

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

    pub fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
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
}
