//! `operators`, `sites` and `operator_images`: the operator, its settings and look, and its sites.

use super::Begin as _;
use super::{now_ms, unique_violation, Db, Result, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlOperator {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub brand_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub support_url: Option<String>,
    pub default_region: String,
    pub digital_facility_code: i64,
    pub strict_enumeration: bool,
    pub sms_countries: String,
    pub sms_hourly_budget: i64,
    /// How long the texted link works, when the operator set it (else the server's default).
    pub link_ttl_secs: Option<i64>,
    /// How long new invites work, in days.
    pub invite_days: i64,
    /// What the pass's QR code carries (`credentials::PayloadFormat`).
    pub credential_format: String,
    /// The device rule: how many Apple devices one pass may be on before staff are warned.
    pub max_apple_devices: i64,
    /// The languages members may read, comma-separated tags (`domain::i18n::enabled`).
    pub languages: String,
    /// The language when nothing else decides.
    pub default_language: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlSite {
    pub id: i64,
    pub operator_id: i64,
    pub name: String,
    pub address: Option<String>,
    /// Where the door is (both or neither), and what the entrance is called.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub entrance: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOperator<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub brand_color: &'a str,
    pub accent_color: &'a str,
    pub support_email: Option<&'a str>,
    pub support_phone: Option<&'a str>,
    pub support_url: Option<&'a str>,
    pub default_region: &'a str,
}

/// A new operator's hourly text budget: a 9 a.m. rush of a few thousand members on day one fits
/// (the operator can change it in Settings).
pub const DEFAULT_SMS_HOURLY_BUDGET: i64 = 3_000;

const OPERATOR_COLUMNS: &str =
    "id, slug, name, brand_color, accent_color, logo_url, support_email, \
     support_phone, support_url, default_region, digital_facility_code, strict_enumeration, \
     sms_countries, sms_hourly_budget, link_ttl_secs, invite_days, credential_format, \
     max_apple_devices, languages, default_language";

impl Store {
    // ---- operators ----

    pub async fn operator_count(&self) -> Result<i64> {
        let n: i64 = on_read!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM operators"
        )
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    pub async fn insert_operator(&self, op: &NewOperator<'_>) -> Result<i64> {
        let sql = "INSERT INTO operators (slug, name, brand_color, accent_color, support_email, \
                   support_phone, support_url, default_region, created_at, sms_hourly_budget) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
        let res: Result<i64, sqlx::Error> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(op.slug)
            .bind(op.name)
            .bind(op.brand_color)
            .bind(op.accent_color)
            .bind(op.support_email)
            .bind(op.support_phone)
            .bind(op.support_url)
            .bind(op.default_region)
            .bind(now_ms())
            .bind(DEFAULT_SMS_HOURLY_BUDGET)
            .fetch_one(p)
            .await);
        res.map_err(|e| {
            if unique_violation(&e) {
                StoreError::Conflict("an operator with this slug")
            } else {
                e.into()
            }
        })
    }

    pub async fn operator(&self, id: i64) -> Result<Option<SqlOperator>> {
        let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn operator_by_slug(&self, slug: &str) -> Result<Option<SqlOperator>> {
        let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE slug = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(slug)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn update_operator_settings(&self, op: &SqlOperator) -> Result<()> {
        let sql =
            "UPDATE operators SET name = $2, brand_color = $3, accent_color = $4, logo_url = $5, \
                   support_email = $6, support_phone = $7, support_url = $8, default_region = $9, \
                   strict_enumeration = $10, sms_countries = $11, sms_hourly_budget = $12, \
                   link_ttl_secs = $13, invite_days = $14, credential_format = $15, \
                   max_apple_devices = $16, languages = $17, default_language = $18 WHERE id = $1";
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
            .bind(op.max_apple_devices)
            .bind(&op.languages)
            .bind(&op.default_language)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        self.forget_cached();
        Ok(())
    }

    /// Operator settings for the abuse limits.
    pub async fn set_operator_limits(
        &self,
        operator_id: i64,
        strict: bool,
        countries: &str,
        budget: i64,
    ) -> Result<()> {
        let sql = "UPDATE operators SET strict_enumeration = $2, sms_countries = $3, sms_hourly_budget = $4 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(operator_id)
            .bind(strict)
            .bind(countries)
            .bind(budget)
            .execute(p)
            .await
            .map(|_| ()))?;
        self.forget_cached();
        Ok(())
    }

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
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    // ---- images ----

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
        self.forget_cached();
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
        self.forget_cached();
        Ok(n > 0)
    }

    pub async fn operator_image(&self, operator_id: i64, kind: &str) -> Result<Option<Vec<u8>>> {
        let sql = "SELECT png FROM operator_images WHERE operator_id = $1 AND kind = $2";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(kind)
            .fetch_optional(p)
            .await)?)
    }

    /// The operator's own images: (kind, PNG).
    pub async fn operator_images(&self, operator_id: i64) -> Result<Vec<(String, Vec<u8>)>> {
        let sql = "SELECT kind, png FROM operator_images WHERE operator_id = $1 ORDER BY kind";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    // ---- sites ----

    pub async fn site_by_name(&self, operator_id: i64, name: &str) -> Result<Option<SqlSite>> {
        let sql =
            "SELECT id, operator_id, name, address, latitude, longitude, entrance FROM sites WHERE operator_id = $1 AND name = $2";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(name)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn insert_site(
        &self,
        operator_id: i64,
        name: &str,
        address: Option<&str>,
    ) -> Result<i64> {
        let sql = "INSERT INTO sites (operator_id, name, address, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
        let res: Result<i64, sqlx::Error> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(name)
            .bind(address)
            .bind(now_ms())
            .fetch_one(p)
            .await);
        self.forget_cached();
        res.map_err(|e| {
            if unique_violation(&e) {
                StoreError::Conflict("a site with this name")
            } else {
                e.into()
            }
        })
    }

    pub async fn site(&self, id: i64) -> Result<Option<SqlSite>> {
        let sql = "SELECT id, operator_id, name, address, latitude, longitude, entrance FROM sites WHERE id = $1";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn sites_of(&self, operator_id: i64) -> Result<Vec<SqlSite>> {
        let sql =
            "SELECT id, operator_id, name, address, latitude, longitude, entrance FROM sites WHERE operator_id = $1 ORDER BY name";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    /// Sets where `site_id`'s door is (of `operator_id`; `None` clears it) and queues the live
    /// passes of the site for an update, so wallets learn the new location. Returns whether the
    /// site is the operator's.
    pub async fn set_site_location(
        &self,
        operator_id: i64,
        site_id: i64,
        at: Option<(f64, f64)>,
        entrance: Option<&str>,
    ) -> Result<bool> {
        let now = now_ms();
        let changed = on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let name: Option<String> = sqlx::query_scalar(
                "UPDATE sites SET latitude = $3, longitude = $4, entrance = $5 \
                 WHERE id = $1 AND operator_id = $2 RETURNING name",
            )
            .bind(site_id)
            .bind(operator_id)
            .bind(at.map(|a| a.0))
            .bind(at.map(|a| a.1))
            .bind(entrance)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(name) = &name {
                sqlx::query(
                    "UPDATE wallet_passes SET updated_at = $3, push_due_at = $3 \
                     WHERE operator_id = $1 AND site_name = $2 AND voided_at IS NULL",
                )
                .bind(operator_id)
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(name.is_some())
        })?;
        self.forget_cached();
        Ok(changed)
    }
}
