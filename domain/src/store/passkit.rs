//! `pass_devices`, `pass_registrations` and the passes' push columns: Apple's PassKit web
//! service (devices that registered for a pass's updates, the passes that changed since a
//! device last asked) and the pushes that are due.

use super::Begin as _;
use super::{now_ms, Db, Result, Store};
use crate::lease::Lease;

/// A due push: one pass, and the devices to tell.
#[derive(Debug, Clone, PartialEq)]
pub struct DuePush {
    pub pass_id: i64,
    pub due_at: i64,
    pub attempts: i64,
    pub serial: String,
    pub platform: String,
    /// (device id, push token)
    pub devices: Vec<(i64, String)>,
    /// The instance whose expired claim on this push was taken over (`None` for an ordinary claim).
    pub taken_over_from: Option<String>,
}

impl Store {
    /// Registers `device` for `pass_id`'s updates (keeping its newest push token). Returns
    /// whether the registration is new.
    pub async fn register_pass_device(
        &self,
        device: &str,
        push_token: &str,
        pass_id: i64,
    ) -> Result<bool> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let device_id: i64 = sqlx::query_scalar(
                "INSERT INTO pass_devices (device_library_id, push_token, created_at, updated_at) \
                 VALUES ($1, $2, $3, $3) ON CONFLICT (device_library_id) DO UPDATE SET \
                 push_token = excluded.push_token, updated_at = excluded.updated_at RETURNING id",
            )
            .bind(device)
            .bind(push_token)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let added = sqlx::query(
                "INSERT INTO pass_registrations (device_id, pass_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (device_id, pass_id) DO NOTHING",
            )
            .bind(device_id)
            .bind(pass_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(added == 1)
        })
    }

    /// Ends `device`'s registration for `pass_id`. Returns whether there was one.
    pub async fn unregister_pass_device(&self, device: &str, pass_id: i64) -> Result<bool> {
        let sql = "DELETE FROM pass_registrations WHERE pass_id = $2 AND device_id IN \
                   (SELECT id FROM pass_devices WHERE device_library_id = $1)";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(device)
            .bind(pass_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The serial numbers and update times of the Apple passes of `pass_type` registered on
    /// `device`, changed after `since` (all of them when `None`).
    pub async fn serials_for_device(
        &self,
        device: &str,
        since: Option<i64>,
    ) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT w.serial, w.updated_at FROM wallet_passes w \
                   JOIN pass_registrations r ON r.pass_id = w.id \
                   JOIN pass_devices d ON d.id = r.device_id \
                   WHERE d.device_library_id = $1 AND w.platform = 'apple' AND w.updated_at > $2 \
                   ORDER BY w.serial";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(device)
            .bind(since.unwrap_or(-1))
            .fetch_all(p)
            .await)?)
    }

    /// How many devices a pass is registered on.
    pub async fn pass_device_count(&self, pass_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM pass_registrations WHERE pass_id = $1";
        Ok(on_read!(self, |p| sqlx::query_scalar(sql)
            .bind(pass_id)
            .fetch_one(p)
            .await)?)
    }

    /// Passes whose devices are due a push, oldest first (read only: what a claim would find).
    pub async fn due_pushes(&self, now: i64, limit: i64) -> Result<Vec<DuePush>> {
        let passes: Vec<(i64, i64, i64, String, String)> = on_read!(self, |p| sqlx::query_as(
            "SELECT id, push_due_at, push_attempts, serial, platform FROM wallet_passes \
             WHERE push_due_at IS NOT NULL AND push_due_at <= $1 ORDER BY push_due_at LIMIT $2"
        )
        .bind(now)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        let mut out = Vec::with_capacity(passes.len());
        for (pass_id, due_at, attempts, serial, platform) in passes {
            out.push(DuePush {
                devices: self.push_devices(pass_id).await?,
                pass_id,
                due_at,
                attempts,
                serial,
                platform,
                taken_over_from: None,
            });
        }
        Ok(out)
    }

    /// Claims the pass most overdue a push under `lease`: one nobody holds, or one whose
    /// holder's lease ran out before `now` (a take-over, named in `taken_over_from`).
    pub async fn claim_due_push(&self, now: i64, lease: &Lease) -> Result<Option<DuePush>> {
        let pick = match self.db {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let claimable = "(push_due_at IS NOT NULL AND push_due_at <= $1 \
                         AND (push_lease_until IS NULL OR push_lease_until < $1))";
        // SET sees the row as it was: a lease still set is one whose holder never finished.
        let sql = format!(
            "UPDATE wallet_passes SET push_claimed_by = $2, push_lease_until = $3, \
             push_taken_over_from = CASE WHEN push_lease_until IS NOT NULL THEN COALESCE(push_claimed_by, '') END \
             WHERE {claimable} AND id = (SELECT id FROM wallet_passes WHERE {claimable} \
             ORDER BY push_due_at, id LIMIT 1 {pick}) \
             RETURNING id, push_due_at, push_attempts, serial, platform, push_taken_over_from"
        );
        let claimed: Option<(i64, i64, i64, String, String, Option<String>)> =
            on_pool!(self, |p| sqlx::query_as(&sql)
                .bind(now)
                .bind(&lease.holder)
                .bind(lease.until(now))
                .fetch_optional(p)
                .await)?;
        let Some((pass_id, due_at, attempts, serial, platform, taken_over_from)) = claimed else {
            return Ok(None);
        };
        Ok(Some(DuePush {
            devices: self.push_devices(pass_id).await?,
            pass_id,
            due_at,
            attempts,
            serial,
            platform,
            taken_over_from,
        }))
    }

    /// Extends `lease`'s claim on a push from `now` (a round with many devices). `false` when
    /// the claim is no longer `lease`'s.
    pub async fn renew_push_lease(&self, pass_id: i64, now: i64, lease: &Lease) -> Result<bool> {
        let sql = "UPDATE wallet_passes SET push_lease_until = $3 \
                   WHERE id = $1 AND push_claimed_by = $2 AND push_lease_until IS NOT NULL";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(pass_id)
            .bind(&lease.holder)
            .bind(lease.until(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))?)
    }

    async fn push_devices(&self, pass_id: i64) -> Result<Vec<(i64, String)>> {
        Ok(on_pool!(self, |p| sqlx::query_as(
            "SELECT d.id, d.push_token FROM pass_devices d \
             JOIN pass_registrations r ON r.device_id = d.id WHERE r.pass_id = $1 ORDER BY d.id"
        )
        .bind(pass_id)
        .fetch_all(p)
        .await)?)
    }

    /// Records a push round claimed under `lease` and clears the claim: done (`next` = `None`)
    /// or to try again at `next`. A pass that changed again meanwhile (a newer due time) keeps
    /// its newer due time. Writes nothing when another instance took the claim over (`false`).
    pub async fn finish_push(
        &self,
        push: &DuePush,
        lease: &Lease,
        next: Option<i64>,
    ) -> Result<bool> {
        let sql = "UPDATE wallet_passes SET \
                   push_attempts = CASE WHEN push_due_at <> $2 THEN push_attempts \
                   WHEN $3 IS NULL THEN 0 ELSE push_attempts + 1 END, \
                   push_due_at = CASE WHEN push_due_at = $2 THEN $3 ELSE push_due_at END, \
                   push_claimed_by = NULL, push_lease_until = NULL, push_taken_over_from = NULL \
                   WHERE id = $1 AND push_claimed_by = $4 AND push_lease_until IS NOT NULL";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(push.pass_id)
            .bind(push.due_at)
            .bind(next)
            .bind(&lease.holder)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))?)
    }

    /// APNs says the device's token is no longer valid: the device stops receiving updates.
    pub async fn forget_pass_device(&self, device_id: i64) -> Result<()> {
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            sqlx::query("DELETE FROM pass_registrations WHERE device_id = $1")
                .bind(device_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM pass_devices WHERE id = $1")
                .bind(device_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
