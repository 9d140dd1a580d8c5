//! `members`: the operator's directory, and the dashboard's member lists.

use super::{is_digits, now_ms, search_pattern, Db, Result, Store};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlMember {
    pub id: i64,
    pub operator_id: i64,
    pub external_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub mobile_e164: Option<String>,
    pub synced_at: Option<i64>,
    pub active: bool,
    /// When the membership ends (passes expire then), if the CRM says.
    pub membership_ends_at: Option<i64>,
    /// The member's language, when the CRM says (a tag we have a file for).
    pub language: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub operator_id: i64,
    pub external_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub mobile_e164: Option<&'a str>,
    pub source: &'a str,
    pub synced_at: Option<i64>,
    pub active: bool,
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

const MEMBER_COLUMNS: &str =
    "id, operator_id, external_id, first_name, last_name, email, mobile_e164, synced_at, active, \
     membership_ends_at, language";

impl Store {
    pub async fn member_by_external_id(
        &self,
        operator_id: i64,
        external_id: &str,
    ) -> Result<Option<SqlMember>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE operator_id = $1 AND external_id = $2"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(external_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Creates the member or updates the one with the same external id; returns its id.
    pub async fn upsert_member(&self, m: &NewMember<'_>) -> Result<i64> {
        let sql = "INSERT INTO members (operator_id, external_id, first_name, last_name, email, \
                   mobile_e164, source, synced_at, active, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                   ON CONFLICT (operator_id, external_id) DO UPDATE SET \
                   first_name = excluded.first_name, last_name = excluded.last_name, \
                   email = excluded.email, mobile_e164 = excluded.mobile_e164, \
                   source = excluded.source, synced_at = excluded.synced_at, \
                   active = excluded.active, updated_at = excluded.updated_at \
                   RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(m.operator_id)
            .bind(m.external_id)
            .bind(m.first_name)
            .bind(m.last_name)
            .bind(m.email)
            .bind(m.mobile_e164)
            .bind(m.source)
            .bind(m.synced_at)
            .bind(m.active)
            .bind(now_ms())
            .fetch_one(p)
            .await)?)
    }

    pub async fn member(&self, id: i64) -> Result<Option<SqlMember>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Every member of the operator whose mobile on record is `e164`, active or not.
    pub async fn members_by_mobile(&self, operator_id: i64, e164: &str) -> Result<Vec<SqlMember>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE operator_id = $1 AND mobile_e164 = $2 ORDER BY id"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(e164)
            .fetch_all(p)
            .await)?)
    }

    // ---- the dashboard ----

    pub async fn member_rows(
        &self,
        operator_id: i64,
        search: Option<&str>,
        pass_state: Option<crate::devices::PassState>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SqlMemberRow>, i64)> {
        let mut filter = match search {
            Some(s) if is_digits(s) => " AND m.mobile_e164 LIKE $2",
            Some(_) => {
                " AND (LOWER(m.first_name || ' ' || m.last_name) LIKE $2 \
                         OR LOWER(COALESCE(m.email, '')) LIKE $2 OR LOWER(m.external_id) LIKE $2)"
            }
            None => " AND $2 = $2",
        }
        .to_owned();
        if let Some(state) = pass_state {
            filter.push_str(" AND ");
            filter.push_str(&state.sql());
        }
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
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(member_id)
            .fetch_optional(p)
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
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .fetch_all(p)
            .await)?)
    }

    // ---- the REST API ----

    /// A page of the operator's members in id order, after the member `after` (0 for the first
    /// page): a cursor that neither skips nor repeats a member while others are added.
    pub async fn member_page(
        &self,
        operator_id: i64,
        after: i64,
        limit: i64,
        search: Option<&str>,
        active: Option<bool>,
    ) -> Result<Vec<SqlMember>> {
        let mut filter = match search {
            Some(s) if is_digits(s) => " AND mobile_e164 LIKE $3",
            Some(_) => {
                " AND (LOWER(first_name || ' ' || last_name) LIKE $3 \
                   OR LOWER(COALESCE(email, '')) LIKE $3 OR LOWER(external_id) LIKE $3)"
            }
            None => " AND $3 = $3",
        }
        .to_owned();
        filter.push_str(match active {
            Some(true) => " AND active",
            Some(false) => " AND NOT active",
            None => "",
        });
        let pattern = search.map(search_pattern).unwrap_or_default();
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE operator_id = $1 AND id > $2{filter} \
             ORDER BY id LIMIT {limit}"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(after)
            .bind(&pattern)
            .fetch_all(p)
            .await)?)
    }
}
