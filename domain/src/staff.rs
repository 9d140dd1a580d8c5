//! Staff sign-in: argon2id password hashes, database sessions behind an HttpOnly cookie,
//! a CSRF token per session (and one for the sign-in form, bound to a pre-session cookie), rate
//! limits per address and a lockout per account *and* address.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::state::AppState;
use crate::store::{Audit, SqlStaff, StoreError};
use crate::tokens::hash_token;

/// A signed-in staff member: who, for which operator, and the token their forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub staff_id: i64,
    pub operator_id: i64,
    pub email: String,
    pub role: Role,
    pub csrf: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages staff and settings, and everything staff do.
    Admin,
    /// Views journeys and members, invites, revokes passes.
    Staff,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }
}

/// Why a sign-in did not succeed, in words for the person at the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong email or password: one message for both, so the form does not tell which exists.
    Invalid,
    Locked {
        minutes: i64,
    },
    TooManyAttempts {
        minutes: i64,
    },
    /// The right password, but the operator's staff sign in through its provider: the slug of
    /// the operator, for the single sign-on link.
    SsoRequired {
        operator: String,
    },
}

impl LoginError {
    pub fn code(&self) -> String {
        match self {
            LoginError::Invalid => "invalid".into(),
            LoginError::Locked { minutes } => format!("locked-{minutes}"),
            LoginError::TooManyAttempts { minutes } => format!("limited-{minutes}"),
            LoginError::SsoRequired { .. } => "sso-required".into(),
        }
    }
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so a miss costs as long as a hit.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a password anyone has"))
}

/// Rules for a new password, in words.
pub fn password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < 12 {
        Some("A password needs at least 12 characters.")
    } else if password.len() > 512 {
        Some("A password can have at most 512 characters.")
    } else {
        None
    }
}

/// `__Host-` needs Secure, which browsers only accept over HTTPS; plain-HTTP development uses a
/// plain name.
pub fn cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        "__Host-elumo_admin"
    } else {
        "elumo_admin"
    }
}

fn cookie(public_url: &str, value: &str, extra: &str) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict{extra}{secure}",
        cookie_name(public_url)
    )
}

pub fn session_cookie(public_url: &str, value: &str) -> String {
    cookie(public_url, value, "")
}

pub fn clear_cookie(public_url: &str) -> String {
    cookie(public_url, "", "; Max-Age=0")
}

/// The limit that failed sign-ins count against, per email (as typed) and address. Wrong
/// second-factor codes count here too (`mfa::verify_code`).
pub(crate) const FAILED_SCOPE: &str = "admin_login_failed";

/// Sign-in attempts (passwords and second-factor codes) per client address.
pub(crate) const IP_SCOPE: &str = "admin_login_ip";

/// The key of an email's failures from one address. The email is typed by anyone, so it is
/// kept as a digest; the digest comes first so a reset can forget every address at once.
pub(crate) fn failure_key(email: &str, ip: &str) -> String {
    // IPv6 by /64, as every limit counts addresses.
    format!("{}:{}", hash_token(email), crate::limits::address_key(ip))
}

/// Forgets an email's failed sign-ins from every address (after a password reset).
pub async fn forget_failures(state: &AppState, email: &str) -> Result<(), StoreError> {
    state
        .store
        .forget_hits(FAILED_SCOPE, &format!("{}:", hash_token(email)), true)
        .await
}

pub(crate) fn minutes(ms: i64) -> i64 {
    (ms + 59_999) / 60_000
}

/// Signs in: checks the address's rate, the lock of this email from this address and the
/// password. On success the new session's cookie value.
///
/// Failures lock the email *from the address they come from*: a stranger typing wrong
/// passwords locks only their own address out, never the owner at theirs. The lock is keyed on
/// the email as typed, whether an account has it or not, so an unknown email answers exactly
/// as a real one does (invalid, then locked) and the form does not tell which exist.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<Result<crate::mfa::SignIn, LoginError>, StoreError> {
    let store = &state.store;
    let cfg = state.config.admin;
    let email = email.trim().to_lowercase();
    if let Some(ms) = store
        .hit(
            IP_SCOPE,
            &crate::limits::address_key(ip),
            cfg.logins_per_ip,
            15 * 60_000,
        )
        .await?
    {
        return Ok(Err(LoginError::TooManyAttempts {
            minutes: minutes(ms),
        }));
    }
    let key = failure_key(&email, ip);
    let window = cfg.lockout_minutes * 60_000;
    // The attempt is counted before the password is checked, in one atomic step, so parallel
    // guesses get no more tries than the lock allows; a success forgets the count.
    if let Some(ms) = store
        .hit(FAILED_SCOPE, &key, cfg.lockout_after, window)
        .await?
    {
        return Ok(Err(LoginError::Locked {
            minutes: minutes(ms),
        }));
    }
    let staff = store.staff_by_email(&email).await?;
    // A miss costs as long as a hit; a disabled account is checked after the hash for the same reason.
    let matches = match &staff {
        Some(s) => verify_password(password, &s.password_hash),
        None => {
            verify_password(password, decoy_hash());
            false
        }
    };
    let staff = match staff {
        Some(s) if matches && s.disabled_at.is_none() => s,
        other => {
            let locked = store
                .would_limit(FAILED_SCOPE, &key, cfg.lockout_after, window)
                .await?;
            if let Some(s) = &other {
                audit_as(state, s, "sign_in_failed", "", "", ip).await?;
                if let Some(ms) = locked {
                    let detail = format!("sign-in from {ip} paused for {} minutes", minutes(ms));
                    audit_as(state, s, "account_locked", "", &detail, ip).await?;
                }
            }
            return Ok(Err(match locked {
                Some(ms) => LoginError::Locked {
                    minutes: minutes(ms),
                },
                None => LoginError::Invalid,
            }));
        }
    };
    // Told only after the right password, so a guesser learns nothing of the operator.
    if crate::sso::required(state, staff.operator_id).await? {
        audit_as(
            state,
            &staff,
            "sign_in_refused",
            "",
            "password sign-in while single sign-on is required",
            ip,
        )
        .await?;
        let operator = state
            .store
            .operator(staff.operator_id)
            .await?
            .map(|o| o.slug)
            .unwrap_or_default();
        return Ok(Err(LoginError::SsoRequired { operator }));
    }
    // The failures are forgotten, and the session opened, by `after_password`: not before a
    // second factor's code, where the account has one.
    crate::mfa::after_password(state, &staff, ip).await.map(Ok)
}

// ---- the sign-in form's CSRF token ----
//
// Before sign-in there is no session to bind a token to, so the form page sets a pre-session
// cookie (random, HttpOnly, SameSite=Strict, `__Host-` over HTTPS) and carries a token derived
// from it; the sign-in POST must bring both (double submit). Another site can make a browser
// post the form but can neither read nor set the cookie, so it cannot sign a victim in to the
// attacker's account.

/// The pre-session cookie's name (`__Host-` needs HTTPS, as for the session cookie).
pub fn login_cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        "__Host-elumo_login"
    } else {
        "elumo_login"
    }
}

/// The `Set-Cookie` value for a new pre-session cookie.
pub fn login_cookie(public_url: &str, value: &str) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict{secure}",
        login_cookie_name(public_url)
    )
}

/// The request's pre-session cookie, when it has one of ours.
pub fn login_cookie_value<'a>(public_url: &str, cookie_header: Option<&'a str>) -> Option<&'a str> {
    crate::links::read_cookie(cookie_header, login_cookie_name(public_url))
        .filter(|v| crate::tokens::looks_like_token(v))
}

/// The token the sign-in form carries for a pre-session cookie: a digest, so the page never
/// shows the HttpOnly cookie itself.
pub fn login_form_token(cookie_value: &str) -> String {
    hash_token(&format!("elumo sign-in form\n{cookie_value}"))
}

/// Whether a sign-in POST brings its pre-session cookie and that cookie's form token.
pub fn login_form_ok(public_url: &str, cookie_header: Option<&str>, offered: &str) -> bool {
    let Some(value) = login_cookie_value(public_url, cookie_header) else {
        return false;
    };
    let expected = login_form_token(value);
    offered.len() == expected.len() && openssl::memcmp::eq(offered.as_bytes(), expected.as_bytes())
}

// ---- origins ----

/// The origin (`scheme://host[:port]`) of the public URL, as a browser writes it in `Origin`.
pub fn public_origin(public_url: &str) -> String {
    let url = public_url.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

/// Whether a state-changing request comes from a page that is not ours: an `Origin` other than
/// ours (`null` too: a sandboxed frame, a `data:` page or a privacy-stripped one, which can be
/// anyone), or, from a browser that sends no `Origin`, `Sec-Fetch-Site` saying another site.
/// Clients that send neither (older browsers, scripts) still need the form's token.
pub fn foreign_origin(public_url: &str, headers: &http::HeaderMap) -> bool {
    if let Some(origin) = headers.get(http::header::ORIGIN) {
        return origin
            .to_str()
            .map_or(true, |o| o.trim() != public_origin(public_url));
    }
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site" || v == "same-site")
}

async fn audit_as(
    state: &AppState,
    staff: &SqlStaff,
    action: &str,
    target: &str,
    detail: &str,
    ip: &str,
) -> Result<(), StoreError> {
    let who = (staff.operator_id, staff.id, staff.email.as_str());
    write_audit(state, who, action, target, detail, ip).await
}

/// One audit entry by (operator, staff id, email).
async fn write_audit(
    state: &AppState,
    (operator_id, staff_id, actor): (i64, i64, &str),
    action: &str,
    target: &str,
    detail: &str,
    ip: &str,
) -> Result<(), StoreError> {
    state
        .store
        .audit(&Audit {
            operator_id,
            // An API key acts without a staff account (`api_keys::Caller::as_session`).
            staff_id: (staff_id > 0).then_some(staff_id),
            actor,
            action,
            target,
            detail,
            ip,
        })
        .await
}

/// The live session behind a request's cookie header, if any.
pub async fn session_from_cookie_header(
    state: &AppState,
    cookie_header: Option<&str>,
) -> Result<Option<Session>, StoreError> {
    let name = cookie_name(&state.config.http.public_url);
    let Some(value) = crate::links::read_cookie(cookie_header, name) else {
        return Ok(None);
    };
    if value.is_empty() || value.len() > 128 {
        return Ok(None);
    }
    let id_hash = hash_token(value);
    let cfg = state.config.admin;
    let Some(s) = state
        .store
        .live_session(
            &id_hash,
            cfg.idle_minutes * 60_000,
            cfg.absolute_hours * 3_600_000,
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Session {
        id_hash,
        staff_id: s.staff_id,
        operator_id: s.operator_id,
        email: s.email,
        role: Role::parse(&s.role).unwrap_or(Role::Staff),
        csrf: s.csrf,
    }))
}

impl Session {
    /// Whether a form's token is this session's, compared in constant time.
    pub fn csrf_ok(&self, offered: &str) -> bool {
        offered.len() == self.csrf.len()
            && openssl::memcmp::eq(offered.as_bytes(), self.csrf.as_bytes())
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Writes an audit entry for this staff member's action.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        target: &str,
        detail: &str,
        ip: &str,
    ) -> Result<(), StoreError> {
        let who = (self.operator_id, self.staff_id, self.email.as_str());
        write_audit(state, who, action, target, detail, ip).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn cookies_are_host_prefixed_and_secure_over_https() {
        let c = session_cookie("https://pass.example.com", "abc");
        assert!(
            c.starts_with("__Host-elumo_admin=abc; Path=/; HttpOnly; SameSite=Strict; Secure"),
            "{c}"
        );
        let c = session_cookie("http://127.0.0.1:3000", "abc");
        assert_eq!(c, "elumo_admin=abc; Path=/; HttpOnly; SameSite=Strict");
    }

    #[test]
    fn the_sign_in_form_token_belongs_to_its_cookie() {
        let url = "https://pass.example.com";
        let cookie = "a=1; __Host-elumo_login=AAAAAAAAAAAAAAAAAAAAAA";
        let token = login_form_token("AAAAAAAAAAAAAAAAAAAAAA");
        assert!(login_form_ok(url, Some(cookie), &token));
        assert!(!login_form_ok(url, Some(cookie), ""));
        assert!(!login_form_ok(
            url,
            Some(cookie),
            &login_form_token("BBBBBBBBBBBBBBBBBBBBBB")
        ));
        assert!(!login_form_ok(url, None, &token));
        assert!(!login_form_ok(
            url,
            Some("__Host-elumo_login=short"),
            &login_form_token("short")
        ));
        assert!(login_cookie(url, "v").contains("HttpOnly; SameSite=Strict; Secure"));
    }

    #[test]
    fn only_our_origin_is_ours() {
        let mut h = http::HeaderMap::new();
        let url = "https://Pass.Example.com/";
        assert_eq!(public_origin(url), "https://pass.example.com");
        assert_eq!(
            public_origin("http://127.0.0.1:3000"),
            "http://127.0.0.1:3000"
        );
        assert!(!foreign_origin(url, &h), "no Origin: the token decides");
        for (origin, foreign) in [
            ("https://pass.example.com", false),
            ("null", true),
            ("https://evil.example", true),
            ("http://pass.example.com", true),
            ("https://pass.example.com.evil.example", true),
        ] {
            h.insert(http::header::ORIGIN, origin.parse().unwrap());
            assert_eq!(foreign_origin(url, &h), foreign, "{origin}");
        }
        h.remove(http::header::ORIGIN);
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(foreign_origin(url, &h));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!foreign_origin(url, &h));
    }
}
