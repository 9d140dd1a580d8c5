//! Outgoing webhooks as an operator's receiver meets them: events of the journey reach a
//! subscribed endpoint, signed per Standard Webhooks (checked here with the specification's own
//! verification, whose test vector `domain::webhooks::sign` holds); a failing receiver is tried
//! again on the schedule with the same `webhook-id`, and after a day of failures the endpoint is
//! switched off; "send again" sends a new message; URLs on the host's own networks are refused
//! (and checked again at send time); two instances never deliver a message twice; and one
//! operator's endpoints hear nothing of another's. On SQLite and PostgreSQL.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use domain::lease::Lease;
use domain::staff::{Role, Session};
use domain::state::AppState;
use serde_json::Value;

const ADA: &str = "07400123001";
const UNKNOWN: &str = "07400123099";
/// `UNKNOWN` as the operator's systems are told it.
const UNKNOWN_E164: &str = "+447400123099";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Got {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

/// What the receiver keeps: the requests, and the status it answers with.
type Seen = (Arc<Mutex<Vec<Got>>>, Arc<Mutex<u16>>);

#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    status: Arc<Mutex<u16>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(200u16));
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State((got, status)): State<Seen>,
                     headers: HeaderMap,
                     body: String| async move {
                        let h = |n: &str| {
                            headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned()
                        };
                        got.lock().unwrap().push(Got {
                            id: h("webhook-id"),
                            timestamp: h("webhook-timestamp").parse().unwrap_or(0),
                            signature: h("webhook-signature"),
                            body,
                        });
                        StatusCode::from_u16(*status.lock().unwrap()).unwrap()
                    },
                ),
            )
            .with_state((got.clone(), status.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url: format!("http://{addr}/hook"),
            got,
            status,
        }
    }

    fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The types of the messages received, in order.
    fn types(&self) -> Vec<String> {
        self.got()
            .iter()
            .map(|g| {
                serde_json::from_str::<Value>(&g.body).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

struct Env {
    router: Router,
    state: AppState,
    token: String,
    a: i64,
    b: i64,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

fn admin_of(operator_id: i64) -> Session {
    Session {
        id_hash: String::new(),
        staff_id: 0,
        operator_id,
        email: format!("admin@{operator_id}.example"),
        role: Role::Admin,
        csrf: String::new(),
    }
}

async fn env() -> Env {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state(&t, dir.path()).await;
    let a = state
        .store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let b = common::second_operator(&state.store).await;
    Env {
        router: server::router(state.clone()),
        state,
        token,
        a,
        b,
        t,
        _dir: dir,
    }
}

impl Env {
    /// An endpoint of `operator` for `events` at the receiver (a loopback address, so the
    /// operator allows private addresses first). Its secret.
    async fn endpoint(&self, operator: i64, r: &Receiver, events: &[&str]) -> String {
        let s = admin_of(operator);
        self.state
            .store
            .set_webhooks_allow_private(operator, true)
            .await
            .unwrap();
        domain::webhooks::add_endpoint(
            &self.state,
            &s,
            &r.url,
            "door controller",
            events,
            "203.0.113.9",
        )
        .await
        .unwrap()
        .expect("the endpoint is added")
        .secret
    }

    /// Delivers what is due now (and, with `later_ms`, as if that much later), as one instance.
    async fn deliver(&self, later_ms: i64) -> usize {
        domain::webhooks::deliver_due_as(
            &self.state.store,
            false,
            &Lease::new("instance-a", 60_000),
            domain::store::now_ms() + later_ms,
        )
        .await
        .unwrap()
    }

    /// `number` (national, as typed) entered on the demo poster; the journey's public id.
    async fn submit(&self, number: &str) -> String {
        common::enter_number(&self.router, &self.token, number).await
    }

    /// Ada's journey to an Apple pass; its public id.
    async fn pass_for_ada(&self) -> String {
        let journey = self.submit(ADA).await;
        let link = common::texted_link(&self.state).await;
        let pass = common::send(
            &self.router,
            common::http::post_form(&format!("{link}/apple"), "", None),
        )
        .await;
        assert_eq!(pass.status, StatusCode::OK);
        journey
    }
}

fn verified(secret: &str, g: &Got) -> bool {
    domain::webhooks::sign::verify_fresh(
        secret,
        &g.id,
        g.timestamp,
        g.body.as_bytes(),
        &g.signature,
        domain::store::now_ms() / 1000,
    )
}

#[tokio::test]
async fn the_journeys_events_reach_a_subscribed_endpoint_signed() {
    common::each_store(|| async {
        let e = env().await;
        let r = Receiver::start().await;
        let secret = e
            .endpoint(
                e.a,
                &r,
                &["journey.completed", "pass.issued", "member.not_found"],
            )
            .await;
        assert!(secret.starts_with("whsec_"));
        let journey = e.pass_for_ada().await;
        e.submit(UNKNOWN).await;
        assert_eq!(e.deliver(0).await, 3);
        let mut types = r.types();
        types.sort();
        assert_eq!(
            types,
            ["journey.completed", "member.not_found", "pass.issued"]
        );
        for g in r.got() {
            assert!(
                verified(&secret, &g),
                "a valid Standard Webhooks signature: {g:?}"
            );
            assert!(g.id.starts_with("msg_"));
            assert!(!verified("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &g));
            let body: Value = serde_json::from_str(&g.body).unwrap();
            assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
            match body["type"].as_str().unwrap() {
                "pass.issued" | "journey.completed" => {
                    assert_eq!(body["data"]["journey_id"], journey.as_str());
                    assert_eq!(body["data"]["platform"], "apple");
                    assert!(body["data"]["member_external_id"].is_string());
                }
                _ => {
                    assert_eq!(body["data"]["mobile"], UNKNOWN_E164);
                    assert!(body["data"]["reason"].is_string());
                }
            }
        }
        // Only subscribed events: the text that went out is none of them; nothing more is due.
        assert_eq!(e.deliver(0).await, 0);
        let id = e.state.store.endpoints_of(e.a).await.unwrap()[0].id;
        let log = e.state.store.deliveries_of(e.a, id, 10).await.unwrap();
        assert!(log
            .iter()
            .all(|d| d.status == "delivered" && d.last_status_code == Some(200)));
        assert!(log.iter().all(|d| d.last_latency_ms.is_some()));
    })
    .await;
}

#[tokio::test]
async fn a_failing_receiver_is_tried_again_for_a_day_then_switched_off() {
    common::each_store(|| async {
        let e = env().await;
        let r = Receiver::start().await;
        let secret = e.endpoint(e.a, &r, &["member.not_found"]).await;
        r.answer(500);
        e.submit(UNKNOWN).await;
        assert_eq!(e.deliver(0).await, 1);
        let endpoint = e.state.store.endpoints_of(e.a).await.unwrap()[0].id;
        let d = e
            .state
            .store
            .deliveries_of(e.a, endpoint, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            (d.status.as_str(), d.attempts, d.last_status_code),
            ("queued", 1, Some(500))
        );
        let wait = d.next_attempt_at - domain::store::now_ms();
        assert!(
            (3_000..=5_000).contains(&wait),
            "the first retry after 5 s: {wait}"
        );
        // Not yet due: nothing is sent.
        assert_eq!(e.deliver(0).await, 0);
        // Each retry when due (the schedule's waits are at most 10 h), failing each time.
        for _ in 0..6 {
            assert_eq!(e.deliver(11 * 3_600_000).await, 1);
        }
        // A day has passed since the first failure.
        common::sql(
            &e.t,
            "UPDATE webhook_endpoints SET failing_since = failing_since - 172800000",
        )
        .await;
        common::sql(
            &e.t,
            "UPDATE webhook_deliveries SET created_at = created_at - 172800000",
        )
        .await;
        assert_eq!(e.deliver(11 * 3_600_000).await, 1);
        let got = r.got();
        assert_eq!(got.len(), 8, "the first attempt and seven retries");
        assert!(
            got.iter().all(|g| g.id == got[0].id),
            "one message, one webhook-id"
        );
        assert!(
            got.iter().all(|g| verified(&secret, g)),
            "each attempt signed afresh"
        );
        let d = e
            .state
            .store
            .deliveries_of(e.a, endpoint, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(d.status, "failed");
        assert!(d.last_error.unwrap().contains("gave up after 8 attempts"));
        let ep = e
            .state
            .store
            .endpoint(e.a, endpoint)
            .await
            .unwrap()
            .unwrap();
        assert!(ep.disabled_at.is_some());
        assert_eq!(
            ep.disabled_reason.as_deref(),
            Some(domain::webhooks::attempts::DISABLED_REASON)
        );
        assert_eq!(
            e.state
                .store
                .endpoints_disabled_for(e.a, domain::webhooks::attempts::DISABLED_REASON)
                .await
                .unwrap(),
            1
        );
        // Switched off: new events queue nothing for it.
        e.submit(UNKNOWN).await;
        assert_eq!(e.deliver(0).await, 0);

        // Turned on again and the receiver back: "send again" delivers the message anew.
        let s = admin_of(e.a);
        assert_eq!(
            domain::webhooks::change_endpoint(&e.state, &s, endpoint, "enable", "203.0.113.9")
                .await
                .unwrap(),
            Some("webhook-enabled")
        );
        r.answer(204);
        let again = domain::webhooks::send_again(&e.state, &s, d.id, "203.0.113.9")
            .await
            .unwrap()
            .expect("a new delivery");
        assert_eq!(e.deliver(0).await, 1);
        let last = r.got().pop().unwrap();
        assert_ne!(last.id, got[0].id, "a new message id");
        assert_eq!(last.body, got[0].body, "the same body");
        let log = e
            .state
            .store
            .deliveries_of(e.a, endpoint, 10)
            .await
            .unwrap();
        assert_eq!(
            log.iter().find(|d| d.id == again).unwrap().status,
            "delivered"
        );
    })
    .await;
}

#[tokio::test]
async fn addresses_on_the_hosts_own_networks_are_refused() {
    common::each_store(|| async {
        let e = env().await;
        let s = admin_of(e.a);
        let add = |url: &'static str| {
            let state = e.state.clone();
            let s = s.clone();
            async move {
                domain::webhooks::add_endpoint(&state, &s, url, "", &["pass.issued"], "203.0.113.9")
                    .await
                    .unwrap()
                    .err()
            }
        };
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://[::1]/hook",
            "http://10.0.0.8/hook",
            "http://192.168.1.10/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://0x7f.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "ftp://example.com/hook",
            "https://user:pass@example.com/hook",
        ] {
            let refused = add(url).await;
            assert!(refused.is_some(), "{url} is refused");
        }
        assert!(add("http://127.0.0.1:9/hook")
            .await
            .unwrap()
            .contains("loopback"));
        // Allowed for the operator's own network: a loopback receiver, but never the cloud's
        // metadata service.
        e.state
            .store
            .set_webhooks_allow_private(e.a, true)
            .await
            .unwrap();
        assert!(add("http://127.0.0.1:9/hook").await.is_none());
        assert!(add("http://169.254.169.254/latest/meta-data")
            .await
            .is_some());
        // Checked again at send time: once private addresses are no longer allowed, a saved
        // loopback endpoint gets nothing, and the delivery fails with the reason.
        let r = Receiver::start().await;
        e.endpoint(e.a, &r, &["member.not_found"]).await;
        e.state
            .store
            .set_webhooks_allow_private(e.a, false)
            .await
            .unwrap();
        e.submit(UNKNOWN).await;
        e.deliver(0).await;
        assert!(r.got().is_empty(), "nothing reached the loopback receiver");
        let endpoint = e
            .state
            .store
            .endpoints_of(e.a)
            .await
            .unwrap()
            .last()
            .unwrap()
            .id;
        let d = e
            .state
            .store
            .deliveries_of(e.a, endpoint, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(d.status, "failed");
        assert!(d.last_error.unwrap().contains("loopback"));
        // Production takes https only.
        let production = domain::webhooks::destination::check_url("http://example.com/hook", true);
        assert!(production.is_err());
    })
    .await;
}

#[tokio::test]
async fn one_operators_endpoints_hear_nothing_of_anothers() {
    common::each_store(|| async {
        let e = env().await;
        let ra = Receiver::start().await;
        let rb = Receiver::start().await;
        e.endpoint(e.a, &ra, &["member.not_found", "pass.issued"])
            .await;
        e.endpoint(e.b, &rb, &["member.not_found", "pass.issued"])
            .await;
        e.pass_for_ada().await;
        e.submit(UNKNOWN).await;
        e.deliver(0).await;
        assert_eq!(ra.got().len(), 2);
        assert!(rb.got().is_empty(), "B hears nothing of A's journeys");
        // B's admin reaches none of A's endpoints or deliveries.
        let a_endpoint = e.state.store.endpoints_of(e.a).await.unwrap()[0].id;
        let a_delivery = e
            .state
            .store
            .deliveries_of(e.a, a_endpoint, 1)
            .await
            .unwrap()[0]
            .id;
        let b = admin_of(e.b);
        assert!(e
            .state
            .store
            .endpoint(e.b, a_endpoint)
            .await
            .unwrap()
            .is_none());
        assert!(e
            .state
            .store
            .deliveries_of(e.b, a_endpoint, 10)
            .await
            .unwrap()
            .is_empty());
        for action in ["disable", "delete"] {
            assert_eq!(
                domain::webhooks::change_endpoint(&e.state, &b, a_endpoint, action, "203.0.113.9")
                    .await
                    .unwrap(),
                None
            );
        }
        assert_eq!(
            domain::webhooks::send_again(&e.state, &b, a_delivery, "203.0.113.9")
                .await
                .unwrap(),
            None
        );
        assert!(e
            .state
            .store
            .endpoint(e.a, a_endpoint)
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_none());
        assert_eq!(e.deliver(0).await, 0, "nothing was queued again for B");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_deliver_each_message_once() {
    common::each_store(|| async {
        let e = env().await;
        let r = Receiver::start().await;
        e.endpoint(e.a, &r, &["member.not_found"]).await;
        for _ in 0..6 {
            e.submit(UNKNOWN).await;
        }
        let now = domain::store::now_ms();
        let store = e.state.store.clone();
        let (la, lb) = (
            Lease::new("instance-a", 60_000),
            Lease::new("instance-b", 60_000),
        );
        let (one, two) = tokio::join!(
            domain::webhooks::deliver_due_as(&store, false, &la, now),
            domain::webhooks::deliver_due_as(&store, false, &lb, now),
        );
        assert_eq!(one.unwrap() + two.unwrap(), 6);
        let mut ids: Vec<String> = r.got().into_iter().map(|g| g.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6);
        assert_eq!(r.got().len(), 6, "each message once");
    })
    .await;
}

#[tokio::test]
async fn a_switched_off_endpoint_is_sent_nothing_until_it_is_on_again() {
    common::each_store(|| async {
        let e = env().await;
        let r = Receiver::start().await;
        e.endpoint(e.a, &r, &["member.not_found"]).await;
        r.answer(503);
        e.submit(UNKNOWN).await;
        assert_eq!(e.deliver(0).await, 1);
        let endpoint = e.state.store.endpoints_of(e.a).await.unwrap()[0].id;
        let s = admin_of(e.a);
        domain::webhooks::change_endpoint(&e.state, &s, endpoint, "disable", "203.0.113.9")
            .await
            .unwrap();
        // Its retry is due, but the endpoint is off: nothing is sent, nothing is used up.
        assert_eq!(e.deliver(11 * 3_600_000).await, 0);
        assert_eq!(r.got().len(), 1);
        let d = e
            .state
            .store
            .deliveries_of(e.a, endpoint, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!((d.status.as_str(), d.attempts), ("queued", 1));
        // On again, with the receiver back: the message goes out.
        r.answer(200);
        domain::webhooks::change_endpoint(&e.state, &s, endpoint, "enable", "203.0.113.9")
            .await
            .unwrap();
        assert_eq!(e.deliver(11 * 3_600_000).await, 1);
        let got = r.got();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, got[1].id, "the same message, tried again");
        let d = e
            .state
            .store
            .deliveries_of(e.a, endpoint, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(d.status, "delivered");
        assert!(
            !format!("{:?}", e.state.store.endpoint(e.a, endpoint).await.unwrap())
                .contains("whsec_")
        );
    })
    .await;
}
