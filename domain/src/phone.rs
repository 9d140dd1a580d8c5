//! Authoritative phone-number validation, on the server only (the library would add ~300 KB to
//! the browser bundle). Numbers are normalised to E.164 with the operator's default region.

use phonenumber::country::Id;
use phonenumber::{Mode, Type};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Enter your mobile number.")]
    Empty,
    #[error("That doesn't look like a phone number. Check the digits and try again.")]
    Unparseable,
    #[error(
        "That number isn't valid for the country you chose. Check the country and the digits."
    )]
    Invalid,
    #[error("That looks like a landline. Enter a mobile number that can receive text messages.")]
    NotMobile,
}

impl PhoneError {
    /// The same sentence in `lang` (`domain::i18n`).
    pub fn in_lang(&self, lang: &str) -> String {
        let id = match self {
            PhoneError::Empty => "number-empty",
            PhoneError::Unparseable => "number-unparseable",
            PhoneError::Invalid => "number-invalid",
            PhoneError::NotMobile => "number-not-mobile",
        };
        crate::i18n::t(lang, id, &[])
    }

    /// The error whose English sentence is `message` (as a journey's timeline keeps it).
    pub fn from_message(message: &str) -> Option<PhoneError> {
        [
            PhoneError::Empty,
            PhoneError::Unparseable,
            PhoneError::Invalid,
            PhoneError::NotMobile,
        ]
        .into_iter()
        .find(|e| e.to_string() == message)
    }
}

/// Parses what a person typed, in the context of `region` (ISO 3166 alpha-2, e.g. "GB"), and
/// returns the number in E.164 form when it is a valid number that can receive SMS.
pub fn normalise(input: &str, region: &str) -> Result<String, PhoneError> {
    let cleaned = fold(input);
    if cleaned.trim().is_empty() {
        return Err(PhoneError::Empty);
    }
    // Bound the work the parser does on hostile input.
    if cleaned.chars().count() > 40 {
        return Err(PhoneError::Unparseable);
    }
    let region: Option<Id> = region.trim().to_ascii_uppercase().parse().ok();
    let number = phonenumber::parse(region, &cleaned).map_err(|_| PhoneError::Unparseable)?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneError::Invalid);
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber => {}
        _ => return Err(PhoneError::NotMobile),
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// Folds what phones and people type into what the parser expects: full-width digits become
/// ASCII, a leading `00` becomes `+`, a trunk `(0)` after a country code is dropped, and
/// anything that is not a digit, `+` or a separator is left for the parser to reject.
fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        let c = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＋' => '+',
            _ => c,
        };
        out.push(c);
    }
    let mut s = out.replace("(0)", "");
    let trimmed = s.trim_start();
    if let Some(rest) = trimmed.strip_prefix("00") {
        s = format!("+{rest}");
    }
    s.trim().to_owned()
}

/// The region (ISO 3166 alpha-2) an E.164 number belongs to, when the library knows it.
pub fn region_of(e164: &str) -> Option<String> {
    let number = phonenumber::parse(None, e164).ok()?;
    number.country().id().map(|id| id.as_ref().to_owned())
}

/// Shows the last three digits only: what logs and screens may hold.
pub fn mask(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() <= 3 {
        return "•••".into();
    }
    let tail: String = digits[digits.len() - 3..].iter().collect();
    format!("•••• ••• {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_international_forms_agree() {
        for input in [
            "07400 123456",
            "+44 7400 123456",
            "0044 7400 123456",
            "+44 (0) 7400-123-456",
            "０７４００１２３４５６",
        ] {
            assert_eq!(
                normalise(input, "GB"),
                Ok("+447400123456".to_string()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn region_decides_national_numbers() {
        assert_eq!(normalise("0412 345 678", "AU"), Ok("+61412345678".into()));
        assert_eq!(normalise("(201) 555-0123", "US"), Ok("+12015550123".into()));
    }

    #[test]
    fn rejects_with_a_reason() {
        assert_eq!(normalise("   ", "GB"), Err(PhoneError::Empty));
        assert_eq!(normalise("call me", "GB"), Err(PhoneError::Unparseable));
        assert_eq!(normalise("07400 1234", "GB"), Err(PhoneError::Invalid));
        assert_eq!(normalise("020 7946 0123", "GB"), Err(PhoneError::NotMobile));
        assert_eq!(
            normalise(&"1".repeat(500), "GB"),
            Err(PhoneError::Unparseable)
        );
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for input in [
            "tel:+44;phone-context=",
            "+",
            "++44",
            "tel:;;;",
            "+999999999999999999",
            "\u{0}",
            "0(0)0(0)",
            "ext. 1234",
        ] {
            let _ = normalise(input, "GB");
            let _ = normalise(input, "ZZ");
        }
    }

    #[test]
    fn numbers_know_their_region() {
        assert_eq!(region_of("+447400123456").as_deref(), Some("GB"));
        assert_eq!(region_of("+61412345678").as_deref(), Some("AU"));
        assert_eq!(region_of("garbage"), None);
    }

    #[test]
    fn masks_to_the_last_three_digits() {
        assert_eq!(mask("+447400123456"), "•••• ••• 456");
        assert!(!mask("+447400123456").contains("7400"));
    }
}
