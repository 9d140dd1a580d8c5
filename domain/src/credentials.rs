//! Access credentials: the member's existing card, or a new one generated in 26-bit Wiegand
//! H10301 form (8-bit facility code, 16-bit card number), unique within the operator.

use rand::Rng as _;

use crate::store::{CredentialSource, SqlCredential, SqlMember, SqlOperator, Store, StoreError};

/// The bits a reader sees: bit 1 even parity over bits 2-13, the facility code, the card number,
/// and bit 26 odd parity over bits 14-25.
pub fn wiegand26(facility: u8, card: u16) -> u32 {
    let data = (u32::from(facility) << 16) | u32::from(card);
    let first_half = data >> 12;
    let second_half = data & 0xFFF;
    let even = first_half.count_ones() & 1;
    let odd = (second_half.count_ones() & 1) ^ 1;
    (even << 25) | (data << 1) | odd
}

/// How a credential reads on a pass: "42 / 01002".
pub fn display(facility: i64, card: i64) -> String {
    format!("{facility} / {card:05}")
}

/// What the pass's barcode carries: the scheme, the facility code and the card number.
pub fn barcode_message(facility: i64, card: i64) -> String {
    format!("H10301:{facility}:{card}")
}

/// What an operator's readers expect in the pass's QR code (and NFC / Smart Tap payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// `H10301:42:1002`: scheme, facility code, card number.
    H10301,
    /// The card number alone: `1002`.
    Card,
    /// The 26-bit Wiegand H10301 value with both parity bits, as 7 hex digits: `0A807D5`.
    Wiegand26,
    /// A token signed with the server's Ed25519 key, which a reader verifies offline with the
    /// public key (`/credential-key.pem`): `EP1.<payload>.<signature>` (base64url).
    Signed,
}

impl PayloadFormat {
    pub const ALL: [PayloadFormat; 4] = [
        PayloadFormat::H10301,
        PayloadFormat::Card,
        PayloadFormat::Wiegand26,
        PayloadFormat::Signed,
    ];

    pub fn parse(s: &str) -> Option<PayloadFormat> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PayloadFormat::H10301 => "h10301",
            PayloadFormat::Card => "card",
            PayloadFormat::Wiegand26 => "wiegand26",
            PayloadFormat::Signed => "signed",
        }
    }
}

/// The payload of a credential in `format`. `issued_secs` goes into signed tokens.
pub fn payload(
    format: PayloadFormat,
    signer: &CredentialSigner,
    operator_slug: &str,
    facility: i64,
    card: i64,
    issued_secs: i64,
) -> String {
    match format {
        PayloadFormat::H10301 => barcode_message(facility, card),
        PayloadFormat::Card => card.to_string(),
        PayloadFormat::Wiegand26 => format!(
            "{:07X}",
            wiegand26(
                u8::try_from(facility).unwrap_or_default(),
                u16::try_from(card).unwrap_or_default()
            )
        ),
        PayloadFormat::Signed => signer.token(operator_slug, facility, card, issued_secs),
    }
}

/// The server's Ed25519 key for signed credential tokens: from a PEM file, or generated on
/// first run in the data folder.
pub struct CredentialSigner {
    key: openssl::pkey::PKey<openssl::pkey::Private>,
}

impl std::fmt::Debug for CredentialSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialSigner(<key>)")
    }
}

const TOKEN_PREFIX: &str = "EP1";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl CredentialSigner {
    /// Reads the PEM key at `path`, or creates one there when the file does not exist.
    pub fn load_or_create(path: &std::path::Path) -> Result<CredentialSigner, String> {
        use openssl::pkey::PKey;
        match std::fs::read(path) {
            Ok(pem) => PKey::private_key_from_pem(&pem)
                .map_err(|e| format!("{} is not a PEM private key: {e}", path.display()))
                .and_then(|key| {
                    if key.id() == openssl::pkey::Id::ED25519 {
                        Ok(CredentialSigner { key })
                    } else {
                        Err(format!(
                            "{} must be an Ed25519 key (openssl genpkey -algorithm ed25519)",
                            path.display()
                        ))
                    }
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = PKey::generate_ed25519().map_err(|e| e.to_string())?;
                let pem = key.private_key_to_pem_pkcs8().map_err(|e| e.to_string())?;
                crate::private_file::write(path, &pem)
                    .map_err(|e| format!("could not write {}: {e}", path.display()))?;
                Ok(CredentialSigner { key })
            }
            Err(e) => Err(format!("could not read {}: {e}", path.display())),
        }
    }

    /// The public key readers verify tokens with, as PEM.
    pub fn public_pem(&self) -> String {
        self.key
            .public_key_to_pem()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .unwrap_or_default()
    }

    /// `EP1.<base64url("slug:facility:card:issued")>.<base64url(Ed25519 signature of the
    /// first two parts)>`
    pub fn token(&self, operator_slug: &str, facility: i64, card: i64, issued_secs: i64) -> String {
        let body = b64(format!("{operator_slug}:{facility}:{card}:{issued_secs}").as_bytes());
        let signed = format!("{TOKEN_PREFIX}.{body}");
        let sig = openssl::sign::Signer::new_without_digest(&self.key)
            .and_then(|mut s| s.sign_oneshot_to_vec(signed.as_bytes()))
            .unwrap_or_default();
        format!("{signed}.{}", b64(&sig))
    }
}

/// What a reader does offline: checks a token against the public key (PEM) and reads it.
/// Returns (operator slug, facility code, card number, issued seconds).
pub fn verify_token(token: &str, public_pem: &[u8]) -> Option<(String, i64, i64, i64)> {
    use base64::Engine as _;
    let key = openssl::pkey::PKey::public_key_from_pem(public_pem).ok()?;
    let (signed, sig) = token.rsplit_once('.')?;
    let (prefix, body) = signed.split_once('.')?;
    if prefix != TOKEN_PREFIX {
        return None;
    }
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .ok()?;
    let ok = openssl::sign::Verifier::new_without_digest(&key)
        .and_then(|mut v| v.verify_oneshot(&sig, signed.as_bytes()))
        .ok()?;
    if !ok {
        return None;
    }
    let text = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .ok()?,
    )
    .ok()?;
    let mut parts = text.rsplitn(4, ':');
    let issued = parts.next()?.parse().ok()?;
    let card = parts.next()?.parse().ok()?;
    let facility = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_owned(), facility, card, issued))
}

/// The credential a pass carries: the member's physical card if they have one, else their live
/// generated credential, else a new one. Safe when several requests race for the same member.
pub async fn ensure(
    store: &Store,
    operator: &SqlOperator,
    member: &SqlMember,
) -> Result<SqlCredential, StoreError> {
    if let Some(existing) = pick(store.credentials_for_member(member.id).await?) {
        return Ok(existing);
    }
    let facility = u8::try_from(operator.digital_facility_code).unwrap_or(200);
    for _ in 0..32 {
        let card: u16 = rand::rng().random_range(1..=u16::MAX);
        match store
            .insert_credential(
                operator.id,
                member.id,
                CredentialSource::Digital,
                facility,
                card,
            )
            .await
        {
            Ok(_) => break,
            // Either the card number is taken (try another) or a concurrent request just gave
            // this member their credential (the re-read below finds it).
            Err(StoreError::Conflict(_)) => {
                if let Some(existing) = pick(store.credentials_for_member(member.id).await?) {
                    return Ok(existing);
                }
            }
            Err(e) => return Err(e),
        }
    }
    pick(store.credentials_for_member(member.id).await?)
        .ok_or(StoreError::Conflict("every card number tried"))
}

/// A new generated number for a new phone's pass, pending until that pass is added.
pub async fn generate_pending(
    store: &Store,
    operator: &SqlOperator,
    member: &SqlMember,
) -> Result<SqlCredential, StoreError> {
    let facility = u8::try_from(operator.digital_facility_code).unwrap_or(200);
    for _ in 0..32 {
        let card: u16 = rand::rng().random_range(1..=u16::MAX);
        match store
            .insert_pending_credential(operator.id, member.id, facility, card)
            .await
        {
            Ok(id) => {
                if let Some(c) = store
                    .credentials_for_member(member.id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == id)
                {
                    return Ok(c);
                }
            }
            // The card number is taken: another.
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict("every card number tried"))
}

fn pick(all: Vec<SqlCredential>) -> Option<SqlCredential> {
    let live = all
        .into_iter()
        .filter(|c| c.revoked_at.is_none() && c.pending_at.is_none());
    let (physical, digital): (Vec<_>, Vec<_>) = live.partition(|c| c.source == "physical_card");
    physical
        .into_iter()
        .next()
        .or_else(|| digital.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiegand_h10301_layout_and_parity() {
        // Facility 0, card 0: even parity bit 0, odd parity bit 1.
        assert_eq!(wiegand26(0, 0), 0b1);
        // All ones: 12 ones in each half, so the even bit is 0 and the odd bit is 1.
        assert_eq!(wiegand26(255, 65535), (0xFF_FFFF << 1) | 1);
        let w = wiegand26(42, 1002);
        assert_eq!((w >> 17) & 0xFF, 42, "facility code in bits 2-9");
        assert_eq!((w >> 1) & 0xFFFF, 1002, "card number in bits 10-25");
        assert_eq!(
            ((w >> 13) & 0x1FFF).count_ones() % 2,
            0,
            "bits 1-13 hold an even number of ones"
        );
        assert_eq!(
            (w & 0x1FFF).count_ones() % 2,
            1,
            "bits 14-26 hold an odd number of ones"
        );
        assert!(w < (1 << 26));
    }

    /// Known answers computed outside this code: each bit string built by hand from the published
    /// H10301 layout (bit 1 even parity over bits 2-13, 8 facility bits, 16 card bits, bit 26
    /// odd parity over bits 14-25; a Python string of '0' and '1'), read as hex.
    #[test]
    fn wiegand26_matches_the_published_h10301_layout() {
        for (facility, card, bits, hex) in [
            (42, 1002, "10010101000000011111010100", "25407D4"),
            (1, 1, "10000000100000000000000010", "2020002"),
            (255, 65535, "01111111111111111111111111", "1FFFFFF"),
            (0, 0, "00000000000000000000000001", "0000001"),
            (200, 12345, "11100100000110000001110011", "3906073"),
            (123, 54321, "10111101111010100001100011", "2F7A863"),
            (18, 47983, "10001001010111011011011110", "22576DE"),
        ] {
            let w = wiegand26(facility, card);
            assert_eq!(format!("{w:026b}"), bits, "{facility}/{card}");
            assert_eq!(format!("{w:07X}"), hex, "{facility}/{card}");
            assert_eq!(
                payload(
                    PayloadFormat::Wiegand26,
                    &test_signer(),
                    "northwind",
                    i64::from(facility),
                    i64::from(card),
                    0
                ),
                hex
            );
        }
    }

    /// RFC 8032's first Ed25519 test vector (section 7.1, TEST 1) as the signing key.
    const RFC8032_TEST1_PKCS8: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
        -----END PRIVATE KEY-----\n";

    fn test_signer() -> CredentialSigner {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rfc8032.pem");
        std::fs::write(&path, RFC8032_TEST1_PKCS8).unwrap();
        CredentialSigner::load_or_create(&path).unwrap()
    }

    /// The token of a known key against answers computed outside this code: the key's public
    /// half is RFC 8032's, an empty message signs to RFC 8032's signature, and the token is the
    /// one Python's `cryptography` package makes from the documented layout.
    #[test]
    fn signed_tokens_match_rfc_8032_and_an_independent_signer() {
        let signer = test_signer();
        // SubjectPublicKeyInfo of RFC 8032 TEST 1's public key
        // d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a.
        let rfc_public = "-----BEGIN PUBLIC KEY-----\n\
            MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
            -----END PUBLIC KEY-----\n";
        assert_eq!(signer.public_pem(), rfc_public);
        let empty = openssl::sign::Signer::new_without_digest(&signer.key)
            .and_then(|mut s| s.sign_oneshot_to_vec(b""))
            .unwrap();
        let hex: String = empty.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        let token = signer.token("northwind", 42, 1002, 1_700_000_000);
        assert_eq!(
            token,
            "EP1.bm9ydGh3aW5kOjQyOjEwMDI6MTcwMDAwMDAwMA.\
             8HqQlkl5RnxAzMLPQ_gXnLAXPeG1MwGtAXrK2EwWsdP1QPJRr4JeObM-2-P7A_285pfeWYI8uruRIlC0YBhuCw"
        );
        assert_eq!(
            verify_token(&token, rfc_public.as_bytes()),
            Some(("northwind".to_owned(), 42, 1002, 1_700_000_000))
        );
    }

    #[test]
    fn payload_formats() {
        let dir = tempfile::tempdir().unwrap();
        let signer = CredentialSigner::load_or_create(&dir.path().join("k.pem")).unwrap();
        let p = |f| payload(f, &signer, "northwind", 42, 1002, 1_700_000_000);
        assert_eq!(p(PayloadFormat::H10301), "H10301:42:1002");
        assert_eq!(p(PayloadFormat::Card), "1002");
        assert_eq!(
            p(PayloadFormat::Wiegand26),
            format!("{:07X}", wiegand26(42, 1002))
        );
        let token = p(PayloadFormat::Signed);
        assert!(token.starts_with("EP1."), "{token}");
        let public = signer.public_pem();
        assert_eq!(
            verify_token(&token, public.as_bytes()),
            Some(("northwind".to_owned(), 42, 1002, 1_700_000_000))
        );
        // One changed character, or another key, and the token is refused.
        let mut forged = token.clone().into_bytes();
        forged[6] = if forged[6] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify_token(&String::from_utf8(forged).unwrap(), public.as_bytes()),
            None
        );
        let other = CredentialSigner::load_or_create(&dir.path().join("other.pem")).unwrap();
        assert_eq!(verify_token(&token, other.public_pem().as_bytes()), None);
        // The key is kept: loading it again signs verifiably with the same public key.
        let again = CredentialSigner::load_or_create(&dir.path().join("k.pem")).unwrap();
        assert_eq!(again.public_pem(), public);
        assert!(PayloadFormat::ALL
            .iter()
            .all(|f| PayloadFormat::parse(f.as_str()) == Some(*f)));
    }

    #[test]
    fn display_and_barcode() {
        assert_eq!(display(42, 1002), "42 / 01002");
        assert_eq!(barcode_message(42, 1002), "H10301:42:1002");
    }
}
