//! A light check of a typed mobile number that runs in the browser before any request. It
//! catches what a person can fix at once; the server's check is the authoritative one.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneHint {
    Empty,
    Letters,
    TooShort,
    TooLong,
    MisplacedPlus,
}

impl PhoneHint {
    /// The hint's message id (`domain/locales/*.ftl`); the page gives the island its words.
    pub fn key(self) -> &'static str {
        match self {
            PhoneHint::Empty => "hint-empty",
            PhoneHint::Letters => "hint-letters",
            PhoneHint::TooShort => "hint-too-short",
            PhoneHint::TooLong => "hint-too-long",
            PhoneHint::MisplacedPlus => "hint-misplaced-plus",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            PhoneHint::Empty => "Enter your mobile number.",
            PhoneHint::Letters => "A phone number has digits only. Remove any letters.",
            PhoneHint::TooShort => "That number is too short. Enter your whole mobile number.",
            PhoneHint::TooLong => "That number is too long. Check the digits.",
            PhoneHint::MisplacedPlus => "A + can only come at the very start of the number.",
        }
    }
}

/// Checks what was typed: digits with common separators, an optional leading `+` or `00`, and a
/// plausible length (E.164 allows at most 15 digits with the country code).
pub fn quick_check(input: &str) -> Result<(), PhoneHint> {
    let s = input.trim();
    if s.is_empty() {
        return Err(PhoneHint::Empty);
    }
    let mut digits = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '0'..='9' | '０'..='９' => digits += 1,
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            '+' | '＋' if i == 0 => {}
            '+' | '＋' => return Err(PhoneHint::MisplacedPlus),
            _ => return Err(PhoneHint::Letters),
        }
    }
    let international = s.starts_with('+') || s.starts_with('＋') || s.starts_with("00");
    let counted = if s.starts_with("00") {
        digits - 2
    } else {
        digits
    };
    if counted < 6 {
        return Err(PhoneHint::TooShort);
    }
    if counted > 15 || (!international && counted > 14) {
        return Err(PhoneHint::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_people_type() {
        for ok in [
            "07700 900123",
            "+44 7700 900123",
            "(201) 555-0123",
            "0044 7700 900 123",
            "７７００９００１２３",
        ] {
            assert_eq!(quick_check(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn explains_what_is_wrong() {
        assert_eq!(quick_check(""), Err(PhoneHint::Empty));
        assert_eq!(quick_check("  "), Err(PhoneHint::Empty));
        assert_eq!(quick_check("07700 9OO123"), Err(PhoneHint::Letters));
        assert_eq!(quick_check("12345"), Err(PhoneHint::TooShort));
        assert_eq!(quick_check("+1234567890123456"), Err(PhoneHint::TooLong));
        assert_eq!(quick_check("0770+0900123"), Err(PhoneHint::MisplacedPlus));
        assert_eq!(quick_check("00"), Err(PhoneHint::TooShort));
    }
}
