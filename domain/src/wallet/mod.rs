//! Wallet passes: a signed `.pkpass` for Apple Wallet and a signed "Save to Google Wallet" link.

pub mod apple;
pub mod callbacks;
pub mod certs;
pub mod google;
pub mod images;

/// What a pass shows, whichever wallet it goes to.
#[derive(Debug, Clone)]
pub struct PassContent {
    pub serial: String,
    pub operator_name: String,
    pub operator_slug: String,
    pub brand_color: String,
    pub member_name: String,
    pub site_name: Option<String>,
    pub support: Option<String>,
    pub facility_code: i64,
    pub card_number: i64,
    /// What the QR code carries, in the operator's format.
    pub payload: String,
    /// A payload of at most 64 bytes for NFC and Smart Tap (the signed token is longer).
    pub short_payload: String,
    /// Apple's PassKit web service, so Wallet can fetch updates (and a void).
    pub web_service: Option<WebService>,
    pub voided: bool,
    /// When the membership ends (milliseconds): the pass expires then.
    pub expires_at: Option<i64>,
    /// The operator's own images, (kind, PNG), in place of the generated ones.
    pub images: Vec<(String, Vec<u8>)>,
    /// The newest message staff sent to the holder.
    pub message: Option<PassMessage>,
    /// Where the site's door is: Apple shows the pass on the lock screen there.
    pub location: Option<PassLocation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PassLocation {
    pub latitude: f64,
    pub longitude: f64,
    /// "Northwind Shoreditch, main entrance: hold your phone to the reader"
    pub relevant_text: String,
}

impl PassLocation {
    /// The location of `site`, when its coordinates are set.
    pub fn of(site: &crate::store::SqlSite) -> Option<PassLocation> {
        let (latitude, longitude) = (site.latitude?, site.longitude?);
        let place = match site.entrance.as_deref().filter(|e| !e.is_empty()) {
            Some(entrance) => format!("{}, {entrance}", site.name),
            None => site.name.clone(),
        };
        Some(PassLocation {
            latitude,
            longitude,
            relevant_text: format!("{place}: hold your phone to the reader"),
        })
    }
}

/// A message on the pass: Apple shows it as a notification through the field's
/// `changeMessage` when it changes; Google through the object's message.
#[derive(Debug, Clone, PartialEq)]
pub struct PassMessage {
    pub id: i64,
    pub body: String,
    /// Google: with a notification (`TEXT_AND_NOTIFY`), or silently (`TEXT`) past 3 a day.
    pub notify: bool,
}

/// A time as RFC 3339 (what Apple's `expirationDate` and Google's `validTimeInterval` take).
pub fn rfc3339(ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebService {
    pub url: String,
    pub auth_token: String,
}

impl PassContent {
    pub fn credential_display(&self) -> String {
        crate::credentials::display(self.facility_code, self.card_number)
    }
    pub fn barcode_message(&self) -> String {
        self.payload.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("signing failed: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
    #[error("could not assemble the pass: {0}")]
    Package(String),
    #[error("could not read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
    #[error("could not sign the Google Wallet link: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    /// A wallet service did not do what was asked (unreachable, refused).
    #[error("{0}")]
    Remote(String),
}

/// "#1f4fd1" → (31, 79, 209); anything else → the default blue.
pub fn rgb(hex: &str) -> (u8, u8, u8) {
    let h = hex.trim_start_matches('#');
    if h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
        let p = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap_or(0);
        (p(0), p(2), p(4))
    } else {
        (31, 79, 209)
    }
}
