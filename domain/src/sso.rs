//! Staff sign-in through the operator's OpenID Connect provider (`oidc`): where the browser is
//! sent to sign in, and the session its return makes for the operator's staff member with the
//! provider's verified email. A sign-in under way lives in the store (`oidc_logins`), so any
//! instance may finish it; the browser keeps only its `state`, in a cookie of its own.

use crate::config::Environment;
use crate::oidc::{self, Discovery, OidcError, Pending};
use crate::staff::{Role, Session};
use crate::state::AppState;
use crate::store::{Audit, SqlStaff, StoreError};
use crate::tokens::{hash_token, Token};

/// Where the provider sends the browser back (registered at the provider as the redirect URI).
pub const CALLBACK_PATH: &str = "/admin/sso/callback";

/// The redirect URI: always on the configured public URL, never a request's Host.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{public_url}{CALLBACK_PATH}")
}

/// `__Host-` needs Secure, which browsers accept only over HTTPS, as for the session cookie.
pub fn cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        "__Host-elumo_sso"
    } else {
        "elumo_sso"
    }
}

/// The `Set-Cookie` value that carries a sign-in's `state`. SameSite=Lax, where the session's is
/// Strict: the provider sends the browser back with a navigation from its own site, on which a
/// Strict cookie is not sent (Lax is, on a top-level GET only). It lasts as long as the sign-in.
pub fn cookie(public_url: &str, value: &str) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        cookie_name(public_url),
        oidc::LOGIN_VALID_FOR_MS / 1000
    )
}

/// The `Set-Cookie` value that forgets the sign-in's cookie (the callback answers with it).
pub fn clear_cookie(public_url: &str) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        cookie_name(public_url)
    )
}

/// Plain `http://` providers only in development, for the stand-in on loopback.
fn discovery(state: &AppState) -> &'static Discovery {
    Discovery::shared(state.config.env == Environment::Development)
}

/// A sign-in started: send the browser to `authorize_url` with `set_cookie`.
pub struct Started {
    pub authorize_url: String,
    pub set_cookie: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Started(<redacted>)")
    }
}

/// Starts a staff sign-in at the provider of the operator `operator_slug`. Each start counts
/// against the address's sign-in attempts, as a password sign-in does (each writes a row).
/// An unknown operator and one without single sign-on answer alike.
pub async fn start(
    state: &AppState,
    operator_slug: &str,
    ip: &str,
) -> Result<Result<Started, OidcError>, StoreError> {
    let store = &state.store;
    let cfg = state.config.admin;
    if let Some(ms) = store
        .hit(
            "admin_login_ip",
            &crate::limits::address_key(ip),
            cfg.logins_per_ip,
            15 * 60_000,
        )
        .await?
    {
        return Ok(Err(OidcError::TooManyAttempts {
            minutes: (ms + 59_999) / 60_000,
        }));
    }
    let Some(operator) = store.operator_by_slug(operator_slug.trim()).await? else {
        return Ok(Err(OidcError::NotConfigured));
    };
    let settings = store.sso_settings(operator.id).await?.unwrap_or_default();
    let Some(client) = settings.client() else {
        return Ok(Err(OidcError::NotConfigured));
    };
    let provider = match discovery(state).provider(client.issuer).await {
        Ok(provider) => provider,
        Err(e) => return Ok(Err(refused(operator.id, e))),
    };
    let public_url = &state.config.http.public_url;
    let (authorize_url, pending) =
        oidc::begin(&provider, client.client_id, &redirect_uri(public_url));
    store
        .insert_oidc_login(
            &pending.state_hash(),
            operator.id,
            pending.nonce.expose(),
            pending.code_verifier.expose(),
            oidc::LOGIN_VALID_FOR_MS,
        )
        .await?;
    Ok(Ok(Started {
        authorize_url,
        set_cookie: cookie(public_url, pending.state.expose()),
    }))
}

/// What the provider's redirect back carries in its query.
#[derive(Clone, Default, serde::Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

/// Finishes a staff sign-in when the provider sends the browser back: the sign-in this browser
/// started (its cookie) is taken, once; the callback's `state` must be that sign-in's, the code
/// is traded for an ID token and the token checked; the operator's enabled staff account with
/// the token's verified email gets a new session. The answer is the session cookie's value.
pub async fn complete(
    state: &AppState,
    cookie_header: Option<&str>,
    callback: &Callback,
    ip: &str,
) -> Result<Result<(String, Session), OidcError>, StoreError> {
    let staff = match verified_staff(state, cookie_header, callback).await? {
        Ok(staff) => staff,
        Err(e) => return Ok(Err(e)),
    };
    let secret = Token::generate(32);
    let csrf = Token::generate(24);
    state
        .store
        .insert_session(&secret.hash(), &staff, csrf.expose(), ip)
        .await?;
    state
        .store
        .audit(&Audit {
            operator_id: staff.operator_id,
            staff_id: Some(staff.id),
            actor: &staff.email,
            action: "signed_in",
            target: "",
            detail: "single sign-on",
            ip,
        })
        .await?;
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

async fn verified_staff(
    state: &AppState,
    cookie_header: Option<&str>,
    callback: &Callback,
) -> Result<Result<SqlStaff, OidcError>, StoreError> {
    let public_url = &state.config.http.public_url;
    let Some(browser_state) = crate::links::read_cookie(cookie_header, cookie_name(public_url))
        .filter(|v| crate::tokens::looks_like_token(v))
    else {
        return Ok(Err(OidcError::LoginExpired));
    };
    // Taken before anything else is looked at: whatever the callback brings, a sign-in is
    // finished at most once, so a code or a state seen in a log cannot be tried again.
    let Some(login) = state
        .store
        .take_oidc_login(&hash_token(browser_state))
        .await?
    else {
        return Ok(Err(OidcError::LoginExpired));
    };
    let operator_id = login.operator_id;
    if let Some(error) = &callback.error {
        let error: String = error.chars().take(100).collect();
        return Ok(Err(refused(operator_id, OidcError::Denied(error))));
    }
    // Read again rather than carried from the start: settings changed meanwhile are the ones
    // that count.
    let settings = state
        .store
        .sso_settings(operator_id)
        .await?
        .unwrap_or_default();
    let Some(client) = settings.client() else {
        return Ok(Err(OidcError::NotConfigured));
    };
    let provider = match discovery(state).provider(client.issuer).await {
        Ok(provider) => provider,
        Err(e) => return Ok(Err(refused(operator_id, e))),
    };
    let pending = Pending {
        state: Token::from_user(browser_state),
        nonce: Token::from_user(&login.nonce),
        code_verifier: Token::from_user(&login.code_verifier),
    };
    let identity = match oidc::finish(
        &provider,
        client.client_id,
        client.client_secret,
        &redirect_uri(public_url),
        &pending,
        callback.state.as_deref().unwrap_or(""),
        callback.code.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(identity) => identity,
        Err(e) => return Ok(Err(refused(operator_id, e))),
    };
    Ok(
        match state
            .store
            .staff_by_operator_email(operator_id, &identity.email)
            .await?
        {
            Some(staff) if staff.disabled_at.is_none() => Ok(staff),
            _ => Err(refused(operator_id, OidcError::NoAccount)),
        },
    )
}

/// Logs why a sign-in was refused, with the detail the page does not show.
fn refused(operator_id: i64, e: OidcError) -> OidcError {
    tracing::warn!(operator_id, code = e.code(), error = %e, "single sign-on refused");
    e
}

/// Saves the operator's single sign-on settings from the dashboard's form (admins): the
/// provider's issuer, the client id, the client secret (blank keeps the one saved) and whether
/// staff must sign in through it. Requiring it needs all three and a provider that answers its
/// discovery, so no one is locked out by a typo. Answers a result code for the page.
pub async fn save_settings(
    state: &AppState,
    s: &Session,
    form: &crate::dashboard::Form,
    ip: &str,
) -> Result<&'static str, StoreError> {
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let store = &state.store;
    let saved = store.sso_settings(s.operator_id).await?.unwrap_or_default();
    let issuer = field("issuer");
    let client_id = field("client_id");
    let secret = match field("client_secret") {
        new if !new.is_empty() => Some(new),
        _ => saved.oidc_client_secret.clone(),
    };
    let require = form.get("require_sso").is_some();
    if issuer.is_empty() && client_id.is_empty() {
        store
            .set_sso_settings(s.operator_id, &crate::store::SqlSsoSettings::default())
            .await?;
        s.audit(
            state,
            "sso_settings_saved",
            "single sign-on",
            "turned off",
            ip,
        )
        .await?;
        return Ok("sso-off");
    }
    let allow_http = state.config.env == Environment::Development;
    if oidc::issuer_problem(&issuer, allow_http).is_some() {
        return Ok("sso-bad-issuer");
    }
    if client_id.is_empty() || client_id.len() > 200 || issuer.len() > 500 {
        return Ok("sso-incomplete");
    }
    let settings = crate::store::SqlSsoSettings {
        oidc_issuer: Some(issuer.clone()),
        oidc_client_id: Some(client_id),
        oidc_client_secret: secret,
        require_sso: require,
    };
    if require {
        if settings.client().is_none() {
            return Ok("sso-incomplete");
        }
        if discovery(state).provider(&issuer).await.is_err() {
            return Ok("sso-unreachable");
        }
    }
    store.set_sso_settings(s.operator_id, &settings).await?;
    let detail = format!(
        "issuer {issuer}{}",
        if require {
            ", required for all staff"
        } else {
            ""
        }
    );
    s.audit(state, "sso_settings_saved", "single sign-on", &detail, ip)
        .await?;
    Ok("sso-saved")
}

/// Whether the operator's staff must sign in through its provider (and it is set up).
pub async fn required(state: &AppState, operator_id: i64) -> Result<bool, StoreError> {
    Ok(state
        .store
        .sso_settings(operator_id)
        .await?
        .is_some_and(|s| s.require_sso && s.client().is_some()))
}
