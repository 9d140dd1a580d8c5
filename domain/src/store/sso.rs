//! Single sign-on: an operator's OpenID Connect settings (columns of `operators`), the sign-ins
//! under way (`oidc_logins`, which any instance may finish), and the staff account a verified
//! email names.

use super::Begin as _;
use super::{now_ms, Db, Result, SqlStaff, Store};

/// An operator's single sign-on settings. `Debug` hides the client secret.
#[derive(Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct SqlSsoSettings {
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
    /// Staff of the operator may not sign in with a password.
    pub require_sso: bool,
}

impl std::fmt::Debug for SqlSsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlSsoSettings")
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field(
                "oidc_client_secret",
                &self.oidc_client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("require_sso", &self.require_sso)
            .finish()
    }
}

/// The provider and the client registered there: all three settings, none empty.
#[derive(Clone, Copy)]
pub struct SsoClient<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl SqlSsoSettings {
    pub fn client(&self) -> Option<SsoClient<'_>> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        Some(SsoClient {
            issuer: set(&self.oidc_issuer)?,
            client_id: set(&self.oidc_client_id)?,
            client_secret: set(&self.oidc_client_secret)?,
        })
    }
}

/// A sign-in under way, as the callback takes it. `Debug` hides the nonce and the verifier.
#[derive(Clone, sqlx::FromRow)]
pub struct SqlOidcLogin {
    pub operator_id: i64,
    pub nonce: String,
    pub code_verifier: String,
}

impl std::fmt::Debug for SqlOidcLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlOidcLogin")
            .field("operator_id", &self.operator_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    // ---- settings ----

    pub async fn sso_settings(&self, operator_id: i64) -> Result<Option<SqlSsoSettings>> {
        let sql = "SELECT oidc_issuer, oidc_client_id, oidc_client_secret, require_sso \
                   FROM operators WHERE id = $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Replaces the operator's single sign-on settings; false when there is no such operator.
    pub async fn set_sso_settings(&self, operator_id: i64, s: &SqlSsoSettings) -> Result<bool> {
        let sql = "UPDATE operators SET oidc_issuer = $2, oidc_client_id = $3, \
                   oidc_client_secret = $4, require_sso = $5 WHERE id = $1";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(&s.oidc_issuer)
            .bind(&s.oidc_client_id)
            .bind(&s.oidc_client_secret)
            .bind(s.require_sso)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        // The kept operator rows carry these settings too.
        self.forget_cached();
        Ok(n > 0)
    }

    // ---- sign-ins under way ----

    /// Records a sign-in under way, usable for `valid_for_ms`. Sign-ins whose time is up are
    /// deleted in the same transaction: anyone may start one, so the table must not grow
    /// with the ones never finished.
    pub async fn insert_oidc_login(
        &self,
        state_hash: &str,
        operator_id: i64,
        nonce: &str,
        code_verifier: &str,
        valid_for_ms: i64,
    ) -> Result<()> {
        // One clock reading: the sign-in lives exactly `valid_for_ms` from its start.
        let now = now_ms();
        let sweep = "DELETE FROM oidc_logins WHERE expires_at <= $1";
        let insert = "INSERT INTO oidc_logins \
                      (state_hash, operator_id, nonce, code_verifier, created_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            sqlx::query(sweep).bind(now).execute(&mut *tx).await?;
            sqlx::query(insert)
                .bind(state_hash)
                .bind(operator_id)
                .bind(nonce)
                .bind(code_verifier)
                .bind(now)
                .bind(now + valid_for_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// Takes a sign-in under way: when it is unused and unexpired, marks it used and returns it,
    /// in one statement (of two racing callbacks, one gets it). Never returns a sign-in twice.
    pub async fn take_oidc_login(&self, state_hash: &str) -> Result<Option<SqlOidcLogin>> {
        let sql = "UPDATE oidc_logins SET used_at = $2 \
                   WHERE state_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                   RETURNING operator_id, nonce, code_verifier";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(state_hash)
            .bind(now_ms())
            .fetch_optional(p)
            .await)?)
    }

    // ---- staff ----

    /// The operator's staff account with `email`, compared without case (providers keep the
    /// case people typed). Two accounts that differ only in case name no one: the provider's
    /// email cannot say which of them signed in.
    pub async fn staff_by_operator_email(
        &self,
        operator_id: i64,
        email: &str,
    ) -> Result<Option<SqlStaff>> {
        let sql = "SELECT id, operator_id, email, password_hash, role, disabled_at, created_at \
                   FROM staff WHERE operator_id = $1 AND lower(email) = lower($2) \
                   ORDER BY id LIMIT 2";
        let found: Vec<SqlStaff> = on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(email.trim())
            .fetch_all(p)
            .await)?;
        Ok(match <[SqlStaff; 1]>::try_from(found) {
            Ok([staff]) => Some(staff),
            Err(_) => None,
        })
    }
}
