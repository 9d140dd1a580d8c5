//! `sms_outbox`: the SMS queue, its send attempts and delivery receipts.

use super::batch::{bind_args, Arg};
use super::journeys::commit_with_event;
use super::Begin as _;
use super::{now_ms, Db, Result, Store};
use crate::lease::Lease;

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
    /// The instance whose expired lease this claim took over (`None` for an ordinary claim).
    pub taken_over_from: Option<String>,
}

impl std::fmt::Debug for SqlSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlSms")
            .field("id", &self.id)
            .field("journey_id", &self.journey_id)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("taken_over_from", &self.taken_over_from)
            .finish_non_exhaustive()
    }
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlSmsRow {
    pub created_at: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub delivery_status: Option<String>,
    pub delivery_at: Option<i64>,
}

impl Store {
    /// Claims the oldest due message for sending under `lease` (see `claim_due_sms_many`).
    pub async fn claim_due_sms(&self, now: i64, lease: &Lease) -> Result<Option<SqlSms>> {
        Ok(self
            .claim_due_sms_many(now, lease, 1)
            .await?
            .into_iter()
            .next())
    }

    /// Claims the oldest due messages, up to `limit` of each kind, for sending under `lease`:
    /// queued messages that are due, and ones another instance was sending whose lease ran out
    /// before `now` (a take-over, named in `taken_over_from`). The attempt is counted before the
    /// send; the re-check in the outer WHERE makes a claim that lost a race change nothing.
    pub async fn claim_due_sms_many(
        &self,
        now: i64,
        lease: &Lease,
        limit: i64,
    ) -> Result<Vec<SqlSms>> {
        // The one statement whose dialects differ: PostgreSQL skips rows another instance's
        // worker holds (so several workers share the queue); SQLite serialises writers anyway.
        let pick = match self.db {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        // The re-check, written so that no planner reads it as a range to scan: the rows come
        // by id from the subqueries (one IN over their union: an OR of two INs had PostgreSQL
        // scan the whole table).
        let claimable = "(CASE status WHEN 'queued' THEN next_attempt_at <= $1 \
                         WHEN 'sending' THEN lease_until < $1 ELSE false END)";
        // The first due rows in the order of the indexes (status, next_attempt_at) and (status,
        // lease_until): a few index steps, however long the queue (ordering by id sorted every
        // due row on each claim). SET sees the row as it was: a row still `sending` is one whose
        // lease ran out.
        let sql = format!(
            "UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1, \
             claimed_by = $2, lease_until = $3, \
             taken_over_from = CASE WHEN status = 'sending' THEN COALESCE(claimed_by, '') END \
             WHERE {claimable} AND id IN (\
             SELECT id FROM (SELECT id FROM sms_outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
              ORDER BY next_attempt_at, id LIMIT $4 {pick}) q \
             UNION ALL SELECT id FROM (SELECT id FROM sms_outbox WHERE status = 'sending' AND lease_until < $1 \
              ORDER BY lease_until, id LIMIT $4 {pick}) l) \
             RETURNING id, journey_id, operator_id, to_e164, body, status, attempts, \
             (SELECT MAX(expires_at) FROM link_tokens l WHERE l.journey_id = sms_outbox.journey_id) AS link_expires_at, \
             taken_over_from"
        );
        let args = vec![
            Arg::int(now),
            Arg::text(&lease.holder),
            Arg::int(lease.until(now)),
            Arg::int(limit.max(1)),
        ];
        let mut claimed: Vec<SqlSms> = match &self.db {
            Db::Postgres(p) => bind_args!(sqlx::query_as(&sql), &args).fetch_all(p).await?,
            Db::Sqlite(lite) => super::batch::lite(lite, sql, args).await?,
        };
        claimed.sort_by_key(|sms| sms.id);
        Ok(claimed)
    }

    /// Records the outcome of one send attempt: `status` is `sent`, `queued` (retry at
    /// `next_attempt_at`) or `failed`; the journey gets the matching event. Only while the claim
    /// is still `lease`'s (same holder, same attempt): a claim another instance took over since
    /// writes nothing, and the answer is `false`.
    pub async fn finish_sms(
        &self,
        sms: &SqlSms,
        lease: &Lease,
        done: &SmsAttempt<'_>,
    ) -> Result<bool> {
        let now = now_ms();
        let step = match done.status {
            "sent" => Some(crate::kinds::Step::SmsSent.as_str()),
            "failed" => Some(crate::kinds::Step::SmsFailed.as_str()),
            _ => None,
        };
        // Once the provider has the text (or it was given up), the link and code in clear are
        // not kept: the timeline and the outbox keep a masked copy.
        let masked = step.map(|_| crate::sms::masked_body(&sms.body));
        // One hand-over: the outbox row, the journey and its event, written only while the
        // claim is still this one.
        const SET: &str = "UPDATE sms_outbox SET status = $2, provider_id = COALESCE($3, provider_id), \
             last_error = $4, next_attempt_at = $5, sent_at = CASE WHEN $2 = 'sent' THEN $6 ELSE sent_at END, \
             body = COALESCE($7, body), lease_until = NULL";
        const CLAIM: &str = "id = $1 AND status = 'sending' AND claimed_by = $8 AND attempts = $9";
        // The journey only moves on while it is still at the SMS step (a later link-open wins).
        const JOURNEY: &str = "UPDATE journeys SET step = COALESCE($10, step), updated_at = $6 \
             WHERE id = $11 AND step IN ('sms_queued', 'sms_sent', 'sms_failed')";
        const EVENT: &str =
            "INSERT INTO journey_events (journey_id, at, kind, detail) SELECT $11, $6, $12, $13";
        let args = vec![
            Arg::int(sms.id),
            Arg::text(done.status),
            Arg::opt_text(done.provider_id),
            Arg::opt_text(done.error),
            Arg::int(done.next_attempt_at),
            Arg::int(now),
            Arg::opt_text(masked.as_deref()),
            Arg::text(&lease.holder),
            Arg::int(sms.attempts),
            Arg::opt_text(step),
            Arg::int(sms.journey_id),
            Arg::text(done.event),
            Arg::text(done.detail),
        ];
        let mine: Vec<(bool,)> = match &self.db {
            Db::Postgres(p) => {
                let sql = format!(
                    "WITH m AS ({SET} WHERE {CLAIM} RETURNING id), \
                     j AS ({JOURNEY} AND EXISTS (SELECT 1 FROM m)), \
                     e AS ({EVENT} FROM m) \
                     SELECT EXISTS (SELECT 1 FROM m)"
                );
                bind_args!(sqlx::query_as(&sql), &args).fetch_all(p).await?
            }
            Db::Sqlite(lite) => {
                // Whether the claim is still this one, read before the outbox row changes.
                let mine = format!("EXISTS (SELECT 1 FROM sms_outbox WHERE {CLAIM})");
                let sql = format!(
                    "{JOURNEY} AND {mine}; {EVENT} WHERE {mine}; SELECT {mine}; {SET} WHERE {CLAIM}"
                );
                super::batch::lite(lite, sql, args).await?
            }
        };
        Ok(mine.first().is_some_and(|(mine,)| *mine))
    }

    /// When the journey's newest SMS was queued.
    pub async fn last_sms_at(&self, journey_id: i64) -> Result<Option<i64>> {
        let sql = "SELECT MAX(created_at) FROM sms_outbox WHERE journey_id = $1";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
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
        let kind = format!("sms_{status}");
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
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
            let update = sqlx::query(
                "UPDATE sms_outbox SET delivery_status = $2, delivery_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(now);
            commit_with_event(tx, update, journey_id, now, &kind, detail).await?;
            Ok(Some(journey_id))
        })
    }

    pub async fn delivery_status(&self, provider_id: &str) -> Result<Option<String>> {
        let sql = "SELECT delivery_status FROM sms_outbox WHERE provider_id = $1";
        let row: Option<Option<String>> = on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(provider_id)
            .fetch_optional(p)
            .await)?;
        Ok(row.flatten())
    }

    /// The newest messages, for the development outbox page.
    pub async fn recent_sms(&self, limit: i64) -> Result<Vec<SqlSms>> {
        let sql = "SELECT id, journey_id, operator_id, to_e164, body, status, attempts, NULL AS link_expires_at, \
                   taken_over_from FROM sms_outbox ORDER BY id DESC LIMIT $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    pub async fn journey_sms(&self, journey_id: i64) -> Result<Vec<SqlSmsRow>> {
        let sql = "SELECT created_at, status, attempts, last_error, sent_at, delivery_status, delivery_at \
                   FROM sms_outbox WHERE journey_id = $1 ORDER BY id";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(journey_id)
            .fetch_all(p)
            .await)?)
    }

    /// The outbox's depth for the metrics: texts not yet sent or given up (queued, or claimed and
    /// being sent), and when the oldest of them was queued. Across every instance.
    pub async fn outbox_depth(&self) -> Result<(i64, Option<i64>)> {
        let sql = "SELECT COUNT(*), MIN(created_at) FROM sms_outbox WHERE status IN ('queued', 'sending')";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await)?)
    }
}
