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

/// How long the server's SQLite connections wait for another process's write lock (a command
/// importing members beside it) before the request answers "try again in a moment".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a command's connections wait: a command has no one waiting on a phone.
pub const COMMAND_BUSY_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone)]
enum Db {
    Sqlite(Lite),
    Postgres(PgPool),
}

/// SQLite takes one writer at a time: every statement that may write goes through the one
/// writer connection (so writers of this process queue in memory instead of sleeping in
/// SQLite's busy handler), and reads that need not see an open transaction use the readers
/// beside it (WAL lets them run while the writer writes).
///
/// The hot writes (a submission, a text's claim and outcome) go to a writer of their own, the
/// writes waiting together in one commit (`batch::LiteGroup`): a pool's connection is pinged on its own thread every time
/// it is given back, which doubled every write's hold on the one write lock. Whoever holds that
/// writer's lock writes: the pool's writer takes it too, so the two never wait on each other in
/// SQLite's busy handler.
#[derive(Clone)]
struct Lite {
    write: SqlitePool,
    hot: std::sync::Arc<tokio::sync::Mutex<sqlx::SqliteConnection>>,
    read: SqlitePool,
    /// How long a write waits for its turn, as long as for another process's lock.
    busy: Duration,
    /// The hot writes' group commit.
    group: batch::LiteGroup,
}

impl Lite {
    /// The turn to write, or "timed out" (the answer says "try again in a moment") after the
    /// busy timeout, as a pool's connection would.
    async fn writing(
        hot: &std::sync::Arc<tokio::sync::Mutex<sqlx::SqliteConnection>>,
        busy: Duration,
    ) -> Result<tokio::sync::OwnedMutexGuard<sqlx::SqliteConnection>, sqlx::Error> {
        tokio::time::timeout(busy, hot.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)
    }
}

#[derive(Clone)]
pub struct Store {
    db: Db,
    cache: std::sync::Arc<cache::Cache>,
    /// PostgreSQL's group commit for submissions (`batch::Grouped`).
    grouped: Option<batch::Grouped>,
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
/// On SQLite it runs on the writer connection: anything may write there.
macro_rules! on_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.db {
            Db::Sqlite(lite) => {
                let _writing = $crate::store::Lite::writing(&lite.hot, lite.busy).await?;
                let $p = &lite.write;
                $body
            }
            Db::Postgres($p) => $body,
        }
    };
}

/// `on_pool!` for a body that only reads: on SQLite it runs on a reader, beside the writer.
macro_rules! on_read {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.db {
            Db::Sqlite(lite) => {
                let $p = &lite.read;
                $body
            }
            Db::Postgres($p) => $body,
        }
    };
}

/// A write transaction. SQLite's starts `IMMEDIATE`: it takes the write lock at `BEGIN`, waiting
/// (the busy timeout) while another process writes, instead of failing later when a read inside
/// it tries to become a write.
pub(crate) trait Begin {
    type Db: sqlx::Database;
    fn write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send;
}

impl Begin for SqlitePool {
    type Db = sqlx::Sqlite;
    fn write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl Begin for PgPool {
    type Db = sqlx::Postgres;
    fn write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin()
    }
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

mod api_keys;
mod audit;
mod batch;
mod cache;
mod credentials;
mod crm;
mod invites;
mod journeys;
mod limits;
mod links;
mod members;
mod messages;
mod mfa;
mod operators;
mod outbox;
mod passes;
mod passkit;
mod sso;
mod staff;
mod submission;
mod sync;
mod webhooks;
pub use api_keys::*;
pub use audit::*;
pub use credentials::*;
pub use crm::*;
pub use invites::*;
pub use journeys::*;
pub use limits::Count;
pub use links::*;
pub use members::*;
pub use messages::*;
pub use mfa::*;
pub use operators::*;
pub use outbox::*;
pub use passes::*;
pub use passkit::*;
pub use sso::*;
pub use staff::*;
pub use submission::*;
pub use sync::*;
pub use webhooks::*;

impl Store {
    /// Connects to `url` (creating the SQLite file and its folder when missing) and migrates.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        Store::connect_waiting(url, max_connections, SQLITE_BUSY_TIMEOUT).await
    }

    /// `connect`, with SQLite's connections waiting up to `busy` for another process's lock.
    pub async fn connect_waiting(url: &str, max_connections: u32, busy: Duration) -> Result<Self> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            Store::with(Db::Postgres(pool))
        } else {
            // Every connection, a command's too, waits up to the busy timeout for another
            // process's write instead of failing with "database is locked".
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy)
                .statement_cache_capacity(256);
            let path = options.get_filename();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            // A connection to a local file does not go stale: no ping before each use (it
            // doubled the round trips to SQLite's worker threads). Writers of this process
            // queue for the one writer connection, so its wait is as long as the busy timeout.
            // The writer copies the log into the database (a checkpoint, two fsyncs) only once
            // it holds 4,000 pages: the server's checkpoint task does it first, beside the
            // writer (`checkpoint`). Its cache holds the index pages every submission touches.
            let writer = options
                .clone()
                .pragma("wal_autocheckpoint", "4000")
                .pragma("cache_size", "-16000");
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(busy)
                .connect_with(writer.clone())
                .await?;
            let hot = std::sync::Arc::new(tokio::sync::Mutex::new(
                sqlx::ConnectOptions::connect(&writer).await?,
            ));
            let read = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Store::with(Db::Sqlite(Lite {
                write,
                group: batch::LiteGroup::start(hot.clone(), busy),
                hot,
                read,
                busy,
            }))
        };
        store.migrate().await?;
        Ok(store)
    }

    /// A PostgreSQL connection without migrations, for creating databases (test harnesses, tools).
    pub async fn connect_admin(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
        Ok(Store::with(Db::Postgres(pool)))
    }

    fn with(db: Db) -> Store {
        let grouped = match &db {
            Db::Postgres(pool) => Some(batch::Grouped::start(pool.clone())),
            Db::Sqlite(_) => None,
        };
        Store {
            db,
            cache: Default::default(),
            grouped,
        }
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
            Db::Sqlite(lite) => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&lite.write)
                    .await?
            }
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

    /// Copies SQLite's write-ahead log into the database, beside the writer (it keeps writing
    /// meanwhile): a checkpoint on the writer's thread held every write behind it. Nothing on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Db::Sqlite(lite) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&lite.read)
                .await?;
        }
        Ok(())
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
        match &self.db {
            Db::Sqlite(lite) => {
                lite.read.close().await;
                lite.write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}
