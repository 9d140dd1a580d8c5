//! Where each pass is: the devices an Apple pass was added to (registrations through the
//! PassKit web service) and removed from, what the journey's timeline says about each, and the
//! operator's device rule (at most N Apple devices per pass; a registration beyond it is kept,
//! since Wallet does not ask, and shown to staff as a warning).

use crate::kinds::Event;
use crate::store::{Registered, Result, SqlPassDevice, SqlWalletPass, Store};
use crate::wallet::callbacks::RootKeys;

/// The rule when an operator has not set one: a phone and a watch.
pub const DEFAULT_MAX_APPLE_DEVICES: i64 = 2;
/// The most an operator may allow.
pub const MOST_APPLE_DEVICES: i64 = 10;

/// "second", for the timeline ("Added to Apple Wallet on a second device").
pub fn ordinal(n: i64) -> String {
    const WORDS: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    match usize::try_from(n - 1).ok().and_then(|i| WORDS.get(i)) {
        Some(word) => (*word).to_owned(),
        None => format!("{n}th"),
    }
}

/// What the timeline records for a registration under a rule of `max` devices: nothing for a
/// repeat; the add (on which device); and a warning when it took the pass past the rule.
pub fn on_registered(r: Registered, max: i64) -> Vec<(Event, String)> {
    if !r.new {
        return Vec::new();
    }
    let mut out = vec![(
        Event::ApplePassRegistered,
        format!("on a {} device", ordinal(r.devices)),
    )];
    if r.devices > max {
        out.push((
            Event::AppleDevicesOverLimit,
            format!("{} devices; the rule allows {max}", r.devices),
        ));
    }
    out
}

/// What the timeline records when a device leaves a pass that is still on `left` devices.
pub fn on_unregistered(left: i64, why: &str) -> (Event, String) {
    let still = match left {
        0 => "on no device now".to_owned(),
        1 => "still on 1 device".to_owned(),
        n => format!("still on {n} devices"),
    };
    (Event::ApplePassUnregistered, format!("{why}; {still}"))
}

/// Writes `events` on the journey of the pass's member that issued them (the member's latest),
/// and tells the operator's webhooks of a pass added to or removed from a wallet.
pub async fn record(store: &Store, pass: &SqlWalletPass, events: &[(Event, String)]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    if let Some(journey) = store.latest_journey_for_member(pass.member_id).await? {
        for (event, detail) in events {
            store
                .append_event(journey, None, event.as_str(), detail)
                .await?;
        }
    }
    use crate::webhooks::EventType;
    for (event, detail) in events {
        let kind = match event {
            Event::ApplePassRegistered | Event::GooglePassSaved => EventType::PassAdded,
            Event::ApplePassUnregistered | Event::GooglePassDeleted => EventType::PassRemoved,
            _ => continue,
        };
        let member = store.member(pass.member_id).await?;
        crate::webhooks::emit(
            store,
            None,
            pass.operator_id,
            kind,
            serde_json::json!({
                "pass_id": pass.id,
                "platform": pass.platform,
                "serial": pass.serial,
                "member_external_id": member.map(|m| m.external_id),
                "detail": detail,
            }),
        )
        .await;
    }
    Ok(())
}

/// How many devices a pass is on now, of `devices` (any passes' rows).
pub fn active_on(devices: &[SqlPassDevice], pass_id: i64) -> i64 {
    devices
        .iter()
        .filter(|d| d.pass_id == pass_id && d.unregistered_at.is_none())
        .count() as i64
}

/// A device library id as staff may see it: enough to tell two apart, not the whole id.
pub fn short_device(id: &str) -> String {
    let n = id.chars().count();
    if n <= 8 {
        return id.to_owned();
    }
    let tail: String = id.chars().skip(n - 6).collect();
    format!("…{tail}")
}

/// Google's root keys for its save and delete callbacks, from a file or a URL, kept for an hour
/// (Google rotates them rarely and announces it); a failed refresh keeps the last good copy.
pub struct GoogleKeys {
    source: String,
    client: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<RootKeys>)>>,
}

const KEYS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

impl GoogleKeys {
    pub fn new(source: &str) -> GoogleKeys {
        GoogleKeys {
            source: source.to_owned(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The keys, read again when the copy is an hour old. `Err` says why there are none.
    pub async fn get(&self) -> std::result::Result<std::sync::Arc<RootKeys>, String> {
        let mut cached = self.cached.lock().await;
        if let Some((at, keys)) = cached.as_ref() {
            if at.elapsed() < KEYS_FRESH_FOR {
                return Ok(keys.clone());
            }
        }
        match self.fetch().await {
            Ok(keys) => {
                let keys = std::sync::Arc::new(keys);
                *cached = Some((std::time::Instant::now(), keys.clone()));
                Ok(keys)
            }
            Err(why) => match cached.as_ref() {
                Some((_, keys)) => {
                    tracing::warn!(%why, "Google's callback keys could not be refreshed; using the last copy");
                    Ok(keys.clone())
                }
                None => Err(why),
            },
        }
    }

    async fn fetch(&self) -> std::result::Result<RootKeys, String> {
        let bytes = if self.source.starts_with("https://") || self.source.starts_with("http://") {
            let res = self
                .client
                .get(&self.source)
                .send()
                .await
                .map_err(|e| format!("fetching {}: {e}", self.source))?;
            if !res.status().is_success() {
                return Err(format!("{} answered {}", self.source, res.status()));
            }
            res.bytes()
                .await
                .map_err(|e| format!("reading {}: {e}", self.source))?
                .to_vec()
        } else {
            std::fs::read(&self.source).map_err(|e| format!("reading {}: {e}", self.source))?
        };
        RootKeys::parse(&bytes).map_err(|e| format!("{}: {e}", self.source))
    }
}

/// Where a member's pass stands, for the members list's filter. Exactly one holds for each
/// member, in this order: a live pass on a device is *in a wallet*; every pass voided is
/// *voided*; a live pass that was on a device and is on none now is *removed*; anything else
/// (no pass, or a pass downloaded but never added) is *not yet added*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassState {
    NotAdded,
    InWallet,
    Removed,
    Voided,
}

const LIVE_ON_DEVICE: &str = "(EXISTS (SELECT 1 FROM wallet_passes w JOIN pass_registrations r \
     ON r.pass_id = w.id WHERE w.member_id = m.id AND w.voided_at IS NULL AND r.unregistered_at IS NULL) \
     OR EXISTS (SELECT 1 FROM wallet_passes w WHERE w.member_id = m.id AND w.voided_at IS NULL \
     AND w.wallet_saved_at IS NOT NULL AND (w.wallet_removed_at IS NULL OR w.wallet_removed_at < w.wallet_saved_at)))";
const ANY_PASS: &str = "EXISTS (SELECT 1 FROM wallet_passes w WHERE w.member_id = m.id)";
const LIVE_PASS: &str =
    "EXISTS (SELECT 1 FROM wallet_passes w WHERE w.member_id = m.id AND w.voided_at IS NULL)";
const WAS_ON_DEVICE: &str = "(EXISTS (SELECT 1 FROM wallet_passes w JOIN pass_registrations r \
     ON r.pass_id = w.id WHERE w.member_id = m.id AND r.unregistered_at IS NOT NULL) \
     OR EXISTS (SELECT 1 FROM wallet_passes w WHERE w.member_id = m.id AND w.wallet_removed_at IS NOT NULL))";

impl PassState {
    pub const ALL: [PassState; 4] = [
        PassState::NotAdded,
        PassState::InWallet,
        PassState::Removed,
        PassState::Voided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PassState::NotAdded => "not_added",
            PassState::InWallet => "in_wallet",
            PassState::Removed => "removed",
            PassState::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<PassState> {
        PassState::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The condition on a member row `m` (both dialects).
    pub fn sql(self) -> String {
        let voided = format!("({ANY_PASS} AND NOT {LIVE_PASS})");
        let removed = format!("(NOT {LIVE_ON_DEVICE} AND {LIVE_PASS} AND {WAS_ON_DEVICE})");
        match self {
            PassState::InWallet => LIVE_ON_DEVICE.to_owned(),
            PassState::Voided => voided,
            PassState::Removed => removed,
            PassState::NotAdded => {
                format!("(NOT {LIVE_ON_DEVICE} AND NOT {voided} AND NOT {removed})")
            }
        }
    }

    /// The same decision from a member's passes and their Apple devices.
    pub fn of(passes: &[SqlWalletPass], devices: &[SqlPassDevice]) -> PassState {
        let live = |id: i64| passes.iter().any(|p| p.id == id && p.voided_at.is_none());
        let on_apple = devices
            .iter()
            .any(|d| d.unregistered_at.is_none() && live(d.pass_id));
        let in_google = passes
            .iter()
            .any(|p| p.voided_at.is_none() && p.saved_to_google());
        let was_somewhere = devices.iter().any(|d| d.unregistered_at.is_some())
            || passes.iter().any(|p| p.wallet_removed_at.is_some());
        if on_apple || in_google {
            PassState::InWallet
        } else if !passes.is_empty() && passes.iter().all(|p| p.voided_at.is_some()) {
            PassState::Voided
        } else if passes.iter().any(|p| p.voided_at.is_none()) && was_somewhere {
            PassState::Removed
        } else {
            PassState::NotAdded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(new: bool, devices: i64) -> Registered {
        Registered { new, devices }
    }

    #[test]
    fn a_repeat_registration_records_nothing() {
        assert!(on_registered(reg(false, 1), 2).is_empty());
    }

    #[test]
    fn each_add_says_which_device_and_one_past_the_rule_warns() {
        assert_eq!(
            on_registered(reg(true, 1), 2),
            vec![(Event::ApplePassRegistered, "on a first device".into())]
        );
        assert_eq!(
            on_registered(reg(true, 2), 2),
            vec![(Event::ApplePassRegistered, "on a second device".into())]
        );
        assert_eq!(
            on_registered(reg(true, 3), 2),
            vec![
                (Event::ApplePassRegistered, "on a third device".into()),
                (
                    Event::AppleDevicesOverLimit,
                    "3 devices; the rule allows 2".into()
                )
            ]
        );
        assert_eq!(ordinal(12), "12th");
    }

    #[test]
    fn a_removal_says_how_many_devices_are_left() {
        assert_eq!(
            on_unregistered(0, "removed from a device"),
            (
                Event::ApplePassUnregistered,
                "removed from a device; on no device now".into()
            )
        );
        assert_eq!(
            on_unregistered(2, "removed from a device").1,
            "removed from a device; still on 2 devices"
        );
    }

    fn device(pass_id: i64, removed: bool) -> SqlPassDevice {
        SqlPassDevice {
            pass_id,
            device_library_id: "d".into(),
            first_seen_at: 1,
            last_seen_at: 2,
            unregistered_at: removed.then_some(3),
        }
    }

    fn pass(id: i64, voided: bool) -> SqlWalletPass {
        SqlWalletPass {
            id,
            member_id: 1,
            credential_id: 1,
            platform: "apple".into(),
            serial: format!("s{id}"),
            issued_at: 1,
            updated_at: 1,
            voided_at: voided.then_some(5),
            auth_token: None,
            site_name: None,
            operator_id: 1,
            wallet_saved_at: None,
            wallet_removed_at: None,
            message_id: None,
            message_notifies: false,
            journey_id: None,
            pending_at: None,
            replaced_by: None,
        }
    }

    fn google(id: i64, saved: Option<i64>, removed: Option<i64>) -> SqlWalletPass {
        SqlWalletPass {
            platform: "google".into(),
            wallet_saved_at: saved,
            wallet_removed_at: removed,
            ..pass(id, false)
        }
    }

    #[test]
    fn each_member_has_one_pass_state() {
        use PassState::*;
        let live = [pass(1, false)];
        assert_eq!(PassState::of(&[], &[]), NotAdded);
        assert_eq!(PassState::of(&live, &[]), NotAdded, "downloaded only");
        assert_eq!(PassState::of(&live, &[device(1, false)]), InWallet);
        assert_eq!(PassState::of(&live, &[device(1, true)]), Removed);
        assert_eq!(
            PassState::of(&live, &[device(1, true), device(1, false)]),
            InWallet,
            "removed from one device, still on another"
        );
        assert_eq!(PassState::of(&[pass(1, true)], &[device(1, false)]), Voided);
        assert_eq!(
            PassState::of(&[pass(1, true), pass(2, false)], &[device(1, false)]),
            NotAdded,
            "the old pass was voided; the new one is not on a device yet"
        );
        assert_eq!(PassState::of(&[google(3, Some(10), None)], &[]), InWallet);
        assert_eq!(
            PassState::of(&[google(3, Some(10), Some(20))], &[]),
            Removed
        );
        assert_eq!(
            PassState::of(&[google(3, Some(30), Some(20))], &[]),
            InWallet,
            "saved again after the delete"
        );
        for s in PassState::ALL {
            assert_eq!(PassState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn device_ids_are_shortened_for_staff() {
        assert_eq!(short_device("abc"), "abc");
        assert_eq!(short_device("0123456789abcdef"), "…abcdef");
    }
}
