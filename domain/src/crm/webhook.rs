//! Member webhooks: `POST /webhooks/crm/{operator}` with a JSON event
//! `{"id": "evt_1", "type": "member.created" | "member.updated" | "member.deactivated",
//!   "member": {…}}`, signed with the operator's secret:
//! `X-Elumo-Timestamp: <unix seconds>` and
//! `X-Elumo-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
//! Deliveries older (or newer) than five minutes are refused as replays; a delivery whose id was
//! seen before changes nothing.

use crate::store::{now_ms, PageResult, PageWrite, SqlOperator, Store, StoreError};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde_json::Value;

use super::engine::Checker;
use super::FieldMap;

pub const MAX_SKEW_SECS: i64 = 300;

/// `sha256=<hex>` for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = PKey::hmac(secret.as_bytes())
        .and_then(|key| {
            let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
            signer.update(timestamp.to_string().as_bytes())?;
            signer.update(b".")?;
            signer.update(body)?;
            signer.sign_to_vec()
        })
        .unwrap_or_default();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the X-Elumo-Timestamp and X-Elumo-Signature headers are required")]
    Unsigned,
    #[error("the timestamp is more than five minutes from now; a replay is refused")]
    Stale,
    #[error("the signature does not match")]
    Forged,
    #[error("{0}")]
    BadBody(String),
}

/// Checks the headers against the body, in constant time.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), Refusal> {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(Refusal::Unsigned);
    };
    let ts: i64 = ts.trim().parse().map_err(|_| Refusal::Unsigned)?;
    if (now_secs - ts).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale);
    }
    let expected = sign(secret, ts, body);
    let sig = sig.trim();
    if expected.len() == sig.len() && openssl::memcmp::eq(expected.as_bytes(), sig.as_bytes()) {
        Ok(())
    } else {
        Err(Refusal::Forged)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The change was written (the counts say what it did).
    Applied(PageResult),
    /// This delivery was seen before.
    Duplicate,
    /// A deactivation for a member the directory does not hold.
    UnknownMember,
}

/// Applies one verified event.
pub async fn apply(
    store: &Store,
    operator: &SqlOperator,
    mapping: &FieldMap,
    body: &[u8],
) -> Result<Result<Applied, Refusal>, StoreError> {
    let event: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Ok(Err(Refusal::BadBody(
                "the body is not a JSON object".into(),
            )))
        }
    };
    let Some(id) = super::text(event.get("id")) else {
        return Ok(Err(Refusal::BadBody("the event has no id".into())));
    };
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(member) = event.get("member").filter(|m| m.is_object()) else {
        return Ok(Err(Refusal::BadBody(
            "the event has no member object".into(),
        )));
    };
    let mut raw = mapping.read(member, format!("event {id}"));
    match kind {
        "member.created" | "member.updated" => {}
        "member.deactivated" => {
            let Some(ext) = raw.external_id.clone() else {
                return Ok(Err(Refusal::BadBody(
                    "the member has no external id".into(),
                )));
            };
            // A deactivation may carry only the id: the rest is as the directory has it.
            let Some(known) = store.member_by_external_id(operator.id, &ext).await? else {
                store
                    .write_sync_page(&PageWrite {
                        operator_id: operator.id,
                        source: "webhook",
                        run_id: None,
                        records: &[],
                        rejections: &[],
                        next_cursor: None,
                        webhook_event: Some(&id),
                        dry_run: false,
                    })
                    .await?;
                return Ok(Ok(Applied::UnknownMember));
            };
            raw.first_name = raw.first_name.or(Some(known.first_name));
            raw.last_name = raw.last_name.or(Some(known.last_name));
            raw.email = raw.email.or(known.email);
            raw.mobile = raw.mobile.or(known.mobile_e164);
            raw.active = Some(false);
        }
        other => {
            return Ok(Err(Refusal::BadBody(format!(
                "unknown event type {other:?} (member.created, member.updated, member.deactivated)"
            ))))
        }
    }
    if raw.modified_at.is_none() {
        raw.modified_at = event
            .get("occurred_at")
            .and_then(|v| super::text(Some(v)))
            .and_then(|t| super::parse_time(&t));
    }
    let (records, rejections) = Checker::new(&operator.default_region).check(vec![raw]);
    let result = store
        .write_sync_page(&PageWrite {
            operator_id: operator.id,
            source: "webhook",
            run_id: None,
            records: &records,
            rejections: &rejections,
            next_cursor: None,
            webhook_event: Some(&id),
            dry_run: false,
        })
        .await?;
    if !result.duplicate_event && result.created + result.updated + result.deactivated > 0 {
        crate::webhooks::emit(
            store,
            None,
            operator.id,
            crate::webhooks::EventType::MemberSynced,
            serde_json::json!({
                "source": "webhook",
                "member_external_id": records.first().map(|r| r.external_id.clone()),
                "created": result.created,
                "updated": result.updated,
                "deactivated": result.deactivated,
            }),
        )
        .await;
    }
    Ok(Ok(if result.duplicate_event {
        Applied::Duplicate
    } else {
        Applied::Applied(result)
    }))
}

pub fn now_secs() -> i64 {
    now_ms() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known answer from Python's `hmac` module (HMAC-SHA-256 over `timestamp + "." + body`,
    /// hex), not from this code.
    #[test]
    fn signatures_match_answers_computed_outside_this_code() {
        assert_eq!(
            sign("s3cret", 1_800_000_000, br#"{"id":"e1"}"#),
            "sha256=f9996b7dbc33656303d60e61a78865d9f5be41e692997ad3d178724a14320e00"
        );
    }

    #[test]
    fn signatures_hold_only_for_the_same_secret_body_and_time() {
        let body = br#"{"id":"e1"}"#;
        let sig = sign("s3cret", 1_800_000_000, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        let ok = |secret: &str, ts: &str, sig: &str, body: &[u8], now: i64| {
            verify(secret, Some(ts), Some(sig), body, now)
        };
        assert_eq!(
            ok("s3cret", "1800000000", &sig, body, 1_800_000_100),
            Ok(())
        );
        assert_eq!(
            ok("other", "1800000000", &sig, body, 1_800_000_100),
            Err(Refusal::Forged)
        );
        assert_eq!(
            ok("s3cret", "1800000001", &sig, body, 1_800_000_100),
            Err(Refusal::Forged)
        );
        assert_eq!(
            ok("s3cret", "1800000000", &sig, b"{}", 1_800_000_100),
            Err(Refusal::Forged)
        );
        assert_eq!(
            ok("s3cret", "1800000000", &sig, body, 1_800_000_301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify("s3cret", None, Some(&sig), body, 0),
            Err(Refusal::Unsigned)
        );
    }
}
