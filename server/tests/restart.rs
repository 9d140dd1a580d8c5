//! A crash in the middle loses nothing: the real server binary is killed (SIGKILL) while a text
//! is in flight to a Twilio-compatible stand-in and others wait in the outbox; started again,
//! it sends every one of them, each accepted by the provider once, the interrupted one once the
//! dead instance's lease ran out. And a starting instance leaves alone what a live one is
//! sending (two processes on one PostgreSQL database).

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

const LEASE_SECS: u64 = 3;

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
        // One sender, so the held send keeps the others waiting in the outbox; a short lease
        // (longer than the provider timeout, as the configuration insists).
        env: vec![
            ("ELUMO_SMS_WORKERS".into(), "1".into()),
            ("ELUMO_TWILIO_TIMEOUT_MS".into(), "2000".into()),
            ("ELUMO_SMS_LEASE_SECS".into(), LEASE_SECS.to_string()),
        ],
    };
    let server = ServerProcess::start(&setup).await;
    let http = client(1);
    let numbers: Vec<String> = (0..3).map(member_number).collect();
    let first_claim_after = Instant::now();
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
    // Until the store records every text sent: after that no worker can claim one again, so
    // the counts below are final (no fixed wait).
    let unsent = "SELECT COUNT(*) FROM sms_outbox WHERE status <> 'sent'";
    let deadline = Instant::now() + Duration::from_secs(30);
    while sqlite_count(&url, unsent).await > 0 {
        assert!(Instant::now() < deadline, "every text recorded as sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    assert!(
        provider.requests() > numbers.len() as u64,
        "a send was in flight when the server died ({} requests)",
        provider.requests()
    );
    let accepted = provider.accepted();
    for number in &numbers {
        assert_eq!(accepted.get(number).map(|a| a.1), Some(1), "{number}");
    }
    // The interrupted send (the first, one worker claims in order) waited out the dead
    // instance's lease; the queued ones behind it did not wait for it.
    let taken_over_at = accepted[&numbers[0]].0;
    assert!(
        taken_over_at >= first_claim_after + Duration::from_millis(LEASE_SECS * 1_000 - 100),
        "the interrupted send was taken over before its lease ran out ({:?} after the first submission)",
        taken_over_at - first_claim_after
    );
    assert!(accepted[&numbers[1]].0 < taken_over_at && accepted[&numbers[2]].0 < taken_over_at);

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

async fn sqlite_count(url: &str, sql: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// One column of `sql`'s first row on PostgreSQL, as text.
async fn pg_text(url: &str, sql: &str) -> Option<String> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let row: Option<(Option<String>,)> = sqlx::query_as(sql).fetch_optional(&pool).await.unwrap();
    pool.close().await;
    row.and_then(|(s,)| s)
}

#[tokio::test]
async fn a_starting_instance_leaves_a_live_instance_in_flight_send_alone() {
    let Some(admin) = common::postgres_admin_url("two instances on one PostgreSQL database") else {
        return;
    };
    let database = common::postgres::TestDatabase::create(&admin, "elumo_restart").await;
    let invite = prepare_database(&database.url, 2).await;
    let provider = Provider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let setup = |port| ServerSetup {
        binary: env!("CARGO_BIN_EXE_server").into(),
        data_dir: dir.path().to_owned(),
        database_url: database.url.clone(),
        port,
        provider_url: provider.base_url.clone(),
        env: vec![
            ("ELUMO_SMS_WORKERS".into(), "1".into()),
            ("ELUMO_TWILIO_TIMEOUT_MS".into(), "30000".into()),
            ("ELUMO_SMS_LEASE_SECS".into(), "40".into()),
        ],
    };
    let a = ServerProcess::start(&setup(free_port())).await;
    let http = client(1);
    let (held, other) = (member_number(0), member_number(1));
    // The provider accepts A's text and then keeps its answer back: A's send is in flight.
    provider.set_mode(HOLD_ONE_ACCEPTED);
    assert_eq!(
        submit(&http, &a.base_url, &invite, &held).await,
        Seen::Matched
    );
    wait_for("A's send to be accepted and held", || {
        provider.waiting() == 1
    })
    .await;

    // B starts on the same database meanwhile and sends a text of its own: its worker is
    // running (and claims in id order, so the held message would have been its first).
    let b = ServerProcess::start(&setup(free_port())).await;
    assert_eq!(
        submit(&http, &b.base_url, &invite, &other).await,
        Seen::Matched
    );
    wait_for("B's own text", || provider.accepted().contains_key(&other)).await;
    let holder = pg_text(
        &database.url,
        &format!("SELECT status || ' ' || claimed_by FROM sms_outbox WHERE to_e164 = '{held}'"),
    )
    .await
    .unwrap();
    assert!(
        holder.starts_with("sending ") && holder.contains(&format!("-{}-", a.pid())),
        "A still holds its send: {holder}"
    );

    provider.release();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Until both texts are recorded sent: after that no worker can claim one again, so the
    // counts below are final (no fixed wait).
    while pg_text(
        &database.url,
        "SELECT COUNT(*)::text FROM sms_outbox WHERE status <> 'sent'",
    )
    .await
    .as_deref()
        != Some("0")
    {
        assert!(Instant::now() < deadline, "A recorded its send");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(b);
    drop(a);
    let accepted = provider.accepted();
    assert_eq!(
        accepted[&held].1, 1,
        "the held text reached the provider once"
    );
    assert_eq!(accepted[&other].1, 1);
    assert_eq!(provider.requests(), 2);
}
