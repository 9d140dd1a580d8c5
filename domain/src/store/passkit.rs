//! `pass_devices`, `pass_registrations` and the passes' push columns: Apple's PassKit web
//! service (devices that registered for a pass's updates, the passes that changed since a
//! device last asked) and the pushes that are due.

use super::Begin as _;
use super::{now_ms, Db, Result, Store};

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

    /// Passes whose devices are due a push, oldest first.
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
            let devices: Vec<(i64, String)> = on_pool!(self, |p| {
                sqlx::query_as(
                "SELECT d.id, d.push_token FROM pass_devices d \
                 JOIN pass_registrations r ON r.device_id = d.id WHERE r.pass_id = $1 ORDER BY d.id"
            )
            .bind(pass_id)
            .fetch_all(p)
            .await
            })?;
            out.push(DuePush {
                pass_id,
                due_at,
                attempts,
                serial,
                platform,
                devices,
            });
        }
        Ok(out)
    }

    /// Records a push round: done (`next` = `None`) or to try again at `next`. A pass that
    /// changed again meanwhile (a newer due time) keeps its newer due time.
    pub async fn finish_push(&self, push: &DuePush, next: Option<i64>) -> Result<()> {
        let sql = "UPDATE wallet_passes SET push_due_at = $3, \
                   push_attempts = CASE WHEN $3 IS NULL THEN 0 ELSE push_attempts + 1 END \
                   WHERE id = $1 AND push_due_at = $2";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(push.pass_id)
            .bind(push.due_at)
            .bind(next)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
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
