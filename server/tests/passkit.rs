//! Apple's PassKit web service as Wallet meets it (Apple's documented status codes), and pushes
//! reaching a loopback APNs stand-in over HTTP/2 after an update and after a revocation; on SQLite
//! and on PostgreSQL.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Request, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use common::Reply;
use serde_json::{json, Value};

const GONE_TOKEN: &str = "deadbeef0410";

/// What the stand-in saw: HTTP version, topic, device token.
type Seen = (Version, String, String);

#[derive(Clone, Default)]
struct ApnsStandIn {
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn apns(
    State(s): State<ApnsStandIn>,
    Path(token): Path<String>,
    version: Version,
    headers: HeaderMap,
) -> Response {
    let topic = headers
        .get("apns-topic")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    s.seen.lock().unwrap().push((version, topic, token.clone()));
    if token == GONE_TOKEN {
        return (
            StatusCode::GONE,
            axum::Json(json!({"reason": "Unregistered"})),
        )
            .into_response();
    }
    StatusCode::OK.into_response()
}

struct Wallet {
    router: axum::Router,
    state: domain::state::AppState,
    token: String,
    apns: ApnsStandIn,
    _dir: tempfile::TempDir,
    _t: common::TestStore,
}

async fn wallet() -> Wallet {
    let stand_in = ApnsStandIn::default();
    let app = axum::Router::new()
        .route("/3/device/{token}", axum::routing::post(apns))
        .with_state(stand_in.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) =
        common::demo_state_with(&t, dir.path(), &[("ELUMO_APNS_BASE_URL", &base)]).await;
    Wallet {
        router: server::router(state.clone()),
        state,
        token,
        apns: stand_in,
        _dir: dir,
        _t: t,
    }
}

impl Wallet {
    async fn send(&self, req: Request<Body>) -> Reply {
        common::send(&self.router, req).await
    }

    fn req(method: &str, path: &str, auth: Option<&str>) -> axum::http::request::Builder {
        let mut r = Request::builder().method(method).uri(path);
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, format!("ApplePass {a}"));
        }
        r
    }

    /// Walks the journey for `number` and presses "Add to Apple Wallet"; returns the pass's
    /// files, the link and the link's cookie.
    async fn add_to_apple_wallet(
        &self,
        number: &str,
    ) -> (BTreeMap<String, Vec<u8>>, String, String) {
        common::enter_number(&self.router, &self.token, number).await;
        let link = common::texted_link(&self.state).await;
        self.press_apple(&link, None).await
    }

    async fn press_apple(
        &self,
        link: &str,
        cookie: Option<&str>,
    ) -> (BTreeMap<String, Vec<u8>>, String, String) {
        let mut req = Request::post(format!("{link}/apple"));
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = self.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(res.status, StatusCode::OK);
        let cookie = res.cookie().or(cookie.map(str::to_owned)).unwrap();
        (common::unzip(&res.body), link.to_owned(), cookie)
    }

    async fn push(&self) -> usize {
        let sender = domain::push::sender(&self.state.config, &self.state.apple).unwrap();
        domain::push::push_due(&domain::push::Updates {
            store: &self.state.store,
            apple: sender.as_ref(),
            google: &self.state.google,
            public_url: &self.state.config.http.public_url,
            signer: &self.state.credentials,
            lease: &domain::push::lease(self.state.instance),
        })
        .await
        .unwrap()
    }
}

fn pass_json(files: &BTreeMap<String, Vec<u8>>) -> Value {
    serde_json::from_slice(&files["pass.json"]).unwrap()
}

#[tokio::test]
async fn the_web_service_answers_as_apple_documents_and_pushes_updates_and_voids() {
    common::each_store(|| async {
        let w = wallet().await;
        let (files, link, cookie) = w.add_to_apple_wallet("07400123001").await;
        let pass = pass_json(&files);
        assert_eq!(pass["webServiceURL"], "https://pass.example.test/passkit");
        let auth = pass["authenticationToken"].as_str().unwrap().to_owned();
        assert!(auth.len() >= 16, "Apple wants at least 16 characters");
        let serial = pass["serialNumber"].as_str().unwrap().to_owned();
        let pass_type = pass["passTypeIdentifier"].as_str().unwrap().to_owned();
        assert!(pass.get("voided").is_none());

        // Registration: 401 without or with a wrong token, 404 for another pass type, 201 then 200.
        let reg = format!("/passkit/v1/devices/device-one/registrations/{pass_type}/{serial}");
        let body = || Body::from(r#"{"pushToken": "aabbccdd0001"}"#);
        let r = w
            .send(Wallet::req("POST", &reg, None).body(body()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = w
            .send(
                Wallet::req("POST", &reg, Some("not-the-token-at-all-xx"))
                    .body(body())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let other_type =
            format!("/passkit/v1/devices/device-one/registrations/pass.other/{serial}");
        let r = w
            .send(
                Wallet::req("POST", &other_type, Some(&auth))
                    .body(body())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = w
            .send(
                Wallet::req("POST", &reg, Some(&auth))
                    .body(Body::from("nonsense"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = w
            .send(Wallet::req("POST", &reg, Some(&auth)).body(body()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = w
            .send(Wallet::req("POST", &reg, Some(&auth)).body(body()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::OK, "already registered");
        // A second device, whose token APNs no longer knows.
        let reg_two = format!("/passkit/v1/devices/device-two/registrations/{pass_type}/{serial}");
        let r = w
            .send(
                Wallet::req("POST", &reg_two, Some(&auth))
                    .body(Body::from(format!(r#"{{"pushToken": "{GONE_TOKEN}"}}"#)))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);

        // Serial numbers: all, then none since the tag, and none for a device we do not know.
        let list = format!("/passkit/v1/devices/device-one/registrations/{pass_type}");
        let r = w
            .send(Wallet::req("GET", &list, None).body(Body::empty()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let listed: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(listed["serialNumbers"], json!([serial]));
        let tag = listed["lastUpdated"].as_str().unwrap().to_owned();
        let since = format!("{list}?passesUpdatedSince={tag}");
        let r = w
            .send(
                Wallet::req("GET", &since, None)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let unknown = format!("/passkit/v1/devices/nobody/registrations/{pass_type}");
        let r = w
            .send(
                Wallet::req("GET", &unknown, None)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);

        // The latest pass: 401 without the token, 200 with Last-Modified, 304 when unchanged.
        let latest = format!("/passkit/v1/passes/{pass_type}/{serial}");
        let r = w
            .send(
                Wallet::req("GET", &latest, None)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = w
            .send(
                Wallet::req("GET", &latest, Some(&auth))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            "application/vnd.apple.pkpass"
        );
        let modified = r.headers[header::LAST_MODIFIED]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            pass_json(&common::unzip(&r.body))["serialNumber"],
            serial.as_str()
        );
        let r = w
            .send(
                Wallet::req("GET", &latest, Some(&auth))
                    .header(header::IF_MODIFIED_SINCE, &modified)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED);

        // Wallet's log endpoint.
        let r = w
            .send(
                Wallet::req("POST", "/passkit/v1/log", None)
                    .body(Body::from(
                        r#"{"logs": ["Web service error for pass.x: 500"]}"#,
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = w
            .send(
                Wallet::req("POST", "/passkit/v1/log", None)
                    .body(Body::from("{"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(w.push().await, 0, "nothing changed, nothing to push");

        // An update: Ada's physical card arrives from the CRM and the pass is issued again. Her
        // devices are told over HTTP/2, on the pass type's topic; the device APNs forgot is dropped.
        let ada = w
            .state
            .store
            .member_by_external_id(1, "nw-1001")
            .await
            .unwrap()
            .unwrap();
        w.state
            .store
            .insert_credential(
                1,
                ada.id,
                domain::store::CredentialSource::PhysicalCard,
                42,
                4242,
            )
            .await
            .unwrap();
        // The tag is in milliseconds: the update lands after it by the store's clock.
        let before = w
            .state
            .store
            .apple_pass_by_serial(&serial)
            .await
            .unwrap()
            .unwrap();
        clock_passes(before.updated_at).await;
        let (files, _, _) = w.press_apple(&link, Some(&cookie)).await;
        assert_eq!(
            pass_json(&files)["serialNumber"],
            serial.as_str(),
            "the same pass, replaced"
        );
        assert_eq!(w.push().await, 1);
        {
            let seen = w.apns.seen.lock().unwrap().clone();
            assert_eq!(seen.len(), 2, "{seen:?}");
            assert!(seen
                .iter()
                .all(|(v, topic, _)| *v == Version::HTTP_2 && *topic == pass_type));
            let tokens: Vec<&str> = seen.iter().map(|(_, _, t)| t.as_str()).collect();
            assert!(tokens.contains(&"aabbccdd0001") && tokens.contains(&GONE_TOKEN));
        }
        let r = w
            .send(
                Wallet::req("GET", &since, None)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "the pass changed since the tag");
        let r = w
            .send(
                Wallet::req(
                    "GET",
                    &format!("/passkit/v1/devices/device-two/registrations/{pass_type}"),
                    None,
                )
                .body(Body::empty())
                .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "APNs said 410: the device was forgotten"
        );
        let r = w
            .send(
                Wallet::req("GET", &latest, Some(&auth))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let updated = pass_json(&common::unzip(&r.body));
        assert!(
            updated["barcodes"][0]["message"]
                .as_str()
                .unwrap()
                .contains("42"),
            "{updated}"
        );

        // A revocation: the pass is voided, pushed, and served void.
        let pass_row = w
            .state
            .store
            .apple_pass_by_serial(&serial)
            .await
            .unwrap()
            .unwrap();
        // Last-Modified is in whole seconds: the void lands in a second after the last update.
        clock_passes(pass_row.updated_at / 1000 * 1000 + 999).await;
        assert!(w.state.store.void_wallet_pass(pass_row.id).await.unwrap());
        assert_eq!(w.push().await, 1);
        assert_eq!(
            w.apns.seen.lock().unwrap().len(),
            3,
            "one more push, to the device still registered"
        );
        let r = w
            .send(
                Wallet::req("GET", &latest, Some(&auth))
                    .header(header::IF_MODIFIED_SINCE, &modified)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "changed since the earlier Last-Modified"
        );
        assert_eq!(pass_json(&common::unzip(&r.body))["voided"], true);

        let j = w
            .state
            .store
            .latest_journey_for_member(ada.id)
            .await
            .unwrap()
            .unwrap();
        let kinds: Vec<String> = w
            .state
            .store
            .journey_events(j)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for kind in [
            "apple_pass_issued",
            "apple_pass_registered",
            "apple_pass_updated",
            "apple_pass_voided",
        ] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
        }
        // The device APNs said was gone is on record as removed, with how many are left.
        let removed: Vec<String> = w
            .state
            .store
            .journey_events(j)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "apple_pass_unregistered")
            .map(|e| e.detail)
            .collect();
        assert_eq!(
            removed,
            ["APNs says a device no longer takes its updates; still on 1 device"]
        );
        let devices = w.state.store.pass_devices_for_member(ada.id).await.unwrap();
        assert_eq!(devices.len(), 2, "both devices are kept: {devices:?}");
        assert!(devices
            .iter()
            .any(|d| d.device_library_id == "device-two" && d.unregistered_at.is_some()));
    })
    .await;
}

/// Waits until the store's clock reads later than `ms` (an event's time in milliseconds).
async fn clock_passes(ms: i64) {
    while domain::store::now_ms() <= ms {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}
