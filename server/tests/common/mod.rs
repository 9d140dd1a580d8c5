//! Shared test set-up: stores on SQLite (always) and PostgreSQL (when a test server is configured),
//! and an app state with local backends.
#![allow(dead_code)]

use app::config::Config;
use app::state::AppState;
use app::store::Store;

pub const PG_ENV: &str = "ELUMO_TEST_DATABASE_URL";

/// A store and what keeps it alive (its temporary folder, or its PostgreSQL database name).
pub struct TestStore {
    pub name: &'static str,
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// Another handle on the same store (the original keeps its files alive).
    pub fn shared(other: &TestStore) -> TestStore {
        TestStore {
            name: other.name,
            store: other.store.clone(),
            url: other.url.clone(),
            _dir: None,
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
    }
}

/// A fresh PostgreSQL database for one test, when ELUMO_TEST_DATABASE_URL names a server.
pub async fn postgres_store() -> Option<TestStore> {
    let Ok(admin_url) = std::env::var(PG_ENV) else {
        eprintln!("note: {PG_ENV} is not set; the PostgreSQL half of this test is skipped");
        return None;
    };
    let name = format!(
        "elumo_test_{}",
        app::tokens::Token::generate(9)
            .expose()
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let admin = Store::connect_admin(&admin_url)
        .await
        .expect("PostgreSQL test server reachable");
    admin
        .create_database(&name)
        .await
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a database URL ends with /dbname");
    let url = format!("{base}/{name}");
    let store = Store::connect(&url, 4).await.expect("postgres store");
    Some(TestStore {
        name: "postgres",
        store,
        url,
        _dir: None,
    })
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
    let seeded = app::demo::seed(&t.store).await.expect("demo seed");
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
