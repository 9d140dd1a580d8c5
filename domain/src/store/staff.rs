//! `staff`, `staff_password_resets` and `admin_sessions`: dashboard accounts, their reset
//! links and sessions.

use super::Begin as _;
use super::{now_ms, unique_violation, Db, Result, Store, StoreError};

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
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(email)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn staff_of(&self, operator_id: i64) -> Result<Vec<SqlStaff>> {
        let sql =
            format!("SELECT {STAFF_COLUMNS} FROM staff WHERE operator_id = $1 ORDER BY email");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    pub async fn staff_member(&self, operator_id: i64, staff_id: i64) -> Result<Option<SqlStaff>> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1 AND operator_id = $2");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
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
            let mut tx = p.write().await?;
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
            let mut tx = p.write().await?;
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

    // ---- password reset links ----

    /// Records a new reset link for a staff member; their older unused links stop working.
    pub async fn create_password_reset(
        &self,
        staff: &SqlStaff,
        created_by: i64,
        token_hash: &str,
        valid_for_ms: i64,
    ) -> Result<()> {
        // One clock reading: the link lives exactly `valid_for_ms` from its creation.
        let now = now_ms();
        let expires_at = now + valid_for_ms;
        let retire = "UPDATE staff_password_resets SET expires_at = $2 \
                      WHERE staff_id = $1 AND used_at IS NULL AND expires_at > $2";
        let insert = "INSERT INTO staff_password_resets \
                      (token_hash, staff_id, operator_id, created_by, created_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
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
        Ok(on_read!(self, |p| sqlx::query_as(sql)
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
            let mut tx = p.write().await?;
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

    // ---- sessions ----

    pub async fn insert_session(
        &self,
        id_hash: &str,
        staff: &SqlStaff,
        csrf: &str,
        ip: &str,
    ) -> Result<()> {
        self.insert_session_as(id_hash, staff, csrf, ip, false)
            .await
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
        let found: Option<SqlSession> = on_read!(self, |p| sqlx::query_as(sql)
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
}
