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

/// What a registration changed: whether the device is newly on the pass (first time, or back
/// after it unregistered), and how many devices the pass is on now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub new: bool,
    pub devices: i64,
}

/// One device a pass is or was on (`pass_registrations` with its device).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlPassDevice {
    pub pass_id: i64,
    pub device_library_id: String,
    /// When the device first registered for the pass.
    pub first_seen_at: i64,
    /// When it last registered or asked for its passes' updates.
    pub last_seen_at: i64,
    /// When it unregistered (the pass was removed from it), or APNs said it was gone.
    pub unregistered_at: Option<i64>,
}

/// A device's listing refreshes its "last seen" at most this often (it asks on every wake).
const LAST_SEEN_EVERY_MS: i64 = 60_000;

impl Store {
    /// Registers `device` for `pass_id`'s updates (keeping its newest push token). A device that
    /// had unregistered is back on the pass; one still registered only refreshes its last seen.
    pub async fn register_pass_device(
        &self,
        device: &str,
        push_token: &str,
        pass_id: i64,
    ) -> Result<Registered> {
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
            // Back after it unregistered, new, or a repeat that only refreshes last seen.
            let back = sqlx::query(
                "UPDATE pass_registrations SET unregistered_at = NULL, last_seen_at = $3 \
                 WHERE device_id = $1 AND pass_id = $2 AND unregistered_at IS NOT NULL",
            )
            .bind(device_id)
            .bind(pass_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let added = !back
                && sqlx::query(
                    "INSERT INTO pass_registrations (device_id, pass_id, created_at, last_seen_at) \
                     VALUES ($1, $2, $3, $3) ON CONFLICT (device_id, pass_id) DO NOTHING",
                )
                .bind(device_id)
                .bind(pass_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
            if !back && !added {
                sqlx::query(
                    "UPDATE pass_registrations SET last_seen_at = $3 WHERE device_id = $1 AND pass_id = $2",
                )
                .bind(device_id)
                .bind(pass_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let devices: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pass_registrations WHERE pass_id = $1 AND unregistered_at IS NULL",
            )
            .bind(pass_id)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Registered {
                new: back || added,
                devices,
            })
        })
    }

    /// Ends `device`'s registration for `pass_id` (kept, with when it ended). Returns how many
    /// devices the pass is still on, or `None` when the device was not registered for it.
    pub async fn unregister_pass_device(&self, device: &str, pass_id: i64) -> Result<Option<i64>> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let ended = sqlx::query(
                "UPDATE pass_registrations SET unregistered_at = $3 WHERE pass_id = $2 \
                 AND unregistered_at IS NULL AND device_id IN \
                 (SELECT id FROM pass_devices WHERE device_library_id = $1)",
            )
            .bind(device)
            .bind(pass_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let left: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pass_registrations WHERE pass_id = $1 AND unregistered_at IS NULL",
            )
            .bind(pass_id)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok((ended > 0).then_some(left))
        })
    }

    /// Every device each of `member_id`'s passes is or was on, by pass and first seen.
    pub async fn pass_devices_for_member(&self, member_id: i64) -> Result<Vec<SqlPassDevice>> {
        let sql = "SELECT r.pass_id, d.device_library_id, r.created_at AS first_seen_at, \
                   COALESCE(r.last_seen_at, r.created_at) AS last_seen_at, r.unregistered_at \
                   FROM pass_registrations r JOIN pass_devices d ON d.id = r.device_id \
                   JOIN wallet_passes w ON w.id = r.pass_id WHERE w.member_id = $1 \
                   ORDER BY r.pass_id, r.created_at, d.id";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(member_id)
            .fetch_all(p)
            .await)?)
    }

    /// A device asked for its passes' updates: it is still there. Refreshed at most once a
    /// minute per device, so a device waking often costs no write each time.
    pub async fn device_seen(&self, device: &str) -> Result<()> {
        let now = now_ms();
        let sql = "UPDATE pass_registrations SET last_seen_at = $2 WHERE unregistered_at IS NULL \
                   AND (last_seen_at IS NULL OR last_seen_at < $3) AND device_id IN \
                   (SELECT id FROM pass_devices WHERE device_library_id = $1)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(device)
            .bind(now)
            .bind(now - LAST_SEEN_EVERY_MS)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
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
                   WHERE d.device_library_id = $1 AND r.unregistered_at IS NULL \
                   AND w.platform = 'apple' AND w.updated_at > $2 \
                   ORDER BY w.serial";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(device)
            .bind(since.unwrap_or(-1))
            .fetch_all(p)
            .await)?)
    }

    /// How many devices a pass is registered on.
    pub async fn pass_device_count(&self, pass_id: i64) -> Result<i64> {
        let sql =
            "SELECT COUNT(*) FROM pass_registrations WHERE pass_id = $1 AND unregistered_at IS NULL";
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
             JOIN pass_registrations r ON r.device_id = d.id \
             WHERE r.pass_id = $1 AND r.unregistered_at IS NULL ORDER BY d.id"
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

    /// APNs says the device's token is no longer valid: the device stops receiving updates (its
    /// registrations end, kept with when). Returns the passes it was on.
    pub async fn forget_pass_device(&self, device_id: i64) -> Result<Vec<i64>> {
        let now = now_ms();
        Ok(on_pool!(self, |p| sqlx::query_scalar(
            "UPDATE pass_registrations SET unregistered_at = $2 \
             WHERE device_id = $1 AND unregistered_at IS NULL RETURNING pass_id"
        )
        .bind(device_id)
        .bind(now)
        .fetch_all(p)
        .await)?)
    }
}
