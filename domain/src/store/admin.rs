//! The operator dashboard in the store: staff, sessions, the audit log, and the journey, member
//! and invite queries behind the dashboard's pages. Every query here takes the operator's id:
//! nothing reaches another operator's rows.

use super::{now_ms, unique_violation, Db, Result, SqlOperator, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlStaff {
    pub id: i64,
    pub operator_id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

const STAFF_COLUMNS: &str = "id, operator_id, email, password_hash, role, disabled_at, created_at";

/// A password reset link as the store knows it (by its token's hash), with its account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlPasswordReset {
    pub staff_id: i64,
    pub operator_id: i64,
    pub email: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub disabled_at: Option<i64>,
}

/// A live session with the staff member behind it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlSession {
    pub staff_id: i64,
    pub operator_id: i64,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlAudit {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
    pub at: i64,
}

/// One audit entry to write.
pub struct Audit<'a> {
    pub operator_id: i64,
    pub staff_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a str,
    pub ip: &'a str,
}

/// A credential the access system must stop accepting.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlRevocation {
    pub id: i64,
    pub external_id: String,
    pub source: String,
    pub facility_code: i64,
    pub card_number: i64,
    pub at: i64,
}

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlMemberRow {
    pub id: i64,
    pub external_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub mobile_e164: Option<String>,
    pub source: String,
    pub synced_at: Option<i64>,
    pub active: bool,
    pub sync_problem: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlInviteRow {
    pub id: i64,
    pub channel: String,
    pub site_name: Option<String>,
    pub member_id: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub print_token: Option<String>,
    pub label: Option<String>,
    pub journeys: i64,
}

/// How many journeys of a period reached each step of the funnel.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct SqlFunnel {
    pub opened: i64,
    pub entered: i64,
    pub matched: i64,
    pub delivered: i64,
    pub link_opened: i64,
    pub apple: i64,
    pub google: i64,
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
        "SELECT j.id, j.public_id, j.member_id, m.first_name, m.last_name, j.entered_mobile, \
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
    // ---- staff ----

    pub async fn create_staff(
        &self,
        operator_id: i64,
        email: &str,
        password_hash: &str,
        role: &str,
    ) -> Result<i64> {
        let sql = "INSERT INTO staff (operator_id, email, password_hash, role, created_at) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let res: std::result::Result<i64, sqlx::Error> =
            on_pool!(self, |p| sqlx::query_scalar(sql)
                .bind(operator_id)
                .bind(email)
                .bind(password_hash)
                .bind(role)
                .bind(now_ms())
                .fetch_one(p)
                .await);
        match res {
            Ok(id) => Ok(id),
            Err(e) if unique_violation(&e) => {
                Err(StoreError::Conflict("a staff account with this email"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn staff_by_email(&self, email: &str) -> Result<Option<SqlStaff>> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(email)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn staff_of(&self, operator_id: i64) -> Result<Vec<SqlStaff>> {
        let sql =
            format!("SELECT {STAFF_COLUMNS} FROM staff WHERE operator_id = $1 ORDER BY email");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    pub async fn staff_member(&self, operator_id: i64, staff_id: i64) -> Result<Option<SqlStaff>> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1 AND operator_id = $2");
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(staff_id)
            .bind(operator_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Sets a staff member's password hash and ends their sessions, all but `keep` (the
    /// session that changed it, if any), in one transaction.
    pub async fn set_staff_password(
        &self,
        staff_id: i64,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        let set = "UPDATE staff SET password_hash = $2 WHERE id = $1";
        let end = "UPDATE admin_sessions SET ended_at = $2 \
                   WHERE staff_id = $1 AND ended_at IS NULL AND id_hash <> $3";
        let keep = keep.unwrap_or("");
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(set)
                .bind(staff_id)
                .bind(password_hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query(end)
                .bind(staff_id)
                .bind(now_ms())
                .bind(keep)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    // ---- password reset links ----

    /// Records a new reset link for a staff member; their older unused links stop working.
    pub async fn create_password_reset(
        &self,
        staff: &SqlStaff,
        created_by: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let now = now_ms();
        let retire = "UPDATE staff_password_resets SET expires_at = $2 \
                      WHERE staff_id = $1 AND used_at IS NULL AND expires_at > $2";
        let insert = "INSERT INTO staff_password_resets \
                      (token_hash, staff_id, operator_id, created_by, created_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(retire)
                .bind(staff.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(insert)
                .bind(token_hash)
                .bind(staff.id)
                .bind(staff.operator_id)
                .bind(created_by)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    pub async fn password_reset(&self, token_hash: &str) -> Result<Option<SqlPasswordReset>> {
        let sql =
            "SELECT r.staff_id, r.operator_id, s.email, r.expires_at, r.used_at, s.disabled_at \
                   FROM staff_password_resets r JOIN staff s ON s.id = r.staff_id \
                   WHERE r.token_hash = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// Uses a reset link: when it is unused, unexpired and its account enabled, marks it used,
    /// sets the new password hash and ends the account's sessions, in one transaction (of two
    /// racing requests, one wins). Returns the account.
    pub async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> Result<Option<SqlStaff>> {
        let now = now_ms();
        let claim = "UPDATE staff_password_resets SET used_at = $2 \
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                     AND staff_id IN (SELECT id FROM staff WHERE disabled_at IS NULL) \
                     RETURNING staff_id";
        let set =
            format!("UPDATE staff SET password_hash = $2 WHERE id = $1 RETURNING {STAFF_COLUMNS}");
        let end =
            "UPDATE admin_sessions SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let staff_id: Option<i64> = sqlx::query_scalar(claim)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            // (A `return` here would leave the function, not the block.)
            let mut staff: Option<SqlStaff> = None;
            if let Some(staff_id) = staff_id {
                staff = Some(
                    sqlx::query_as(&set)
                        .bind(staff_id)
                        .bind(password_hash)
                        .fetch_one(&mut *tx)
                        .await?,
                );
                sqlx::query(end)
                    .bind(staff_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(staff)
        })?)
    }

    /// Changes a staff member's role or disables the account (ending its sessions), within the operator.
    pub async fn update_staff(
        &self,
        operator_id: i64,
        staff_id: i64,
        role: Option<&str>,
        disable: bool,
    ) -> Result<bool> {
        let now = now_ms();
        let sql = "UPDATE staff SET role = COALESCE($3, role), \
                   disabled_at = CASE WHEN $4 THEN $5 ELSE NULL END \
                   WHERE id = $1 AND operator_id = $2";
        let end =
            "UPDATE admin_sessions SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL";
        let n = on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sql)
                .bind(staff_id)
                .bind(operator_id)
                .bind(role)
                .bind(disable)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 && disable {
                sqlx::query(end)
                    .bind(staff_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        })?;
        Ok(n > 0)
    }

    // ---- sessions ----

    pub async fn insert_session(
        &self,
        id_hash: &str,
        staff: &SqlStaff,
        csrf: &str,
        ip: &str,
    ) -> Result<()> {
        let now = now_ms();
        let sql = "INSERT INTO admin_sessions (id_hash, staff_id, operator_id, csrf, ip, created_at, last_seen_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $6)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(id_hash)
            .bind(staff.id)
            .bind(staff.operator_id)
            .bind(csrf)
            .bind(ip)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The session behind a cookie when it is live: not ended, seen within `idle_ms`, younger
    /// than `max_ms`, and its account enabled. Marks it seen.
    pub async fn live_session(
        &self,
        id_hash: &str,
        idle_ms: i64,
        max_ms: i64,
    ) -> Result<Option<SqlSession>> {
        let now = now_ms();
        let sql = "SELECT s.staff_id, s.operator_id, s.csrf, s.created_at, s.last_seen_at, st.email, st.role \
                   FROM admin_sessions s JOIN staff st ON st.id = s.staff_id \
                   WHERE s.id_hash = $1 AND s.ended_at IS NULL AND st.disabled_at IS NULL \
                   AND s.last_seen_at > $2 AND s.created_at > $3";
        let touch = "UPDATE admin_sessions SET last_seen_at = $2 WHERE id_hash = $1";
        let found: Option<SqlSession> = on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id_hash)
            .bind(now - idle_ms)
            .bind(now - max_ms)
            .fetch_optional(p)
            .await)?;
        if found.is_some() {
            on_pool!(self, |p| sqlx::query(touch)
                .bind(id_hash)
                .bind(now)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(found)
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<()> {
        let sql = "UPDATE admin_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(id_hash)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    // ---- audit ----

    pub async fn audit(&self, a: &Audit<'_>) -> Result<()> {
        let sql =
            "INSERT INTO audit_log (operator_id, staff_id, actor, action, target, detail, ip, at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(a.operator_id)
            .bind(a.staff_id)
            .bind(a.actor)
            .bind(a.action)
            .bind(a.target)
            .bind(a.detail)
            .bind(a.ip)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn audit_entries(
        &self,
        operator_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<SqlAudit>> {
        let sql = "SELECT id, actor, action, target, detail, ip, at FROM audit_log \
                   WHERE operator_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await)?)
    }

    // ---- journeys ----

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

    pub async fn journey_sms(&self, journey_id: i64) -> Result<Vec<SqlSmsRow>> {
        let sql = "SELECT created_at, status, attempts, last_error, sent_at, delivery_status, delivery_at \
                   FROM sms_outbox WHERE journey_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(journey_id)
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
             COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS google \
             FROM journeys j WHERE j.operator_id = $1 AND j.started_at >= $2 AND j.started_at < $3",
            has("'number_submitted', 'number_invalid', 'member_not_found', 'member_matched'"),
            has("'member_matched'"),
            has("'link_opened'"),
            has("'apple_pass_issued'"),
            has("'google_pass_issued'"),
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

    // ---- members ----

    pub async fn member_rows(
        &self,
        operator_id: i64,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SqlMemberRow>, i64)> {
        let filter = match search {
            Some(s) if is_digits(s) => " AND m.mobile_e164 LIKE $2",
            Some(_) => {
                " AND (LOWER(m.first_name || ' ' || m.last_name) LIKE $2 \
                         OR LOWER(COALESCE(m.email, '')) LIKE $2 OR LOWER(m.external_id) LIKE $2)"
            }
            None => " AND $2 = $2",
        };
        let pattern = search.map(search_pattern).unwrap_or_default();
        let rows_sql = format!(
            "SELECT m.id, m.external_id, m.first_name, m.last_name, m.email, m.mobile_e164, m.source, \
             m.synced_at, m.active, m.sync_problem FROM members m WHERE m.operator_id = $1{filter} \
             ORDER BY m.last_name, m.first_name, m.id LIMIT {limit} OFFSET {offset}"
        );
        let count_sql = format!("SELECT COUNT(*) FROM members m WHERE m.operator_id = $1{filter}");
        on_pool!(self, |p| {
            let rows = sqlx::query_as(&rows_sql)
                .bind(operator_id)
                .bind(&pattern)
                .fetch_all(p)
                .await?;
            let total = sqlx::query_scalar(&count_sql)
                .bind(operator_id)
                .bind(&pattern)
                .fetch_one(p)
                .await?;
            Ok((rows, total))
        })
    }

    pub async fn member_row(
        &self,
        operator_id: i64,
        member_id: i64,
    ) -> Result<Option<SqlMemberRow>> {
        let sql = "SELECT m.id, m.external_id, m.first_name, m.last_name, m.email, m.mobile_e164, m.source, \
                   m.synced_at, m.active, m.sync_problem FROM members m WHERE m.operator_id = $1 AND m.id = $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(member_id)
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

    pub async fn sites_of(&self, operator_id: i64) -> Result<Vec<super::SqlSite>> {
        let sql =
            "SELECT id, operator_id, name, address FROM sites WHERE operator_id = $1 ORDER BY name";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    /// Active members with an email address, for choosing whom to invite.
    pub async fn invitable_members(
        &self,
        operator_id: i64,
        limit: i64,
    ) -> Result<Vec<SqlMemberRow>> {
        let sql = format!(
            "SELECT m.id, m.external_id, m.first_name, m.last_name, m.email, m.mobile_e164, m.source, \
             m.synced_at, m.active, m.sync_problem FROM members m WHERE m.operator_id = $1 AND m.active \
             AND m.email IS NOT NULL AND m.email <> '' ORDER BY m.last_name, m.first_name LIMIT {limit}"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    // ---- invites ----

    pub async fn invite_rows(&self, operator_id: i64, limit: i64) -> Result<Vec<SqlInviteRow>> {
        let sql = format!(
            "SELECT i.id, i.channel, s.name AS site_name, i.member_id, m.first_name, m.last_name, m.email, \
             i.expires_at, i.revoked_at, i.created_at, i.sent_at, i.print_token, i.label, \
             (SELECT COUNT(*) FROM journeys j WHERE j.invite_id = i.id) AS journeys \
             FROM invites i LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN members m ON m.id = i.member_id \
             WHERE i.operator_id = $1 ORDER BY i.id DESC LIMIT {limit}"
        );
        Ok(on_pool!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    pub async fn invite_row(
        &self,
        operator_id: i64,
        invite_id: i64,
    ) -> Result<Option<SqlInviteRow>> {
        let sql = "SELECT i.id, i.channel, s.name AS site_name, i.member_id, m.first_name, m.last_name, m.email, \
             i.expires_at, i.revoked_at, i.created_at, i.sent_at, i.print_token, i.label, \
             (SELECT COUNT(*) FROM journeys j WHERE j.invite_id = i.id) AS journeys \
             FROM invites i LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN members m ON m.id = i.member_id \
             WHERE i.operator_id = $1 AND i.id = $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(invite_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Revokes one of the operator's invites; false when there is no such live invite.
    pub async fn revoke_invite(&self, operator_id: i64, invite_id: i64) -> Result<bool> {
        let sql = "UPDATE invites SET revoked_at = $3 WHERE operator_id = $1 AND id = $2 AND revoked_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(invite_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Gives a member invite a new token (the old link stops working) and a new expiry, and marks
    /// it sent now.
    pub async fn rotate_invite(
        &self,
        operator_id: i64,
        invite_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let sql =
            "UPDATE invites SET token_hash = $3, expires_at = $4, revoked_at = NULL, sent_at = $5 \
                   WHERE operator_id = $1 AND id = $2";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(invite_id)
            .bind(token_hash)
            .bind(expires_at)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    pub async fn mark_invite_sent(&self, invite_id: i64) -> Result<()> {
        let sql = "UPDATE invites SET sent_at = $2 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(invite_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn set_print_token(
        &self,
        invite_id: i64,
        token: &str,
        label: Option<&str>,
    ) -> Result<()> {
        let sql = "UPDATE invites SET print_token = $2, label = $3 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(invite_id)
            .bind(token)
            .bind(label)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    // ---- the access system ----

    /// Replaces the operator's access-system API token (its hash).
    pub async fn set_access_token(&self, operator_id: i64, token_hash: &str) -> Result<()> {
        let sql = "UPDATE operators SET access_token_hash = $2 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The operator whose access-system token has this hash.
    pub async fn operator_by_access_token(&self, token_hash: &str) -> Result<Option<i64>> {
        let sql = "SELECT id FROM operators WHERE access_token_hash = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// The operator's credential revocations after `after` (an id), oldest first.
    pub async fn access_revocations(
        &self,
        operator_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SqlRevocation>> {
        let sql = "SELECT r.id, m.external_id, r.source, r.facility_code, r.card_number, r.at \
                   FROM access_revocations r JOIN members m ON m.id = r.member_id \
                   WHERE r.operator_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    // ---- settings ----

    /// Saves an operator's validated image (replacing the previous one of its kind).
    pub async fn set_operator_image(
        &self,
        operator_id: i64,
        kind: &str,
        png: &[u8],
        (width, height): (u32, u32),
    ) -> Result<()> {
        let sql = "INSERT INTO operator_images (operator_id, kind, png, width, height, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (operator_id, kind) DO UPDATE SET \
                   png = excluded.png, width = excluded.width, height = excluded.height, updated_at = excluded.updated_at";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(kind)
            .bind(png)
            .bind(i64::from(width))
            .bind(i64::from(height))
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn remove_operator_image(&self, operator_id: i64, kind: &str) -> Result<bool> {
        let sql = "DELETE FROM operator_images WHERE operator_id = $1 AND kind = $2";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(kind)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Queues every live pass of the operator for an update (after its look changed).
    pub async fn refresh_operator_passes(&self, operator_id: i64) -> Result<u64> {
        let sql = "UPDATE wallet_passes SET updated_at = $2, push_due_at = $2 \
                   WHERE operator_id = $1 AND voided_at IS NULL";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    pub async fn operator_image(&self, operator_id: i64, kind: &str) -> Result<Option<Vec<u8>>> {
        let sql = "SELECT png FROM operator_images WHERE operator_id = $1 AND kind = $2";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(kind)
            .fetch_optional(p)
            .await)?)
    }

    /// The operator's own images: (kind, PNG).
    pub async fn operator_images(&self, operator_id: i64) -> Result<Vec<(String, Vec<u8>)>> {
        let sql = "SELECT kind, png FROM operator_images WHERE operator_id = $1 ORDER BY kind";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    pub async fn update_operator_settings(&self, op: &SqlOperator) -> Result<()> {
        let sql =
            "UPDATE operators SET name = $2, brand_color = $3, accent_color = $4, logo_url = $5, \
                   support_email = $6, support_phone = $7, support_url = $8, default_region = $9, \
                   strict_enumeration = $10, sms_countries = $11, sms_hourly_budget = $12, \
                   link_ttl_secs = $13, invite_days = $14, credential_format = $15 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(op.id)
            .bind(&op.name)
            .bind(&op.brand_color)
            .bind(&op.accent_color)
            .bind(&op.logo_url)
            .bind(&op.support_email)
            .bind(&op.support_phone)
            .bind(&op.support_url)
            .bind(&op.default_region)
            .bind(op.strict_enumeration)
            .bind(&op.sms_countries)
            .bind(op.sms_hourly_budget)
            .bind(op.link_ttl_secs)
            .bind(op.invite_days)
            .bind(&op.credential_format)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
