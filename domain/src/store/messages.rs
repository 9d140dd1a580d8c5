//! `holder_messages` and `pass_notifications`: messages staff send to the holders of passes, and
//! the Google notifications each pass has had (at most 3 a day).

use super::Begin as _;
use super::{Db, Result, Store};

/// A message as sent, with its reach.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlHolderMessage {
    pub id: i64,
    pub operator_id: i64,
    pub site_name: Option<String>,
    pub member_id: Option<i64>,
    pub body: String,
    pub sent_by: String,
    pub created_at: i64,
    /// Live passes the message was put on (each queued for its wallet's update).
    pub passes: i64,
    /// Of them, Apple passes on at least one device (pushed).
    pub apple_on_devices: i64,
    /// Google passes told with a notification (`TEXT_AND_NOTIFY`).
    pub google_notified: i64,
    /// Google passes past their notifications for the day: the message shows, silently.
    pub google_quiet: i64,
}

/// Who a message goes to: the operator's live passes, of one site, or of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageScope<'a> {
    Everyone,
    Site(&'a str),
    Member(i64),
}

/// Notifying messages Google allows per pass in 24 hours.
pub const NOTIFICATIONS_PER_DAY: i64 = 3;

const MESSAGE_COLUMNS: &str = "id, operator_id, site_name, member_id, body, sent_by, created_at, \
     passes, apple_on_devices, google_notified, google_quiet";

impl Store {
    /// Puts `body` on every live pass in `scope` of `operator_id` and queues each for its wallet's
    /// update, in one transaction: Google passes with fewer than 3 notifications in the last 24
    /// hours get this one as a notification (kept), the others show it silently. Returns the
    /// message with its reach, or `None` (and writes nothing) when no live pass is in scope.
    pub async fn send_holder_message(
        &self,
        operator_id: i64,
        scope: MessageScope<'_>,
        body: &str,
        sent_by: &str,
        now: i64,
    ) -> Result<Option<SqlHolderMessage>> {
        let (site, member) = match scope {
            MessageScope::Everyone => (None, None),
            MessageScope::Site(name) => (Some(name.to_owned()), None),
            MessageScope::Member(id) => (None, Some(id)),
        };
        // $1 operator, $2 site name, $3 member: the live passes in scope (`w`).
        let in_scope = "w.operator_id = $1 AND w.voided_at IS NULL \
                        AND ($2 IS NULL OR w.site_name = $2) AND ($3 IS NULL OR w.member_id = $3)";
        let day_ago = now - 86_400_000;
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO holder_messages (operator_id, site_name, member_id, body, sent_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(operator_id)
            .bind(&site)
            .bind(member)
            .bind(body)
            .bind(sent_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let google_notified = sqlx::query(&format!(
                "INSERT INTO pass_notifications (pass_id, at) SELECT w.id, $4 FROM wallet_passes w \
                 WHERE {in_scope} AND w.platform = 'google' AND (SELECT COUNT(*) FROM pass_notifications n \
                 WHERE n.pass_id = w.id AND n.at > $5) < $6"
            ))
            .bind(operator_id)
            .bind(&site)
            .bind(member)
            .bind(now)
            .bind(day_ago)
            .bind(NOTIFICATIONS_PER_DAY)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
            let passes = sqlx::query(&format!(
                "UPDATE wallet_passes SET message_id = $4, updated_at = $5, push_due_at = $5, \
                 message_notifies = (platform = 'google' AND EXISTS (SELECT 1 FROM pass_notifications n \
                 WHERE n.pass_id = wallet_passes.id AND n.at = $5)) \
                 WHERE id IN (SELECT w.id FROM wallet_passes w WHERE {in_scope})"
            ))
            .bind(operator_id)
            .bind(&site)
            .bind(member)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
            if passes == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            let (apple_on_devices, google): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM wallet_passes w WHERE w.message_id = $1 AND w.platform = 'apple' \
                 AND EXISTS (SELECT 1 FROM pass_registrations r WHERE r.pass_id = w.id AND r.unregistered_at IS NULL)), \
                 (SELECT COUNT(*) FROM wallet_passes w WHERE w.message_id = $1 AND w.platform = 'google')",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let sent: SqlHolderMessage = sqlx::query_as(&format!(
                "UPDATE holder_messages SET passes = $2, apple_on_devices = $3, google_notified = $4, \
                 google_quiet = $5 WHERE id = $1 RETURNING {MESSAGE_COLUMNS}"
            ))
            .bind(id)
            .bind(passes)
            .bind(apple_on_devices)
            .bind(google_notified)
            .bind(google - google_notified)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(sent))
        })
    }

    /// The operator's messages, newest first.
    pub async fn holder_messages(
        &self,
        operator_id: i64,
        limit: i64,
    ) -> Result<Vec<SqlHolderMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM holder_messages WHERE operator_id = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    pub async fn holder_message(&self, id: i64) -> Result<Option<SqlHolderMessage>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM holder_messages WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }
}
