//! A crash in the middle loses nothing: the real server binary is killed (SIGKILL) while a text
//! is in flight to a Twilio-compatible stand-in and others wait in the outbox; started again,
//! it sends every one of them, each accepted by the provider once.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

#[derive(Clone, Default)]
struct Provider {
    /// While set, requests hang (a provider that is slow to answer, so the crash finds a send
    /// in flight).
    hold: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<String>>>,
    accepted: Arc<Mutex<HashMap<String, usize>>>,
}

async fn messages(
    State(p): State<Provider>,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let to = form
        .iter()
        .find(|(k, _)| k == "To")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    p.seen.lock().unwrap().push(to.clone());
    if p.hold.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(120)).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    *p.accepted.lock().unwrap().entry(to).or_default() += 1;
    let n = p.seen.lock().unwrap().len();
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"sid": format!("SM{n:032}"), "status": "queued"})),
    )
        .into_response()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(dir: &std::path::Path, port: u16, twilio: &str) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ELUMO_LISTEN", format!("127.0.0.1:{port}"))
        .env("ELUMO_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("ELUMO_DATA_DIR", dir)
        .env("ELUMO_SITE_ROOT", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("elumo.db").display()),
        )
        .env("ELUMO_ANSWER_FLOOR_MS", "0")
        .env("ELUMO_SMS_PROVIDER", "twilio")
        .env("ELUMO_TWILIO_BASE_URL", twilio)
        .env(
            "ELUMO_TWILIO_ACCOUNT_SID",
            "AC00000000000000000000000000000001",
        )
        .env("ELUMO_TWILIO_AUTH_TOKEN", "test-auth-token")
        .env("ELUMO_TWILIO_FROM", "+15005550006")
        .env("ELUMO_TWILIO_TIMEOUT_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = format!("http://127.0.0.1:{port}/healthz");
    while reqwest::get(&health).await.is_err() {
        assert!(Instant::now() < deadline, "the server came up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_kill_in_the_middle_loses_no_text_and_sends_each_once() {
    let provider = Provider::default();
    provider.hold.store(true, Ordering::SeqCst);
    let app = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(messages),
        )
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let twilio = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(dir.path(), port, &twilio).await;
    let invite = std::fs::read_to_string(dir.path().join("demo-invite-url.txt")).unwrap();
    let invite_path = invite
        .trim()
        .split(&format!(":{port}"))
        .nth(1)
        .unwrap()
        .to_owned();
    let token = invite_path.trim_start_matches("/i/").to_owned();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let numbers = ["+447400123001", "+447400123002", "+447400123003"];
    let mut journeys = Vec::new();
    for number in numbers {
        let page = http
            .get(format!("{base}{invite_path}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let journey = page
            .split("name=\"journey\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = http
            .post(format!("{base}/api/submit_number"))
            .header("accept", "text/html")
            .form(&[
                ("token", token.as_str()),
                ("journey", journey.as_str()),
                ("region", "GB"),
                ("number", number),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        let to = res.headers()["location"].to_str().unwrap();
        assert!(to.contains("/sent"), "{number}: {to}");
        journeys.push(journey);
    }
    wait_for("a send in flight", || {
        !provider.seen.lock().unwrap().is_empty()
    })
    .await;

    drop(server); // SIGKILL: no graceful anything
    provider.hold.store(false, Ordering::SeqCst);
    let server = start(dir.path(), port, &twilio).await;
    wait_for("every text to be accepted", || {
        provider.accepted.lock().unwrap().len() == numbers.len()
    })
    .await;
    // A moment for any duplicate to show itself.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let accepted = provider.accepted.lock().unwrap().clone();
    let seen = provider.seen.lock().unwrap().len();
    assert!(
        seen > numbers.len(),
        "a send was in flight when the server died ({seen} requests)"
    );
    for number in numbers {
        assert_eq!(accepted.get(number), Some(&1), "{number}: {accepted:?}");
    }
    drop(server);

    let store = app::store::Store::connect(
        &format!("sqlite://{}", dir.path().join("elumo.db").display()),
        1,
    )
    .await
    .unwrap();
    for journey in &journeys {
        let j = store.journey_by_public_id(journey).await.unwrap().unwrap();
        let kinds: Vec<String> = store
            .journey_events(j.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(kinds.contains(&"sms_sent".to_owned()), "{kinds:?}");
    }
    store.close().await;
}
