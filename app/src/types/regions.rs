//! The countries the phone form offers, with their calling codes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    pub dial: &'static str,
}

const fn r(code: &'static str, name: &'static str, dial: &'static str) -> Region {
    Region { code, name, dial }
}

pub const REGIONS: &[Region] = &[
    r("AU", "Australia", "61"),
    r("AT", "Austria", "43"),
    r("BE", "Belgium", "32"),
    r("CA", "Canada", "1"),
    r("DK", "Denmark", "45"),
    r("FI", "Finland", "358"),
    r("FR", "France", "33"),
    r("DE", "Germany", "49"),
    r("HK", "Hong Kong", "852"),
    r("IN", "India", "91"),
    r("IE", "Ireland", "353"),
    r("IT", "Italy", "39"),
    r("JP", "Japan", "81"),
    r("LU", "Luxembourg", "352"),
    r("NL", "Netherlands", "31"),
    r("NZ", "New Zealand", "64"),
    r("NO", "Norway", "47"),
    r("PL", "Poland", "48"),
    r("PT", "Portugal", "351"),
    r("SG", "Singapore", "65"),
    r("ZA", "South Africa", "27"),
    r("ES", "Spain", "34"),
    r("SE", "Sweden", "46"),
    r("CH", "Switzerland", "41"),
    r("AE", "United Arab Emirates", "971"),
    r("GB", "United Kingdom", "44"),
    r("US", "United States", "1"),
];

pub fn dial_code(code: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code))
        .map(|r| r.dial)
}
