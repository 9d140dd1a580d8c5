//! The second factor of staff password accounts, at sign-in and on the account page. After a
//! right password an account with TOTP gets a challenge (a cookie for five minutes), not a
//! session; a code from the app or a recovery code turns it into one. An operator can require a
//! second factor: an account without one then signs in only to set it up. Wrong codes count
//! where wrong passwords do (per account and address, `staff::login`), and all of it is audited.
//! The codes themselves are `totp`; what is stored, `store/mfa.rs`.

use crate::staff::{self, Role, Session};
use crate::state::AppState;
use crate::store::{
    now_ms, Audit, Count, NewSession, SecondFactor, SqlMfaChallenge, SqlSessionMfa, SqlStaff,
    SqlTotp, StoreError,
};
use crate::tokens::{hash_token, looks_like_token, Token};
use crate::totp::{self, Entered, Secret};

/// How long the code step waits after the password step.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Codes one challenge takes; then the password is asked again.
pub const CHALLENGE_ATTEMPTS: i64 = 5;

/// Wrong codes for one account from every address together. The per-address lock
/// (`staff::FAILED_SCOPE`) cannot be aimed at the owner, but whoever reaches the code step
/// knows the password, and from many addresses would get many guesses: this bounds them. It can
/// hold the owner up for an hour only when their password is already known (and audited so).
const ACCOUNT_SCOPE: &str = "admin_mfa_failed";
const ACCOUNT_MAX: i64 = 20;
const ACCOUNT_WINDOW_MS: i64 = 3_600_000;

/// Codes typed in a signed-in session (confirming, turning off, new recovery codes), per
/// account: a session left open must not become a way to guess them (as for passwords).
const CHECK_SCOPE: &str = "admin_mfa_check";

// ---- decisions ----

/// What a right password leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// A session: no second factor, none required.
    Session,
    /// The code step: the account has a second factor (required or not).
    Challenge,
    /// A session that can only set up a second factor: the operator requires one.
    Enrol,
}

pub fn next_step(totp_enabled: bool, operator_requires: bool) -> NextStep {
    match (totp_enabled, operator_requires) {
        (true, _) => NextStep::Challenge,
        (false, true) => NextStep::Enrol,
        (false, false) => NextStep::Session,
    }
}

/// Whether a session may only set up a second factor: it was opened by a password alone where
/// the operator requires a factor (single sign-on sessions never are), and still the operator
/// requires one and the account has none. Dropping the requirement lifts it at once; turning
/// it on ends the sessions of staff without a factor (`Store::set_require_mfa`).
pub fn restricted(m: &SqlSessionMfa) -> bool {
    m.enrol_only && m.require_mfa && m.totp_enabled_at.is_none()
}

/// Whether a challenge can still take a code.
pub fn challenge_live(c: &SqlMfaChallenge, now_ms: i64) -> bool {
    c.used_at.is_none()
        && c.expires_at > now_ms
        && c.attempts < CHALLENGE_ATTEMPTS
        && c.disabled_at.is_none()
        && c.totp_secret.is_some()
}

/// What a typed code would claim, if anything: a step the app's code matches (newer than the
/// last one used), or a recovery code to try (the store knows whether it is one).
pub fn decide_factor<'a>(
    c: &'a SqlMfaChallenge,
    entered: &'a Entered,
    now_secs: i64,
) -> Option<SecondFactor<'a>> {
    match entered {
        Entered::Totp(code) => {
            let stored = c.totp_secret.as_deref()?;
            let secret = Secret::from_base32(stored)?;
            let step = totp::verify(&secret, code, now_secs, c.totp_last_step)?;
            Some(SecondFactor::Step {
                secret: stored,
                step,
            })
        }
        Entered::Recovery(hash) => Some(SecondFactor::Recovery { code_hash: hash }),
        Entered::Malformed => None,
    }
}

// ---- the password step's answer ----

/// What the sign-in form leads to once the password is right.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Signed in: the session cookie's value and the session.
    SignedIn { secret: String, session: Session },
    /// The code step: the challenge cookie's value.
    SecondFactor { token: String },
    /// Signed in only to set up a second factor (the operator requires one).
    MustEnrol { secret: String, session: Session },
}

/// The rest of `staff::login` once the password is right and the account enabled: a challenge
/// for an account with a second factor, else a session (restricted when the operator requires a
/// factor the account lacks).
pub async fn after_password(
    state: &AppState,
    staff: &SqlStaff,
    ip: &str,
) -> Result<SignIn, StoreError> {
    let store = &state.store;
    let t = store.totp_state(staff.id).await?;
    let step = next_step(
        t.as_ref().is_some_and(SqlTotp::enabled),
        t.as_ref().is_some_and(|t| t.require_mfa),
    );
    let who = (staff.operator_id, staff.id, staff.email.as_str());
    if step == NextStep::Challenge {
        // The password's failed tries are not forgotten yet: the code's tries count on with
        // them, so a right password does not buy fresh guesses at the code.
        let token = Token::generate(32);
        store
            .create_mfa_challenge(&token.hash(), staff.id, ip, CHALLENGE_MINUTES * 60_000)
            .await?;
        audit(
            state,
            who,
            "mfa_challenged",
            "password right, code asked",
            ip,
        )
        .await?;
        return Ok(SignIn::SecondFactor {
            token: token.expose().to_owned(),
        });
    }
    store
        .forget_hits(
            staff::FAILED_SCOPE,
            &staff::failure_key(&staff.email, ip),
            false,
        )
        .await?;
    let enrol_only = step == NextStep::Enrol;
    let (secret, session) = open_session(state, staff, enrol_only, ip).await?;
    Ok(if enrol_only {
        audit(state, who, "signed_in", "to set up a second factor", ip).await?;
        SignIn::MustEnrol { secret, session }
    } else {
        audit(state, who, "signed_in", "", ip).await?;
        SignIn::SignedIn { secret, session }
    })
}

async fn open_session(
    state: &AppState,
    staff: &SqlStaff,
    enrol_only: bool,
    ip: &str,
) -> Result<(String, Session), StoreError> {
    let secret = Token::generate(32);
    let csrf = Token::generate(24);
    if enrol_only {
        state
            .store
            .insert_enrol_session(&secret.hash(), staff, csrf.expose(), ip)
            .await?;
    } else {
        state
            .store
            .insert_session(&secret.hash(), staff, csrf.expose(), ip)
            .await?;
    }
    let session = session_of(
        secret.hash(),
        (staff.id, staff.operator_id),
        &staff.email,
        &staff.role,
        csrf.expose(),
    );
    Ok((secret.expose().to_owned(), session))
}

/// The one place a `Session` is built here (the shape `staff::login` builds).
fn session_of(
    id_hash: String,
    (staff_id, operator_id): (i64, i64),
    email: &str,
    role: &str,
    csrf: &str,
) -> Session {
    Session {
        id_hash,
        staff_id,
        operator_id,
        email: email.to_owned(),
        role: Role::parse(role).unwrap_or(Role::Staff),
        csrf: csrf.to_owned(),
    }
}

// ---- the code step ----

/// Why a code did not sign in, in words for the person at the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    /// Not the code (or a used one): try again.
    Wrong,
    /// The challenge is over (expired, used, out of tries, or never was): sign in again.
    Expired,
    /// This account is locked from this address (the sign-in form's lock).
    Locked { minutes: i64 },
    /// Too many sign-in attempts from this address.
    TooManyAttempts { minutes: i64 },
}

impl CodeError {
    /// The flash code; `locked-` and `limited-` are the sign-in form's own.
    pub fn code(&self) -> String {
        match self {
            CodeError::Wrong => "wrong-code".into(),
            CodeError::Expired => "code-expired".into(),
            CodeError::Locked { minutes } => format!("locked-{minutes}"),
            CodeError::TooManyAttempts { minutes } => format!("limited-{minutes}"),
        }
    }
}

/// A code that signed in.
#[derive(Debug, Clone)]
pub struct CodeAccepted {
    /// The session cookie's value.
    pub secret: String,
    pub session: Session,
    /// After a recovery code, how many are left (the page suggests new ones when few are).
    pub recovery_left: Option<i64>,
}

/// Whether the code page should show its form for this challenge cookie. Reads only.
pub async fn challenge_open(state: &AppState, token: &str) -> Result<bool, StoreError> {
    if !looks_like_token(token) {
        return Ok(false);
    }
    Ok(state
        .store
        .mfa_challenge(&hash_token(token))
        .await?
        .is_some_and(|c| challenge_live(&c, now_ms())))
}

/// The code step: the challenge behind the cookie `token` and what was typed (a code from the
/// app or a recovery code). On success the new session.
///
/// Every try counts before the code is checked, each in one atomic step, as the password's
/// do: against the address's sign-in rate, the challenge's five tries, and the lock of this
/// account from this address (the same count the password step fills, so the password and code
/// share one allowance), and this account's wrong codes from every address.
pub async fn verify_code(
    state: &AppState,
    token: &str,
    entered: &str,
    ip: &str,
) -> Result<Result<CodeAccepted, CodeError>, StoreError> {
    let store = &state.store;
    let cfg = state.config.admin;
    if !looks_like_token(token) {
        return Ok(Err(CodeError::Expired));
    }
    if let Some(ms) = store
        .hit(
            staff::IP_SCOPE,
            &crate::limits::address_key(ip),
            cfg.logins_per_ip,
            15 * 60_000,
        )
        .await?
    {
        return Ok(Err(CodeError::TooManyAttempts {
            minutes: staff::minutes(ms),
        }));
    }
    let id_hash = hash_token(token);
    let Some(c) = store.mfa_attempt(&id_hash, CHALLENGE_ATTEMPTS).await? else {
        return Ok(Err(CodeError::Expired));
    };
    // Disabled, or its factor turned off, since the password step: the password step decides
    // again.
    if c.disabled_at.is_some() || c.totp_secret.is_none() {
        return Ok(Err(CodeError::Expired));
    }
    let key = staff::failure_key(&c.email, ip);
    let account = c.staff_id.to_string();
    let window = cfg.lockout_minutes * 60_000;
    let counts = [
        Count {
            scope: staff::FAILED_SCOPE,
            key: &key,
            max: cfg.lockout_after,
            window_ms: window,
            add: 1,
        },
        Count {
            scope: ACCOUNT_SCOPE,
            key: &account,
            max: ACCOUNT_MAX,
            window_ms: ACCOUNT_WINDOW_MS,
            add: 1,
        },
    ];
    if let Some((_, ms)) = store.count_all(&counts).await? {
        return Ok(Err(CodeError::Locked {
            minutes: staff::minutes(ms),
        }));
    }
    let now = now_ms();
    let entered = totp::parse_entered(entered);
    let who = (c.operator_id, c.staff_id, c.email.as_str());
    let secret = Token::generate(32);
    let csrf = Token::generate(24);
    let session_hash = secret.hash();
    let signed_in = match decide_factor(&c, &entered, now / 1000) {
        Some(factor) => {
            let session = NewSession {
                id_hash: &session_hash,
                csrf: csrf.expose(),
                ip,
            };
            store
                .complete_mfa_challenge(&id_hash, &c, factor, &session)
                .await?
        }
        None => false,
    };
    let recovery = matches!(entered, Entered::Recovery(_));
    if !signed_in {
        let what = if recovery {
            "unknown or used recovery code"
        } else {
            "wrong code"
        };
        audit(state, who, "mfa_failed", what, ip).await?;
        let locked = match store
            .would_limit(staff::FAILED_SCOPE, &key, cfg.lockout_after, window)
            .await?
        {
            Some(ms) => Some(ms),
            None => {
                store
                    .would_limit(ACCOUNT_SCOPE, &account, ACCOUNT_MAX, ACCOUNT_WINDOW_MS)
                    .await?
            }
        };
        if let Some(ms) = locked {
            let detail = format!(
                "second factor from {ip} paused for {} minutes",
                staff::minutes(ms)
            );
            audit(state, who, "account_locked", &detail, ip).await?;
            return Ok(Err(CodeError::Locked {
                minutes: staff::minutes(ms),
            }));
        }
        return Ok(Err(if c.attempts >= CHALLENGE_ATTEMPTS {
            CodeError::Expired
        } else {
            CodeError::Wrong
        }));
    }
    // The account-wide count is not forgotten: it bounds guesses per hour whoever signs in.
    store.forget_hits(staff::FAILED_SCOPE, &key, false).await?;
    let recovery_left = if recovery {
        Some(store.recovery_codes_left(c.staff_id).await?)
    } else {
        None
    };
    let detail = match recovery_left {
        Some(n) => format!("with a recovery code ({n} left)"),
        None => "with an authenticator code".to_owned(),
    };
    audit(state, who, "signed_in", &detail, ip).await?;
    let session = session_of(
        session_hash,
        (c.staff_id, c.operator_id),
        &c.email,
        &c.role,
        csrf.expose(),
    );
    Ok(Ok(CodeAccepted {
        secret: secret.expose().to_owned(),
        session,
        recovery_left,
    }))
}

// ---- the challenge cookie ----

/// The challenge cookie's name (`__Host-` needs HTTPS, as for the session cookie).
pub fn challenge_cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        "__Host-elumo_mfa"
    } else {
        "elumo_mfa"
    }
}

fn challenge_cookie_with(public_url: &str, value: &str, max_age: i64) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        challenge_cookie_name(public_url)
    )
}

/// The `Set-Cookie` value for a new challenge: it lasts as long as the challenge.
pub fn challenge_cookie(public_url: &str, value: &str) -> String {
    challenge_cookie_with(public_url, value, CHALLENGE_MINUTES * 60)
}

pub fn clear_challenge_cookie(public_url: &str) -> String {
    challenge_cookie_with(public_url, "", 0)
}

/// The request's challenge cookie, when it has one of ours.
pub fn challenge_cookie_value<'a>(
    public_url: &str,
    cookie_header: Option<&'a str>,
) -> Option<&'a str> {
    crate::links::read_cookie(cookie_header, challenge_cookie_name(public_url))
        .filter(|v| looks_like_token(v))
}

// ---- the account page: setting up, turning off, new recovery codes ----

/// What the setup page shows: the QR code, and the secret to type for an app that cannot scan.
#[derive(Clone)]
pub struct Enrolment {
    /// Base32 in groups of four.
    pub secret: String,
    pub uri: String,
    pub qr_svg: Option<String>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

/// The second factor as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub enabled_at: Option<i64>,
    pub setting_up: bool,
    pub recovery_left: i64,
    pub required: bool,
}

pub async fn status(state: &AppState, s: &Session) -> Result<Option<Status>, StoreError> {
    Ok(state.store.totp_state(s.staff_id).await?.map(|t| Status {
        enabled_at: t.totp_enabled_at.filter(|_| t.enabled()),
        setting_up: t.totp_pending_secret.is_some() && !t.enabled(),
        recovery_left: t.recovery_left,
        required: t.require_mfa,
    }))
}

/// Whether this session may only set up a second factor (see `restricted`): the dashboard
/// then offers the setup page and signing out, nothing else.
pub async fn session_must_enrol(state: &AppState, s: &Session) -> Result<bool, StoreError> {
    Ok(state
        .store
        .session_mfa(&s.id_hash)
        .await?
        .is_some_and(|m| restricted(&m)))
}

async fn enrolment_for(
    state: &AppState,
    s: &Session,
    secret: &Secret,
) -> Result<Enrolment, StoreError> {
    // The issuer is what the app lists the code under: the operator's name says which
    // dashboard it opens.
    let issuer = state
        .store
        .operator(s.operator_id)
        .await?
        .map(|o| o.name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "elumo pass".to_owned());
    let uri = totp::otpauth_uri(&issuer, &s.email, secret);
    Ok(Enrolment {
        secret: secret.to_base32_grouped(),
        qr_svg: totp::qr_svg(&uri),
        uri,
    })
}

/// Starts setting up (form post): a new secret waits for its first code. Starting again
/// replaces it, so only the newest QR code works. `Err("mfa-already-on")` when the account has
/// a second factor.
pub async fn begin_enrolment(
    state: &AppState,
    s: &Session,
    ip: &str,
) -> Result<Result<Enrolment, &'static str>, StoreError> {
    let secret = Secret::generate();
    if !state
        .store
        .begin_totp(s.staff_id, &secret.to_base32())
        .await?
    {
        return Ok(Err("mfa-already-on"));
    }
    s.audit(state, "mfa_setup_started", "", "", ip).await?;
    Ok(Ok(enrolment_for(state, s, &secret).await?))
}

/// The setup page for an enrolment in progress (reads only): `None` when there is none.
pub async fn pending_enrolment(
    state: &AppState,
    s: &Session,
) -> Result<Option<Enrolment>, StoreError> {
    let Some(t) = state.store.totp_state(s.staff_id).await? else {
        return Ok(None);
    };
    let enabled = t.enabled();
    let pending = t
        .totp_pending_secret
        .filter(|_| !enabled)
        .and_then(|p| Secret::from_base32(&p));
    Ok(match pending {
        Some(secret) => Some(enrolment_for(state, s, &secret).await?),
        None => None,
    })
}

/// Counts a code typed in a signed-in session against `CHECK_SCOPE`: `false` when the account
/// has had too many.
async fn check_allowed(state: &AppState, s: &Session) -> Result<bool, StoreError> {
    let cfg = state.config.admin;
    Ok(state
        .store
        .hit(
            CHECK_SCOPE,
            &s.staff_id.to_string(),
            cfg.lockout_after,
            cfg.lockout_minutes * 60_000,
        )
        .await?
        .is_none())
}

async fn check_passed(state: &AppState, s: &Session) -> Result<(), StoreError> {
    state
        .store
        .forget_hits(CHECK_SCOPE, &s.staff_id.to_string(), false)
        .await
}

/// Confirms the setup with the first code from the app (form post): the second factor is on,
/// the account's other sessions end, and the recovery codes come back to be shown once.
pub async fn confirm_enrolment(
    state: &AppState,
    s: &Session,
    code: &str,
    ip: &str,
) -> Result<Result<Vec<String>, &'static str>, StoreError> {
    if !check_allowed(state, s).await? {
        return Ok(Err("code-tries"));
    }
    let Some(t) = state.store.totp_state(s.staff_id).await? else {
        return Ok(Err("mfa-setup-expired"));
    };
    if t.enabled() {
        return Ok(Err("mfa-already-on"));
    }
    let Some(pending) = t.totp_pending_secret else {
        return Ok(Err("mfa-setup-expired"));
    };
    let step = Secret::from_base32(&pending)
        .and_then(|secret| totp::verify(&secret, code, now_ms() / 1000, None));
    let Some(step) = step else {
        s.audit(state, "mfa_check_failed", "", "setting up", ip)
            .await?;
        return Ok(Err("wrong-code"));
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    // Only if the pending secret is still the one the code matched (another tab may have
    // started over).
    if !state
        .store
        .confirm_totp(s.staff_id, &pending, step, &hashes, &s.id_hash)
        .await?
    {
        return Ok(Err("mfa-setup-expired"));
    }
    check_passed(state, s).await?;
    s.audit(state, "mfa_enabled", "", "other sessions ended", ip)
        .await?;
    Ok(Ok(codes))
}

/// Checks a code typed in a signed-in session against the account's factor and uses it (a
/// step once, a recovery code once). Counts toward `CHECK_SCOPE`; audits a wrong one.
async fn prove_factor(
    state: &AppState,
    s: &Session,
    code: &str,
    why: &str,
    ip: &str,
) -> Result<Result<(), &'static str>, StoreError> {
    if !check_allowed(state, s).await? {
        return Ok(Err("code-tries"));
    }
    let store = &state.store;
    let Some(t) = store.totp_state(s.staff_id).await?.filter(SqlTotp::enabled) else {
        return Ok(Err("mfa-not-on"));
    };
    let stored = t.totp_secret.as_deref().unwrap_or_default();
    let used = match totp::parse_entered(code) {
        Entered::Totp(digits) => match Secret::from_base32(stored)
            .and_then(|secret| totp::verify(&secret, &digits, now_ms() / 1000, t.totp_last_step))
        {
            Some(step) => store.use_totp_step(s.staff_id, stored, step).await?,
            None => false,
        },
        Entered::Recovery(hash) => store.use_recovery_code(s.staff_id, &hash).await?,
        Entered::Malformed => false,
    };
    if !used {
        s.audit(state, "mfa_check_failed", "", why, ip).await?;
        return Ok(Err("wrong-code"));
    }
    check_passed(state, s).await?;
    Ok(Ok(()))
}

/// Turns one's own second factor off (form post, with a code or a recovery code): the other
/// sessions end. Where the operator requires a factor, the session is then restricted to
/// setting one up again (how a new phone is set up).
pub async fn turn_off(
    state: &AppState,
    s: &Session,
    code: &str,
    ip: &str,
) -> Result<&'static str, StoreError> {
    if let Err(problem) = prove_factor(state, s, code, "turning off", ip).await? {
        return Ok(problem);
    }
    if !state
        .store
        .disable_totp(s.operator_id, s.staff_id, &s.id_hash)
        .await?
    {
        return Ok("mfa-not-on");
    }
    s.audit(state, "mfa_disabled", "", "other sessions ended", ip)
        .await?;
    Ok("mfa-disabled")
}

/// New recovery codes (form post, with a code): the old ones stop working.
pub async fn renew_recovery_codes(
    state: &AppState,
    s: &Session,
    code: &str,
    ip: &str,
) -> Result<Result<Vec<String>, &'static str>, StoreError> {
    if let Err(problem) = prove_factor(state, s, code, "new recovery codes", ip).await? {
        return Ok(Err(problem));
    }
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    if !state
        .store
        .replace_recovery_codes(s.staff_id, &hashes)
        .await?
    {
        return Ok(Err("mfa-not-on"));
    }
    s.audit(
        state,
        "mfa_recovery_renewed",
        "",
        "older codes stop working",
        ip,
    )
    .await?;
    Ok(Ok(codes))
}

// ---- the operator's admins ----

/// Turns off a colleague's second factor (a lost phone), within the admin's operator (the
/// caller checked the role): their sessions end, and they set it up again at their next
/// sign-in when the operator requires it. `None` when the account is not the operator's.
pub async fn reset_for(
    state: &AppState,
    s: &Session,
    staff_id: i64,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let Some(staff) = state.store.staff_member(s.operator_id, staff_id).await? else {
        return Ok(None);
    };
    let keep = if staff.id == s.staff_id {
        s.id_hash.as_str()
    } else {
        ""
    };
    if !state
        .store
        .disable_totp(s.operator_id, staff.id, keep)
        .await?
    {
        return Ok(Some("mfa-not-on"));
    }
    s.audit(state, "mfa_reset", &staff.email, "sessions ended", ip)
        .await?;
    Ok(Some("mfa-reset"))
}

/// Requires (or stops requiring) a second factor of the operator's staff (the caller checked
/// the role). The admin turning it on must have one first, so the setting cannot shut out the
/// person setting it.
pub async fn set_required(
    state: &AppState,
    s: &Session,
    required: bool,
    ip: &str,
) -> Result<&'static str, StoreError> {
    if required
        && !state
            .store
            .totp_state(s.staff_id)
            .await?
            .is_some_and(|t| t.enabled())
    {
        return Ok("mfa-self-first");
    }
    state.store.set_require_mfa(s.operator_id, required).await?;
    let action = if required {
        "mfa_required"
    } else {
        "mfa_not_required"
    };
    s.audit(state, action, "", "", ip).await?;
    Ok(if required {
        "mfa-required"
    } else {
        "mfa-not-required"
    })
}

/// One audit entry by (operator, staff id, email), for the steps before a session exists.
async fn audit(
    state: &AppState,
    (operator_id, staff_id, actor): (i64, i64, &str),
    action: &str,
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
            target: "",
            detail,
            ip,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(secret: &Secret) -> SqlMfaChallenge {
        SqlMfaChallenge {
            staff_id: 1,
            operator_id: 1,
            email: "ana@acme.example".into(),
            role: "staff".into(),
            disabled_at: None,
            totp_secret: Some(secret.to_base32()),
            totp_last_step: None,
            attempts: 1,
            expires_at: 1_000_000,
            used_at: None,
        }
    }

    #[test]
    fn a_right_password_leads_on_by_the_factor_and_the_requirement() {
        assert_eq!(next_step(false, false), NextStep::Session);
        assert_eq!(next_step(true, false), NextStep::Challenge);
        assert_eq!(next_step(true, true), NextStep::Challenge);
        assert_eq!(next_step(false, true), NextStep::Enrol);
    }

    #[test]
    fn only_a_password_session_without_a_required_factor_is_restricted() {
        let m = SqlSessionMfa {
            enrol_only: true,
            require_mfa: true,
            totp_enabled_at: None,
        };
        assert!(restricted(&m));
        let sso = SqlSessionMfa {
            enrol_only: false,
            ..m
        };
        assert!(!restricted(&sso), "single sign-on or a factor at sign-in");
        let dropped = SqlSessionMfa {
            require_mfa: false,
            ..m
        };
        assert!(!restricted(&dropped), "the requirement was dropped");
        let set_up = SqlSessionMfa {
            totp_enabled_at: Some(1),
            ..m
        };
        assert!(!restricted(&set_up), "the factor is set up");
    }

    #[test]
    fn a_challenge_lives_five_tries_until_it_expires_or_is_used() {
        let c = challenge(&Secret::generate());
        assert!(challenge_live(&c, 999_999));
        assert!(!challenge_live(&c, 1_000_000), "expired");
        let used = SqlMfaChallenge {
            used_at: Some(5),
            ..c.clone()
        };
        assert!(!challenge_live(&used, 0));
        let tried = SqlMfaChallenge {
            attempts: CHALLENGE_ATTEMPTS,
            ..c.clone()
        };
        assert!(!challenge_live(&tried, 0));
        let disabled = SqlMfaChallenge {
            disabled_at: Some(1),
            ..c.clone()
        };
        assert!(!challenge_live(&disabled, 0));
        let off = SqlMfaChallenge {
            totp_secret: None,
            ..c
        };
        assert!(!challenge_live(&off, 0));
    }

    #[test]
    fn a_code_claims_its_step_and_a_recovery_code_is_left_to_the_store() {
        let secret = Secret::generate();
        let now = 1_700_000_000;
        let c = challenge(&secret);
        let right = totp::parse_entered(&totp::code_at(&secret, now));
        match decide_factor(&c, &right, now) {
            Some(SecondFactor::Step { step, secret: s }) => {
                assert_eq!(step, totp::step_at(now));
                assert_eq!(s, secret.to_base32());
            }
            _ => panic!("the right code claims its step"),
        }
        let used = SqlMfaChallenge {
            totp_last_step: Some(totp::step_at(now)),
            ..c.clone()
        };
        assert!(decide_factor(&used, &right, now).is_none(), "replayed");
        let wrong = totp::parse_entered(&totp::code_at(&Secret::generate(), now));
        assert!(decide_factor(&c, &wrong, now).is_none() || wrong == right);
        let recovery = totp::parse_entered("k7qm-2xfp-9wtd");
        assert!(matches!(
            decide_factor(&c, &recovery, now),
            Some(SecondFactor::Recovery { .. })
        ));
        assert!(decide_factor(&c, &totp::parse_entered("hello"), now).is_none());
    }

    #[test]
    fn code_errors_use_the_sign_in_forms_codes() {
        assert_eq!(CodeError::Wrong.code(), "wrong-code");
        assert_eq!(CodeError::Expired.code(), "code-expired");
        assert_eq!(CodeError::Locked { minutes: 15 }.code(), "locked-15");
        assert_eq!(
            CodeError::TooManyAttempts { minutes: 3 }.code(),
            "limited-3"
        );
    }

    #[test]
    fn the_challenge_cookie_is_host_prefixed_and_short_lived() {
        let c = challenge_cookie("https://pass.example.com", "abc");
        assert_eq!(
            c,
            "__Host-elumo_mfa=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=300; Secure"
        );
        assert!(clear_challenge_cookie("http://127.0.0.1:3000").starts_with("elumo_mfa=; "));
        let token = Token::generate(32);
        let header = format!("a=1; __Host-elumo_mfa={}", token.expose());
        assert_eq!(
            challenge_cookie_value("https://pass.example.com", Some(&header)),
            Some(token.expose())
        );
        assert_eq!(
            challenge_cookie_value("https://pass.example.com", Some("__Host-elumo_mfa=x")),
            None
        );
    }
}
