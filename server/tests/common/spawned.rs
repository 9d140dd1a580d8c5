//! The real server binary as a child process on a prepared database, a Twilio-compatible SMS
//! provider stand-in that counts what it accepts, and a client that posts what the phone page
//! posts: what the restart and soak tests and the load benchmark share.
//!
//! The benches include this file too (server/benches/support), so it names nothing else in
//! `common`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

// ---- the SMS provider stand-in ----

/// How the stand-in answers.
pub const ACCEPT: u8 = 0;
/// 503 Service Unavailable, as a provider in an outage.
pub const OUTAGE: u8 = 1;
/// No answer for two minutes (a provider slow to answer: a crash then finds sends in flight).
pub const HOLD: u8 = 2;
/// The next message is accepted (counted) but its answer held back until `release()`; the
/// messages after it are answered at once again (ACCEPT). A slow provider, seen from the
/// instance whose send is in flight.
pub const HOLD_ONE_ACCEPTED: u8 = 3;

/// A Twilio-compatible Messages endpoint on loopback: records when each number's first message
/// arrived and how many were accepted per number. `door()` opens another address onto the same
/// counts with a mode of its own (one door per server instance).
#[derive(Clone)]
pub struct Provider {
    pub base_url: String,
    inner: Arc<ProviderState>,
    door: Arc<Door>,
}

struct ProviderState {
    requests: AtomicU64,
    accepted: Mutex<HashMap<String, (Instant, usize)>>,
    /// Every accepted message as (sid, to, body), for `GET Messages.json`.
    messages: Mutex<Vec<(String, String, String)>>,
    /// Permits for held answers: `release()` adds them.
    release: tokio::sync::Semaphore,
}

/// One address of the stand-in: its mode and what reached it.
#[derive(Default)]
struct Door {
    mode: AtomicU8,
    requests: AtomicU64,
    /// Requests waiting on a HOLD or HOLD_ONE_ACCEPTED right now.
    waiting: AtomicU64,
}

impl Provider {
    pub async fn start() -> Provider {
        let inner = Arc::new(ProviderState {
            requests: AtomicU64::new(0),
            accepted: Mutex::new(HashMap::new()),
            messages: Mutex::new(Vec::new()),
            release: tokio::sync::Semaphore::new(0),
        });
        Provider::open(inner).await
    }

    async fn open(inner: Arc<ProviderState>) -> Provider {
        let door = Arc::new(Door::default());
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(messages).get(list_messages),
            )
            .with_state((inner.clone(), door.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Provider {
            base_url,
            inner,
            door,
        }
    }

    /// Another address onto the same provider (the same counts), starting in ACCEPT.
    pub async fn door(&self) -> Provider {
        Provider::open(self.inner.clone()).await
    }

    /// This door's mode.
    pub fn set_mode(&self, mode: u8) {
        self.door.mode.store(mode, Ordering::SeqCst);
    }

    /// Lets every answer held by HOLD_ONE_ACCEPTED go (at any door).
    pub fn release(&self) {
        self.inner.release.add_permits(1_000_000);
    }

    /// Every request, answered or refused, at any door.
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// Requests that reached this door.
    pub fn door_requests(&self) -> u64 {
        self.door.requests.load(Ordering::SeqCst)
    }

    /// Requests held at this door right now (HOLD or HOLD_ONE_ACCEPTED).
    pub fn waiting(&self) -> u64 {
        self.door.waiting.load(Ordering::SeqCst)
    }

    /// Numbers with at least one accepted message.
    pub fn delivered(&self) -> usize {
        self.inner.accepted.lock().unwrap().len()
    }

    /// Number → (first accepted at, messages accepted).
    pub fn accepted(&self) -> HashMap<String, (Instant, usize)> {
        self.inner.accepted.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.inner.accepted.lock().unwrap().clear();
    }
}

/// Counts `waiting` while a held request waits (also when the client goes away mid-wait).
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn new(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn messages(
    State((p, door)): State<(Arc<ProviderState>, Arc<Door>)>,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let n = p.requests.fetch_add(1, Ordering::SeqCst);
    door.requests.fetch_add(1, Ordering::SeqCst);
    let mut hold_answer = false;
    match door.mode.load(Ordering::SeqCst) {
        OUTAGE => return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response(),
        HOLD => {
            let _waiting = Waiting::new(&door.waiting);
            tokio::time::sleep(Duration::from_secs(120)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        HOLD_ONE_ACCEPTED => {
            // Only the first request to see the mode is held.
            hold_answer = door
                .mode
                .compare_exchange(
                    HOLD_ONE_ACCEPTED,
                    ACCEPT,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok();
        }
        _ => {}
    }
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (to, body) = (field("To"), field("Body"));
    let sid = format!("SM{n:032}");
    p.messages
        .lock()
        .unwrap()
        .push((sid.clone(), to.clone(), body));
    let now = Instant::now();
    p.accepted
        .lock()
        .unwrap()
        .entry(to)
        .and_modify(|(_, count)| *count += 1)
        .or_insert((now, 1));
    if hold_answer {
        let _waiting = Waiting::new(&door.waiting);
        let _ = p.release.acquire().await.map(|permit| permit.forget());
    }
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"sid": sid, "status": "queued"})),
    )
        .into_response()
}

/// `GET Messages.json?To=…`: the accepted messages to that number, as Twilio lists them.
async fn list_messages(
    State((p, door)): State<(Arc<ProviderState>, Arc<Door>)>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    if door.mode.load(Ordering::SeqCst) == OUTAGE {
        return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
    }
    let to = query
        .into_iter()
        .find(|(k, _)| k == "To")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let messages: Vec<_> = p
        .messages
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, t, _)| *t == to)
        .map(|(sid, to, body)| serde_json::json!({"sid": sid, "to": to, "body": body, "status": "sent"}))
        .collect();
    axum::Json(serde_json::json!({"messages": messages})).into_response()
}

// ---- the directory the load uses ----

/// Directory members' numbers: `+447500` and six digits (a UK mobile range).
pub fn member_number(i: u64) -> String {
    format!("+447500{:06}", i % 1_000_000)
}

/// Numbers nobody in the directory has: `+447800` and six digits.
pub fn stranger_number(i: u64) -> String {
    format!("+447800{:06}", i % 1_000_000)
}

/// A database ready for the server: the demo operator with `members` directory members, limits
/// raised out of the way. Returns the site invite's token.
pub async fn prepare_database(url: &str, members: u64) -> String {
    let store = domain::store::Store::connect(url, 4)
        .await
        .expect("the database opens");
    let seeded = domain::demo::seed(&store).await.expect("demo operator");
    store
        .set_operator_limits(seeded.operator_id, false, "GB", 1_000_000_000)
        .await
        .unwrap();
    let synced = domain::store::now_ms();
    for i in 0..members {
        let (external, number) = (format!("bench-{i}"), member_number(i));
        store
            .upsert_member(&domain::store::NewMember {
                operator_id: seeded.operator_id,
                external_id: &external,
                first_name: "Member",
                last_name: &i.to_string(),
                email: None,
                mobile_e164: Some(&number),
                source: "bench",
                synced_at: Some(synced),
                active: true,
            })
            .await
            .expect("a member");
    }
    store.close().await;
    seeded.invite_token.expose().to_owned()
}

// ---- the server as a child process ----

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real server binary, killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub base_url: String,
}

pub struct ServerSetup {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub port: u16,
    pub provider_url: String,
    /// Extra environment on top of the load settings.
    pub env: Vec<(String, String)>,
}

impl ServerProcess {
    pub async fn start(setup: &ServerSetup) -> ServerProcess {
        let base_url = format!("http://127.0.0.1:{}", setup.port);
        // ELUMO_TEST_SERVER_BIN names another build of the binary: with one target folder shared
        // by several worktrees, the one cargo names may be overwritten by another worktree's build.
        let binary = std::env::var_os("ELUMO_TEST_SERVER_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| setup.binary.clone());
        let mut cmd = Command::new(binary);
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ELUMO_LISTEN", format!("127.0.0.1:{}", setup.port))
            .env("ELUMO_PUBLIC_URL", &base_url)
            .env("ELUMO_DATA_DIR", &setup.data_dir)
            .env("ELUMO_SITE_ROOT", &setup.data_dir)
            .env("DATABASE_URL", &setup.database_url)
            .env("ELUMO_DEMO", "false")
            .env("ELUMO_LOG", "warn")
            // The equal-time answer floor is a deliberate wait, not work: measured without it.
            .env("ELUMO_ANSWER_FLOOR_MS", "0")
            // Members on their own phones, through a reverse proxy on 127.0.0.1 that names
            // them in X-Forwarded-For (the per-address limit stays at its default)…
            .env("ELUMO_TRUSTED_PROXIES", "127.0.0.1")
            // …all scanning one poster.
            .env("ELUMO_LIMIT_SUBMISSIONS_PER_INVITE", "1000000000")
            .env("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "1000000000")
            .env("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "1000000")
            .env("ELUMO_LIMIT_SMS_PER_NUMBER_PER_DAY", "1000000")
            .env("ELUMO_SMS_PROVIDER", "twilio")
            .env("ELUMO_TWILIO_BASE_URL", &setup.provider_url)
            .env(
                "ELUMO_TWILIO_ACCOUNT_SID",
                "AC00000000000000000000000000000001",
            )
            .env("ELUMO_TWILIO_AUTH_TOKEN", "bench-auth-token")
            .env("ELUMO_TWILIO_FROM", "+15005550006")
            .stderr(Stdio::inherit());
        match std::env::var_os("LOAD_SERVER_LOG") {
            // The server's log, for profiling (`ELUMO_LOG=sqlx=debug` in LOAD_SERVER_ENV).
            Some(file) => cmd.stdout(std::fs::File::create(file).expect("the log file")),
            None => cmd.stdout(Stdio::null()),
        };
        for (k, v) in &setup.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the server binary starts");
        let server = ServerProcess { child, base_url };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let health = format!("{}/readyz", self.base_url);
        loop {
            if let Ok(res) = reqwest::get(&health).await {
                if res.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the server came up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in bytes (Linux).
    pub fn rss_bytes(&self) -> Option<u64> {
        rss_of(self.child.id())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

// ---- the load generator ----

/// One submission's result as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// "Check your messages".
    Matched,
    /// The not-found message.
    NotFound,
    /// The clear "temporarily unavailable" answer (503).
    Unavailable,
    /// Anything else: a wrong outcome, another status, a broken connection.
    Wrong,
}

/// The form the phone page posts (the hydrated page's server-function call).
pub async fn submit(http: &reqwest::Client, base_url: &str, invite: &str, number: &str) -> Seen {
    // A distinct client address per number, as members on their own phones.
    let digits: u32 = number[number.len() - 7..].parse().unwrap_or(0);
    let forwarded = format!(
        "10.{}.{}.{}",
        (digits >> 16) & 0xff,
        (digits >> 8) & 0xff,
        digits & 0xff
    );
    let res = http
        .post(format!("{base_url}/api/submit_number"))
        .header("x-forwarded-for", forwarded)
        .form(&[
            ("token", invite),
            ("journey", ""),
            ("region", "GB"),
            ("number", number),
        ])
        .send()
        .await;
    let Ok(res) = res else {
        return Seen::Wrong;
    };
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    match status.as_u16() {
        200 if body.contains("\"Matched\"") => Seen::Matched,
        200 if body.contains("\"NotFound\"") => Seen::NotFound,
        503 if body.contains("Unavailable") => Seen::Unavailable,
        _ => Seen::Wrong,
    }
}

/// Whether `seen` is the right answer for a number in the directory (`member`) or not.
pub fn right_answer(seen: Seen, member: bool) -> bool {
    matches!(
        (seen, member),
        (Seen::Matched, true) | (Seen::NotFound, false)
    )
}

/// The mix: four directory members, then one stranger, each number used once (the counters
/// start at `first`).
pub struct Mix {
    pub members: u64,
    next: AtomicU64,
}

impl Mix {
    pub fn new(members: u64, first: u64) -> Arc<Mix> {
        Arc::new(Mix {
            members,
            next: AtomicU64::new(first),
        })
    }

    /// The next number and whether it is in the directory.
    pub fn next(&self) -> (String, bool) {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        if k % 5 == 4 {
            (stranger_number(k / 5), false)
        } else {
            (member_number((k / 5 * 4 + k % 5) % self.members), true)
        }
    }
}

pub fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}
