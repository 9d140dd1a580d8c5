//! `rate_counters`: the abuse limits. One row per scope and key holds a window, which starts at
//! its first hit and lasts the limit's length, and the hits counted in it. A check is one upsert
//! whatever the traffic: no row per hit, nothing to count.

use super::{now_ms, Db, Result, Store};

/// One limit to count a hit against: at most `max` hits per `window_ms` for `scope` and `key`.
/// `add` is what the hit counts: 1, or 0 to check the limit without spending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub max: i64,
    pub window_ms: i64,
    pub add: i64,
}

/// Counts every hit of `counts` in one statement, inside the caller's transaction, or none of
/// them: when one limit is reached, the others' hits are taken back and the result says which
/// (its index in `counts`) and how long until its window ends. With `keep`, the first `keep`
/// hits stay counted when the limit reached comes after them. A hit is counted only while its
/// window holds fewer than `max`, so racing requests never overshoot: SQLite has one writer,
/// and PostgreSQL's upsert waits for the row a racing transaction holds, then decides on it.
macro_rules! count_hits {
    ($tx:ident, $counts:expr, $now:expr) => {
        $crate::store::limits::count_hits!($tx, $counts, $now, 0)
    };
    ($tx:ident, $counts:expr, $now:expr, $keep:expr) => {{
        let counts: &[$crate::store::Count<'_>] = $counts;
        let keep: usize = $keep;
        let now: i64 = $now;
        let mut refused: Option<(usize, i64)> = None;
        if let Some(i) = counts.iter().position(|c| c.max <= 0) {
            refused = Some((i, counts[i].window_ms.max(1_000)));
        } else if !counts.is_empty() {
            let sql = $crate::store::limits::upsert_sql(counts.len());
            let mut q = sqlx::query_as::<_, (String, String)>(&sql).bind(now);
            for c in counts {
                q = q
                    .bind(c.scope)
                    .bind(c.key)
                    .bind(c.max)
                    .bind(c.window_ms)
                    .bind(c.add);
            }
            let counted = q.fetch_all(&mut *$tx).await?;
            if counted.len() < counts.len() {
                let was_counted = |c: &$crate::store::Count<'_>| {
                    counted.iter().any(|(s, k)| s == c.scope && k == c.key)
                };
                let i = counts.iter().position(|c| !was_counted(c)).unwrap_or(0);
                let kept = if i >= keep { keep } else { 0 };
                for c in counts[kept..].iter().filter(|c| was_counted(c)) {
                    sqlx::query(
                        "UPDATE rate_counters SET hits = hits - 1 WHERE scope = $1 AND key = $2",
                    )
                    .bind(c.scope)
                    .bind(c.key)
                    .execute(&mut *$tx)
                    .await?;
                }
                let i = counts.iter().position(|c| !was_counted(c)).unwrap_or(0);
                let start: Option<i64> = sqlx::query_scalar(
                    "SELECT window_start FROM rate_counters WHERE scope = $1 AND key = $2",
                )
                .bind(counts[i].scope)
                .bind(counts[i].key)
                .fetch_optional(&mut *$tx)
                .await?;
                refused = Some((
                    i,
                    $crate::store::limits::retry_after(start, counts[i].window_ms, now),
                ));
            }
        }
        refused
    }};
}
pub(super) use count_hits;

/// The upsert that counts `n` hits: `$1` is now, then scope, key, max, window and what the hit
/// adds, per hit. A row whose window ended starts a new one; a row at its max is left alone (and
/// not returned).
pub(super) fn upsert_sql(n: usize) -> String {
    let values = (0..n)
        .map(|i| {
            let b = 2 + 5 * i;
            format!(
                "(${b}, ${}, $1, ${}, $1, ${}, ${})",
                b + 1,
                b + 4,
                b + 2,
                b + 3
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO rate_counters (scope, key, window_start, hits, last_at, cap, window_ms) VALUES {values} \
         {UPSERT_SET} RETURNING scope, key"
    )
}

/// How a counter takes a hit: a row whose window ended starts a new one; a row at its max is left
/// alone.
pub(super) const UPSERT_SET: &str = "ON CONFLICT (scope, key) DO UPDATE SET \
     hits = CASE WHEN rate_counters.window_start <= excluded.last_at - excluded.window_ms \
            THEN excluded.hits ELSE rate_counters.hits + excluded.hits END, \
     window_start = CASE WHEN rate_counters.window_start <= excluded.last_at - excluded.window_ms \
            THEN excluded.last_at ELSE rate_counters.window_start END, \
     last_at = excluded.last_at, cap = excluded.cap, window_ms = excluded.window_ms \
     WHERE rate_counters.window_start <= excluded.last_at - excluded.window_ms \
        OR rate_counters.hits < excluded.cap";

/// How long until a window that started at `start` ends (at least a second, at most the window).
pub(super) fn retry_after(start: Option<i64>, window_ms: i64, now: i64) -> i64 {
    start
        .map(|s| s + window_ms - now)
        .unwrap_or(window_ms)
        .clamp(1_000, window_ms.max(1_000))
}

impl Store {
    /// Counts one hit against a limit of `max` per `window_ms`. Returns `None` when counted, or
    /// how long until the window ends.
    pub async fn hit(
        &self,
        scope: &str,
        key: &str,
        max: i64,
        window_ms: i64,
    ) -> Result<Option<i64>> {
        let counts = [Count {
            scope,
            key,
            max,
            window_ms,
            add: 1,
        }];
        Ok(self.count_all(&counts).await?.map(|(_, ms)| ms))
    }

    /// Counts a hit against every limit of `counts`, or against none when one is reached: then
    /// which one (its index) and how long until its window ends.
    pub async fn count_all(&self, counts: &[Count<'_>]) -> Result<Option<(usize, i64)>> {
        let now = now_ms();
        Ok(on_pool!(self, |p| {
            use super::Begin as _;
            let mut tx = p.write().await?;
            let refused = count_hits!(tx, counts, now);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(refused)
        })?)
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
        let (start, hits) = self.window(scope, key, window_ms, now).await?;
        Ok((hits >= max).then(|| retry_after(start, window_ms, now)))
    }

    /// The live window of `scope`/`key`: when it started and its hits (none once it ended).
    async fn window(
        &self,
        scope: &str,
        key: &str,
        window_ms: i64,
        now: i64,
    ) -> Result<(Option<i64>, i64)> {
        let row: Option<(i64, i64)> = on_read!(self, |p| sqlx::query_as(
            "SELECT window_start, hits FROM rate_counters WHERE scope = $1 AND key = $2"
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(p)
        .await)?;
        Ok(match row {
            Some((start, hits)) if start > now - window_ms => (Some(start), hits),
            _ => (None, 0),
        })
    }

    /// How many hits `scope`/`key` counted in its live window of `window_ms`, and when the
    /// newest was.
    pub async fn recent_hits(
        &self,
        scope: &str,
        key: &str,
        window_ms: i64,
    ) -> Result<(i64, Option<i64>)> {
        let row: Option<(i64, i64, i64)> = on_read!(self, |p| {
            sqlx::query_as(
            "SELECT window_start, hits, last_at FROM rate_counters WHERE scope = $1 AND key = $2"
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(p)
        .await
        })?;
        Ok(match row {
            Some((start, hits, last)) if start > now_ms() - window_ms => (hits, Some(last)),
            Some((_, _, last)) => (0, Some(last)),
            None => (0, None),
        })
    }

    /// Forgets the hits of one key (`key`), or of every key starting with it (`prefix`).
    pub async fn forget_hits(&self, scope: &str, key: &str, prefix: bool) -> Result<()> {
        let (sql, key) = if prefix {
            // Keys here are hex digests and addresses: no LIKE wildcards to escape.
            (
                "DELETE FROM rate_counters WHERE scope = $1 AND key LIKE $2",
                format!("{key}%"),
            )
        } else {
            (
                "DELETE FROM rate_counters WHERE scope = $1 AND key = $2",
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

    /// Deletes the counters whose window ended: they count nothing any more.
    pub async fn forget_ended_windows(&self) -> Result<u64> {
        let sql = "DELETE FROM rate_counters WHERE window_start + window_ms < $1";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }
}
