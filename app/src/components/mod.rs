//! Pieces the pages share.

mod brand_header;
mod live_refresh;
mod not_found_notice;
mod phone_form;
mod problem_view;
mod unavailable_view;
mod web_otp;

pub use brand_header::BrandHeader;
pub use live_refresh::LiveRefresh;
pub use not_found_notice::NotFoundNotice;
pub use phone_form::PhoneForm;
pub use problem_view::ProblemView;
pub use unavailable_view::UnavailableView;
pub use web_otp::WebOtp;
