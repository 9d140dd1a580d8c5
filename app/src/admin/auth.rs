//! Staff sign-in: argon2id password hashes, database sessions behind an HttpOnly cookie,
//! a CSRF token per session, rate limits per address and a lockout per account.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::state::AppState;
use crate::store::{now_ms, Audit, SqlStaff, StoreError};
use crate::tokens::{hash_token, Token};

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
}

impl LoginError {
    pub fn code(&self) -> String {
        match self {
            LoginError::Invalid => "invalid".into(),
            LoginError::Locked { minutes } => format!("locked-{minutes}"),
            LoginError::TooManyAttempts { minutes } => format!("limited-{minutes}"),
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

/// Signs in: checks the address's rate, the account's lock and the password. On success the
/// new session's cookie value.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<Result<(String, Session), LoginError>, StoreError> {
    let store = &state.store;
    let cfg = state.config.admin;
    let email = email.trim().to_lowercase();
    if let Some(ms) = store
        .hit("admin_login_ip", ip, cfg.logins_per_ip, 15 * 60_000)
        .await?
    {
        return Ok(Err(LoginError::TooManyAttempts {
            minutes: (ms + 59_999) / 60_000,
        }));
    }
    let Some(staff) = store.staff_by_email(&email).await? else {
        verify_password(password, decoy_hash());
        return Ok(Err(LoginError::Invalid));
    };
    let now = now_ms();
    if let Some(until) = staff.locked_until.filter(|t| *t > now) {
        return Ok(Err(LoginError::Locked {
            minutes: (until - now + 59_999) / 60_000,
        }));
    }
    if staff.disabled_at.is_some() || !verify_password(password, &staff.password_hash) {
        let lock_until = now + cfg.lockout_minutes * 60_000;
        let locked = store
            .record_failed_login(staff.id, cfg.lockout_after, lock_until)
            .await?;
        audit_as(state, &staff, "sign_in_failed", "", "", ip).await?;
        if locked.is_some() {
            audit_as(state, &staff, "account_locked", "", "", ip).await?;
            return Ok(Err(LoginError::Locked {
                minutes: cfg.lockout_minutes,
            }));
        }
        return Ok(Err(LoginError::Invalid));
    }
    store.reset_failed_logins(staff.id).await?;
    let secret = Token::generate(32);
    let csrf = Token::generate(24);
    store
        .insert_session(&secret.hash(), &staff, csrf.expose(), ip)
        .await?;
    audit_as(state, &staff, "signed_in", "", "", ip).await?;
    let session = Session {
        id_hash: secret.hash(),
        staff_id: staff.id,
        operator_id: staff.operator_id,
        email: staff.email.clone(),
        role: Role::parse(&staff.role).unwrap_or(Role::Staff),
        csrf: csrf.expose().to_owned(),
    };
    Ok(Ok((secret.expose().to_owned(), session)))
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
            staff_id: Some(staff_id),
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
    fn login_messages_say_what_to_do() {
        use crate::types::admin::login_text;
        assert!(login_text("locked-15").unwrap().contains("15 minutes"));
        assert!(login_text("limited-1").unwrap().contains("1 minute."));
        assert!(login_text("invalid").unwrap().contains("don't match"));
        assert_eq!(login_text("<script>"), None);
    }
}
