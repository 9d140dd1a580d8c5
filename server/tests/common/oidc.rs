//! An OpenID Connect provider stand-in on loopback, for the single sign-on tests: discovery, a
//! JWKS with a fresh RSA-2048 key, an authorization endpoint that approves at once (302 back to
//! the redirect URI with a code and the same `state`), and a token endpoint that checks the
//! code, the redirect URI, the PKCE verifier and the client's Basic auth before it answers with
//! a real RS256 ID token. A test says what the next token gets wrong (`next_token`) and who signs
//! in (`sign_in_as`).
//!
//! It runs on its own too (for Playwright): `POST /control` with the form fields `mode`
//! (`valid`, `wrong-audience`, `expired`, `wrong-nonce`, `unverified-email`) and `email` does
//! what `next_token` and `sign_in_as` do.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

/// The client the stand-in knows.
pub const CLIENT_ID: &str = "elumo-pass-test";
/// With characters that form encoding changes (`:` `/` `+` and a space), so a client that puts
/// the secret into Basic auth without RFC 6749's encoding is refused, as real providers do.
pub const CLIENT_SECRET: &str = "stand-in secret: not/so+secret";
/// Who signs in until a test says otherwise.
pub const DEFAULT_EMAIL: &str = "sso.staff@northwind.example";

/// What the next ID token gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Valid,
    /// Issued to another client.
    WrongAudience,
    /// Expired an hour ago.
    Expired,
    /// Carries a nonce that is not the sign-in's.
    WrongNonce,
    /// `email_verified: false`.
    UnverifiedEmail,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "valid" => Mode::Valid,
            "wrong-audience" => Mode::WrongAudience,
            "expired" => Mode::Expired,
            "wrong-nonce" => Mode::WrongNonce,
            "unverified-email" => Mode::UnverifiedEmail,
            _ => return None,
        })
    }
}

struct Key {
    kid: String,
    signer: EncodingKey,
    /// The public key's modulus and exponent, base64url as a JWK carries them.
    n: String,
    e: String,
}

fn new_key(kid: String) -> Key {
    let rsa = openssl::rsa::Rsa::generate(2048).expect("an RSA key");
    let pem = rsa.private_key_to_pem().expect("the key as PEM");
    Key {
        kid,
        signer: EncodingKey::from_rsa_pem(&pem).expect("jsonwebtoken reads the key"),
        n: URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
        e: URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
    }
}

/// What `/authorize` handed a code out for.
struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: String,
    challenge: String,
    email: String,
}

struct Inner {
    key: Key,
    keys_made: usize,
    next: Mode,
    email: String,
    /// The issuer the discovery document names, when a test wants it to name another.
    advertised_issuer: Option<String>,
    grants: HashMap<String, Grant>,
    token_requests: usize,
    jwks_requests: usize,
}

/// A running stand-in. Clones share it.
#[derive(Clone)]
pub struct OidcStandIn {
    /// `http://127.0.0.1:<port>`: the issuer, exactly as its discovery document names it.
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

/// Where `/authorize` sent the browser: the redirect URI with the code and the state.
#[derive(Debug, Clone)]
pub struct Approved {
    pub location: String,
    pub code: String,
    pub state: String,
}

impl OidcStandIn {
    /// Starts a stand-in on a free loopback port.
    pub async fn start() -> OidcStandIn {
        OidcStandIn::start_on("127.0.0.1:0").await
    }

    /// Starts a stand-in on `addr` (a fixed port for a standalone run).
    pub async fn start_on(addr: &str) -> OidcStandIn {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("the stand-in's port");
        let addr = listener.local_addr().unwrap();
        let s = OidcStandIn {
            issuer: format!("http://{addr}"),
            inner: Arc::new(Mutex::new(Inner {
                key: new_key(kid(1)),
                keys_made: 1,
                next: Mode::Valid,
                email: DEFAULT_EMAIL.into(),
                advertised_issuer: None,
                grants: HashMap::new(),
                token_requests: 0,
                jwks_requests: 0,
            })),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/control", post(control))
            .with_state(s.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        s
    }

    /// What the next ID token gets wrong (the one after it is valid again).
    pub fn next_token(&self, mode: Mode) {
        self.inner.lock().unwrap().next = mode;
    }

    /// Who signs in at the next authorizations.
    pub fn sign_in_as(&self, email: &str) {
        self.inner.lock().unwrap().email = email.into();
    }

    /// Makes the discovery document name `issuer` instead of its own.
    pub fn advertise_issuer(&self, issuer: &str) {
        self.inner.lock().unwrap().advertised_issuer = Some(issuer.into());
    }

    /// Replaces the signing key with a new one under a new `kid`; the JWKS shows only the new one.
    pub fn rotate_key(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.keys_made += 1;
        inner.key = new_key(kid(inner.keys_made));
    }

    /// How many times the token endpoint was asked.
    pub fn token_requests(&self) -> usize {
        self.inner.lock().unwrap().token_requests
    }

    /// How many times the JWKS was read.
    pub fn jwks_requests(&self) -> usize {
        self.inner.lock().unwrap().jwks_requests
    }

    /// Opens `authorize_url` as a browser would and reads where the stand-in sends it back.
    pub async fn approve(&self, authorize_url: &str) -> Approved {
        assert!(
            authorize_url.starts_with(&format!("{}/authorize?", self.issuer)),
            "{authorize_url} is not this stand-in's authorization endpoint"
        );
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client.get(authorize_url).send().await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let Some(location) = location.filter(|_| status == StatusCode::FOUND) else {
            panic!(
                "the stand-in refused the authorization request: {status} {}",
                res.text().await.unwrap_or_default()
            );
        };
        let url = reqwest::Url::parse(&location).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        Approved {
            code: q.get("code").cloned().expect("a code"),
            state: q.get("state").cloned().expect("the state"),
            location,
        }
    }
}

/// A key id no other stand-in uses: a discovery cache that outlives a stand-in (the domain keeps
/// one per process) must not find an old key under a new stand-in's kid on a reused port.
fn kid(n: usize) -> String {
    format!("stand-in-{}-{n}", &random()[..8])
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn random() -> String {
    let mut buf = [0u8; 24];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    URL_SAFE_NO_PAD.encode(buf)
}

/// A form-encoded value decoded (`+` is a space), as a provider reads Basic auth's parts.
fn form_decoded(value: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://decode.invalid/?v={value}")).ok()?;
    let decoded = url.query_pairs().next().map(|(_, v)| v.into_owned());
    decoded
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn discovery(State(s): State<OidcStandIn>) -> Response {
    let advertised = s.inner.lock().unwrap().advertised_issuer.clone();
    let issuer = &s.issuer;
    Json(json!({
        "issuer": advertised.as_deref().unwrap_or(issuer),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid", "email"],
        "claims_supported": ["sub", "email", "email_verified"],
    }))
    .into_response()
}

async fn jwks(State(s): State<OidcStandIn>) -> Response {
    let mut inner = s.inner.lock().unwrap();
    inner.jwks_requests += 1;
    let k = &inner.key;
    Json(json!({
        "keys": [{ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid, "n": k.n, "e": k.e }]
    }))
    .into_response()
}

async fn authorize(
    State(s): State<OidcStandIn>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    let problem = if field("response_type") != "code" {
        Some("response_type must be code")
    } else if field("client_id") != CLIENT_ID {
        Some("unknown client_id")
    } else if !field("scope").split(' ').any(|s| s == "openid") {
        Some("scope must include openid")
    } else if field("code_challenge_method") != "S256" || field("code_challenge").len() != 43 {
        Some("PKCE with S256 is required")
    } else if field("state").is_empty() || field("nonce").is_empty() {
        Some("state and nonce are required")
    } else {
        None
    };
    // A bad request, or one without a usable redirect URI, is answered here, never redirected.
    let mut to = match (problem, reqwest::Url::parse(field("redirect_uri"))) {
        (None, Ok(url)) => url,
        (problem, _) => {
            let problem = problem.unwrap_or("redirect_uri must be a URL");
            return (StatusCode::BAD_REQUEST, problem).into_response();
        }
    };
    let code = random();
    let mut inner = s.inner.lock().unwrap();
    let grant = Grant {
        client_id: field("client_id").into(),
        redirect_uri: field("redirect_uri").into(),
        nonce: field("nonce").into(),
        challenge: field("code_challenge").into(),
        email: inner.email.clone(),
    };
    inner.grants.insert(code.clone(), grant);
    to.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", field("state"));
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// The client's id and secret from `Authorization: Basic`, decoded.
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decoded(id)?, form_decoded(secret)?))
}

async fn token(
    State(s): State<OidcStandIn>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let mut inner = s.inner.lock().unwrap();
    inner.token_requests += 1;
    let Some((client_id, secret)) = basic_auth(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Basic auth required",
        );
    };
    if client_id != CLIENT_ID || secret != CLIENT_SECRET {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "wrong credentials",
        );
    }
    if field("grant_type") != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "");
    }
    // A code works once, whatever else the request gets wrong.
    let Some(grant) = inner.grants.remove(field("code")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or used code",
        );
    };
    if grant.client_id != client_id || grant.redirect_uri != field("redirect_uri") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri differs",
        );
    }
    let challenge = URL_SAFE_NO_PAD.encode(openssl::sha::sha256(field("code_verifier").as_bytes()));
    if challenge != grant.challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code_verifier differs",
        );
    }
    let mode = std::mem::replace(&mut inner.next, Mode::Valid);
    let now = unix_now();
    let (iat, exp) = match mode {
        Mode::Expired => (now - 7_200, now - 3_600),
        _ => (now, now + 300),
    };
    let claims = json!({
        "iss": s.issuer,
        "sub": format!("stand-in|{}", grant.email),
        "aud": if mode == Mode::WrongAudience { "another-client" } else { CLIENT_ID },
        "iat": iat,
        "exp": exp,
        "nonce": if mode == Mode::WrongNonce { "not-this-sign-ins-nonce" } else { grant.nonce.as_str() },
        "email": grant.email,
        "email_verified": mode != Mode::UnverifiedEmail,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(inner.key.kid.clone());
    let id_token = jsonwebtoken::encode(&header, &claims, &inner.key.signer).unwrap();
    Json(json!({
        "access_token": random(),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

async fn control(
    State(s): State<OidcStandIn>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(mode) = form.get("mode") {
        let Some(mode) = Mode::parse(mode) else {
            return (StatusCode::BAD_REQUEST, "unknown mode").into_response();
        };
        s.next_token(mode);
    }
    if let Some(email) = form.get("email").filter(|e| !e.is_empty()) {
        s.sign_in_as(email);
    }
    StatusCode::NO_CONTENT.into_response()
}
