//! Phone number submission under load, on SQLite and (when a server is configured) PostgreSQL,
//! beside a bare axum + one database insert baseline measured in the same run; the time from a
//! "check your messages" answer to the SMS provider stand-in receiving the text; server memory.
//!
//! The real release server binary runs as a child process with a directory of `LOAD_MEMBERS`
//! members; the load generator (in this process, on the same 2 cores) posts what the hydrated
//! phone page posts: four directory numbers, then one stranger, every number once. `make bench`
//! runs it; the table is printed and written to server/benches/LOAD.md.
//!
//! Settings (environment): LOAD_SECONDS (10), LOAD_CONNECTIONS (32), LOAD_MEMBERS (50000),
//! ELUMO_BENCH_DATABASE_URL or ELUMO_TEST_DATABASE_URL (a PostgreSQL server; else SQLite only).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;

const BASELINE_ROLE: &str = "ELUMO_BENCH_BASELINE_DB";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if let Ok(url) = std::env::var(BASELINE_ROLE) {
        return baseline::serve(&url);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

struct Row {
    database: &'static str,
    product: LoadRun,
    baseline: LoadRun,
    sms: SmsLatency,
    /// At a steady 20 members a second, the load gone.
    sms_steady: SmsLatency,
    rss_idle: u64,
    rss_loaded: u64,
}

struct SmsLatency {
    delivered: usize,
    expected: usize,
    p50_ms: f64,
    p99_ms: f64,
    drained_after_s: f64,
}

async fn run() {
    let seconds = setting("LOAD_SECONDS", 10);
    let connections = setting("LOAD_CONNECTIONS", 32) as usize;
    let members = setting("LOAD_MEMBERS", 50_000);
    let pg = std::env::var("ELUMO_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("ELUMO_TEST_DATABASE_URL"))
        .ok();
    let root = tempfile::tempdir().unwrap();
    let provider = Provider::start().await;
    let mut rows = Vec::new();

    let mut databases = vec![("SQLite", None)];
    if let Some(admin) = &pg {
        databases.push(("PostgreSQL", Some(admin.clone())));
    } else {
        println!("note: no PostgreSQL server configured (ELUMO_BENCH_DATABASE_URL); SQLite only");
    }
    for (database, admin) in databases {
        let dir = data_dir_in(root.path(), database);
        let (url, baseline_url) = match &admin {
            None => (
                format!("sqlite://{}", dir.join("elumo.db").display()),
                format!("sqlite://{}", dir.join("baseline.db").display()),
            ),
            Some(admin) => (
                fresh_postgres(admin, "elumo_bench").await,
                fresh_postgres(admin, "elumo_bench_base").await,
            ),
        };
        println!("{database}: a directory of {members} members…");
        let invite = prepare_database(&url, members).await;
        let server = ServerProcess::start(&ServerSetup {
            binary: env!("CARGO_BIN_EXE_server").into(),
            data_dir: dir.clone(),
            database_url: url,
            port: free_port(),
            provider_url: provider.base_url.clone(),
            env: std::env::var("LOAD_SERVER_ENV")
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_idle = server.rss_bytes().unwrap_or(0);

        let http = client(connections);
        let mix = Mix::new(members, 0);
        let post = {
            let (http, base, invite) = (http.clone(), server.base_url.clone(), invite.clone());
            move |number: String| {
                let (http, base, invite) = (http.clone(), base.clone(), invite.clone());
                async move { submit(&http, &base, &invite, &number).await }
            }
        };
        // Warm-up: connections, caches, the first pages of the database.
        drive(
            connections,
            Duration::from_secs(1),
            u64::MAX,
            mix.clone(),
            post.clone(),
        )
        .await;
        provider.clear();
        println!("{database}: {connections} connections for {seconds} s…");
        let product = drive(
            connections,
            Duration::from_secs(seconds),
            u64::MAX,
            mix.clone(),
            post,
        )
        .await;
        let rss_loaded = server.rss_bytes().unwrap_or(0);
        let sms = sms_latency(&provider, &product).await;
        let steady = steady(&http, &server.base_url, &invite, &mix).await;
        let sms_steady = sms_latency(&provider, &steady).await;
        drop(server);

        let baseline = baseline::run(&baseline_url, connections, seconds, members).await;
        rows.push(Row {
            database,
            product,
            baseline,
            sms,
            sms_steady,
            rss_idle,
            rss_loaded,
        });
    }
    report(&rows, seconds, connections, members);
}

/// Ten seconds of members arriving one every 50 ms (a busy morning, not a flood).
async fn steady(http: &reqwest::Client, base: &str, invite: &str, mix: &Mix) -> LoadRun {
    let started = Instant::now();
    let mut run = LoadRun {
        requests: 0,
        seconds: 0.0,
        latencies_us: Vec::new(),
        seen: Default::default(),
        matched_at: Default::default(),
        wrong: 0,
    };
    for i in 0..200u32 {
        let at = started + Duration::from_millis(50) * i;
        tokio::time::sleep_until(at.into()).await;
        let (number, member) = mix.next();
        let seen = submit(http, base, invite, &number).await;
        match (seen, member) {
            (Seen::Matched, true) => {
                run.matched_at.insert(number, Instant::now());
            }
            (Seen::NotFound, false) => {}
            _ => run.wrong += 1,
        }
        run.requests += 1;
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

/// Waits (up to a minute) for the texts of every matched answer, then measures from each answer
/// to its text's arrival at the provider.
async fn sms_latency(provider: &Provider, run: &LoadRun) -> SmsLatency {
    let started = Instant::now();
    let expected = run.matched_at.len();
    let mut accepted = provider.accepted();
    while run.matched_at.keys().any(|n| !accepted.contains_key(n))
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        accepted = provider.accepted();
    }
    let drained_after_s = started.elapsed().as_secs_f64();
    let mut delays: Vec<u32> = run
        .matched_at
        .iter()
        .filter_map(|(number, answered)| {
            let (arrived, _) = accepted.get(number)?;
            // A text can beat the answer to the client: that counts as no delay.
            Some(arrived.saturating_duration_since(*answered).as_micros() as u32)
        })
        .collect();
    delays.sort_unstable();
    SmsLatency {
        delivered: delays.len(),
        expected,
        p50_ms: percentile_us(&delays, 50.0) as f64 / 1000.0,
        p99_ms: percentile_us(&delays, 99.0) as f64 / 1000.0,
        drained_after_s,
    }
}

fn report(rows: &[Row], seconds: u64, connections: usize, members: u64) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let now = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap();
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut md = format!(
        "# Phone number submission under load\n\n\
         Measured {now} on {cpu} ({cores} logical CPUs; the load generator shares them), release \
         build, {connections} connections for {seconds} s per row after a 1 s warm-up; a directory \
         of {members} members; four directory numbers then one stranger, every number once; \
         `POST /api/submit_number` as the hydrated phone page sends it, each number from its own \
         address through a trusted proxy (`X-Forwarded-For`), so the per-address limit stays at \
         its default; the per-invite limit, the per-number text limits and the operator's hourly \
         SMS budget raised (one poster, far more than 500 texts); the equal-time answer floor \
         (`ELUMO_ANSWER_FLOOR_MS`, 250 ms by default) set to 0: it is a deliberate wait, not \
         work.\n\n\
         | database | requests/s | p50 ms | p99 ms | baseline requests/s | baseline p99 ms | vs baseline | wrong answers |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        md += &format!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.0}% | {} |\n",
            r.database,
            r.product.per_second(),
            r.product.percentile_ms(50.0),
            r.product.percentile_ms(99.0),
            r.baseline.per_second(),
            r.baseline.percentile_ms(99.0),
            100.0 * r.product.per_second() / r.baseline.per_second(),
            r.product.wrong,
        );
    }
    md += "\nBaseline: a bare axum server (same runtime, same pool settings) that parses the same \
           form and inserts one row into the same kind of database.\n\n\
           ## SMS latency and memory\n\n\
           From each \"check your messages\" answer to the provider stand-in (Twilio's API on \
           loopback) receiving that member's text: over every text of the run above (the two \
           CPUs saturated), and then at a steady 20 members a second for 10 s.\n\n\
           | database | texts under load | SMS p50 ms | SMS p99 ms | queue drained after | steady: SMS p50 ms | steady: p99 ms | RSS idle MB | RSS after load MB |\n\
           |---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for r in rows {
        md += &format!(
            "| {} | {}/{} | {:.1} | {:.1} | {:.1} s | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            r.database,
            r.sms.delivered,
            r.sms.expected,
            r.sms.p50_ms,
            r.sms.p99_ms,
            r.sms.drained_after_s,
            r.sms_steady.p50_ms,
            r.sms_steady.p99_ms,
            mb(r.rss_idle),
            mb(r.rss_loaded),
        );
    }
    md += "\nA submission is one transaction, written in one hand-over: its limit counts, the \
           journey, its events, the link and the outbox row are one batch on SQLite's writer and \
           one statement on PostgreSQL; on both, the writes that arrive together (submissions, \
           and on SQLite the texts' claims and outcomes too) share one transaction and one \
           commit. An SMS worker claims up to eight due texts at once and sends them side by \
           side.\n\n\
           Targets (issues 8 and 16): SQLite ≥ 5,000 requests/s with p99 < 25 ms and ≥ 50% of the \
           baseline; PostgreSQL ≥ 50% of its baseline; SMS p50 < 150 ms; RSS idle < 40 MB.\n";
    println!("\n{md}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/LOAD.md");
    std::fs::write(&out, md).expect("write LOAD.md");
    println!("written to {}", out.display());
}

/// The floor under the product's figures: axum, the same form, one insert.
mod baseline {
    use super::*;
    use sqlx::postgres::PgPoolOptions;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::str::FromStr;

    #[derive(Clone)]
    enum Pool {
        Sqlite(sqlx::SqlitePool),
        Postgres(sqlx::PgPool),
    }

    #[derive(serde::Deserialize)]
    struct Form {
        token: String,
        number: String,
    }

    /// Runs (in a child process started from this binary) the baseline server.
    pub fn serve(url: &str) {
        let listen = std::env::var("ELUMO_LISTEN").expect("ELUMO_LISTEN");
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let pool = if url.starts_with("postgres") {
                    let p = PgPoolOptions::new()
                        .max_connections(8)
                        .connect(url)
                        .await
                        .unwrap();
                    sqlx::query(
                        "CREATE TABLE IF NOT EXISTS submissions (id BIGSERIAL PRIMARY KEY, \
                         token TEXT NOT NULL, number TEXT NOT NULL, created_at BIGINT NOT NULL)",
                    )
                    .execute(&p)
                    .await
                    .unwrap();
                    Pool::Postgres(p)
                } else {
                    let options = SqliteConnectOptions::from_str(url)
                        .unwrap()
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(5));
                    let p = SqlitePoolOptions::new()
                        .max_connections(8)
                        .connect_with(options)
                        .await
                        .unwrap();
                    sqlx::query(
                        "CREATE TABLE IF NOT EXISTS submissions (id INTEGER PRIMARY KEY, \
                         token TEXT NOT NULL, number TEXT NOT NULL, created_at INTEGER NOT NULL)",
                    )
                    .execute(&p)
                    .await
                    .unwrap();
                    Pool::Sqlite(p)
                };
                let app = axum::Router::new()
                    .route("/api/submit_number", axum::routing::post(submit_number))
                    .route("/readyz", axum::routing::get(|| async { "ok" }))
                    .with_state(pool);
                let listener = tokio::net::TcpListener::bind(&listen).await.unwrap();
                axum::serve(listener, app).await.unwrap();
            });
    }

    async fn submit_number(
        axum::extract::State(pool): axum::extract::State<Pool>,
        axum::extract::Form(form): axum::extract::Form<Form>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let sql = "INSERT INTO submissions (token, number, created_at) VALUES ($1, $2, $3)";
        let now = domain::store::now_ms();
        let done = match &pool {
            Pool::Sqlite(p) => sqlx::query(sql)
                .bind(&form.token)
                .bind(&form.number)
                .bind(now)
                .execute(p)
                .await
                .map(|_| ()),
            Pool::Postgres(p) => sqlx::query(sql)
                .bind(&form.token)
                .bind(&form.number)
                .bind(now)
                .execute(p)
                .await
                .map(|_| ()),
        };
        // The same answer shapes as the product, so the client treats both alike.
        match done {
            Ok(()) if form.number.starts_with("+447800") => {
                axum::Json(serde_json::json!({"NotFound": {}})).into_response()
            }
            Ok(()) => axum::Json(serde_json::json!({"Matched": {}})).into_response(),
            Err(_) => (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "\"Unavailable\"",
            )
                .into_response(),
        }
    }

    /// Starts the baseline server and drives it exactly as the product was driven.
    pub async fn run(url: &str, connections: usize, seconds: u64, members: u64) -> LoadRun {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .env(BASELINE_ROLE, url)
            .env("ELUMO_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()
            .expect("the baseline server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{base}/readyz")).await.is_err() {
            assert!(Instant::now() < deadline, "the baseline server came up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let http = client(connections);
        let post = move |number: String| {
            let (http, base) = (http.clone(), base.clone());
            async move { submit(&http, &base, "baseline", &number).await }
        };
        let mix = Mix::new(members, 0);
        drive(
            connections,
            Duration::from_secs(1),
            u64::MAX,
            mix.clone(),
            post.clone(),
        )
        .await;
        println!("baseline: {connections} connections for {seconds} s…");
        let run = drive(
            connections,
            Duration::from_secs(seconds),
            u64::MAX,
            mix,
            post,
        )
        .await;
        let _ = child.kill();
        let _ = child.wait();
        run
    }
}
