//! The axum server: configuration → tracing → state → router → serve with graceful shutdown.
//! `router(state)` is what tests build and drive without a network.

pub mod admin;
pub mod api;
mod dev;
pub mod error;
pub mod google;
pub mod metrics;
pub mod passkit;
pub mod security;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use app::{shell, App};
use axum::body::Body;
use axum::extract::Path;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::config::Config;
use domain::state::AppState;
use domain::store::Store;
use error::HttpError;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower::ServiceExt as _;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestId, RequestId, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Builds the state: connects to (and migrates) the database, loads demo data when asked.
pub async fn build_state(config: Config) -> anyhow::Result<(AppState, Option<String>)> {
    let store = Store::connect(config.db.url.expose(), config.db.max_connections)
        .await
        .context("could not open the database (DATABASE_URL)")?;
    let mut demo_url = None;
    if config.demo.seed {
        if let Some(seeded) = domain::demo::seed_if_empty(&store).await? {
            let url = domain::demo::invite_url(&config.http.public_url, &seeded.invite_token);
            domain::demo::remember_invite_url(&config.journey.data_dir, &url)
                .context("could not write the demo invite file in ELUMO_DATA_DIR")?;
            domain::demo::seed_admin(
                &store,
                seeded.operator_id,
                config.demo.admin_password.as_ref().map(|p| p.expose()),
                &config.journey.data_dir,
            )
            .await
            .context("could not create the demo admin account")?;
        }
        demo_url = domain::demo::remembered_invite_url(&config.journey.data_dir);
    }
    let state =
        AppState::build(config, store).context("could not set up the wallet signing material")?;
    Ok((state, demo_url))
}

/// Every route of the product, with the operational layers around them.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let timeout = Duration::from_secs(state.config.http.request_timeout_secs);
    let security = security::Settings::from_public_url(&state.config.http.public_url);
    let ctx = state.clone();
    let options = state.leptos_options.clone();
    metrics::install(&state.config.metrics.instance_id);
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::scrape))
        .route("/credential-key.pem", get(credential_key))
        .route("/access/v1/revocations", get(access_revocations))
        .route("/readyz", get(readyz))
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .route("/l/{token}/apple", post(issue_apple))
        .route("/l/{token}/google", post(issue_google))
        .route("/l/{token}/restart", post(restart))
        .route("/i/{token}/code", post(enter_code))
        .route("/dev/outbox", get(dev::outbox))
        .route("/webhooks/twilio/status", post(twilio_status))
        .route("/webhooks/crm/{operator}", post(crm_webhook))
        .merge(passkit::routes())
        .merge(google::routes())
        .merge(admin::routes())
        .merge(api::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx.clone());
                security::provide_request_nonce();
            },
            move || shell(options.clone()),
        )
        .fallback(static_or_not_found)
        .layer(axum::middleware::map_response(server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::browser,
        ))
        .with_state(state);
    // The security headers outside the rest, so the panic and timeout pages carry them too.
    with_ops_layers(app, timeout)
        .layer(axum::middleware::from_fn_with_state(
            security,
            security::headers,
        ))
        // Outermost of all, so the latencies include every layer (and the timeouts' 503s).
        .layer(axum::middleware::from_fn(metrics::track))
}

/// Tracing with request ids, panics answered with 500, request timeouts, compression and the
/// headers every response carries.
pub fn with_ops_layers(router: Router, timeout: Duration) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
        let id = req
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-")
            .to_owned();
        tracing::info_span!("request", id = %id, method = %req.method(), path = %redact_path(req.uri().path()))
    });
    router
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(Counter::default()))
}

#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&n.to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// Paths carry invite, link and password reset tokens; logs keep only their first characters.
pub fn redact_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut after_secret_prefix = false;
    for seg in path.split('/') {
        if after_secret_prefix && seg.len() > 6 {
            out.push(format!(
                "{}…",
                &seg[..seg
                    .char_indices()
                    .nth(4)
                    .map(|(i, _)| i)
                    .unwrap_or(seg.len())]
            ));
        } else {
            out.push(seg.to_owned());
        }
        after_secret_prefix = matches!(seg, "i" | "l" | "pass" | "reset");
    }
    out.join("/")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    error::panic_page()
}

async fn healthz() -> &'static str {
    "ok"
}

/// The public key of signed credential tokens, for readers that verify them offline.
async fn credential_key(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        state.credentials.public_pem(),
    )
        .into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> Response {
    handle_server_fns_with_context(move || provide_context(state.clone()), req)
        .await
        .into_response()
}

/// Server-function errors arrive as 500; a request the client got wrong becomes 400 and an
/// outage of ours 503, so no answer blames the server for a client's mistake.
async fn server_fn_status(res: Response) -> Response {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    parts.status = match serde_json::from_slice::<app::types::AppError>(&bytes) {
        Ok(error) => error::status(&error),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Response::from_parts(parts, Body::from(bytes))
}

fn cookie_header(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::COOKIE).and_then(|v| v.to_str().ok())
}

fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "bad redirect").into_response(),
    }
}

async fn issue_apple(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    issue(state, token, headers, domain::links::Platform::Apple).await
}

async fn issue_google(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    issue(state, token, headers, domain::links::Platform::Google).await
}

/// The wallet buttons: a `.pkpass` download, or a redirect to Google's save page. Problems go
/// back to the link's page, which explains them.
async fn issue(
    state: AppState,
    token: String,
    headers: axum::http::HeaderMap,
    platform: domain::links::Platform,
) -> Result<Response, HttpError> {
    use domain::links::Issued;
    let issued = domain::links::issue(&state, &token, cookie_header(&headers), platform).await?;
    let (mut res, cookie) = match issued {
        Issued::Apple {
            pkpass,
            file_name,
            set_cookie,
        } => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            let res = (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(domain::wallet::apple::CONTENT_TYPE),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                pkpass,
            )
                .into_response();
            (res, set_cookie)
        }
        Issued::Google {
            save_url,
            set_cookie,
        } => (see_other(&save_url), set_cookie),
        Issued::Problem(_) => (
            see_other(&format!("/l/{}", domain::tokens::urlencode(&token))),
            None,
        ),
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(res)
}

#[derive(Default, serde::Deserialize)]
struct CodeForm {
    #[serde(default)]
    journey: String,
    #[serde(default)]
    code: String,
}

/// The 6-digit code from the text, typed (or filled in by the phone) on "check your messages".
async fn enter_code(
    State(state): State<AppState>,
    Path(token): Path<String>,
    req: Request<Body>,
) -> Result<Response, HttpError> {
    use domain::links::CodeOutcome;
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let client_ip = domain::limits::client_address(&parts, &state.config.http.trusted_proxies);
    let req = Request::from_parts(parts, body);
    let form =
        match <axum::extract::Form<CodeForm> as axum::extract::FromRequest<()>>::from_request(
            req,
            &(),
        )
        .await
        {
            Ok(axum::extract::Form(form)) => form,
            Err(_) => CodeForm::default(),
        };
    let back = |notice: &str| {
        see_other(&format!(
            "/i/{}/sent?j={}&n={notice}",
            domain::tokens::urlencode(&token),
            domain::tokens::urlencode(&form.journey)
        ))
    };
    let outcome =
        domain::links::enter_code(&state, &token, &form.journey, &form.code, &client_ip).await;
    // A miss in strict mode and a match answer in the same time.
    state.answer_floor(started).await;
    Ok(match outcome? {
        CodeOutcome::Open { path, set_cookie } => {
            let mut res = see_other(&path);
            if let Ok(v) = HeaderValue::from_str(&set_cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        CodeOutcome::Wrong { tries_left } => back(&format!("code-wrong-{tries_left}")),
        CodeOutcome::Locked => back("code-locked"),
        CodeOutcome::Unavailable => back("code-unavailable"),
    })
}

/// "Start again" from a link that can no longer be used; otherwise back to the link's page,
/// which says why not.
async fn restart(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    Ok(
        match domain::links::restart(&state, &token, cookie_header(&headers)).await? {
            Ok(path) => see_other(&path),
            Err(refusal) => see_other(&format!(
                "/l/{}?restart={}",
                domain::tokens::urlencode(&token),
                refusal.as_str()
            )),
        },
    )
}

/// Twilio's delivery receipts. Only signed ones count; repeats and late arrivals change nothing.
async fn twilio_status(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Form(params): axum::extract::Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let Some(twilio) = state.config.sms.twilio.as_ref() else {
        return Ok((StatusCode::NOT_FOUND, "not configured").into_response());
    };
    let url = domain::sms::twilio::status_callback_url(&state.config.http.public_url);
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !domain::sms::twilio::verify(twilio.auth_token.expose(), &url, &params, signature) {
        tracing::warn!("rejected a status callback with a bad signature");
        return Ok((StatusCode::FORBIDDEN, "bad signature").into_response());
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(sid), Some(status)) = (param("MessageSid"), param("MessageStatus")) else {
        return Ok((
            StatusCode::BAD_REQUEST,
            "MessageSid and MessageStatus are required",
        )
            .into_response());
    };
    let detail = match param("ErrorCode") {
        Some(code) => format!("provider receipt: {status}, error {code}"),
        None => format!("provider receipt: {status}"),
    };
    state.store.record_delivery(sid, status, &detail).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Development only: the local SMS outbox, newest first, so a person can follow the link a
/// phone would receive. Absent in production.
/// A member change from the operator's CRM, signed with the operator's webhook secret.
async fn crm_webhook(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    use domain::crm::webhook::{apply, now_secs, verify, Applied, Refusal};
    let answer = |status: StatusCode, text: String| {
        (status, axum::Json(serde_json::json!({ "status": text }))).into_response()
    };
    let found = async {
        let Some(op) = state.store.operator_by_slug(&slug).await? else {
            return Ok(None);
        };
        let conn = state.store.crm_connection(op.id).await?;
        Ok::<_, domain::store::StoreError>(conn.map(|c| (op, c)))
    };
    let Some((operator, conn)) = found.await? else {
        return Ok(answer(
            StatusCode::NOT_FOUND,
            "no CRM connection here".into(),
        ));
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(refusal) = verify(
        &conn.webhook_secret,
        header("x-elumo-timestamp"),
        header("x-elumo-signature"),
        &body,
        now_secs(),
    ) {
        tracing::warn!(operator = %operator.slug, %refusal, "refused a CRM webhook");
        return Ok(answer(StatusCode::UNAUTHORIZED, refusal.to_string()));
    }
    let mapping = match domain::crm::mapping_for(&conn) {
        Ok(mapping) => mapping,
        Err(err) => return Ok(answer(StatusCode::SERVICE_UNAVAILABLE, err)),
    };
    Ok(
        match apply(&state.store, &operator, &mapping, &body).await? {
            Ok(Applied::Applied(r)) => {
                let status = if r.rejected > 0 {
                    format!(
                        "rejected: {}",
                        r.problems.first().map_or("", |p| p.reason.as_str())
                    )
                } else if r.created > 0 {
                    "created".into()
                } else if r.deactivated > 0 {
                    "deactivated".into()
                } else if r.updated > 0 {
                    "updated".into()
                } else {
                    "unchanged".into()
                };
                answer(StatusCode::OK, status)
            }
            Ok(Applied::Duplicate) => answer(StatusCode::OK, "duplicate".into()),
            Ok(Applied::UnknownMember) => answer(StatusCode::OK, "unknown member".into()),
            Err(Refusal::BadBody(why)) => answer(StatusCode::BAD_REQUEST, why),
            Err(other) => answer(StatusCode::BAD_REQUEST, other.to_string()),
        },
    )
}

/// Static assets (precompressed brotli/gzip when the client accepts them); anything else is
/// rendered by the app, whose fallback is the "page not found" page.
async fn static_or_not_found(State(state): State<AppState>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    if parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD {
        let files = ServeDir::new(&state.config.http.site_root)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false);
        let probe = Request::from_parts(parts.clone(), Body::empty());
        let Ok(res) = files.oneshot(probe).await;
        if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
            let mut res = res.map(Body::new);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            return res;
        }
    }
    let ctx = state.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(ctx.clone());
            security::provide_request_nonce();
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts, body))
        .await
        .into_response()
}

/// Serves until SIGTERM or ctrl-c, then finishes the requests in flight and closes the store.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.http.listen;
    let public_url = config.http.public_url.clone();
    // Before any worker starts, so nothing they count is lost.
    let metrics_handle = metrics::install(&config.metrics.instance_id);
    let (state, demo_url) = build_state(config).await?;
    let store = state.store.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Several senders share the outbox (each claim takes a few messages and sends them side
    // by side), so one slow answer from the provider does not hold up the texts behind it. Nothing is re-queued at start: another
    // instance may be sending right now; a send whose lease ran out is claimable anyway.
    let workers: Vec<_> = (0..state.config.sms.workers)
        .map(|_| {
            tokio::spawn(domain::sms::run_worker(
                store.clone(),
                state.sms.clone(),
                state.retry_policy(),
                state.sms_lease(),
                state.sms_wake.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    tracing::info!(
        sender = state.sms.name(),
        workers = workers.len(),
        instance = state.instance,
        lease_secs = state.config.sms.lease_secs,
        "SMS workers started"
    );
    let pushes = domain::push::sender(&state.config, &state.apple)
        .context("could not set up pushes to Apple Wallet (ELUMO_APNS_*)")?;
    tracing::info!(sender = pushes.name(), "pass update pushes started");
    let pusher = tokio::spawn(domain::push::run_push_worker(
        state.clone(),
        pushes,
        Arc::new(tokio::sync::Notify::new()),
        Duration::from_secs(5),
        stop_tx.subscribe(),
    ));
    let webhooks = tokio::spawn(domain::webhooks::run_worker(
        store.clone(),
        domain::webhooks::production(&state),
        domain::lease::Lease::new(state.instance, domain::lease::DEFAULT_TTL_MS),
        state.webhooks_wake.clone(),
        stop_tx.subscribe(),
    ));
    let opens = tokio::spawn(write_opens(state.clone(), stop_tx.subscribe()));
    let checkpoints = tokio::spawn(checkpoints(store.clone(), stop_tx.subscribe()));
    let upkeep = tokio::spawn(metrics::run_upkeep(metrics_handle, stop_tx.subscribe()));
    let syncer = tokio::spawn(domain::crm::engine::run_scheduler(
        store.clone(),
        state.instance.to_owned(),
        Duration::from_secs(30),
        stop_tx.subscribe(),
    ));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen} (ELUMO_LISTEN)"))?;
    print_banner(&public_url, demo_url.as_deref(), store.dialect());
    if demo_url.is_some() {
        if let Some((email, password)) =
            domain::demo::remembered_admin(&state.config.journey.data_dir)
        {
            println!(
                "  Operator dashboard: {public_url}/admin  (sign in as {email} / {password})\n"
            );
        }
    }
    tracing::info!(%listen, "serving");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the server stopped with an error")?;
    let _ = stop_tx.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    let _ = syncer.await;
    let _ = pusher.await;
    let _ = webhooks.await;
    let _ = opens.await;
    let _ = checkpoints.await;
    let _ = upkeep.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Writes the invite opens counted in memory every five seconds, and once more on the way out.
/// Every few seconds: writes the invite opens counted in memory; every ten minutes, deletes the
/// limit counters whose window ended.
async fn write_opens(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticks = 0u64;
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => false,
            _ = stop.changed() => true,
        };
        if let Err(err) = domain::journeys::flush_opens(&state).await {
            tracing::warn!(error = %err, "could not write invite opens");
        }
        ticks += 1;
        if ticks.is_multiple_of(120) {
            if let Err(err) = state.store.forget_ended_windows().await {
                tracing::warn!(error = %err, "could not delete ended limit windows");
            }
            if let Err(err) = state.store.forget_ended_mfa_challenges().await {
                tracing::warn!(error = %err, "could not delete ended sign-in challenges");
            }
        }
        if stopping || *stop.borrow() {
            return;
        }
    }
}

/// Keeps SQLite's write-ahead log short, off the writer's thread (see `Store::checkpoint`).
async fn checkpoints(store: domain::store::Store, mut stop: tokio::sync::watch::Receiver<bool>) {
    if store.is_postgres() {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = stop.changed() => return,
        }
        if let Err(err) = store.checkpoint().await {
            tracing::warn!(error = %err, "could not checkpoint the database's log");
        }
    }
}

fn print_banner(public_url: &str, demo_url: Option<&str>, dialect: &str) {
    println!("\n  elumo pass is serving on {public_url}  (database: {dialect})\n");
    if let Some(url) = demo_url {
        println!("  Demo invite (Northwind Workspace, Shoreditch poster):\n  {url}\n");
        if let Some(qr) = domain::demo::terminal_qr(url) {
            println!("{qr}");
        }
        println!("  Try these numbers on the phone page:");
        println!("    07400 123001   Ada Lovelace, in the directory");
        println!("    07400 123002   Grace Hopper, has a physical access card");
        println!("    07400 123007   not yet synced  -> \"not found\"");
        println!("    07400 123099   not in the directory -> \"not found\"\n");
        println!("  The server listens on loopback; to try it from a phone on your network set");
        println!("  ELUMO_LISTEN=0.0.0.0:3000 and ELUMO_PUBLIC_URL=http://<this machine's address>:3000.\n");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub fn init_tracing() {
    init_tracing_with("info,sqlx=warn,tower_http=info");
}

/// Tracing with `default` as the filter unless ELUMO_LOG or RUST_LOG says otherwise (commands
/// keep to warnings, so their own report is what the operator reads).
pub fn init_tracing_with(default: &str) {
    let filter = std::env::var("ELUMO_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn logs_never_hold_whole_tokens() {
        assert_eq!(redact_path("/i/AbCdEfGhIjKlMnOpQrStUv"), "/i/AbCd…");
        assert_eq!(
            redact_path("/i/AbCdEfGhIjKlMnOpQrStUv/sent"),
            "/i/AbCd…/sent"
        );
        assert_eq!(redact_path("/healthz"), "/healthz");
        // A password reset link is a key to a staff account.
        assert_eq!(
            redact_path("/admin/reset/AbCdEfGhIjKlMnOpQrStUv"),
            "/admin/reset/AbCd…"
        );
        assert_eq!(
            redact_path("/admin/staff/12/reset"),
            "/admin/staff/12/reset"
        );
    }
}

#[derive(serde::Deserialize, Default)]
struct RevocationQuery {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    limit: Option<i64>,
}

/// The access system's feed of credentials to stop accepting (`Authorization: Bearer <token>`
/// from `server access token`), oldest first after the id it last saw.
async fn access_revocations(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    query: Result<axum::extract::Query<RevocationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, HttpError> {
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({"error": "send the operator's access token as Authorization: Bearer <token>"})),
        )
            .into_response()
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| domain::tokens::looks_like_token(t))
    else {
        return Ok(unauthorized());
    };
    let Some(operator) = state
        .store
        .operator_by_access_token(&domain::tokens::hash_token(token))
        .await?
    else {
        return Ok(unauthorized());
    };
    let Ok(axum::extract::Query(q)) = query else {
        return Ok((
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "after and limit are whole numbers"})),
        )
            .into_response());
    };
    let limit = q.limit.unwrap_or(500).clamp(1, 1000);
    let rows = state
        .store
        .access_revocations(operator, q.after.max(0), limit)
        .await?;
    let next = rows.last().map_or(q.after.max(0), |r| r.id);
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "member": r.external_id,
                "credential": {
                    "source": r.source,
                    "facility_code": r.facility_code,
                    "card_number": r.card_number,
                    "wiegand26": format!("{:07X}", domain::credentials::wiegand26(
                        u8::try_from(r.facility_code).unwrap_or_default(),
                        u16::try_from(r.card_number).unwrap_or_default())),
                },
                "revoked_at": domain::wallet::rfc3339(r.at),
            })
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({"revocations": items, "next_after": next})),
    )
        .into_response())
}
