//! `wallet_passes`: the members' Apple and Google passes.

use super::Begin as _;
use super::{now_ms, Db, Result, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlWalletPass {
    pub id: i64,
    pub member_id: i64,
    pub credential_id: i64,
    pub platform: String,
    pub serial: String,
    pub issued_at: i64,
    pub updated_at: i64,
    /// When the pass was voided (the member left, or the operator revoked it).
    pub voided_at: Option<i64>,
    /// Apple's `authenticationToken` for the PassKit web service.
    pub auth_token: Option<String>,
    pub site_name: Option<String>,
    pub operator_id: i64,
    /// Google: when a save callback last said the pass is in a wallet.
    pub wallet_saved_at: Option<i64>,
    /// Google: when a delete callback last said it was removed from one.
    pub wallet_removed_at: Option<i64>,
    /// The newest message staff sent to this pass's holder (`holder_messages`).
    pub message_id: Option<i64>,
    /// Google: whether that message comes with a notification (3 a day at most).
    pub message_notifies: bool,
    /// The journey that issued this pass (none for passes issued before journeys were
    /// remembered, or by a command): another journey of the member is another phone.
    pub journey_id: Option<i64>,
    /// A pass for a new phone, issued while the member's previous pass is live: it replaces
    /// that one once it is added (see [`Store::activate_pending_pass`]).
    pub pending_at: Option<i64>,
    /// The pass that replaced this one on a new phone.
    pub replaced_by: Option<i64>,
}

impl SqlWalletPass {
    /// Google's callbacks say the pass is in a wallet now (saved, and not deleted since).
    pub fn saved_to_google(&self) -> bool {
        match (self.wallet_saved_at, self.wallet_removed_at) {
            (Some(saved), Some(removed)) => saved > removed,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// Google's callbacks say the pass was in a wallet and was removed since.
    pub fn removed_from_google(&self) -> bool {
        self.wallet_removed_at.is_some() && !self.saved_to_google()
    }
}

/// A pass with its member's external id, as the REST API lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SqlPassRow {
    #[sqlx(flatten)]
    pub pass: SqlWalletPass,
    pub external_id: String,
}

/// A pass to issue (or issue again).
#[derive(Debug, Clone, Default)]
pub struct NewWalletPass<'a> {
    pub operator_id: i64,
    pub member_id: i64,
    pub credential_id: i64,
    pub platform: &'a str,
    /// Used only when the member has no pass on this platform yet.
    pub new_serial: &'a str,
    pub new_auth_token: &'a str,
    pub site_name: Option<&'a str>,
    /// The journey it is issued on.
    pub journey_id: Option<i64>,
}

pub(crate) const PASS_COLUMNS: &str = "id, member_id, credential_id, platform, serial, issued_at, \
     updated_at, voided_at, auth_token, site_name, operator_id, wallet_saved_at, wallet_removed_at, \
     message_id, message_notifies, journey_id, pending_at, replaced_by";

/// A new phone's pass added: the passes it replaced, voided now.
#[derive(Debug, Clone)]
pub struct Replacement {
    /// The new phone's pass, live now.
    pub pass: SqlWalletPass,
    /// The member's previous passes of that platform, voided now.
    pub replaced: Vec<SqlWalletPass>,
    /// The member's other passes moved to the new pass's (rotated) credential.
    pub moved: u64,
}

impl Store {
    /// One live pass per member and platform: issuing again keeps the serial and authentication
    /// token (so Wallet replaces the pass rather than adding a second) and points it at the
    /// current credential; if that changed, its devices are due a push. A voided pass is never
    /// revived: issuing after a void makes a new pass, with a new serial and token, so the
    /// devices registered to the voided one keep seeing it void.
    pub async fn upsert_wallet_pass(&self, p: &NewWalletPass<'_>) -> Result<SqlWalletPass> {
        let sql = format!(
            "INSERT INTO wallet_passes (operator_id, member_id, credential_id, platform, serial, issued_at, updated_at, \
             auth_token, site_name, journey_id) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9) \
             ON CONFLICT (member_id, platform) WHERE voided_at IS NULL AND pending_at IS NULL \
             DO UPDATE SET credential_id = excluded.credential_id, \
             updated_at = excluded.updated_at, site_name = excluded.site_name, \
             auth_token = COALESCE(wallet_passes.auth_token, excluded.auth_token), \
             push_due_at = CASE WHEN wallet_passes.credential_id <> excluded.credential_id \
             THEN excluded.updated_at ELSE wallet_passes.push_due_at END \
             RETURNING {PASS_COLUMNS}"
        );
        self.insert_pass(&sql, p).await
    }

    /// A pass for a new phone, pending beside the member's live one until it is added there.
    /// The same journey asking again gets the same pending pass.
    pub async fn insert_pending_pass(&self, p: &NewWalletPass<'_>) -> Result<SqlWalletPass> {
        let sql = format!(
            "INSERT INTO wallet_passes (operator_id, member_id, credential_id, platform, serial, issued_at, updated_at, \
             auth_token, site_name, journey_id, pending_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $6) \
             ON CONFLICT (journey_id, platform) WHERE voided_at IS NULL \
             DO UPDATE SET updated_at = excluded.updated_at, site_name = excluded.site_name \
             RETURNING {PASS_COLUMNS}"
        );
        self.insert_pass(&sql, p).await
    }

    /// Runs an insert of `p` whose parameters are, in order: operator, member, credential,
    /// platform, serial, now, token, site, journey.
    async fn insert_pass(&self, sql: &str, p: &NewWalletPass<'_>) -> Result<SqlWalletPass> {
        Ok(on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(p.operator_id)
            .bind(p.member_id)
            .bind(p.credential_id)
            .bind(p.platform)
            .bind(p.new_serial)
            .bind(now_ms())
            .bind(p.new_auth_token)
            .bind(p.site_name)
            .bind(p.journey_id)
            .fetch_one(pool)
            .await)?)
    }

    /// The same pass downloaded again on the journey it was issued on: it carries
    /// `credential_id` now (its devices are due a push if that changed).
    pub async fn reissue_wallet_pass(
        &self,
        pass_id: i64,
        credential_id: i64,
        site_name: Option<&str>,
    ) -> Result<Option<SqlWalletPass>> {
        let sql = format!(
            "UPDATE wallet_passes SET push_due_at = CASE WHEN credential_id <> $2 THEN $3 ELSE push_due_at END, \
             credential_id = $2, updated_at = $3, site_name = $4 \
             WHERE id = $1 AND voided_at IS NULL RETURNING {PASS_COLUMNS}"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(pass_id)
            .bind(credential_id)
            .bind(now_ms())
            .bind(site_name)
            .fetch_optional(pool)
            .await)?)
    }

    /// A new phone's pending pass was added there: in one transaction the member's live pass of
    /// that platform is voided as replaced by it (and so due a push), the pending pass becomes
    /// the live one, and when its credential is new (a rotated generated one) the member's other
    /// passes move to it and are due a push. `None` when the pass is not pending (any more):
    /// repeats and races replace once.
    pub async fn activate_pending_pass(&self, pass_id: i64) -> Result<Option<Replacement>> {
        let now = now_ms();
        let select = format!(
            "SELECT {PASS_COLUMNS} FROM wallet_passes WHERE id = $1 AND pending_at IS NOT NULL \
             AND voided_at IS NULL"
        );
        let replace = format!(
            "UPDATE wallet_passes SET voided_at = $4, updated_at = $4, push_due_at = $4, replaced_by = $1 \
             WHERE member_id = $2 AND platform = $3 AND voided_at IS NULL AND pending_at IS NULL \
             RETURNING {PASS_COLUMNS}"
        );
        let end_replaced_links = "UPDATE link_tokens SET revoked_at = $2 WHERE revoked_at IS NULL \
             AND journey_id IN (SELECT journey_id FROM wallet_passes WHERE replaced_by = $1) \
             AND journey_id <> (SELECT COALESCE(journey_id, -1) FROM wallet_passes WHERE id = $1)";
        let live = format!(
            "UPDATE wallet_passes SET pending_at = NULL, updated_at = $2 WHERE id = $1 RETURNING {PASS_COLUMNS}"
        );
        // A rotated number: the member's other generated numbers end (in the access system's
        // feed too, if the void did not already end them), the new one is live, and the
        // member's other live passes carry it.
        let end_others = "INSERT INTO access_revocations (operator_id, member_id, credential_id, source, \
             facility_code, card_number, at) SELECT c.operator_id, c.member_id, c.id, c.source, \
             c.facility_code, c.card_number, $3 FROM credentials c WHERE c.member_id = $1 \
             AND c.source = 'digital' AND c.revoked_at IS NULL AND c.pending_at IS NULL AND c.id <> $2";
        let revoke_others = "UPDATE credentials SET revoked_at = $3 WHERE member_id = $1 \
             AND source = 'digital' AND revoked_at IS NULL AND pending_at IS NULL AND id <> $2";
        let go_live = "UPDATE credentials SET pending_at = NULL WHERE id = $2 AND member_id = $1 \
             AND pending_at IS NOT NULL";
        let move_passes = "UPDATE wallet_passes SET credential_id = $2, updated_at = $3, push_due_at = $3 \
             WHERE member_id = $1 AND voided_at IS NULL AND pending_at IS NULL AND credential_id <> $2 \
             AND credential_id IN (SELECT id FROM credentials WHERE member_id = $1 AND source = 'digital')";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            // The member's row first: two new phones added at once replace one after the other.
            sqlx::query(
                "UPDATE members SET active = active WHERE id = (SELECT member_id FROM wallet_passes WHERE id = $1)",
            )
            .bind(pass_id)
            .execute(&mut *tx)
            .await?;
            let Some(pending): Option<SqlWalletPass> = sqlx::query_as(&select)
                .bind(pass_id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                tx.commit().await?;
                return Ok(None);
            };
            let replaced: Vec<SqlWalletPass> = sqlx::query_as(&replace)
                .bind(pass_id)
                .bind(pending.member_id)
                .bind(&pending.platform)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
            // The old phone's links end with its pass: a browser there that still holds a
            // claimed link cannot issue a pass again and take the place back.
            sqlx::query(end_replaced_links)
                .bind(pass_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let pass: SqlWalletPass = sqlx::query_as(&live)
                .bind(pass_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            let rotated: bool = sqlx::query_scalar(
                "SELECT COUNT(*) > 0 FROM credentials WHERE id = $1 AND pending_at IS NOT NULL",
            )
            .bind(pass.credential_id)
            .fetch_one(&mut *tx)
            .await?;
            let mut moved = 0;
            if rotated {
                for statement in [end_others, revoke_others, go_live, move_passes] {
                    moved = sqlx::query(statement)
                        .bind(pass.member_id)
                        .bind(pass.credential_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
            }
            tx.commit().await?;
            Ok(Some(Replacement {
                pass,
                replaced,
                moved,
            }))
        })
    }

    pub async fn wallet_pass(&self, id: i64) -> Result<Option<SqlWalletPass>> {
        let sql = format!("SELECT {PASS_COLUMNS} FROM wallet_passes WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// An Apple pass by its serial number.
    pub async fn apple_pass_by_serial(&self, serial: &str) -> Result<Option<SqlWalletPass>> {
        let sql = format!(
            "SELECT {PASS_COLUMNS} FROM wallet_passes WHERE platform = 'apple' AND serial = $1"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(serial)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn wallet_passes_for_member(&self, member_id: i64) -> Result<Vec<SqlWalletPass>> {
        let sql = format!(
            "SELECT {PASS_COLUMNS} FROM wallet_passes WHERE member_id = $1 ORDER BY platform"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(member_id)
            .fetch_all(p)
            .await)?)
    }

    /// The operator voids one pass: Wallet shows it as void once its devices fetch it. The
    /// member's live links end with it, so a link still in someone's hands cannot issue the pass
    /// again; the member starts again from the invite.
    pub async fn void_wallet_pass(&self, pass_id: i64) -> Result<bool> {
        let now = now_ms();
        let void = "UPDATE wallet_passes SET voided_at = $2, updated_at = $2, push_due_at = $2 \
                    WHERE id = $1 AND voided_at IS NULL";
        let end_links = "UPDATE link_tokens SET revoked_at = $2 WHERE revoked_at IS NULL \
                         AND member_id = (SELECT member_id FROM wallet_passes WHERE id = $1)";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let n = sqlx::query(void)
                .bind(pass_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(end_links)
                .bind(pass_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n == 1)
        })
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

    /// The Google pass with `serial` (the object id's part after the issuer id).
    pub async fn google_pass_by_serial(&self, serial: &str) -> Result<Option<SqlWalletPass>> {
        let sql = format!(
            "SELECT {PASS_COLUMNS} FROM wallet_passes WHERE platform = 'google' AND serial = $1"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(serial)
            .fetch_optional(p)
            .await)?)
    }

    /// Records a verified Google save (`saved`) or delete callback for `pass_id`, once per
    /// `nonce` (Google may deliver one more than once): the nonce and the pass's state in one
    /// transaction. Returns whether this nonce was new (and so recorded).
    pub async fn record_google_callback(
        &self,
        nonce: &str,
        pass_id: i64,
        saved: bool,
        at: i64,
    ) -> Result<bool> {
        let column = if saved {
            "wallet_saved_at"
        } else {
            "wallet_removed_at"
        };
        let update = format!("UPDATE wallet_passes SET {column} = $2 WHERE id = $1");
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let new = sqlx::query(
                "INSERT INTO google_callback_nonces (nonce, at) VALUES ($1, $2) \
                 ON CONFLICT (nonce) DO NOTHING",
            )
            .bind(nonce)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if new {
                sqlx::query(&update)
                    .bind(pass_id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(new)
        })
    }

    /// A page of the operator's passes in id order after the pass `after`, of one member when
    /// `member_id` says so.
    pub async fn pass_page(
        &self,
        operator_id: i64,
        after: i64,
        limit: i64,
        member_id: Option<i64>,
    ) -> Result<Vec<SqlPassRow>> {
        let sql = format!(
            "SELECT {PASS_COLUMNS}, (SELECT m.external_id FROM members m WHERE m.id = wallet_passes.member_id) \
             AS external_id FROM wallet_passes WHERE operator_id = $1 AND id > $2 \
             AND ($3 = 0 OR member_id = $3) ORDER BY id LIMIT {limit}"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql)
            .bind(operator_id)
            .bind(after)
            .bind(member_id.unwrap_or(0))
            .fetch_all(p)
            .await)?)
    }
}
