//! The REST API under /v1 over HTTP, as an operator's systems call it: keys and scopes, every
//! resource, paging, problems for bad input, the rate limit, the audit log, tenancy across two
//! operators for every route, and the OpenAPI document checked against the routes that exist.
//! On both databases.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::Reply;
use domain::staff::{Role, Session};
use domain::state::AppState;
use serde_json::{json, Value};

const ADA: &str = "+447400123001";
const ADA_NATIONAL: &str = "07400123001";

struct Env {
    router: Router,
    state: AppState,
    token: String,
    /// The demo operator (A) and a second one (B).
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

async fn env(extra: &[(&str, &str)]) -> Env {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vec![("ELUMO_API_EVENTS_SETTLE_MS", "0")];
    vars.extend_from_slice(extra);
    let (state, token) = common::demo_state_with(&t, dir.path(), &vars).await;
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
    /// A new key of `operator`: `read`, or `read write`.
    async fn key(&self, operator: i64, write: bool) -> String {
        let made = domain::api_keys::create(
            &self.state,
            &admin_of(operator),
            "door controller",
            write,
            "203.0.113.9",
        )
        .await
        .unwrap()
        .unwrap();
        made.key.expose().to_owned()
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            req = req.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        common::http::send_from(&self.router, req, "203.0.113.7").await
    }

    async fn get(&self, path: &str, key: &str) -> Reply {
        self.call("GET", path, Some(key), None).await
    }

    /// A journey of A that reached a pass: Ada's number on the demo poster, her link's Apple
    /// pass. Returns the journey's public id.
    async fn journey_with_pass(&self) -> String {
        let journey = common::enter_number(&self.router, &self.token, ADA_NATIONAL).await;
        let link = common::texted_link(&self.state).await;
        let pass = common::send(
            &self.router,
            common::http::post_form(&format!("{link}/apple"), "", None),
        )
        .await;
        assert_eq!(pass.status, StatusCode::OK, "{}", pass.text());
        journey
    }
}

fn is_problem(r: &Reply, status: StatusCode, kind: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{}",
        r.text()
    );
    let p = r.json();
    assert_eq!(p["type"], format!("/v1/docs#problem-{kind}"), "{p}");
    assert_eq!(p["status"], status.as_u16());
    assert!(!p["title"].as_str().unwrap().is_empty());
    assert!(!p["detail"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn a_request_needs_a_live_key_and_a_read_key_cannot_write() {
    common::each_store(|| async {
        let e = env(&[]).await;
        let none = e.call("GET", "/v1/members", None, None).await;
        is_problem(&none, StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(none.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let made_up = e
            .get(
                "/v1/members",
                "elumo_0000000000000000000000000000000000000000000",
            )
            .await;
        is_problem(&made_up, StatusCode::UNAUTHORIZED, "unauthorized");
        let basic = e.call("GET", "/v1/members", None, None).await;
        is_problem(&basic, StatusCode::UNAUTHORIZED, "unauthorized");

        let read = e.key(e.a, false).await;
        assert_eq!(e.get("/v1/members", &read).await.status, StatusCode::OK);
        let put = e
            .call(
                "PUT",
                "/v1/members/m-new",
                Some(&read),
                Some(json!({"first_name": "Nia", "last_name": "New"})),
            )
            .await;
        is_problem(&put, StatusCode::FORBIDDEN, "insufficient-scope");
        assert!(e.get("/v1/members/m-new", &read).await.status == StatusCode::NOT_FOUND);

        // A revoked key stops at once.
        let id = e.state.store.api_keys_of(e.a).await.unwrap()[0].id;
        assert_eq!(
            domain::api_keys::revoke(&e.state, &admin_of(e.a), id, "203.0.113.9")
                .await
                .unwrap(),
            Some("key-revoked")
        );
        is_problem(
            &e.get("/v1/members", &read).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        // Another operator's admin cannot revoke A's key (it is not theirs).
        let other = e.key(e.a, false).await;
        let other_id = e.state.store.api_keys_of(e.a).await.unwrap()[0].id;
        assert_eq!(
            domain::api_keys::revoke(&e.state, &admin_of(e.b), other_id, "203.0.113.9")
                .await
                .unwrap(),
            None
        );
        assert_eq!(e.get("/v1/members", &other).await.status, StatusCode::OK);
        // The key's last use is noted; only its hash is stored.
        let keys = e.state.store.api_keys_of(e.a).await.unwrap();
        assert!(keys[0].last_used_at.is_some());
        assert_eq!(
            common::scalar(
                &e.t,
                &format!(
                    "SELECT COUNT(*) FROM api_keys WHERE key_hash = '{}'",
                    domain::tokens::hash_token(&other)
                )
            )
            .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn members_are_upserted_listed_a_page_at_a_time_and_deactivated_with_their_passes() {
    common::each_store(|| async {
        let e = env(&[]).await;
        let key = e.key(e.a, true).await;
        let created = e
            .call(
                "PUT",
                "/v1/members/m-1001",
                Some(&key),
                Some(json!({
                    "first_name": "Nia", "last_name": "Okafor", "email": "nia@example.com",
                    "mobile": "07400 123 555", "language": "de",
                    "membership_ends_at": "2027-06-30"
                })),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        assert_eq!(created.headers[header::LOCATION], "/v1/members/m-1001");
        let m = created.json();
        assert_eq!(m["mobile"], "+447400123555", "read in the operator's country");
        assert_eq!(m["active"], true);
        assert_eq!(m["membership_ends_at"], "2027-06-30T00:00:00Z");
        let again = e
            .call(
                "PUT",
                "/v1/members/m-1001",
                Some(&key),
                Some(json!({"first_name": "Nia", "last_name": "Okafor-Smith", "mobile": "+447400123555"})),
            )
            .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text());
        assert_eq!(e.get("/v1/members/m-1001", &key).await.json()["last_name"], "Okafor-Smith");

        // A landline is refused with the directory's reason, and nothing is written.
        let landline = e
            .call(
                "PUT",
                "/v1/members/m-1002",
                Some(&key),
                Some(json!({"first_name": "Lan", "last_name": "Line", "mobile": "+442079460000"})),
            )
            .await;
        is_problem(&landline, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(e.get("/v1/members/m-1002", &key).await.status, StatusCode::NOT_FOUND);
        // Bodies that are not the documented shape.
        for bad in [json!({"first_name": "x"}), json!({"first_name": "x", "last_name": "y", "nickname": "z"})] {
            let r = e.call("PUT", "/v1/members/m-1003", Some(&key), Some(bad)).await;
            is_problem(&r, StatusCode::BAD_REQUEST, "invalid-body");
        }
        let not_json = e
            .router
            .clone();
        let r = common::http::send(
            &not_json,
            Request::put("/v1/members/m-1003")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
        is_problem(&r, StatusCode::BAD_REQUEST, "invalid-body");

        // Paging: every member once, in a stable order, two at a time.
        let all = e.state.store.member_page(e.a, 0, 1000, None, None).await.unwrap();
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = e
                .get(&format!("/v1/members?limit=2&cursor={cursor}"), &key)
                .await
                .json();
            let data = page["data"].as_array().unwrap();
            assert!(data.len() <= 2);
            seen.extend(data.iter().map(|m| m["external_id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen.len(), all.len());
        assert_eq!(seen, all.iter().map(|m| m.external_id.clone()).collect::<Vec<_>>());
        let found = e.get("/v1/members?search=okafor", &key).await.json();
        assert_eq!(found["data"].as_array().unwrap().len(), 1);
        for bad in ["limit=0", "limit=201", "cursor=abc", "active=maybe"] {
            is_problem(
                &e.get(&format!("/v1/members?{bad}"), &key).await,
                StatusCode::BAD_REQUEST,
                "bad-query",
            );
        }

        // Ada has a pass; deactivating her voids it at once.
        e.journey_with_pass().await;
        let ada = e.state.store.members_by_mobile(e.a, ADA).await.unwrap().remove(0);
        let passes = e
            .get(&format!("/v1/passes?member_external_id={}", ada.external_id), &key)
            .await
            .json();
        assert_eq!(passes["data"][0]["state"], "live", "{passes}");
        let gone = e
            .call("POST", &format!("/v1/members/{}/deactivate", ada.external_id), Some(&key), None)
            .await;
        assert_eq!(gone.status, StatusCode::OK, "{}", gone.text());
        assert_eq!(gone.json()["active"], false);
        let passes = e
            .get(&format!("/v1/passes?member_external_id={}", ada.external_id), &key)
            .await
            .json();
        assert_eq!(passes["data"][0]["state"], "voided", "{passes}");
        assert_eq!(
            e.call("POST", "/v1/members/nobody/deactivate", Some(&key), None).await.status,
            StatusCode::NOT_FOUND
        );

        // Every write is in the audit log under the key's name.
        let audit = e.state.store.audit_entries(e.a, 50, 0).await.unwrap();
        for action in ["member_created", "member_updated", "member_deactivated"] {
            assert!(
                audit.iter().any(|a| a.action == action && a.actor == "API key “door controller”"),
                "{action}: {audit:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn invites_are_made_read_revoked_and_a_poster_has_its_qr_code() {
    common::each_store(|| async {
        let e = env(&[]).await;
        let key = e.key(e.a, true).await;
        let site = e.get("/v1/sites", &key).await.json()["data"][0]["id"].as_i64().unwrap();
        let poster = e
            .call("POST", "/v1/invites", Some(&key), Some(json!({"kind": "poster", "site_id": site, "days": 30})))
            .await;
        assert_eq!(poster.status, StatusCode::CREATED, "{}", poster.text());
        let p = poster.json();
        assert_eq!(p["kind"], "poster");
        assert_eq!(p["state"], "live");
        assert!(p["link"].as_str().unwrap().starts_with("https://pass.example.test/i/"));
        assert_eq!(p["url"], p["link"]);
        // The poster's link opens the journey's first page.
        let path = p["link"].as_str().unwrap().trim_start_matches("https://pass.example.test").to_owned();
        assert_eq!(common::http::send(&e.router, common::http::get(&path, None)).await.status, StatusCode::OK);
        let id = p["id"].as_i64().unwrap();
        let svg = e.get(&format!("/v1/invites/{id}/qr.svg"), &key).await;
        assert_eq!(svg.status, StatusCode::OK);
        assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
        assert!(svg.text().contains("<svg"));
        let png = e.get(&format!("/v1/invites/{id}/qr.png"), &key).await;
        assert_eq!(png.headers[header::CONTENT_TYPE], "image/png");
        assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");

        // A member invite, not emailed: the link is shown once, and not kept.
        let ada = e.state.store.members_by_mobile(e.a, ADA).await.unwrap().remove(0);
        let member = e
            .call("POST", "/v1/invites", Some(&key), Some(json!({"kind": "member", "member_external_id": ada.external_id, "email": false})))
            .await;
        assert_eq!(member.status, StatusCode::CREATED, "{}", member.text());
        let m = member.json();
        assert_eq!(m["member_external_id"], ada.external_id.as_str());
        assert_eq!(m["emailed"], false);
        assert!(m["url"].is_null() && m["link"].as_str().unwrap().contains("/i/"));
        let mid = m["id"].as_i64().unwrap();
        is_problem(&e.get(&format!("/v1/invites/{mid}/qr.svg"), &key).await, StatusCode::NOT_FOUND, "no-qr-code");
        assert!(e.get(&format!("/v1/invites/{mid}"), &key).await.json()["link"].is_null());

        for bad in [
            json!({"kind": "member"}),
            json!({"kind": "member", "member_external_id": "nobody"}),
            json!({"kind": "poster", "site_id": 999999}),
            json!({"kind": "poster", "days": 400}),
            json!({"kind": "poster", "member_external_id": "x"}),
        ] {
            let r = e.call("POST", "/v1/invites", Some(&key), Some(bad.clone())).await;
            is_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        }
        is_problem(
            &e.call("POST", "/v1/invites", Some(&key), Some(json!({"kind": "flyer"}))).await,
            StatusCode::BAD_REQUEST,
            "invalid-body",
        );

        let revoked = e.call("POST", &format!("/v1/invites/{id}/revoke"), Some(&key), None).await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
        assert_eq!(revoked.json()["state"], "revoked");
        let list = e.get("/v1/invites?limit=1", &key).await.json();
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        assert_eq!(list["data"][0]["id"], mid, "newest first");
        let next = list["next_cursor"].as_str().unwrap();
        let rest = e.get(&format!("/v1/invites?limit=1&cursor={next}"), &key).await.json();
        assert_eq!(rest["data"][0]["id"], id);
    })
    .await;
}

#[tokio::test]
async fn journeys_with_their_timeline_passes_and_the_events_feed() {
    common::each_store(|| async {
        let e = env(&[]).await;
        let key = e.key(e.a, true).await;
        let journey = e.journey_with_pass().await;
        let list = e.get("/v1/journeys?outcome=completed", &key).await.json();
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list["data"][0]["id"], journey.as_str());
        assert!(list["data"][0]["apple_pass_at"].is_string());
        assert_eq!(
            e.get("/v1/journeys?outcome=not_found", &key).await.json()["data"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            e.get("/v1/journeys?from=2000-01-01&to=2000-01-02", &key)
                .await
                .json()["data"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        for bad in ["outcome=won", "from=yesterday", "limit=-1"] {
            is_problem(
                &e.get(&format!("/v1/journeys?{bad}"), &key).await,
                StatusCode::BAD_REQUEST,
                "bad-query",
            );
        }
        let one = e.get(&format!("/v1/journeys/{journey}"), &key).await.json();
        let kinds: Vec<&str> = one["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"member_matched") && kinds.contains(&"apple_pass_issued"),
            "{kinds:?}"
        );
        assert_eq!(
            e.get("/v1/journeys/nope", &key).await.status,
            StatusCode::NOT_FOUND
        );

        // The events feed: every event once, with a cursor; nothing new after the last.
        let mut cursor = String::new();
        let mut feed = Vec::new();
        loop {
            let page = e
                .get(&format!("/v1/events?limit=3&cursor={cursor}"), &key)
                .await
                .json();
            let data = page["data"].as_array().unwrap().clone();
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            if data.is_empty() {
                break;
            }
            feed.extend(data);
        }
        assert_eq!(feed.len(), kinds.len(), "{feed:?}");
        assert!(feed.iter().all(|ev| ev["journey_id"] == journey.as_str()));

        // Voiding the pass: once, then "already void" changes nothing.
        let pass = e.get("/v1/passes", &key).await.json()["data"][0].clone();
        assert_eq!(pass["state"], "live");
        let void = e
            .call(
                "POST",
                &format!("/v1/passes/{}/void", pass["id"]),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(void.status, StatusCode::OK, "{}", void.text());
        assert_eq!(void.json()["state"], "voided");
        let again = e
            .call(
                "POST",
                &format!("/v1/passes/{}/void", pass["id"]),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(again.json()["state"], "voided");
        let more = e
            .get(&format!("/v1/events?cursor={cursor}"), &key)
            .await
            .json();
        assert_eq!(
            more["data"].as_array().unwrap().len(),
            1,
            "one void event: {more}"
        );
        assert_eq!(more["data"][0]["kind"], "apple_pass_voided");
    })
    .await;
}

#[tokio::test]
async fn another_operators_key_reaches_nothing_of_this_operator() {
    common::each_store(|| async {
        let e = env(&[]).await;
        let a_key = e.key(e.a, true).await;
        let b_key = e.key(e.b, true).await;
        let journey = e.journey_with_pass().await;
        let ada = e
            .state
            .store
            .members_by_mobile(e.a, ADA)
            .await
            .unwrap()
            .remove(0);
        let pass_id = e.get("/v1/passes", &a_key).await.json()["data"][0]["id"]
            .as_i64()
            .unwrap();
        let poster = e
            .call(
                "POST",
                "/v1/invites",
                Some(&a_key),
                Some(json!({"kind": "poster"})),
            )
            .await
            .json();
        let invite = poster["id"].as_i64().unwrap();
        let ext = ada.external_id.clone();

        // Every route, with A's ids and B's key.
        let reads = [
            format!("/v1/members/{ext}"),
            format!("/v1/journeys/{journey}"),
            format!("/v1/invites/{invite}"),
            format!("/v1/invites/{invite}/qr.svg"),
            format!("/v1/invites/{invite}/qr.png"),
        ];
        for path in &reads {
            is_problem(
                &e.get(path, &b_key).await,
                StatusCode::NOT_FOUND,
                "not-found",
            );
        }
        for path in [
            "/v1/members",
            "/v1/journeys",
            "/v1/invites",
            "/v1/passes",
            "/v1/events",
            "/v1/sites",
        ] {
            let page = e.get(path, &b_key).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert_eq!(
                page.json()["data"].as_array().unwrap().len(),
                0,
                "{path}: {}",
                page.text()
            );
        }
        assert_eq!(
            e.get(&format!("/v1/passes?member_external_id={ext}"), &b_key)
                .await
                .json()["data"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        for path in [
            format!("/v1/members/{ext}/deactivate"),
            format!("/v1/invites/{invite}/revoke"),
            format!("/v1/passes/{pass_id}/void"),
        ] {
            is_problem(
                &e.call("POST", &path, Some(&b_key), None).await,
                StatusCode::NOT_FOUND,
                "not-found",
            );
        }
        // B's PUT of A's external id makes B's own member; A's is untouched.
        let put = e
            .call(
                "PUT",
                &format!("/v1/members/{ext}"),
                Some(&b_key),
                Some(json!({"first_name": "Bea", "last_name": "B", "mobile": "+447400999002"})),
            )
            .await;
        assert_eq!(put.status, StatusCode::CREATED, "{}", put.text());
        let a_ada = e.get(&format!("/v1/members/{ext}"), &a_key).await.json();
        assert_eq!(a_ada["first_name"], ada.first_name.as_str());
        assert_eq!(a_ada["active"], true);
        // B cannot invite A's member, nor on A's site.
        let a_site = e.get("/v1/sites", &a_key).await.json()["data"][0]["id"]
            .as_i64()
            .unwrap();
        is_problem(
            &e.call(
                "POST",
                "/v1/invites",
                Some(&b_key),
                Some(json!({"kind": "poster", "site_id": a_site})),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        // A's things are as they were.
        assert_eq!(
            e.get(&format!("/v1/invites/{invite}"), &a_key).await.json()["state"],
            "live"
        );
        assert_eq!(
            e.get("/v1/passes", &a_key).await.json()["data"][0]["state"],
            "live"
        );
    })
    .await;
}

#[tokio::test]
async fn a_key_is_rate_limited_with_a_retry_after() {
    common::each_store(|| async {
        let e = env(&[("ELUMO_LIMIT_API_PER_KEY_PER_MINUTE", "3")]).await;
        let key = e.key(e.a, false).await;
        let other = e.key(e.a, false).await;
        for _ in 0..3 {
            assert_eq!(e.get("/v1/sites", &key).await.status, StatusCode::OK);
        }
        let limited = e.get("/v1/sites", &key).await;
        is_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        let wait: i64 = limited.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        // Per key: another key of the operator goes on.
        assert_eq!(e.get("/v1/sites", &other).await.status, StatusCode::OK);
    })
    .await;
}

/// The OpenAPI document describes exactly the routes that answer: every operation it lists
/// is routed (with its method), every route answers with a problem when the key is missing,
/// and what it does not list is "no such route".
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let e = env(&[]).await;
    let key = e.key(e.a, true).await;
    let doc = e.call("GET", "/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete", "patch"] {
            if let Some(op) = item.get(method) {
                operations.push((method.to_uppercase(), path.clone()));
                let scope = op["security"][0]["api_key"][0].as_str().unwrap();
                assert!(scope == "read" || scope == "write", "{method} {path}");
                assert!(op["summary"].is_string(), "{method} {path} has a summary");
            }
        }
    }
    let mut expected = vec![
        ("GET", "/v1/members"),
        ("GET", "/v1/members/{external_id}"),
        ("PUT", "/v1/members/{external_id}"),
        ("POST", "/v1/members/{external_id}/deactivate"),
        ("GET", "/v1/invites"),
        ("POST", "/v1/invites"),
        ("GET", "/v1/invites/{id}"),
        ("POST", "/v1/invites/{id}/revoke"),
        ("GET", "/v1/invites/{id}/qr.svg"),
        ("GET", "/v1/invites/{id}/qr.png"),
        ("GET", "/v1/journeys"),
        ("GET", "/v1/journeys/{id}"),
        ("GET", "/v1/passes"),
        ("POST", "/v1/passes/{id}/void"),
        ("GET", "/v1/sites"),
        ("GET", "/v1/events"),
    ];
    expected.sort();
    let mut listed: Vec<(&str, &str)> = operations
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .collect();
    listed.sort();
    assert_eq!(listed, expected);
    for (method, path) in &operations {
        let concrete = path
            .replace("{external_id}", "m-x")
            .replace("{id}", "999999");
        // Without a key: the route exists and asks for one.
        let r = e.call(method, &concrete, None, None).await;
        is_problem(&r, StatusCode::UNAUTHORIZED, "unauthorized");
        // With a key: never "no such route" nor "method not allowed".
        let body = (method != "GET").then(|| json!({}));
        let r = e.call(method, &concrete, Some(&key), body).await;
        assert!(
            r.status != StatusCode::METHOD_NOT_ALLOWED && !r.text().contains("no-such-route"),
            "{method} {concrete}: {}",
            r.text()
        );
    }
    is_problem(
        &e.get("/v1/widgets", &key).await,
        StatusCode::NOT_FOUND,
        "no-such-route",
    );
    let wrong = e.call("DELETE", "/v1/members", Some(&key), None).await;
    is_problem(&wrong, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert!(wrong.headers[header::ALLOW]
        .to_str()
        .unwrap()
        .contains("GET"));

    // The docs page lists every operation, and every problem type it links to.
    let docs = e.call("GET", "/v1/docs", None, None).await;
    assert_eq!(docs.status, StatusCode::OK);
    let html = docs.text();
    for (method, path) in &expected {
        assert!(
            html.contains(&format!("{method} {path}")),
            "{method} {path}"
        );
    }
    for code in [
        "unauthorized",
        "insufficient-scope",
        "rate-limited",
        "not-found",
        "invalid",
        "invalid-body",
        "bad-query",
        "no-such-route",
        "method-not-allowed",
        "no-qr-code",
        "unavailable",
    ] {
        assert!(html.contains(&format!("id=\"problem-{code}\"")), "{code}");
    }
}
