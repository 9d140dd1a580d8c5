//! `link_tokens`: the texted links, their codes and claims (and, when a link is made, its SMS).

use super::journeys::{write_journey, JourneyWrite};
use super::Begin as _;
use super::{now_ms, Db, Result, Store};

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

/// Inside `tx`: the journey's earlier links stop working, and `link` (a `QueueLinkSms`) is
/// written with its text, when it is for a member (strict mode's stand-in link for a miss goes
/// nowhere: no text, nothing to send). The text's outbox id, or 0.
macro_rules! write_link {
    ($tx:ident, $journey_id:expr, $now:expr, $link:expr) => {{
        let (journey_id, now, l): (i64, i64, &$crate::store::QueueLinkSms<'_>) =
            ($journey_id, $now, $link);
        sqlx::query(
            "UPDATE link_tokens SET revoked_at = $2 WHERE journey_id = $1 AND revoked_at IS NULL",
        )
        .bind(journey_id)
        .bind(now)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO link_tokens (journey_id, token_hash, expires_at, created_at, code_hash, member_id, to_e164) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(journey_id)
        .bind(l.token_hash)
        .bind(l.expires_at)
        .bind(now)
        .bind(l.code_hash)
        .bind(l.member_id)
        .bind(l.to_e164)
        .execute(&mut *$tx)
        .await?;
        let sms_id: i64 = if l.member_id.is_some() {
            sqlx::query_scalar(
                "INSERT INTO sms_outbox (journey_id, operator_id, to_e164, body, status, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5) RETURNING id",
            )
            .bind(journey_id)
            .bind(l.operator_id)
            .bind(l.to_e164)
            .bind(l.body)
            .bind(now)
            .fetch_one(&mut *$tx)
            .await?
        } else {
            0
        };
        sms_id
    }};
}
pub(super) use write_link;

impl Store {
    /// Earlier links of the journey stop working; the new link and its SMS are written, and the
    /// journey records the queued message, all in one transaction.
    pub async fn queue_link_sms(&self, q: &QueueLinkSms<'_>) -> Result<i64> {
        self.queue_link_sms_after(&[], q).await
    }

    /// `queue_link_sms`, with the journey's `before` writes (the steps that led to the text)
    /// in the same transaction.
    pub async fn queue_link_sms_after(
        &self,
        before: &[JourneyWrite],
        q: &QueueLinkSms<'_>,
    ) -> Result<i64> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            write_journey!(tx, q.journey_id, now, before);
            let sms_id = write_link!(tx, q.journey_id, now, q);
            if q.member_id.is_some() {
                // A journey that issued its pass stays finished: a new link is not a new journey.
                sqlx::query(
                    "UPDATE journeys SET step = $3, updated_at = $2 WHERE id = $1 AND step <> $4",
                )
                .bind(q.journey_id)
                .bind(now)
                .bind(crate::kinds::Step::SmsQueued.as_str())
                .bind(crate::kinds::Step::PassIssued.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query(super::journeys::EVENT_SQL)
                    .bind(q.journey_id)
                    .bind(now)
                    .bind(crate::kinds::Event::SmsQueued.as_str())
                    .bind(q.detail)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(sms_id)
        })
    }

    pub async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<SqlLink>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM link_tokens WHERE token_hash = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// The journey's live link (the newest, not replaced). Its code's tries are counted by
    /// `try_code`, which alone decides whether one is left.
    pub async fn live_link_for_journey(&self, journey_id: i64) -> Result<Option<SqlLink>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM link_tokens \
             WHERE journey_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(journey_id)
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
            let mut tx = p.write().await?;
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
}
