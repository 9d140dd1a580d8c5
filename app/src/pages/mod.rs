//! One page a file.

pub mod admin;
mod home_page;
mod not_found_page;
mod phone_page;
mod sent_page;
mod wallet_page;

pub use home_page::HomePage;
pub use not_found_page::NotFoundPage;
pub use phone_page::PhonePage;
pub use sent_page::SentPage;
pub use wallet_page::WalletPage;

use crate::types::Branding;

/// The operator's colours as CSS custom properties, only if they are plain hex colours.
pub(crate) fn brand_style(b: &Branding) -> String {
    let hex = |c: &str| {
        let ok =
            c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| c.to_owned())
    };
    let mut style = String::new();
    if let Some(c) = hex(&b.brand_color) {
        style.push_str(&format!("--brand: {c};"));
    }
    if let Some(c) = hex(&b.accent_color) {
        style.push_str(&format!("--accent: {c};"));
    }
    style
}
