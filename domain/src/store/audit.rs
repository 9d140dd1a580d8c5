//! `audit_log`: what staff did in the dashboard.

use super::{now_ms, Db, Result, Store};

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

impl Store {
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
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await)?)
    }
}
