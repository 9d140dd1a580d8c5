//! Pieces the pages share.

mod brand_header;
mod language_switch;
mod live_refresh;
mod not_found_notice;
mod phone_form;
#[cfg(feature = "ssr")]
mod problem_document;
mod problem_view;
mod unavailable_view;
mod web_otp;

pub use brand_header::BrandHeader;
pub use language_switch::{LanguageSwitch, PageLang};
pub use live_refresh::LiveRefresh;
pub use not_found_notice::NotFoundNotice;
pub use phone_form::PhoneForm;
#[cfg(feature = "ssr")]
pub use problem_document::ProblemDocument;
pub use problem_view::ProblemView;
pub use unavailable_view::UnavailableView;
pub use web_otp::WebOtp;
