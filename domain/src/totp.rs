//! The second factor of staff password accounts, as plain functions: TOTP codes (RFC 6238:
//! HMAC-SHA1, 6 digits, 30-second steps), the `otpauth://` URI and its QR code that
//! authenticator apps scan, and one-time recovery codes. What is stored and when lives in
//! `store/mfa.rs`; the sign-in and enrolment steps that use these, in `mfa.rs`.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use rand::TryRngCore as _;

/// Digits of a code. Every authenticator app shows 6; RFC 6238's test vectors use 8, which is
/// why the digit count is a parameter below.
pub const DIGITS: u32 = 6;
/// Seconds a code lasts (the step).
pub const STEP_SECS: i64 = 30;
/// Steps either side of now that are accepted: a phone's clock a little off, or a code typed
/// just as it changed, still works.
const WINDOW: i64 = 1;
/// RFC 4226 asks for a shared secret of at least 128 bits and recommends 160.
const SECRET_BYTES: usize = 20;
const MIN_SECRET_BYTES: usize = 16;

/// A TOTP shared secret. It must be stored readable (a code is checked by computing it), so it
/// never reaches a log: not `Serialize`, and its `Debug` hides the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// 160 random bits from the operating system's generator.
    pub fn generate() -> Secret {
        let mut buf = vec![0u8; SECRET_BYTES];
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf)
            .expect("the operating system's random generator is unavailable");
        Secret(buf)
    }

    /// A secret as stored or as a person types it from the setup page: base32, in any case,
    /// with or without spaces and `=` padding. `None` when it is not base32 or too short.
    pub fn from_base32(text: &str) -> Option<Secret> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).ok()?;
        (bytes.len() >= MIN_SECRET_BYTES).then_some(Secret(bytes))
    }

    /// Unpadded uppercase base32, as the Key Uri Format and the store want it.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The base32 in groups of four, for a person to type into an app that cannot scan.
    pub fn to_base32_grouped(&self) -> String {
        let plain = self.to_base32();
        let groups: Vec<&str> = plain
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        groups.join(" ")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The step a time falls in (times before 1970 fall in step 0: no clock is that wrong).
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.max(0) / STEP_SECS
}

/// HOTP (RFC 4226) of one counter: HMAC-SHA1, dynamic truncation, `digits` decimal digits.
fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mac = {
        let key = PKey::hmac(key).expect("OpenSSL accepts any HMAC key");
        let mut signer =
            Signer::new(MessageDigest::sha1(), &key).expect("OpenSSL provides HMAC-SHA1");
        signer
            .update(&counter.to_be_bytes())
            .expect("HMAC takes any input");
        signer.sign_to_vec().expect("HMAC-SHA1 signs")
    };
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let code = u64::from(binary) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

fn code_of_step(secret: &Secret, step: i64, digits: u32) -> String {
    hotp(&secret.0, step.max(0) as u64, digits)
}

/// The code an authenticator app shows at `unix_secs`.
pub fn code_at(secret: &Secret, unix_secs: i64) -> String {
    code_of_step(secret, step_at(unix_secs), DIGITS)
}

/// Checks a typed code against the steps around `now_secs`: the step it belongs to, or `None`.
///
/// A step at or before `last_used_step` is refused, so a code seen over a shoulder (or the
/// same code sent twice) cannot be used again; the caller records the step it gets back, only
/// if it is still newer than the stored one (`Store::use_totp_step`), so two parallel
/// submissions of one code cannot both pass. Spaces in the code are ignored (apps show
/// `123 456`).
pub fn verify(
    secret: &Secret,
    code: &str,
    now_secs: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    verify_digits(secret, code, now_secs, last_used_step, DIGITS)
}

fn verify_digits(
    secret: &Secret,
    code: &str,
    now_secs: i64,
    last_used_step: Option<i64>,
    digits: u32,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(now_secs);
    // Every candidate is computed and compared in constant time, so the answer's timing does
    // not tell which step (if any) was close.
    let mut found = None;
    for step in (now - WINDOW)..=(now + WINDOW) {
        if step < 0 || last_used_step.is_some_and(|last| step <= last) {
            continue;
        }
        let expected = code_of_step(secret, step, digits);
        if openssl::memcmp::eq(expected.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// What an authenticator app scans (Google's Key Uri Format): the label is `Issuer:email`, the
/// issuer repeated as a parameter (apps read either), every part percent-encoded.
pub fn otpauth_uri(issuer: &str, account_email: &str, secret: &Secret) -> String {
    let issuer = crate::tokens::urlencode(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        crate::tokens::urlencode(account_email),
        secret.to_base32(),
    )
}

/// The QR code of an `otpauth://` URI as an SVG document, drawn as the dashboard draws its
/// other QR codes (`app::admin::views::invites::qr_svg`). `None` only for a URI too long for
/// a QR code.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(320, 320)
            .quiet_zone(true)
            .build(),
    )
}

// ---- recovery codes ----

/// Recovery codes handed out at enrolment: each signs in once, instead of a code from the app.
pub const RECOVERY_CODES: usize = 10;
/// Lowercase letters and digits without `0 o 1 l i`, which read alike on paper.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters of a code (in groups of four): 12 of 31 is about 59 bits, beyond guessing online.
const RECOVERY_LEN: usize = 12;

/// Ten new recovery codes, like `k7qm-2xfp-9wtd`, to show once. The store keeps only their
/// `recovery_hash`.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES).map(|_| recovery_code()).collect()
}

fn recovery_code() -> String {
    let n = RECOVERY_ALPHABET.len();
    // Rejection sampling: only bytes below the largest multiple of the alphabet's length, so
    // every character is equally likely.
    let limit = (256 / n * n) as u8;
    let mut chars = Vec::with_capacity(RECOVERY_LEN);
    let mut buf = [0u8; 32];
    while chars.len() < RECOVERY_LEN {
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf)
            .expect("the operating system's random generator is unavailable");
        for b in buf {
            if b < limit && chars.len() < RECOVERY_LEN {
                chars.push(RECOVERY_ALPHABET[usize::from(b) % n] as char);
            }
        }
    }
    let code: String = chars.into_iter().collect();
    format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12])
}

/// A recovery code as typed reduced to what identifies it: lowercase, without spaces and dashes.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// What the store keeps of a recovery code: SHA-256 hex of its normalised form, so
/// `K7QM 2XFP 9WTD` finds `k7qm-2xfp-9wtd`. A fast hash is enough: the codes are random
/// (about 59 bits), and the table beside them holds the TOTP secret readable anyway.
pub fn recovery_hash(code: &str) -> String {
    crate::tokens::hash_token(&normalise_recovery(code))
}

/// What a person typed in the one field of the second step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entered {
    /// Six digits (spaces removed): a code from the app.
    Totp(String),
    /// The `recovery_hash` of something shaped like a recovery code.
    Recovery(String),
    /// Neither: a wrong code, without touching the store.
    Malformed,
}

/// Tells a code from the app from a recovery code, so one field takes either.
pub fn parse_entered(input: &str) -> Entered {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Entered::Totp(digits);
    }
    let normal = normalise_recovery(input);
    if normal.len() == RECOVERY_LEN && normal.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        Entered::Recovery(recovery_hash(&normal))
    } else {
        Entered::Malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> Secret {
        Secret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (time, expected) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(
                code_of_step(&rfc_secret(), step_at(time), 8),
                expected,
                "T = {time}"
            );
            assert_eq!(
                verify_digits(&rfc_secret(), expected, time, None, 8),
                Some(step_at(time)),
                "T = {time}"
            );
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        // Six digits, as the product uses, against the HOTP reference values.
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64, 6), *code);
        }
        assert_eq!(code_at(&rfc_secret(), 59), "287082");
    }

    #[test]
    fn codes_of_the_neighbouring_steps_pass_and_no_others() {
        let s = Secret::generate();
        let now = 1_700_000_015; // mid-step
        let step = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_of_step(&s, step + offset, DIGITS);
            assert_eq!(
                verify(&s, &code, now, None),
                accepted.then_some(step + offset),
                "offset {offset}"
            );
        }
        // At a step's first and last second the window moves with it.
        let first = step * STEP_SECS;
        assert_eq!(
            verify(&s, &code_of_step(&s, step - 1, 6), first, None),
            Some(step - 1)
        );
        assert_eq!(
            verify(&s, &code_of_step(&s, step + 1, 6), first + 29, None),
            Some(step + 1)
        );
        assert_eq!(
            verify(&s, &code_of_step(&s, step - 1, 6), first + 30, None),
            None
        );
    }

    #[test]
    fn a_used_step_and_every_earlier_one_are_refused() {
        let s = Secret::generate();
        let now = 1_700_000_000;
        let step = step_at(now);
        let code = code_at(&s, now);
        let used = verify(&s, &code, now, None).expect("fresh code");
        assert_eq!(used, step);
        assert_eq!(verify(&s, &code, now, Some(used)), None, "replayed");
        assert_eq!(
            verify(&s, &code, now + 30, Some(used)),
            None,
            "replayed a step later"
        );
        let previous = code_of_step(&s, step - 1, DIGITS);
        assert_eq!(
            verify(&s, &previous, now, Some(used)),
            None,
            "an older code"
        );
        // The next step's code is still new, even a little early.
        let next = code_of_step(&s, step + 1, DIGITS);
        assert_eq!(verify(&s, &next, now, Some(used)), Some(step + 1));
        // A step used from a fast clock refuses the current one too.
        assert_eq!(verify(&s, &code, now, Some(step + 1)), None);
    }

    #[test]
    fn codes_are_read_with_spaces_but_never_loosely() {
        let s = Secret::generate();
        let now = 1_700_000_000;
        let code = code_at(&s, now);
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        assert_eq!(verify(&s, &spaced, now, None), Some(step_at(now)));
        assert_eq!(
            verify(&s, &format!("{code}\t"), now, None),
            Some(step_at(now))
        );
        for bad in [
            "",
            &code[..5],
            &format!("{code}0"),
            &format!("0{code}"),
            "abcdef",
            "12345x",
            "١٢٣٤٥٦", // Arabic-Indic digits are digits, but not ASCII ones
        ] {
            assert_eq!(verify(&s, bad, now, None), None, "{bad:?}");
        }
        assert_eq!(
            verify(&Secret::generate(), &code, now, None),
            None,
            "another secret"
        );
    }

    #[test]
    fn secrets_round_trip_through_base32() {
        let s = Secret::generate();
        let text = s.to_base32();
        assert_eq!(text.len(), 32, "160 bits is 32 base32 characters");
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(Secret::from_base32(&text), Some(s.clone()));
        assert_eq!(Secret::from_base32(&text.to_lowercase()), Some(s.clone()));
        assert_eq!(Secret::from_base32(&s.to_base32_grouped()), Some(s.clone()));
        assert_eq!(s.to_base32_grouped().split(' ').count(), 8);
        assert_eq!(
            Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            Some(rfc_secret())
        );
        assert_eq!(
            Secret::from_base32("GEZDGNBVGY3TQOJQ======"),
            None,
            "80 bits is too short"
        );
        assert_eq!(Secret::from_base32("not base32 at all!"), None);
        assert_eq!(Secret::from_base32(""), None);
        assert_ne!(Secret::generate(), Secret::generate());
        assert!(
            !format!("{s:?}").contains(&text[..8]),
            "Debug hides the secret"
        );
    }

    #[test]
    fn the_uri_follows_the_key_uri_format() {
        let s = rfc_secret();
        let uri = otpauth_uri("Acme Offices: HQ", "ana+ops@acme.example", &s);
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Offices%3A%20HQ:ana%2Bops%40acme.example\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Offices%3A%20HQ\
             &algorithm=SHA1&digits=6&period=30"
        );
        // One colon separates issuer and account; nothing else needs quoting for a parser.
        let label = uri
            .strip_prefix("otpauth://totp/")
            .and_then(|r| r.split('?').next())
            .unwrap();
        assert_eq!(label.matches(':').count(), 1);
        assert!(!uri.contains(' '));
        let svg = qr_svg(&uri).expect("a QR code");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(qr_svg(&"x".repeat(8000)).is_none());
    }

    #[test]
    fn recovery_codes_are_ten_distinct_unambiguous_codes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for c in &codes {
            assert_eq!(c.len(), 14, "{c}");
            let parts: Vec<&str> = c.split('-').collect();
            assert_eq!(parts.len(), 3, "{c}");
            assert!(parts.iter().all(|p| p.len() == 4), "{c}");
            assert!(
                c.bytes()
                    .all(|b| b == b'-' || RECOVERY_ALPHABET.contains(&b)),
                "{c}"
            );
            assert!(!c.contains(['0', 'o', '1', 'l', 'i']), "{c}");
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn recovery_codes_are_found_however_they_are_typed() {
        let hash = recovery_hash("k7qm-2xfp-9wtd");
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, crate::tokens::hash_token("k7qm2xfp9wtd"));
        for typed in [
            "K7QM-2XFP-9WTD",
            " k7qm 2xfp 9wtd ",
            "k7qm2xfp9wtd",
            "K7qm - 2xFp-9wtD\n",
        ] {
            assert_eq!(recovery_hash(typed), hash, "{typed:?}");
            assert_eq!(
                parse_entered(typed),
                Entered::Recovery(hash.clone()),
                "{typed:?}"
            );
        }
        assert_ne!(recovery_hash("k7qm-2xfp-9wte"), hash);
        assert_eq!(parse_entered("123 456"), Entered::Totp("123456".into()));
        assert_eq!(parse_entered("123456"), Entered::Totp("123456".into()));
        for bad in [
            "",
            "12345",
            "1234567",
            "k7qm-2xfp-9wt",
            "k7qm-2xfp-9wtdd",
            "k0qm-2xfp-9wtd",
        ] {
            assert_eq!(parse_entered(bad), Entered::Malformed, "{bad:?}");
        }
    }
}
