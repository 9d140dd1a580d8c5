//! A crash in the middle loses nothing: the real server binary is killed (SIGKILL) while a text
//! is in flight to a Twilio-compatible stand-in and others wait in the outbox; started again,
//! it sends every one of them, each accepted by the provider once.

mod common;

use std::time::{Duration, Instant};

use common::spawned::*;

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_kill_in_the_middle_loses_no_text_and_sends_each_once() {
    let provider = Provider::start().await;
    provider.set_mode(HOLD);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("elumo.db").display());
    let invite = prepare_database(&url, 3).await;
    let setup = ServerSetup {
        binary: env!("CARGO_BIN_EXE_server").into(),
        data_dir: dir.path().to_owned(),
        database_url: url.clone(),
        port: free_port(),
        provider_url: provider.base_url.clone(),
        // One sender, so the held send keeps the others waiting in the outbox.
        env: vec![
            ("ELUMO_SMS_WORKERS".into(), "1".into()),
            ("ELUMO_TWILIO_TIMEOUT_MS".into(), "60000".into()),
        ],
    };
    let server = ServerProcess::start(&setup).await;
    let http = client(1);
    let numbers: Vec<String> = (0..3).map(member_number).collect();
    for number in &numbers {
        let seen = submit(&http, &server.base_url, &invite, number).await;
        assert_eq!(seen, Seen::Matched, "{number}");
    }
    wait_for("a send in flight", || provider.requests() > 0).await;

    drop(server); // SIGKILL: no graceful anything
    provider.set_mode(ACCEPT);
    let server = ServerProcess::start(&setup).await;
    wait_for("every text to be accepted", || {
        provider.delivered() == numbers.len()
    })
    .await;
    // A moment for any duplicate to show itself.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        provider.requests() > numbers.len() as u64,
        "a send was in flight when the server died ({} requests)",
        provider.requests()
    );
    let accepted = provider.accepted();
    for number in &numbers {
        assert_eq!(accepted.get(number).map(|a| a.1), Some(1), "{number}");
    }
    drop(server);

    // Every journey shows its text as sent.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (with_text,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT j.entered_mobile) FROM journeys j \
         JOIN journey_events e ON e.journey_id = j.id WHERE e.kind = 'sms_sent'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(with_text, numbers.len() as i64);
    pool.close().await;
}
