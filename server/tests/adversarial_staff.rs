//! Staff sign-in as an attacker meets it (issue 14, "Staff sign-in and the browser"): a lockout
//! that cannot be aimed at someone else, one answer for unknown and locked, a sign-in form with
//! its own CSRF token, no form accepted from another origin (`null` included), changing a
//! password, and the owner's one-time reset link. HTTP against the real router, on SQLite and,
//! when configured, PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::http::{encode, from, location, set_cookies};

const A_ADMIN: &str = "admin@a.example";
const A_STAFF: &str = "staff@a.example";
const B_ADMIN: &str = "admin@b.example";
const PASSWORD: &str = "a long enough password";
const NEW_PASSWORD: &str = "an even longer new password";

const OWNER_ADDRESS: &str = "198.51.100.7:50000";
const ATTACKER_ADDRESS: &str = "203.0.113.66:40000";

struct Dash {
    router: Router,
    state: domain::state::AppState,
    t: common::TestStore,
    a: i64,
    _dir: tempfile::TempDir,
}

/// The demo operator (A) with an admin (the owner) and a staff member, and a second operator
/// (B) with its own admin.
async fn dashboard_on(t: common::TestStore) -> Dash {
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = common::demo_state_with(&t, dir.path(), &[]).await;
    let store = &state.store;
    let a = store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let b = store
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
        .unwrap();
    let hash = domain::staff::hash_password(PASSWORD);
    store
        .create_staff(a, A_ADMIN, &hash, "admin")
        .await
        .unwrap();
    store
        .create_staff(a, A_STAFF, &hash, "staff")
        .await
        .unwrap();
    store
        .create_staff(b, B_ADMIN, &hash, "admin")
        .await
        .unwrap();
    Dash {
        router: server::router(state.clone()),
        state,
        t,
        a,
        _dir: dir,
    }
}

/// The value of the hidden `csrf` field in a page, if it has one.
fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// A browser at the sign-in form: the cookies the form page set and the token it carries.
struct LoginForm {
    cookie: String,
    csrf: String,
    address: &'static str,
}

async fn open_login(router: &Router, address: &'static str) -> LoginForm {
    let mut req = Request::get("/admin/login")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    from(&mut req, address);
    let (status, headers, html) = common::send(router, req).await.parts();
    assert_eq!(status, StatusCode::OK, "{html}");
    LoginForm {
        cookie: set_cookies(&headers).join("; "),
        csrf: csrf_in(&html),
        address,
    }
}

impl LoginForm {
    /// The form as a browser submits it.
    fn submit(&self, email: &str, password: &str) -> Request<Body> {
        self.submit_raw(&encode(&[
            ("csrf", &self.csrf),
            ("email", email),
            ("password", password),
        ]))
    }

    fn submit_raw(&self, body: &str) -> Request<Body> {
        let mut req = Request::post("/admin/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://pass.example.test")
            .header(header::COOKIE, &self.cookie)
            .body(Body::from(body.to_owned()))
            .unwrap();
        from(&mut req, self.address);
        req
    }
}

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
struct Browser {
    cookie: String,
    csrf: String,
    address: &'static str,
}

impl Browser {
    fn get(&self, uri: &str) -> Request<Body> {
        let mut req = Request::get(uri)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        from(&mut req, self.address);
        req
    }

    /// A form post with this session's CSRF token, from our own origin.
    fn post(&self, uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let mut req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::ORIGIN, "https://pass.example.test")
            .header(header::COOKIE, &self.cookie)
            .body(Body::from(encode(&all)))
            .unwrap();
        from(&mut req, self.address);
        req
    }
}

async fn sign_in_as(
    router: &Router,
    email: &str,
    password: &str,
    address: &'static str,
) -> Browser {
    let form = open_login(router, address).await;
    let (status, headers, body) = common::send(router, form.submit(email, password))
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/admin", "{email} signs in");
    let cookie = set_cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("__Host-elumo_admin="))
        .expect("a session cookie");
    let mut b = Browser {
        cookie,
        csrf: String::new(),
        address,
    };
    let (status, _, html) = common::send(router, b.get("/admin")).await.parts();
    assert_eq!(status, StatusCode::OK, "{html}");
    b.csrf = csrf_in(&html);
    assert!(!b.csrf.is_empty(), "dashboard pages carry the CSRF token");
    b
}

async fn sign_in(router: &Router, email: &str) -> Browser {
    sign_in_as(router, email, PASSWORD, OWNER_ADDRESS).await
}

/// Whether the session still opens the dashboard.
async fn signed_in(router: &Router, b: &Browser) -> bool {
    let (status, _, _) = common::send(router, b.get("/admin")).await.parts();
    status == StatusCode::OK
}

/// One sign-in attempt through a freshly opened form: status, where it sends the browser, body.
async fn attempt(
    router: &Router,
    email: &str,
    password: &str,
    address: &'static str,
) -> (StatusCode, String, String) {
    let form = open_login(router, address).await;
    let (status, headers, body) = common::send(router, form.submit(email, password))
        .await
        .parts();
    (status, location(&headers), body)
}

/// One text value from the test's database.
async fn scalar(t: &common::TestStore, query: &str) -> Option<String> {
    if t.name == "postgres" {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        let v = sqlx::query_scalar(query)
            .fetch_optional(&pool)
            .await
            .unwrap();
        pool.close().await;
        v
    } else {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        let v = sqlx::query_scalar(query)
            .fetch_optional(&pool)
            .await
            .unwrap();
        pool.close().await;
        v
    }
}

async fn staff_id(d: &Dash, email: &str) -> i64 {
    d.state
        .store
        .staff_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The mails in the outbox addressed to `email`, oldest first.
fn mails_to(d: &Dash, email: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(&d.state.config.mail.outbox_dir) else {
        return Vec::new();
    };
    let mut mails: Vec<(std::time::SystemTime, String)> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            (
                std::fs::metadata(&p).unwrap().modified().unwrap(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .filter(|(_, m)| m.contains(&format!("<{email}>")) || m.contains(&format!("To: {email}")))
        .collect();
    mails.sort();
    mails.into_iter().map(|(_, m)| m).collect()
}

/// A mail's text as a mail client shows it: quoted-printable soft line breaks joined and
/// `=XX` decoded (lettre encodes a body with long lines that way; a link is a long line).
fn readable(mail: &str) -> String {
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The reset link's path in a mail.
fn reset_link(mail: &str) -> String {
    readable(mail)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("https://pass.example.test/admin/reset/")
        })
        .map(|token| format!("/admin/reset/{token}"))
        .expect("a reset link in the mail")
}

/// The owner sends a reset link to `email`; returns the link's path.
async fn send_reset(d: &Dash, owner: &Browser, email: &str) -> String {
    let before = mails_to(d, email).len();
    let id = staff_id(d, email).await;
    let (status, headers, body) = common::send(
        &d.router,
        owner.post(&format!("/admin/staff/{id}/reset"), &[]),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/admin/staff?done=reset-sent");
    let mails = mails_to(d, email);
    assert_eq!(mails.len(), before + 1, "one mail to {email}");
    reset_link(mails.last().unwrap())
}

/// The reset form posted as a browser without a session does.
fn reset_post(link: &str, password: &str, confirm: &str) -> Request<Body> {
    let mut req = Request::post(link)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::ORIGIN, "https://pass.example.test")
        .body(Body::from(encode(&[
            ("password", password),
            ("confirm", confirm),
        ])))
        .unwrap();
    from(&mut req, OWNER_ADDRESS);
    req
}

// ---- lockout ----

#[tokio::test]
async fn wrong_passwords_from_an_attackers_address_do_not_lock_the_owner_out() {
    for t in common::stores().await {
        let name = t.name;
        let d = dashboard_on(t).await;
        let mut last = String::new();
        for _ in 0..8 {
            let (status, to, _) =
                attempt(&d.router, A_ADMIN, "guess guess guess", ATTACKER_ADDRESS).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
            last = to;
        }
        assert_eq!(
            last, "/admin/login?error=locked-15",
            "{name}: the attacker's address is locked out of the account"
        );
        // Even the right password waits, from that address.
        let (_, to, _) = attempt(&d.router, A_ADMIN, PASSWORD, ATTACKER_ADDRESS).await;
        assert_eq!(to, "/admin/login?error=locked-15", "{name}");
        // The owner, from their own address, signs in as usual.
        let owner = sign_in(&d.router, A_ADMIN).await;
        assert!(signed_in(&d.router, &owner).await, "{name}");
    }
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answers_as_an_account_being_locked() {
    for t in common::stores().await {
        let name = t.name;
        let d = dashboard_on(t).await;
        for round in 0..7 {
            let known = attempt(&d.router, A_STAFF, "guess guess guess", ATTACKER_ADDRESS).await;
            let unknown = attempt(
                &d.router,
                "nobody@a.example",
                "guess guess guess",
                ATTACKER_ADDRESS,
            )
            .await;
            assert_eq!(
                known, unknown,
                "{name}: attempt {round}: a real account answers as an unknown email does"
            );
            if round >= 5 {
                assert_eq!(known.1, "/admin/login?error=locked-15", "{name}");
            }
        }
        // The page the answer leads to is the same page.
        let mut req = Request::get("/admin/login?error=locked-15")
            .body(Body::empty())
            .unwrap();
        from(&mut req, ATTACKER_ADDRESS);
        let (status, _, html) = common::send(&d.router, req).await.parts();
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("locked after too many failed sign-ins. Try again in 15 minutes"),
            "{html}"
        );
        // A disabled account answers as an unknown email too.
        let staff = staff_id(&d, A_STAFF).await;
        common::sql(
            &d.t,
            &format!("UPDATE staff SET disabled_at = 1 WHERE id = {staff}"),
        )
        .await;
        let disabled = attempt(&d.router, A_STAFF, PASSWORD, OWNER_ADDRESS).await;
        let unknown = attempt(&d.router, "nobody@a.example", PASSWORD, OWNER_ADDRESS).await;
        assert_eq!(disabled, unknown, "{name}");
        assert_eq!(disabled.1, "/admin/login?error=invalid", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_get_no_more_tries_than_the_lock_allows() {
    for t in common::stores().await {
        let name = t.name;
        let d = dashboard_on(t).await;
        let mut forms = Vec::new();
        for _ in 0..12 {
            forms.push(open_login(&d.router, ATTACKER_ADDRESS).await);
        }
        let mut tasks = Vec::new();
        for (i, form) in forms.into_iter().enumerate() {
            let router = d.router.clone();
            tasks.push(tokio::spawn(async move {
                let guess = format!("guess number {i} of many");
                common::send(&router, form.submit(A_STAFF, &guess))
                    .await
                    .parts()
            }));
        }
        for task in tasks {
            let (status, headers, _) = task.await.unwrap();
            assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
            let to = location(&headers);
            assert!(
                to == "/admin/login?error=invalid" || to == "/admin/login?error=locked-15",
                "{name}: {to}"
            );
        }
        let audit = d.state.store.audit_entries(d.a, 100, 0).await.unwrap();
        let tried = audit
            .iter()
            .filter(|e| e.action == "sign_in_failed")
            .count();
        assert!(
            tried <= 5,
            "{name}: {tried} passwords were checked; the lock allows 5"
        );
    }
}

// ---- CSRF and origins ----

#[tokio::test]
async fn the_sign_in_form_carries_a_token_bound_to_its_cookie() {
    let d = dashboard_on(common::sqlite_store().await).await;
    let form = open_login(&d.router, OWNER_ADDRESS).await;
    assert!(!form.csrf.is_empty(), "the sign-in form carries a token");
    assert!(
        form.cookie.starts_with("__Host-elumo_login="),
        "a pre-session cookie: {}",
        form.cookie
    );
    // Without the token, with an empty or a wrong one: refused, no session.
    for body in [
        encode(&[("email", A_ADMIN), ("password", PASSWORD)]),
        encode(&[("csrf", ""), ("email", A_ADMIN), ("password", PASSWORD)]),
        encode(&[
            ("csrf", "forged"),
            ("email", A_ADMIN),
            ("password", PASSWORD),
        ]),
    ] {
        let (status, headers, html) = common::send(&d.router, form.submit_raw(&body))
            .await
            .parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(html.contains("sign-in form has expired"), "{html}");
        assert!(set_cookies(&headers)
            .iter()
            .all(|c| !c.starts_with("__Host-elumo_admin=")));
    }
    // The token without its cookie, or with another browser's cookie: refused.
    let other = open_login(&d.router, ATTACKER_ADDRESS).await;
    for cookie in ["", other.cookie.as_str()] {
        let forged = LoginForm {
            cookie: cookie.to_owned(),
            csrf: form.csrf.clone(),
            address: OWNER_ADDRESS,
        };
        let (status, _, _) = common::send(&d.router, forged.submit(A_ADMIN, PASSWORD))
            .await
            .parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "cookie {cookie:?}");
    }
    // A second visit keeps the browser's cookie: two tabs both work.
    let mut req = Request::get("/admin/login")
        .header(header::COOKIE, &form.cookie)
        .body(Body::empty())
        .unwrap();
    from(&mut req, OWNER_ADDRESS);
    let (_, headers, html) = common::send(&d.router, req).await.parts();
    assert!(set_cookies(&headers).is_empty(), "no new cookie");
    assert_eq!(csrf_in(&html), form.csrf);
    // The form as a browser submits it works.
    let (status, headers, _) = common::send(&d.router, form.submit(A_ADMIN, PASSWORD))
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/admin");
}

#[tokio::test]
async fn a_sign_in_from_a_null_or_foreign_origin_is_refused() {
    let d = dashboard_on(common::sqlite_store().await).await;
    for (name, value) in [
        ("origin", "null"),
        ("origin", "https://evil.example"),
        ("origin", "https://pass.example.test.evil.example"),
        ("origin", "http://pass.example.test"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let form = open_login(&d.router, OWNER_ADDRESS).await;
        let mut req = form.submit(A_ADMIN, PASSWORD);
        req.headers_mut().remove(header::ORIGIN);
        req.headers_mut().insert(name, value.parse().unwrap());
        let (status, headers, html) = common::send(&d.router, req).await.parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(html.contains("another site"), "{html}");
        assert!(set_cookies(&headers).is_empty(), "{name}: {value}");
    }
}

#[tokio::test]
async fn no_dashboard_form_is_accepted_from_a_null_or_foreign_origin() {
    let d = dashboard_on(common::sqlite_store().await).await;
    let owner = sign_in(&d.router, A_ADMIN).await;
    let staff = staff_id(&d, A_STAFF).await;
    let invites = d.state.store.invite_rows(d.a, 100).await.unwrap().len();
    let routes = [
        "/admin/logout".to_owned(),
        "/admin/invites".to_owned(),
        "/admin/invites/1/revoke".to_owned(),
        "/admin/invites/1/resend".to_owned(),
        "/admin/journeys/x/resend".to_owned(),
        "/admin/members/1/revoke".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/settings/images".to_owned(),
        "/admin/staff".to_owned(),
        format!("/admin/staff/{staff}"),
        format!("/admin/staff/{staff}/reset"),
        "/admin/account/password".to_owned(),
    ];
    for origin in ["null", "https://evil.example"] {
        for route in &routes {
            let mut req = owner.post(
                route,
                &[
                    ("kind", "poster"),
                    ("email", "new@a.example"),
                    ("password", NEW_PASSWORD),
                    ("role", "admin"),
                    ("disabled", "on"),
                ],
            );
            req.headers_mut()
                .insert(header::ORIGIN, origin.parse().unwrap());
            let (status, _, html) = common::send(&d.router, req).await.parts();
            assert_eq!(status, StatusCode::FORBIDDEN, "{origin} {route}: {html}");
            assert!(html.contains("another site"), "{origin} {route}: {html}");
        }
    }
    assert!(signed_in(&d.router, &owner).await, "sign-out was refused");
    assert_eq!(
        d.state.store.invite_rows(d.a, 100).await.unwrap().len(),
        invites
    );
    assert!(d
        .state
        .store
        .staff_by_email("new@a.example")
        .await
        .unwrap()
        .is_none());
    assert!(mails_to(&d, A_STAFF).is_empty());
    // Our own origin, and no Origin at all (older clients), still work.
    let (status, headers, _) = common::send(
        &d.router,
        owner.post("/admin/invites", &[("kind", "poster")]),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).ends_with("/poster?done=invite-created"));
    let mut req = owner.post("/admin/invites", &[("kind", "poster")]);
    req.headers_mut().remove(header::ORIGIN);
    let (status, _, _) = common::send(&d.router, req).await.parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn dashboard_pages_let_the_browser_send_its_origin() {
    // With `Referrer-Policy: no-referrer` a browser sends `Origin: null` on a form post, so a
    // dashboard that refuses `null` must send a policy that keeps the origin on its own forms.
    let d = dashboard_on(common::sqlite_store().await).await;
    let owner = sign_in(&d.router, A_ADMIN).await;
    let mut req = Request::get("/admin/login").body(Body::empty()).unwrap();
    from(&mut req, OWNER_ADDRESS);
    let (_, headers, _) = common::send(&d.router, req).await.parts();
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    let (_, headers, _) = common::send(&d.router, owner.get("/admin")).await.parts();
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    // The member's pages keep theirs.
    let (_, headers, _) = common::send(
        &d.router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await
    .parts();
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
}

// ---- changing a password ----

#[tokio::test]
async fn staff_change_their_password_and_their_other_sessions_end() {
    for t in common::stores().await {
        let name = t.name;
        let d = dashboard_on(t).await;
        let here = sign_in(&d.router, A_STAFF).await;
        let elsewhere = sign_in_as(&d.router, A_STAFF, PASSWORD, ATTACKER_ADDRESS).await;
        let colleague = sign_in(&d.router, A_ADMIN).await;

        let (status, _, html) = common::send(&d.router, here.get("/admin/account"))
            .await
            .parts();
        assert_eq!(status, StatusCode::OK, "{name}: {html}");
        assert!(html.contains("Change your password"), "{name}: {html}");
        assert!(html.contains("name=\"current_password\""), "{name}");
        assert!(
            html.contains("href=\"/admin/account\""),
            "{name}: the header links to the account page"
        );

        let change = |current: &str, new: &str, confirm: &str| {
            here.post(
                "/admin/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm", confirm),
                ],
            )
        };
        for (req, code) in [
            (
                change("not my password", NEW_PASSWORD, NEW_PASSWORD),
                "wrong-password",
            ),
            (change(PASSWORD, "too short", "too short"), "weak-password"),
            (
                change(PASSWORD, NEW_PASSWORD, "a different new password"),
                "password-mismatch",
            ),
        ] {
            let (status, headers, _) = common::send(&d.router, req).await.parts();
            assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
            assert_eq!(
                location(&headers),
                format!("/admin/account?error={code}"),
                "{name}"
            );
        }
        assert!(
            signed_in(&d.router, &elsewhere).await,
            "{name}: nothing changed yet"
        );
        let (_, headers, _) = common::send(
            &d.router,
            Request::get("/admin/account?error=wrong-password")
                .header(header::COOKIE, &here.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .parts();
        assert!(!headers.contains_key(header::LOCATION), "{name}");

        let (status, headers, _) =
            common::send(&d.router, change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD))
                .await
                .parts();
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            location(&headers),
            "/admin/account?done=password-changed",
            "{name}"
        );
        let (_, _, html) = common::send(&d.router, here.get(&location(&headers)))
            .await
            .parts();
        assert!(html.contains("Your password is changed"), "{name}: {html}");

        assert!(
            signed_in(&d.router, &here).await,
            "{name}: this session goes on"
        );
        assert!(
            !signed_in(&d.router, &elsewhere).await,
            "{name}: the other session ended"
        );
        assert!(
            signed_in(&d.router, &colleague).await,
            "{name}: a colleague's session is not touched"
        );
        let (_, to, _) = attempt(&d.router, A_STAFF, PASSWORD, OWNER_ADDRESS).await;
        assert_eq!(
            to, "/admin/login?error=invalid",
            "{name}: the old password stops working"
        );
        sign_in_as(&d.router, A_STAFF, NEW_PASSWORD, OWNER_ADDRESS).await;
        let audit = d.state.store.audit_entries(d.a, 100, 0).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "password_changed" && e.actor == A_STAFF),
            "{name}"
        );
    }
}

#[tokio::test]
async fn guessing_the_current_password_on_the_change_form_is_limited() {
    let d = dashboard_on(common::sqlite_store().await).await;
    let here = sign_in(&d.router, A_STAFF).await;
    let mut last = String::new();
    for _ in 0..6 {
        let (_, headers, _) = common::send(
            &d.router,
            here.post(
                "/admin/account/password",
                &[
                    ("current_password", "guess guess guess"),
                    ("new_password", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                ],
            ),
        )
        .await
        .parts();
        last = location(&headers);
    }
    assert_eq!(last, "/admin/account?error=password-tries");
    // Limited: the right password waits too.
    let (_, headers, _) = common::send(
        &d.router,
        here.post(
            "/admin/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/account?error=password-tries");
}

// ---- reset links ----

#[tokio::test]
async fn a_reset_link_works_once_for_thirty_minutes_and_a_forged_one_never() {
    for t in common::stores().await {
        let name = t.name;
        let d = dashboard_on(t).await;
        let owner = sign_in(&d.router, A_ADMIN).await;
        let old_session = sign_in(&d.router, A_STAFF).await;

        let (_, _, html) = common::send(&d.router, owner.get("/admin/staff"))
            .await
            .parts();
        assert!(html.contains("Send reset link"), "{name}: {html}");
        let link = send_reset(&d, &owner, A_STAFF).await;
        let token = link.rsplit('/').next().unwrap().to_owned();
        // Only the token's hash is kept, and it lives 30 minutes.
        let kept = scalar(
            &d.t,
            "SELECT token_hash FROM staff_password_resets ORDER BY created_at DESC LIMIT 1",
        )
        .await
        .unwrap();
        assert_eq!(kept, domain::tokens::hash_token(&token), "{name}");
        let life = scalar(
            &d.t,
            "SELECT CAST(expires_at - created_at AS TEXT) FROM staff_password_resets",
        )
        .await
        .unwrap();
        assert_eq!(life, (30 * 60_000).to_string(), "{name}");
        assert!(!link.is_empty());

        // The page offers the form; opening it (as a mail scanner does) uses nothing.
        for _ in 0..2 {
            let (status, headers, html) =
                common::send(&d.router, Request::get(&link).body(Body::empty()).unwrap())
                    .await
                    .parts();
            assert_eq!(status, StatusCode::OK, "{name}: {html}");
            assert!(html.contains("Choose a new password"), "{name}: {html}");
            assert!(html.contains(A_STAFF), "{name}: says whose account");
            assert!(html.contains("name=\"password\""), "{name}");
            assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{name}");
        }
        // A weak or mismatched password: told, and the link still works.
        let (status, headers, _) = common::send(&d.router, reset_post(&link, "short", "short"))
            .await
            .parts();
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            location(&headers),
            format!("{link}?error=weak-password"),
            "{name}"
        );
        let (_, _, html) = common::send(
            &d.router,
            Request::get(format!("{link}?error=weak-password"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .parts();
        assert!(html.contains("at least 12 characters"), "{name}: {html}");
        let (_, headers, _) = common::send(
            &d.router,
            reset_post(&link, NEW_PASSWORD, "something else entirely"),
        )
        .await
        .parts();
        assert_eq!(
            location(&headers),
            format!("{link}?error=password-mismatch"),
            "{name}"
        );

        let (status, headers, _) =
            common::send(&d.router, reset_post(&link, NEW_PASSWORD, NEW_PASSWORD))
                .await
                .parts();
        assert_eq!(status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(
            location(&headers),
            "/admin/login?done=password-reset",
            "{name}"
        );
        let (_, _, html) = common::send(
            &d.router,
            Request::get("/admin/login?done=password-reset")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .parts();
        assert!(html.contains("Your new password is set"), "{name}: {html}");
        assert!(
            !signed_in(&d.router, &old_session).await,
            "{name}: sessions of the account end"
        );
        assert!(signed_in(&d.router, &owner).await, "{name}");
        let (_, to, _) = attempt(&d.router, A_STAFF, PASSWORD, OWNER_ADDRESS).await;
        assert_eq!(to, "/admin/login?error=invalid", "{name}");
        sign_in_as(&d.router, A_STAFF, NEW_PASSWORD, OWNER_ADDRESS).await;

        // Twice: refused, the password stays.
        let (status, _, html) = common::send(&d.router, reset_post(&link, PASSWORD, PASSWORD))
            .await
            .parts();
        assert_eq!(status, StatusCode::GONE, "{name}: {html}");
        assert!(html.contains("already used"), "{name}: {html}");
        let (status, _, html) =
            common::send(&d.router, Request::get(&link).body(Body::empty()).unwrap())
                .await
                .parts();
        assert_eq!(status, StatusCode::GONE, "{name}");
        assert!(html.contains("already used"), "{name}: {html}");
        assert!(!html.contains("name=\"password\""), "{name}: no form");
        sign_in_as(&d.router, A_STAFF, NEW_PASSWORD, OWNER_ADDRESS).await;

        // After 30 minutes: refused.
        let link = send_reset(&d, &owner, A_STAFF).await;
        common::sql(
            &d.t,
            "UPDATE staff_password_resets SET created_at = created_at - 31 * 60000, \
             expires_at = expires_at - 31 * 60000",
        )
        .await;
        let (status, _, html) =
            common::send(&d.router, Request::get(&link).body(Body::empty()).unwrap())
                .await
                .parts();
        assert_eq!(status, StatusCode::GONE, "{name}");
        assert!(html.contains("expired"), "{name}: {html}");
        let (status, _, html) = common::send(&d.router, reset_post(&link, PASSWORD, PASSWORD))
            .await
            .parts();
        assert_eq!(status, StatusCode::GONE, "{name}");
        assert!(html.contains("expired"), "{name}: {html}");
        sign_in_as(&d.router, A_STAFF, NEW_PASSWORD, OWNER_ADDRESS).await;

        // A newer link replaces an older one.
        let first = send_reset(&d, &owner, A_STAFF).await;
        let second = send_reset(&d, &owner, A_STAFF).await;
        let (status, _, _) = common::send(&d.router, reset_post(&first, PASSWORD, PASSWORD))
            .await
            .parts();
        assert_eq!(
            status,
            StatusCode::GONE,
            "{name}: the older link stops working"
        );
        let (status, _, _) = common::send(
            &d.router,
            Request::get(&second).body(Body::empty()).unwrap(),
        )
        .await
        .parts();
        assert_eq!(status, StatusCode::OK, "{name}");

        // Forged, malformed or truncated tokens: a clear message, never a server error.
        for bad in [
            "/admin/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
            second[..second.len() - 3].to_owned(),
            "/admin/reset/%00".to_owned(),
            "/admin/reset/%F0%9F%98%80".to_owned(),
            format!("/admin/reset/{}", "a".repeat(400)),
        ] {
            let (status, _, html) =
                common::send(&d.router, Request::get(&bad).body(Body::empty()).unwrap())
                    .await
                    .parts();
            assert_eq!(status, StatusCode::NOT_FOUND, "{name}: GET {bad}");
            assert!(html.contains("not valid"), "{name}: {html}");
            let (status, _, html) = common::send(&d.router, reset_post(&bad, PASSWORD, PASSWORD))
                .await
                .parts();
            assert_eq!(status, StatusCode::NOT_FOUND, "{name}: POST {bad}");
            assert!(html.contains("not valid"), "{name}: {html}");
        }
        let mut garbage = reset_post(&second, PASSWORD, PASSWORD);
        *garbage.body_mut() = Body::from("%%%&&==\u{0}");
        let (status, _, _) = common::send(&d.router, garbage).await.parts();
        assert!(!status.is_server_error(), "{name}: {status}");
        sign_in_as(&d.router, A_STAFF, NEW_PASSWORD, OWNER_ADDRESS).await;
    }
}

#[tokio::test]
async fn only_an_owner_of_the_team_sends_reset_links() {
    for t in common::stores().await {
        let name = t.name;
        let d = dashboard_on(t).await;
        let admin = staff_id(&d, A_ADMIN).await;
        let staff = staff_id(&d, A_STAFF).await;
        // Staff cannot reset an owner's password (and so take the account).
        let member = sign_in(&d.router, A_STAFF).await;
        let (status, _, html) = common::send(
            &d.router,
            member.post(&format!("/admin/staff/{admin}/reset"), &[]),
        )
        .await
        .parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {html}");
        assert!(mails_to(&d, A_ADMIN).is_empty(), "{name}");
        // Another operator's owner cannot reach this team's accounts.
        let other = sign_in(&d.router, B_ADMIN).await;
        let (status, _, _) = common::send(
            &d.router,
            other.post(&format!("/admin/staff/{staff}/reset"), &[]),
        )
        .await
        .parts();
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
        assert!(mails_to(&d, A_STAFF).is_empty(), "{name}");
        // Without a session or its token: refused.
        let mut req = Request::post(format!("/admin/staff/{staff}/reset"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &member.cookie)
            .body(Body::from(""))
            .unwrap();
        from(&mut req, OWNER_ADDRESS);
        let (status, _, _) = common::send(&d.router, req).await.parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        assert!(mails_to(&d, A_STAFF).is_empty(), "{name}");
        // The owner can; a disabled account gets no link.
        let owner = sign_in(&d.router, A_ADMIN).await;
        send_reset(&d, &owner, A_STAFF).await;
        common::sql(
            &d.t,
            &format!("UPDATE staff SET disabled_at = 1 WHERE id = {staff}"),
        )
        .await;
        let (_, headers, _) = common::send(
            &d.router,
            owner.post(&format!("/admin/staff/{staff}/reset"), &[]),
        )
        .await
        .parts();
        assert_eq!(
            location(&headers),
            "/admin/staff?error=staff-disabled",
            "{name}"
        );
        assert_eq!(mails_to(&d, A_STAFF).len(), 1, "{name}");
        for bad in ["0", "abc", "999999999999", "-1"] {
            let (status, _, _) = common::send(
                &d.router,
                owner.post(&format!("/admin/staff/{bad}/reset"), &[]),
            )
            .await
            .parts();
            assert_eq!(status, StatusCode::NOT_FOUND, "{name}: {bad}");
        }
        let audit = d.state.store.audit_entries(d.a, 100, 0).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "password_reset_sent" && e.actor == A_ADMIN),
            "{name}"
        );
    }
}
