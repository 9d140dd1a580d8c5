//! Google Wallet's save and delete callbacks: when a member adds a pass to Google Wallet or
//! removes it, Google POSTs a signed JSON envelope to the class's callback URL. This module
//! checks the envelope and reads the event out of it, with no library beyond OpenSSL.
//!
//! Google signs callbacks with the "ECv2SigningOnly" scheme of Google Pay's payment method
//! tokens, the scheme Tink's `PaymentMethodTokenRecipient` verifies. Google's sample
//! ("Add and delete callbacks",
//! <https://developers.google.com/wallet/generic/use-cases/use-callbacks-for-saves-and-deletions>)
//! sets the sender id to `"GooglePayPasses"`, the protocol to `"ECv2SigningOnly"`, the recipient
//! id to the issuer id, and fetches the root keys from <https://pay.google.com/gp/m/issuer/keys>.
//!
//! The envelope, as it arrives (Google writes `=` as `\u003d`, as Gson does):
//!
//! ```text
//! {"signature": "<base64 DER ECDSA signature of the message, by the intermediate key>",
//!  "intermediateSigningKey": {
//!    "signedKey": "{\"keyValue\":\"<base64 DER SubjectPublicKeyInfo, P-256>\",\"keyExpiration\":\"<ms>\"}",
//!    "signatures": ["<base64 DER ECDSA signature of signedKey, by a root key>", …]},
//!  "protocolVersion": "ECv2SigningOnly",
//!  "signedMessage": "{\"classId\":\"…\",\"objectId\":\"…\",\"eventType\":\"save\",\"expTimeMillis\":…,\"count\":1,\"nonce\":\"…\"}"}
//! ```
//!
//! Both signatures are ECDSA on P-256 over SHA-256, DER-encoded (Tink's `EcdsaVerifyJce` with
//! `EcdsaEncoding.DER`). What each one signs is a run of fields, each as its length in 4 bytes,
//! least significant byte first, then its UTF-8 bytes (Tink's `PaymentMethodTokenUtil.toLengthValue`
//! with `Bytes.intToByteArray`, "LSB first"), in this order:
//!
//! - a root key signs `senderId, protocolVersion, signedKey`;
//! - the intermediate key signs `senderId, recipientId, protocolVersion, signedMessage`.
//!
//! `signedKey` and `signedMessage` are signed as the strings they are in the envelope, before
//! they are read as JSON. The intermediate key expires at `keyExpiration` and the message at
//! `expTimeMillis` (milliseconds since the epoch; Google writes the first as a string and the
//! second as a number, and both forms are taken here). `eventType` is `"save"` or `"del"`.
//!
//! The root keys file is `{"keys": [{"keyValue": "<base64 DER>", "protocolVersion":
//! "ECv2SigningOnly", "keyExpiration": "<ms>"}, …]}`, the format of Tink's
//! `GooglePaymentsPublicKeysManager`. Fetching it (and fetching it again before its keys expire)
//! is the caller's job: [`RootKeys::parse`] reads the file and [`verify`] takes the result.
//!
//! Sources, in tink-crypto/tink, `apps/paymentmethodtoken/src/main/java/com/google/crypto/tink/apps/paymentmethodtoken/`:
//! `PaymentMethodTokenRecipient.java` (`verifyECV2`, `getSignedBytes`,
//! `verifyIntermediateSigningKey`, `validateSignedKey`, `parseTrustedSigningKeysJson`),
//! `PaymentMethodTokenUtil.java` (`toLengthValue`), `SenderIntermediateCertFactory.java`
//! (`create`), `PaymentMethodTokenConstants.java`; and
//! `java_src/src/main/java/com/google/crypto/tink/subtle/Bytes.java` (`intToByteArray`).
//!
//! [`seal`] and [`root_keys_json`] do Google's side of the scheme, so tests (and a loopback stand-in
//! for Google) can sign callbacks with keys of their own.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use openssl::ec::EcKeyRef;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, PKeyRef, Private, Public};
use openssl::sign::{Signer, Verifier};
use serde_json::Value;

/// Where Google publishes the root keys that sign callbacks' intermediate keys.
pub const KEYS_URL: &str = "https://pay.google.com/gp/m/issuer/keys";

/// The sender id Google signs Wallet callbacks with.
pub const SENDER_ID: &str = "GooglePayPasses";

/// The one protocol Google signs Wallet callbacks with.
pub const PROTOCOL: &str = "ECv2SigningOnly";

/// The expiration [`root_keys_json`] gives its key (April 2038), the one Google's own test keys
/// file carries: Tink passes over an ECv2SigningOnly root key that has no expiration.
const TEST_ROOT_EXPIRES_MS: i64 = 2_154_841_200_000;

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    /// The body, a field or a key is not in the form the scheme lays down; the text says which.
    Malformed(&'static str),
    /// The envelope names a protocol other than ECv2SigningOnly.
    WrongProtocol,
    /// No signature on the intermediate key verifies under a current root key.
    IntermediateKeyNotSigned,
    /// The intermediate key's `keyExpiration` has passed.
    IntermediateKeyExpired,
    /// The message's signature does not verify under the intermediate key for this issuer.
    MessageNotSigned,
    /// The message's `expTimeMillis` has passed.
    MessageExpired,
    /// The message's `eventType` is neither `"save"` nor `"del"`.
    UnknownEvent,
}

impl std::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackError::Malformed(what) => {
                write!(f, "the Google Wallet callback is malformed: {what}")
            }
            CallbackError::WrongProtocol => f.write_str(
                "the Google Wallet callback is not signed with the ECv2SigningOnly protocol",
            ),
            CallbackError::IntermediateKeyNotSigned => f.write_str(
                "the Google Wallet callback's intermediate key is not signed by a current Google root key",
            ),
            CallbackError::IntermediateKeyExpired => {
                f.write_str("the Google Wallet callback's intermediate key has expired")
            }
            CallbackError::MessageNotSigned => f.write_str(
                "the Google Wallet callback's message is not signed by its intermediate key for this issuer",
            ),
            CallbackError::MessageExpired => {
                f.write_str("the Google Wallet callback's message has expired")
            }
            CallbackError::UnknownEvent => f.write_str(
                "the Google Wallet callback's event is neither a save nor a delete",
            ),
        }
    }
}

impl std::error::Error for CallbackError {}

/// What happened to a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventType {
    /// The member added the pass to Google Wallet (`"save"`).
    Save,
    /// The member removed the pass from Google Wallet (`"del"`).
    Delete,
}

impl EventType {
    /// The event as Google writes it: `"save"` or `"del"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::Save => "save",
            EventType::Delete => "del",
        }
    }
}

/// A verified callback's message.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackMessage {
    /// The pass class, `<issuer id>.<suffix>`.
    pub class_id: String,
    /// The pass object, `<issuer id>.<suffix>`.
    pub object_id: String,
    /// When the message stops being good (milliseconds since the epoch).
    pub exp_time_millis: i64,
    /// Whether the pass was added or removed.
    pub event_type: EventType,
    /// Google's id for this event: a delivery that is tried again carries the same nonce.
    pub nonce: String,
}

/// Google's root signing keys for ECv2SigningOnly, read from the file at [`KEYS_URL`].
#[derive(Debug, Clone)]
pub struct RootKeys {
    keys: Vec<RootKey>,
}

#[derive(Debug, Clone)]
struct RootKey {
    key: PKey<Public>,
    /// Milliseconds since the epoch; `None` when the file gives no expiration.
    expires_ms: Option<i64>,
}

impl RootKeys {
    /// Reads a root keys file, `{"keys": [{"keyValue", "protocolVersion", "keyExpiration"}, …]}`.
    /// Only the ECv2SigningOnly keys are kept (the file also lists keys for Google Pay's other
    /// protocols, which are passed over unread). Each key keeps its `keyExpiration` (a string or
    /// a number of milliseconds) if it has one, and [`verify`] passes over it once that time has
    /// come; a key with none is kept with no expiration (Tink, stricter, would pass over it).
    /// A file with no ECv2SigningOnly key, or with one that is not a base64 DER P-256 public key,
    /// is `Malformed`.
    pub fn parse(json: &[u8]) -> Result<RootKeys, CallbackError> {
        use CallbackError::Malformed;
        let doc: Value =
            serde_json::from_slice(json).map_err(|_| Malformed("the root keys are not JSON"))?;
        let entries = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(Malformed("the root keys have no \"keys\" list"))?;
        let mut keys = Vec::new();
        for entry in entries {
            if entry.get("protocolVersion").and_then(Value::as_str) != Some(PROTOCOL) {
                continue;
            }
            let value = entry
                .get("keyValue")
                .and_then(Value::as_str)
                .ok_or(Malformed("a root key has no keyValue"))?;
            let key = public_key(value)
                .ok_or(Malformed("a root key is not a base64 DER P-256 public key"))?;
            let expires_ms = match entry.get("keyExpiration") {
                None | Some(Value::Null) => None,
                Some(v) => Some(millis(v).ok_or(Malformed(
                    "a root key's keyExpiration is not a time in milliseconds",
                ))?),
            };
            keys.push(RootKey { key, expires_ms });
        }
        if keys.is_empty() {
            return Err(Malformed("the root keys hold no ECv2SigningOnly key"));
        }
        Ok(RootKeys { keys })
    }

    /// The keys that have not expired at `now_ms`.
    fn current(&self, now_ms: i64) -> Vec<&PKey<Public>> {
        self.keys
            .iter()
            .filter(|k| !matches!(k.expires_ms, Some(e) if e <= now_ms))
            .map(|k| &k.key)
            .collect()
    }
}

/// Checks a callback's body and returns its message: the protocol is ECv2SigningOnly; one of the
/// intermediate key's signatures verifies under one of `roots` that has not expired at `now_ms`;
/// the intermediate key has not expired; the message is signed by the intermediate key for
/// `issuer_id`; the message has not expired; and its event is a save or a delete.
///
/// `issuer_id` is the recipient id, and it is the Google Wallet issuer id exactly as the console
/// shows it (`"3388000000022335801"`), with no prefix. Google's sample passes the issuer id to
/// Tink as `recipientId`, and Tink signs over the recipient id it is given, unchanged
/// (`PaymentMethodTokenRecipient.getSignedBytes`: `toLengthValue(senderId, recipientId,
/// protocolVersion, signedMessage)`); Tink adds no prefix of its own. (Google Pay's payment
/// tokens use `"merchant:<id>"` or `"gateway:<id>"`; Wallet callbacks do not.) Callbacks Google
/// really sent verify this way (see the tests).
///
/// Never panics, whatever the body; a body that is not in the scheme's form is `Malformed`.
pub fn verify(
    body: &[u8],
    roots: &RootKeys,
    issuer_id: &str,
    now_ms: i64,
) -> Result<CallbackMessage, CallbackError> {
    let env = envelope(body)?;

    let signed_key = length_value(&[SENDER_ID, PROTOCOL, env.signed_key.as_str()])?;
    let signatures = env
        .signatures
        .iter()
        .map(|s| B64.decode(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CallbackError::Malformed("an intermediate key signature is not base64"))?;
    let current = roots.current(now_ms);
    let key_signed = signatures
        .iter()
        .any(|sig| current.iter().any(|root| signed_by(root, sig, &signed_key)));
    if !key_signed {
        return Err(CallbackError::IntermediateKeyNotSigned);
    }

    let intermediate = intermediate_key(&env.signed_key)?;
    if intermediate.expires_ms <= now_ms {
        return Err(CallbackError::IntermediateKeyExpired);
    }
    if !message_signed(
        &intermediate.key,
        &env.signature,
        issuer_id,
        &env.signed_message,
    )? {
        return Err(CallbackError::MessageNotSigned);
    }
    message(&env.signed_message, now_ms)
}

/// A callback's body as Google would send it, for tests and for a loopback stand-in for Google:
/// `root` signs an intermediate key, `intermediate`, good until `intermediate_expires_ms`, and
/// the intermediate key signs `signed_message` (the message JSON, as text) for `issuer_id`.
/// Fields come in Google's order and strings are escaped as Google's Gson escapes them (`=` as
/// `\u003d`), so [`verify`] sees what it would see from Google. [`root_keys_json`] gives the keys
/// file that goes with `root`.
///
/// # Panics
///
/// Only if OpenSSL cannot sign with a key it holds in memory, or `signed_message` is 4 GiB or more.
pub fn seal(
    root: &EcKeyRef<Private>,
    intermediate: &EcKeyRef<Private>,
    intermediate_expires_ms: i64,
    issuer_id: &str,
    signed_message: &str,
) -> String {
    let key_value = B64.encode(
        intermediate
            .public_key_to_der()
            .expect("an EC key held in memory encodes as DER"),
    );
    let signed_key = format!(
        "{{\"keyValue\":{},\"keyExpiration\":{}}}",
        gson(&key_value),
        gson(&intermediate_expires_ms.to_string()),
    );
    let key_signature = B64.encode(sign(
        root,
        &length_value(&[SENDER_ID, PROTOCOL, signed_key.as_str()])
            .expect("the signed key is far shorter than 4 GiB"),
    ));
    let signature = B64.encode(sign(
        intermediate,
        &length_value(&[SENDER_ID, issuer_id, PROTOCOL, signed_message])
            .expect("a callback message is shorter than 4 GiB"),
    ));
    format!(
        "{{\"signature\":{},\"intermediateSigningKey\":{{\"signedKey\":{},\"signatures\":[{}]}},\"protocolVersion\":{},\"signedMessage\":{}}}",
        gson(&signature),
        gson(&signed_key),
        gson(&key_signature),
        gson(PROTOCOL),
        gson(signed_message),
    )
}

/// The root keys file for `root`, in the form of Google's file at [`KEYS_URL`]: one
/// ECv2SigningOnly key, good until 2038. For tests and a loopback stand-in, with [`seal`].
///
/// # Panics
///
/// Only if OpenSSL cannot encode a key it holds in memory.
pub fn root_keys_json(root: &EcKeyRef<Private>) -> String {
    let key_value = B64.encode(
        root.public_key_to_der()
            .expect("an EC key held in memory encodes as DER"),
    );
    serde_json::json!({
        "keys": [{
            "keyValue": key_value,
            "protocolVersion": PROTOCOL,
            "keyExpiration": TEST_ROOT_EXPIRES_MS.to_string(),
        }]
    })
    .to_string()
}

/// The envelope's parts, as the strings they are in the body.
struct Envelope {
    signature: String,
    signed_key: String,
    signatures: Vec<String>,
    signed_message: String,
}

/// Reads the envelope and checks its protocol.
fn envelope(body: &[u8]) -> Result<Envelope, CallbackError> {
    use CallbackError::Malformed;
    let doc: Value = serde_json::from_slice(body).map_err(|_| Malformed("the body is not JSON"))?;
    let doc = doc
        .as_object()
        .ok_or(Malformed("the body is not a JSON object"))?;
    match doc.get("protocolVersion").and_then(Value::as_str) {
        Some(PROTOCOL) => {}
        Some(_) => return Err(CallbackError::WrongProtocol),
        None => return Err(Malformed("the body has no protocolVersion")),
    }
    let key = doc
        .get("intermediateSigningKey")
        .and_then(Value::as_object)
        .ok_or(Malformed("the body has no intermediateSigningKey"))?;
    let signatures = key
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or(Malformed("the intermediate key has no signatures"))?
        .iter()
        .map(|s| text(Some(s), "an intermediate key signature is not a string"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Envelope {
        signature: text(doc.get("signature"), "the body has no signature")?,
        signed_key: text(
            key.get("signedKey"),
            "the intermediate key has no signedKey",
        )?,
        signatures,
        signed_message: text(doc.get("signedMessage"), "the body has no signedMessage")?,
    })
}

/// The intermediate key, read from `signedKey` once a root key's signature on it has verified.
struct IntermediateKey {
    key: PKey<Public>,
    expires_ms: i64,
}

fn intermediate_key(signed_key: &str) -> Result<IntermediateKey, CallbackError> {
    use CallbackError::Malformed;
    let doc: Value =
        serde_json::from_str(signed_key).map_err(|_| Malformed("the signedKey is not JSON"))?;
    let value = doc
        .get("keyValue")
        .and_then(Value::as_str)
        .ok_or(Malformed("the signedKey has no keyValue"))?;
    let expires_ms = doc.get("keyExpiration").and_then(millis).ok_or(Malformed(
        "the signedKey has no keyExpiration in milliseconds",
    ))?;
    let key = public_key(value).ok_or(Malformed(
        "the intermediate key is not a base64 DER P-256 public key",
    ))?;
    Ok(IntermediateKey { key, expires_ms })
}

/// Whether `signature` (base64) is `key`'s signature of `signed_message` for `issuer_id`.
fn message_signed(
    key: &PKeyRef<Public>,
    signature: &str,
    issuer_id: &str,
    signed_message: &str,
) -> Result<bool, CallbackError> {
    let signature = B64
        .decode(signature)
        .map_err(|_| CallbackError::Malformed("the message signature is not base64"))?;
    let signed = length_value(&[SENDER_ID, issuer_id, PROTOCOL, signed_message])?;
    Ok(signed_by(key, &signature, &signed))
}

/// Reads the message once its signature has verified.
fn message(signed_message: &str, now_ms: i64) -> Result<CallbackMessage, CallbackError> {
    use CallbackError::Malformed;
    let doc: Value = serde_json::from_str(signed_message)
        .map_err(|_| Malformed("the signedMessage is not JSON"))?;
    if !doc.is_object() {
        return Err(Malformed("the signedMessage is not a JSON object"));
    }
    let exp_time_millis = doc.get("expTimeMillis").and_then(millis).ok_or(Malformed(
        "the message has no expTimeMillis in milliseconds",
    ))?;
    if exp_time_millis <= now_ms {
        return Err(CallbackError::MessageExpired);
    }
    // The event comes before the ids: other events (an "activate" has "objectIds", a list)
    // are UnknownEvent rather than Malformed.
    let event_type = match doc.get("eventType").and_then(Value::as_str) {
        Some("save") => EventType::Save,
        Some("del") => EventType::Delete,
        Some(_) => return Err(CallbackError::UnknownEvent),
        None => return Err(Malformed("the message has no eventType")),
    };
    Ok(CallbackMessage {
        class_id: text(doc.get("classId"), "the message has no classId")?,
        object_id: text(doc.get("objectId"), "the message has no objectId")?,
        exp_time_millis,
        event_type,
        nonce: text(doc.get("nonce"), "the message has no nonce")?,
    })
}

/// A JSON string's text, or `Malformed(what)`.
fn text(v: Option<&Value>, what: &'static str) -> Result<String, CallbackError> {
    v.and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(CallbackError::Malformed(what))
}

/// Milliseconds since the epoch, written as a string of digits or as a whole number.
fn millis(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// A base64 DER SubjectPublicKeyInfo for a P-256 key; `None` for anything else.
fn public_key(b64: &str) -> Option<PKey<Public>> {
    let der = B64.decode(b64).ok()?;
    let key = PKey::public_key_from_der(&der).ok()?;
    let curve = key.ec_key().ok().and_then(|ec| ec.group().curve_name());
    (curve == Some(Nid::X9_62_PRIME256V1)).then_some(key)
}

/// The bytes a signature covers: each part as its length in 4 bytes, least significant first,
/// then its UTF-8 bytes (Tink's `toLengthValue`).
fn length_value(parts: &[&str]) -> Result<Vec<u8>, CallbackError> {
    let mut out = Vec::new();
    for part in parts {
        let len = u32::try_from(part.len())
            .map_err(|_| CallbackError::Malformed("a signed field is 4 GiB or longer"))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    Ok(out)
}

/// Whether `signature` (DER) is `key`'s ECDSA SHA-256 signature of `data`; a signature that is
/// not DER is simply not a signature.
fn signed_by(key: &PKeyRef<Public>, signature: &[u8], data: &[u8]) -> bool {
    Verifier::new(MessageDigest::sha256(), key)
        .and_then(|mut verifier| {
            verifier.update(data)?;
            verifier.verify(signature)
        })
        .unwrap_or(false)
}

/// `key`'s ECDSA SHA-256 signature of `data`, DER-encoded.
fn sign(key: &EcKeyRef<Private>, data: &[u8]) -> Vec<u8> {
    PKey::from_ec_key(key.to_owned())
        .and_then(|pkey| {
            let mut signer = Signer::new(MessageDigest::sha256(), &pkey)?;
            signer.update(data)?;
            signer.sign_to_vec()
        })
        .expect("OpenSSL signs with an EC key held in memory")
}

/// `s` as a JSON string the way Google's Gson writes it: as serde_json writes it, but with `=`,
/// `<`, `>`, `&` and `'` as `\u00XX` escapes.
fn gson(s: &str) -> String {
    let quoted = Value::from(s).to_string();
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        match c {
            '=' | '<' | '>' | '&' | '\'' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::{EcGroup, EcKey};

    const ISSUER: &str = "3388000000022100000";
    const NOW: i64 = 1_760_000_000_000;
    const NONCE: &str = "1a9e3df0-ec10-4a17-8b39-89d2d7f48e3b";

    /// A callback Google Wallet sent, byte for byte as it arrived (an "activate" event, for
    /// issuer 3388000000022335801, from August 2024), published as a test fixture in a public
    /// repository. Google's root keys are not at hand here, but its intermediate key's signature
    /// on the message is.
    const GOOGLE_BODY: &str = r#"{"signature":"MEUCIQCpYXep9bIFAT/PMe2kekpGdsWBPSIXZRFe2//QICWOFAIgCGPUJ6BnLDxvuJnMFz7IFkIV8jnIK0FQnKbNJw1i7oQ\u003d","intermediateSigningKey":{"signedKey":"{\"keyValue\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElMAF/BuFhKQzFwpbZDWmpFRGsW8Ow4QZE31CbT4Y0O15xQ8AAMD8y698okEifN6UQlEh4et3hth9BDH81/Rkaw\\u003d\\u003d\",\"keyExpiration\":\"1723850860000\"}","signatures":["MEUCIGU5NAJcFcg03FWUq04gC0hYzVmRLHbwvlSCz6BTqTHGAiEAsRG9gdW5r5Gds4vk+Dj3V8X3iwF1aeflCiSCTi5qkgQ\u003d"]},"protocolVersion":"ECv2SigningOnly","signedMessage":"{\"classId\":\"3388000000022335801.eth-motics-with-link\",\"objectIds\":[\"3388000000022335801.efd427a7-05a4-439d-b314-e4b999c8509b\"],\"eventType\":\"activate\",\"expTimeMillis\":1723181833549,\"count\":1,\"nonce\":\"0cfe3927-7ce2-4471-bc27-c819c2910901\",\"deviceContext\":\"49776974-bcf3-4445-9c01-2c9467ef87ff\"}"}"#;

    fn key() -> EcKey<Private> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        EcKey::generate(&group).unwrap()
    }

    fn roots_for(root: &EcKey<Private>) -> RootKeys {
        RootKeys::parse(root_keys_json(root).as_bytes()).unwrap()
    }

    /// A message as Google writes it, with its expiration as a number.
    fn callback_json(event: &str, exp: i64) -> String {
        serde_json::json!({
            "classId": format!("{ISSUER}.northwind"),
            "objectId": format!("{ISSUER}.member-1"),
            "eventType": event,
            "expTimeMillis": exp,
            "count": 1,
            "nonce": NONCE,
        })
        .to_string()
    }

    fn expected(event_type: EventType, exp: i64) -> CallbackMessage {
        CallbackMessage {
            class_id: format!("{ISSUER}.northwind"),
            object_id: format!("{ISSUER}.member-1"),
            exp_time_millis: exp,
            event_type,
            nonce: NONCE.to_owned(),
        }
    }

    #[test]
    fn a_sealed_callback_verifies_and_reads_back() {
        let (root, intermediate) = (key(), key());
        let exp = NOW + 60_000;
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", exp),
        );
        assert!(body.contains("\\u003d"), "escaped as Gson escapes: {body}");
        assert_eq!(
            verify(body.as_bytes(), &roots_for(&root), ISSUER, NOW),
            Ok(expected(EventType::Save, exp))
        );
    }

    #[test]
    fn del_is_a_delete() {
        let (root, intermediate) = (key(), key());
        let exp = NOW + 60_000;
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("del", exp),
        );
        let m = verify(body.as_bytes(), &roots_for(&root), ISSUER, NOW).unwrap();
        assert_eq!(m.event_type, EventType::Delete);
        assert_eq!(m.event_type.as_str(), "del");
    }

    #[test]
    fn other_events_are_unknown() {
        let (root, intermediate) = (key(), key());
        let activate = serde_json::json!({
            "classId": format!("{ISSUER}.northwind"),
            "objectIds": [format!("{ISSUER}.member-1")],
            "eventType": "activate",
            "expTimeMillis": NOW + 60_000,
            "count": 1,
            "nonce": NONCE,
        })
        .to_string();
        let body = seal(&root, &intermediate, NOW + 3_600_000, ISSUER, &activate);
        assert_eq!(
            verify(body.as_bytes(), &roots_for(&root), ISSUER, NOW),
            Err(CallbackError::UnknownEvent)
        );
    }

    #[test]
    fn expirations_may_be_strings_or_numbers() {
        let (root, intermediate) = (key(), key());
        let exp = NOW + 60_000;
        let message = serde_json::json!({
            "classId": format!("{ISSUER}.northwind"),
            "objectId": format!("{ISSUER}.member-1"),
            "eventType": "save",
            "expTimeMillis": exp.to_string(),
            "nonce": NONCE,
        })
        .to_string();
        let body = seal(&root, &intermediate, NOW + 3_600_000, ISSUER, &message);
        let keys = serde_json::json!({"keys": [{
            "keyValue": B64.encode(root.public_key_to_der().unwrap()),
            "protocolVersion": "ECv2SigningOnly",
            "keyExpiration": NOW + 86_400_000,
        }]})
        .to_string();
        let roots = RootKeys::parse(keys.as_bytes()).unwrap();
        assert_eq!(
            verify(body.as_bytes(), &roots, ISSUER, NOW),
            Ok(expected(EventType::Save, exp))
        );
    }

    #[test]
    fn a_changed_message_is_not_signed() {
        let (root, intermediate) = (key(), key());
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        let mut env: Value = serde_json::from_str(&body).unwrap();
        env["signedMessage"] = Value::from(callback_json("del", NOW + 60_000));
        assert_eq!(
            verify(env.to_string().as_bytes(), &roots_for(&root), ISSUER, NOW),
            Err(CallbackError::MessageNotSigned)
        );
    }

    #[test]
    fn an_intermediate_key_from_another_root_is_not_signed() {
        let (root, intermediate) = (key(), key());
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        assert_eq!(
            verify(body.as_bytes(), &roots_for(&key()), ISSUER, NOW),
            Err(CallbackError::IntermediateKeyNotSigned)
        );
    }

    #[test]
    fn a_changed_intermediate_key_is_not_signed() {
        let (root, intermediate) = (key(), key());
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        let mut env: Value = serde_json::from_str(&body).unwrap();
        // The same key, good for longer: the root's signature no longer covers it.
        let later = env["intermediateSigningKey"]["signedKey"]
            .as_str()
            .unwrap()
            .replace(
                &(NOW + 3_600_000).to_string(),
                &(NOW + 7_200_000).to_string(),
            );
        env["intermediateSigningKey"]["signedKey"] = Value::from(later);
        assert_eq!(
            verify(env.to_string().as_bytes(), &roots_for(&root), ISSUER, NOW),
            Err(CallbackError::IntermediateKeyNotSigned)
        );
    }

    #[test]
    fn an_expired_root_key_signs_nothing() {
        let (root, intermediate) = (key(), key());
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        let keys = serde_json::json!({"keys": [{
            "keyValue": B64.encode(root.public_key_to_der().unwrap()),
            "protocolVersion": "ECv2SigningOnly",
            "keyExpiration": NOW.to_string(),
        }]})
        .to_string();
        let roots = RootKeys::parse(keys.as_bytes()).unwrap();
        assert_eq!(
            verify(body.as_bytes(), &roots, ISSUER, NOW),
            Err(CallbackError::IntermediateKeyNotSigned)
        );
    }

    #[test]
    fn one_good_signature_among_several_is_enough() {
        let (root, other, intermediate) = (key(), key(), key());
        let message = callback_json("save", NOW + 60_000);
        let ours = seal(&root, &intermediate, NOW + 3_600_000, ISSUER, &message);
        let theirs = seal(&other, &intermediate, NOW + 3_600_000, ISSUER, &message);
        let mut env: Value = serde_json::from_str(&theirs).unwrap();
        let ours: Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(
            env["intermediateSigningKey"]["signedKey"],
            ours["intermediateSigningKey"]["signedKey"]
        );
        let both = serde_json::json!([
            env["intermediateSigningKey"]["signatures"][0].clone(),
            ours["intermediateSigningKey"]["signatures"][0].clone(),
        ]);
        env["intermediateSigningKey"]["signatures"] = both;
        assert_eq!(
            verify(env.to_string().as_bytes(), &roots_for(&root), ISSUER, NOW),
            Ok(expected(EventType::Save, NOW + 60_000))
        );
    }

    #[test]
    fn an_expired_intermediate_key_is_refused() {
        let (root, intermediate) = (key(), key());
        for expires in [NOW - 1, NOW] {
            let body = seal(
                &root,
                &intermediate,
                expires,
                ISSUER,
                &callback_json("save", NOW + 60_000),
            );
            assert_eq!(
                verify(body.as_bytes(), &roots_for(&root), ISSUER, NOW),
                Err(CallbackError::IntermediateKeyExpired)
            );
        }
    }

    #[test]
    fn an_expired_message_is_refused() {
        let (root, intermediate) = (key(), key());
        for exp in [NOW - 1, NOW] {
            let body = seal(
                &root,
                &intermediate,
                NOW + 3_600_000,
                ISSUER,
                &callback_json("save", exp),
            );
            assert_eq!(
                verify(body.as_bytes(), &roots_for(&root), ISSUER, NOW),
                Err(CallbackError::MessageExpired)
            );
        }
    }

    #[test]
    fn a_message_for_another_issuer_is_not_signed() {
        let (root, intermediate) = (key(), key());
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        let roots = roots_for(&root);
        for other in ["3388000000022100001", "ONLY_3388000000022100000", ""] {
            assert_eq!(
                verify(body.as_bytes(), &roots, other, NOW),
                Err(CallbackError::MessageNotSigned),
                "{other}"
            );
        }
    }

    #[test]
    fn another_protocol_is_refused() {
        let (root, intermediate) = (key(), key());
        let body = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        let mut env: Value = serde_json::from_str(&body).unwrap();
        env["protocolVersion"] = Value::from("ECv2");
        assert_eq!(
            verify(env.to_string().as_bytes(), &roots_for(&root), ISSUER, NOW),
            Err(CallbackError::WrongProtocol)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let (root, intermediate) = (key(), key());
        let roots = roots_for(&root);
        let good = seal(
            &root,
            &intermediate,
            NOW + 3_600_000,
            ISSUER,
            &callback_json("save", NOW + 60_000),
        );
        /// `good` with the field at `pointer` (a JSON pointer) set to `value`.
        fn with(good: &str, pointer: &str, value: Value) -> Vec<u8> {
            let mut env: Value = serde_json::from_str(good).unwrap();
            *env.pointer_mut(pointer).unwrap() = value;
            env.to_string().into_bytes()
        }
        let mut bodies: Vec<Vec<u8>> = [
            "",
            "null",
            "[]",
            "{}",
            "\"ECv2SigningOnly\"",
            "{\"protocolVersion\":\"ECv2SigningOnly\"}",
            "{\"protocolVersion\":7}",
            "{\"protocolVersion\":\"ECv2SigningOnly\",\"intermediateSigningKey\":[]}",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        bodies.push(vec![0xff, 0xfe, 0x00, b'{']);
        bodies.push("[".repeat(100_000).into_bytes());
        let signatures = "/intermediateSigningKey/signatures";
        bodies.push(with(&good, "/signature", Value::from("%%% not base64")));
        bodies.push(with(&good, "/signature", Value::from(42)));
        bodies.push(with(&good, "/signedMessage", Value::Null));
        bodies.push(with(&good, "/intermediateSigningKey", Value::from("key")));
        bodies.push(with(&good, signatures, Value::from("MEUCIQ==")));
        bodies.push(with(&good, signatures, serde_json::json!(["%%%"])));
        bodies.push(with(&good, signatures, serde_json::json!([1])));
        bodies.push(with(
            &good,
            "/intermediateSigningKey/signedKey",
            Value::Null,
        ));
        for body in &bodies {
            let got = verify(body, &roots, ISSUER, NOW);
            assert!(
                matches!(got, Err(CallbackError::Malformed(_))),
                "{:?} gave {got:?}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            );
        }
        // Every cut-short body is malformed.
        for n in 0..good.len() {
            let got = verify(&good.as_bytes()[..n], &roots, ISSUER, NOW);
            assert!(
                matches!(got, Err(CallbackError::Malformed(_))),
                "{n}: {got:?}"
            );
        }
        // Any changed byte is refused (or, where JSON allows two spellings of a string, reads
        // back the same message), and never panics.
        for i in 0..good.len() {
            let mut body = good.clone().into_bytes();
            body[i] ^= 0x01;
            if let Ok(m) = verify(&body, &roots, ISSUER, NOW) {
                assert_eq!(m, expected(EventType::Save, NOW + 60_000), "byte {i}");
            }
        }
    }

    #[test]
    fn signed_garbage_is_malformed() {
        let (root, intermediate) = (key(), key());
        let roots = roots_for(&root);
        let no_nonce = serde_json::json!({
            "classId": "c", "objectId": "o", "eventType": "save", "expTimeMillis": NOW + 60_000,
        })
        .to_string();
        let no_event = serde_json::json!({
            "classId": "c", "objectId": "o", "expTimeMillis": NOW + 60_000, "nonce": NONCE,
        })
        .to_string();
        let float_exp = serde_json::json!({
            "classId": "c", "objectId": "o", "eventType": "save",
            "expTimeMillis": 1.76e12, "nonce": NONCE,
        })
        .to_string();
        for message in [
            "not json",
            "[]",
            "42",
            no_nonce.as_str(),
            no_event.as_str(),
            float_exp.as_str(),
        ] {
            let body = seal(&root, &intermediate, NOW + 3_600_000, ISSUER, message);
            let got = verify(body.as_bytes(), &roots, ISSUER, NOW);
            assert!(
                matches!(got, Err(CallbackError::Malformed(_))),
                "{message}: {got:?}"
            );
        }
    }

    #[test]
    fn root_keys_keep_only_ecv2_signing_only() {
        let (a, b) = (key(), key());
        let b64 = |k: &EcKey<Private>| B64.encode(k.public_key_to_der().unwrap());
        let keys = serde_json::json!({"keys": [
            {"keyValue": "not even base64", "protocolVersion": "ECv1"},
            {"keyValue": b64(&a), "protocolVersion": "ECv2", "keyExpiration": "2154841200000"},
            {"keyValue": b64(&b), "protocolVersion": "ECv2SigningOnly", "keyExpiration": "2154841200000"},
            {"keyValue": b64(&a), "protocolVersion": "ECv2SigningOnly"},
        ]})
        .to_string();
        let roots = RootKeys::parse(keys.as_bytes()).unwrap();
        assert_eq!(roots.keys.len(), 2);
        assert_eq!(roots.keys[0].expires_ms, Some(2_154_841_200_000));
        assert_eq!(roots.keys[1].expires_ms, None);
        assert_eq!(roots.current(2_154_841_200_000).len(), 1);

        for bad in [
            "",
            "not json",
            "{}",
            "{\"keys\":{}}",
            "{\"keys\":[]}",
            "{\"keys\":[{\"keyValue\":\"AAAA\",\"protocolVersion\":\"ECv1\"}]}",
            "{\"keys\":[{\"keyValue\":\"%%%\",\"protocolVersion\":\"ECv2SigningOnly\"}]}",
            "{\"keys\":[{\"keyValue\":\"AAAA\",\"protocolVersion\":\"ECv2SigningOnly\"}]}",
            "{\"keys\":[{\"protocolVersion\":\"ECv2SigningOnly\"}]}",
        ] {
            assert!(
                matches!(
                    RootKeys::parse(bad.as_bytes()),
                    Err(CallbackError::Malformed(_))
                ),
                "{bad}"
            );
        }
        let bad_expiry = serde_json::json!({"keys": [
            {"keyValue": b64(&a), "protocolVersion": "ECv2SigningOnly", "keyExpiration": "soon"},
        ]})
        .to_string();
        assert!(matches!(
            RootKeys::parse(bad_expiry.as_bytes()),
            Err(CallbackError::Malformed(_))
        ));
    }

    #[test]
    fn a_key_on_another_curve_is_not_a_root_key() {
        let group = EcGroup::from_curve_name(Nid::SECP384R1).unwrap();
        let p384 = EcKey::generate(&group).unwrap();
        assert!(matches!(
            RootKeys::parse(root_keys_json(&p384).as_bytes()),
            Err(CallbackError::Malformed(_))
        ));
    }

    #[test]
    fn googles_own_callback_is_signed_for_the_plain_issuer_id() {
        let env = envelope(GOOGLE_BODY.as_bytes()).unwrap();
        let intermediate = intermediate_key(&env.signed_key).unwrap();
        assert_eq!(intermediate.expires_ms, 1_723_850_860_000);
        let signed_for = |issuer: &str| {
            message_signed(
                &intermediate.key,
                &env.signature,
                issuer,
                &env.signed_message,
            )
            .unwrap()
        };
        assert!(signed_for("3388000000022335801"));
        assert!(!signed_for("ONLY_3388000000022335801"));
        assert!(!signed_for("3388000000022335802"));
        // Without Google's root keys the whole check stops at the intermediate key.
        assert_eq!(
            verify(
                GOOGLE_BODY.as_bytes(),
                &roots_for(&key()),
                "3388000000022335801",
                1_723_181_000_000
            ),
            Err(CallbackError::IntermediateKeyNotSigned)
        );
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            CallbackError::Malformed("the body is not JSON").to_string(),
            "the Google Wallet callback is malformed: the body is not JSON"
        );
        assert_eq!(
            CallbackError::MessageExpired.to_string(),
            "the Google Wallet callback's message has expired"
        );
    }
}
