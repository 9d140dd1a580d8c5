//! What the load benchmark uses beyond the harness it shares with the restart and soak tests
//! (server/tests/common/spawned.rs: the SMS provider stand-in, the real server binary as a child
//! process on a prepared database, the submission client): the load generator and its numbers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../../tests/common/postgres.rs"]
mod postgres;
#[path = "../../tests/common/spawned.rs"]
mod spawned;

pub use spawned::*;

/// A fresh PostgreSQL database on the server `admin_url` names, kept after the run; its URL.
pub async fn fresh_postgres(admin_url: &str, prefix: &str) -> String {
    postgres::TestDatabase::create(admin_url, prefix)
        .await
        .keep()
}

pub fn data_dir_in(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- the load generator ----

/// What a run of the load generator measured.
pub struct LoadRun {
    pub requests: u64,
    pub seconds: f64,
    /// Per request, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub seen: HashMap<&'static str, u64>,
    /// Directory number → when its "Matched" answer arrived.
    pub matched_at: HashMap<String, Instant>,
    /// Requests that got neither the expected answer nor the clear "unavailable".
    pub wrong: u64,
}

impl LoadRun {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_us(&self.latencies_us, p) as f64 / 1000.0
    }
}

pub fn percentile_us(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Drives `post(number)` from `connections` clients for `duration` (or until `limit`
/// requests), as fast as answers come back.
pub async fn drive<F, Fut>(
    connections: usize,
    duration: Duration,
    limit: u64,
    mix: Arc<Mix>,
    post: F,
) -> LoadRun
where
    F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Seen> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (mix, post, issued) = (mix.clone(), post.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut seen: HashMap<&'static str, u64> = HashMap::new();
            let mut matched_at = HashMap::new();
            let mut wrong = 0u64;
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < limit {
                let (number, member) = mix.next();
                let t = Instant::now();
                let answer = post(number.clone()).await;
                let done = Instant::now();
                latencies.push((done - t).as_micros().min(u32::MAX as u128) as u32);
                let name = match answer {
                    Seen::Matched => "matched",
                    Seen::NotFound => "not found",
                    Seen::Unavailable => "unavailable",
                    Seen::Wrong => "wrong",
                };
                *seen.entry(name).or_default() += 1;
                match (answer, member) {
                    (Seen::Matched, true) => {
                        matched_at.insert(number, done);
                    }
                    (Seen::NotFound, false) | (Seen::Unavailable, _) => {}
                    _ => wrong += 1,
                }
            }
            (latencies, seen, matched_at, wrong)
        }));
    }
    let mut run = LoadRun {
        requests: 0,
        seconds: 0.0,
        latencies_us: Vec::new(),
        seen: HashMap::new(),
        matched_at: HashMap::new(),
        wrong: 0,
    };
    for task in tasks {
        let (latencies, seen, matched_at, wrong) = task.await.expect("a load task");
        run.latencies_us.extend(latencies);
        for (k, v) in seen {
            *run.seen.entry(k).or_default() += v;
        }
        run.matched_at.extend(matched_at);
        run.wrong += wrong;
    }
    run.seconds = started.elapsed().as_secs_f64();
    run.requests = run.latencies_us.len() as u64;
    run.latencies_us.sort_unstable();
    run
}
