//! Unguessable tokens for invites, links and journeys. Only their SHA-256 is ever stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::TryRngCore as _;
use sha2::{Digest as _, Sha256};

/// A secret token as handed to a person (in a URL). It is not `Serialize`, and its `Debug`
/// hides the value so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// `bytes` random bytes from the operating system's generator, URL-safe base64 without padding.
    pub fn generate(bytes: usize) -> Self {
        let mut buf = vec![0u8; bytes];
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf)
            .expect("the operating system's random generator is unavailable");
        Token(URL_SAFE_NO_PAD.encode(buf))
    }

    pub fn from_user(value: &str) -> Self {
        Token(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Lowercase hex SHA-256: what the store keeps and looks up.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

pub fn hash_token(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens as they arrive in URLs must look like ours before they touch the store.
pub fn looks_like_token(value: &str) -> bool {
    (16..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Percent-encodes a URL path or query component, so a redirect target stays a valid header
/// value whatever a client sent.
pub fn urlencode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, URL_COMPONENT).to_string()
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is encoded.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_the_requested_entropy_and_differ() {
        let a = Token::generate(16);
        let b = Token::generate(16);
        assert_eq!(a.expose().len(), 22, "128 bits is 22 base64url characters");
        assert_ne!(a, b);
        assert!(looks_like_token(a.expose()));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let t = Token::from_user("supersecretvalue1234");
        assert!(!format!("{t:?}").contains("supersecret"));
    }

    #[test]
    fn rejects_what_we_never_issue() {
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token("../../etc/passwd-aaaaaaaaaaaa"));
        assert!(!looks_like_token(&"a".repeat(200)));
    }
}
