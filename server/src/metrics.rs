//! `GET /metrics`: this instance's counters, request latencies by route and the SMS outbox's
//! depth in Prometheus's text format, for the addresses the operator allows (ELUMO_METRICS_ALLOW).
//! Everyone else gets the not-found page any unknown address gets.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, State};
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::state::AppState;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUEST_DURATION: &str = "elumo_http_request_duration_seconds";

/// From a static asset (a few ms) to a slow provider behind a request (seconds).
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The server functions' catch-all route: labelled by the function's own path instead.
const SERVER_FNS: &str = "/api/{*fn_name}";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder, its series labelled `instance`, once per process; later calls
/// return the same handle (tests build many routers in one process, and the first one's instance
/// id stays).
pub fn install(instance: &str) -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().add_global_label("instance", instance);
            let builder = builder
                .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &BUCKETS)
                .expect("BUCKETS is not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed: /metrics will stay empty");
            }
            metrics::describe_histogram!(
                REQUEST_DURATION,
                metrics::Unit::Seconds,
                "Time to answer a request, by route template (never the raw path), method and status class."
            );
            domain::metrics::describe();
            handle
        })
        .clone()
}

/// Drains recorded latencies into their buckets now and then, so memory stays flat between
/// scrapes (`install_recorder` leaves this to its caller).
pub async fn run_upkeep(handle: PrometheusHandle, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => handle.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

/// The layer that times every request under its route's template.
pub async fn track(req: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let route = route_label(&req);
    let method = method_label(req.method().as_str());
    let res = next.run(req).await;
    let status = status_class(res.status());
    metrics::histogram!(REQUEST_DURATION, "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    res
}

/// The matched route's template (`/l/{token}`), so no token in a URL becomes a label; a server
/// function by its registered path; anything unmatched (assets, unknown pages) is `other`.
fn route_label(req: &Request<Body>) -> String {
    let Some(matched) = req.extensions().get::<MatchedPath>() else {
        return "other".into();
    };
    if matched.as_str() == SERVER_FNS {
        let path = req.uri().path();
        if server_fn_paths().contains(path) {
            return path.to_owned();
        }
    }
    matched.as_str().to_owned()
}

fn server_fn_paths() -> &'static HashSet<String> {
    static PATHS: OnceLock<HashSet<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.to_owned())
            .collect()
    })
}

fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The scrape. Allowed by the connection's own address (a proxy's `X-Forwarded-For` is not
/// asked: whoever can reach the port could write it), and never through a proxy: a request
/// that a proxy forwarded (it names a client) is a client's from outside.
pub async fn scrape(State(state): State<AppState>, req: Request<Body>) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .filter(|_| !crate::security::forwarded(req.headers()));
    if !peer.is_some_and(|ip| state.config.metrics.allows(ip)) {
        return super::static_or_not_found(State(state), req).await;
    }
    let handle = install(&state.config.metrics.instance_id);
    match state.store.outbox_depth().await {
        Ok((depth, oldest)) => domain::metrics::outbox(depth, oldest, domain::store::now_ms()),
        // The gauges keep their last reading; the counters are still worth a scrape.
        Err(err) => tracing::warn!(error = %err, "metrics: could not read the outbox's depth"),
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        handle.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_and_methods_stay_few() {
        assert_eq!(status_class(StatusCode::FOUND), "3xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("BREW"), "other");
    }
}
