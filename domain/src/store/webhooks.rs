//! `webhook_endpoints` and `webhook_deliveries`: an operator's webhook receivers, and the durable
//! queue of messages to them, claimed under a lease as the SMS outbox is. Every dashboard query
//! takes the operator's id.

use super::Begin as _;
use super::{now_ms, Db, Result, Store};
use crate::lease::Lease;

#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct SqlEndpoint {
    pub id: i64,
    pub operator_id: i64,
    pub url: String,
    pub description: String,
    /// Comma-separated event types (`webhooks::split_events`).
    pub events: String,
    pub secret: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
}

/// The secret never reaches a log.
impl std::fmt::Debug for SqlEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlEndpoint")
            .field("id", &self.id)
            .field("operator_id", &self.operator_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"<redacted>")
            .field("disabled_at", &self.disabled_at)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub operator_id: i64,
    pub event_type: String,
    pub message_id: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub taken_over_from: Option<String>,
    pub last_status_code: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A claimed delivery with what sending it needs. `Debug` hides the secret.
#[derive(Clone, sqlx::FromRow)]
pub struct SqlDue {
    pub id: i64,
    pub endpoint_id: i64,
    pub operator_id: i64,
    pub message_id: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
    pub url: String,
    pub secret: String,
    pub allow_private: bool,
    pub failing_since: Option<i64>,
}

impl std::fmt::Debug for SqlDue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlDue")
            .field("id", &self.id)
            .field("endpoint_id", &self.endpoint_id)
            .field("attempts", &self.attempts)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// How an attempt ended, to record.
pub struct DeliveryOutcome<'a> {
    /// `delivered`, `queued` (again, at `next_attempt_at`) or `failed`.
    pub status: &'a str,
    pub next_attempt_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: Option<i64>,
    pub error: Option<&'a str>,
    /// Set with `failed`: the endpoint is disabled, for this reason.
    pub disable_endpoint: Option<&'a str>,
}

const ENDPOINT_COLUMNS: &str = "id, operator_id, url, description, events, secret, created_at, \
     disabled_at, disabled_reason, failing_since";
const DELIVERY_COLUMNS: &str = "id, endpoint_id, operator_id, event_type, message_id, payload, \
     status, attempts, next_attempt_at, taken_over_from, last_status_code, last_latency_ms, \
     last_error, created_at, delivered_at";

impl Store {
    pub async fn insert_endpoint(
        &self,
        operator_id: i64,
        url: &str,
        description: &str,
        events: &str,
        secret: &str,
    ) -> Result<i64> {
        let sql = "INSERT INTO webhook_endpoints (operator_id, url, description, events, secret, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(url)
            .bind(description)
            .bind(events)
            .bind(secret)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    pub async fn endpoints_of(&self, operator_id: i64) -> Result<Vec<SqlEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE operator_id = $1 ORDER BY id"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    /// One of the operator's endpoints.
    pub async fn endpoint(&self, operator_id: i64, id: i64) -> Result<Option<SqlEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE operator_id = $1 AND id = $2"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Switches one of the operator's endpoints on (clearing its failures) or off (with why).
    pub async fn set_endpoint_enabled(
        &self,
        operator_id: i64,
        id: i64,
        enabled: bool,
        reason: &str,
    ) -> Result<bool> {
        let sql = if enabled {
            "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL \
             WHERE operator_id = $1 AND id = $2 AND $3 = $3 AND $4 = $4"
        } else {
            "UPDATE webhook_endpoints SET disabled_at = $3, disabled_reason = $4 \
             WHERE operator_id = $1 AND id = $2 AND disabled_at IS NULL"
        };
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(id)
            .bind(now_ms())
            .bind(reason)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Deletes one of the operator's endpoints with its delivery log.
    pub async fn delete_endpoint(&self, operator_id: i64, id: i64) -> Result<bool> {
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND operator_id = $2",
            )
            .bind(id)
            .bind(operator_id)
            .execute(&mut *tx)
            .await?;
            let n = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND operator_id = $2")
                .bind(id)
                .bind(operator_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    pub async fn webhooks_allow_private(&self, operator_id: i64) -> Result<bool> {
        let sql = "SELECT webhooks_allow_private FROM operators WHERE id = $1";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .fetch_optional(p)
            .await)?
        .unwrap_or(false))
    }

    pub async fn set_webhooks_allow_private(&self, operator_id: i64, allow: bool) -> Result<()> {
        let sql = "UPDATE operators SET webhooks_allow_private = $2 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(allow)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Queues one message for every live endpoint of the operator subscribed to `event_type`;
    /// how many. The message id is per endpoint (each receiver dedupes its own).
    pub async fn enqueue_webhook(
        &self,
        operator_id: i64,
        event_type: &str,
        payload: &str,
        message_id: &str,
    ) -> Result<u64> {
        // Subscribed: the type is one of the comma-separated list (bounded by commas).
        let sql =
            "INSERT INTO webhook_deliveries (endpoint_id, operator_id, event_type, message_id, \
                   payload, status, attempts, next_attempt_at, created_at) \
                   SELECT e.id, e.operator_id, $2, $4 || '_' || e.id, $3, 'queued', 0, $5, $5 \
                   FROM webhook_endpoints e WHERE e.operator_id = $1 AND e.disabled_at IS NULL \
                   AND (',' || e.events || ',') LIKE ('%,' || $2 || ',%')";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(event_type)
            .bind(payload)
            .bind(message_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Claims due deliveries (queued and due, or being sent by an instance whose lease ran out)
    /// under `lease`, up to `limit`. The attempt is counted at the claim.
    pub async fn claim_due_webhooks(
        &self,
        now: i64,
        lease: &Lease,
        limit: i64,
    ) -> Result<Vec<SqlDue>> {
        let limit = limit.max(1);
        let pick = match self.db {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let claim = format!(
            "UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, \
             claimed_by = $2, lease_until = $3, \
             taken_over_from = CASE WHEN status = 'sending' THEN COALESCE(claimed_by, '') END \
             WHERE (CASE status WHEN 'queued' THEN next_attempt_at <= $1 \
                    WHEN 'sending' THEN lease_until < $1 ELSE false END) \
             AND id IN (SELECT id FROM (SELECT id FROM webhook_deliveries \
               WHERE ((status = 'queued' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)) \
               AND endpoint_id NOT IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL) \
               ORDER BY id LIMIT {limit} {pick}) d) \
             RETURNING id"
        );
        let read = "SELECT d.id, d.endpoint_id, d.operator_id, d.message_id, d.payload, d.attempts, \
                    d.created_at, e.url, e.secret, o.webhooks_allow_private AS allow_private, e.failing_since \
                    FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                    JOIN operators o ON o.id = d.operator_id \
                    WHERE d.id = $1 AND d.claimed_by = $2 AND d.status = 'sending'";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let ids: Vec<i64> = sqlx::query_scalar(&claim)
                .bind(now)
                .bind(&lease.holder)
                .bind(lease.until(now))
                .fetch_all(&mut *tx)
                .await?;
            let mut due = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(d) = sqlx::query_as::<_, SqlDue>(read)
                    .bind(id)
                    .bind(&lease.holder)
                    .fetch_optional(&mut *tx)
                    .await?
                {
                    due.push(d);
                }
            }
            tx.commit().await?;
            due.sort_by_key(|d| d.id);
            Ok(due)
        })
    }

    /// Records an attempt, only while the claim is still `lease`'s for this attempt (an
    /// instance that took the delivery over since wins): `false` when it was not.
    pub async fn finish_webhook(
        &self,
        due: &SqlDue,
        lease: &Lease,
        o: &DeliveryOutcome<'_>,
    ) -> Result<bool> {
        let now = now_ms();
        let record = "UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5, \
                      last_status_code = $6, last_latency_ms = $7, last_error = $8, \
                      delivered_at = CASE WHEN $4 = 'delivered' THEN $9 ELSE delivered_at END, \
                      claimed_by = NULL, lease_until = NULL \
                      WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND status = 'sending'";
        // A success clears the endpoint's failing streak; a failure starts one.
        let streak = if o.status == "delivered" {
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND $2 = $2"
        } else {
            "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1"
        };
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let n = sqlx::query(record)
                .bind(due.id)
                .bind(&lease.holder)
                .bind(due.attempts)
                .bind(o.status)
                .bind(o.next_attempt_at)
                .bind(o.status_code)
                .bind(o.latency_ms)
                .bind(o.error)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(streak)
                    .bind(due.endpoint_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if let Some(reason) = o.disable_endpoint {
                    sqlx::query(
                        "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3 \
                         WHERE id = $1 AND disabled_at IS NULL",
                    )
                    .bind(due.endpoint_id)
                    .bind(now)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// The newest deliveries of one of the operator's endpoints.
    pub async fn deliveries_of(
        &self,
        operator_id: i64,
        endpoint_id: i64,
        limit: i64,
    ) -> Result<Vec<SqlDelivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE operator_id = $1 AND endpoint_id = $2 \
             ORDER BY id DESC LIMIT {limit}"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(endpoint_id)
            .fetch_all(p)
            .await)?)
    }

    /// "Send again": a new delivery of a past one's message (same body, a new id, due now), to
    /// its endpoint, for the operator only. The new delivery's id.
    pub async fn send_webhook_again(
        &self,
        operator_id: i64,
        delivery_id: i64,
        message_id: &str,
    ) -> Result<Option<i64>> {
        let sql = "INSERT INTO webhook_deliveries (endpoint_id, operator_id, event_type, message_id, \
                   payload, status, attempts, next_attempt_at, created_at) \
                   SELECT d.endpoint_id, d.operator_id, d.event_type, $3, d.payload, 'queued', 0, $4, $4 \
                   FROM webhook_deliveries d WHERE d.id = $2 AND d.operator_id = $1 RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(delivery_id)
            .bind(message_id)
            .bind(now_ms())
            .fetch_optional(p)
            .await)?)
    }

    /// How many of the operator's endpoints were disabled for `reason` (the worker's).
    pub async fn endpoints_disabled_for(&self, operator_id: i64, reason: &str) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM webhook_endpoints WHERE operator_id = $1 \
                   AND disabled_at IS NOT NULL AND disabled_reason = $2";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(reason)
            .fetch_one(p)
            .await)?)
    }
}
