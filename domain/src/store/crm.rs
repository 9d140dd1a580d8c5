//! `crm_connections`, `sync_runs`, `sync_problems` and `sync_leases`: the operator's CRM
//! connection, its sync runs, and the lease that keeps one instance syncing an operator at a time.

use super::{now_ms, Db, Result, Store, SyncProblem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    Full,
    Incremental,
}

impl SyncMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Full => "full",
            SyncMode::Incremental => "incremental",
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlSyncRun {
    pub id: i64,
    pub operator_id: i64,
    pub source: String,
    pub mode: String,
    pub status: String,
    pub cursor: Option<String>,
    pub modified_since: Option<i64>,
    pub pages: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub deactivated: i64,
    pub conflicts: i64,
    pub retries: i64,
    pub error: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlCrmConnection {
    pub operator_id: i64,
    pub kind: String,
    pub settings: String,
    pub interval_secs: i64,
    pub webhook_secret: String,
    pub full_requested_at: Option<i64>,
}

const RUN_COLUMNS: &str = "id, operator_id, source, mode, status, cursor, modified_since, pages, \
     created, updated, unchanged, rejected, deactivated, conflicts, retries, error, started_at, finished_at";

impl Store {
    /// Starts a run, or takes up the operator's last unfinished run of the same source and mode
    /// (it failed, or its instance died) from its saved cursor.
    pub async fn begin_sync_run(
        &self,
        operator_id: i64,
        source: &str,
        mode: SyncMode,
        modified_since: Option<i64>,
    ) -> Result<SqlSyncRun> {
        let now = now_ms();
        let last = format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs WHERE operator_id = $1 AND source = $2 \
             ORDER BY id DESC LIMIT 1"
        );
        let resume = format!(
            "UPDATE sync_runs SET status = 'running', error = NULL WHERE id = $1 RETURNING {RUN_COLUMNS}"
        );
        let create = format!(
            "INSERT INTO sync_runs (operator_id, source, mode, status, modified_since, started_at) \
             VALUES ($1, $2, $3, 'running', $4, $5) RETURNING {RUN_COLUMNS}"
        );
        on_pool!(self, |p| {
            let previous: Option<SqlSyncRun> = sqlx::query_as(&last)
                .bind(operator_id)
                .bind(source)
                .fetch_optional(p)
                .await?;
            if let Some(prev) = previous {
                if prev.status != "succeeded" && prev.mode == mode.as_str() {
                    return Ok(sqlx::query_as(&resume).bind(prev.id).fetch_one(p).await?);
                }
            }
            Ok(sqlx::query_as(&create)
                .bind(operator_id)
                .bind(source)
                .bind(mode.as_str())
                .bind(modified_since)
                .bind(now)
                .fetch_one(p)
                .await?)
        })
    }

    pub async fn finish_sync_run(
        &self,
        run_id: i64,
        error: Option<&str>,
        retries: i64,
    ) -> Result<SqlSyncRun> {
        let sql = format!(
            "UPDATE sync_runs SET status = $2, error = $3, finished_at = $4, retries = retries + $5 \
             WHERE id = $1 RETURNING {RUN_COLUMNS}"
        );
        let status = if error.is_some() {
            "failed"
        } else {
            "succeeded"
        };
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(run_id)
            .bind(status)
            .bind(error)
            .bind(now_ms())
            .bind(retries)
            .fetch_one(p)
            .await)?)
    }

    pub async fn sync_run(&self, run_id: i64) -> Result<Option<SqlSyncRun>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(run_id)
            .fetch_optional(p)
            .await)?)
    }

    /// The newest runs of an operator, newest first.
    pub async fn sync_runs(&self, operator_id: i64, limit: i64) -> Result<Vec<SqlSyncRun>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs WHERE operator_id = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// When the operator's last successful run from `source` started: the next incremental run
    /// asks for changes since then.
    pub async fn last_sync_start(&self, operator_id: i64, source: &str) -> Result<Option<i64>> {
        let sql = "SELECT MAX(started_at) FROM sync_runs WHERE operator_id = $1 AND source = $2 \
                   AND status = 'succeeded'";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(source)
            .fetch_one(p)
            .await)?)
    }

    pub async fn sync_problems(&self, run_id: i64) -> Result<Vec<SyncProblem>> {
        let sql = "SELECT kind, external_id, row_ref, reason FROM sync_problems WHERE run_id = $1 ORDER BY id";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(run_id)
            .fetch_all(p)
            .await)?)
    }

    /// Takes (or renews) the operator's sync lease for `ttl_ms`. At most one holder wins while
    /// the lease is live, across every instance sharing the database.
    pub async fn acquire_sync_lease(
        &self,
        operator_id: i64,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<bool> {
        let now = now_ms();
        let sql = "INSERT INTO sync_leases (operator_id, holder, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (operator_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                   WHERE sync_leases.expires_at < $4 OR sync_leases.holder = excluded.holder \
                   RETURNING operator_id";
        let won: Option<i64> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(holder)
            .bind(now + ttl_ms)
            .bind(now)
            .fetch_optional(p)
            .await)?;
        Ok(won.is_some())
    }

    pub async fn release_sync_lease(&self, operator_id: i64, holder: &str) -> Result<()> {
        let sql = "DELETE FROM sync_leases WHERE operator_id = $1 AND holder = $2";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(holder)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    // ---- connections ----

    /// Sets the operator's CRM connection; keeps the webhook secret when one exists.
    pub async fn set_crm_connection(
        &self,
        operator_id: i64,
        kind: &str,
        settings: &str,
        interval_secs: i64,
        new_secret: &str,
    ) -> Result<SqlCrmConnection> {
        let sql = "INSERT INTO crm_connections (operator_id, kind, settings, interval_secs, webhook_secret, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $6) \
                   ON CONFLICT (operator_id) DO UPDATE SET kind = excluded.kind, settings = excluded.settings, \
                   interval_secs = excluded.interval_secs, updated_at = excluded.updated_at \
                   RETURNING operator_id, kind, settings, interval_secs, webhook_secret, full_requested_at";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(kind)
            .bind(settings)
            .bind(interval_secs)
            .bind(new_secret)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    pub async fn crm_connection(&self, operator_id: i64) -> Result<Option<SqlCrmConnection>> {
        let sql =
            "SELECT operator_id, kind, settings, interval_secs, webhook_secret, full_requested_at \
                   FROM crm_connections WHERE operator_id = $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn crm_connections(&self) -> Result<Vec<SqlCrmConnection>> {
        let sql =
            "SELECT operator_id, kind, settings, interval_secs, webhook_secret, full_requested_at \
                   FROM crm_connections ORDER BY operator_id";
        Ok(on_read!(self, |p| sqlx::query_as(sql).fetch_all(p).await)?)
    }

    /// Asks for a full reconciliation at the operator's next scheduled sync (`None` clears it).
    pub async fn request_full_sync(&self, operator_id: i64, at: Option<i64>) -> Result<()> {
        let sql = "UPDATE crm_connections SET full_requested_at = $2 WHERE operator_id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(at)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
