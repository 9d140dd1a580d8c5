//! `api_keys`: the operators' keys for the REST API. Only a key's hash is stored.

use super::{now_ms, Db, Result, Store};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlApiKey {
    pub id: i64,
    pub operator_id: i64,
    pub name: String,
    /// The key's first characters, to tell keys apart in the dashboard.
    pub prefix: String,
    /// `read` or `read write`.
    pub scopes: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A key to store: everything but the key itself.
pub struct NewApiKey<'a> {
    pub operator_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a str,
    pub created_by: &'a str,
}

const KEY_COLUMNS: &str =
    "id, operator_id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at";

/// How often a key's "last used" time is written: a busy integration would otherwise write a row
/// on every request.
const LAST_USED_EVERY_MS: i64 = 60_000;

impl Store {
    pub async fn insert_api_key(&self, k: &NewApiKey<'_>) -> Result<i64> {
        let sql = "INSERT INTO api_keys (operator_id, name, prefix, key_hash, scopes, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(k.operator_id)
            .bind(k.name)
            .bind(k.prefix)
            .bind(k.key_hash)
            .bind(k.scopes)
            .bind(k.created_by)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    /// The operator's keys, newest first, revoked ones included.
    pub async fn api_keys_of(&self, operator_id: i64) -> Result<Vec<SqlApiKey>> {
        let sql =
            format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE operator_id = $1 ORDER BY id DESC");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    /// The live (not revoked) key whose hash this is.
    pub async fn live_api_key(&self, key_hash: &str) -> Result<Option<SqlApiKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(key_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// Revokes the operator's key; false when it is not theirs or was revoked before.
    pub async fn revoke_api_key(&self, operator_id: i64, id: i64) -> Result<bool> {
        let sql = "UPDATE api_keys SET revoked_at = $3 \
                   WHERE id = $1 AND operator_id = $2 AND revoked_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(id)
            .bind(operator_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Notes that the key was used now, at most once a minute.
    pub async fn touch_api_key(&self, key: &SqlApiKey) -> Result<()> {
        let now = now_ms();
        if key
            .last_used_at
            .is_some_and(|at| now - at < LAST_USED_EVERY_MS)
        {
            return Ok(());
        }
        let sql = "UPDATE api_keys SET last_used_at = $2 \
                   WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(key.id)
            .bind(now)
            .bind(now - LAST_USED_EVERY_MS)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
