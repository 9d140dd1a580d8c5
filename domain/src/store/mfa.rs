//! The second factor of staff accounts: the TOTP columns of `staff`, `staff_recovery_codes`, the
//! operators' `require_mfa` with the sessions it restricts (`admin_sessions.enrol_only`), and
//! `staff_mfa_challenges` (the half-signed-in state between a correct password and the code). Every claim here is one conditional statement, so two
//! parallel requests cannot both use one code, one recovery code or one challenge.

use super::Begin as _;
use super::{now_ms, Db, Result, SqlStaff, Store};

/// A staff member's second factor as stored, with their operator's requirement.
#[derive(Clone, sqlx::FromRow)]
pub struct SqlTotp {
    pub staff_id: i64,
    pub operator_id: i64,
    pub email: String,
    /// The base32 shared secret, once enrolment is confirmed.
    pub totp_secret: Option<String>,
    /// An enrolment waiting for its first code.
    pub totp_pending_secret: Option<String>,
    pub totp_enabled_at: Option<i64>,
    /// The newest step a code was accepted for.
    pub totp_last_step: Option<i64>,
    /// The operator requires a second factor of its staff.
    pub require_mfa: bool,
    /// Unused recovery codes.
    pub recovery_left: i64,
}

impl SqlTotp {
    pub fn enabled(&self) -> bool {
        self.totp_enabled_at.is_some() && self.totp_secret.is_some()
    }
}

// The secrets stay out of logs.
impl std::fmt::Debug for SqlTotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlTotp")
            .field("staff_id", &self.staff_id)
            .field("operator_id", &self.operator_id)
            .field("enabled_at", &self.totp_enabled_at)
            .field("pending", &self.totp_pending_secret.is_some())
            .field("last_step", &self.totp_last_step)
            .field("require_mfa", &self.require_mfa)
            .field("recovery_left", &self.recovery_left)
            .finish_non_exhaustive()
    }
}

/// A sign-in challenge with what its code step needs, read in one go.
#[derive(Clone, sqlx::FromRow)]
pub struct SqlMfaChallenge {
    pub staff_id: i64,
    pub operator_id: i64,
    pub email: String,
    pub role: String,
    pub disabled_at: Option<i64>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    /// Codes tried on this challenge, this one included.
    pub attempts: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for SqlMfaChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlMfaChallenge")
            .field("staff_id", &self.staff_id)
            .field("attempts", &self.attempts)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// What decides whether a session may only set up a second factor (`mfa::restricted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SqlSessionMfa {
    /// Opened by a password alone where the operator requires a second factor.
    pub enrol_only: bool,
    pub require_mfa: bool,
    pub totp_enabled_at: Option<i64>,
}

/// Who in an operator's team has a second factor, for the staff page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlMfaOverview {
    pub staff_id: i64,
    pub totp_enabled_at: Option<i64>,
    pub recovery_left: i64,
}

/// What proved the second factor: a TOTP step (checked against `secret`, the stored base32), or a
/// recovery code's hash.
#[derive(Clone, Copy)]
pub enum SecondFactor<'a> {
    Step { secret: &'a str, step: i64 },
    Recovery { code_hash: &'a str },
}

/// A new session to open when a challenge's code is right.
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub csrf: &'a str,
    pub ip: &'a str,
}

const RECOVERY_LEFT: &str = "(SELECT COUNT(*) FROM staff_recovery_codes r \
     WHERE r.staff_id = st.id AND r.used_at IS NULL)";

/// A recovery code is claimed only while its account has an enabled second factor and is enabled.
const CLAIM_RECOVERY: &str = "UPDATE staff_recovery_codes SET used_at = $3 \
     WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL \
     AND staff_id IN (SELECT id FROM staff WHERE totp_enabled_at IS NOT NULL AND disabled_at IS NULL)";

/// A step is recorded only when it is newer than the stored one and the secret is still the one
/// the code was checked against (not disabled or replaced in between).
const CLAIM_STEP: &str = "UPDATE staff SET totp_last_step = $2 \
     WHERE id = $1 AND totp_secret = $3 AND totp_enabled_at IS NOT NULL AND disabled_at IS NULL \
     AND (totp_last_step IS NULL OR totp_last_step < $2)";

/// The row `insert_session` writes, with whether the session may only set up a second factor.
const INSERT_SESSION: &str = "INSERT INTO admin_sessions \
     (id_hash, staff_id, operator_id, csrf, ip, created_at, last_seen_at, enrol_only) \
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";

const INSERT_RECOVERY: &str =
    "INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) VALUES ($1, $2, $3)";

impl Store {
    // ---- the staff member's factor ----

    /// The second factor of a staff member, with their operator's requirement.
    pub async fn totp_state(&self, staff_id: i64) -> Result<Option<SqlTotp>> {
        let sql = format!(
            "SELECT st.id AS staff_id, st.operator_id, st.email, st.totp_secret, \
             st.totp_pending_secret, st.totp_enabled_at, st.totp_last_step, op.require_mfa, \
             {RECOVERY_LEFT} AS recovery_left \
             FROM staff st JOIN operators op ON op.id = st.operator_id WHERE st.id = $1"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(staff_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Who of the operator's staff has a second factor, and how many recovery codes are left.
    pub async fn mfa_overview(&self, operator_id: i64) -> Result<Vec<SqlMfaOverview>> {
        let sql = format!(
            "SELECT st.id AS staff_id, st.totp_enabled_at, {RECOVERY_LEFT} AS recovery_left \
             FROM staff st WHERE st.operator_id = $1 ORDER BY st.id"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    /// Starts (or restarts) an enrolment: keeps `secret` as pending. Refused (`false`) when the
    /// account already has a second factor or is disabled: a second device is set up by turning
    /// the factor off first, which needs a code.
    pub async fn begin_totp(&self, staff_id: i64, secret: &str) -> Result<bool> {
        let sql = "UPDATE staff SET totp_pending_secret = $2 \
                   WHERE id = $1 AND totp_enabled_at IS NULL AND disabled_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(staff_id)
            .bind(secret)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Confirms an enrolment whose first code matched `pending` at `step`: the pending secret
    /// becomes the secret, the step is used, the recovery codes (their hashes) replace any older
    /// ones, the account's other sessions (opened with the password alone) end and the one that
    /// confirmed (`keep_session`) is no longer restricted, all in one transaction. `false` when the pending secret is no longer `pending` (another tab started
    /// over, or the factor is already on): nothing is written.
    pub async fn confirm_totp(
        &self,
        staff_id: i64,
        pending: &str,
        step: i64,
        recovery_hashes: &[String],
        keep_session: &str,
    ) -> Result<bool> {
        let now = now_ms();
        let enable = "UPDATE staff SET totp_secret = totp_pending_secret, \
                      totp_pending_secret = NULL, totp_enabled_at = $3, totp_last_step = $4 \
                      WHERE id = $1 AND totp_pending_secret = $2 AND totp_enabled_at IS NULL \
                      AND disabled_at IS NULL";
        let forget = "DELETE FROM staff_recovery_codes WHERE staff_id = $1";
        let end = "UPDATE admin_sessions SET ended_at = $2 \
                   WHERE staff_id = $1 AND ended_at IS NULL AND id_hash <> $3";
        let lift =
            "UPDATE admin_sessions SET enrol_only = FALSE WHERE staff_id = $1 AND id_hash = $2";
        Ok(on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let enabled = sqlx::query(enable)
                .bind(staff_id)
                .bind(pending)
                .bind(now)
                .bind(step)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if enabled {
                sqlx::query(forget).bind(staff_id).execute(&mut *tx).await?;
                for hash in recovery_hashes {
                    sqlx::query(INSERT_RECOVERY)
                        .bind(staff_id)
                        .bind(hash)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(end)
                    .bind(staff_id)
                    .bind(now)
                    .bind(keep_session)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(lift)
                    .bind(staff_id)
                    .bind(keep_session)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok::<_, sqlx::Error>(enabled)
        })?)
    }

    /// Turns a staff member's second factor off (their own choice, with a code, or an admin's
    /// for a lost phone, within the operator): the secret, any pending enrolment, the recovery
    /// codes and open challenges go, and the account's sessions but `keep` end. `keep` is now a
    /// session without a second factor: it is marked `enrol_only`, which restricts it where the
    /// operator requires one. `false` when there was nothing to turn off.
    pub async fn disable_totp(&self, operator_id: i64, staff_id: i64, keep: &str) -> Result<bool> {
        let now = now_ms();
        let clear = "UPDATE staff SET totp_secret = NULL, totp_pending_secret = NULL, \
                     totp_enabled_at = NULL, totp_last_step = NULL \
                     WHERE id = $1 AND operator_id = $2 \
                     AND (totp_secret IS NOT NULL OR totp_pending_secret IS NOT NULL)";
        let forget = "DELETE FROM staff_recovery_codes WHERE staff_id = $1";
        let sweep = "DELETE FROM staff_mfa_challenges WHERE staff_id = $1";
        let end = "UPDATE admin_sessions SET ended_at = $2 \
                   WHERE staff_id = $1 AND ended_at IS NULL AND id_hash <> $3";
        let mark =
            "UPDATE admin_sessions SET enrol_only = TRUE WHERE staff_id = $1 AND id_hash = $2";
        Ok(on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let cleared = sqlx::query(clear)
                .bind(staff_id)
                .bind(operator_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if cleared {
                for sql in [forget, sweep] {
                    sqlx::query(sql).bind(staff_id).execute(&mut *tx).await?;
                }
                sqlx::query(end)
                    .bind(staff_id)
                    .bind(now)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(mark)
                    .bind(staff_id)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(cleared)
        })?)
    }

    /// Records that a code of `step` was used, only if the step is newer than the stored one
    /// and `secret` is still the account's: of two parallel submissions of one code, one passes.
    pub async fn use_totp_step(&self, staff_id: i64, secret: &str, step: i64) -> Result<bool> {
        let n = on_pool!(self, |p| sqlx::query(CLAIM_STEP)
            .bind(staff_id)
            .bind(step)
            .bind(secret)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Uses a recovery code (by its hash): `true` once, `false` for an unknown or used code.
    pub async fn use_recovery_code(&self, staff_id: i64, code_hash: &str) -> Result<bool> {
        let n = on_pool!(self, |p| sqlx::query(CLAIM_RECOVERY)
            .bind(staff_id)
            .bind(code_hash)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn recovery_codes_left(&self, staff_id: i64) -> Result<i64> {
        let sql =
            "SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(staff_id)
            .fetch_one(p)
            .await)?)
    }

    /// Replaces a staff member's recovery codes with new ones (their hashes), while the second
    /// factor is on. `false` when it is off.
    pub async fn replace_recovery_codes(
        &self,
        staff_id: i64,
        recovery_hashes: &[String],
    ) -> Result<bool> {
        let now = now_ms();
        // An update that changes nothing, for its row lock: on PostgreSQL a parallel
        // `disable_totp` waits for this transaction (or this one for it and then finds the
        // factor off), so no codes are left behind for an account without a factor.
        let hold = "UPDATE staff SET totp_enabled_at = totp_enabled_at \
                    WHERE id = $1 AND totp_enabled_at IS NOT NULL";
        let forget = "DELETE FROM staff_recovery_codes WHERE staff_id = $1";
        Ok(on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let on = sqlx::query(hold)
                .bind(staff_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if on {
                sqlx::query(forget).bind(staff_id).execute(&mut *tx).await?;
                for hash in recovery_hashes {
                    sqlx::query(INSERT_RECOVERY)
                        .bind(staff_id)
                        .bind(hash)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(on)
        })?)
    }

    // ---- the operator's requirement ----

    /// Requires (or stops requiring) a second factor of an operator's staff. Turning it on ends
    /// the sessions of staff without one, in the same transaction: their next password sign-in
    /// can only set one up.
    /// Whether the operator requires a second factor of its staff.
    pub async fn operator_requires_mfa(&self, operator_id: i64) -> Result<bool> {
        let sql = "SELECT require_mfa FROM operators WHERE id = $1";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .fetch_optional(p)
            .await)?
        .unwrap_or(false))
    }

    pub async fn set_require_mfa(&self, operator_id: i64, required: bool) -> Result<bool> {
        let now = now_ms();
        let set = "UPDATE operators SET require_mfa = $2 WHERE id = $1";
        let end = "UPDATE admin_sessions SET ended_at = $2 \
                   WHERE operator_id = $1 AND ended_at IS NULL AND staff_id IN \
                   (SELECT id FROM staff WHERE operator_id = $1 AND totp_enabled_at IS NULL)";
        Ok(on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let found = sqlx::query(set)
                .bind(operator_id)
                .bind(required)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if found && required {
                sqlx::query(end)
                    .bind(operator_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(found)
        })?)
    }

    // ---- sessions the requirement restricts ----

    /// A session that may only set up a second factor: a password sign-in where the operator
    /// requires a factor the account lacks.
    pub async fn insert_enrol_session(
        &self,
        id_hash: &str,
        staff: &SqlStaff,
        csrf: &str,
        ip: &str,
    ) -> Result<()> {
        self.insert_session_as(id_hash, staff, csrf, ip, true).await
    }

    /// A new session; `enrol_only` restricts it to setting up a second factor.
    pub(super) async fn insert_session_as(
        &self,
        id_hash: &str,
        staff: &SqlStaff,
        csrf: &str,
        ip: &str,
        enrol_only: bool,
    ) -> Result<()> {
        on_pool!(self, |p| sqlx::query(INSERT_SESSION)
            .bind(id_hash)
            .bind(staff.id)
            .bind(staff.operator_id)
            .bind(csrf)
            .bind(ip)
            .bind(now_ms())
            .bind(enrol_only)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// What decides whether a session is restricted to setting up a second factor.
    pub async fn session_mfa(&self, id_hash: &str) -> Result<Option<SqlSessionMfa>> {
        let sql = "SELECT s.enrol_only, op.require_mfa, st.totp_enabled_at \
                   FROM admin_sessions s JOIN staff st ON st.id = s.staff_id \
                   JOIN operators op ON op.id = s.operator_id WHERE s.id_hash = $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(id_hash)
            .fetch_optional(p)
            .await)?)
    }

    // ---- sign-in challenges ----

    /// Records a challenge (by its token's hash) for a staff member whose password was right,
    /// living `valid_for_ms`. Their dead challenges (used or expired) go at the same time.
    pub async fn create_mfa_challenge(
        &self,
        id_hash: &str,
        staff_id: i64,
        ip: &str,
        valid_for_ms: i64,
    ) -> Result<()> {
        let now = now_ms();
        let sweep = "DELETE FROM staff_mfa_challenges \
                     WHERE staff_id = $1 AND (used_at IS NOT NULL OR expires_at <= $2)";
        let insert = "INSERT INTO staff_mfa_challenges \
                      (id_hash, staff_id, ip, created_at, expires_at, attempts) \
                      VALUES ($1, $2, $3, $4, $5, 0)";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            sqlx::query(sweep)
                .bind(staff_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(insert)
                .bind(id_hash)
                .bind(staff_id)
                .bind(ip)
                .bind(now)
                .bind(now + valid_for_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// A challenge as it stands (used, expired or not), for the code page. Reads only.
    pub async fn mfa_challenge(&self, id_hash: &str) -> Result<Option<SqlMfaChallenge>> {
        Ok(on_read!(self, |p| sqlx::query_as(CHALLENGE)
            .bind(id_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// Counts one try of a code on a live challenge (unused, unexpired, fewer than
    /// `max_attempts` tries), before the code is checked and in one statement, so parallel
    /// tries get no more than the limit. The challenge, or `None` when it is not live.
    pub async fn mfa_attempt(
        &self,
        id_hash: &str,
        max_attempts: i64,
    ) -> Result<Option<SqlMfaChallenge>> {
        let now = now_ms();
        let count = "UPDATE staff_mfa_challenges SET attempts = attempts + 1 \
                     WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3";
        Ok(on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let counted = sqlx::query(count)
                .bind(id_hash)
                .bind(now)
                .bind(max_attempts)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            let mut found: Option<SqlMfaChallenge> = None;
            if counted {
                found = sqlx::query_as(CHALLENGE)
                    .bind(id_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(found)
        })?)
    }

    /// Turns a challenge into a session, in one transaction: the factor is claimed (the step
    /// recorded if newer, or the recovery code used), the challenge used (if still live) and the
    /// session inserted. If any claim fails nothing is written and the answer is `false`: of two
    /// parallel submissions of one code, or of one challenge, one signs in.
    pub async fn complete_mfa_challenge(
        &self,
        id_hash: &str,
        c: &SqlMfaChallenge,
        factor: SecondFactor<'_>,
        session: &NewSession<'_>,
    ) -> Result<bool> {
        let now = now_ms();
        let consume = "UPDATE staff_mfa_challenges SET used_at = $2 \
                       WHERE id_hash = $1 AND staff_id = $3 AND used_at IS NULL AND expires_at > $2";
        Ok(on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let n = match factor {
                SecondFactor::Step { secret, step } => sqlx::query(CLAIM_STEP)
                    .bind(c.staff_id)
                    .bind(step)
                    .bind(secret)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                SecondFactor::Recovery { code_hash } => sqlx::query(CLAIM_RECOVERY)
                    .bind(c.staff_id)
                    .bind(code_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            };
            let claimed = n == 1;
            let mut done = false;
            if claimed {
                let consumed = sqlx::query(consume)
                    .bind(id_hash)
                    .bind(now)
                    .bind(c.staff_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if consumed {
                    sqlx::query(INSERT_SESSION)
                        .bind(session.id_hash)
                        .bind(c.staff_id)
                        .bind(c.operator_id)
                        .bind(session.csrf)
                        .bind(session.ip)
                        .bind(now)
                        .bind(false)
                        .execute(&mut *tx)
                        .await?;
                    done = true;
                }
            }
            if done {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok::<_, sqlx::Error>(done)
        })?)
    }

    /// Deletes challenges that can no longer be used (for the server's periodic sweep).
    pub async fn forget_ended_mfa_challenges(&self) -> Result<u64> {
        let sql = "DELETE FROM staff_mfa_challenges WHERE used_at IS NOT NULL OR expires_at <= $1";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }
}

const CHALLENGE: &str = "SELECT c.staff_id, st.operator_id, st.email, st.role, st.disabled_at, \
     st.totp_secret, st.totp_last_step, c.attempts, c.expires_at, c.used_at \
     FROM staff_mfa_challenges c JOIN staff st ON st.id = c.staff_id WHERE c.id_hash = $1";
