//! OpenID Connect for staff sign-in, per operator: the provider's discovery document and keys,
//! the authorization code flow with PKCE, `state` and `nonce`, and the ID token's checks.
//!
//! Written over reqwest and jsonwebtoken rather than a client crate: the flow is three requests
//! and one signature check, and every check below is one a test here can see fail. The claim
//! checks are a plain function of the claims and a clock (`check_claims`), so they are tested
//! without keys or a network; jsonwebtoken checks only the signature and the algorithm.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::tokens::Token;

/// How long a provider's discovery document (and with it its keys) is kept before it is read
/// again: a provider that moves an endpoint or rotates keys is followed within minutes, and a
/// burst of sign-ins costs one request.
pub const DISCOVERY_FRESH_FOR: Duration = Duration::from_secs(5 * 60);

/// How long a sign-in may take at the provider: from the start to the callback.
pub const LOGIN_VALID_FOR_MS: i64 = 10 * 60_000;

/// Clocks disagree: a token's `exp` and `iat` are given this many seconds either way.
pub const LEEWAY_SECS: i64 = 60;

/// What we ask the provider for: an ID token, with the email and whether it is verified.
const SCOPE: &str = "openid email";

/// A provider's answers are small; a larger one is refused before it fills memory.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a sign-in through the provider did not succeed. `Display` carries the detail for the log;
/// `message` is the sentence for the person at the sign-in page, which never shows the detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("single sign-on is not set up for this operator")]
    NotConfigured,
    #[error("too many sign-in attempts from this address; try in {minutes} minutes")]
    TooManyAttempts { minutes: i64 },
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider's discovery document is not usable: {0}")]
    Discovery(String),
    #[error("the discovery document names the issuer {found:?}, not the configured {expected:?}")]
    IssuerMismatch { expected: String, found: String },
    /// The callback's `state` is not the one this browser's sign-in started with.
    #[error("the returned state is not this browser's sign-in")]
    StateMismatch,
    /// No sign-in under way for this browser: never started here, already finished, or too old.
    #[error("the sign-in was not started in this browser, was already used or has expired")]
    LoginExpired,
    /// The provider sent the browser back with `error=…` (the person cancelled, or was refused).
    #[error("the provider answered with an error: {0}")]
    Denied(String),
    #[error("the token endpoint refused the code: {0}")]
    TokenRefused(String),
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
    #[error("the ID token was issued to another client")]
    WrongAudience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token's nonce is not this sign-in's")]
    WrongNonce,
    #[error("the ID token carries no email")]
    EmailMissing,
    #[error("the provider has not verified the email")]
    EmailUnverified,
    /// The verified email is no enabled staff account of the operator whose provider signed it.
    #[error("no enabled staff account of this operator has the email")]
    NoAccount,
}

impl OidcError {
    /// The sentence for the sign-in page: what happened, in the person's terms, and what to do.
    pub fn message(&self) -> &'static str {
        match self {
            OidcError::NotConfigured => {
                "Single sign-on is not set up for this organisation. Sign in with your email and password."
            }
            OidcError::TooManyAttempts { .. } => {
                "Too many sign-in attempts from this network. Try again in a few minutes."
            }
            OidcError::Unreachable(_) => {
                "Your organisation's sign-in service could not be reached. Try again in a moment."
            }
            OidcError::Discovery(_) | OidcError::IssuerMismatch { .. } => {
                "Your organisation's sign-in service is not set up correctly. Ask an admin of your team to check the single sign-on settings."
            }
            OidcError::StateMismatch | OidcError::LoginExpired => {
                "This sign-in was not started in this browser, was already used or took too long. Start again from the sign-in page."
            }
            OidcError::Denied(_) => {
                "Your organisation's sign-in service did not sign you in. Start again from the sign-in page."
            }
            OidcError::TokenRefused(_)
            | OidcError::InvalidToken(_)
            | OidcError::WrongAudience
            | OidcError::Expired
            | OidcError::WrongNonce => {
                "Your organisation's sign-in service sent an answer that could not be trusted. Start again from the sign-in page; if it happens again, ask an admin of your team to check the single sign-on settings."
            }
            OidcError::EmailMissing => {
                "Your organisation's sign-in service did not tell us your email address. Ask an admin of your team to allow the email scope for this service."
            }
            OidcError::EmailUnverified => {
                "Your organisation's sign-in service has not verified your email address. Verify it there, then sign in again."
            }
            OidcError::NoAccount => {
                "There is no staff account with your email address in this organisation. Ask an admin of your team to add you."
            }
        }
    }

    /// A short word for the log and the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::NotConfigured => "sso-not-configured",
            OidcError::TooManyAttempts { .. } => "sso-limited",
            OidcError::Unreachable(_) => "sso-unreachable",
            OidcError::Discovery(_) => "sso-discovery",
            OidcError::IssuerMismatch { .. } => "sso-issuer",
            OidcError::StateMismatch => "sso-state",
            OidcError::LoginExpired => "sso-expired",
            OidcError::Denied(_) => "sso-denied",
            OidcError::TokenRefused(_) => "sso-token-refused",
            OidcError::InvalidToken(_) => "sso-invalid-token",
            OidcError::WrongAudience => "sso-audience",
            OidcError::Expired => "sso-token-expired",
            OidcError::WrongNonce => "sso-nonce",
            OidcError::EmailMissing => "sso-no-email",
            OidcError::EmailUnverified => "sso-unverified-email",
            OidcError::NoAccount => "sso-no-account",
        }
    }
}

/// Who the provider says signed in. Only an identity whose email the provider verified is ever
/// made (`email_verified` is always true here; it is kept so the caller need not assume it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's stable id for the person (`sub`).
    pub subject: String,
    /// Trimmed and lowercased, as staff emails are stored.
    pub email: String,
    pub email_verified: bool,
}

// ---- the issuer and its discovery document ----

/// Why an issuer URL cannot be used, in words for the settings form. `allow_http` admits
/// `http://` (development, for a provider stand-in on loopback); production needs `https://`.
pub fn issuer_problem(issuer: &str, allow_http: bool) -> Option<&'static str> {
    let Ok(url) = url::Url::parse(issuer) else {
        return Some("The issuer must be a full URL, like https://login.example.com.");
    };
    if !(url.scheme() == "https" || (allow_http && url.scheme() == "http")) {
        return Some("The issuer must start with https://.");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some("The issuer must name a host.");
    }
    // OpenID Connect Discovery §2: an issuer has no query and no fragment.
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Some("The issuer must not carry a query, a fragment or a user name.");
    }
    if issuer != issuer.trim() {
        return Some("The issuer must not start or end with spaces.");
    }
    None
}

/// Where an issuer's discovery document is: `/.well-known/openid-configuration` after the
/// issuer, without its trailing slash (Discovery §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

#[derive(Debug, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// The endpoints a checked discovery document names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoints {
    authorization: url::Url,
    token: url::Url,
    jwks: url::Url,
}

/// Checks a discovery document against the configured issuer: the document's `issuer` must be
/// the configured one exactly (Discovery §4.3: a document that names another issuer could hand
/// out that issuer's tokens as ours), its endpoints URLs of the allowed schemes, and what it
/// supports what this client does (PKCE with S256, RS256, `client_secret_basic`).
fn check_discovery(
    doc: &DiscoveryDocument,
    issuer: &str,
    allow_http: bool,
) -> Result<Endpoints, OidcError> {
    if doc.issuer != issuer {
        return Err(OidcError::IssuerMismatch {
            expected: issuer.to_owned(),
            found: doc.issuer.clone(),
        });
    }
    let endpoint = |name: &str, value: &str| -> Result<url::Url, OidcError> {
        let url = url::Url::parse(value)
            .map_err(|_| OidcError::Discovery(format!("{name} is not a URL: {value:?}")))?;
        if url.scheme() == "https" || (allow_http && url.scheme() == "http") {
            Ok(url)
        } else {
            Err(OidcError::Discovery(format!(
                "{name} must be an https:// URL, not {value:?}"
            )))
        }
    };
    let lacks = |list: &Option<Vec<String>>, value: &str| {
        list.as_ref().is_some_and(|l| !l.iter().any(|v| v == value))
    };
    if lacks(&doc.code_challenge_methods_supported, "S256") {
        return Err(OidcError::Discovery(
            "the provider does not offer PKCE with S256".into(),
        ));
    }
    if lacks(&doc.id_token_signing_alg_values_supported, "RS256") {
        return Err(OidcError::Discovery(
            "the provider does not sign ID tokens with RS256".into(),
        ));
    }
    if lacks(
        &doc.token_endpoint_auth_methods_supported,
        "client_secret_basic",
    ) {
        return Err(OidcError::Discovery(
            "the provider does not accept client_secret_basic at its token endpoint".into(),
        ));
    }
    Ok(Endpoints {
        authorization: endpoint("authorization_endpoint", &doc.authorization_endpoint)?,
        token: endpoint("token_endpoint", &doc.token_endpoint)?,
        jwks: endpoint("jwks_uri", &doc.jwks_uri)?,
    })
}

// ---- keys ----

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The provider's signing keys: the RSA keys of its JWKS meant for signatures with RS256 (a key
/// for encryption, or for another algorithm, is left out, so a token cannot name it).
#[derive(Clone)]
pub struct Jwks {
    keys: Vec<(Option<String>, DecodingKey)>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self
            .keys
            .iter()
            .map(|(kid, _)| kid.as_deref().unwrap_or("-"))
            .collect();
        write!(f, "Jwks({kids:?})")
    }
}

impl Jwks {
    pub fn from_json(body: &[u8]) -> Result<Jwks, OidcError> {
        let set: JwkSet = serde_json::from_slice(body)
            .map_err(|e| OidcError::Discovery(format!("the JWKS is not a key set: {e}")))?;
        let keys = set
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA")
            .filter(|k| k.usage.as_deref().is_none_or(|u| u == "sig"))
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == "RS256"))
            .filter_map(|k| {
                let key = DecodingKey::from_rsa_components(k.n.as_deref()?, k.e.as_deref()?);
                Some((k.kid, key.ok()?))
            })
            .collect();
        Ok(Jwks { keys })
    }

    /// The key a token's `kid` names; a token without a `kid` only when there is one key.
    fn find(&self, kid: Option<&str>) -> Option<&DecodingKey> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .map(|(_, key)| key),
            None if self.keys.len() == 1 => self.keys.first().map(|(_, key)| key),
            None => None,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

// ---- the provider ----

/// One issuer's endpoints (from its checked discovery document) and its keys.
pub struct Provider {
    pub issuer: String,
    authorization: url::Url,
    token: url::Url,
    jwks: url::Url,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<Option<Arc<Jwks>>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer)
            .field("authorization", &self.authorization.as_str())
            .field("token", &self.token.as_str())
            .field("jwks", &self.jwks.as_str())
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// The signing key a token names: from the kept key set, or, when the kept set lacks it
    /// (the provider rotated its keys), from the provider's JWKS read once more.
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, OidcError> {
        let mut kept = self.keys.lock().await;
        if let Some(key) = kept.as_ref().and_then(|jwks| jwks.find(kid)) {
            return Ok(key.clone());
        }
        let body = get(&self.http, self.jwks.clone()).await?;
        let jwks = Arc::new(Jwks::from_json(&body)?);
        *kept = Some(jwks.clone());
        jwks.find(kid).cloned().ok_or_else(|| {
            OidcError::InvalidToken(format!(
                "signed with a key the provider does not publish (kid {:?})",
                kid.unwrap_or("-")
            ))
        })
    }
}

/// Discovery documents by issuer, each kept `DISCOVERY_FRESH_FOR`. Only documents that passed
/// their checks are kept: a broken provider is asked again on the next sign-in.
pub struct Discovery {
    http: reqwest::Client,
    allow_http: bool,
    kept: Mutex<HashMap<String, (Instant, Arc<Provider>)>>,
}

impl Discovery {
    /// `allow_http`: development only, for a provider stand-in on loopback.
    pub fn new(allow_http: bool) -> Discovery {
        // No redirects: every URL this client fetches is one the issuer or its checked document
        // named, and a redirect could lead the server's requests anywhere.
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("elumo-pass/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Discovery {
            http,
            allow_http,
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The process's discovery cache. A provider's document belongs to the provider, not to a
    /// request or an operator, so one cache serves every operator that names the same issuer.
    pub fn shared(allow_http: bool) -> &'static Discovery {
        static STRICT: OnceLock<Discovery> = OnceLock::new();
        static LOOSE: OnceLock<Discovery> = OnceLock::new();
        let cell = if allow_http { &LOOSE } else { &STRICT };
        cell.get_or_init(|| Discovery::new(allow_http))
    }

    /// The provider behind `issuer`, as configured (compared exactly with its document's).
    pub async fn provider(&self, issuer: &str) -> Result<Arc<Provider>, OidcError> {
        if let Some(problem) = issuer_problem(issuer, self.allow_http) {
            return Err(OidcError::Discovery(problem.into()));
        }
        if let Some((at, provider)) = self.kept.lock().expect("discovery cache").get(issuer) {
            if at.elapsed() < DISCOVERY_FRESH_FOR {
                return Ok(provider.clone());
            }
        }
        let url = url::Url::parse(&discovery_url(issuer))
            .map_err(|_| OidcError::Discovery("the issuer is not a URL".into()))?;
        let body = get(&self.http, url).await?;
        let doc: DiscoveryDocument = serde_json::from_slice(&body).map_err(|e| {
            OidcError::Discovery(format!("the discovery document is not usable: {e}"))
        })?;
        let endpoints = check_discovery(&doc, issuer, self.allow_http)?;
        let provider = Arc::new(Provider {
            issuer: issuer.to_owned(),
            authorization: endpoints.authorization,
            token: endpoints.token,
            jwks: endpoints.jwks,
            http: self.http.clone(),
            keys: tokio::sync::Mutex::new(None),
        });
        let mut kept = self.kept.lock().expect("discovery cache");
        kept.retain(|_, (at, _)| at.elapsed() < DISCOVERY_FRESH_FOR);
        kept.insert(issuer.to_owned(), (Instant::now(), provider.clone()));
        Ok(provider)
    }
}

/// A GET whose answer must be a success, read up to `MAX_ANSWER_BYTES`.
async fn get(http: &reqwest::Client, url: url::Url) -> Result<Vec<u8>, OidcError> {
    let res = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(unreachable)?;
    let status = res.status();
    let body = read_capped(res).await?;
    if !status.is_success() {
        return Err(OidcError::Unreachable(format!("HTTP {}", status.as_u16())));
    }
    Ok(body)
}

async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, OidcError> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(OidcError::Unreachable("the answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn unreachable(e: reqwest::Error) -> OidcError {
    OidcError::Unreachable(
        if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "the request failed"
        }
        .into(),
    )
}

// ---- the flow ----

/// What a sign-in under way must remember until the provider sends the browser back: the
/// `state` (the browser keeps it in a cookie, the store its SHA-256), the `nonce` the ID token
/// must carry, and the PKCE verifier. `Token`'s `Debug` hides each.
#[derive(Debug, Clone)]
pub struct Pending {
    pub state: Token,
    pub nonce: Token,
    pub code_verifier: Token,
}

impl Pending {
    /// Fresh values, 256 bits each. A verifier of 32 random bytes is 43 base64url characters,
    /// RFC 7636's shortest, all of them from its allowed set.
    pub fn new() -> Pending {
        Pending {
            state: Token::generate(32),
            nonce: Token::generate(32),
            code_verifier: Token::generate(32),
        }
    }

    /// What the store keys the sign-in by: the state's SHA-256, never the state itself.
    pub fn state_hash(&self) -> String {
        self.state.hash()
    }
}

impl Default for Pending {
    fn default() -> Self {
        Pending::new()
    }
}

/// PKCE's S256 challenge: base64url, unpadded, of the verifier's SHA-256 (RFC 7636 §4.2).
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(expected: &str, offered: &str) -> bool {
    expected.len() == offered.len()
        && !expected.is_empty()
        && openssl::memcmp::eq(expected.as_bytes(), offered.as_bytes())
}

/// Starts a sign-in: the provider's authorization URL to send the browser to, and what must be
/// kept until it comes back.
pub fn begin(provider: &Provider, client_id: &str, redirect_uri: &str) -> (String, Pending) {
    let pending = Pending::new();
    let url = authorize_url(provider, client_id, redirect_uri, &pending);
    (url, pending)
}

fn authorize_url(
    provider: &Provider,
    client_id: &str,
    redirect_uri: &str,
    pending: &Pending,
) -> String {
    let mut url = provider.authorization.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPE)
        .append_pair("state", pending.state.expose())
        .append_pair("nonce", pending.nonce.expose())
        .append_pair(
            "code_challenge",
            &code_challenge(pending.code_verifier.expose()),
        )
        .append_pair("code_challenge_method", "S256");
    url.into()
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Finishes a sign-in when the provider sends the browser back with `state` and `code`: the
/// state must be this browser's (else the token endpoint is never asked), the code is traded at
/// the token endpoint with the PKCE verifier and the client's secret (HTTP Basic), and the ID
/// token must be signed by the provider and be for this client and this sign-in.
pub async fn finish(
    provider: &Provider,
    client_id: &str,
    client_secret: &str,
    redirect_uri: &str,
    pending: &Pending,
    returned_state: &str,
    code: &str,
) -> Result<Identity, OidcError> {
    if !same_secret(pending.state.expose(), returned_state) {
        return Err(OidcError::StateMismatch);
    }
    if code.is_empty() || code.len() > 4096 {
        return Err(OidcError::Denied(
            "the callback carries no usable code".into(),
        ));
    }
    // RFC 6749 §2.3.1: the id and secret are form-encoded before they go into Basic auth.
    let form_encoded =
        |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let res = provider
        .http
        .post(provider.token.clone())
        .basic_auth(form_encoded(client_id), Some(form_encoded(client_secret)))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pending.code_verifier.expose()),
        ])
        .send()
        .await
        .map_err(unreachable)?;
    let status = res.status();
    let body = read_capped(res).await?;
    if status.is_server_error() {
        return Err(OidcError::Unreachable(format!("HTTP {}", status.as_u16())));
    }
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
        OidcError::TokenRefused(format!("HTTP {}, not a token answer", status.as_u16()))
    })?;
    if !status.is_success() || answer.error.is_some() {
        let detail: String = [answer.error, answer.error_description]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ")
            .chars()
            .take(200)
            .collect();
        return Err(OidcError::TokenRefused(format!(
            "HTTP {}: {detail}",
            status.as_u16()
        )));
    }
    let id_token = answer
        .id_token
        .ok_or_else(|| OidcError::TokenRefused("the answer carries no id_token".into()))?;
    let kid = token_kid(&id_token)?;
    let key = provider.key(kid.as_deref()).await?;
    let expected = Expected {
        issuer: &provider.issuer,
        client_id,
        nonce: pending.nonce.expose(),
    };
    verify_id_token(&id_token, &key, &expected, unix_now())
}

// ---- the ID token ----

/// What an ID token must say to be this sign-in's.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
}

/// `aud` is one string or a list (OpenID Connect Core §2).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn all(&self) -> &[String] {
        match self {
            Audience::One(a) => std::slice::from_ref(a),
            Audience::Many(a) => a,
        }
    }
}

/// The claims this client reads. Times are read as numbers of either kind: some providers write
/// `exp` with a fraction.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: f64,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// A boolean, or the string "true" from providers that write every claim as a string.
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
}

/// The `kid` of an ID token, once its header says RS256: a token that names `none`, an HMAC
/// (which a public key would "verify" as a secret) or any other algorithm is refused here.
pub fn token_kid(id_token: &str) -> Result<Option<String>, OidcError> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|_| OidcError::InvalidToken("not a signed JWT, or an unknown algorithm".into()))?;
    if header.alg != Algorithm::RS256 {
        return Err(OidcError::InvalidToken(format!(
            "signed with {:?}, not RS256",
            header.alg
        )));
    }
    Ok(header.kid)
}

/// Checks an ID token's signature with `key` (RS256 only), then its claims at `now` (seconds).
pub fn verify_id_token(
    id_token: &str,
    key: &DecodingKey,
    expected: &Expected<'_>,
    now: i64,
) -> Result<Identity, OidcError> {
    // jsonwebtoken checks the signature and the algorithm; the claims are checked by
    // `check_claims`, with one clock, so each check is a plain function a test can call.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(id_token, key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        OidcError::InvalidToken(
            match e.kind() {
                ErrorKind::InvalidSignature => "the signature does not match the provider's key",
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    "not signed with RS256"
                }
                ErrorKind::Json(_) | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
                    "the claims are not readable"
                }
                _ => "the token is malformed",
            }
            .into(),
        )
    })?;
    check_claims(&data.claims, expected, now)
}

/// The claim checks of OpenID Connect Core §3.1.3.7, at `now` (Unix seconds).
pub fn check_claims(
    claims: &Claims,
    expected: &Expected<'_>,
    now: i64,
) -> Result<Identity, OidcError> {
    if claims.iss != expected.issuer {
        return Err(OidcError::InvalidToken(format!(
            "issued by {:?}, not {:?}",
            claims.iss, expected.issuer
        )));
    }
    let audiences = claims.aud.all();
    if !audiences.iter().any(|a| a == expected.client_id) {
        return Err(OidcError::WrongAudience);
    }
    // With several audiences the token must say which of them it was issued to (`azp`); and an
    // `azp` naming another client means the token was that client's.
    match claims.azp.as_deref() {
        Some(azp) if azp != expected.client_id => return Err(OidcError::WrongAudience),
        None if audiences.len() > 1 => return Err(OidcError::WrongAudience),
        _ => {}
    }
    if !claims.exp.is_finite() || (claims.exp as i64) + LEEWAY_SECS < now {
        return Err(OidcError::Expired);
    }
    match claims.iat {
        Some(iat) if iat.is_finite() && (iat as i64) <= now + LEEWAY_SECS => {}
        Some(_) => return Err(OidcError::InvalidToken("issued in the future".into())),
        None => return Err(OidcError::InvalidToken("no issue time (iat)".into())),
    }
    let nonce = claims.nonce.as_deref().unwrap_or("");
    if !same_secret(expected.nonce, nonce) {
        return Err(OidcError::WrongNonce);
    }
    if claims.sub.is_empty() {
        return Err(OidcError::InvalidToken("no subject (sub)".into()));
    }
    let email = claims
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| e.contains('@'))
        .ok_or(OidcError::EmailMissing)?;
    let verified = match &claims.email_verified {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    if !verified {
        return Err(OidcError::EmailUnverified);
    }
    Ok(Identity {
        subject: claims.sub.clone(),
        email,
        email_verified: true,
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const ISSUER: &str = "https://login.example.com";
    const CLIENT: &str = "elumo-pass";
    const NONCE: &str = "n-0S6_WzA2Mj-this-sign-in";
    const NOW: i64 = 1_800_000_000;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISSUER,
            client_id: CLIENT,
            nonce: NONCE,
        }
    }

    fn claims() -> serde_json::Value {
        json!({
            "iss": ISSUER,
            "sub": "248289761001",
            "aud": CLIENT,
            "exp": NOW + 300,
            "iat": NOW,
            "nonce": NONCE,
            "email": " Jane.Doe@Example.com ",
            "email_verified": true,
        })
    }

    fn check(value: serde_json::Value) -> Result<Identity, OidcError> {
        let claims: Claims = serde_json::from_value(value).expect("claims");
        check_claims(&claims, &expected(), NOW)
    }

    fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut c = claims();
        c[key] = value;
        c
    }

    fn without(key: &str) -> serde_json::Value {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(key);
        c
    }

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636 Appendix B: the verifier is the base64url of its 32 example octets.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn each_sign_in_has_its_own_long_random_values() {
        let a = Pending::new();
        let b = Pending::new();
        let verifier = a.code_verifier.expose();
        assert!(verifier.len() >= 43, "{}", verifier.len());
        assert!(verifier
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c)));
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.state, a.nonce);
        assert_eq!(a.state_hash().len(), 64);
        assert!(!format!("{a:?}").contains(a.state.expose()));
    }

    #[test]
    fn states_compare_whole() {
        assert!(same_secret("abcdef", "abcdef"));
        assert!(!same_secret("abcdef", "abcdeF"));
        assert!(!same_secret("abcdef", "abcde"));
        assert!(!same_secret("abcdef", "abcdefg"));
        assert!(!same_secret("", ""), "an empty state is no state");
    }

    #[test]
    fn a_good_token_names_the_person_by_verified_email() {
        assert_eq!(
            check(claims()),
            Ok(Identity {
                subject: "248289761001".into(),
                email: "jane.doe@example.com".into(),
                email_verified: true,
            })
        );
        assert!(check(with("email_verified", json!("true"))).is_ok());
        assert!(check(with("exp", json!(NOW as f64 + 0.5))).is_ok());
    }

    #[test]
    fn a_token_for_someone_else_or_some_other_time_is_refused() {
        let other_issuer = check(with("iss", json!("https://login.example.com/")));
        assert!(matches!(other_issuer, Err(OidcError::InvalidToken(_))));
        assert_eq!(
            check(with("aud", json!("another-client"))),
            Err(OidcError::WrongAudience)
        );
        assert_eq!(
            check(with("aud", json!(["another-client", CLIENT]))),
            Err(OidcError::WrongAudience),
            "several audiences need an azp"
        );
        let mut shared = with("aud", json!(["another-client", CLIENT]));
        shared["azp"] = json!(CLIENT);
        assert!(check(shared).is_ok());
        assert_eq!(
            check(with("azp", json!("another-client"))),
            Err(OidcError::WrongAudience)
        );
        assert_eq!(
            check(with("exp", json!(NOW - LEEWAY_SECS - 1))),
            Err(OidcError::Expired)
        );
        assert!(
            check(with("exp", json!(NOW - LEEWAY_SECS + 1))).is_ok(),
            "within the leeway"
        );
        assert!(matches!(
            check(with("iat", json!(NOW + LEEWAY_SECS + 5))),
            Err(OidcError::InvalidToken(_))
        ));
        assert!(matches!(
            check(without("iat")),
            Err(OidcError::InvalidToken(_))
        ));
        assert_eq!(
            check(with("nonce", json!("another sign-in's nonce"))),
            Err(OidcError::WrongNonce)
        );
        assert_eq!(check(without("nonce")), Err(OidcError::WrongNonce));
    }

    #[test]
    fn only_a_verified_email_signs_in() {
        assert_eq!(check(without("email")), Err(OidcError::EmailMissing));
        assert_eq!(
            check(with("email", json!("not an address"))),
            Err(OidcError::EmailMissing)
        );
        assert_eq!(
            check(with("email_verified", json!(false))),
            Err(OidcError::EmailUnverified)
        );
        assert_eq!(
            check(with("email_verified", json!("false"))),
            Err(OidcError::EmailUnverified)
        );
        assert_eq!(
            check(without("email_verified")),
            Err(OidcError::EmailUnverified)
        );
    }

    /// An RSA key pair: the signer's PEM and the JWKS entry a provider would publish.
    fn rsa_key(kid: &str) -> (EncodingKey, serde_json::Value) {
        let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
            "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
        });
        let pem = rsa.private_key_to_pem().unwrap();
        (EncodingKey::from_rsa_pem(&pem).unwrap(), jwk)
    }

    fn signed(key: &EncodingKey, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    #[test]
    fn only_the_providers_rs256_signature_is_believed() {
        let (key, jwk) = rsa_key("k1");
        let (other_key, other_jwk) = rsa_key("k2");
        let jwks =
            Jwks::from_json(json!({ "keys": [jwk, other_jwk] }).to_string().as_bytes()).unwrap();
        assert_eq!(jwks.len(), 2);
        let good = signed(&key, "k1", &claims());
        assert_eq!(token_kid(&good), Ok(Some("k1".into())));
        let k1 = jwks.find(Some("k1")).unwrap();
        assert!(verify_id_token(&good, k1, &expected(), NOW).is_ok());
        assert!(jwks.find(Some("k3")).is_none());
        assert!(jwks.find(None).is_none(), "two keys: a token must name one");

        // Signed by another key than the one it names.
        let forged = signed(&other_key, "k1", &claims());
        assert!(matches!(
            verify_id_token(&forged, k1, &expected(), NOW),
            Err(OidcError::InvalidToken(_))
        ));

        // An HMAC "signed" with the public key, and an unsigned token.
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"the provider's public key"),
        )
        .unwrap();
        assert!(matches!(token_kid(&hs), Err(OidcError::InvalidToken(_))));
        assert!(matches!(
            verify_id_token(&hs, k1, &expected(), NOW),
            Err(OidcError::InvalidToken(_))
        ));
        let body = URL_SAFE_NO_PAD.encode(claims().to_string());
        for header in [r#"{"alg":"none"}"#, r#"{"alg":"none","kid":"k1"}"#] {
            let none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(header));
            assert!(matches!(token_kid(&none), Err(OidcError::InvalidToken(_))));
            assert!(matches!(
                verify_id_token(&none, k1, &expected(), NOW),
                Err(OidcError::InvalidToken(_))
            ));
        }
    }

    #[test]
    fn the_jwks_offers_only_rsa_signing_keys() {
        let (_, jwk) = rsa_key("sig");
        let mut enc = jwk.clone();
        enc["use"] = json!("enc");
        enc["kid"] = json!("enc");
        let mut ps = jwk.clone();
        ps["alg"] = json!("PS256");
        ps["kid"] = json!("ps");
        let ec = json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"});
        let jwks =
            Jwks::from_json(json!({ "keys": [jwk, enc, ps, ec] }).to_string().as_bytes()).unwrap();
        assert_eq!(jwks.len(), 1);
        assert!(
            jwks.find(None).is_some(),
            "one key: a token need not name it"
        );
        assert!(Jwks::from_json(b"{}").is_err());
    }

    fn document(issuer: &str) -> DiscoveryDocument {
        serde_json::from_value(json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "code_challenge_methods_supported": ["plain", "S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }))
        .unwrap()
    }

    #[test]
    fn the_discovery_document_must_be_the_configured_issuers() {
        assert!(check_discovery(&document(ISSUER), ISSUER, false).is_ok());
        assert_eq!(
            check_discovery(&document("https://evil.example"), ISSUER, false),
            Err(OidcError::IssuerMismatch {
                expected: ISSUER.into(),
                found: "https://evil.example".into()
            })
        );
        assert!(matches!(
            check_discovery(&document(ISSUER), &format!("{ISSUER}/"), false),
            Err(OidcError::IssuerMismatch { .. })
        ));
        let plain = "http://127.0.0.1:4000";
        assert!(matches!(
            check_discovery(&document(plain), plain, false),
            Err(OidcError::Discovery(_))
        ));
        assert!(check_discovery(&document(plain), plain, true).is_ok());
        let mut no_pkce = document(ISSUER);
        no_pkce.code_challenge_methods_supported = Some(vec!["plain".into()]);
        assert!(matches!(
            check_discovery(&no_pkce, ISSUER, false),
            Err(OidcError::Discovery(_))
        ));
        assert_eq!(
            discovery_url("https://login.example.com/tenant/"),
            "https://login.example.com/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn issuers_are_https_urls_without_query() {
        assert_eq!(issuer_problem("https://login.example.com", false), None);
        assert_eq!(
            issuer_problem("https://login.example.com/t/1/", false),
            None
        );
        assert!(issuer_problem("http://127.0.0.1:4000", false).is_some());
        assert_eq!(issuer_problem("http://127.0.0.1:4000", true), None);
        assert!(issuer_problem("login.example.com", false).is_some());
        assert!(issuer_problem("https://login.example.com?x=1", false).is_some());
        assert!(issuer_problem("https://login.example.com#f", false).is_some());
        assert!(issuer_problem("ftp://login.example.com", true).is_some());
    }

    #[test]
    fn the_authorization_url_asks_for_code_with_pkce() {
        let provider = Provider {
            issuer: ISSUER.into(),
            authorization: url::Url::parse("https://login.example.com/authorize?tenant=a").unwrap(),
            token: url::Url::parse("https://login.example.com/token").unwrap(),
            jwks: url::Url::parse("https://login.example.com/jwks").unwrap(),
            http: reqwest::Client::new(),
            keys: tokio::sync::Mutex::new(None),
        };
        let redirect = "https://pass.example.com/admin/sso/callback";
        let (url, pending) = begin(&provider, CLIENT, redirect);
        let url = url::Url::parse(&url).unwrap();
        assert_eq!(url.path(), "/authorize");
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "a", "the endpoint's own query is kept");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], CLIENT);
        assert_eq!(q["redirect_uri"], redirect);
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["state"], pending.state.expose());
        assert_eq!(q["nonce"], pending.nonce.expose());
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            code_challenge(pending.code_verifier.expose())
        );
        assert!(!url.as_str().contains(pending.code_verifier.expose()));
    }

    #[test]
    fn every_error_has_a_sentence_without_its_detail() {
        let detail = "secret-detail-xyz";
        for e in [
            OidcError::Unreachable(detail.into()),
            OidcError::Discovery(detail.into()),
            OidcError::TokenRefused(detail.into()),
            OidcError::InvalidToken(detail.into()),
            OidcError::Denied(detail.into()),
            OidcError::IssuerMismatch {
                expected: detail.into(),
                found: detail.into(),
            },
        ] {
            assert!(!e.message().contains(detail));
            assert!(e.message().ends_with('.'));
            assert!(e.to_string().contains(detail), "the log keeps the detail");
        }
    }
}
