//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): the receiver checks
//! `webhook-signature` against an HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under
//! the endpoint's secret, so it knows the message is ours, unaltered and (by the timestamp) fresh.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use rand::TryRngCore as _;

/// How the specification marks a signing secret; the key is the base64 after it.
pub const SECRET_PREFIX: &str = "whsec_";
/// Receivers should refuse a timestamp further than this from their clock (the specification's
/// suggestion); `verify_fresh` applies it.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// A stored secret that cannot sign. Only a damaged row can cause it: every secret is made by
/// `new_secret`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the endpoint's signing secret is unusable ({0}); roll the secret in the dashboard")]
pub struct BadSecret(&'static str);

/// The HMAC key of a `whsec_…` secret (a secret without the prefix is read as the base64 alone,
/// as the specification's libraries do).
fn key(secret: &str) -> Result<Vec<u8>, BadSecret> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| BadSecret("not base64 after whsec_"))?;
    if key.is_empty() {
        return Err(BadSecret("empty"));
    }
    Ok(key)
}

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> Result<Vec<u8>, BadSecret> {
    let run = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let pkey = PKey::hmac(key)?;
        let mut signer = Signer::new(MessageDigest::sha256(), &pkey)?;
        signer.update(msg_id.as_bytes())?;
        signer.update(b".")?;
        signer.update(timestamp.to_string().as_bytes())?;
        signer.update(b".")?;
        signer.update(body)?;
        signer.sign_to_vec()
    };
    run().map_err(|_| BadSecret("refused by the HMAC"))
}

/// The `webhook-signature` header's value for one message: `v1,<base64 HMAC-SHA256>`.
/// `timestamp` is in seconds, exactly as sent in `webhook-timestamp`; `body` is the bytes sent.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, BadSecret> {
    let mac = mac(&key(secret)?, msg_id, timestamp, body)?;
    Ok(format!("v1,{}", STANDARD.encode(mac)))
}

/// Whether `header` (a space-separated list of `v1,<base64>`, as a receiver gets it while a
/// secret is being rolled) holds a valid signature of the message. Signatures of other versions
/// are skipped. Compared in constant time. The timestamp's age is not checked: see `verify_fresh`.
pub fn verify(secret: &str, msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Ok(expected) = key(secret).and_then(|k| mac(&k, msg_id, timestamp, body)) else {
        return false;
    };
    header.split_whitespace().any(|candidate| {
        let Some(("v1", encoded)) = candidate.split_once(',') else {
            return false;
        };
        STANDARD.decode(encoded).is_ok_and(|given| {
            given.len() == expected.len() && openssl::memcmp::eq(&given, &expected)
        })
    })
}

/// `verify`, and the timestamp within `TOLERANCE_SECS` of `now_secs` (a replayed message is old).
pub fn verify_fresh(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now_secs: i64,
) -> bool {
    (now_secs - timestamp).abs() <= TOLERANCE_SECS
        && verify(secret, msg_id, timestamp, body, header)
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .expect("the operating system's random generator is unavailable");
    buf
}

/// A new endpoint secret: `whsec_` and 24 random bytes in base64 (the specification asks for
/// 24 to 64 bytes). Shown to the operator once, when the endpoint is made.
pub fn new_secret() -> crate::config::Secret {
    crate::config::Secret::new(format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(random_bytes(24))
    ))
}

/// A new message id, `msg_` and 18 random bytes (URL-safe base64). It is the receiver's key for
/// ignoring a message it already has: every attempt of one message carries the same id.
pub fn new_message_id() -> String {
    format!("msg_{}", URL_SAFE_NO_PAD.encode(random_bytes(18)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The specification's own vector (standard-webhooks, libraries' test suites).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_specifications_test_vector() {
        assert_eq!(sign(SECRET, MSG_ID, TIMESTAMP, BODY).unwrap(), SIGNATURE);
    }

    #[test]
    fn verifies_the_vector_and_refuses_any_change() {
        assert!(verify(SECRET, MSG_ID, TIMESTAMP, BODY, SIGNATURE));
        assert!(!verify(SECRET, "msg_other", TIMESTAMP, BODY, SIGNATURE));
        assert!(!verify(SECRET, MSG_ID, TIMESTAMP + 1, BODY, SIGNATURE));
        assert!(!verify(
            SECRET,
            MSG_ID,
            TIMESTAMP,
            br#"{"test": 2432232315}"#,
            SIGNATURE
        ));
        let other = new_secret();
        assert!(!verify(other.expose(), MSG_ID, TIMESTAMP, BODY, SIGNATURE));
        assert!(!verify(
            SECRET,
            MSG_ID,
            TIMESTAMP,
            BODY,
            "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
        assert!(!verify(SECRET, MSG_ID, TIMESTAMP, BODY, "v1,g0hM9SsE"));
        assert!(!verify(SECRET, MSG_ID, TIMESTAMP, BODY, ""));
    }

    #[test]
    fn a_list_of_signatures_passes_when_one_of_them_is_valid() {
        let header = format!("v1,Zm9v v1a,whatever {SIGNATURE}");
        assert!(verify(SECRET, MSG_ID, TIMESTAMP, BODY, &header));
    }

    #[test]
    fn the_secret_is_read_with_or_without_its_prefix() {
        let bare = SECRET.strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(sign(bare, MSG_ID, TIMESTAMP, BODY).unwrap(), SIGNATURE);
        assert!(sign("whsec_not base64!", MSG_ID, TIMESTAMP, BODY).is_err());
        assert!(sign("whsec_", MSG_ID, TIMESTAMP, BODY).is_err());
        assert!(!verify(
            "whsec_not base64!",
            MSG_ID,
            TIMESTAMP,
            BODY,
            SIGNATURE
        ));
    }

    #[test]
    fn a_stale_timestamp_fails_the_fresh_check() {
        assert!(verify_fresh(
            SECRET,
            MSG_ID,
            TIMESTAMP,
            BODY,
            SIGNATURE,
            TIMESTAMP + 60
        ));
        assert!(!verify_fresh(
            SECRET,
            MSG_ID,
            TIMESTAMP,
            BODY,
            SIGNATURE,
            TIMESTAMP + 301
        ));
        assert!(!verify_fresh(
            SECRET,
            MSG_ID,
            TIMESTAMP,
            BODY,
            SIGNATURE,
            TIMESTAMP - 301
        ));
    }

    #[test]
    fn new_secrets_sign_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("whsec_"));
        assert_eq!(key(a.expose()).unwrap().len(), 24);
        let sig = sign(a.expose(), "msg_x", 1, b"{}").unwrap();
        assert!(verify(a.expose(), "msg_x", 1, b"{}", &sig));
        assert!(!verify(b.expose(), "msg_x", 1, b"{}", &sig));
    }

    #[test]
    fn message_ids_are_prefixed_and_unique() {
        let (a, b) = (new_message_id(), new_message_id());
        assert!(a.starts_with("msg_") && a.len() == 28, "{a}");
        assert_ne!(a, b);
    }
}
