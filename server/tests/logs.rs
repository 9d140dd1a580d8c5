//! No log line holds a full phone number, an invite or link token, or a link's claim secret.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Request};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_hold_no_numbers_tokens_or_secrets() {
    let logs = Buffer::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug,sqlx=info,hyper=info,h2=info,reqwest=info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, invite) = common::demo_state(&t, dir.path()).await;
    let router = server::router(state.clone());
    let send = |req: Request<Body>| common::send(&router, req);

    // The whole journey: open the invite, a miss, a match, the text, the link, both passes.
    let page = send(
        Request::get(format!("/i/{invite}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let journey = common::http::journey_in(&page.text());
    for number in ["07400123099", "07400123001"] {
        let form = format!("token={invite}&journey={journey}&region=GB&number={number}");
        send(common::http::post_form("/api/submit_number", &form, None)).await;
    }
    while domain::sms::send_one(&state.store, state.sms.as_ref(), state.retry_policy())
        .await
        .unwrap()
    {}
    let outbox = std::fs::read_to_string(dir.path().join("sms-outbox.jsonl")).unwrap();
    let sms: serde_json::Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
    let link = sms["body"]
        .as_str()
        .unwrap()
        .lines()
        .find(|l| l.contains("/l/"))
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    send(
        Request::get(format!("/l/{link}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let issued = send(
        Request::post(format!("/l/{link}/apple"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let cookie = issued.cookie().expect("the claim sets a cookie");
    let secret = cookie.split('=').nth(1).unwrap().to_owned();
    send(
        Request::post(format!("/l/{link}/google"))
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("directory miss"),
        "the log was captured:\n{text}"
    );
    assert!(
        text.contains("number=•••• ••• 099"),
        "the missed number is logged as its whole mask:\n{text}"
    );
    for (what, secret) in [
        ("a full number (E.164)", "+447400123001"),
        ("a full number (national digits)", "7400123001"),
        ("a missed number", "7400123099"),
        ("the invite token", invite.as_str()),
        ("the link token", link.as_str()),
        ("the claim secret", secret.as_str()),
    ] {
        assert!(!text.contains(secret), "the log holds {what}:\n{text}");
    }
}
