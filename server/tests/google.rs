//! Google Wallet through its REST API, against loopback stand-ins for Google's token service and
//! the Wallet API: the service account's token (a JWT bearer grant), class and object inserted
//! before the link, a short link carrying only the object id, 409 on insert meaning "update it",
//! a refreshed token after a 401, and a revocation setting the object INACTIVE.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Google {
    /// Tokens handed out; only the newest is accepted while `expired` is false.
    tokens: Arc<Mutex<Vec<String>>>,
    expired: Arc<Mutex<bool>>,
    assertions: Arc<Mutex<Vec<String>>>,
    classes: Arc<Mutex<Vec<String>>>,
    objects: Arc<Mutex<HashMap<String, Value>>>,
    /// method, path, status answered
    calls: Arc<Mutex<Vec<(String, String, u16)>>>,
}

async fn token(
    State(g): State<Google>,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        get("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    g.assertions.lock().unwrap().push(get("assertion").unwrap());
    let mut tokens = g.tokens.lock().unwrap();
    let t = format!("ya29.test-{}", tokens.len() + 1);
    tokens.push(t.clone());
    *g.expired.lock().unwrap() = false;
    axum::Json(json!({"access_token": t, "expires_in": 3599, "token_type": "Bearer"}))
        .into_response()
}

async fn api(
    State(g): State<Google>,
    method: Method,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let valid = g.tokens.lock().unwrap().last() == Some(&bearer) && !*g.expired.lock().unwrap();
    let (status, out) = if !valid {
        (
            401,
            json!({"error": {"code": 401, "message": "Request had invalid authentication credentials."}}),
        )
    } else {
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        match (
            method.as_str(),
            rest.split('/').collect::<Vec<_>>().as_slice(),
        ) {
            ("POST", ["genericClass"]) => {
                let id = v["id"].as_str().unwrap().to_owned();
                let mut classes = g.classes.lock().unwrap();
                if classes.contains(&id) {
                    (
                        409,
                        json!({"error": {"code": 409, "message": "Resource already exists"}}),
                    )
                } else {
                    classes.push(id);
                    (200, v)
                }
            }
            ("POST", ["genericObject"]) => {
                let id = v["id"].as_str().unwrap().to_owned();
                match g.objects.lock().unwrap().entry(id) {
                    std::collections::hash_map::Entry::Occupied(_) => (
                        409,
                        json!({"error": {"code": 409, "message": "Resource already exists"}}),
                    ),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(v.clone());
                        (200, v)
                    }
                }
            }
            ("PUT", ["genericObject", id]) => {
                let mut objects = g.objects.lock().unwrap();
                if objects.contains_key(*id) {
                    objects.insert((*id).to_owned(), v.clone());
                    (200, v)
                } else {
                    (404, json!({"error": {"code": 404, "message": "not found"}}))
                }
            }
            _ => (
                404,
                json!({"error": {"code": 404, "message": "no such method"}}),
            ),
        }
    };
    g.calls
        .lock()
        .unwrap()
        .push((method.to_string(), rest, status));
    (StatusCode::from_u16(status).unwrap(), axum::Json(out)).into_response()
}

struct Env {
    router: axum::Router,
    state: domain::state::AppState,
    token: String,
    google: Google,
    dir: tempfile::TempDir,
    _t: common::TestStore,
}

async fn env() -> Env {
    env_with(&[]).await
}

async fn env_with(extra: &[(&str, &str)]) -> Env {
    let google = Google::default();
    let app = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .route("/walletobjects/v1/{*rest}", axum::routing::any(api))
        .with_state(google.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let token_url = format!("{base}/token");
    let mut vars = vec![
        ("ELUMO_GOOGLE_MODE", "rest"),
        ("ELUMO_GOOGLE_API_BASE_URL", base.as_str()),
        ("ELUMO_GOOGLE_TOKEN_URL", token_url.as_str()),
    ];
    vars.extend_from_slice(extra);
    let (state, token) = common::demo_state_with(&t, dir.path(), &vars).await;
    Env {
        router: server::router(state.clone()),
        state,
        token,
        google,
        dir,
        _t: t,
    }
}

impl Env {
    async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        common::send(&self.router, req).await.parts()
    }

    /// The journey for `number`, up to the link from the text.
    async fn link_for(&self, number: &str) -> String {
        common::enter_number(&self.router, &self.token, number).await;
        common::texted_link(&self.state).await
    }

    async fn press_google(&self, link: &str, cookie: Option<&str>) -> (String, Option<String>) {
        let mut req = Request::post(format!("{link}/google"));
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (status, headers, body) = self.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let cookie = common::http::set_cookies(&headers).into_iter().next();
        (
            headers[header::LOCATION].to_str().unwrap().to_owned(),
            cookie,
        )
    }

    /// The service account's public key, as PEM.
    fn public_pem(&self) -> Vec<u8> {
        let pem = std::fs::read(
            self.dir
                .path()
                .join("certs/dev-google-service-account-key.pem"),
        )
        .unwrap();
        let key = openssl::pkey::PKey::private_key_from_pem(&pem).unwrap();
        key.public_key_to_pem().unwrap()
    }
}

/// A JWT read without the crate that signed it (RFC 7515/7519 by hand): three base64url parts,
/// a header that says RS256, and an RSASSA-PKCS1-v1_5 SHA-256 signature over the first two that
/// OpenSSL verifies with `public_pem`. The same token with one payload byte changed must not
/// verify. Returns the claims.
fn rs256_claims(jwt: &str, public_pem: &[u8]) -> Value {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "header.payload.signature: {jwt}");
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256", "{header}");
    assert_eq!(header["typ"], "JWT", "{header}");
    let key = openssl::pkey::PKey::public_key_from_pem(public_pem).unwrap();
    assert_eq!(key.bits(), 2048, "Google takes RSA keys of 2048 bits");
    let signature = b64.decode(parts[2]).unwrap();
    let verifies = |signed: &str| {
        let mut v =
            openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
        v.update(signed.as_bytes()).unwrap();
        v.verify(&signature).unwrap()
    };
    assert!(
        verifies(&format!("{}.{}", parts[0], parts[1])),
        "RS256 signature"
    );
    let mut payload = b64.decode(parts[1]).unwrap();
    payload[0] ^= 1;
    assert!(
        !verifies(&format!("{}.{}", parts[0], b64.encode(&payload))),
        "a changed payload does not verify"
    );
    serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap()
}

/// `iat` is a whole number of seconds, issued just now.
fn issued_just_now(claims: &Value) -> i64 {
    let iat = claims["iat"].as_i64().expect("iat in whole seconds");
    let now = domain::store::now_ms() / 1000;
    assert!(
        (now - 60..=now + 1).contains(&iat),
        "iat {iat} is now ({now})"
    );
    iat
}

#[tokio::test]
async fn objects_are_inserted_before_a_short_link_and_revoked_through_the_api() {
    let e = env().await;
    let link = e.link_for("07400123002").await;
    let (save, cookie) = e.press_google(&link, None).await;
    assert!(save.starts_with("https://pay.google.com/gp/v/save/"));
    assert!(
        save.len() < 1_800,
        "a short link: {} characters",
        save.len()
    );

    // The link's JWT: RS256 by the service account, carrying only the object's id.
    let jwt = save.trim_start_matches("https://pay.google.com/gp/v/save/");
    let claims = rs256_claims(jwt, &e.public_pem());
    // The save link's claims as Google's reference lists them.
    assert_eq!(claims["aud"], "google");
    assert_eq!(claims["typ"], "savetowallet");
    assert_eq!(
        claims["iss"],
        e.state.config.google_wallet.service_account_email.as_str()
    );
    issued_just_now(&claims);
    assert_eq!(
        claims["origins"],
        json!([e.state.config.http.public_url.trim_end_matches('/')]),
        "the page that shows the button"
    );
    let objects = claims["payload"]["genericObjects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(
        objects[0].as_object().unwrap().len(),
        1,
        "only the id: {}",
        objects[0]
    );
    assert!(claims["payload"].get("genericClasses").is_none());
    let object_id = objects[0]["id"].as_str().unwrap().to_owned();

    // The token came from a JWT bearer grant signed by the same key, for the issuer scope.
    let assertion = e.google.assertions.lock().unwrap()[0].clone();
    let grant = rs256_claims(&assertion, &e.public_pem());
    assert_eq!(
        grant["aud"],
        e.state.config.google_wallet.token_url.as_str()
    );
    let iat = issued_just_now(&grant);
    assert_eq!(
        grant["exp"].as_i64(),
        Some(iat + 3600),
        "an assertion lives an hour at most"
    );
    assert_eq!(
        grant["scope"],
        "https://www.googleapis.com/auth/wallet_object.issuer"
    );
    assert_eq!(
        grant["iss"],
        e.state.config.google_wallet.service_account_email.as_str()
    );

    // Google holds the class and the object, with Grace's physical card.
    let stored = e.google.objects.lock().unwrap()[&object_id].clone();
    assert_eq!(stored["state"], "ACTIVE");
    assert_eq!(stored["header"]["defaultValue"]["value"], "Grace Hopper");
    assert!(stored["barcode"]["value"].as_str().unwrap().contains("42"));
    assert_eq!(e.google.classes.lock().unwrap().len(), 1);

    // Pressing again: the insert answers 409, so the object is updated, not duplicated.
    let (again, _) = e.press_google(&link, cookie.as_deref()).await;
    let claims2 = rs256_claims(
        again.trim_start_matches("https://pay.google.com/gp/v/save/"),
        &e.public_pem(),
    );
    assert_eq!(
        claims2["payload"]["genericObjects"][0]["id"],
        object_id.as_str()
    );
    let calls = e.google.calls.lock().unwrap().clone();
    assert!(
        calls
            .iter()
            .any(|(m, p, s)| m == "POST" && p == "genericObject" && *s == 409)
            && calls
                .iter()
                .any(|(m, p, s)| m == "PUT" && p.starts_with("genericObject/") && *s == 200),
        "{calls:?}"
    );
    assert_eq!(
        e.google.tokens.lock().unwrap().len(),
        1,
        "the token is reused while good"
    );

    // Revocation, with the token gone stale meanwhile: a 401, a fresh token, then INACTIVE.
    *e.google.expired.lock().unwrap() = true;
    let grace = e
        .state
        .store
        .member_by_external_id(1, "nw-1002")
        .await
        .unwrap()
        .unwrap();
    let pass = e
        .state
        .store
        .wallet_passes_for_member(grace.id)
        .await
        .unwrap()
        .remove(0);
    assert!(e.state.store.void_wallet_pass(pass.id).await.unwrap());
    let apple = domain::push::sender(&e.state.config, &e.state.apple).unwrap();
    let handled = domain::push::push_due(&domain::push::Updates {
        store: &e.state.store,
        apple: apple.as_ref(),
        google: &e.state.google,
        public_url: &e.state.config.http.public_url,
        signer: &e.state.credentials,
        lease: &domain::push::lease(e.state.instance),
    })
    .await
    .unwrap();
    assert_eq!(handled, 1);
    assert_eq!(
        e.google.tokens.lock().unwrap().len(),
        2,
        "a new token after the 401"
    );
    assert_eq!(
        e.google.objects.lock().unwrap()[&object_id]["state"],
        "INACTIVE"
    );
    let j = e
        .state
        .store
        .latest_journey_for_member(grace.id)
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<String> = e
        .state
        .store
        .journey_events(j)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"google_pass_voided".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn google_down_means_a_clear_temporary_page_not_a_broken_link() {
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state_with(
        &t,
        dir.path(),
        &[
            ("ELUMO_GOOGLE_MODE", "rest"),
            ("ELUMO_GOOGLE_API_BASE_URL", "http://127.0.0.1:9"),
            ("ELUMO_GOOGLE_TOKEN_URL", "http://127.0.0.1:9/token"),
        ],
    )
    .await;
    let e = Env {
        router: server::router(state.clone()),
        state,
        token,
        google: Google::default(),
        dir,
        _t: t,
    };
    let link = e.link_for("07400123001").await;
    let (status, _, body) = e
        .send(
            Request::post(format!("{link}/google"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("Temporarily unavailable"), "{body}");
}

/// Messages to holders reach Google's object as its message: with a notification
/// (`TEXT_AND_NOTIFY`) three times in 24 hours, then silently (`TEXT`), and the reach says so.
#[tokio::test]
async fn a_message_notifies_a_google_pass_three_times_a_day_then_shows_quietly() {
    let e = env().await;
    let link = e.link_for("07400123002").await;
    let (save, _) = e.press_google(&link, None).await;
    let claims = rs256_claims(
        save.trim_start_matches("https://pay.google.com/gp/v/save/"),
        &e.public_pem(),
    );
    let object_id = claims["payload"]["genericObjects"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let grace = e
        .state
        .store
        .member_by_external_id(1, "nw-1002")
        .await
        .unwrap()
        .unwrap();
    let mut seen = Vec::new();
    for n in 1..=4 {
        let body = format!("Message {n}: the lift is serviced today.");
        let sent = domain::messages::send(
            &e.state.store,
            1,
            domain::store::MessageScope::Member(grace.id),
            &body,
            "staff@northwind.example",
        )
        .await
        .unwrap()
        .expect("Grace has a live pass");
        assert_eq!(sent.passes, 1);
        assert_eq!(
            (sent.google_notified, sent.google_quiet),
            if n <= 3 { (1, 0) } else { (0, 1) },
            "message {n}"
        );
        common::push_due(&e.state).await;
        let object = e.google.objects.lock().unwrap()[&object_id].clone();
        let message = &object["messages"][0];
        assert_eq!(message["body"], body.as_str());
        assert_eq!(message["header"], "Northwind Workspace");
        seen.push(message["messageType"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        seen,
        [
            "TEXT_AND_NOTIFY",
            "TEXT_AND_NOTIFY",
            "TEXT_AND_NOTIFY",
            "TEXT"
        ]
    );
}

/// The object id in a save link (the link carries only the id).
fn saved_object(e: &Env, save: &str) -> String {
    let claims = rs256_claims(
        save.trim_start_matches("https://pay.google.com/gp/v/save/"),
        &e.public_pem(),
    );
    claims["payload"]["genericObjects"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A member on a new Android phone: starting again from the invite makes a new Google object
/// with a new generated number while the old one stays ACTIVE; Google's verified save callback
/// for the new object makes it the member's pass: the old object goes INACTIVE through the API,
/// the old number is revoked in the access feed, and a delete callback replaces nothing.
#[tokio::test]
async fn a_new_phones_google_pass_replaces_the_old_one_when_google_says_it_is_saved() {
    use domain::wallet::callbacks::{root_keys_json, seal};
    use openssl::ec::{EcGroup, EcKey};
    let key = || {
        EcKey::generate(&EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap())
            .unwrap()
    };
    let (root, intermediate) = (key(), key());
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = keys_dir.path().join("google-root-keys.json");
    std::fs::write(&keys, root_keys_json(&root)).unwrap();
    let e = env_with(&[
        ("ELUMO_GOOGLE_CALLBACK_KEYS", keys.to_str().unwrap()),
        ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "5"),
    ])
    .await;
    let issuer = e.state.config.google_wallet.issuer_id.clone();
    let callback = |object_id: &str, event: &str, nonce: &str| {
        let message = json!({
            "classId": format!("{issuer}.northwind"),
            "objectId": object_id,
            "eventType": event,
            "expTimeMillis": domain::store::now_ms() + 3_600_000,
            "count": 1,
            "nonce": nonce,
        })
        .to_string();
        Request::post("/wallet/google/callback")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(seal(
                &root,
                &intermediate,
                domain::store::now_ms() + 3_600_000,
                &issuer,
                &message,
            )))
            .unwrap()
    };

    let link = e.link_for("07400123001").await;
    let (save, _) = e.press_google(&link, None).await;
    let old = saved_object(&e, &save);
    let (status, _, _) = e.send(callback(&old, "save", "nonce-old-save")).await;
    assert_eq!(status, StatusCode::OK);

    let link = e.link_for("07400123001").await;
    let (save, cookie) = e.press_google(&link, None).await;
    let new = saved_object(&e, &save);
    assert_ne!(new, old, "a new object for the new phone");
    let (again, _) = e.press_google(&link, cookie.as_deref()).await;
    assert_eq!(
        saved_object(&e, &again),
        new,
        "the same new object when pressed again"
    );
    let barcode = |id: &str| e.google.objects.lock().unwrap()[id]["barcode"]["value"].clone();
    assert_ne!(barcode(&old), barcode(&new), "a new generated number");
    let state = |id: &str| e.google.objects.lock().unwrap()[id]["state"].clone();

    // Removed from a wallet, or not yet saved: the old object stays the member's pass.
    let (status, _, _) = e.send(callback(&new, "del", "nonce-new-del")).await;
    assert_eq!(status, StatusCode::OK);
    common::push_due(&e.state).await;
    assert_eq!(state(&old), "ACTIVE");
    assert!(e
        .state
        .store
        .access_revocations(1, 0, 10)
        .await
        .unwrap()
        .is_empty());

    // Saved on the new phone (and Google delivering it twice): the old object ends, once.
    for _ in 0..2 {
        let (status, _, _) = e.send(callback(&new, "save", "nonce-new-save")).await;
        assert_eq!(status, StatusCode::OK);
    }
    common::push_due(&e.state).await;
    assert_eq!(state(&old), "INACTIVE");
    assert_eq!(state(&new), "ACTIVE");
    let revoked = e.state.store.access_revocations(1, 0, 10).await.unwrap();
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert!(
        barcode(&old)
            .as_str()
            .unwrap()
            .contains(&revoked[0].card_number.to_string()),
        "the old number is the one revoked"
    );
    let ada = e
        .state
        .store
        .member_by_external_id(1, "nw-1001")
        .await
        .unwrap()
        .unwrap();
    let j = e
        .state
        .store
        .latest_journey_for_member(ada.id)
        .await
        .unwrap()
        .unwrap();
    let replaced: Vec<_> = e
        .state
        .store
        .journey_events(j)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "pass_replaced")
        .collect();
    assert_eq!(replaced.len(), 1);
    assert!(
        replaced[0]
            .detail
            .starts_with("the Google pass added on a new phone replaces serial "),
        "{}",
        replaced[0].detail
    );
}
