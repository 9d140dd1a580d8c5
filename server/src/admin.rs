//! The dashboard's form routes and downloads. Every state-changing route needs a live session,
//! the session's CSRF token in the form and (when the browser sends one) an `Origin` equal to
//! the public URL's; each answers with a redirect to the page that shows the result. The
//! sign-in form and the password reset form come before a session: the first carries a token
//! bound to a pre-session cookie, the second its link's token; `browser` guards the origin of
//! every `/admin` form.

use app::admin::views;
use app::types::admin::JourneyFilter;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::dashboard::{self as admin, Form};
use domain::staff::Session;
use domain::state::AppState;
use leptos::prelude::*;

use domain::store::StoreError;

use crate::error::{page, HttpError};
use crate::see_other;

/// What a dashboard route answers: its page or redirect, or the problem page.
type Answer = Result<Response, HttpError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", post(login))
        .route("/admin/login/code", get(code_page).post(login_code))
        .route("/admin/account/mfa/start", post(mfa_start))
        .route("/admin/account/mfa/confirm", post(mfa_confirm))
        .route("/admin/account/mfa/off", post(mfa_off))
        .route("/admin/account/mfa/recovery", post(mfa_recovery))
        .route("/admin/security/mfa", post(mfa_required))
        .route("/admin/staff/{id}/mfa-reset", post(mfa_reset))
        .route("/admin/sso", get(sso_start))
        .route("/admin/sso/callback", get(sso_callback))
        .route("/admin/security/sso", post(save_sso))
        .route("/admin/logout", post(logout))
        .route("/admin/journeys.csv", get(journeys_csv))
        .route("/admin/journeys/{id}/resend", post(resend_link))
        .route("/admin/members/{id}/revoke", post(revoke_pass))
        .route("/admin/members/{id}/lost", post(phone_lost))
        .route("/admin/messages", post(send_message))
        .route("/admin/sites/{id}", post(save_site))
        .route("/admin/invites", post(create_invites))
        .route("/admin/invites/{id}/revoke", post(revoke_invite))
        .route("/admin/invites/{id}/resend", post(resend_invite))
        .route("/admin/invites/{id}/qr.svg", get(qr_svg))
        .route("/admin/invites/{id}/qr.png", get(qr_png))
        .route("/admin/settings", post(save_settings))
        .route(
            "/admin/settings/images",
            post(upload_image).layer(axum::extract::DefaultBodyLimit::max(1024 * 1024)),
        )
        .route("/admin/images/{file}", get(image))
        .route("/admin/staff", post(add_staff))
        .route("/admin/staff/{id}", post(update_staff))
        .route("/admin/staff/{id}/reset", post(send_reset))
        .route("/admin/webhooks", post(add_webhook))
        .route("/admin/webhooks/{id}", post(change_webhook))
        .route("/admin/webhooks/deliveries/{id}/again", post(webhook_again))
        .route("/admin/api-keys", post(create_api_key))
        .route("/admin/api-keys/{id}/revoke", post(revoke_api_key))
        .route("/admin/account/password", post(change_password))
        .route("/admin/reset/{token}", post(reset_password))
}

fn another_site() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "This form came from another site",
        "For your security the dashboard only accepts its own forms.",
    )
}

/// Around every request under `/admin`: a form posted from another origin (`null` included) is
/// refused before any handler runs; pages say `Referrer-Policy: same-origin`, because under the
/// site-wide `no-referrer` a browser sends `Origin: null` on our own forms; and the sign-in page
/// gets its pre-session cookie (set on the request too, so the page renders the matching token).
pub async fn browser(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path != "/admin" && !path.starts_with("/admin/") {
        return next.run(req).await;
    }
    let public = state.config.http.public_url.clone();
    let method = req.method().clone();
    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
        && domain::staff::foreign_origin(&public, req.headers())
    {
        let mut res = another_site();
        res.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        return res;
    }
    if enrolment_only(&state, path, req.headers()).await {
        return if method == Method::GET || method == Method::HEAD {
            see_other("/admin/account/mfa?error=mfa-enrol-first")
        } else {
            page(
                StatusCode::FORBIDDEN,
                "Set up your second factor first",
                view! {
                    "Your team requires a code from an authenticator app at sign-in. "
                    <a href="/admin/account/mfa">"Set it up"</a>
                },
            )
        };
    }
    let holds_secret = path.starts_with("/admin/login")
        || path.starts_with("/admin/account/mfa")
        || path.starts_with("/admin/reset/")
        || path.starts_with("/admin/sso");
    let mut new_cookie = None;
    if method == Method::GET && path == "/admin/login" {
        let cookies = req
            .headers()
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if domain::staff::login_cookie_value(&public, Some(&cookies)).is_none() {
            let name = domain::staff::login_cookie_name(&public);
            let value = domain::tokens::Token::generate(24);
            let mut kept: Vec<&str> = cookies
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.starts_with(&format!("{name}=")))
                .collect();
            let ours = format!("{name}={}", value.expose());
            kept.push(&ours);
            let header =
                HeaderValue::from_str(&kept.join("; ")).or_else(|_| HeaderValue::from_str(&ours));
            if let Ok(v) = header {
                req.headers_mut().insert(header::COOKIE, v);
                new_cookie =
                    HeaderValue::from_str(&domain::staff::login_cookie(&public, value.expose()))
                        .ok();
            }
        }
    }
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Some(cookie) = new_cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    if holds_secret {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Whether the request's session may only set up a second factor (its operator requires one the
/// account lacks) and `path` is not part of that: setting it up, signing out, signing in.
async fn enrolment_only(state: &AppState, path: &str, headers: &HeaderMap) -> bool {
    let open = [
        "/admin/account/mfa",
        "/admin/logout",
        "/admin/login",
        "/admin/reset/",
        "/admin/sso",
    ];
    if open.iter().any(|p| path.starts_with(p)) {
        return false;
    }
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    match domain::staff::session_from_cookie_header(state, cookie).await {
        Ok(Some(s)) => domain::mfa::session_must_enrol(state, &s)
            .await
            .unwrap_or(false),
        _ => false,
    }
}

/// The client's address ("unknown" without a connection, as in tests), through trusted proxies.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(domain::limits::client_address(
            parts,
            &state.config.http.trusted_proxies,
        )))
    }
}

/// A form's fields: the single ones by name, the repeated `member` ones as ids.
fn split_form(fields: Vec<(String, String)>) -> (Form, Vec<i64>) {
    let mut members = Vec::new();
    let mut form = Form::new();
    for (k, v) in fields {
        if k == "member" {
            if let Ok(id) = v.trim().parse() {
                members.push(id);
            }
        } else {
            form.insert(k, v);
        }
    }
    (form, members)
}

/// Only an admin of the operator may do this.
fn admin_only(s: &Session) -> Result<(), HttpError> {
    if s.is_admin() {
        Ok(())
    } else {
        Err(HttpError::forbidden())
    }
}

/// A path's numeric id, or "not found".
fn id_of(id: &str) -> Result<i64, HttpError> {
    id.parse().map_err(|_| HttpError::not_found())
}

/// The session behind the request's cookie, or the sign-in page.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, HttpError> {
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    domain::staff::session_from_cookie_header(state, cookie)
        .await?
        .ok_or_else(HttpError::sign_in)
}

/// A signed-in session whose form carries its CSRF token and whose origin is ours.
async fn guarded(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
    admin: bool,
) -> Result<Session, HttpError> {
    // `browser` refuses these before any handler; checked again here so no route depends on
    // the layer alone.
    if domain::staff::foreign_origin(&state.config.http.public_url, headers) {
        return Err(HttpError::answer(another_site()));
    }
    let s = signed_in(state, headers).await?;
    if !s.csrf_ok(form.get("csrf").map(String::as_str).unwrap_or("")) {
        return Err(HttpError::answer(page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back, reload the page and try again.",
        )));
    }
    if admin {
        admin_only(&s)?;
    }
    Ok(s)
}

/// A dashboard form post: a live session, its CSRF token in the form, our origin. Handlers
/// that need an admin check the role.
struct Posted {
    s: Session,
    form: Form,
    /// The repeated `member` fields, as ids.
    members: Vec<i64>,
    ip: String,
}

impl axum::extract::FromRequest<AppState> for Posted {
    type Rejection = HttpError;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, HttpError> {
        let (mut parts, body) = req.into_parts();
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(&mut parts, state).await;
        let headers = parts.headers.clone();
        let req = axum::extract::Request::from_parts(parts, body);
        let axum::extract::Form(fields) =
            axum::extract::Form::<Vec<(String, String)>>::from_request(req, state)
                .await
                .map_err(|rejection| HttpError::answer(rejection.into_response()))?;
        let (form, members) = split_form(fields);
        let s = guarded(state, &headers, &form, false).await?;
        Ok(Posted {
            s,
            form,
            members,
            ip,
        })
    }
}

/// Back to a dashboard page with a result code.
fn back(to: &str, key: &str, code: &str) -> Response {
    let to = if to.starts_with("/admin") && !to.starts_with("/admin/login") && !to.contains("//") {
        to
    } else {
        "/admin"
    };
    let sep = if to.contains('?') { '&' } else { '?' };
    see_other(&format!("{to}{sep}{key}={code}"))
}

fn result(to: &str, code: &str) -> Response {
    let ok = app::types::admin::flash(code).is_some_and(|(ok, _)| ok);
    back(to, if ok { "done" } else { "error" }, code)
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    axum::extract::Form(fields): axum::extract::Form<Vec<(String, String)>>,
) -> Answer {
    let (form, _) = split_form(fields);
    if domain::staff::foreign_origin(&state.config.http.public_url, &headers) {
        return Ok(another_site());
    }
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let offered = form.get("csrf").map(String::as_str).unwrap_or("");
    if !domain::staff::login_form_ok(&state.config.http.public_url, cookie, offered) {
        return Ok(page(
            StatusCode::FORBIDDEN,
            "This sign-in form has expired",
            view! {
                "Open the " <a href="/admin/login">"sign-in page"</a> " again and sign in there. \
                 Your browser needs to accept cookies from this site."
            },
        ));
    }
    let email = form.get("email").map(String::as_str).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    Ok(
        match domain::staff::login(&state, email, password, &ip).await? {
            Ok(next) => signed_in_answer(&state, next),
            Err(domain::staff::LoginError::SsoRequired { operator }) => see_other(&format!(
                "/admin/login?error=sso-required&operator={}",
                domain::tokens::urlencode(&operator)
            )),
            Err(e) => see_other(&format!("/admin/login?error={}", e.code())),
        },
    )
}

fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Where a right password leads: the dashboard; the setup of a second factor (the operator
/// requires one the account lacks); or the code step (the account has one).
fn signed_in_answer(state: &AppState, next: domain::mfa::SignIn) -> Response {
    use domain::mfa::SignIn;
    let public = &state.config.http.public_url;
    match next {
        SignIn::SignedIn { secret, .. } => with_cookie(
            see_other("/admin"),
            &domain::staff::session_cookie(public, &secret),
        ),
        SignIn::MustEnrol { secret, .. } => with_cookie(
            see_other("/admin/account/mfa?error=mfa-enrol-first"),
            &domain::staff::session_cookie(public, &secret),
        ),
        SignIn::SecondFactor { token } => with_cookie(
            see_other("/admin/login/code"),
            &domain::mfa::challenge_cookie(public, &token),
        ),
    }
}

/// The code step's page: one field for the authenticator's code or a recovery code, with the
/// sign-in form's token (the pre-session cookie is still this browser's).
async fn code_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Answer {
    let public = state.config.http.public_url.clone();
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let token = domain::mfa::challenge_cookie_value(&public, cookie).unwrap_or("");
    let Some(login) = domain::staff::login_cookie_value(&public, cookie) else {
        return Ok(see_other("/admin/login?error=code-expired"));
    };
    if !domain::mfa::challenge_open(&state, token).await? {
        return Ok(see_other("/admin/login?error=code-expired"));
    }
    let csrf = domain::staff::login_form_token(login);
    let wrong = q.iter().any(|(k, v)| k == "error" && v == "wrong-code");
    let html = view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta name="viewport" content="width=device-width"/>
                <title>"Your code · elumo pass dashboard"</title>
                <link rel="stylesheet" href="/pkg/elumo-pass.css"/>
                <link rel="stylesheet" href="/admin.css"/>
            </head>
            <body>
                <main class="admin-login">
                    <section class="card">
                        <h1>"Your code"</h1>
                        <p class="lead">"Open your authenticator app and type the 6-digit code it shows for this dashboard. Lost your phone? Type one of your recovery codes."</p>
                        {wrong.then(|| view! {
                            <p class="notice notice-error" role="alert" data-testid="login-error">"That code is not right, or was used already. Wait for the next code and try again."</p>
                        })}
                        <form method="post" action="/admin/login/code" class="admin-form">
                            <input type="hidden" name="csrf" value=csrf/>
                            <label for="code">"Code"</label>
                            <input id="code" name="code" autocomplete="one-time-code" inputmode="text" autocapitalize="off" spellcheck="false" maxlength="20" required autofocus/>
                            <button type="submit" class="button primary">"Continue"</button>
                        </form>
                        <p><a href="/admin/login">"Start again"</a></p>
                    </section>
                </main>
            </body>
        </html>
    }
    .to_html();
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response())
}

/// The code step's form: the same origin and sign-in form checks as `login`, then the code.
async fn login_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    axum::extract::Form(fields): axum::extract::Form<Vec<(String, String)>>,
) -> Answer {
    let (form, _) = split_form(fields);
    let public = state.config.http.public_url.clone();
    if domain::staff::foreign_origin(&public, &headers) {
        return Ok(another_site());
    }
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let offered = form.get("csrf").map(String::as_str).unwrap_or("");
    if !domain::staff::login_form_ok(&public, cookie, offered) {
        return Ok(see_other("/admin/login?error=code-expired"));
    }
    let token = domain::mfa::challenge_cookie_value(&public, cookie).unwrap_or("");
    let entered = form.get("code").map(String::as_str).unwrap_or("");
    use domain::mfa::CodeError;
    Ok(
        match domain::mfa::verify_code(&state, token, entered, &ip).await? {
            Ok(ok) => {
                let to = match ok.recovery_left {
                    Some(n) if n <= 3 => "/admin/account/mfa?error=recovery-low",
                    _ => "/admin",
                };
                let res = with_cookie(
                    see_other(to),
                    &domain::staff::session_cookie(&public, &ok.secret),
                );
                with_cookie(res, &domain::mfa::clear_challenge_cookie(&public))
            }
            Err(CodeError::Wrong) => see_other("/admin/login/code?error=wrong-code"),
            Err(e) => with_cookie(
                see_other(&format!("/admin/login?error={}", e.code())),
                &domain::mfa::clear_challenge_cookie(&public),
            ),
        },
    )
}

/// The recovery codes, shown once (after setup, or when new ones are made).
fn recovery_codes_page(codes: &[String]) -> Response {
    let list = codes.to_vec();
    let mut res = page(
        StatusCode::OK,
        "Your recovery codes",
        view! {
            "Keep these somewhere safe (a password manager, or printed). Each signs you in once if you lose your phone; they are not shown again. "
            <code class="recovery-codes" data-testid="recovery-codes">{list.join(" ")}</code>
            " "<a href="/admin/account/mfa">"Done"</a>
        },
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn code_of(form: &Form) -> &str {
    form.get("code").map(String::as_str).unwrap_or("")
}

async fn mfa_start(State(state): State<AppState>, p: Posted) -> Answer {
    Ok(
        match domain::mfa::begin_enrolment(&state, &p.s, &p.ip).await? {
            Ok(_) => see_other("/admin/account/mfa"),
            Err(code) => result("/admin/account/mfa", code),
        },
    )
}

async fn mfa_confirm(State(state): State<AppState>, p: Posted) -> Answer {
    Ok(
        match domain::mfa::confirm_enrolment(&state, &p.s, code_of(&p.form), &p.ip).await? {
            Ok(codes) => recovery_codes_page(&codes),
            Err(code) => result("/admin/account/mfa", code),
        },
    )
}

async fn mfa_off(State(state): State<AppState>, p: Posted) -> Answer {
    Ok(result(
        "/admin/account/mfa",
        domain::mfa::turn_off(&state, &p.s, code_of(&p.form), &p.ip).await?,
    ))
}

async fn mfa_recovery(State(state): State<AppState>, p: Posted) -> Answer {
    Ok(
        match domain::mfa::renew_recovery_codes(&state, &p.s, code_of(&p.form), &p.ip).await? {
            Ok(codes) => recovery_codes_page(&codes),
            Err(code) => result("/admin/account/mfa", code),
        },
    )
}

async fn mfa_required(State(state): State<AppState>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let on = p.form.contains_key("require_mfa");
    Ok(result(
        "/admin/security",
        domain::mfa::set_required(&state, &p.s, on, &p.ip).await?,
    ))
}

async fn mfa_reset(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    answer(
        "/admin/staff",
        domain::mfa::reset_for(&state, &p.s, id, &p.ip).await,
    )
}

/// A page that sends the browser on to `to` at once (with a link, should it not). A redirect
/// would do for a link, but the sign-in page's single sign-on form is a form: a browser applies
/// the page's `form-action 'self'` to a form's redirects, and the provider is another site.
fn onward(title: &str, to: &str) -> Response {
    let html = view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta http-equiv="refresh" content=format!("0;url={to}")/>
                <meta name="viewport" content="width=device-width"/>
                <title>{title.to_owned()}</title>
                <link rel="stylesheet" href="/pkg/elumo-pass.css"/>
                <link rel="stylesheet" href="/admin.css"/>
            </head>
            <body>
                <main class="admin-login">
                    <section class="card">
                        <h1>{title.to_owned()}</h1>
                        <p><a href=to.to_owned() data-testid="onward">"Continue"</a></p>
                    </section>
                </main>
            </body>
        </html>
    }
    .to_html();
    let mut res = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

#[derive(serde::Deserialize)]
struct SsoStart {
    #[serde(default)]
    operator: String,
}

/// Single sign-on, step one: the operator's provider, with a sign-in under way in the store and
/// its `state` in a cookie of this browser.
async fn sso_start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(q): Query<SsoStart>,
) -> Answer {
    Ok(match domain::sso::start(&state, &q.operator, &ip).await? {
        Ok(started) => {
            let mut res = onward(
                "Taking you to your organisation's sign-in",
                &started.authorize_url,
            );
            if let Ok(v) = HeaderValue::from_str(&started.set_cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => sso_refused(&state, e),
    })
}

fn sso_refused(state: &AppState, e: domain::oidc::OidcError) -> Response {
    let mut res = page(
        StatusCode::FORBIDDEN,
        "Single sign-on did not sign you in",
        view! {
            {e.message()}" "<a href="/admin/login">"Back to sign-in"</a>
        },
    );
    if let Ok(v) = HeaderValue::from_str(&domain::sso::clear_cookie(&state.config.http.public_url))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Single sign-on, step two: the provider sends the browser back with a code. A session is made
/// for the operator's staff member whose verified email the ID token names.
async fn sso_callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(callback): Query<domain::sso::Callback>,
) -> Answer {
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    Ok(
        match domain::sso::complete(&state, cookie, &callback, &ip).await? {
            Ok((secret, _)) => {
                // Not a redirect: after a chain of redirects that began on the provider's site,
                // a browser withholds the SameSite=Strict session cookie from the next request.
                let mut res = onward("Signed in", "/admin");
                let public = &state.config.http.public_url;
                for cookie in [
                    domain::staff::session_cookie(public, &secret),
                    domain::sso::clear_cookie(public),
                ] {
                    if let Ok(v) = HeaderValue::from_str(&cookie) {
                        res.headers_mut().append(header::SET_COOKIE, v);
                    }
                }
                res
            }
            Err(e) => sso_refused(&state, e),
        },
    )
}

async fn save_sso(State(state): State<AppState>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    Ok(result(
        "/admin/security",
        domain::sso::save_settings(&state, &p.s, &p.form, &p.ip).await?,
    ))
}

async fn logout(State(state): State<AppState>, p: Posted) -> Answer {
    state.store.end_session(&p.s.id_hash).await?;
    let _ = p.s.audit(&state, "signed_out", "", "", &p.ip).await;
    let mut res = see_other("/admin/login?error=signed-out");
    if let Ok(v) =
        HeaderValue::from_str(&domain::staff::clear_cookie(&state.config.http.public_url))
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Back to `to` with the action's code; 404 when the thing is not the operator's.
fn answer(to: &str, done: Result<Option<&'static str>, StoreError>) -> Answer {
    let code = done?.ok_or_else(HttpError::not_found)?;
    Ok(result(to, code))
}

async fn resend_link(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    let to = format!("/admin/journeys/{}", domain::tokens::urlencode(&id));
    answer(&to, admin::resend_link(&state, &p.s, &id, &p.ip).await)
}

async fn revoke_pass(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    let member_id = id_of(&id)?;
    let platform = p
        .form
        .get("platform")
        .map(String::as_str)
        .filter(|v| *v == "apple" || *v == "google");
    let to = p
        .form
        .get("back")
        .cloned()
        .unwrap_or_else(|| format!("/admin/members/{member_id}"));
    answer(
        &to,
        admin::revoke_passes(&state, &p.s, member_id, platform, &p.ip).await,
    )
}

async fn phone_lost(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    let member_id = id_of(&id)?;
    let on = |k: &str| p.form.get(k).is_some_and(|v| v == "on");
    answer(
        &format!("/admin/members/{member_id}"),
        admin::phone_lost(&state, &p.s, member_id, on("invite"), on("confirm"), &p.ip).await,
    )
}

async fn send_message(State(state): State<AppState>, p: Posted) -> Answer {
    answer(
        "/admin/messages",
        admin::send_message(&state, &p.s, &p.form, &p.ip).await,
    )
}

async fn create_invites(State(state): State<AppState>, p: Posted) -> Answer {
    Ok(
        match admin::create_invites(&state, &p.s, &p.form, &p.members, &p.ip).await? {
            (code, Some(poster)) => result(&format!("/admin/invites/{poster}/poster"), code),
            (code, None) => result("/admin/invites", code),
        },
    )
}

async fn revoke_invite(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    let id = id_of(&id)?;
    answer(
        "/admin/invites",
        admin::revoke_invite(&state, &p.s, id, &p.ip).await,
    )
}

async fn resend_invite(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    let id = id_of(&id)?;
    answer(
        "/admin/invites",
        admin::resend_invite(&state, &p.s, id, &p.ip).await,
    )
}

/// A poster invite's URL, for the signed-in operator only.
async fn poster_url(state: &AppState, headers: &HeaderMap, id: &str) -> Result<String, HttpError> {
    let s = signed_in(state, headers).await?;
    let id = id_of(id)?;
    let poster = views::poster(
        &state.store,
        &state.config.http.public_url,
        s.operator_id,
        id,
    )
    .await?
    .ok_or_else(HttpError::not_found)?;
    Ok(poster.url)
}

async fn qr_svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    qr(&state, &headers, &id, "image/svg+xml", |url| {
        views::qr_svg(url).map(String::into_bytes)
    })
    .await
}

async fn qr_png(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    qr(&state, &headers, &id, "image/png", views::qr_png).await
}

/// A poster's QR code drawn by `render`, for the signed-in operator only.
async fn qr(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    content_type: &'static str,
    render: impl Fn(&str) -> Option<Vec<u8>>,
) -> Answer {
    let url = poster_url(state, headers, id).await?;
    let bytes = render(&url).ok_or_else(HttpError::not_found)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// Adds a webhook endpoint and shows its signing secret, once.
async fn add_webhook(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    axum::extract::Form(fields): axum::extract::Form<Vec<(String, String)>>,
) -> Answer {
    let events: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "event")
        .map(|(_, v)| v.clone())
        .collect();
    let (form, _) = split_form(fields);
    let s = guarded(&state, &headers, &form, true).await?;
    let url = form.get("url").map(String::as_str).unwrap_or("");
    let description = form.get("description").map(String::as_str).unwrap_or("");
    let chosen: Vec<&str> = events.iter().map(String::as_str).collect();
    Ok(
        match domain::webhooks::add_endpoint(&state, &s, url, description, &chosen, &ip).await? {
            Ok(made) => {
                let to = format!("/admin/webhooks/{}", made.id);
                let mut res = page(
                    StatusCode::OK,
                    "Your webhook's signing secret",
                    view! {
                        "Copy it now into the receiver: it checks each message's "<code>"webhook-signature"</code>
                        " with it (Standard Webhooks), and it is not shown again. "
                        <code class="new-key" data-testid="webhook-secret">{made.secret}</code>
                        " "<a href=to>"See the endpoint"</a>
                    },
                );
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
            Err(words) => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This endpoint cannot be added",
                view! { {words}" "<a href="/admin/webhooks">"Back to webhooks"</a> },
            ),
        },
    )
}

async fn change_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Posted,
) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    let action = p.form.get("action").map(String::as_str).unwrap_or("");
    let to = if action == "delete" {
        "/admin/webhooks".to_owned()
    } else {
        format!("/admin/webhooks/{id}")
    };
    answer(
        &to,
        domain::webhooks::change_endpoint(&state, &p.s, id, action, &p.ip).await,
    )
}

async fn webhook_again(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    let endpoint = p
        .form
        .get("endpoint")
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(0);
    let sent = domain::webhooks::send_again(&state, &p.s, id, &p.ip).await?;
    sent.ok_or_else(HttpError::not_found)?;
    Ok(result(
        &format!("/admin/webhooks/{endpoint}"),
        "webhook-resent",
    ))
}

/// Makes an API key and shows it, once: only its hash is kept.
async fn create_api_key(State(state): State<AppState>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let name = p.form.get("name").map(String::as_str).unwrap_or("");
    let write = p.form.get("scope").map(String::as_str) == Some("write");
    let Ok(made) = domain::api_keys::create(&state, &p.s, name, write, &p.ip).await? else {
        return Ok(result("/admin/api-keys", "key-name"));
    };
    let key = made.key.expose().to_owned();
    let mut res = page(
        StatusCode::OK,
        "Your new API key",
        view! {
            "Copy it now into the system that will use it: it is not shown again. "
            <code class="new-key" data-testid="new-key">{key}</code>
            " Send it as "<code>"Authorization: Bearer …"</code>". "
            <a href="/admin/api-keys">"Back to API keys"</a>
        },
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn revoke_api_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Posted,
) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    answer(
        "/admin/api-keys",
        domain::api_keys::revoke(&state, &p.s, id, &p.ip).await,
    )
}

async fn save_site(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    answer(
        "/admin/settings",
        admin::save_site_location(&state, &p.s, id, &p.form, &p.ip).await,
    )
}

/// The countries the phone form offers: the settings' region and text countries are among them.
fn regions() -> Vec<&'static str> {
    app::types::REGIONS.iter().map(|r| r.code).collect()
}

async fn save_settings(State(state): State<AppState>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    answer(
        "/admin/settings",
        admin::save_settings(&state, &p.s, &p.form, &regions(), &p.ip)
            .await
            .map(Some),
    )
}

async fn add_staff(State(state): State<AppState>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    answer(
        "/admin/staff",
        admin::add_staff(&state, &p.s, &p.form, &p.ip)
            .await
            .map(Some),
    )
}

async fn update_staff(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    answer(
        "/admin/staff",
        admin::update_staff(&state, &p.s, id, &p.form, &p.ip).await,
    )
}

async fn send_reset(State(state): State<AppState>, Path(id): Path<String>, p: Posted) -> Answer {
    admin_only(&p.s)?;
    let id = id_of(&id)?;
    answer(
        "/admin/staff",
        admin::passwords::send_reset(&state, &p.s, id, &p.ip).await,
    )
}

async fn change_password(State(state): State<AppState>, p: Posted) -> Answer {
    answer(
        "/admin/account",
        admin::passwords::change_password(&state, &p.s, &p.form, &p.ip)
            .await
            .map(Some),
    )
}

/// The reset link's form: no session (the link's token is the secret), our origin only.
async fn reset_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<
        axum::extract::Form<Vec<(String, String)>>,
        axum::extract::rejection::FormRejection,
    >,
) -> Answer {
    use admin::passwords::ResetOutcome;
    if domain::staff::foreign_origin(&state.config.http.public_url, &headers) {
        return Ok(another_site());
    }
    let (form, _) = split_form(form.map(|f| f.0).unwrap_or_default());
    Ok(
        match admin::passwords::use_reset(&state, &token, &form, &ip).await? {
            ResetOutcome::Done => see_other("/admin/login?done=password-reset"),
            // Only a token that looks like ours gets this far, so it is safe in a header.
            ResetOutcome::Retry(code) => see_other(&format!("/admin/reset/{token}?error={code}")),
            ResetOutcome::Refused(reset) => {
                let reset = app::types::admin::ResetState::from(reset);
                let (title, text) = reset.problem().unwrap_or_default();
                let status = StatusCode::from_u16(reset.status()).unwrap_or(StatusCode::NOT_FOUND);
                page(status, title, text)
            }
        },
    )
}

#[derive(serde::Deserialize, Default)]
struct CsvQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    q: String,
}

async fn journeys_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    query: Result<Query<CsvQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let s = signed_in(&state, &headers).await?;
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let filter = JourneyFilter {
        from: q.from,
        to: q.to,
        site: q.site,
        outcome: q.outcome,
        q: q.q,
        page: 1,
    };
    let csv = views::journeys_csv(&state.store, s.operator_id, &filter).await?;
    let _ = s
        .audit(
            &state,
            "journeys_exported",
            "journeys",
            &filter.query(1),
            &ip,
        )
        .await;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"journeys.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        csv,
    )
        .into_response())
}

/// A pass image upload (multipart: `csrf`, `kind`, `file`; or `remove` to go back to the
/// generated image).
async fn upload_image(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    let Ok(mut multipart) = multipart else {
        return Ok(result("/admin/settings", "image-missing"));
    };
    let mut form = Form::new();
    let mut file: Option<Vec<u8>> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return Ok(result("/admin/settings", "image-too-large"));
                };
                if name == "file" {
                    file = Some(bytes.to_vec());
                } else {
                    form.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                }
            }
            Ok(None) => break,
            Err(_) => return Ok(result("/admin/settings", "image-too-large")),
        }
    }
    let s = guarded(&state, &headers, &form, true).await?;
    let kind = form.get("kind").map(String::as_str).unwrap_or("");
    let png = if form.contains_key("remove") {
        None
    } else {
        Some(file.as_deref().unwrap_or_default())
    };
    let code = admin::save_image(&state, &s, kind, png, &ip).await?;
    Ok(result("/admin/settings", code))
}

/// The signed-in operator's uploaded image (`logo.png`, `icon.png`), for the settings page.
async fn image(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let s = signed_in(&state, &headers).await?;
    let kind = file.strip_suffix(".png").ok_or_else(HttpError::not_found)?;
    let png = state
        .store
        .operator_image(s.operator_id, kind)
        .await?
        .ok_or_else(HttpError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}
