//! The real SMS sender against a Twilio-compatible server that the test starts on loopback:
//! the request's shape and auth, retries of 503, 429 and timeouts, a 400 failing at once, and
//! delivery receipts with valid, forged, repeated and late signatures; on SQLite and on PostgreSQL.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

#[derive(Clone)]
enum Behaviour {
    Answer(u16, &'static str),
    Hang(Duration),
}

/// What the stand-in saw: the account in the path, the Authorization header, the form.
type Seen = (String, Option<String>, Vec<(String, String)>);

#[derive(Clone, Default)]
struct StandIn {
    script: Arc<Mutex<VecDeque<Behaviour>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn messages(
    State(s): State<StandIn>,
    Path(account): Path<String>,
    headers: HeaderMap,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_owned());
    s.seen.lock().unwrap().push((account, auth, form));
    let next = s
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Behaviour::Answer(201, ""));
    match next {
        Behaviour::Hang(d) => {
            tokio::time::sleep(d).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Behaviour::Answer(201, _) => {
            let n = s.seen.lock().unwrap().len();
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({"sid": format!("SM{n:032}"), "status": "queued"})),
            )
                .into_response()
        }
        Behaviour::Answer(code, body) => {
            (StatusCode::from_u16(code).unwrap(), body).into_response()
        }
    }
}

/// Starts the stand-in on a loopback port.
async fn stand_in(script: Vec<Behaviour>) -> (StandIn, String) {
    let s = StandIn {
        script: Arc::new(Mutex::new(script.into())),
        ..StandIn::default()
    };
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(messages),
        )
        .with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (s, format!("http://{addr}"))
}

struct Env {
    state: domain::state::AppState,
    router: Router,
    token: String,
    _t: common::TestStore,
    _dir: tempfile::TempDir,
}

const SID: &str = "AC00000000000000000000000000000001";
const AUTH: &str = "test-auth-token-0123456789";

async fn env(base_url: &str) -> Env {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_with(
        dir.path(),
        dir.path(),
        &[
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_BASE_URL", base_url),
            ("ELUMO_TWILIO_ACCOUNT_SID", SID),
            ("ELUMO_TWILIO_AUTH_TOKEN", AUTH),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
            ("ELUMO_TWILIO_TIMEOUT_MS", "300"),
        ],
    );
    let seeded = domain::demo::seed(&t.store).await.unwrap();
    let state = domain::state::AppState::build(config, t.store.clone()).unwrap();
    Env {
        router: server::router(state.clone()),
        state,
        token: seeded.invite_token.expose().to_owned(),
        _t: t,
        _dir: dir,
    }
}

const FAST: domain::retry::RetryPolicy = domain::retry::RetryPolicy {
    max_attempts: 5,
    base_delay_ms: 1,
};

impl Env {
    /// A matched journey whose text waits in the outbox; returns its public id.
    async fn matched(&self, number: &str) -> String {
        let page = app::wire::invite_page(
            domain::journeys::open_invite(&self.state, &self.token, None, Default::default())
                .await
                .unwrap(),
            None,
        );
        let app::types::InvitePage::Ready(v) = page else {
            panic!("invite usable")
        };
        let outcome = domain::journeys::submit_number(
            &self.state,
            &self.token,
            &v.journey,
            Some("GB"),
            number,
            "127.0.0.1",
            Default::default(),
        )
        .await
        .unwrap()
        .outcome;
        assert!(matches!(
            outcome.into(),
            app::types::SubmitOutcome::Matched { .. }
        ));
        v.journey
    }

    /// Runs the worker's step until nothing is due, waiting out short back-offs.
    async fn drain(&self) {
        for _ in 0..50 {
            if !domain::sms::send_one(&self.state.store, self.state.sms.as_ref(), FAST)
                .await
                .unwrap()
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if !domain::sms::send_one(&self.state.store, self.state.sms.as_ref(), FAST)
                    .await
                    .unwrap()
                {
                    return;
                }
            }
        }
    }

    async fn events(&self, journey: &str) -> Vec<(String, String)> {
        let j = self
            .state
            .store
            .journey_by_public_id(journey)
            .await
            .unwrap()
            .unwrap();
        self.state
            .store
            .journey_events(j.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.detail))
            .collect()
    }
}

#[tokio::test]
async fn the_request_has_twilios_shape_and_auth() {
    common::each_store(|| async {
        let (stand_in, base) = stand_in(vec![]).await;
        let env = env(&base).await;
        let journey = env.matched("07400 123001").await;
        env.drain().await;
        let seen = stand_in.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "one message, one request");
        let (account, auth, form) = &seen[0];
        assert_eq!(account, SID);
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{AUTH}"));
        assert_eq!(auth.as_deref(), Some(format!("Basic {basic}").as_str()));
        let field = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(field("To"), "+447400123001");
        assert_eq!(field("From"), "+15005550006");
        assert!(field("Body").contains("https://pass.example.test/l/"));
        assert_eq!(
            field("StatusCallback"),
            "https://pass.example.test/webhooks/twilio/status"
        );
        let validity: u64 = field("ValidityPeriod").parse().unwrap();
        assert!(
            (590..=600).contains(&validity),
            "the link's remaining life: {validity}"
        );
        let kinds: Vec<String> = env
            .events(&journey)
            .await
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert!(
            kinds.ends_with(&["sms_queued".into(), "sms_sent".into()]),
            "{kinds:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn outages_rate_limits_and_timeouts_are_retried_until_delivered() {
    common::each_store(|| async {
        let (stand_in, base) = stand_in(vec![
            Behaviour::Answer(503, r#"{"code": 20503, "message": "Service unavailable"}"#),
            Behaviour::Answer(429, r#"{"code": 20429, "message": "Too Many Requests"}"#),
            Behaviour::Hang(Duration::from_secs(2)),
            Behaviour::Answer(201, ""),
        ])
        .await;
        let env = env(&base).await;
        let journey = env.matched("07400 123002").await;
        env.drain().await;
        assert_eq!(
            stand_in.seen.lock().unwrap().len(),
            4,
            "three failures, then the send that worked"
        );
        let events = env.events(&journey).await;
        let retries: Vec<&(String, String)> =
            events.iter().filter(|e| e.0 == "sms_retry").collect();
        assert_eq!(retries.len(), 3, "{events:?}");
        assert!(
            retries[0].1.contains("503")
                && retries[1].1.contains("429")
                && retries[2].1.contains("timed out")
        );
        assert_eq!(events.last().unwrap().0, "sms_sent");
    })
    .await;
}

#[tokio::test]
async fn an_invalid_number_fails_at_once() {
    common::each_store(|| async {
        let (stand_in, base) = stand_in(vec![Behaviour::Answer(
            400,
            r#"{"code": 21211, "message": "Invalid 'To' Phone Number"}"#,
        )])
        .await;
        let env = env(&base).await;
        let journey = env.matched("07400 123003").await;
        env.drain().await;
        assert_eq!(
            stand_in.seen.lock().unwrap().len(),
            1,
            "no retry of a request that can never work"
        );
        let last = env.events(&journey).await.pop().unwrap();
        assert_eq!(last.0, "sms_failed");
        assert!(
            last.1.contains("21211") && last.1.contains("Invalid 'To' Phone Number"),
            "{}",
            last.1
        );
    })
    .await;
}

fn callback(params: &[(&str, &str)], signature: Option<String>) -> Request<Body> {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig = signature.unwrap_or_else(|| {
        domain::sms::twilio::signature(
            AUTH,
            "https://pass.example.test/webhooks/twilio/status",
            &pairs,
        )
    });
    let body: String = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
        .collect::<Vec<_>>()
        .join("&");
    Request::post("/webhooks/twilio/status")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn delivery_receipts_are_signed_idempotent_and_never_go_backwards() {
    common::each_store(|| async {
        let (_stand_in, base) = stand_in(vec![]).await;
        let env = env(&base).await;
        let journey = env.matched("07400 123004").await;
        env.drain().await;
        let sid = format!("SM{:032}", 1);
        let send = |req| common::send(&env.router, req);

        let delivered = [
            ("MessageSid", sid.as_str()),
            ("MessageStatus", "delivered"),
            ("To", "+447400123004"),
        ];
        let forged = send(callback(&delivered, Some("Zm9yZ2Vk".into()))).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(
            env.state.store.delivery_status(&sid).await.unwrap(),
            None,
            "a forged receipt changes nothing"
        );

        for _ in 0..2 {
            let ok = send(callback(&delivered, None)).await;
            assert_eq!(ok.status, StatusCode::NO_CONTENT);
        }
        // "sent" arriving after "delivered" is late news.
        let late = send(callback(
            &[("MessageSid", sid.as_str()), ("MessageStatus", "sent")],
            None,
        ))
        .await;
        assert_eq!(late.status, StatusCode::NO_CONTENT);
        assert_eq!(
            env.state
                .store
                .delivery_status(&sid)
                .await
                .unwrap()
                .as_deref(),
            Some("delivered")
        );
        let kinds: Vec<String> = env
            .events(&journey)
            .await
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == "sms_delivered").count(),
            1,
            "{kinds:?}"
        );
        assert!(!kinds.contains(&"sms_sent_receipt".to_owned()));

        // A receipt with its parameters altered after signing is refused.
        let sig = domain::sms::twilio::signature(
            AUTH,
            "https://pass.example.test/webhooks/twilio/status",
            &[
                ("MessageSid".into(), sid.clone()),
                ("MessageStatus".into(), "delivered".into()),
            ],
        );
        let tampered = send(callback(
            &[("MessageSid", sid.as_str()), ("MessageStatus", "failed")],
            Some(sig),
        ))
        .await;
        assert_eq!(tampered.status, StatusCode::FORBIDDEN);
    })
    .await;
}

/// What a take-over asks Twilio before sending a text again: the newest messages to the
/// number, with the account's Basic auth. A listed message with the same text that Twilio did
/// not give up on counts as sent; another text, a failed one, or a provider without the list
/// (404) does not; an outage (503) is a temporary failure, so nothing is sent twice meanwhile.
#[tokio::test]
async fn a_take_over_asks_the_provider_what_it_already_has() {
    type Asked = Arc<Mutex<Vec<(Option<String>, Vec<(String, String)>)>>>;
    type Answers = Arc<Mutex<VecDeque<(u16, serde_json::Value)>>>;
    let answers: Answers = Default::default();
    let asked: Asked = Default::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            axum::routing::get(
                |State((answers, asked)): State<(Answers, Asked)>,
                 headers: HeaderMap,
                 axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>| async move {
                    let auth = headers
                        .get(header::AUTHORIZATION)
                        .map(|v| v.to_str().unwrap().to_owned());
                    asked.lock().unwrap().push((auth, query));
                    let (code, body) = answers.lock().unwrap().pop_front().unwrap();
                    (StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response()
                },
            ),
        )
        .with_state((answers.clone(), asked.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_with(
        dir.path(),
        dir.path(),
        &[
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_BASE_URL", &base),
            ("ELUMO_TWILIO_ACCOUNT_SID", SID),
            ("ELUMO_TWILIO_AUTH_TOKEN", AUTH),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
        ],
    );
    let sender = domain::sms::twilio::TwilioSender::new(
        config.sms.twilio.unwrap(),
        "https://pass.example.test",
    )
    .unwrap();
    let msg = domain::sms::OutgoingSms {
        id: 7,
        to: "+447400123002".into(),
        body: "Your pass: https://pass.example.test/l/abc".into(),
        valid_for_secs: 600,
    };
    let listed = |status: &str, body: &str| {
        serde_json::json!({"messages": [
            {"sid": "SMother", "to": "+447400123002", "body": "another text", "status": "delivered"},
            {"sid": "SMmatch", "to": "+447400123002", "body": body, "status": status},
        ]})
    };
    answers.lock().unwrap().extend([
        (200, listed("delivered", &msg.body)),
        (200, listed("queued", &msg.body)),
        (200, listed("failed", &msg.body)),
        (
            200,
            listed("delivered", "Your pass: https://pass.example.test/l/xyz"),
        ),
        (404, serde_json::json!({"code": 20404})),
        (503, serde_json::json!({})),
    ]);
    use domain::sms::SmsSender as _;
    let found = |r: Result<Option<domain::sms::SmsReceipt>, domain::sms::SmsError>| {
        r.map(|o| o.map(|receipt| receipt.provider_id))
    };
    assert_eq!(
        found(sender.find_sent(&msg).await).unwrap().as_deref(),
        Some("SMmatch")
    );
    assert_eq!(
        found(sender.find_sent(&msg).await).unwrap().as_deref(),
        Some("SMmatch")
    );
    assert_eq!(
        found(sender.find_sent(&msg).await).unwrap(),
        None,
        "failed: send again"
    );
    assert_eq!(
        found(sender.find_sent(&msg).await).unwrap(),
        None,
        "another text"
    );
    assert_eq!(
        found(sender.find_sent(&msg).await).unwrap(),
        None,
        "no list here"
    );
    assert!(matches!(
        sender.find_sent(&msg).await,
        Err(domain::sms::SmsError::Temporary(_))
    ));
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 6);
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{AUTH}"))
    );
    assert_eq!(asked[0].0.as_deref(), Some(basic.as_str()));
    assert!(
        asked[0].1.contains(&("To".into(), "+447400123002".into())),
        "{:?}",
        asked[0].1
    );
}
