//! `credentials` and `access_revocations`: members' card numbers, and the revocations the
//! access system reads.

use super::{now_ms, unique_violation, Db, Result, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlCredential {
    pub id: i64,
    pub member_id: i64,
    pub source: String,
    pub facility_code: i64,
    pub card_number: i64,
    pub revoked_at: Option<i64>,
    /// A generated number for a new phone's pass, live once that pass is added.
    pub pending_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    PhysicalCard,
    Digital,
}

impl CredentialSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::PhysicalCard => "physical_card",
            CredentialSource::Digital => "digital",
        }
    }
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

impl Store {
    pub async fn insert_credential(
        &self,
        operator_id: i64,
        member_id: i64,
        source: CredentialSource,
        facility_code: u8,
        card_number: u16,
    ) -> Result<i64> {
        self.insert_credential_as(
            operator_id,
            member_id,
            source,
            facility_code,
            card_number,
            false,
        )
        .await
    }

    /// A generated credential for a new phone's pass, pending until that pass is added (the
    /// member's current one stays live until then).
    pub async fn insert_pending_credential(
        &self,
        operator_id: i64,
        member_id: i64,
        facility_code: u8,
        card_number: u16,
    ) -> Result<i64> {
        self.insert_credential_as(
            operator_id,
            member_id,
            CredentialSource::Digital,
            facility_code,
            card_number,
            true,
        )
        .await
    }

    async fn insert_credential_as(
        &self,
        operator_id: i64,
        member_id: i64,
        source: CredentialSource,
        facility_code: u8,
        card_number: u16,
        pending: bool,
    ) -> Result<i64> {
        let sql = "INSERT INTO credentials (operator_id, member_id, source, facility_code, card_number, created_at, pending_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN $6 END) RETURNING id";
        let res: Result<i64, sqlx::Error> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(operator_id)
            .bind(member_id)
            .bind(source.as_str())
            .bind(i64::from(facility_code))
            .bind(i64::from(card_number))
            .bind(now_ms())
            .bind(pending)
            .fetch_one(p)
            .await);
        res.map_err(|e| {
            if unique_violation(&e) {
                StoreError::Conflict("this card number")
            } else {
                e.into()
            }
        })
    }

    pub async fn credentials_for_member(&self, member_id: i64) -> Result<Vec<SqlCredential>> {
        let sql =
            "SELECT id, member_id, source, facility_code, card_number, revoked_at, pending_at \
                   FROM credentials WHERE member_id = $1 ORDER BY id";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(member_id)
            .fetch_all(p)
            .await)?)
    }

    /// Forgets a pending credential that no pass carries (two requests raced to make one).
    pub async fn discard_credential(&self, id: i64) -> Result<()> {
        let sql = "DELETE FROM credentials WHERE id = $1 AND pending_at IS NOT NULL \
                   AND NOT EXISTS (SELECT 1 FROM wallet_passes WHERE credential_id = $1)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
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
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(after)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }
}
