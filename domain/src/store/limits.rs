//! `rate_hits`: the abuse limits' sliding windows.

use super::{now_ms, Db, Result, Store};

impl Store {
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
}
