//! `journeys` and `journey_events`: each journey, its append-only event log, and the
//! dashboard's journey list, filters and funnel.

use super::Begin as _;
use super::{is_digits, now_ms, search_pattern, Db, Result, Store};
use crate::kinds::{Event, Outcome, Step};

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
    /// The language of the page the number was entered on (the text went out in it).
    pub language: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlJourneyEvent {
    pub id: i64,
    pub journey_id: i64,
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

/// An event of the operator's events feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlFeedEvent {
    pub id: i64,
    pub public_id: String,
    pub at: i64,
    pub kind: String,
    pub detail: String,
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

/// Appends one line to a journey's event log (inside a caller's transaction).
pub(super) const EVENT_SQL: &str =
    "INSERT INTO journey_events (journey_id, at, kind, detail) VALUES ($1, $2, $3, $4)";

/// One write of a journey step: the journey's new state (when `step` is set) and its event.
/// A submission decides all of its writes first and commits them together
/// (`Store::record_journey`, or before a link in `Store::queue_link_sms_after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyWrite {
    /// The journey's new step, with `outcome` (none clears it); `None` records the event alone.
    pub step: Option<Step>,
    pub outcome: Option<Outcome>,
    /// Set once: a journey's member never changes.
    pub member_id: Option<i64>,
    /// Replaces the number on the journey when set.
    pub entered_mobile: Option<String>,
    pub event: Event,
    pub detail: String,
}

impl JourneyWrite {
    /// The event alone; set the other fields to move the journey too.
    pub fn new(event: Event, detail: String) -> JourneyWrite {
        JourneyWrite {
            step: None,
            outcome: None,
            member_id: None,
            entered_mobile: None,
            event,
            detail,
        }
    }
}

/// Applies `writes` in order inside the open transaction `$tx`.
macro_rules! write_journey {
    ($tx:ident, $journey_id:expr, $now:expr, $writes:expr) => {
        for w in $writes {
            match w.step {
                Some(step) => {
                    sqlx::query($crate::store::journeys::ADVANCE_SQL)
                        .bind($journey_id)
                        .bind(step.as_str())
                        .bind(w.outcome.map($crate::kinds::Outcome::as_str))
                        .bind(w.member_id)
                        .bind(w.entered_mobile.as_deref())
                        .bind($now)
                        .execute(&mut *$tx)
                        .await?;
                }
                None => {
                    sqlx::query("UPDATE journeys SET updated_at = $2 WHERE id = $1")
                        .bind($journey_id)
                        .bind($now)
                        .execute(&mut *$tx)
                        .await?;
                }
            }
            sqlx::query($crate::store::journeys::EVENT_SQL)
                .bind($journey_id)
                .bind($now)
                .bind(w.event.as_str())
                .bind(w.detail.as_str())
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(super) use write_journey;

pub(super) const ADVANCE_SQL: &str = "UPDATE journeys SET step = $2, outcome = $3, \
                           member_id = COALESCE(member_id, $4), \
                           entered_mobile = COALESCE($5, entered_mobile), updated_at = $6 WHERE id = $1";

/// The end of a journey's transaction: `update` (bound, ready to run: it moves the journey, or
/// its message, on) runs, the journey's event log gains `kind` with `detail` at `now`, and the
/// transaction commits.
pub(super) async fn commit_with_event<'q, DB>(
    mut tx: sqlx::Transaction<'_, DB>,
    update: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    journey_id: i64,
    now: i64,
    kind: &'q str,
    detail: &'q str,
) -> std::result::Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    update.execute(&mut *tx).await?;
    sqlx::query(EVENT_SQL)
        .bind(journey_id)
        .bind(now)
        .bind(kind)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

const JOURNEY_COLUMNS: &str = "id, public_id, operator_id, invite_id, member_id, step, outcome, \
     entered_mobile, started_at, updated_at, language";

/// What the journey list is narrowed to. Times are milliseconds, `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct JourneyQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub site_id: Option<i64>,
    pub outcome: Option<String>,
    /// Name or email text, or (all digits) the last digits of a number.
    pub search: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlJourneyRow {
    pub id: i64,
    pub public_id: String,
    pub member_id: Option<i64>,
    pub member_external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub entered_mobile: Option<String>,
    pub site_name: Option<String>,
    pub channel: String,
    pub step: String,
    pub outcome: String,
    pub started_at: i64,
    pub updated_at: i64,
    pub apple_at: Option<i64>,
    pub google_at: Option<i64>,
}

/// How many journeys of a period reached each step of the funnel.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct SqlFunnel {
    pub opened: i64,
    pub entered: i64,
    pub matched: i64,
    pub delivered: i64,
    pub link_opened: i64,
    /// Journeys whose Apple pass was downloaded.
    pub apple: i64,
    /// …and added to a Wallet: a device registered for its updates.
    pub apple_added: i64,
    /// Journeys sent on to Google Wallet (the save link).
    pub google: i64,
    /// …and saved there: Google's save callback.
    pub google_saved: i64,
}

/// The outcome a journey shows in the dashboard, derived from its step, its outcome column and
/// its link's expiry (`$1` is now).
const OUTCOME_SQL: &str = "CASE \
    WHEN j.step = 'pass_issued' THEN 'completed' \
    WHEN j.outcome = 'not_found' AND (SELECT e.detail FROM journey_events e WHERE e.journey_id = j.id \
         AND e.kind = 'member_not_found' ORDER BY e.id DESC LIMIT 1) = 'inactive' THEN 'not_eligible' \
    WHEN j.outcome = 'not_found' THEN 'not_found' \
    WHEN j.outcome = 'rate_limited' THEN 'rate_limited' \
    WHEN j.step = 'sms_failed' THEN 'sms_failed' \
    WHEN j.step IN ('sms_queued', 'sms_sent', 'link_opened') \
         AND (SELECT MAX(lt.expires_at) FROM link_tokens lt WHERE lt.journey_id = j.id) < $1 \
         THEN 'link_expired' \
    ELSE 'in_progress' END";

/// The outcomes the journey list can be filtered by, as the dashboard names them.
pub const OUTCOMES: [&str; 7] = [
    "completed",
    "in_progress",
    "not_found",
    "not_eligible",
    "sms_failed",
    "link_expired",
    "rate_limited",
];

fn journey_select() -> String {
    format!(
        "SELECT j.id, j.public_id, j.member_id, m.external_id AS member_external_id, m.first_name, m.last_name, j.entered_mobile, \
         s.name AS site_name, i.channel, j.step, {OUTCOME_SQL} AS outcome, j.started_at, j.updated_at, \
         (SELECT MIN(e.at) FROM journey_events e WHERE e.journey_id = j.id AND e.kind = 'apple_pass_issued') AS apple_at, \
         (SELECT MIN(e.at) FROM journey_events e WHERE e.journey_id = j.id AND e.kind = 'google_pass_issued') AS google_at \
         FROM journeys j \
         JOIN invites i ON i.id = j.invite_id \
         LEFT JOIN sites s ON s.id = i.site_id \
         LEFT JOIN members m ON m.id = j.member_id"
    )
}

/// The WHERE clause of a journey query; parameters from `$3` on, in the order `journey_binds` binds them.
fn journey_where(q: &JourneyQuery) -> String {
    let mut clauses = vec!["j.operator_id = $2".to_owned()];
    let mut n = 3;
    let mut next = || {
        let s = format!("${n}");
        n += 1;
        s
    };
    if q.from.is_some() {
        clauses.push(format!("j.started_at >= {}", next()));
    }
    if q.to.is_some() {
        clauses.push(format!("j.started_at < {}", next()));
    }
    if q.site_id.is_some() {
        clauses.push(format!("i.site_id = {}", next()));
    }
    if q.outcome.is_some() {
        clauses.push(format!("({OUTCOME_SQL}) = {}", next()));
    }
    if let Some(s) = &q.search {
        if is_digits(s) {
            let p = next();
            clauses.push(format!(
                "(j.entered_mobile LIKE {p} OR m.mobile_e164 LIKE {p})"
            ));
        } else {
            let p = next();
            clauses.push(format!(
                "(LOWER(m.first_name || ' ' || m.last_name) LIKE {p} OR LOWER(COALESCE(m.email, '')) LIKE {p})"
            ));
        }
    }
    format!(" WHERE {}", clauses.join(" AND "))
}

macro_rules! bind_journey_query {
    ($query:expr, $now:expr, $op:expr, $q:expr) => {{
        let mut query = $query.bind($now).bind($op);
        if let Some(v) = $q.from {
            query = query.bind(v);
        }
        if let Some(v) = $q.to {
            query = query.bind(v);
        }
        if let Some(v) = $q.site_id {
            query = query.bind(v);
        }
        if let Some(v) = &$q.outcome {
            query = query.bind(v.clone());
        }
        if let Some(v) = &$q.search {
            query = query.bind(search_pattern(v));
        }
        query
    }};
}

impl Store {
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
            let mut tx = p.write().await?;
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

    /// The language a journey's number was entered in (its text went out in it).
    pub async fn set_journey_language(&self, journey_id: i64, language: &str) -> Result<()> {
        let sql = "UPDATE journeys SET language = $2 WHERE id = $1 \
                   AND (language IS NULL OR language <> $2)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(journey_id)
            .bind(language)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn journey_by_public_id(&self, public_id: &str) -> Result<Option<SqlJourney>> {
        let sql = format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE public_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(public_id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn journey(&self, id: i64) -> Result<Option<SqlJourney>> {
        let sql = format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Commits a journey step's writes, in order, in one transaction.
    pub async fn record_journey(&self, journey_id: i64, writes: &[JourneyWrite]) -> Result<()> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            write_journey!(tx, journey_id, now, writes);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Moves the journey on and appends the event, in one transaction. A journey's member, once
    /// matched, never changes.
    pub async fn advance_journey(&self, journey_id: i64, a: &Advance<'_>) -> Result<()> {
        let now = now_ms();
        on_pool!(self, |p| {
            let tx = p.write().await?;
            let update = sqlx::query(ADVANCE_SQL)
                .bind(journey_id)
                .bind(a.step)
                .bind(a.outcome)
                .bind(a.member_id)
                .bind(a.entered_mobile)
                .bind(now);
            commit_with_event(tx, update, journey_id, now, a.event, a.detail).await?;
            Ok(())
        })
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
            let tx = p.write().await?;
            let update = sqlx::query(update).bind(journey_id).bind(step).bind(now);
            commit_with_event(tx, update, journey_id, now, kind, detail).await?;
            Ok(())
        })
    }

    /// The journey's link was opened: recorded once, while the journey waits for it (a refresh,
    /// a previewer or the page after the download writes nothing, and never takes the journey
    /// back from a later step). True when recorded.
    pub async fn link_opened(&self, journey_id: i64, detail: &str) -> Result<bool> {
        use crate::kinds::{Event, Step};
        let now = now_ms();
        let update = "UPDATE journeys SET step = $2, updated_at = $3 WHERE id = $1 \
                      AND step IN ($4, $5, $6, $7)";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let n = sqlx::query(update)
                .bind(journey_id)
                .bind(Step::LinkOpened.as_str())
                .bind(now)
                .bind(Step::Matched.as_str())
                .bind(Step::SmsQueued.as_str())
                .bind(Step::SmsSent.as_str())
                .bind(Step::SmsFailed.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(EVENT_SQL)
                    .bind(journey_id)
                    .bind(now)
                    .bind(Event::LinkOpened.as_str())
                    .bind(detail)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Appends an event (the step unchanged) unless the journey's newest event already is the
    /// same kind and detail: a request refused again and again adds one line, not one a request.
    pub async fn append_event_once(&self, journey_id: i64, kind: &str, detail: &str) -> Result<()> {
        let now = now_ms();
        let sql = "INSERT INTO journey_events (journey_id, at, kind, detail) SELECT $1, $2, $3, $4 \
                   WHERE NOT EXISTS (SELECT 1 FROM journey_events e WHERE e.id = \
                   (SELECT MAX(id) FROM journey_events WHERE journey_id = $1) AND e.kind = $3 AND e.detail = $4)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(journey_id)
            .bind(now)
            .bind(kind)
            .bind(detail)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn journey_events(&self, journey_id: i64) -> Result<Vec<SqlJourneyEvent>> {
        let sql = "SELECT id, journey_id, at, kind, detail FROM journey_events WHERE journey_id = $1 ORDER BY id";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(journey_id)
            .fetch_all(p)
            .await)?)
    }

    /// The member's newest journey: where pass events are written.
    pub async fn latest_journey_for_member(&self, member_id: i64) -> Result<Option<i64>> {
        let sql = "SELECT MAX(id) FROM journeys WHERE member_id = $1";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(member_id)
            .fetch_one(p)
            .await)?)
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

    // ---- the dashboard ----

    /// A page of the operator's journeys, newest first, and how many match in all.
    pub async fn journey_rows(
        &self,
        operator_id: i64,
        q: &JourneyQuery,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SqlJourneyRow>, i64)> {
        let now = now_ms();
        let filter = journey_where(q);
        let rows_sql = format!(
            "{}{filter} ORDER BY j.started_at DESC, j.id DESC LIMIT {limit} OFFSET {offset}",
            journey_select()
        );
        let count_sql = format!(
            "SELECT COUNT(*) FROM journeys j JOIN invites i ON i.id = j.invite_id \
             LEFT JOIN members m ON m.id = j.member_id{filter} AND $1 = $1"
        );
        on_pool!(self, |p| {
            let rows: Vec<SqlJourneyRow> =
                bind_journey_query!(sqlx::query_as(&rows_sql), now, operator_id, q)
                    .fetch_all(p)
                    .await?;
            let total: i64 =
                bind_journey_query!(sqlx::query_scalar(&count_sql), now, operator_id, q)
                    .fetch_one(p)
                    .await?;
            Ok((rows, total))
        })
    }

    /// One journey of the operator by its public id.
    pub async fn journey_row(
        &self,
        operator_id: i64,
        public_id: &str,
    ) -> Result<Option<SqlJourneyRow>> {
        let sql = format!(
            "{} WHERE j.operator_id = $2 AND j.public_id = $3",
            journey_select()
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(now_ms())
            .bind(operator_id)
            .bind(public_id)
            .fetch_optional(p)
            .await)?)
    }

    /// The operator's newest journeys of one member.
    pub async fn member_journeys(
        &self,
        operator_id: i64,
        member_id: i64,
    ) -> Result<Vec<SqlJourneyRow>> {
        let sql = format!(
            "{} WHERE j.operator_id = $2 AND j.member_id = $3 ORDER BY j.started_at DESC LIMIT 20",
            journey_select()
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(now_ms())
            .bind(operator_id)
            .bind(member_id)
            .fetch_all(p)
            .await)?)
    }

    /// The funnel of the journeys started in [from, to), and each completed journey's time to
    /// its first pass in milliseconds.
    pub async fn funnel(
        &self,
        operator_id: i64,
        from: i64,
        to: i64,
    ) -> Result<(SqlFunnel, Vec<i64>)> {
        let has = |kinds: &str| {
            format!("EXISTS (SELECT 1 FROM journey_events e WHERE e.journey_id = j.id AND e.kind IN ({kinds}))")
        };
        // Opens are counted per invite and day without a journey (a GET writes nothing); a
        // journey starts with its first number. The funnel's first step is the larger of the two.
        let opens = "(SELECT CAST(COALESCE(SUM(o.opens), 0) AS BIGINT) FROM invite_opens o \
             JOIN invites i ON i.id = o.invite_id WHERE i.operator_id = $1 \
             AND o.day >= $2 / 86400000 AND o.day <= ($3 - 1) / 86400000)";
        let sql = format!(
            "SELECT CASE WHEN COUNT(*) > {opens} THEN COUNT(*) ELSE {opens} END AS opened, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS entered, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS matched, \
             COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM sms_outbox o WHERE o.journey_id = j.id AND o.status = 'sent' \
                  AND COALESCE(o.delivery_status, 'delivered') NOT IN ('failed', 'undelivered')) THEN 1 ELSE 0 END), 0) AS delivered, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS link_opened, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS apple, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS apple_added, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS google, \
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS google_saved \
             FROM journeys j WHERE j.operator_id = $1 AND j.started_at >= $2 AND j.started_at < $3",
            has("'number_submitted', 'number_invalid', 'member_not_found', 'member_matched'"),
            has("'member_matched'"),
            has("'link_opened'"),
            has("'apple_pass_issued'"),
            has("'apple_pass_registered'"),
            has("'google_pass_issued'"),
            has("'google_pass_saved'"),
        );
        let times_sql = "SELECT MIN(e.at) - j.started_at FROM journeys j \
                         JOIN journey_events e ON e.journey_id = j.id \
                         WHERE j.operator_id = $1 AND j.started_at >= $2 AND j.started_at < $3 \
                         AND e.kind IN ('apple_pass_issued', 'google_pass_issued') \
                         GROUP BY j.id, j.started_at";
        on_pool!(self, |p| {
            let funnel: SqlFunnel = sqlx::query_as(&sql)
                .bind(operator_id)
                .bind(from)
                .bind(to)
                .fetch_one(p)
                .await?;
            let mut times: Vec<i64> = sqlx::query_scalar(times_sql)
                .bind(operator_id)
                .bind(from)
                .bind(to)
                .fetch_all(p)
                .await?;
            times.sort_unstable();
            Ok((funnel, times))
        })
    }

    // ---- the REST API ----

    /// The operator's journey events after the event `after`, oldest first, with their journey's
    /// public id: the events feed.
    pub async fn event_page(
        &self,
        operator_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SqlFeedEvent>> {
        let sql = format!(
            "SELECT e.id, j.public_id, e.at, e.kind, e.detail FROM journey_events e \
             JOIN journeys j ON j.id = e.journey_id \
             WHERE j.operator_id = $1 AND e.id > $2 ORDER BY e.id LIMIT {limit}"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(after)
            .fetch_all(p)
            .await)?)
    }
}
