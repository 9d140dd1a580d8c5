//! CRM sync as an operator meets it: a file import's report, REST and HubSpot connectors against
//! loopback stand-ins that page, fail and time out, signed webhooks, leavers losing their passes,
//! and one sync per operator at a time across instances.

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use domain::crm::engine::{self, SyncError, SyncOptions, SyncReport};
use domain::crm::file::{FileSource, Format};
use domain::crm::hubspot::{HubSpotConnector, HubSpotSettings};
use domain::crm::rest::{RestConnector, RestSettings};
use domain::crm::{Auth, CrmError};
use domain::retry::RetryPolicy;
use domain::store::{SqlOperator, Store, SyncMode};
use serde_json::{json, Value};

// ---- helpers ----

fn opts(mode: SyncMode, holder: &str) -> SyncOptions {
    let mut o = SyncOptions::new(mode, holder);
    o.retry = RetryPolicy {
        max_attempts: 4,
        base_delay_ms: 10,
    };
    o
}

async fn northwind(store: &Store) -> SqlOperator {
    domain::demo::seed(store).await.unwrap();
    store.operator_by_slug("northwind").await.unwrap().unwrap()
}

async fn sync(
    store: &Store,
    op: &SqlOperator,
    c: &dyn domain::crm::Connector,
    o: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    engine::run(store, op, c, o, &|_| {}).await
}

fn reason_of<'a>(report: &'a SyncReport, row: &str) -> &'a str {
    report
        .problems()
        .iter()
        .find(|p| p.row_ref.as_deref().is_some_and(|r| r.starts_with(row)))
        .map(|p| p.reason.as_str())
        .unwrap_or_else(|| panic!("no problem reported for {row}: {:?}", report.problems()))
}

// ---- file import ----

const CSV: &str = "\
external_id,first_name,last_name,email,mobile,facility_code,card_number
nw-1001,Ada,Lovelace,ada@example.com,+447400123001,,
nw-2001,Edsger,Dijkstra,ed@example.com,07400 123101,42,2001
nw-2002,Barbara,Liskov,,07400 123102,42,1002
nw-2003,Donald,Knuth,,,,
nw-2004,Niklaus,Wirth,,12345,,
nw-2001,Dup,Licate,,07400 123103,,
nw-2005,John,Backus,,07400 123101,,
nw-2006,Too,Few
nw-2007,Bad,Card,,07400 123104,300,5
nw-1003,Alan,Turing,alan@new.example,+447400123003,,
";

#[tokio::test]
async fn a_csv_import_reports_good_malformed_and_conflicting_rows() {
    for t in common::stores().await {
        let store = &t.store;
        let op = northwind(store).await;
        let file = FileSource::parse(CSV.as_bytes(), Format::Csv, &Default::default()).unwrap();

        let mut dry = opts(SyncMode::Incremental, "cli-1");
        dry.dry_run = true;
        let preview = sync(store, &op, &file.with_page_size(100), &dry)
            .await
            .unwrap();
        assert!(
            store.member_sync(op.id, "nw-2001").await.unwrap().is_none(),
            "{}: a dry run writes nothing",
            t.name
        );

        let file = FileSource::parse(CSV.as_bytes(), Format::Csv, &Default::default())
            .unwrap()
            .with_page_size(3);
        let report = sync(store, &op, &file, &opts(SyncMode::Incremental, "cli-1"))
            .await
            .unwrap();
        let c = &report.counts;
        assert_eq!(
            (
                c.created,
                c.updated,
                c.unchanged,
                c.rejected,
                c.conflicts,
                c.deactivated
            ),
            (2, 1, 1, 6, 1, 0),
            "{}: {c:?}",
            t.name
        );
        assert_eq!(report.pages, 4, "ten rows in pages of three");
        assert_eq!(
            (
                preview.counts.created,
                preview.counts.rejected,
                preview.counts.conflicts
            ),
            (2, 6, 1),
            "the dry run foresaw the same"
        );

        assert_eq!(reason_of(&report, "row 5 "), "no mobile on record");
        assert!(reason_of(&report, "row 6 ").starts_with("invalid mobile (ending 345)"));
        assert_eq!(
            reason_of(&report, "row 7 "),
            "duplicate external id nw-2001 (first seen at row 3 (id nw-2001))"
        );
        assert_eq!(
            reason_of(&report, "row 8 "),
            "duplicate mobile •••• ••• 101: the same number as row 3 (id nw-2001)"
        );
        assert_eq!(
            reason_of(&report, "row 9"),
            "malformed row: expected 7 fields, found 3"
        );
        assert!(reason_of(&report, "row 10 ").starts_with("malformed card: facility code \"300\""));
        assert_eq!(
            reason_of(&report, "row 4 "),
            "card 42/1002 is already member nw-1002's; the card was not imported"
        );

        // What was written: the new member with their card, the conflicting one without it,
        // nobody for the rejected rows.
        let ed = store
            .member_by_external_id(op.id, "nw-2001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ed.mobile_e164.as_deref(), Some("+447400123101"));
        let cards = store.credentials_for_member(ed.id).await.unwrap();
        assert_eq!((cards[0].facility_code, cards[0].card_number), (42, 2001));
        let barbara = store
            .member_by_external_id(op.id, "nw-2002")
            .await
            .unwrap()
            .unwrap();
        assert!(store
            .credentials_for_member(barbara.id)
            .await
            .unwrap()
            .is_empty());
        for rejected in ["nw-2003", "nw-2004", "nw-2005", "nw-2006", "nw-2007"] {
            assert!(store.member_sync(op.id, rejected).await.unwrap().is_none());
        }
        let alan = store.member_sync(op.id, "nw-1003").await.unwrap().unwrap();
        assert_eq!(alan.source, "import");
        assert!(alan.synced_at.is_some());

        // The same file again changes nothing.
        let file = FileSource::parse(CSV.as_bytes(), Format::Csv, &Default::default()).unwrap();
        let again = sync(store, &op, &file, &opts(SyncMode::Incremental, "cli-1"))
            .await
            .unwrap();
        assert_eq!((again.counts.created, again.counts.updated), (0, 0));
        assert_eq!(again.counts.unchanged, 4);

        // A full import: whoever is not in the file has left.
        let only_ada = "id,mobile\nnw-1001,+447400123001\n";
        let file =
            FileSource::parse(only_ada.as_bytes(), Format::Csv, &Default::default()).unwrap();
        let full = sync(store, &op, &file, &opts(SyncMode::Full, "cli-1"))
            .await
            .unwrap();
        assert_eq!(full.counts.deactivated, 8, "{}", t.name);
        let grace = store.member_sync(op.id, "nw-1002").await.unwrap().unwrap();
        assert!(!grace.active && grace.deactivated_at.is_some());
        assert!(grace.pass_revocation_requested_at.is_some());
        assert!(
            store
                .member_sync(op.id, "nw-1001")
                .await
                .unwrap()
                .unwrap()
                .active
        );
    }
}

#[tokio::test]
async fn a_full_sync_that_sees_nobody_deactivates_nobody() {
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let file = FileSource::parse(b"id,mobile\n", Format::Csv, &Default::default()).unwrap();
    let err = sync(&t.store, &op, &file, &opts(SyncMode::Full, "cli-1"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nobody was deactivated"), "{err}");
    assert!(
        t.store
            .member_sync(op.id, "nw-1001")
            .await
            .unwrap()
            .unwrap()
            .active
    );
}

// ---- a CRM stand-in on loopback ----

#[derive(Debug, Clone)]
enum Fault {
    Status(u16),
    Sleep(u64),
}

#[derive(Clone, Default)]
struct Crm {
    members: Arc<Mutex<Vec<Value>>>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    requests: Arc<Mutex<Vec<(String, String, String)>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    delay_ms: u64,
}

fn query(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                v.replace("%3A", ":")
                    .replace("%2C", ",")
                    .replace("%2B", "+"),
            )
        })
        .collect()
}

async fn crm_handler(
    State(crm): State<Crm>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    crm.requests
        .lock()
        .unwrap()
        .push((method.to_string(), uri.to_string(), body.clone()));
    let now = crm.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    crm.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let res = answer(&crm, &method, &uri, &headers, &body).await;
    crm.in_flight.fetch_sub(1, Ordering::SeqCst);
    res
}

async fn answer(
    crm: &Crm,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &str,
) -> Response {
    if crm.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(crm.delay_ms)).await;
    }
    let fault = crm.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::Status(code)) => {
            return (
                StatusCode::from_u16(code).unwrap(),
                "{\"message\":\"down\"}",
            )
                .into_response()
        }
        Some(Fault::Sleep(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        None => {}
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let q = query(uri);
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let members = crm.members.lock().unwrap().clone();
    match (method.as_str(), uri.path()) {
        ("GET", "/api/members") => {
            // Basic crm-user:crm-pass
            if auth != "Basic Y3JtLXVzZXI6Y3JtLXBhc3M=" {
                return (StatusCode::UNAUTHORIZED, "{\"error\":\"bad credentials\"}")
                    .into_response();
            }
            let since = param("updated_since");
            let list: Vec<Value> = members
                .into_iter()
                .filter(|m| {
                    since
                        .as_deref()
                        .is_none_or(|s| m["updated_at"].as_str().unwrap_or("") >= s)
                })
                .collect();
            let page: usize = param("page").unwrap().parse().unwrap();
            let per: usize = param("per_page").unwrap().parse().unwrap();
            let slice: Vec<Value> = list
                .iter()
                .skip((page - 1) * per)
                .take(per)
                .cloned()
                .collect();
            axum::Json(json!({ "data": slice })).into_response()
        }
        ("GET", "/api/cursor-members") => {
            let from: usize =
                param("cursor").map_or(0, |c| c.trim_start_matches("c").parse().unwrap());
            let slice: Vec<Value> = members.iter().skip(from).take(2).cloned().collect();
            let next = (from + 2 < members.len()).then(|| format!("c{}", from + 2));
            axum::Json(json!({ "members": slice, "meta": { "next": next } })).into_response()
        }
        ("GET", "/crm/v3/objects/contacts") | ("POST", "/crm/v3/objects/contacts/search") => {
            if auth != "Bearer pat-test-token" {
                return (
                    StatusCode::UNAUTHORIZED,
                    "{\"status\":\"error\",\"message\":\"Authentication credentials not found.\",\"category\":\"INVALID_AUTHENTICATION\"}",
                )
                    .into_response();
            }
            let (after, list): (usize, Vec<Value>) = if method == Method::POST {
                let search: Value = serde_json::from_str(body).unwrap();
                let since: i64 = search["filterGroups"][0]["filters"][0]["value"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                let after = search["after"].as_str().map_or(0, |a| a.parse().unwrap());
                let list = members
                    .into_iter()
                    .filter(|m| {
                        m["properties"]["lastmodifieddate"]
                            .as_str()
                            .unwrap()
                            .parse::<i64>()
                            .unwrap()
                            >= since
                    })
                    .collect();
                (after, list)
            } else {
                assert!(param("properties").unwrap().contains("mobilephone"));
                (param("after").map_or(0, |a| a.parse().unwrap()), members)
            };
            let slice: Vec<Value> = list.iter().skip(after).take(100).cloned().collect();
            let mut out = json!({ "results": slice });
            if after + 100 < list.len() {
                out["paging"] =
                    json!({ "next": { "after": (after + 100).to_string(), "link": "?after=" } });
            }
            axum::Json(out).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn stand_in(crm: Crm) -> String {
    let app = axum::Router::new().fallback(crm_handler).with_state(crm);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn rest_member(i: usize, updated: &str) -> Value {
    json!({
        "id": format!("crm-{i}"),
        "first_name": format!("Member{i}"),
        "last_name": "Test",
        "email": format!("m{i}@example.com"),
        "mobile": format!("07400 5{i:05}"),
        "active": true,
        "updated_at": updated,
    })
}

fn rest_settings(base: &str) -> RestSettings {
    serde_json::from_value(json!({
        "base_url": format!("{base}/api"),
        "auth": { "type": "basic", "username": "crm-user", "password": "crm-pass" },
        "paging": { "type": "page", "size": 100 },
        "modified_since_param": "updated_since",
        "timeout_ms": 300,
    }))
    .unwrap()
}

fn page_requests(crm: &Crm) -> Vec<String> {
    crm.requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, uri, _)| {
            query(&uri.parse().unwrap())
                .into_iter()
                .find(|(k, _)| k == "page")
                .map(|(_, v)| v)
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn the_rest_connector_pages_and_rides_out_5xx_and_timeouts() {
    let crm = Crm::default();
    *crm.members.lock().unwrap() = (0..250)
        .map(|i| rest_member(i, "2026-11-01T00:00:00Z"))
        .collect();
    // Page 1 fine; page 2 meets a 503, a 429 and a timeout before it is answered.
    crm.faults.lock().unwrap().extend([
        Fault::Sleep(0),
        Fault::Status(503),
        Fault::Status(429),
        Fault::Sleep(1_000),
    ]);
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let rest = RestConnector::new(rest_settings(&base)).unwrap();
    let report = sync(&t.store, &op, &rest, &opts(SyncMode::Full, "a"))
        .await
        .unwrap();
    assert_eq!(report.counts.created, 250);
    assert_eq!(report.retries, 3);
    assert_eq!(report.pages, 3);
    assert_eq!(page_requests(&crm), ["1", "2", "2", "2", "2", "3"]);
    // The demo members are not in this CRM: a full sync deactivates them.
    assert_eq!(report.counts.deactivated, 7);
    let m = t
        .store
        .member_by_external_id(op.id, "crm-7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.mobile_e164.as_deref(), Some("+447400500007"));
    assert_eq!(
        t.store
            .member_sync(op.id, "crm-7")
            .await
            .unwrap()
            .unwrap()
            .source,
        "rest"
    );
}

#[tokio::test]
async fn a_failed_run_resumes_where_it_stopped() {
    let crm = Crm::default();
    *crm.members.lock().unwrap() = (0..250)
        .map(|i| rest_member(i, "2026-11-01T00:00:00Z"))
        .collect();
    crm.faults.lock().unwrap().extend([
        Fault::Sleep(0),
        Fault::Sleep(0),
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(504),
    ]);
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let rest = RestConnector::new(rest_settings(&base)).unwrap();
    let err = sync(&t.store, &op, &rest, &opts(SyncMode::Full, "a"))
        .await
        .unwrap_err();
    match &err {
        SyncError::Crm { error, retries, .. } => {
            assert_eq!(error, &CrmError::Unavailable("HTTP 504".into()));
            assert_eq!(*retries, 3);
        }
        other => panic!("{other:?}"),
    }
    // Two pages were written and stay written; nobody was deactivated by a half run.
    let runs = t.store.sync_runs(op.id, 1).await.unwrap();
    assert_eq!(
        (runs[0].status.as_str(), runs[0].pages, runs[0].created),
        ("failed", 2, 200)
    );
    assert!(runs[0].error.as_deref().unwrap().contains("HTTP 504"));
    assert!(
        t.store
            .member_sync(op.id, "nw-1001")
            .await
            .unwrap()
            .unwrap()
            .active
    );

    crm.requests.lock().unwrap().clear();
    let report = sync(&t.store, &op, &rest, &opts(SyncMode::Full, "a"))
        .await
        .unwrap();
    assert!(report.resumed);
    assert_eq!(
        page_requests(&crm),
        ["3"],
        "only the page that failed is fetched again"
    );
    assert_eq!((report.counts.created, report.pages), (250, 3));
    assert_eq!(report.counts.deactivated, 7);
}

#[tokio::test]
async fn wrong_credentials_fail_at_once_and_say_why() {
    let crm = Crm::default();
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let mut settings = rest_settings(&base);
    settings.auth = Auth::Basic {
        username: "crm-user".into(),
        password: Some("wrong".into()),
        password_env: None,
    };
    let rest = RestConnector::new(settings).unwrap();
    let err = sync(&t.store, &op, &rest, &opts(SyncMode::Full, "a"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string().split("; retried").next().unwrap(),
        "the CRM refused the request (HTTP 401: {\"error\":\"bad credentials\"})"
    );
    assert_eq!(
        crm.requests.lock().unwrap().len(),
        1,
        "no retries for a 401"
    );
}

#[tokio::test]
async fn an_incremental_sync_asks_only_for_changes_and_applies_them() {
    let crm = Crm::default();
    *crm.members.lock().unwrap() = (0..3)
        .map(|i| rest_member(i, "2026-01-01T00:00:00Z"))
        .collect();
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let rest = RestConnector::new(rest_settings(&base)).unwrap();
    sync(&t.store, &op, &rest, &opts(SyncMode::Full, "a"))
        .await
        .unwrap();

    {
        let mut members = crm.members.lock().unwrap();
        members[1]["mobile"] = json!("07400 599999");
        members[1]["updated_at"] = json!("2099-01-01T00:00:00Z");
        members[2]["active"] = json!(false);
        members[2]["updated_at"] = json!("2099-01-01T00:00:00Z");
    }
    crm.requests.lock().unwrap().clear();
    let report = sync(&t.store, &op, &rest, &opts(SyncMode::Incremental, "a"))
        .await
        .unwrap();
    let (_, uri, _) = crm.requests.lock().unwrap()[0].clone();
    assert!(uri.contains("updated_since=20"), "{uri}");
    assert_eq!(
        (
            report.counts.updated,
            report.counts.unchanged,
            report.counts.deactivated
        ),
        (2, 0, 1),
        "only the two changed members came, one of them leaving"
    );
    let m1 = t
        .store
        .member_by_external_id(op.id, "crm-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m1.mobile_e164.as_deref(), Some("+447400599999"));
    assert!(
        !t.store
            .member_sync(op.id, "crm-2")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    assert!(
        t.store
            .member_sync(op.id, "crm-0")
            .await
            .unwrap()
            .unwrap()
            .active
    );
}

#[tokio::test]
async fn cursor_paging_follows_the_next_cursor_to_the_end() {
    let crm = Crm::default();
    *crm.members.lock().unwrap() = (0..5)
        .map(|i| rest_member(i, "2026-01-01T00:00:00Z"))
        .collect();
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let settings: RestSettings = serde_json::from_value(json!({
        "base_url": base,
        "list_path": "/api/cursor-members",
        "paging": { "type": "cursor", "param": "cursor", "next": "/meta/next" },
        "items": "/members",
    }))
    .unwrap();
    let rest = RestConnector::new(settings).unwrap();
    let report = sync(&t.store, &op, &rest, &opts(SyncMode::Incremental, "a"))
        .await
        .unwrap();
    assert_eq!((report.counts.created, report.pages), (5, 3));
    let uris: Vec<String> = crm
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(
        uris,
        [
            "/api/cursor-members",
            "/api/cursor-members?cursor=c2",
            "/api/cursor-members?cursor=c4"
        ]
    );
}

fn contact(i: usize, modified_ms: i64) -> Value {
    json!({
        "id": format!("{}", 5000 + i),
        "properties": {
            "firstname": format!("Contact{i}"),
            "lastname": "Hub",
            "email": format!("c{i}@example.com"),
            "mobilephone": format!("+44 7400 6{i:05}"),
            "lastmodifieddate": modified_ms.to_string(),
            "access_facility": "77",
            "access_card": format!("{}", 3000 + i),
        },
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": domain::store::now_ms().to_string(),
        "archived": false,
    })
}

#[tokio::test]
async fn hubspot_contacts_are_listed_then_searched_by_last_modified() {
    let crm = Crm::default();
    *crm.members.lock().unwrap() = (0..150).map(|i| contact(i, 1_700_000_000_000)).collect();
    // The first page of the listing times out once.
    crm.faults.lock().unwrap().push_back(Fault::Sleep(1_000));
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let settings: HubSpotSettings = serde_json::from_value(json!({
        "base_url": base,
        "auth": { "type": "bearer", "token_env": "ELUMO_CRM_TEST_HUBSPOT_TOKEN" },
        "facility_code_property": "access_facility",
        "card_number_property": "access_card",
        "timeout_ms": 300,
    }))
    .unwrap();
    assert!(HubSpotConnector::new(settings.clone())
        .err()
        .unwrap()
        .contains("$ELUMO_CRM_TEST_HUBSPOT_TOKEN, which is not set"));
    std::env::set_var("ELUMO_CRM_TEST_HUBSPOT_TOKEN", "pat-test-token");
    let hub = HubSpotConnector::new(settings).unwrap();

    let report = sync(&t.store, &op, &hub, &opts(SyncMode::Full, "a"))
        .await
        .unwrap();
    assert_eq!(
        (report.counts.created, report.pages, report.retries),
        (150, 2, 1)
    );
    let uris: Vec<String> = crm
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert!(
        uris[2].contains("after=100") && uris[2].contains("archived=false"),
        "{uris:?}"
    );
    let m = t
        .store
        .member_by_external_id(op.id, "5003")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.first_name, "Contact3");
    assert_eq!(m.mobile_e164.as_deref(), Some("+447400600003"));
    let card = &t.store.credentials_for_member(m.id).await.unwrap()[0];
    assert_eq!(
        (card.source.as_str(), card.facility_code, card.card_number),
        ("physical_card", 77, 3003)
    );

    // A change in HubSpot, then an incremental run: a search since the last run.
    let last_start = t.store.sync_runs(op.id, 1).await.unwrap()[0].started_at;
    crm.members.lock().unwrap()[3] = {
        let mut c = contact(3, domain::store::now_ms());
        c["properties"]["mobilephone"] = json!("07400 611111");
        c
    };
    crm.requests.lock().unwrap().clear();
    let report = sync(&t.store, &op, &hub, &opts(SyncMode::Incremental, "a"))
        .await
        .unwrap();
    assert_eq!((report.counts.updated, report.counts.unchanged), (1, 0));
    let (method, uri, body) = crm.requests.lock().unwrap()[0].clone();
    assert_eq!(
        (method.as_str(), uri.as_str()),
        ("POST", "/crm/v3/objects/contacts/search")
    );
    let search: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        search["filterGroups"][0]["filters"][0]["propertyName"],
        "lastmodifieddate"
    );
    assert_eq!(search["filterGroups"][0]["filters"][0]["operator"], "GTE");
    assert_eq!(
        search["filterGroups"][0]["filters"][0]["value"],
        (last_start - 60_000).to_string()
    );
    let m = t
        .store
        .member_by_external_id(op.id, "5003")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.mobile_e164.as_deref(), Some("+447400611111"));
}

// ---- webhooks ----

struct Hook {
    router: axum::Router,
    state: domain::state::AppState,
    secret: String,
    token: String,
    _dir: tempfile::TempDir,
    _t: common::TestStore,
}

async fn hook() -> Hook {
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state(&t, dir.path()).await;
    let settings = json!({ "base_url": "http://127.0.0.1:9", "paging": { "type": "page" } });
    let conn = state
        .store
        .set_crm_connection(1, "rest", &settings.to_string(), 900, "whsec-test")
        .await
        .unwrap();
    Hook {
        router: server::router(state.clone()),
        state,
        secret: conn.webhook_secret,
        token,
        _dir: dir,
        _t: t,
    }
}

impl Hook {
    async fn send(&self, req: Request<Body>) -> (StatusCode, String) {
        let reply = common::send(&self.router, req).await;
        (reply.status, reply.text())
    }

    async fn deliver(&self, slug: &str, body: &str, ts: i64, secret: &str) -> (StatusCode, String) {
        let sig = domain::crm::webhook::sign(secret, ts, body.as_bytes());
        self.send(
            Request::post(format!("/webhooks/crm/{slug}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-elumo-timestamp", ts.to_string())
                .header("x-elumo-signature", sig)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    async fn signed(&self, body: &Value) -> (StatusCode, String) {
        let now = domain::crm::webhook::now_secs();
        self.deliver("northwind", &body.to_string(), now, &self.secret.clone())
            .await
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        self.send(common::http::get(path, cookie)).await
    }

    async fn post_form(&self, path: &str, form: &str) -> common::Reply {
        common::send(&self.router, common::http::post_form(path, form, None)).await
    }

    /// Enters `number` on the demo invite; returns the journey's public id.
    async fn enter(&self, number: &str) -> String {
        common::enter_number(&self.router, &self.token, number).await
    }

    async fn last_event(&self, journey: &str) -> (String, String) {
        let j = self
            .state
            .store
            .journey_by_public_id(journey)
            .await
            .unwrap()
            .unwrap();
        let e = self
            .state
            .store
            .journey_events(j.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        (e.kind, e.detail)
    }
}

fn event(id: &str, kind: &str, member: Value) -> Value {
    json!({ "id": id, "type": kind, "member": member })
}

#[tokio::test]
async fn webhooks_are_signed_fresh_and_idempotent() {
    let h = hook().await;
    let created = event(
        "evt-1",
        "member.created",
        json!({"id": "nw-3001", "first_name": "Radia", "last_name": "Perlman", "mobile": "07400 123201"}),
    );
    assert_eq!(
        h.signed(&created).await,
        (StatusCode::OK, "{\"status\":\"created\"}".into())
    );
    assert_eq!(
        h.signed(&created).await,
        (StatusCode::OK, "{\"status\":\"duplicate\"}".into()),
        "the same delivery again changes nothing"
    );
    let radia = h
        .state
        .store
        .member_sync(1, "nw-3001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((radia.source.as_str(), radia.active), ("webhook", true));

    let body = event(
        "evt-2",
        "member.updated",
        json!({"id": "nw-3001", "mobile": "07400 123202"}),
    )
    .to_string();
    let now = domain::crm::webhook::now_secs();
    let (status, text) = h.deliver("northwind", &body, now, "not-the-secret").await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::UNAUTHORIZED,
            "{\"status\":\"the signature does not match\"}"
        )
    );
    let (status, text) = h.deliver("northwind", &body, now - 301, &h.secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("more than five minutes"), "{text}");
    let (status, _) = h
        .send(
            Request::post("/webhooks/crm/northwind")
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "unsigned");
    let (status, _) = h.deliver("nobody", &body, now, &h.secret).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let m = h
        .state
        .store
        .member_by_external_id(1, "nw-3001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        m.mobile_e164.as_deref(),
        Some("+447400123201"),
        "no refused delivery changed anything"
    );

    assert_eq!(
        h.deliver("northwind", &body, now, &h.secret).await.0,
        StatusCode::OK
    );
    let m = h
        .state
        .store
        .member_by_external_id(1, "nw-3001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.mobile_e164.as_deref(), Some("+447400123202"));

    // Signed nonsense is a clear 400, never a 500.
    for bad in [
        "not json",
        "[]",
        "{\"type\":\"member.updated\"}",
        "{\"id\":\"e9\",\"type\":\"member.exploded\",\"member\":{\"id\":\"x\"}}",
    ] {
        let (status, text) = h.deliver("northwind", bad, now, &h.secret).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {text}");
    }
    // An invalid mobile is reported, and keeps the member out.
    let (status, text) = h
        .signed(&event(
            "evt-3",
            "member.created",
            json!({"id": "nw-3002", "mobile": "555"}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("rejected: invalid mobile"), "{text}");
    assert!(h
        .state
        .store
        .member_sync(1, "nw-3002")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_late_webhook_never_undoes_a_newer_change() {
    let h = hook().await;
    let newer = event(
        "evt-b",
        "member.updated",
        json!({"id": "nw-1001", "first_name": "Ada", "mobile": "+447400123001", "updated_at": "2026-11-28T12:00:00Z"}),
    );
    let older = event(
        "evt-a",
        "member.updated",
        json!({"id": "nw-1001", "first_name": "Augusta", "mobile": "+447400123001", "updated_at": "2026-11-28T11:00:00Z"}),
    );
    h.signed(&newer).await;
    assert_eq!(h.signed(&older).await.1, "{\"status\":\"unchanged\"}");
    let ada = h
        .state
        .store
        .member_by_external_id(1, "nw-1001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.first_name, "Ada");
}

#[tokio::test]
async fn a_deactivated_member_cannot_start_a_journey_and_their_passes_are_voided() {
    let h = hook().await;
    let store = &h.state.store;
    // Ada has a pass, and a text with a live link.
    let ada = store
        .member_by_external_id(1, "nw-1001")
        .await
        .unwrap()
        .unwrap();
    let op = store.operator(1).await.unwrap().unwrap();
    let cred = domain::credentials::ensure(store, &op, &ada).await.unwrap();
    store
        .upsert_wallet_pass(&domain::store::NewWalletPass {
            operator_id: 1,
            member_id: ada.id,
            credential_id: cred.id,
            platform: "apple",
            new_serial: "serial-ada",
            new_auth_token: "token-of-adas-pass-0001",
            site_name: None,
            journey_id: None,
        })
        .await
        .unwrap();
    let journey = h.enter("07400123001").await;
    assert_eq!(h.last_event(&journey).await.0, "sms_queued");
    let link = common::texted_link(&h.state).await;
    assert!(h
        .get(&link, None)
        .await
        .1
        .contains("Your pass is ready, Ada"));

    // She leaves: the CRM says so with only her id.
    let (status, text) = h
        .signed(&event(
            "evt-leave",
            "member.deactivated",
            json!({"id": "nw-1001"}),
        ))
        .await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, "{\"status\":\"deactivated\"}")
    );

    let passes = store.wallet_passes_for_member(ada.id).await.unwrap();
    assert!(passes[0].voided_at.is_some(), "her pass is voided");
    let record = store.member_sync(1, "nw-1001").await.unwrap().unwrap();
    assert!(!record.active && record.pass_revocation_requested_at.is_some());
    let (_, page) = h.get(&link, None).await;
    assert!(
        page.contains("Your pass isn&#x27;t available")
            || page.contains("Your pass isn't available"),
        "{page}"
    );
    let res = h.post_form(&format!("{link}/apple"), "").await;
    assert_ne!(res.status, StatusCode::OK, "the link issues nothing now");

    let journey = h.enter("07400123001").await;
    assert_eq!(
        h.last_event(&journey).await,
        ("member_not_found".into(), "inactive".into())
    );
    // Unknown members' deactivations are accepted and ignored.
    assert_eq!(
        h.signed(&event(
            "evt-x",
            "member.deactivated",
            json!({"id": "nobody"})
        ))
        .await
        .1,
        "{\"status\":\"unknown member\"}"
    );
}

// ---- one sync per operator at a time ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_one_instance_holds_an_operators_sync_lease() {
    for t in common::stores().await {
        let op = northwind(&t.store).await;
        let other = Store::connect(&t.url, 4).await.unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(8));
        let tries = (0..8)
            .map(|i| {
                let store = if i % 2 == 0 {
                    t.store.clone()
                } else {
                    other.clone()
                };
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    store
                        .acquire_sync_lease(op.id, &format!("instance-{i}"), 60_000)
                        .await
                        .unwrap()
                })
            })
            .collect::<Vec<_>>();
        let mut won = 0;
        for h in tries {
            won += usize::from(h.await.unwrap());
        }
        assert_eq!(
            won, 1,
            "{}: exactly one of eight instances takes the lease",
            t.name
        );
        // An expired lease can be taken over.
        assert!(!t
            .store
            .acquire_sync_lease(op.id, "late", 60_000)
            .await
            .unwrap());
        common::sql(&t, "UPDATE sync_leases SET expires_at = 0").await;
        assert!(t
            .store
            .acquire_sync_lease(op.id, "late", 60_000)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn two_instances_never_sync_the_same_operator_at_once() {
    for t in common::stores().await {
        let crm = Crm {
            delay_ms: 150,
            ..Crm::default()
        };
        *crm.members.lock().unwrap() = (0..300)
            .map(|i| rest_member(i, "2026-01-01T00:00:00Z"))
            .collect();
        let base = stand_in(crm.clone()).await;
        let op = northwind(&t.store).await;
        // Two instances: two stores on the same database, two holders.
        let other = Store::connect(&t.url, 2).await.unwrap();
        let (a, b) = tokio::join!(
            async {
                let rest = RestConnector::new(rest_settings(&base)).unwrap();
                sync(&t.store, &op, &rest, &opts(SyncMode::Full, "instance-a")).await
            },
            async {
                // B starts once A holds the lease: A's first request has reached the CRM.
                while crm.max_in_flight.load(Ordering::SeqCst) == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let rest = RestConnector::new(rest_settings(&base)).unwrap();
                sync(&other, &op, &rest, &opts(SyncMode::Full, "instance-b")).await
            }
        );
        assert_eq!(a.unwrap().counts.created, 300, "{}", t.name);
        assert!(matches!(b, Err(SyncError::Busy)), "{}: {b:?}", t.name);
        assert_eq!(crm.max_in_flight.load(Ordering::SeqCst), 1);
        // When the first is done, the lease is free again.
        let rest = RestConnector::new(rest_settings(&base)).unwrap();
        let again = sync(
            &other,
            &op,
            &rest,
            &opts(SyncMode::Incremental, "instance-b"),
        )
        .await
        .unwrap();
        assert_eq!(again.counts.created, 0);
        other.close().await;
    }
}

#[tokio::test]
async fn the_schedule_runs_a_full_sync_first_then_waits_its_interval() {
    let crm = Crm::default();
    *crm.members.lock().unwrap() = (0..3)
        .map(|i| rest_member(i, "2026-01-01T00:00:00Z"))
        .collect();
    let base = stand_in(crm.clone()).await;
    let t = common::sqlite_store().await;
    let op = northwind(&t.store).await;
    let settings = serde_json::to_string(&rest_settings(&base)).unwrap();
    t.store
        .set_crm_connection(op.id, "rest", &settings, 3600, "s")
        .await
        .unwrap();
    let retry = RetryPolicy {
        max_attempts: 2,
        base_delay_ms: 10,
    };
    assert_eq!(engine::sync_due(&t.store, "i", retry).await.unwrap(), 1);
    let runs = t.store.sync_runs(op.id, 5).await.unwrap();
    assert_eq!(
        (
            runs[0].mode.as_str(),
            runs[0].status.as_str(),
            runs[0].created
        ),
        ("full", "succeeded", 3)
    );
    assert_eq!(
        engine::sync_due(&t.store, "i", retry).await.unwrap(),
        0,
        "not due for an hour"
    );
    t.store.request_full_sync(op.id, Some(1)).await.unwrap();
    assert_eq!(
        engine::sync_due(&t.store, "i", retry).await.unwrap(),
        1,
        "a full sync on demand"
    );
    assert!(t
        .store
        .crm_connection(op.id)
        .await
        .unwrap()
        .unwrap()
        .full_requested_at
        .is_none());
}

#[tokio::test]
async fn webhooks_need_no_crm_credentials() {
    let h = hook().await;
    // The connection's token lives in an environment variable this process does not have.
    let settings = json!({
        "base_url": "https://crm.example.test/api",
        "auth": { "type": "bearer", "token_env": "ELUMO_CRM_TEST_TOKEN_NOT_SET_ANYWHERE" },
    });
    h.state
        .store
        .set_crm_connection(1, "rest", &settings.to_string(), 900, "ignored")
        .await
        .unwrap();
    let (status, text) = h
        .signed(&event(
            "evt-n",
            "member.created",
            json!({"id": "nw-4001", "first_name": "Grace", "mobile": "07400 123401"}),
        ))
        .await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, "{\"status\":\"created\"}")
    );
}

#[tokio::test]
async fn a_membership_end_from_the_crm_becomes_the_passes_expiry() {
    let h = hook().await;
    let store = &h.state.store;
    let op = store.operator(1).await.unwrap().unwrap();
    let csv =
        "id,mobile,end_date\nnw-1001,+447400123001,2027-01-31\nnw-1002,+447400123002,not a date\n";
    let file = FileSource::parse(csv.as_bytes(), Format::Csv, &Default::default()).unwrap();
    let report = sync(store, &op, &file, &opts(SyncMode::Incremental, "cli"))
        .await
        .unwrap();
    assert_eq!(
        (report.counts.updated, report.counts.unchanged),
        (1, 1),
        "Ada gained an end date; Grace's unreadable one changes nothing"
    );
    let ada = store
        .member_by_external_id(1, "nw-1001")
        .await
        .unwrap()
        .unwrap();
    let grace = store
        .member_by_external_id(1, "nw-1002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        grace.membership_ends_at, None,
        "an unreadable date is no end date"
    );
    assert_eq!(
        (grace.first_name.as_str(), grace.email.as_deref()),
        ("Grace", Some("grace@example.com")),
        "a file without name or email columns leaves them as they were"
    );

    let cred = domain::credentials::ensure(store, &op, &ada).await.unwrap();
    for platform in ["apple", "google"] {
        let pass = store
            .upsert_wallet_pass(&domain::store::NewWalletPass {
                operator_id: 1,
                member_id: ada.id,
                credential_id: cred.id,
                platform,
                new_serial: &format!("serial-{platform}"),
                new_auth_token: "token-of-adas-pass-0002",
                site_name: None,
                journey_id: None,
            })
            .await
            .unwrap();
        let content = domain::links::pass_content(
            "https://pass.example.test",
            &h.state.credentials,
            &op,
            &ada,
            &cred,
            &pass,
        );
        if platform == "apple" {
            assert_eq!(
                h.state.apple.pass_json(&content)["expirationDate"],
                "2027-01-31T23:59:59Z"
            );
        } else {
            assert_eq!(
                h.state.google.object_json(&content)["validTimeInterval"]["end"]["date"],
                "2027-01-31T23:59:59Z"
            );
        }
    }
    let _ = &h.token;
}

#[tokio::test]
async fn a_member_a_webhook_adds_during_a_full_sync_is_not_deactivated_by_it() {
    for t in common::stores().await {
        let store = &t.store;
        let op = northwind(store).await;
        // A full run starts (its listing will not have the newcomer)…
        let run = store
            .begin_sync_run(op.id, "import", SyncMode::Full, None)
            .await
            .unwrap();
        // …a webhook adds a member meanwhile (after the run's start by the store's clock)…
        while domain::store::now_ms() <= run.started_at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let newcomer = domain::store::SyncRecord {
            external_id: "nw-5001".into(),
            first_name: "New".into(),
            last_name: "Comer".into(),
            email: None,
            mobile_e164: Some("+447400125001".into()),
            problem: None,
            active: true,
            card: None,
            crm_modified_at: None,
            membership_ends_at: None,
            language: None,
            keep_names: false,
            keep_email: false,
            row_ref: "event e1".into(),
        };
        store
            .write_sync_page(&domain::store::PageWrite {
                operator_id: op.id,
                source: "webhook",
                run_id: None,
                records: std::slice::from_ref(&newcomer),
                rejections: &[],
                next_cursor: None,
                webhook_event: Some("e1"),
                dry_run: false,
            })
            .await
            .unwrap();
        // …and the run ends having seen nobody else.
        store.deactivate_unseen(op.id, run.id).await.unwrap();
        let m = store.member_sync(op.id, "nw-5001").await.unwrap().unwrap();
        assert!(m.active, "{}: the newcomer stays", t.name);
        let ada = store.member_sync(op.id, "nw-1001").await.unwrap().unwrap();
        assert!(!ada.active, "{}: members the run did not see leave", t.name);
    }
}

/// A member's language from the CRM: an import's `language` column (a region counts as its
/// language, `de-AT` is `de`), kept on the member; a value we have no language for is ignored;
/// a source without the column leaves the language as it is.
#[tokio::test]
async fn a_members_language_comes_from_the_crm() {
    for t in common::stores().await {
        let store = &t.store;
        let op = northwind(store).await;
        let csv = "external_id,first_name,last_name,email,mobile,language\n\
                   nw-1001,Ada,Lovelace,ada@example.com,+447400123001,de-AT\n\
                   nw-1002,Grace,Hopper,grace@example.com,+447400123002,klingon\n\
                   nw-1003,Alan,Turing,alan@example.com,+447400123003,NL\n";
        let file = FileSource::parse(csv.as_bytes(), Format::Csv, &Default::default()).unwrap();
        sync(store, &op, &file, &opts(SyncMode::Incremental, "cli-1"))
            .await
            .unwrap();
        let language = |id: &'static str| async move {
            store
                .member_by_external_id(op.id, id)
                .await
                .unwrap()
                .unwrap()
                .language
        };
        assert_eq!(
            language("nw-1001").await.as_deref(),
            Some("de"),
            "{}",
            t.name
        );
        assert_eq!(language("nw-1002").await, None, "{}", t.name);
        assert_eq!(
            language("nw-1003").await.as_deref(),
            Some("nl"),
            "{}",
            t.name
        );
        // A later import without the column keeps it.
        let csv = "external_id,first_name,last_name,email,mobile\n\
                   nw-1001,Ada,Lovelace,ada@example.com,+447400123001\n";
        let file = FileSource::parse(csv.as_bytes(), Format::Csv, &Default::default()).unwrap();
        sync(store, &op, &file, &opts(SyncMode::Incremental, "cli-1"))
            .await
            .unwrap();
        assert_eq!(
            language("nw-1001").await.as_deref(),
            Some("de"),
            "{}",
            t.name
        );
    }
}
