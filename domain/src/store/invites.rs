//! `invites` and `invite_opens`: invites, how often they were opened, and the dashboard's
//! invite lists.

use super::{now_ms, Db, Result, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlInvite {
    pub id: i64,
    pub operator_id: i64,
    pub site_id: Option<i64>,
    pub member_id: Option<i64>,
    pub channel: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewInvite<'a> {
    pub operator_id: i64,
    pub site_id: Option<i64>,
    pub member_id: Option<i64>,
    pub token_hash: &'a str,
    pub channel: &'a str,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlInviteRow {
    pub id: i64,
    pub channel: String,
    pub site_name: Option<String>,
    pub member_id: Option<i64>,
    pub member_external_id: Option<String>,
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

impl Store {
    pub async fn insert_invite(&self, inv: &NewInvite<'_>) -> Result<i64> {
        let sql = "INSERT INTO invites (operator_id, site_id, member_id, token_hash, channel, expires_at, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(inv.operator_id)
            .bind(inv.site_id)
            .bind(inv.member_id)
            .bind(inv.token_hash)
            .bind(inv.channel)
            .bind(inv.expires_at)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    pub async fn invite_by_token_hash(&self, token_hash: &str) -> Result<Option<SqlInvite>> {
        let sql = "SELECT id, operator_id, site_id, member_id, channel, expires_at, revoked_at \
                   FROM invites WHERE token_hash = $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn invite(&self, id: i64) -> Result<Option<SqlInvite>> {
        let sql = "SELECT id, operator_id, site_id, member_id, channel, expires_at, revoked_at FROM invites WHERE id = $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Adds `n` opens of the invite on `day` (days since the epoch).
    pub async fn add_invite_opens(&self, invite_id: i64, day: i64, n: i64) -> Result<()> {
        let sql = "INSERT INTO invite_opens (invite_id, day, opens) VALUES ($1, $2, $3) \
                   ON CONFLICT (invite_id, day) DO UPDATE SET opens = invite_opens.opens + excluded.opens";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(invite_id)
            .bind(day)
            .bind(n)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    // ---- the dashboard ----

    pub async fn invite_rows(&self, operator_id: i64, limit: i64) -> Result<Vec<SqlInviteRow>> {
        let sql = format!(
            "SELECT i.id, i.channel, s.name AS site_name, i.member_id, m.external_id AS member_external_id, m.first_name, m.last_name, m.email, \
             i.expires_at, i.revoked_at, i.created_at, i.sent_at, i.print_token, i.label, \
             (SELECT COUNT(*) FROM journeys j WHERE j.invite_id = i.id) AS journeys \
             FROM invites i LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN members m ON m.id = i.member_id \
             WHERE i.operator_id = $1 ORDER BY i.id DESC LIMIT {limit}"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    pub async fn invite_row(
        &self,
        operator_id: i64,
        invite_id: i64,
    ) -> Result<Option<SqlInviteRow>> {
        let sql = "SELECT i.id, i.channel, s.name AS site_name, i.member_id, m.external_id AS member_external_id, m.first_name, m.last_name, m.email, \
             i.expires_at, i.revoked_at, i.created_at, i.sent_at, i.print_token, i.label, \
             (SELECT COUNT(*) FROM journeys j WHERE j.invite_id = i.id) AS journeys \
             FROM invites i LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN members m ON m.id = i.member_id \
             WHERE i.operator_id = $1 AND i.id = $2";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
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
        self.forget_cached();
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
        self.forget_cached();
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

    /// A page of the operator's invites, newest first, before the invite `before` (0 for the
    /// first page).
    pub async fn invite_page(
        &self,
        operator_id: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<SqlInviteRow>> {
        let sql = format!(
            "SELECT i.id, i.channel, s.name AS site_name, i.member_id, m.external_id AS member_external_id, m.first_name, m.last_name, m.email, \
             i.expires_at, i.revoked_at, i.created_at, i.sent_at, i.print_token, i.label, \
             (SELECT COUNT(*) FROM journeys j WHERE j.invite_id = i.id) AS journeys \
             FROM invites i LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN members m ON m.id = i.member_id \
             WHERE i.operator_id = $1 AND ($2 = 0 OR i.id < $2) ORDER BY i.id DESC LIMIT {limit}"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(before)
            .fetch_all(p)
            .await)?)
    }
}
