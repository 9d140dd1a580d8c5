//! Staff passwords after sign-up: changing one's own (the current one required, other sessions
//! ended) and the owner's one-time reset link by email (30 minutes, used once, only its hash
//! kept).

use super::{Form, Session};
use crate::mail::Mail;
use crate::staff as auth;
use crate::state::AppState;
use crate::store::{now_ms, StoreError};
use crate::tokens::{hash_token, looks_like_token, Token};

/// Whether a password reset link can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetState {
    /// Usable: the account it sets a password for.
    Ready {
        email: String,
    },
    Used,
    Expired,
    Invalid,
}

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;

/// Wrong current passwords on the change form count here, per account.
const CHECK_SCOPE: &str = "admin_password_check";

fn value<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or("")
}

/// The new password's problem, if any: the rules of staff creation, and the same twice.
fn new_password_problem(new: &str, confirm: &str) -> Option<&'static str> {
    if auth::password_problem(new).is_some() {
        Some("weak-password")
    } else if new != confirm {
        Some("password-mismatch")
    } else {
        None
    }
}

/// Changes the signed-in staff member's password (form: `current_password`, `new_password`,
/// `confirm`). Their other sessions end; this one goes on.
pub async fn change_password(
    state: &AppState,
    s: &Session,
    form: &Form,
    ip: &str,
) -> Result<&'static str, StoreError> {
    let store = &state.store;
    let cfg = state.config.admin;
    let key = s.staff_id.to_string();
    let window = cfg.lockout_minutes * 60_000;
    // A session left open must not become a way to guess the password behind it. Each try
    // counts before the check (atomically: parallel tries get no more); a success forgets them.
    if store
        .hit(CHECK_SCOPE, &key, cfg.lockout_after, window)
        .await?
        .is_some()
    {
        return Ok("password-tries");
    }
    let Some(staff) = store.staff_member(s.operator_id, s.staff_id).await? else {
        return Ok("wrong-password");
    };
    if !auth::verify_password(value(form, "current_password"), &staff.password_hash) {
        let limited = store
            .would_limit(CHECK_SCOPE, &key, cfg.lockout_after, window)
            .await?;
        s.audit(state, "password_change_failed", "", "", ip).await?;
        return Ok(if limited.is_some() {
            "password-tries"
        } else {
            "wrong-password"
        });
    }
    store.forget_hits(CHECK_SCOPE, &key, false).await?;
    let new = value(form, "new_password");
    if let Some(code) = new_password_problem(new, value(form, "confirm")) {
        return Ok(code);
    }
    store
        .set_staff_password(staff.id, &auth::hash_password(new), Some(&s.id_hash))
        .await?;
    s.audit(state, "password_changed", "", "other sessions ended", ip)
        .await?;
    Ok("password-changed")
}

fn reset_mail(operator: &str, actor: &str, email: &str, url: &str) -> String {
    format!(
        "Hello,\n\n{actor} asked for a new password for your {operator} dashboard account ({email}).\n\n\
         Open this link within {RESET_MINUTES} minutes to choose a new password:\n{url}\n\n\
         The link works once. Setting a new password signs you out everywhere.\n\
         If you did not expect this email, tell {actor}."
    )
}

/// Emails a staff member of the admin's operator a one-time reset link (the caller checked the
/// role). `None` when the account is not the operator's.
pub async fn send_reset(
    state: &AppState,
    s: &Session,
    staff_id: i64,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let store = &state.store;
    let Some(staff) = store.staff_member(s.operator_id, staff_id).await? else {
        return Ok(None);
    };
    if staff.disabled_at.is_some() {
        return Ok(Some("staff-disabled"));
    }
    let operator = store
        .operator(s.operator_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let token = Token::generate(32);
    store
        .create_password_reset(&staff, s.staff_id, &token.hash(), RESET_MINUTES * 60_000)
        .await?;
    let url = format!(
        "{}/admin/reset/{}",
        state.config.http.public_url.trim_end_matches('/'),
        token.expose()
    );
    let mail = Mail {
        to_name: &staff.email,
        to_email: &staff.email,
        subject: &format!("Set a new password for the {operator} dashboard"),
        body: reset_mail(&operator, &s.email, &staff.email, &url),
    };
    let sent = match state.mailer.send(&state.config.mail.from, &mail).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "password reset email failed");
            false
        }
    };
    s.audit(
        state,
        "password_reset_sent",
        &staff.email,
        if sent { "by email" } else { "email failed" },
        ip,
    )
    .await?;
    Ok(Some(if sent {
        "reset-sent"
    } else {
        "reset-mail-failed"
    }))
}

/// What a reset link in a URL can do. Reads only: opening the page (a mail scanner does)
/// uses nothing.
pub async fn reset_state(state: &AppState, token: &str) -> Result<ResetState, StoreError> {
    if !looks_like_token(token) {
        return Ok(ResetState::Invalid);
    }
    let Some(r) = state.store.password_reset(&hash_token(token)).await? else {
        return Ok(ResetState::Invalid);
    };
    Ok(if r.disabled_at.is_some() {
        ResetState::Invalid
    } else if r.used_at.is_some() {
        ResetState::Used
    } else if r.expires_at <= now_ms() {
        ResetState::Expired
    } else {
        ResetState::Ready { email: r.email }
    })
}

/// What posting the reset form did.
#[derive(Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// The password is set and the account's sessions ended: on to the sign-in form.
    Done,
    /// The new password was not acceptable (a flash code); the link still works.
    Retry(&'static str),
    /// The link cannot be used.
    Refused(ResetState),
}

/// Sets a new password through a reset link (form: `password`, `confirm`).
pub async fn use_reset(
    state: &AppState,
    token: &str,
    form: &Form,
    ip: &str,
) -> Result<ResetOutcome, StoreError> {
    let current = reset_state(state, token).await?;
    if !matches!(current, ResetState::Ready { .. }) {
        return Ok(ResetOutcome::Refused(current));
    }
    let new = value(form, "password");
    if let Some(code) = new_password_problem(new, value(form, "confirm")) {
        return Ok(ResetOutcome::Retry(code));
    }
    // The claim is one statement: of two racing posts, or a post racing the expiry, one wins.
    let Some(staff) = state
        .store
        .use_password_reset(&hash_token(token), &auth::hash_password(new))
        .await?
    else {
        return Ok(ResetOutcome::Refused(reset_state(state, token).await?));
    };
    // The person may have locked their own address out before asking for the link.
    auth::forget_failures(state, &staff.email).await?;
    state
        .store
        .audit(&crate::store::Audit {
            operator_id: staff.operator_id,
            staff_id: Some(staff.id),
            actor: &staff.email,
            action: "password_reset_used",
            target: "",
            detail: "sessions ended",
            ip,
        })
        .await?;
    Ok(ResetOutcome::Done)
}
