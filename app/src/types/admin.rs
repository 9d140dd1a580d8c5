//! The dashboard's wire types: what the admin pages render. Times arrive formatted (UTC).

use serde::{Deserialize, Serialize};

/// The signed-in staff member, on every dashboard page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub is_admin: bool,
    /// The token every form posts back.
    pub csrf: String,
    pub operator: String,
    /// When 80% or more of the operator's hourly text budget is used, or it ran out: what to say.
    pub sms_budget: Option<String>,
    /// Webhook endpoints switched off after a day of failures (admins).
    #[serde(default)]
    pub webhook_notice: Option<String>,
}

/// A dashboard page's data with the staff member who asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admin<T> {
    pub me: Me,
    pub data: T,
}

/// The journey list's filter as it appears in the URL; empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyFilter {
    pub from: String,
    pub to: String,
    pub site: String,
    pub outcome: String,
    pub q: String,
    pub page: u32,
}

impl JourneyFilter {
    /// The query string (without `?`) for this filter on another page.
    pub fn query(&self, page: u32) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("from", &self.from),
            ("to", &self.to),
            ("site", &self.site),
            ("outcome", &self.outcome),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// Percent-encodes a query value.
pub fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The outcomes a journey can show, with the words for them.
pub const OUTCOME_LABELS: [(&str, &str); 7] = [
    ("completed", "Completed"),
    ("in_progress", "In progress"),
    ("not_found", "Not found"),
    ("not_eligible", "Not eligible"),
    ("sms_failed", "SMS failed"),
    ("link_expired", "Link expired"),
    ("rate_limited", "Rate-limited"),
];

pub fn outcome_label(code: &str) -> &'static str {
    OUTCOME_LABELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("In progress")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyRow {
    pub public_id: String,
    /// (member id, full name)
    pub member: Option<(i64, String)>,
    /// The entered number, masked to its last digits.
    pub number: Option<String>,
    pub site: Option<String>,
    pub channel: String,
    pub step: String,
    pub outcome: String,
    pub platform: String,
    pub started: String,
    pub time_to_wallet: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyList {
    pub rows: Vec<JourneyRow>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub sites: Vec<(i64, String)>,
    pub filter: JourneyFilter,
    /// A sentence about filter input that could not be used.
    pub filter_problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: String,
    pub label: String,
    pub detail: String,
    /// Time since the previous event.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsView {
    pub queued: String,
    pub status: String,
    pub delivery: Option<String>,
    pub attempts: i64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassView {
    pub platform: String,
    pub voided: bool,
    /// Voided because a pass on a new phone replaced it.
    pub replaced: bool,
    /// A new phone's pass, not yet added there (the previous pass is still live).
    pub pending: bool,
    pub issued: String,
    pub updated: String,
    /// The devices the pass was added to (Apple: PassKit registrations), the active ones first.
    pub devices: Vec<DeviceView>,
    /// Set when the pass is on more devices than the operator's device rule allows.
    pub warning: Option<String>,
    /// Google: what Google's callbacks said last ("Saved to Google Wallet 1 Dec 10:02").
    pub google: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    /// The end of the device's library id, enough to tell two apart.
    pub device: String,
    pub added: String,
    pub last_seen: String,
    /// When the pass was removed from the device.
    pub removed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyDetail {
    pub row: JourneyRow,
    pub events: Vec<TimelineEvent>,
    pub sms: Vec<SmsView>,
    /// Why the number was not found, in words.
    pub reason: Option<String>,
    pub passes: Vec<PassView>,
    pub can_resend: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub label: String,
    pub count: i64,
    /// Percent of the previous step that reached this one.
    pub from_previous: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelView {
    pub from: String,
    pub to: String,
    pub steps: Vec<FunnelStep>,
    pub biggest_drop: Option<String>,
    pub completed: i64,
    pub median: Option<String>,
    pub p90: Option<String>,
    pub svg: String,
    pub filter_problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub active: bool,
    pub source: String,
    pub synced: Option<String>,
    pub problem: Option<String>,
    /// "Card 200:12345 (physical card)"
    pub credentials: Vec<String>,
    pub passes: Vec<PassView>,
    /// Where the member's pass stands: a code of `PASS_STATES`.
    pub pass_state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberList {
    pub rows: Vec<MemberRow>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub q: String,
    /// The pass state filter (`PASS_STATES`' codes), empty for every member.
    pub pass: String,
}

/// The members list's pass states: code (as `domain::devices::PassState` writes it) and label.
pub const PASS_STATES: [(&str, &str); 4] = [
    ("not_added", "Not yet added"),
    ("in_wallet", "In a wallet"),
    ("removed", "Removed"),
    ("voided", "Voided"),
];

/// A pass state's label.
pub fn pass_state_label(code: &str) -> &'static str {
    PASS_STATES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Not yet added")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub member: MemberRow,
    pub journeys: Vec<JourneyRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteRow {
    pub id: i64,
    pub poster: bool,
    /// The member's name, or the site's.
    pub target: String,
    /// active, expired or revoked
    pub state: String,
    pub created: String,
    pub expires: String,
    pub sent: Option<String>,
    pub journeys: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteList {
    pub rows: Vec<InviteRow>,
    pub sites: Vec<(i64, String)>,
    /// Active members with an email address: (id, "Name <email>")
    pub members: Vec<(i64, String)>,
    pub default_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PosterView {
    pub id: i64,
    pub operator: String,
    pub logo_url: Option<String>,
    pub site: Option<String>,
    pub url: String,
    pub qr_svg: String,
    pub brand_color: String,
    pub expires: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub name: String,
    pub brand_color: String,
    pub accent_color: String,
    pub logo_url: String,
    pub support_email: String,
    pub support_phone: String,
    pub support_url: String,
    pub default_region: String,
    pub link_minutes: i64,
    pub invite_days: i64,
    pub strict: bool,
    pub sms_countries: String,
    pub sms_hourly_budget: i64,
    pub credential_format: String,
    /// The device rule: Apple devices one pass may be on before staff are warned.
    pub max_apple_devices: i64,
    /// The kinds of image the operator uploaded (logo, icon).
    pub images: Vec<String>,
    /// The operator's sites, with where each door is.
    pub sites: Vec<SiteView>,
    /// Every language there is, whether members may read it, and its text's cost.
    pub languages: Vec<LanguageView>,
    pub default_language: String,
}

/// A language in the settings: its tag, its own name, whether it is enabled, and how many SMS
/// segments its link text takes with this operator's name and link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageView {
    pub tag: String,
    pub name: String,
    pub enabled: bool,
    pub segments: usize,
    /// `GSM-7` or `UCS-2`.
    pub encoding: String,
    pub characters: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteView {
    pub id: i64,
    pub name: String,
    /// Decimal degrees as typed back into the form ("" when unset).
    pub latitude: String,
    pub longitude: String,
    pub entrance: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    /// Signs in with a code from an authenticator app too.
    pub mfa: bool,
    pub created: String,
    pub is_me: bool,
}

/// The sign-in settings at `/admin/security`: single sign-on (the client secret is never sent
/// back, only whether one is saved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityView {
    /// The operator's id in sign-in links (`/admin/login?operator=…`).
    pub slug: String,
    pub issuer: String,
    pub client_id: String,
    pub secret_saved: bool,
    pub require_sso: bool,
    /// The redirect URI to register at the provider.
    pub callback_url: String,
    /// Every password sign-in needs a code from an authenticator app.
    pub require_mfa: bool,
}

/// The second factor at `/admin/account/mfa`, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaView {
    /// When it was turned on, if it is.
    pub enabled_since: Option<String>,
    /// Recovery codes not yet used.
    pub recovery_left: i64,
    /// The operator requires one.
    pub required: bool,
    /// Setting up: the secret to type (grouped) and the QR code (SVG markup drawn by the server).
    pub setup_secret: Option<String>,
    pub setup_qr_svg: Option<String>,
}

/// The webhooks page: the operator's endpoints, whether they may be on private networks, and the
/// event types there are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub endpoints: Vec<EndpointRow>,
    pub allow_private: bool,
    pub event_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    /// "Active", "Failing since …", or "Disabled …: why".
    pub state: String,
    pub disabled: bool,
}

/// One endpoint and its newest deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub endpoint: EndpointRow,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_type: String,
    pub message_id: String,
    /// queued, sending, delivered or failed.
    pub status: String,
    pub attempts: i64,
    pub status_code: Option<i64>,
    pub latency_ms: Option<i64>,
    pub error: Option<String>,
    pub created: String,
    /// When it was delivered, or when the next attempt is due.
    pub when: String,
}

/// An API key as the dashboard lists it (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// `read` or `read write`.
    pub scopes: String,
    pub created_by: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

/// `/admin/messages`: where a message can go, and what was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesView {
    /// (site id, name)
    pub sites: Vec<(i64, String)>,
    pub sent: Vec<MessageRow>,
    /// A member to write to, from the member page (`?member=`): (id, name).
    pub member: Option<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRow {
    pub at: String,
    pub by: String,
    /// "Every holder", "Northwind Shoreditch", "Ada Lovelace"
    pub to: String,
    pub body: String,
    /// "3 passes: 2 on Apple devices (pushed), 1 Google pass notified"
    pub reach: String,
    /// Set when some Google passes were past their 3 notifications a day.
    pub quiet: Option<String>,
}

/// The sentence behind a `?done=` or `?error=` code the dashboard's forms redirect with.
pub fn flash(code: &str) -> Option<(bool, &'static str)> {
    Some(match code {
        "resent" => (
            true,
            "A new link is on its way by text. The previous link no longer works.",
        ),
        "revoked" => (
            true,
            "The pass is revoked: its credential is in the access system's revocation feed now, and wallets on the member's devices show the pass as void within a minute.",
        ),
        "nothing-to-revoke" => (false, "There is no live pass to revoke."),
        "sso-saved" => (true, "Single sign-on is saved."),
        "wrong-code" => (false, "That code is not right, or was used already. Wait for the next code and try again."),
        "code-tries" => (false, "Too many wrong codes. Wait a few minutes and try again."),
        "mfa-already-on" => (false, "Your account has a second factor already."),
        "mfa-setup-expired" => (false, "Setting up took too long or was started again: scan the newest QR code."),
        "mfa-not-on" => (false, "Your account has no second factor to change."),
        "mfa-disabled" => (true, "The second factor is off: you sign in with your password alone."),
        "mfa-reset" => (true, "Their second factor is removed: they set a new one up at their next sign-in (or sign in with their password alone, if your team does not require one)."),
        "mfa-enrol-first" => (false, "Your team requires a code from an authenticator app at sign-in. Set it up here to use the dashboard."),
        "mfa-required" => (true, "Every password sign-in now needs a code from an authenticator app. Staff without one set it up at their next sign-in."),
        "mfa-not-required" => (true, "A second factor is no longer required (staff who have one keep using it)."),
        "mfa-self-first" => (false, "Set up your own second factor first (your account page), then require it of everyone."),
        "recovery-low" => (false, "You have few recovery codes left: make new ones below."),
        "sso-off" => (true, "Single sign-on is off: staff sign in with their passwords."),
        "sso-bad-issuer" => (false, "The issuer must be a full https:// URL, like https://login.example.com."),
        "sso-incomplete" => (false, "Set the issuer, the client ID and the client secret first."),
        "sso-unreachable" => (
            false,
            "The provider did not answer at that issuer (its /.well-known/openid-configuration). Nothing was saved: requiring single sign-on now would lock your team out.",
        ),
        "webhook-enabled" => (true, "The endpoint is on again: new events are sent to it."),
        "webhook-disabled" => (true, "The endpoint is off: no events are sent to it until you turn it on."),
        "webhook-deleted" => (true, "The endpoint and its delivery log are deleted."),
        "webhook-resent" => (true, "The message is queued to be sent again, with a new webhook-id."),
        "webhook-bad" => (false, "That is not something an endpoint can do."),
        "key-revoked" => (
            true,
            "The key is revoked: requests with it are refused from now on.",
        ),
        "key-name" => (false, "Give the key a name (up to 80 characters), so you know what uses it."),
        "message-sent" => (
            true,
            "The message is on its way to the passes: each wallet shows it when it next updates (its reach is below).",
        ),
        "message-empty" => (false, "Write the message first."),
        "site-saved" => (
            true,
            "The site is saved: its passes update, and Apple Wallet shows them on the lock screen at the door.",
        ),
        "bad-location" => (
            false,
            "A location is a latitude (−90 to 90) and a longitude (−180 to 180) in decimal degrees, both or neither, and an entrance name of at most 80 characters.",
        ),
        "message-too-long" => (false, "A message has at most 160 characters, so the lock screen shows it whole."),
        "message-no-passes" => (false, "No live pass is there to take the message."),
        "phone-lost" => (
            true,
            "The member's passes are voided: the phone shows them as no longer valid, and the access system has the revocation.",
        ),
        "phone-lost-invite-sent" => (
            true,
            "The member's passes are voided, and a new invite is on its way by email for the new phone.",
        ),
        "confirm-lost" => (
            false,
            "Tick \"The member told us the phone is lost\" to void the passes.",
        ),
        "phone-lost-no-email" => (
            false,
            "The member's passes are voided, but no invite was sent: this member has no email address on record.",
        ),
        "invite-created" => (true, "The invite is created."),
        "invite-sent" => (true, "The invite is on its way by email."),
        "invites-sent" => (true, "The invites are on their way by email."),
        "invite-revoked" => (true, "The invite is revoked: its link no longer works."),
        "saved" => (true, "Settings saved. Passes already in wallets update within a minute."),
        "image-saved" => (true, "Image saved. Passes already in wallets update within a minute."),
        "image-missing" => (false, "Choose a PNG file to upload."),
        "image-too-large" => (false, "The image is larger than 512 KB; export it smaller."),
        "image-not-png" => (false, "The file is not a PNG image. Export it as PNG and try again."),
        "image-damaged" => (false, "The PNG image is damaged or incomplete."),
        "image-logo-size" => (false, "A logo is at most 480 × 150 pixels and at least 30 pixels high (160 × 50 points at 3x)."),
        "image-icon-size" => (false, "An icon is square, between 87 and 1024 pixels wide (29 points at 3x)."),
        "image-strip-size" => (false, "A strip is 375 to 1125 pixels wide and at most 432 high (375 × 123 points at 3x)."),
        "image-kind" => (false, "Choose the logo, the icon or the strip."),
        "staff-added" => (true, "The staff account is created."),
        "staff-updated" => (true, "The staff account is updated."),
        "no-mobile" => (
            false,
            "This member has no mobile number on record, so no text can be sent.",
        ),
        "cannot-resend" => (false, "This journey has no member to text yet."),
        "limited" => (
            false,
            "This number has had too many texts recently. Try again later.",
        ),
        "no-email" => (false, "This member has no email address on record."),
        "mail-failed" => (
            false,
            "The email could not be sent. The invite exists; try Re-send in a minute.",
        ),
        "choose-members" => (false, "Choose at least one member."),
        "bad-language" => (
            false,
            "Enable at least one language, and make the default one of those enabled.",
        ),
        "bad-days" => (false, "An invite lasts between 1 and 366 days."),
        "duplicate-email" => (false, "There is already an account with this email."),
        "weak-password" => (false, "A password needs at least 12 characters."),
        "bad-email" => (false, "Enter a valid email address."),
        "bad-colour" => (false, "Colours are written like #1f4fd1."),
        "bad-region" => (false, "Choose a region from the list."),
        "bad-number" => (
            false,
            "Numbers must be whole numbers within the allowed range.",
        ),
        "bad-name" => (false, "The name can't be empty."),
        "bad-url" => (false, "Web addresses start with https://."),
        "bad-countries" => (
            false,
            "SMS countries are two-letter codes separated by commas, like GB,IE.",
        ),
        "not-yourself" => (false, "You can't change or disable your own account."),
        "expired-invite" => (false, "This invite has expired or was revoked."),
        "password-changed" => (
            true,
            "Your password is changed. Your other sessions are signed out.",
        ),
        "wrong-password" => (false, "That is not your current password."),
        "password-mismatch" => (false, "The two new passwords are not the same."),
        "password-tries" => (
            false,
            "Too many wrong passwords. Wait 15 minutes and try again.",
        ),
        "reset-sent" => (
            true,
            "A password reset link is on its way by email. It works once, within 30 minutes.",
        ),
        "reset-mail-failed" => (
            false,
            "The reset email could not be sent. Try again in a minute.",
        ),
        "staff-disabled" => (
            false,
            "This account is disabled. Enable it before sending a reset link.",
        ),
        _ => return None,
    })
}

/// The sign-in page's message after a step that ends there (`?done=`).
pub fn login_done_text(code: &str) -> Option<&'static str> {
    match code {
        "password-reset" => Some("Your new password is set. Sign in with it."),
        _ => None,
    }
}

/// Whether a password reset link can be used, as the reset page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetState {
    /// Usable: the account it sets a password for.
    Ready {
        email: String,
    },
    Used,
    Expired,
    Invalid,
}

impl ResetState {
    /// The HTTP status a page about this link answers with.
    pub fn status(&self) -> u16 {
        match self {
            ResetState::Ready { .. } => 200,
            ResetState::Used | ResetState::Expired => 410,
            ResetState::Invalid => 404,
        }
    }

    /// A title and a sentence for a link that cannot be used.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            ResetState::Ready { .. } => return None,
            ResetState::Used => (
                "This reset link was already used",
                "Each link works once. If you did not set a new password yourself, tell an admin of your team now; they can send you a new link.",
            ),
            ResetState::Expired => (
                "This reset link has expired",
                "A link works for 30 minutes, and only the newest one sent works. Ask an admin of your team for a new link.",
            ),
            ResetState::Invalid => (
                "This reset link is not valid",
                "Check that you opened the whole link from the email, or ask an admin of your team for a new one.",
            ),
        })
    }
}

/// The sign-in page's message for an error code in its URL.
pub fn login_text(code: &str) -> Option<String> {
    let minutes = |s: &str| s.parse::<i64>().ok().filter(|m| *m > 0).unwrap_or(15);
    let plural = |m: i64| if m == 1 { "" } else { "s" };
    if code == "invalid" {
        return Some(
            "That email and password don't match an account. Check both and try again.".into(),
        );
    }
    if let Some(m) = code.strip_prefix("locked-") {
        let m = minutes(m);
        return Some(format!(
            "Signing in with this email from your network is locked after too many failed sign-ins. Try again in {m} minute{}, or ask an admin of your team to send you a password reset link.",
            plural(m)
        ));
    }
    if let Some(m) = code.strip_prefix("limited-") {
        let m = minutes(m);
        return Some(format!(
            "Too many sign-in attempts from this network. Try again in {m} minute{}.",
            plural(m)
        ));
    }
    match code {
        "expired" => Some("Your session ended. Sign in again to continue.".into()),
        "signed-out" => Some("You have signed out.".into()),
        "code-expired" => Some("The sign-in took too long. Sign in again.".into()),
        "sso-required" => Some(
            "Your organisation signs its staff in with single sign-on. Continue with it below."
                .into(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn login_messages_say_what_to_do() {
        use super::login_text;
        assert!(login_text("locked-15").unwrap().contains("15 minutes"));
        assert!(login_text("limited-1").unwrap().contains("1 minute."));
        assert!(login_text("invalid").unwrap().contains("don't match"));
        assert_eq!(login_text("<script>"), None);
    }
}
