//! How many SMS segments a text takes, counted as the providers count them (3GPP TS 23.038):
//! a text of GSM 03.38 7-bit characters only fits 160 in one segment and 153 a segment when
//! split (the rest carries the concatenation header); one character outside that alphabet sends
//! the whole text as UCS-2, 70 in one segment and 67 a segment when split, each character
//! outside the Basic Multilingual Plane taking two. The extension table's characters (`€`, `[`,
//! `{`, …) take two 7-bit characters.

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// A text's cost: its encoding, its length in that encoding's units, and its segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub encoding: Encoding,
    pub units: usize,
    pub segments: usize,
}

/// The GSM 03.38 default alphabet (one septet each).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape and a septet each).
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// The characters of `text` that are outside GSM 03.38 (and so make it UCS-2).
pub fn outside_gsm7(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| !BASIC.contains(*c) && !EXTENSION.contains(*c))
        .collect()
}

pub fn count(text: &str) -> Count {
    if outside_gsm7(text).is_empty() {
        let units = text
            .chars()
            .map(|c| if EXTENSION.contains(c) { 2 } else { 1 })
            .sum();
        Count {
            encoding: Encoding::Gsm7,
            units,
            segments: segments(units, 160, 153),
        }
    } else {
        let units = text.encode_utf16().count();
        Count {
            encoding: Encoding::Ucs2,
            units,
            segments: segments(units, 70, 67),
        }
    }
}

fn segments(units: usize, single: usize, each: usize) -> usize {
    match units {
        0 => 1,
        n if n <= single => 1,
        n => n.div_ceil(each),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_gsm7_160_in_one_and_153_a_part() {
        assert_eq!(count(&"a".repeat(160)).segments, 1);
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        assert_eq!(count("").segments, 1);
    }

    #[test]
    fn the_gsm_accents_stay_gsm7_and_the_extension_takes_two() {
        let c = count("Hallo Jürgen, é è à ñ ß Ä Ö Ü");
        assert_eq!(c.encoding, Encoding::Gsm7);
        let euro = count(&format!("{}€", "a".repeat(159)));
        assert_eq!(
            (euro.encoding, euro.units, euro.segments),
            (Encoding::Gsm7, 161, 2)
        );
    }

    /// One character outside the alphabet (a French ê, a Spanish á, a typographic apostrophe)
    /// makes the whole text UCS-2: 70 in one segment, 67 a part.
    #[test]
    fn one_character_outside_halves_what_fits() {
        for odd in ['ê', 'á', 'ç', '’', '…'] {
            let text = format!("{odd}{}", "a".repeat(69));
            let c = count(&text);
            assert_eq!((c.encoding, c.segments), (Encoding::Ucs2, 1), "{odd}");
            let c = count(&format!("{text}a"));
            assert_eq!(c.segments, 2, "{odd}");
        }
        assert_eq!(count(&format!("ê{}", "a".repeat(133))).segments, 2);
        assert_eq!(count(&format!("ê{}", "a".repeat(134))).segments, 3);
        assert_eq!(outside_gsm7("Réservé à vous, ça"), vec!['ç']);
    }

    /// An emoji lies beyond the Basic Multilingual Plane: two UCS-2 units (a surrogate pair).
    #[test]
    fn characters_beyond_the_bmp_take_two_units() {
        let c = count("Hi 👋");
        assert_eq!((c.encoding, c.units), (Encoding::Ucs2, 5));
    }
}
