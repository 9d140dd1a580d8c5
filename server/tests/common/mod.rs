//! Shared test set-up: stores on SQLite (always) and PostgreSQL (when a test server is configured),
//! an app state with local backends, requests through the router (`http`), throw-away
//! PostgreSQL databases (`postgres`), and the real server binary as a child process (`spawned`).
#![allow(dead_code)]

pub mod http;
pub mod oidc;
pub mod postgres;
pub mod spawned;

#[allow(unused_imports)] // not every test file names both
pub use http::{send, Reply};

use domain::config::Config;
use domain::state::AppState;
use domain::store::Store;

pub const PG_ENV: &str = "ELUMO_TEST_DATABASE_URL";
/// Set (as `.ci/run` sets it), a test that needs PostgreSQL fails instead of skipping its
/// PostgreSQL half when `PG_ENV` is not set.
pub const PG_REQUIRED_ENV: &str = "ELUMO_REQUIRE_POSTGRES";

/// The PostgreSQL server's admin URL, or `None` (with a note naming what is skipped) when none
/// is configured; a panic instead when `PG_REQUIRED_ENV` says one must be.
#[allow(dead_code)]
pub fn postgres_admin_url(skipped: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os(PG_REQUIRED_ENV).is_some() => panic!(
            "{PG_REQUIRED_ENV} is set but {PG_ENV} is not: {skipped} needs a PostgreSQL server"
        ),
        Err(_) => {
            eprintln!(
                "note: {skipped} is SKIPPED: set {PG_ENV} to a PostgreSQL server URL (as .ci/run does)"
            );
            None
        }
    }
}

/// A store and what keeps it alive: its temporary folder, or its PostgreSQL database (dropped
/// when this goes out of scope).
pub struct TestStore {
    pub name: &'static str,
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    // Last, so the store's handle is gone before its database is dropped.
    _database: Option<postgres::TestDatabase>,
}

impl TestStore {
    /// Another handle on the same store (the original keeps its files alive).
    pub fn shared(other: &TestStore) -> TestStore {
        TestStore {
            name: other.name,
            store: other.store.clone(),
            url: other.url.clone(),
            _dir: None,
            _database: None,
        }
    }
}

pub async fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url, 4).await.expect("sqlite store");
    TestStore {
        name: "sqlite",
        store,
        url,
        _dir: Some(dir),
        _database: None,
    }
}

/// A fresh PostgreSQL database for one test, when ELUMO_TEST_DATABASE_URL names a server.
pub async fn postgres_store() -> Option<TestStore> {
    let admin_url = postgres_admin_url("the PostgreSQL half of this test")?;
    let database = postgres::TestDatabase::create(&admin_url, "elumo_test").await;
    let url = database.url.clone();
    let store = Store::connect(&url, 4).await.expect("postgres store");
    Some(TestStore {
        name: "postgres",
        store,
        url,
        _dir: None,
        _database: Some(database),
    })
}

tokio::task_local! {
    /// Which database `each_store` is running a test body on.
    static DATABASE: &'static str;
}

/// Runs a test's whole body once per database the suite runs against (SQLite, and PostgreSQL
/// when `PG_ENV` names a server): everything the body starts (stand-ins, stores, routers) is its
/// own for each run. Inside, `scoped_store` gives that run's store.
#[allow(dead_code)]
pub async fn each_store<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut databases = vec!["sqlite"];
    if postgres_admin_url("the PostgreSQL run of this test").is_some() {
        databases.push("postgres");
    }
    for database in databases {
        eprintln!("-- on {database}");
        DATABASE.scope(database, body()).await;
    }
}

/// A fresh store on the database `each_store` is running the body on (SQLite outside it).
#[allow(dead_code)]
pub async fn scoped_store() -> TestStore {
    match DATABASE.try_with(|d| *d).unwrap_or("sqlite") {
        "postgres" => postgres_store()
            .await
            .expect("each_store runs on PostgreSQL only with a server"),
        _ => sqlite_store().await,
    }
}

/// Every store the behavioural suite runs against.
pub async fn stores() -> Vec<TestStore> {
    let mut all = vec![sqlite_store().await];
    all.extend(postgres_store().await);
    all
}

pub fn test_config(data_dir: &std::path::Path, site_root: &std::path::Path) -> Config {
    config_with(data_dir, site_root, &[])
}

/// The test configuration with `extra` variables on top.
pub fn config_with(
    data_dir: &std::path::Path,
    site_root: &std::path::Path,
    extra: &[(&str, &str)],
) -> Config {
    let data = data_dir.to_string_lossy().to_string();
    let site = site_root.to_string_lossy().to_string();
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| {
        if let Some((_, v)) = extra.iter().find(|(name, _)| name == k) {
            return Some(v.clone());
        }
        match k {
            "ELUMO_DATA_DIR" => Some(data.clone()),
            "ELUMO_SITE_ROOT" => Some(site.clone()),
            "ELUMO_PUBLIC_URL" => Some("https://pass.example.test".into()),
            // Tests that are about the answer-time floor set it themselves.
            "ELUMO_ANSWER_FLOOR_MS" => Some("0".into()),
            _ => None,
        }
    })
    .expect("test config")
}

/// An app state on `store` with the demo loaded; returns the demo invite token.
pub async fn demo_state(t: &TestStore, dir: &std::path::Path) -> (AppState, String) {
    demo_state_with(t, dir, &[]).await
}

/// `demo_state` with extra configuration variables.
pub async fn demo_state_with(
    t: &TestStore,
    dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> (AppState, String) {
    let config = config_with(dir, dir, extra);
    let seeded = domain::demo::seed(&t.store).await.expect("demo seed");
    let state =
        AppState::build(config, t.store.clone()).expect("state with development signing material");
    (state, seeded.invite_token.expose().to_owned())
}

/// Runs one statement on the test's database directly (tests move time by editing rows).
pub async fn sql(t: &TestStore, statement: &str) {
    if t.name == "postgres" {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        sqlx::query(statement).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        sqlx::query(statement).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

/// One number the test's database answers (`SELECT COUNT(*) …`), read directly.
pub async fn scalar(t: &TestStore, query: &str) -> i64 {
    if t.name == "postgres" {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        let n: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        let n: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }
}

/// A second operator, "Bravo Offices" (`bravo`), beside the demo's: for the tenancy cases.
pub async fn second_operator(store: &Store) -> i64 {
    store
        .insert_operator(&domain::store::NewOperator {
            slug: "bravo",
            name: "Bravo Offices",
            brand_color: "#222222",
            accent_color: "#111111",
            support_email: None,
            support_phone: None,
            support_url: None,
            default_region: "GB",
        })
        .await
        .unwrap()
}

/// Opens the invite and enters `number` as a form post (no JavaScript); returns the journey's
/// public id. The number must match (the answer redirects on to "check your messages").
pub async fn enter_number(router: &axum::Router, invite_token: &str, number: &str) -> String {
    let page = send(router, http::get(&format!("/i/{invite_token}"), None)).await;
    let journey = http::journey_in(&page.text());
    let res = send(
        router,
        http::post_form(
            "/api/submit_number",
            &format!("token={invite_token}&journey={journey}&region=GB&number={number}"),
            None,
        ),
    )
    .await;
    assert_eq!(res.status, axum::http::StatusCode::FOUND);
    journey
}

/// Sends what the outbox holds, then returns the path of the link in the newest text.
pub async fn texted_link(state: &AppState) -> String {
    while domain::sms::send_one(&state.store, state.sms.as_ref(), state.retry_policy())
        .await
        .unwrap()
    {}
    let outbox = std::fs::read_to_string(&state.config.sms.outbox_file).unwrap();
    let sms: serde_json::Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
    sms["body"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("https://pass.example.test"))
        .expect("one link on the public URL")
        .to_owned()
}

/// The files of a `.pkpass` (a zip), by name.
pub fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        files.insert(f.name().unwrap().to_string(), buf);
    }
    files
}

/// Runs the wallet update worker's step once, as the server does: claims what is due, pushes
/// Apple devices and updates Google objects. Returns how many passes it handled.
#[allow(dead_code)]
pub async fn push_due(state: &AppState) -> usize {
    let sender = domain::push::sender(&state.config, &state.apple).unwrap();
    domain::push::push_due(&domain::push::Updates {
        store: &state.store,
        apple: sender.as_ref(),
        google: &state.google,
        public_url: &state.config.http.public_url,
        signer: &state.credentials,
        lease: &domain::push::lease(state.instance),
    })
    .await
    .unwrap()
}
