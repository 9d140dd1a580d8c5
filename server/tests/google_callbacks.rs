//! Google Wallet's save and delete callbacks, as Google sends them: the class asks for them at
//! our callback URL, and each callback, sealed with ECv2SigningOnly by test keys that stand in
//! for Google's (the root keys come from a file, as `ELUMO_GOOGLE_CALLBACK_KEYS` allows), is
//! taken only when it verifies: valid saves and deletes reach the pass and the timeline once per
//! nonce; forged, expired, foreign or unsigned ones change nothing. On SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use domain::wallet::callbacks::{root_keys_json, seal};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::Private;
use serde_json::{json, Value};

fn key() -> EcKey<Private> {
    EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap()
}

struct Env {
    router: axum::Router,
    state: domain::state::AppState,
    token: String,
    root: EcKey<Private>,
    intermediate: EcKey<Private>,
    _dir: tempfile::TempDir,
    _t: common::TestStore,
}

/// The demo with Google's root keys (here, a test root) in a file.
async fn env() -> Env {
    let root = key();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("google-root-keys.json");
    std::fs::write(&keys, root_keys_json(&root)).unwrap();
    let t = common::scoped_store().await;
    let (state, token) = common::demo_state_with(
        &t,
        dir.path(),
        &[("ELUMO_GOOGLE_CALLBACK_KEYS", keys.to_str().unwrap())],
    )
    .await;
    Env {
        router: server::router(state.clone()),
        state,
        token,
        root,
        intermediate: key(),
        _dir: dir,
        _t: t,
    }
}

fn claims(save_url: &str) -> Value {
    use base64::Engine as _;
    let jwt = save_url.trim_start_matches("https://pay.google.com/gp/v/save/");
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

impl Env {
    /// Grace's journey to "Add to Google Wallet"; returns the save link's claims.
    async fn grace_presses_google(&self) -> Value {
        common::enter_number(&self.router, &self.token, "07400123002").await;
        let link = common::texted_link(&self.state).await;
        let r = common::send(
            &self.router,
            Request::post(format!("{link}/google"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        claims(r.headers[header::LOCATION].to_str().unwrap())
    }

    fn message(&self, object_id: &str, event: &str, nonce: &str, exp: i64) -> String {
        let issuer = &self.state.config.google_wallet.issuer_id;
        json!({
            "classId": format!("{issuer}.northwind"),
            "objectId": object_id,
            "eventType": event,
            "expTimeMillis": exp,
            "count": 1,
            "nonce": nonce,
        })
        .to_string()
    }

    /// A callback sealed as Google seals it, by the test root and intermediate keys.
    fn sealed(&self, message: &str) -> String {
        let issuer = &self.state.config.google_wallet.issuer_id;
        seal(&self.root, &self.intermediate, soon(), issuer, message)
    }

    async fn post(&self, body: String) -> (StatusCode, String) {
        let (status, _, text) = common::send(
            &self.router,
            Request::post("/wallet/google/callback")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .parts();
        (status, text)
    }

    async fn grace_pass(&self) -> domain::store::SqlWalletPass {
        let grace = self
            .state
            .store
            .member_by_external_id(1, "nw-1002")
            .await
            .unwrap()
            .unwrap();
        self.state
            .store
            .wallet_passes_for_member(grace.id)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.platform == "google")
            .expect("Grace's Google pass")
    }

    /// The kinds of Grace's journey's Google callback events, in order.
    async fn callback_events(&self) -> Vec<String> {
        let pass = self.grace_pass().await;
        let j = self
            .state
            .store
            .latest_journey_for_member(pass.member_id)
            .await
            .unwrap()
            .unwrap();
        self.state
            .store
            .journey_events(j)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k == "google_pass_saved" || k == "google_pass_deleted")
            .collect()
    }
}

fn soon() -> i64 {
    domain::store::now_ms() + 3_600_000
}

#[tokio::test]
async fn verified_saves_and_deletes_reach_the_pass_once_and_nothing_else_does() {
    common::each_store(|| async {
        let e = env().await;
        let c = e.grace_presses_google().await;
        // The class asks Google to call back here.
        assert_eq!(
            c["payload"]["genericClasses"][0]["callbackOptions"]["url"],
            "https://pass.example.test/wallet/google/callback"
        );
        let object = c["payload"]["genericObjects"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!e.grace_pass().await.saved_to_google());

        // Refused, changing nothing: a message changed after sealing, a root Google does not
        // have, an expired message, an expired intermediate key, a message sealed for another
        // issuer, and bodies that are not callbacks at all.
        let save = e.message(&object, "save", "nonce-1", soon());
        let forged = e.sealed(&save).replace("nonce-1", "nonce-x");
        let other_root = seal(
            &key(),
            &e.intermediate,
            soon(),
            &e.state.config.google_wallet.issuer_id,
            &save,
        );
        let expired = e.sealed(&e.message(&object, "save", "nonce-2", domain::store::now_ms() - 1));
        let old_key = seal(
            &e.root,
            &e.intermediate,
            domain::store::now_ms() - 1,
            &e.state.config.google_wallet.issuer_id,
            &save,
        );
        let other_issuer = seal(
            &e.root,
            &e.intermediate,
            soon(),
            "3388000000099999999",
            &save,
        );
        for (what, body, says) in [
            (
                "a changed message",
                forged,
                "message is not signed by its intermediate key",
            ),
            (
                "another root",
                other_root,
                "intermediate key is not signed by a current Google root key",
            ),
            ("an expired message", expired, "message has expired"),
            (
                "an expired intermediate key",
                old_key,
                "intermediate key has expired",
            ),
            (
                "another issuer",
                other_issuer,
                "message is not signed by its intermediate key for this issuer",
            ),
            ("not JSON", "{".to_owned(), "malformed"),
            ("empty", String::new(), "malformed"),
        ] {
            let (status, text) = e.post(body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {text}");
            assert!(text.contains(says), "{what}: {text}");
        }
        assert!(
            e.callback_events().await.is_empty(),
            "nothing refused was recorded"
        );
        assert!(!e.grace_pass().await.saved_to_google());

        // A save: the pass is in a wallet, on the timeline once, however often Google repeats it.
        for _ in 0..3 {
            let (status, _) = e.post(e.sealed(&save)).await;
            assert_eq!(status, StatusCode::OK);
        }
        assert_eq!(e.callback_events().await, ["google_pass_saved"]);
        assert!(e.grace_pass().await.saved_to_google());

        // A delete: removed from the wallet.
        let delete = e.message(&object, "del", "nonce-3", soon());
        let (status, _) = e.post(e.sealed(&delete)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            e.callback_events().await,
            ["google_pass_saved", "google_pass_deleted"]
        );
        let pass = e.grace_pass().await;
        assert!(!pass.saved_to_google() && pass.removed_from_google());

        // A well-signed callback for an object we never issued: taken (nothing to retry), no effect.
        let issuer = &e.state.config.google_wallet.issuer_id;
        let stranger = e.message(&format!("{issuer}.no-such-pass"), "save", "nonce-4", soon());
        let (status, text) = e.post(e.sealed(&stranger)).await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, "unknown object"));
        assert_eq!(e.callback_events().await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn without_callback_keys_there_is_no_endpoint_and_the_class_asks_for_none() {
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state(&t, dir.path()).await;
    let router = server::router(state.clone());
    let (status, _, _) = common::send(
        &router,
        Request::post("/wallet/google/callback")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::NOT_FOUND);
    common::enter_number(&router, &token, "07400123002").await;
    let link = common::texted_link(&state).await;
    let r = common::send(
        &router,
        Request::post(format!("{link}/google"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let c = claims(r.headers[header::LOCATION].to_str().unwrap());
    assert!(c["payload"]["genericClasses"][0]
        .get("callbackOptions")
        .is_none());
}

#[tokio::test]
async fn keys_that_cannot_be_read_answer_try_again_later() {
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-keys.json");
    let (state, _) = common::demo_state_with(
        &t,
        dir.path(),
        &[("ELUMO_GOOGLE_CALLBACK_KEYS", missing.to_str().unwrap())],
    )
    .await;
    let (status, _, _) = common::send(
        &server::router(state),
        Request::post("/wallet/google/callback")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "Google tries again"
    );
}
