//! What crosses the wire between the server and the browser: plain values, no secrets.

pub mod admin;
pub mod phone_hint;
mod regions;

pub use phone_hint::{quick_check, PhoneHint};
pub use regions::{dial_code, Region, REGIONS};

use serde::{Deserialize, Serialize};

/// A page's words in its language, formatted by the server (`domain::i18n`); the browser gets
/// them with the page, so the WASM carries no translations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Texts {
    /// The page's language tag (`<html lang>`).
    pub lang: String,
    pub words: std::collections::BTreeMap<String, String>,
    /// What the language switch offers: each enabled language's tag and its own name.
    pub languages: Vec<(String, String)>,
    /// The phone form's countries: code and label ("Österreich (+43)"), in the language's
    /// alphabetical order (sorted by the server, so the browser carries no table or collation).
    pub countries: Vec<(String, String)>,
}

impl Texts {
    /// The message `id`, or the id itself when the page was not given it.
    pub fn t(&self, id: &str) -> String {
        self.words.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// The operator's face on the phone pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branding {
    pub name: String,
    pub brand_color: String,
    pub accent_color: String,
    pub support: SupportContact,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SupportContact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub url: Option<String>,
}

impl SupportContact {
    /// The best way to reach the operator as a link target, and how to show it.
    pub fn link(&self) -> Option<(String, String)> {
        if let Some(url) = &self.url {
            return Some((url.clone(), "contact support".into()));
        }
        if let Some(email) = &self.email {
            return Some((format!("mailto:{email}"), email.clone()));
        }
        self.phone
            .as_ref()
            .map(|p| (format!("tel:{}", p.replace(' ', "")), p.clone()))
    }
}

/// What the phone page needs to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteView {
    pub token: String,
    pub branding: Branding,
    pub site_name: Option<String>,
    pub default_region: String,
    pub journey: String,
    /// Set when the page shows the answer to an earlier submission (the no-JavaScript path).
    pub previous: Option<SubmitOutcome>,
    pub texts: Texts,
}

/// Why an invite page cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InviteProblem {
    Unknown,
    Expired,
}

/// The answer to a submitted mobile number, as the person sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubmitOutcome {
    /// Matched: the next page tells the person to check their messages.
    Matched { next: String },
    /// The number is not one the server accepts; `message` says why, `number` is what was typed.
    Invalid {
        message: String,
        number: String,
        region: String,
    },
    /// Not in the directory, or not eligible. The person sees the seed's message either way.
    NotFound { number: String, region: String },
    /// The invite is no longer usable.
    InviteGone { problem: InviteProblem },
    /// Too many attempts; `message` says when to try again.
    RateLimited {
        message: String,
        number: String,
        region: String,
    },
}

/// What a server function answers when it cannot do its work. The text is for people; the
/// detail behind it is in the server's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// Our side failed (the database, a provider). Trying again later may work.
    Unavailable,
    /// The request itself could not be read (a stale page, a hand-made request).
    BadRequest,
    /// The dashboard needs a signed-in staff member.
    SignIn,
    /// The signed-in staff member's role does not allow this.
    Forbidden,
    /// No such thing for this operator (or it belongs to another).
    NotFound,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AppError::Unavailable => {
                "Something went wrong on our side. Please try again in a moment."
            }
            AppError::BadRequest => "We couldn't read that request. Reload the page and try again.",
            AppError::SignIn => "Sign in to continue.",
            AppError::Forbidden => "Only an admin of your team can do this.",
            AppError::NotFound => {
                "We couldn't find that. It may have been removed, or the link is incomplete."
            }
        })
    }
}

impl std::error::Error for AppError {}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_)
            | E::Deserialization(_)
            | E::MissingArg(_)
            | E::UnsupportedRequestMethod(_) => AppError::BadRequest,
            _ => AppError::Unavailable,
        }
    }
}

/// The phone page's data: ready to use, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvitePage {
    Ready(Box<InviteView>),
    Problem(InviteProblem, Texts),
}

/// The "check your messages" page's data. (A wire type built once per request: its size does
/// not matter.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SentPage {
    Ready {
        branding: Branding,
        masked_number: String,
        invite_url: String,
        token: String,
        journey: String,
        /// Set after a "send again": how it went.
        notice: Option<String>,
        /// The operator's strict enumeration mode: the page never says whether the number matched.
        strict: bool,
        /// How long the texted link works.
        link_minutes: u64,
        texts: Texts,
    },
    Problem(InviteProblem, Texts),
}

/// Why an SMS link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkProblem {
    /// Not a link we sent.
    Unknown,
    /// Its time ran out.
    Expired,
    /// A newer text replaced it.
    Replaced,
    /// Another browser already used it.
    Used,
    /// The member is no longer eligible for a pass.
    NotEligible,
}

/// The wallet page: what the person sees after opening the SMS link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletView {
    pub token: String,
    pub branding: Branding,
    pub first_name: String,
    pub site_name: Option<String>,
    pub credential: Option<String>,
    /// The phone looks like an iPhone or iPad (Apple's button first), else Google's first.
    pub apple_first: bool,
    /// Chrome on iOS cannot add a downloaded pass to Wallet; the page says so.
    pub ios_chrome: bool,
    /// The member has the pass on another phone: adding it here replaces that one.
    pub other_phone: bool,
    pub texts: Texts,
    /// The official badge artwork, when the operator dropped it into the site's `badges/` folder.
    pub apple_badge: Option<String>,
    pub google_badge: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WalletPage {
    Ready(Box<WalletView>),
    Problem {
        problem: LinkProblem,
        can_restart: bool,
        branding: Option<Branding>,
        texts: Box<Texts>,
    },
}

/// What "send again" answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ResendOutcome {
    Sent,
    Wait { seconds: i64 },
    NotPossible,
}
