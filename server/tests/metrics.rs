//! `GET /metrics` on the real server binary: a run of matched and not-found submissions, their
//! texts through a Twilio-compatible stand-in, then a scrape whose counts must be exactly the
//! run's; the endpoint is the not-found page for any address the operator did not allow, whatever
//! `X-Forwarded-For` claims (this build's router on a loopback port); and the outbox's depth on
//! both stores.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::spawned::*;

const INSTANCE: &str = "metrics-test-1";
/// The run: directory members' numbers, then numbers nobody has.
const MATCHED: u64 = 6;
const NOT_FOUND: u64 = 4;

/// One sample of the text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parses the exposition text strictly: every line is a `# HELP`/`# TYPE` comment or
/// `name{label="value",…} value`; anything else fails the test.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim_start();
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "a comment is HELP or TYPE: {line:?}"
            );
            continue;
        }
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(line.len());
        let name = &line[..name_end];
        assert!(
            !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()),
            "a metric name: {line:?}"
        );
        let mut rest = &line[name_end..];
        let mut labels = HashMap::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            let close;
            loop {
                let (start, c) = chars.next().expect("labels close");
                if c == '}' {
                    close = start;
                    break;
                }
                if c == ',' {
                    continue;
                }
                let eq = inner[start..].find("=\"").expect("label=\"value\"") + start;
                let key = &inner[start..eq];
                assert!(
                    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "a label name: {key:?} in {line:?}"
                );
                while chars.peek().is_some_and(|&(i, _)| i <= eq + 1) {
                    chars.next();
                }
                let mut value = String::new();
                loop {
                    match chars.next().expect("the label value closes") {
                        (_, '\\') => value.push(chars.next().expect("an escape").1),
                        (_, '"') => break,
                        (_, c) => value.push(c),
                    }
                }
                labels.insert(key.to_owned(), value);
            }
            rest = &inner[close + 1..];
        }
        let mut fields = rest.split_whitespace();
        let value = fields.next().unwrap_or_else(|| panic!("a value: {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("a number: {line:?}")),
        };
        if let Some(timestamp) = fields.next() {
            timestamp.parse::<i64>().expect("a timestamp");
        }
        assert!(fields.next().is_none(), "nothing after the value: {line:?}");
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// The one sample named `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<_> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(found.len(), 1, "one {name}{labels:?}: {found:?}");
    found[0].value
}

async fn scrape(http: &reqwest::Client, base_url: &str) -> (u16, String) {
    let res = http
        .get(format!("{base_url}/metrics"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

struct Run {
    server: ServerProcess,
    invite: String,
    provider: Provider,
    _root: tempfile::TempDir,
}

/// The real server binary on a fresh SQLite file.
async fn start(members: u64, env: &[(&str, &str)]) -> Run {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", root.path().join("elumo.db").display());
    let invite = prepare_database(&url, members).await;
    let provider = Provider::start().await;
    let setup = ServerSetup {
        binary: env!("CARGO_BIN_EXE_server").into(),
        data_dir: root.path().to_owned(),
        database_url: url,
        port: free_port(),
        provider_url: provider.base_url.clone(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let server = ServerProcess::start(&setup).await;
    let (status, _) = scrape(&client(1), &server.base_url).await;
    assert_eq!(
        status,
        200,
        "{} has no /metrics: another worktree's build replaced it in the shared target \
         directory while this test ran; run it again",
        setup.binary.display()
    );
    Run {
        server,
        invite,
        provider,
        _root: root,
    }
}

/// SQLite, and PostgreSQL when ELUMO_TEST_DATABASE_URL names a server.
async fn databases() -> Vec<Option<common::postgres::TestDatabase>> {
    let mut all = vec![None];
    if let Some(admin) = common::postgres_admin_url("the PostgreSQL run") {
        all.push(Some(
            common::postgres::TestDatabase::create(&admin, "elumo_metrics").await,
        ));
    }
    all
}

/// A run in this process: this build's router on a loopback port and two SMS workers sending
/// through the provider stand-in, on `database` (else a fresh SQLite file), with the limits out
/// of the way as in the spawned server.
struct InProcess {
    base_url: String,
    invite: String,
    provider: Provider,
    _stop: tokio::sync::watch::Sender<bool>,
    _root: tempfile::TempDir,
    _database: Option<common::postgres::TestDatabase>,
}

async fn run_in_process(
    database: Option<common::postgres::TestDatabase>,
    members: u64,
) -> InProcess {
    let root = tempfile::tempdir().unwrap();
    let url = match &database {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", root.path().join("elumo.db").display()),
    };
    let invite = prepare_database(&url, members).await;
    let provider = Provider::start().await;
    let config = common::config_with(
        root.path(),
        root.path(),
        &[
            ("ELUMO_INSTANCE_ID", INSTANCE),
            ("ELUMO_TRUSTED_PROXIES", "127.0.0.1"),
            ("ELUMO_LIMIT_SUBMISSIONS_PER_INVITE", "1000000"),
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_BASE_URL", &provider.base_url),
            (
                "ELUMO_TWILIO_ACCOUNT_SID",
                "AC00000000000000000000000000000001",
            ),
            ("ELUMO_TWILIO_AUTH_TOKEN", "test-auth-token"),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
        ],
    );
    let store = domain::store::Store::connect(&url, 4).await.unwrap();
    let state = domain::state::AppState::build(config, store.clone()).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    for _ in 0..2 {
        tokio::spawn(domain::sms::run_worker(
            store.clone(),
            state.sms.clone(),
            state.retry_policy(),
            state.sms_lease(),
            state.sms_wake.clone(),
            stopped.clone(),
        ));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let app = server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let mut until = stopped.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = until.changed().await;
            })
            .await
            .unwrap()
    });
    InProcess {
        base_url,
        invite,
        provider,
        _stop: stop,
        _root: root,
        _database: database,
    }
}

/// In this process, so the counts are this build's (see `serve_in_process`); the only test here
/// that submits numbers or sends texts, since the recorder is one per process.
#[tokio::test]
async fn a_scrape_during_a_run_counts_exactly_what_the_run_did() {
    let mut runs = 0;
    for database in databases().await {
        runs += 1;
        counts_exactly(run_in_process(database, MATCHED).await, runs).await;
    }
}

/// One run's checks; the `runs`-th in this process, so the counters hold `runs` runs' counts.
async fn counts_exactly(run: InProcess, runs: u64) {
    let base = &run.base_url;
    let (matched, not_found) = ((runs * MATCHED) as f64, (runs * NOT_FOUND) as f64);
    let http = client(4);

    // The phone page once, so a route with a token in its path is timed too.
    let page = http
        .get(format!("{base}/i/{}", run.invite))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    for i in 0..MATCHED {
        let seen = submit(&http, base, &run.invite, &member_number(i)).await;
        assert_eq!(seen, Seen::Matched, "member {i}");
    }
    for i in 0..NOT_FOUND {
        let seen = submit(&http, base, &run.invite, &stranger_number(i)).await;
        assert_eq!(seen, Seen::NotFound, "stranger {i}");
    }

    // The outbox sends while the run goes on: wait until the provider has every text and the
    // server has recorded each as sent.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (samples, text) = loop {
        let (status, text) = scrape(&http, base).await;
        assert_eq!(status, 200, "loopback may scrape by default");
        let samples = parse(&text);
        if run.provider.delivered() as u64 == MATCHED
            && value(&samples, "elumo_sms_sent_total", &[]) == matched
            && value(&samples, "elumo_outbox_depth", &[]) == 0.0
        {
            break (samples, text);
        }
        assert!(
            Instant::now() < deadline,
            "the texts were sent: {} delivered\n{text}",
            run.provider.delivered()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let outcome = |o: &str| value(&samples, "elumo_submissions_total", &[("outcome", o)]);
    assert_eq!(outcome("matched"), matched);
    assert_eq!(outcome("not_found"), not_found);
    for other in ["invalid", "rate_limited", "invite_gone"] {
        assert_eq!(outcome(other), 0.0, "{other}");
    }
    assert_eq!(value(&samples, "elumo_sms_queued_total", &[]), matched);
    assert_eq!(value(&samples, "elumo_sms_sent_total", &[]), matched);
    assert_eq!(value(&samples, "elumo_sms_retried_total", &[]), 0.0);
    assert_eq!(value(&samples, "elumo_sms_failed_total", &[]), 0.0);
    assert_eq!(value(&samples, "elumo_outbox_depth", &[]), 0.0);
    assert_eq!(
        value(&samples, "elumo_outbox_oldest_queued_age_seconds", &[]),
        0.0
    );
    for work in ["sms", "push"] {
        assert_eq!(
            value(&samples, "elumo_lease_takeovers_total", &[("work", work)]),
            0.0
        );
    }

    // Latency by route template: every submission under the server function's path, the phone
    // page under `/i/{token}`, and no token anywhere in a label.
    let submits = value(
        &samples,
        "elumo_http_request_duration_seconds_count",
        &[
            ("route", "/api/submit_number"),
            ("method", "POST"),
            ("status", "2xx"),
        ],
    );
    assert!(submits >= matched + not_found, "{submits}");
    assert_eq!(
        value(
            &samples,
            "elumo_http_request_duration_seconds_count",
            &[("route", "/i/{token}"), ("method", "GET")],
        ),
        runs as f64
    );
    assert!(
        value(
            &samples,
            "elumo_http_request_duration_seconds_bucket",
            &[("route", "/api/submit_number"), ("le", "+Inf")],
        ) >= matched + not_found
    );
    assert!(!text.contains(&run.invite), "no token in the metrics");

    // Per instance: every series carries the configured id.
    let unlabelled: Vec<_> = samples
        .iter()
        .filter(|s| s.labels.get("instance").map(String::as_str) != Some(INSTANCE))
        .collect();
    assert!(
        unlabelled.is_empty(),
        "without the instance: {unlabelled:?}"
    );
    // Described: each metric has its HELP line.
    for name in [
        "elumo_http_request_duration_seconds",
        "elumo_submissions_total",
        "elumo_sms_queued_total",
        "elumo_sms_sent_total",
        "elumo_sms_retried_total",
        "elumo_sms_failed_total",
        "elumo_pushes_total",
        "elumo_lease_takeovers_total",
        "elumo_outbox_depth",
        "elumo_outbox_oldest_queued_age_seconds",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "HELP for {name}");
    }
}

/// Scrapes until `done` holds for the samples, or fails after 30 s with the last text.
async fn scrape_until(
    http: &reqwest::Client,
    base_url: &str,
    what: &str,
    done: impl Fn(&[Sample]) -> bool,
) -> Vec<Sample> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, text) = scrape(http, base_url).await;
        assert_eq!(status, 200);
        let samples = parse(&text);
        if done(&samples) {
            return samples;
        }
        assert!(Instant::now() < deadline, "{what}:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_provider_outage_shows_as_retries_and_a_waiting_outbox_until_it_ends() {
    // No ELUMO_INSTANCE_ID: the host name and this process's id.
    let run = start(1, &[]).await;
    let base = &run.server.base_url;
    let http = client(2);
    run.provider.set_mode(OUTAGE);
    let seen = submit(&http, base, &run.invite, &member_number(0)).await;
    assert_eq!(seen, Seen::Matched);

    let during = scrape_until(&http, base, "a retry while the provider is down", |s| {
        value(s, "elumo_sms_retried_total", &[]) >= 1.0
            && value(s, "elumo_outbox_oldest_queued_age_seconds", &[]) > 0.0
    })
    .await;
    assert_eq!(value(&during, "elumo_outbox_depth", &[]), 1.0);
    assert_eq!(value(&during, "elumo_sms_queued_total", &[]), 1.0);
    assert_eq!(value(&during, "elumo_sms_sent_total", &[]), 0.0);
    assert_eq!(value(&during, "elumo_sms_failed_total", &[]), 0.0);
    let suffix = format!("-{}", run.server.pid());
    assert!(
        during.iter().all(|s| s
            .labels
            .get("instance")
            .is_some_and(|i| i.ends_with(&suffix))),
        "every series names this process"
    );

    run.provider.set_mode(ACCEPT);
    let after = scrape_until(&http, base, "the text once the provider is back", |s| {
        value(s, "elumo_sms_sent_total", &[]) == 1.0
    })
    .await;
    assert_eq!(value(&after, "elumo_outbox_depth", &[]), 0.0);
    assert_eq!(
        value(&after, "elumo_outbox_oldest_queued_age_seconds", &[]),
        0.0
    );
    assert_eq!(run.provider.delivered(), 1);
}

/// This build's router on a loopback port (so each request has a real peer address), with
/// `extra` configuration. In this process, not the binary: the shared target directory's
/// `server` binary may be another worktree's build by the time a test spawns it.
async fn serve_in_process(dir: &std::path::Path, extra: &[(&str, &str)]) -> String {
    let t = common::sqlite_store().await;
    let (state, _) = common::demo_state_with(&t, dir, extra).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        let _keep = t;
        axum::serve(listener, app).await.unwrap()
    });
    base
}

#[tokio::test]
async fn an_address_the_operator_did_not_allow_gets_the_not_found_page() {
    let dir = tempfile::tempdir().unwrap();
    let http = client(1);
    // Loopback by default: the same build answers, so the refusals below are the allow list's.
    let open = serve_in_process(dir.path(), &[("ELUMO_INSTANCE_ID", INSTANCE)]).await;
    let (status, text) = scrape(&http, &open).await;
    assert_eq!(status, 200, "loopback may scrape by default");
    parse(&text);

    // The server trusts 127.0.0.1 as a proxy for the per-address limits, yet a forwarded
    // address on the metrics allow list opens nothing: the connection's own address counts.
    let base = serve_in_process(
        dir.path(),
        &[
            ("ELUMO_INSTANCE_ID", INSTANCE),
            ("ELUMO_METRICS_ALLOW", "192.0.2.10, 10.9.0.0/16"),
            ("ELUMO_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    for forwarded in [None, Some("192.0.2.10"), Some("10.9.1.2")] {
        let mut req = http.get(format!("{base}/metrics"));
        if let Some(ip) = forwarded {
            req = req.header("x-forwarded-for", ip);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "forwarded for {forwarded:?}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("elumo_"), "nothing of the metrics shows");
    }
    // The same answer as an address that does not exist.
    let unknown = http
        .get(format!("{base}/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let denied = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(
        denied.headers().get("content-type"),
        unknown.headers().get("content-type")
    );
}

#[tokio::test]
async fn the_outbox_depth_counts_the_texts_still_to_send_on_both_stores() {
    use domain::store::{now_ms, QueueLinkSms};
    use domain::tokens::Token;
    for t in common::stores().await {
        assert_eq!(
            t.store.outbox_depth().await.unwrap(),
            (0, None),
            "{}",
            t.name
        );
        let seeded = domain::demo::seed(&t.store).await.unwrap();
        let invite = t
            .store
            .invite_by_token_hash(&seeded.invite_token.hash())
            .await
            .unwrap()
            .unwrap();
        let before = now_ms();
        for i in 0..3 {
            let journey = t
                .store
                .start_journey(
                    Token::generate(16).expose(),
                    seeded.operator_id,
                    invite.id,
                    "invite_opened",
                    "",
                )
                .await
                .unwrap();
            t.store
                .queue_link_sms(&QueueLinkSms {
                    journey_id: journey.id,
                    operator_id: seeded.operator_id,
                    member_id: Some(1),
                    to_e164: "+447400123001",
                    body: &format!("message {i}"),
                    token_hash: &Token::generate(32).hash(),
                    code_hash: None,
                    expires_at: now_ms() + 600_000,
                    detail: "",
                })
                .await
                .unwrap();
        }
        let (depth, oldest) = t.store.outbox_depth().await.unwrap();
        assert_eq!(depth, 3, "{}", t.name);
        let oldest = oldest.expect("an oldest text");
        assert!(oldest >= before && oldest <= now_ms(), "{}", t.name);
        // A claimed text still waits for its answer; a sent one is gone from the depth.
        let lease = domain::lease::Lease::new("metrics-test", 60_000);
        let claimed = t
            .store
            .claim_due_sms(now_ms(), &lease)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.store.outbox_depth().await.unwrap().0, 3, "{}", t.name);
        t.store
            .finish_sms(
                &claimed,
                &lease,
                &domain::store::SmsAttempt {
                    status: "sent",
                    next_attempt_at: now_ms(),
                    event: "sms_sent",
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(t.store.outbox_depth().await.unwrap().0, 2, "{}", t.name);
    }
}
