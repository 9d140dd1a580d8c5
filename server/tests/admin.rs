//! The operator dashboard as staff and attackers meet it: sign-in, sessions, CSRF, lockout,
//! roles, tenancy on every admin route, and the audit log.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::http::{encode, location};
use domain::store::{NewMember, NewOperator};

const A_ADMIN: &str = "admin@a.example";
const A_STAFF: &str = "staff@a.example";
const B_ADMIN: &str = "admin@b.example";
const PASSWORD: &str = "a long enough password";

struct Dash {
    router: Router,
    state: domain::state::AppState,
    token: String,
    a: i64,
    b: i64,
    _t: common::TestStore,
    _dir: tempfile::TempDir,
}

/// The demo operator (A, with staff) and a second operator (B) with its own admin and member.
async fn dashboard(extra: &[(&str, &str)]) -> Dash {
    dashboard_on(common::sqlite_store().await, extra).await
}

async fn dashboard_on(t: common::TestStore, extra: &[(&str, &str)]) -> Dash {
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state_with(&t, dir.path(), extra).await;
    let store = &state.store;
    let a = store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let b = store
        .insert_operator(&NewOperator {
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
    store
        .upsert_member(&NewMember {
            operator_id: b,
            external_id: "b-1",
            first_name: "Bea",
            last_name: "Bravo",
            email: Some("bea@b.example"),
            mobile_e164: Some("+447400999001"),
            source: "import",
            synced_at: Some(1),
            active: true,
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
        token,
        a,
        b,
        _t: t,
        _dir: dir,
    }
}

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    fn get(&self, uri: &str) -> Request<Body> {
        Request::get(uri)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap()
    }

    /// A form post with this session's CSRF token.
    fn post(&self, uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(uri, &encode(&all))
    }

    fn post_raw(&self, uri: &str, body: &str) -> Request<Body> {
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &self.cookie)
            .body(Body::from(body.to_owned()))
            .unwrap()
    }
}

/// The sign-in form as a browser that opened it posts it: with its pre-session cookie and that
/// cookie's form token (server/tests/adversarial_staff.rs covers the form's own CSRF checks).
fn login_req(email: &str, password: &str) -> Request<Body> {
    let pre_session = "test-pre-session-cookie-value";
    let csrf = domain::staff::login_form_token(pre_session);
    Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("__Host-elumo_login={pre_session}"))
        .body(Body::from(encode(&[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
        ])))
        .unwrap()
}

async fn sign_in(router: &Router, email: &str) -> Browser {
    let (status, headers, _) = common::send(router, login_req(email, PASSWORD))
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/admin");
    let cookie = common::http::set_cookies(&headers)
        .into_iter()
        .next()
        .expect("a session cookie");
    let mut b = Browser {
        cookie,
        csrf: String::new(),
    };
    let (status, _, html) = common::send(router, b.get("/admin")).await.parts();
    assert_eq!(status, StatusCode::OK, "{html}");
    b.csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("dashboard pages carry the CSRF token")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    b
}

/// Walks Ada's journey to an Apple pass; returns the journey's public id.
async fn ada_with_a_pass(d: &Dash) -> String {
    let journey = common::enter_number(&d.router, &d.token, "07400123001").await;
    let link = common::texted_link(&d.state).await;
    let (status, headers, _) = common::send(
        &d.router,
        Request::post(format!("{link}/apple"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        domain::wallet::apple::CONTENT_TYPE
    );
    journey
}

async fn ada_id(d: &Dash) -> i64 {
    d.state
        .store
        .member_by_external_id(d.a, "nw-1001")
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn sign_in_gives_a_strict_session_cookie_and_sign_out_ends_it() {
    let d = dashboard(&[]).await;
    // Not signed in: every page sends you to the sign-in form.
    let (status, headers, _) = common::send(
        &d.router,
        Request::get("/admin").body(Body::empty()).unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location(&headers), "/admin/login?error=expired");
    let (status, _, html) = common::send(
        &d.router,
        Request::get("/admin/login?error=expired")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your session ended"), "{html}");

    let (status, headers, _) = common::send(&d.router, login_req(A_ADMIN, "wrong password!!"))
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/admin/login?error=invalid");
    assert!(headers.get(header::SET_COOKIE).is_none());
    // An unknown email gets the same answer.
    let (_, headers, _) = common::send(&d.router, login_req("nobody@a.example", PASSWORD))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/login?error=invalid");

    let (_, headers, _) = common::send(&d.router, login_req(" Admin@A.example ", PASSWORD))
        .await
        .parts();
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("__Host-elumo_admin="), "{set}");
    for part in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(set.contains(part), "{part} in {set}");
    }
    let b = sign_in(&d.router, A_ADMIN).await;
    let (_, _, html) = common::send(&d.router, b.get("/admin")).await.parts();
    assert!(
        html.contains("Northwind Workspace"),
        "the operator's name in the header"
    );
    assert!(html.contains(A_ADMIN));

    let (status, headers, _) = common::send(&d.router, b.post("/admin/logout", &[]))
        .await
        .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/admin/login?error=signed-out");
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let (status, headers, _) = common::send(&d.router, b.get("/admin")).await.parts();
    assert_eq!(status, StatusCode::FOUND, "the old cookie no longer works");
    assert_eq!(location(&headers), "/admin/login?error=expired");
}

#[tokio::test]
async fn idle_sessions_end() {
    let d = dashboard(&[]).await;
    let b = sign_in(&d.router, A_ADMIN).await;
    common::sql(
        &d._t,
        "UPDATE admin_sessions SET last_seen_at = last_seen_at - 31 * 60000",
    )
    .await;
    let (status, headers, _) = common::send(&d.router, b.get("/admin/members"))
        .await
        .parts();
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location(&headers), "/admin/login?error=expired");
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_or_from_another_origin_are_refused() {
    let d = dashboard(&[]).await;
    let b = sign_in(&d.router, A_ADMIN).await;
    let fields = "kind=poster&days=30";
    for body in [
        fields.to_owned(),
        format!("{fields}&csrf=wrong"),
        format!("{fields}&csrf="),
    ] {
        let (status, _, html) = common::send(&d.router, b.post_raw("/admin/invites", &body))
            .await
            .parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(html.contains("This form has expired"));
    }
    let mut req = b.post("/admin/invites", &[("kind", "poster")]);
    req.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let (status, _, html) = common::send(&d.router, req).await.parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("another site"));
    // Another session's token is not this session's.
    let other = sign_in(&d.router, A_STAFF).await;
    let stolen = Browser {
        cookie: b.cookie.clone(),
        csrf: other.csrf.clone(),
    };
    let (status, _, _) = common::send(
        &d.router,
        stolen.post("/admin/invites", &[("kind", "poster")]),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        d.state.store.invite_rows(d.a, 100).await.unwrap().len() == 1,
        "only the demo's poster"
    );

    let mut req = b.post("/admin/invites", &[("kind", "poster"), ("label", "Lobby")]);
    req.headers_mut()
        .insert(header::ORIGIN, "https://pass.example.test".parse().unwrap());
    let (status, headers, _) = common::send(&d.router, req).await.parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location(&headers).ends_with("/poster?done=invite-created"),
        "{}",
        location(&headers)
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_say_for_how_long() {
    let d = dashboard(&[]).await;
    for _ in 0..4 {
        let (_, headers, _) = common::send(&d.router, login_req(A_STAFF, "not the password"))
            .await
            .parts();
        assert_eq!(location(&headers), "/admin/login?error=invalid");
    }
    let (_, headers, _) = common::send(&d.router, login_req(A_STAFF, "not the password"))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/login?error=locked-15");
    // Locked: even the right password waits.
    let (_, headers, _) = common::send(&d.router, login_req(A_STAFF, PASSWORD))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/login?error=locked-15");
    let (_, _, html) = common::send(
        &d.router,
        Request::get("/admin/login?error=locked-15")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert!(
        html.contains("locked after too many failed sign-ins. Try again in 15 minutes"),
        "{html}"
    );
    // Others are not affected; after the lock ends the right password works.
    sign_in(&d.router, A_ADMIN).await;
    // The lock is per account and address now (failures live in rate_counters).
    common::sql(
        &d._t,
        "UPDATE rate_counters SET window_start = window_start - 16 * 60000 WHERE scope = 'admin_login_failed'",
    )
    .await;
    sign_in(&d.router, A_STAFF).await;
    let audit = d.state.store.audit_entries(d.a, 100, 0).await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "account_locked" && e.actor == A_STAFF));
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "sign_in_failed")
            .count(),
        5
    );
}

#[tokio::test]
async fn sign_ins_from_one_address_are_rate_limited() {
    let d = dashboard(&[("ELUMO_ADMIN_LOGINS_PER_IP", "3")]).await;
    for _ in 0..3 {
        let (_, headers, _) =
            common::send(&d.router, login_req("x@a.example", "guess guess guess"))
                .await
                .parts();
        assert_eq!(location(&headers), "/admin/login?error=invalid");
    }
    let (_, headers, _) = common::send(&d.router, login_req(A_ADMIN, PASSWORD))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/login?error=limited-15");
}

#[tokio::test]
async fn staff_view_and_act_but_only_admins_manage_staff_and_settings() {
    let d = dashboard(&[]).await;
    let staff = sign_in(&d.router, A_STAFF).await;
    for page in ["/admin/settings", "/admin/staff", "/admin/audit"] {
        let (status, _, html) = common::send(&d.router, staff.get(page)).await.parts();
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(
            html.contains("Only an admin of your team can do this."),
            "{page}"
        );
    }
    let (_, _, html) = common::send(&d.router, staff.get("/admin")).await.parts();
    assert!(
        !html.contains("href=\"/admin/settings\""),
        "staff see no admin links"
    );
    let settings = [
        ("name", "Hijacked"),
        ("brand_color", "#000000"),
        ("accent_color", "#000000"),
        ("default_region", "GB"),
        ("link_minutes", "10"),
        ("invite_days", "30"),
        ("sms_hourly_budget", "10"),
    ];
    let (status, _, _) = common::send(&d.router, staff.post("/admin/settings", &settings))
        .await
        .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = common::send(
        &d.router,
        staff.post(
            "/admin/staff",
            &[
                ("email", "new@a.example"),
                ("password", PASSWORD),
                ("role", "admin"),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        d.state.store.operator(d.a).await.unwrap().unwrap().name,
        "Northwind Workspace"
    );
    // The same data through the server functions.
    let (status, _, _) = common::send(&d.router, staff.post_raw("/api/admin/settings", ""))
        .await
        .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Staff may create invites; admins may change settings and add staff.
    let (status, headers, _) = common::send(
        &d.router,
        staff.post("/admin/invites", &[("kind", "poster")]),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location(&headers).contains("done=invite-created"));
    let admin = sign_in(&d.router, A_ADMIN).await;
    let (_, headers, _) = common::send(&d.router, admin.post("/admin/settings", &settings))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/settings?done=saved");
    let op = d.state.store.operator(d.a).await.unwrap().unwrap();
    assert_eq!(
        (op.name.as_str(), op.link_ttl_secs, op.sms_hourly_budget),
        ("Hijacked", Some(600), 10)
    );
    let (_, headers, _) = common::send(
        &d.router,
        admin.post("/admin/settings", &[("name", "X"), ("brand_color", "red")]),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/settings?error=bad-colour");
    let (_, headers, _) = common::send(
        &d.router,
        admin.post(
            "/admin/staff",
            &[
                ("email", "new@a.example"),
                ("password", "short"),
                ("role", "staff"),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/staff?error=weak-password");
    let (_, headers, _) = common::send(
        &d.router,
        admin.post(
            "/admin/staff",
            &[
                ("email", "new@a.example"),
                ("password", PASSWORD),
                ("role", "staff"),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/staff?done=staff-added");
    sign_in(&d.router, "new@a.example").await;
    // Disabling an account ends its sessions.
    let staff_id = d
        .state
        .store
        .staff_by_email(A_STAFF)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (_, headers, _) = common::send(
        &d.router,
        admin.post(
            &format!("/admin/staff/{staff_id}"),
            &[("role", "staff"), ("disabled", "on")],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/staff?done=staff-updated");
    let (status, _, _) = common::send(&d.router, staff.get("/admin")).await.parts();
    assert_eq!(status, StatusCode::FOUND);
}

#[tokio::test]
async fn journeys_timeline_funnel_csv_resend_and_revoke() {
    for t in common::stores().await {
        journeys_timeline_funnel_csv_resend_and_revoke_on(
            dashboard_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100")]).await,
        )
        .await;
    }
}

async fn journeys_timeline_funnel_csv_resend_and_revoke_on(d: Dash) {
    let journey = ada_with_a_pass(&d).await;
    common::enter_number(&d.router, &d.token, "07400123099").await;
    let b = sign_in(&d.router, A_STAFF).await;

    let (_, _, html) = common::send(&d.router, b.get("/admin")).await.parts();
    assert!(html.contains("2 journeys"), "{html}");
    assert!(html.contains("Ada Lovelace") && html.contains("Completed") && html.contains("Apple"));
    assert!(html.contains("Unknown number •••• ••• 099"));
    let (_, _, html) = common::send(&d.router, b.get("/admin?outcome=not_found"))
        .await
        .parts();
    assert!(
        html.contains("1 journey<") && !html.contains("Ada Lovelace</a>"),
        "{html}"
    );
    let (_, _, html) = common::send(&d.router, b.get("/admin?q=123001"))
        .await
        .parts();
    assert!(html.contains("1 journey<") && html.contains("Ada Lovelace</a>"));
    let (_, _, html) = common::send(&d.router, b.get("/admin?q=lovelace&from=not-a-date"))
        .await
        .parts();
    assert!(
        html.contains("Dates are written like 2026-11-28") && html.contains("Ada Lovelace</a>")
    );

    let (status, _, html) = common::send(&d.router, b.get(&format!("/admin/journeys/{journey}")))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
    for label in [
        "Invite opened",
        "Number entered",
        "Member matched",
        "SMS sent",
        "Apple pass downloaded",
    ] {
        assert!(html.contains(label), "{label} in the timeline");
    }

    let (status, headers, csv) =
        common::send(&d.router, b.get("/admin/journeys.csv?outcome=completed"))
            .await
            .parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "journey,member,number,site,channel,step,outcome,platform,started,time_to_wallet_seconds"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with(&format!("{journey},Ada Lovelace,•••• ••• 001,Northwind Shoreditch,Poster,Pass added,Completed,Apple,")));

    let (_, _, html) = common::send(&d.router, b.get("/admin/funnel"))
        .await
        .parts();
    assert!(
        html.contains("Invite opened: 2; Number entered: 2; Member matched: 1"),
        "{html}"
    );
    assert!(html.contains("Biggest drop-off: Number entered → Member matched"));

    let outbox_before = std::fs::read_to_string(&d.state.config.sms.outbox_file)
        .unwrap()
        .lines()
        .count();
    let (_, headers, _) = common::send(
        &d.router,
        b.post(&format!("/admin/journeys/{journey}/resend"), &[]),
    )
    .await
    .parts();
    assert_eq!(
        location(&headers),
        format!("/admin/journeys/{journey}?done=resent")
    );
    common::texted_link(&d.state).await;
    assert_eq!(
        std::fs::read_to_string(&d.state.config.sms.outbox_file)
            .unwrap()
            .lines()
            .count(),
        outbox_before + 1,
        "one more text"
    );

    let ada = ada_id(&d).await;
    let (_, headers, _) = common::send(
        &d.router,
        b.post(
            &format!("/admin/members/{ada}/revoke"),
            &[("back", &format!("/admin/journeys/{journey}"))],
        ),
    )
    .await
    .parts();
    assert_eq!(
        location(&headers),
        format!("/admin/journeys/{journey}?done=revoked")
    );
    let passes = d.state.store.wallet_passes_for_member(ada).await.unwrap();
    assert!(passes.iter().all(|p| p.voided_at.is_some()));
    let (_, _, html) = common::send(&d.router, b.get(&format!("/admin/members/{ada}")))
        .await
        .parts();
    assert!(html.contains("Revoked"));
    let (_, headers, _) = common::send(
        &d.router,
        b.post(&format!("/admin/members/{ada}/revoke"), &[]),
    )
    .await
    .parts();
    assert_eq!(
        location(&headers),
        format!("/admin/members/{ada}?error=nothing-to-revoke")
    );
    // A redirect target elsewhere is ignored.
    let (_, headers, _) = common::send(
        &d.router,
        b.post(
            &format!("/admin/members/{ada}/revoke"),
            &[("back", "https://evil.example/")],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin?error=nothing-to-revoke");
}

#[tokio::test]
async fn invites_by_email_posters_and_qr_downloads() {
    for t in common::stores().await {
        invites_by_email_posters_and_qr_downloads_on(dashboard_on(t, &[]).await).await;
    }
}

async fn invites_by_email_posters_and_qr_downloads_on(d: Dash) {
    let b = sign_in(&d.router, A_STAFF).await;
    let ada = ada_id(&d).await.to_string();
    let grace = d
        .state
        .store
        .member_by_external_id(d.a, "nw-1002")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let (_, headers, _) = common::send(
        &d.router,
        b.post(
            "/admin/invites",
            &[
                ("kind", "member"),
                ("member", &ada),
                ("member", &grace),
                ("days", "7"),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/invites?done=invites-sent");
    let outbox = &d.state.config.mail.outbox_dir;
    let mails: Vec<String> = std::fs::read_dir(outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 2);
    let to_ada = mails
        .iter()
        .find(|m| m.contains("ada@"))
        .expect("a mail to Ada");
    assert!(to_ada.contains("Subject: Your Northwind Workspace access pass"));
    let link = to_ada
        .lines()
        .find_map(|l| l.strip_prefix("https://pass.example.test"))
        .expect("the invite link")
        .trim()
        .to_owned();
    let (status, _, html) =
        common::send(&d.router, Request::get(&link).body(Body::empty()).unwrap())
            .await
            .parts();
    assert_eq!(
        status,
        StatusCode::OK,
        "the emailed invite opens the phone page"
    );
    assert!(html.contains("Get your digital pass"));

    let (_, headers, _) = common::send(&d.router, b.post("/admin/invites", &[("kind", "member")]))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/invites?error=choose-members");
    let (_, headers, _) = common::send(
        &d.router,
        b.post("/admin/invites", &[("kind", "poster"), ("days", "999")]),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/invites?error=bad-days");

    let (_, headers, _) = common::send(
        &d.router,
        b.post("/admin/invites", &[("kind", "poster"), ("label", "Lobby")]),
    )
    .await
    .parts();
    let poster = location(&headers).split('?').next().unwrap().to_owned();
    let (status, _, html) = common::send(&d.router, b.get(&poster)).await.parts();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg") && html.contains("Scan the code with your phone"));
    let id = poster.split('/').nth(3).unwrap().to_owned();
    let (status, headers, png) =
        common::send(&d.router, b.get(&format!("/admin/invites/{id}/qr.png")))
            .await
            .parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(png.len() > 100);
    let (_, headers, svg) = common::send(&d.router, b.get(&format!("/admin/invites/{id}/qr.svg")))
        .await
        .parts();
    assert_eq!(headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(svg.contains("<svg"));

    // Revoked invites stop working; the list says so.
    let (_, headers, _) = common::send(
        &d.router,
        b.post(&format!("/admin/invites/{id}/revoke"), &[]),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/invites?done=invite-revoked");
    let (_, _, html) = common::send(&d.router, b.get("/admin/invites"))
        .await
        .parts();
    assert!(html.contains("invite-revoked"));
    let (_, headers, _) = common::send(
        &d.router,
        b.post(&format!("/admin/invites/{id}/revoke"), &[]),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/invites?error=expired-invite");
}

/// Operator B's admin, on every admin route with operator A's ids, sees and changes nothing of A.
#[tokio::test]
async fn no_admin_route_reaches_another_operators_data() {
    for t in common::stores().await {
        no_admin_route_reaches_another_operators_data_on(dashboard_on(t, &[]).await).await;
    }
}

async fn no_admin_route_reaches_another_operators_data_on(d: Dash) {
    let journey = ada_with_a_pass(&d).await;
    let ada = ada_id(&d).await;
    let a_staff = d
        .state
        .store
        .staff_by_email(A_STAFF)
        .await
        .unwrap()
        .unwrap()
        .id;
    let a_site = d.state.store.sites_of(d.a).await.unwrap()[0].id;
    let a_invite = d.state.store.invite_rows(d.a, 10).await.unwrap()[0].id;
    // A member invite of A, to try re-sending it.
    let admin_a = sign_in(&d.router, A_ADMIN).await;
    common::send(
        &d.router,
        admin_a.post(
            "/admin/invites",
            &[("kind", "member"), ("member", &ada.to_string())],
        ),
    )
    .await
    .parts();
    let a_member_invite = d.state.store.invite_rows(d.a, 10).await.unwrap()[0].id;
    let audit_before = d
        .state
        .store
        .audit_entries(d.a, 1000, 0)
        .await
        .unwrap()
        .len();

    let b = sign_in(&d.router, B_ADMIN).await;
    let gets = [
        format!("/admin/journeys/{journey}"),
        format!("/admin/members/{ada}"),
        format!("/admin/invites/{a_invite}/poster"),
        format!("/admin/invites/{a_invite}/qr.svg"),
        format!("/admin/invites/{a_invite}/qr.png"),
    ];
    for uri in &gets {
        let (status, _, body) = common::send(&d.router, b.get(uri)).await.parts();
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            !body.contains("Lovelace") && !body.contains("Northwind"),
            "{uri}"
        );
    }
    let posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (format!("/admin/journeys/{journey}/resend"), vec![]),
        (format!("/admin/members/{ada}/revoke"), vec![]),
        (format!("/admin/invites/{a_invite}/revoke"), vec![]),
        (format!("/admin/invites/{a_member_invite}/resend"), vec![]),
        (
            format!("/admin/staff/{a_staff}"),
            vec![("role", "admin".into()), ("disabled", "on".into())],
        ),
    ];
    for (uri, fields) in &posts {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = common::send(&d.router, b.post(uri, &fields)).await.parts();
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!body.contains("Lovelace"), "{uri}");
    }
    // Creating invites with A's site or member creates nothing for anyone.
    let (_, headers, _) = common::send(
        &d.router,
        b.post(
            "/admin/invites",
            &[("kind", "poster"), ("site", &a_site.to_string())],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/invites?error=bad-number");
    let (_, headers, _) = common::send(
        &d.router,
        b.post(
            "/admin/invites",
            &[("kind", "member"), ("member", &ada.to_string())],
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/invites?error=no-email");
    assert!(d.state.store.invite_rows(d.b, 10).await.unwrap().is_empty());
    // The server functions behind the pages, called directly.
    for (uri, body) in [
        ("/api/admin/journey", format!("id={journey}")),
        ("/api/admin/member", format!("id={ada}")),
        ("/api/admin/poster", format!("id={a_invite}")),
    ] {
        let (status, _, body) = common::send(&d.router, b.post_raw(uri, &body))
            .await
            .parts();
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!body.contains("Lovelace"));
    }
    // B's lists hold only B.
    for uri in [
        "/admin",
        "/admin/members",
        "/admin/invites",
        "/admin/funnel",
        "/admin/staff",
        "/admin/audit",
        "/admin/settings",
        "/admin/journeys.csv",
    ] {
        let (status, _, body) = common::send(&d.router, b.get(uri)).await.parts();
        assert_eq!(status, StatusCode::OK, "{uri}");
        for a_thing in ["Lovelace", "Northwind", A_ADMIN, A_STAFF] {
            assert!(!body.contains(a_thing), "{a_thing} on {uri}");
        }
    }
    let (_, _, members) = common::send(&d.router, b.get("/admin/members"))
        .await
        .parts();
    assert!(members.contains("Bea Bravo"));

    // Nothing of A changed.
    assert!(d
        .state
        .store
        .wallet_passes_for_member(ada)
        .await
        .unwrap()
        .iter()
        .all(|p| p.voided_at.is_none()));
    let staff = d
        .state
        .store
        .staff_by_email(A_STAFF)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((staff.role.as_str(), staff.disabled_at), ("staff", None));
    assert_eq!(
        d.state
            .store
            .audit_entries(d.a, 1000, 0)
            .await
            .unwrap()
            .len(),
        audit_before
    );
}

#[tokio::test]
async fn the_audit_log_says_who_did_what_when_and_from_where() {
    let d = dashboard(&[]).await;
    ada_with_a_pass(&d).await;
    let ada = ada_id(&d).await;
    let staff = sign_in(&d.router, A_STAFF).await;
    common::send(
        &d.router,
        staff.post(&format!("/admin/members/{ada}/revoke"), &[]),
    )
    .await
    .parts();
    common::send(
        &d.router,
        staff.post("/admin/invites", &[("kind", "poster")]),
    )
    .await
    .parts();
    common::send(&d.router, staff.get("/admin/journeys.csv"))
        .await
        .parts();
    let admin = sign_in(&d.router, A_ADMIN).await;
    let (status, _, html) = common::send(&d.router, admin.get("/admin/audit"))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
    for (who, what) in [
        (A_STAFF, "signed in"),
        (A_STAFF, "pass revoked"),
        (A_STAFF, "invite created"),
        (A_STAFF, "journeys exported"),
        (A_ADMIN, "signed in"),
    ] {
        assert!(
            html.contains(&format!("<td>{who}</td><td>{what}</td>")),
            "{who} {what} in {html}"
        );
    }
    assert!(html.contains("member nw-1001") && html.contains("apple"));
    assert!(html.contains(" UTC</td>"), "with the time");
    assert!(
        html.contains("<td>unknown</td>"),
        "with the address (none in tests)"
    );
}

/// The operator's credential format (a setting) decides what the QR code carries; the signed
/// token verifies with the public key the server publishes; NFC and Smart Tap carry a short form.
#[tokio::test]
async fn the_qr_code_carries_the_credential_in_the_operators_format() {
    let reader = openssl::ec::EcKey::generate(
        &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
    )
    .unwrap();
    let nfc_key = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(reader.public_key_to_der().unwrap())
    };
    let d = dashboard(&[
        ("ELUMO_APPLE_NFC_PUBLIC_KEY", &nfc_key),
        ("ELUMO_GOOGLE_REDEMPTION_ISSUERS", "3388000000022100000"),
        ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100"),
    ])
    .await;
    let admin = sign_in(&d.router, A_ADMIN).await;
    let mut settings = vec![
        ("name", "Northwind Workspace"),
        ("brand_color", "#1f4fd1"),
        ("accent_color", "#0b1f4d"),
        ("default_region", "GB"),
        ("link_minutes", "10"),
        ("invite_days", "30"),
        ("sms_hourly_budget", "500"),
        ("credential_format", "signed"),
    ];
    let (_, headers, _) = common::send(&d.router, admin.post("/admin/settings", &settings))
        .await
        .parts();
    assert_eq!(location(&headers), "/admin/settings?done=saved");

    let pass_json = |body: &[u8]| -> serde_json::Value {
        serde_json::from_slice(&common::unzip(body)["pass.json"]).unwrap()
    };
    let issue = || async {
        common::enter_number(&d.router, &d.token, "07400123002").await;
        let link = common::texted_link(&d.state).await;
        common::send(
            &d.router,
            Request::post(format!("{link}/apple"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .body
    };
    let pass = pass_json(&issue().await);
    let token = pass["barcodes"][0]["message"].as_str().unwrap().to_owned();
    let (status, _, public) = common::send(
        &d.router,
        Request::get("/credential-key.pem")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        domain::credentials::verify_token(&token, public.as_bytes())
            .map(|(op, fc, card, _)| (op, fc, card)),
        Some(("northwind".to_owned(), 42, 1002)),
        "Grace's physical card, signed for her operator"
    );
    assert_eq!(
        pass["nfc"]["message"], "H10301:42:1002",
        "NFC carries at most 64 bytes"
    );
    assert_eq!(pass["nfc"]["encryptionPublicKey"], nfc_key.as_str());

    settings.pop();
    settings.push(("credential_format", "wiegand26"));
    common::send(&d.router, admin.post("/admin/settings", &settings))
        .await
        .parts();
    let pass = pass_json(&issue().await);
    let expected = format!("{:07X}", domain::credentials::wiegand26(42, 1002));
    assert_eq!(pass["barcodes"][0]["message"], expected.as_str());
    assert_eq!(pass["nfc"]["message"], expected.as_str());

    let grace = d
        .state
        .store
        .member_by_external_id(d.a, "nw-1002")
        .await
        .unwrap()
        .unwrap();
    let google = d
        .state
        .store
        .wallet_passes_for_member(grace.id)
        .await
        .unwrap();
    let content = domain::links::content_of(
        &d.state.store,
        "https://pass.example.test",
        &d.state.credentials,
        &google[0],
    )
    .await
    .unwrap()
    .unwrap();
    let class = d.state.google.class_json(&content);
    assert_eq!(class["enableSmartTap"], true);
    assert_eq!(class["redemptionIssuers"][0], "3388000000022100000");
    assert_eq!(
        d.state.google.object_json(&content)["smartTapRedemptionValue"],
        expected.as_str()
    );
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&vec![90u8; (width * height * 4) as usize])
        .unwrap();
    w.finish().unwrap();
    out
}

/// A browser's multipart form: text fields, then one file.
fn multipart(b: &Browser, fields: &[(&str, &str)], file: Option<&[u8]>) -> Request<Body> {
    let boundary = "----elumo-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some(bytes) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post("/admin/settings/images")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, &b.cookie)
        .body(Body::from(body))
        .unwrap()
}

/// An admin's logo and icon replace the generated images on every pass; bad files get a
/// sentence; staff and other operators cannot touch or see them.
#[tokio::test]
async fn operators_upload_their_logo_and_icon_for_the_passes() {
    let d = dashboard(&[]).await;
    let admin = sign_in(&d.router, A_ADMIN).await;
    let csrf = admin.csrf.clone();
    let logo = png(480, 150);
    for (kind, file, code) in [
        ("logo", png(481, 150), "error=image-logo-size"),
        ("icon", png(120, 100), "error=image-icon-size"),
        ("logo", b"GIF89a not a png".to_vec(), "error=image-not-png"),
        ("logo", Vec::new(), "error=image-missing"),
        ("logo", logo.clone(), "done=image-saved"),
        ("icon", png(87, 87), "done=image-saved"),
    ] {
        let (status, headers, _) = common::send(
            &d.router,
            multipart(&admin, &[("csrf", &csrf), ("kind", kind)], Some(&file)),
        )
        .await
        .parts();
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location(&headers),
            format!("/admin/settings?{code}"),
            "{kind}"
        );
    }
    let (_, _, html) = common::send(
        &d.router,
        admin.get("/admin/settings?error=image-logo-size"),
    )
    .await
    .parts();
    assert!(html.contains("A logo is at most 480 × 150 pixels"));
    assert!(html.contains("src=\"/admin/images/logo.png\""));
    let (status, headers, served) = common::send(&d.router, admin.get("/admin/images/logo.png"))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(served, String::from_utf8_lossy(&logo));

    // Without the token, as staff, or as another operator: nothing.
    let (status, _, _) = common::send(
        &d.router,
        multipart(&admin, &[("kind", "logo")], Some(&png(100, 40))),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let staff = sign_in(&d.router, A_STAFF).await;
    let (status, _, _) = common::send(
        &d.router,
        multipart(
            &staff,
            &[("csrf", &staff.csrf), ("kind", "logo")],
            Some(&png(100, 40)),
        ),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let b = sign_in(&d.router, B_ADMIN).await;
    let (status, _, _) = common::send(&d.router, b.get("/admin/images/logo.png"))
        .await
        .parts();
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The pass carries the operator's logo at every scale.
    common::enter_number(&d.router, &d.token, "07400123001").await;
    let link = common::texted_link(&d.state).await;
    let res = common::send(
        &d.router,
        Request::post(format!("{link}/apple"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let files = common::unzip(&res.body);
    for name in ["logo.png", "logo@2x.png", "logo@3x.png"] {
        assert_eq!(files[name], logo, "{name}");
    }
    assert_eq!(files["icon@3x.png"], png(87, 87));
    let pass: serde_json::Value = serde_json::from_slice(&files["pass.json"]).unwrap();
    assert_eq!(pass["generic"]["primaryFields"][0]["value"], "Ada Lovelace");

    // A strip makes the pass a store card (the style that shows one).
    let strip = png(1125, 369);
    let (_, headers, _) = common::send(
        &d.router,
        multipart(&admin, &[("csrf", &csrf), ("kind", "strip")], Some(&strip)),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/settings?done=image-saved");
    let pass = d
        .state
        .store
        .wallet_passes_for_member(ada_id(&d).await)
        .await
        .unwrap()
        .remove(0);
    let content = domain::links::content_of(
        &d.state.store,
        "https://pass.example.test",
        &d.state.credentials,
        &pass,
    )
    .await
    .unwrap()
    .unwrap();
    let files = d.state.apple.files(&content).unwrap();
    assert_eq!(files["strip@3x.png"], strip);
    let json: serde_json::Value = serde_json::from_slice(&files["pass.json"]).unwrap();
    assert_eq!(
        json["storeCard"]["primaryFields"][0]["value"],
        "Ada Lovelace"
    );
    assert!(json.get("generic").is_none());

    // Removing it brings back the generated logo.
    let (_, headers, _) = common::send(
        &d.router,
        multipart(
            &admin,
            &[("csrf", &csrf), ("kind", "logo"), ("remove", "1")],
            None,
        ),
    )
    .await
    .parts();
    assert_eq!(location(&headers), "/admin/settings?done=image-saved");
    assert!(d
        .state
        .store
        .operator_image(d.a, "logo")
        .await
        .unwrap()
        .is_none());
}

/// Revoking a pass disables its credential for the access system at once: the revocation is in
/// the feed the access system polls (with the operator's token), and a generated credential is
/// never issued again.
#[tokio::test]
async fn a_revoked_pass_reaches_the_access_systems_feed_at_once() {
    for t in common::stores().await {
        revocation_feed_on(
            dashboard_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100")]).await,
        )
        .await;
    }
}

async fn revocation_feed_on(d: Dash) {
    let token = domain::tokens::Token::generate(32);
    d.state
        .store
        .set_access_token(d.a, &token.hash())
        .await
        .unwrap();
    let b_token = domain::tokens::Token::generate(32);
    d.state
        .store
        .set_access_token(d.b, &b_token.hash())
        .await
        .unwrap();
    let feed = |bearer: Option<String>, after: i64| {
        let mut req = Request::get(format!("/access/v1/revocations?after={after}"));
        if let Some(b) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {b}"));
        }
        let router = d.router.clone();
        async move {
            let (status, _, body) = common::send(&router, req.body(Body::empty()).unwrap())
                .await
                .parts();
            (
                status,
                serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default(),
            )
        }
    };
    assert_eq!(feed(None, 0).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        feed(Some("not-a-token".into()), 0).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        feed(Some(domain::tokens::Token::generate(32).expose().into()), 0)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, empty) = feed(Some(token.expose().into()), 0).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["revocations"].as_array().unwrap().len(), 0);

    ada_with_a_pass(&d).await;
    let ada = ada_id(&d).await;
    let first = d.state.store.credentials_for_member(ada).await.unwrap();
    assert_eq!((first.len(), first[0].source.as_str()), (1, "digital"));
    let staff = sign_in(&d.router, A_STAFF).await;
    let (_, headers, _) = common::send(
        &d.router,
        staff.post(&format!("/admin/members/{ada}/revoke"), &[]),
    )
    .await
    .parts();
    assert!(location(&headers).ends_with("done=revoked"));

    let (_, body) = feed(Some(token.expose().into()), 0).await;
    let items = body["revocations"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["member"], "nw-1001");
    assert_eq!(items[0]["credential"]["source"], "digital");
    assert_eq!(
        items[0]["credential"]["facility_code"],
        first[0].facility_code
    );
    assert_eq!(items[0]["credential"]["card_number"], first[0].card_number);
    let next = body["next_after"].as_i64().unwrap();
    assert_eq!(next, items[0]["id"].as_i64().unwrap());
    assert_eq!(
        feed(Some(token.expose().into()), next).await.1["revocations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        feed(Some(b_token.expose().into()), 0).await.1["revocations"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "another operator's access system sees nothing of it"
    );
    let revoked = d.state.store.credentials_for_member(ada).await.unwrap();
    assert!(
        revoked[0].revoked_at.is_some(),
        "the generated credential is dead for good"
    );

    // A new pass later carries a new credential; revoking it again is a second entry.
    ada_with_a_pass(&d).await;
    let now = d.state.store.credentials_for_member(ada).await.unwrap();
    assert_eq!(now.len(), 2);
    let live: Vec<_> = now.iter().filter(|c| c.revoked_at.is_none()).collect();
    assert_eq!(live.len(), 1);
    assert_ne!(live[0].id, first[0].id);
    for pass in d.state.store.wallet_passes_for_member(ada).await.unwrap() {
        d.state.store.void_wallet_pass(pass.id).await.unwrap();
    }
    let (_, body) = feed(Some(token.expose().into()), next).await;
    let items = body["revocations"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["credential"]["card_number"], live[0].card_number);
}

/// Whatever a client sends to the dashboard's routes (odd paths, ids, fields, encodings, bodies),
/// signed in or not, with or without the token: never a 5xx.
#[tokio::test]
async fn no_dashboard_request_gets_a_server_error() {
    let d = dashboard(&[]).await;
    let journey = ada_with_a_pass(&d).await;
    let admin = sign_in(&d.router, A_ADMIN).await;
    // A small deterministic generator (xorshift), so a failure replays.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ids = [
        "1",
        "0",
        "-1",
        "999999999999",
        "abc",
        "%00",
        "1%2F2",
        &journey,
        "😀",
        "",
    ];
    let values = [
        "",
        "x",
        "on",
        "staff",
        "admin",
        "poster",
        "member",
        "#zzzzzz",
        "https://",
        "99999999999999999999",
        "<script>",
        "%FF%FE",
        "a&b=c",
    ];
    let fields = [
        "csrf",
        "kind",
        "member",
        "site",
        "days",
        "label",
        "name",
        "brand_color",
        "accent_color",
        "default_region",
        "link_minutes",
        "invite_days",
        "sms_hourly_budget",
        "sms_countries",
        "role",
        "disabled",
        "email",
        "password",
        "back",
        "platform",
        "credential_format",
        "logo_url",
        "support_email",
    ];
    let routes = [
        "/admin/journeys/{}/resend",
        "/admin/members/{}/revoke",
        "/admin/invites",
        "/admin/invites/{}/revoke",
        "/admin/invites/{}/resend",
        "/admin/settings",
        "/admin/staff",
        "/admin/staff/{}",
        "/admin/logout",
        "/admin/login",
        "/admin/settings/images",
    ];
    let pages = [
        "/admin",
        "/admin/journeys/{}",
        "/admin/members/{}",
        "/admin/invites/{}/poster",
        "/admin/invites/{}/qr.svg",
        "/admin/invites/{}/qr.png",
        "/admin/funnel",
        "/admin/members",
        "/admin/audit",
        "/admin/journeys.csv",
        "/admin/images/{}",
        "/api/admin/journey",
        "/access/v1/revocations",
    ];
    for case in 0..800u64 {
        let pick = |n: u64, len: usize| (n % len as u64) as usize;
        let id = ids[pick(next(), ids.len())];
        let mut body: Vec<String> = Vec::new();
        for _ in 0..pick(next(), 8) {
            let k = fields[pick(next(), fields.len())];
            let v = if k == "csrf" && next() % 2 == 0 {
                admin.csrf.as_str()
            } else {
                values[pick(next(), values.len())]
            };
            body.push(format!("{k}={}", app::types::admin::encode(v)));
        }
        if next() % 3 == 0 {
            body.push(format!("csrf={}", admin.csrf));
        }
        let body = if next() % 10 == 0 {
            "%%%&&==\u{0}".to_owned()
        } else {
            body.join("&")
        };
        let cookie = if next() % 5 == 0 {
            "elumo_admin=forged".to_owned()
        } else {
            admin.cookie.clone()
        };
        let req = if next() % 2 == 0 {
            let path =
                routes[pick(next(), routes.len())].replace("{}", &app::types::admin::encode(id));
            let content_type = match next() % 4 {
                0 => "multipart/form-data; boundary=x",
                1 => "text/plain",
                _ => "application/x-www-form-urlencoded",
            };
            Request::post(path)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::COOKIE, cookie)
                .body(Body::from(body.clone()))
                .unwrap()
        } else {
            let path =
                pages[pick(next(), pages.len())].replace("{}", &app::types::admin::encode(id));
            Request::get(format!("{path}?{}", body.replace('\u{0}', "%00")))
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap()
        };
        let label = format!("case {case}: {} {}", req.method(), req.uri());
        let (status, _, text) = common::send(&d.router, req).await.parts();
        assert!(
            !status.is_server_error(),
            "{label} answered {status}: {text}"
        );
    }
}

/// Issue 14: an operator sees when its hourly text budget is 80% used, and when it ran out.
#[tokio::test]
async fn the_dashboard_says_when_the_text_budget_is_nearly_used_and_when_it_ran_out() {
    for t in common::stores().await {
        let d = dashboard_on(t, &[]).await;
        d.state
            .store
            .set_operator_limits(d.a, false, "", 5)
            .await
            .unwrap();
        let b = sign_in(&d.router, A_STAFF).await;
        let budget_notice = |html: &str| {
            html.split("data-testid=\"sms-budget\"")
                .nth(1)
                .and_then(|rest| rest.split_once('>'))
                .map(|(_, text)| text.split('<').next().unwrap().to_owned())
        };
        let (_, _, html) = common::send(&d.router, b.get("/admin")).await.parts();
        assert_eq!(budget_notice(&html), None, "nothing to say below 80%");
        for n in ["07400123001", "07400123002", "07400123003", "07400123004"] {
            common::enter_number(&d.router, &d.token, n).await;
        }
        let (_, _, html) = common::send(&d.router, b.get("/admin")).await.parts();
        assert_eq!(
            budget_notice(&html).as_deref(),
            Some("80% of your hourly text budget is used (4 of 5 texts in the last hour).")
        );
        common::enter_number(&d.router, &d.token, "07400123005").await;
        let (_, _, html) = common::send(&d.router, b.get("/admin/members"))
            .await
            .parts();
        let text = budget_notice(&html).expect("a notice on every page");
        assert!(
            text.starts_with("Your hourly text budget (5) ran out at "),
            "{text}"
        );
    }
}

/// What a row of the tenancy table sends, as operator B, with operator A's ids and secrets.
enum Call {
    /// B's signed-in admin sends it: B's own view (or B's own change), never A's data.
    Admin(Request<Body>),
    /// B's signed-in admin names one of A's things: "not found", as for a thing that never was.
    NotFound(Request<Body>),
    /// Not an operator's session: what authorises the route instead, the request made with B's
    /// secret (or B's session, which must not count), and the status it must get.
    Other(&'static str, Request<Body>, StatusCode),
}

/// The routes the router serves and the server functions it answers, read from the code itself:
/// every `.route("…")` of the server crate, every page `path!("…")` of the app and every
/// registered server function. The tenancy table must hold a row for each.
fn every_route() -> std::collections::BTreeSet<String> {
    fn literals(dir: &std::path::Path, marker: &str, out: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                literals(&path, marker, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices(marker) {
                    let rest = text[at + marker.len()..].trim_start();
                    if let Some(rest) = rest.strip_prefix('"') {
                        out.insert(rest[..rest.find('"').unwrap()].to_owned());
                    }
                }
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = std::collections::BTreeSet::new();
    literals(&root.join("src"), ".route(", &mut all);
    literals(&root.join("../app/src"), "path!(", &mut all);
    // The catch-all that hands requests to the server functions is listed by function instead.
    assert!(all.remove("/api/{*fn_name}"), "the server functions' route");
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        all.insert(path.to_owned());
    }
    // The REST API's resources are routed with their OpenAPI description.
    for (path, item) in &server::api::openapi().paths.paths {
        let doc = serde_json::to_value(item).unwrap();
        for method in ["get", "put", "post", "delete", "patch"] {
            if doc.get(method).is_some() {
                all.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    all
}

/// Every route and server function, table-driven from the router's own list: operator B's admin
/// (or B's access token, webhook secret, pass) with operator A's ids gets nothing of A, and
/// changes nothing of A. A route without a row fails the test.
#[tokio::test]
async fn every_route_and_server_function_keeps_operators_apart() {
    for t in common::stores().await {
        every_route_keeps_operators_apart_on(dashboard_on(t, &[]).await).await;
    }
}

async fn every_route_keeps_operators_apart_on(d: Dash) {
    let journey = ada_with_a_pass(&d).await;
    let ada = ada_id(&d).await;
    let store = &d.state.store;
    let a_staff = store.staff_by_email(A_STAFF).await.unwrap().unwrap().id;
    let a_invite = store.invite_rows(d.a, 10).await.unwrap()[0].id;
    let a_pass = store.wallet_passes_for_member(ada).await.unwrap()[0].clone();
    let a_name = store.operator(d.a).await.unwrap().unwrap().name;
    let a_site = store.sites_of(d.a).await.unwrap()[0].id;
    store
        .set_operator_image(d.a, "logo", b"\x89PNG\r\n\x1a\n of operator A", (192, 192))
        .await
        .unwrap();
    // A's and B's access tokens and CRM connections.
    let (a_token, b_token) = ("a".repeat(43), "b".repeat(43));
    store
        .set_access_token(d.a, &domain::tokens::hash_token(&a_token))
        .await
        .unwrap();
    store
        .set_access_token(d.b, &domain::tokens::hash_token(&b_token))
        .await
        .unwrap();
    let b_secret = "whsec-of-operator-b-0123456789abcdef";
    store
        .set_crm_connection(
            d.a,
            "rest",
            r#"{"base_url":"http://127.0.0.1:9"}"#,
            3600,
            "whsec-of-operator-a-0123456789abcdef",
        )
        .await
        .unwrap();
    store
        .set_crm_connection(
            d.b,
            "rest",
            r#"{"base_url":"http://127.0.0.1:9"}"#,
            3600,
            b_secret,
        )
        .await
        .unwrap();
    // A revokes Ada's pass, so A's access feed has an entry.
    let admin_a = sign_in(&d.router, A_ADMIN).await;
    let revoked = common::send(
        &d.router,
        admin_a.post(&format!("/admin/members/{ada}/revoke"), &[]),
    )
    .await;
    assert!(revoked.status.is_redirection());
    let audit_before = store.audit_entries(d.a, 1000, 0).await.unwrap().len();

    let b = sign_in(&d.router, B_ADMIN).await;
    let get = |uri: String| Call::Admin(b.get(&uri));
    let get_a = |uri: String| Call::NotFound(b.get(&uri));
    let post_a = |uri: String| Call::NotFound(b.post(&uri, &[]));
    let call_a = |uri: &str, body: String| Call::NotFound(b.post_raw(uri, &body));
    let post = |uri: String, fields: &[(&str, &str)]| Call::Admin(b.post(&uri, fields));
    let call = |uri: &str, body: String| Call::Admin(b.post_raw(uri, &body));
    let plain = |method: &str, uri: String| {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap()
    };
    let bearer = |uri: &str, token: &str| {
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let b_key = domain::api_keys::create(
        &d.state,
        &domain::staff::Session {
            id_hash: String::new(),
            staff_id: 0,
            operator_id: d.b,
            email: B_ADMIN.into(),
            role: domain::staff::Role::Admin,
            csrf: String::new(),
        },
        "B's integration",
        true,
        "203.0.113.2",
    )
    .await
    .unwrap()
    .unwrap()
    .key
    .expose()
    .to_owned();
    // A's key, made without an audit line (A's log is checked below).
    let a_key_id = store
        .insert_api_key(&domain::store::NewApiKey {
            operator_id: d.a,
            name: "A's integration",
            prefix: "elumo_aaaaaa",
            key_hash: &domain::tokens::hash_token("elumo_of-operator-a"),
            scopes: "read",
            created_by: A_ADMIN,
        })
        .await
        .unwrap();
    let a_member = store.member(ada).await.unwrap().unwrap().external_id;
    // A's webhook endpoint with one delivery in its log.
    let a_endpoint = store
        .insert_endpoint(
            d.a,
            "https://hooks.a.example/elumo",
            "A's receiver",
            "member.not_found",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        .await
        .unwrap();
    store
        .enqueue_webhook(d.a, "member.not_found", "{}", "msg_of_operator_a")
        .await
        .unwrap();
    let a_delivery = store.deliveries_of(d.a, a_endpoint, 1).await.unwrap()[0].id;
    let api = |method: &str, uri: String, body: Option<&str>| {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {b_key}"));
        match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_owned())),
            None => req.body(Body::empty()),
        }
        .unwrap()
    };
    const B_KEY: &str = "the operator's API key (B's key with A's ids)";
    let b_cookie = b.cookie.clone();
    let with_b = |mut req: Request<Body>| {
        req.headers_mut()
            .insert(header::COOKIE, b_cookie.parse().unwrap());
        req
    };
    let serial = &a_pass.serial;
    let pass_type = &d.state.config.apple_wallet.pass_type_id;
    let crm_body = r#"{"id":"evt-1","type":"member.updated","member":{"id":"nw-1001","first_name":"Mallory"}}"#;
    let crm_signed = {
        let ts = domain::crm::webhook::now_secs();
        let mut req = Request::post(format!(
            "/webhooks/crm/{}",
            domain::demo::DEMO_OPERATOR_SLUG
        ))
        .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in [
            ("x-elumo-timestamp", ts.to_string()),
            (
                "x-elumo-signature",
                domain::crm::webhook::sign(b_secret, ts, crm_body.as_bytes()),
            ),
        ] {
            req = req.header(k, v);
        }
        req.body(Body::from(crm_body)).unwrap()
    };

    let mut table: Vec<(&str, Call)> = vec![
        // The dashboard's pages, with A's ids where they take one.
        ("/admin", get("/admin".into())),
        ("/admin/journeys/:id", get_a(format!("/admin/journeys/{journey}"))),
        ("/admin/funnel", get("/admin/funnel".into())),
        ("/admin/members", get("/admin/members".into())),
        ("/admin/members/:id", get_a(format!("/admin/members/{ada}"))),
        ("/admin/invites", get("/admin/invites".into())),
        ("/admin/invites/:id/poster", get_a(format!("/admin/invites/{a_invite}/poster"))),
        ("/admin/settings", get("/admin/settings".into())),
        ("/admin/staff", get("/admin/staff".into())),
        ("/admin/audit", get("/admin/audit".into())),
        ("/admin/account", get("/admin/account".into())),
        ("/admin/login", get("/admin/login".into())),
        ("/admin/reset/:token", get("/admin/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())),
        // The dashboard's forms and files.
        ("/admin/journeys.csv", get("/admin/journeys.csv".into())),
        ("/admin/journeys/{id}/resend", post_a(format!("/admin/journeys/{journey}/resend"))),
        ("/admin/members/{id}/revoke", post_a(format!("/admin/members/{ada}/revoke"))),
        ("/admin/sites/{id}", post_a(format!("/admin/sites/{a_site}"))),
        ("/admin/messages", get("/admin/messages".into())),
        ("/admin/messages", Call::NotFound(b.post("/admin/messages", &[("to", &format!("site:{a_site}")), ("body", "Taken over")]))),
        ("/api/admin/messages", call("/api/admin/messages", format!("member={ada}"))),
        ("/admin/members/{id}/lost", Call::NotFound(b.post(&format!("/admin/members/{ada}/lost"), &[("confirm", "on"), ("invite", "on")]))),
        ("/admin/invites", post("/admin/invites".into(), &[("kind", "member"), ("member", &ada.to_string())])),
        ("/admin/invites/{id}/revoke", post_a(format!("/admin/invites/{a_invite}/revoke"))),
        ("/admin/invites/{id}/resend", post_a(format!("/admin/invites/{a_invite}/resend"))),
        ("/admin/invites/{id}/qr.svg", get_a(format!("/admin/invites/{a_invite}/qr.svg"))),
        ("/admin/invites/{id}/qr.png", get_a(format!("/admin/invites/{a_invite}/qr.png"))),
        ("/admin/settings", post("/admin/settings".into(), &[("name", "Taken over")])),
        ("/admin/settings/images", post("/admin/settings/images".into(), &[("kind", "logo")])),
        ("/admin/images/{file}", get_a("/admin/images/logo.png".into())),
        ("/admin/staff", post("/admin/staff".into(), &[("email", A_STAFF), ("role", "admin")])),
        ("/admin/staff/{id}", Call::NotFound(b.post(&format!("/admin/staff/{a_staff}"), &[("role", "admin"), ("disabled", "on")]))),
        ("/admin/staff/{id}/reset", post_a(format!("/admin/staff/{a_staff}/reset"))),
        ("/admin/security", get("/admin/security".into())),
        ("/admin/security/mfa", post("/admin/security/mfa".into(), &[])),
        ("/admin/account/mfa", get("/admin/account/mfa".into())),
        ("/api/admin/mfa", call("/api/admin/mfa", String::new())),
        ("/admin/account/mfa/start", post("/admin/account/mfa/start".into(), &[])),
        ("/admin/account/mfa/confirm", post("/admin/account/mfa/confirm".into(), &[("code", "000000")])),
        ("/admin/account/mfa/off", post("/admin/account/mfa/off".into(), &[("code", "000000")])),
        ("/admin/account/mfa/recovery", post("/admin/account/mfa/recovery".into(), &[("code", "000000")])),
        ("/admin/staff/{id}/mfa-reset", post_a(format!("/admin/staff/{a_staff}/mfa-reset"))),
        ("/admin/login/code", Call::Other("the code step's challenge (none in this browser)", with_b(plain("GET", "/admin/login/code".into())), StatusCode::SEE_OTHER)),
        ("/api/admin/security", call("/api/admin/security", String::new())),
        ("/admin/security/sso", post("/admin/security/sso".into(), &[("issuer", ""), ("client_id", "")])),
        ("/admin/sso", Call::Other("the organisation's own provider (A has none; B's session counts for nothing)", with_b(plain("GET", "/admin/sso?operator=northwind".into())), StatusCode::FORBIDDEN)),
        ("/admin/sso/callback", Call::Other("the sign-in under way in this browser (none)", with_b(plain("GET", "/admin/sso/callback?code=x&state=y".into())), StatusCode::FORBIDDEN)),
        ("/admin/webhooks", get("/admin/webhooks".into())),
        ("/admin/webhooks", Call::Other("B's admin session (B's own endpoint; its host cannot be looked up here)", b.post("/admin/webhooks", &[("url", "https://hooks.b.example/x"), ("event", "pass.issued")]), StatusCode::UNPROCESSABLE_ENTITY)),
        ("/admin/webhooks/:id", get_a(format!("/admin/webhooks/{a_endpoint}"))),
        ("/api/admin/webhooks", call("/api/admin/webhooks", String::new())),
        ("/api/admin/webhook", call_a("/api/admin/webhook", format!("id={a_endpoint}"))),
        ("/admin/webhooks/{id}", Call::NotFound(b.post(&format!("/admin/webhooks/{a_endpoint}"), &[("action", "delete")]))),
        ("/admin/webhooks/deliveries/{id}/again", Call::NotFound(b.post(&format!("/admin/webhooks/deliveries/{a_delivery}/again"), &[("endpoint", &a_endpoint.to_string())]))),
        ("/admin/api-keys", get("/admin/api-keys".into())),
        ("/admin/api-keys", post("/admin/api-keys".into(), &[("name", "B's key"), ("scope", "write")])),
        ("/admin/api-keys/{id}/revoke", post_a(format!("/admin/api-keys/{a_key_id}/revoke"))),
        ("/api/admin/api_keys", call("/api/admin/api_keys", String::new())),
        ("/admin/account/password", post("/admin/account/password".into(), &[("current", "wrong"), ("password", "another long password")])),
        ("/admin/reset/{token}", post("/admin/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(), &[("password", "another long password")])),
        ("/admin/login", Call::Other("the staff member's email and password", login_req(A_ADMIN, "not the password"), StatusCode::SEE_OTHER)),
        // The server functions behind the pages, called directly.
        ("/api/admin/journeys", call("/api/admin/journeys", "filter[from]=&filter[to]=&filter[site]=&filter[outcome]=&filter[q]=&filter[page]=0".into())),
        ("/api/admin/journey", call_a("/api/admin/journey", format!("id={journey}"))),
        ("/api/admin/members", call("/api/admin/members", "q=&pass=&page=0".into())),
        ("/api/admin/member", call_a("/api/admin/member", format!("id={ada}"))),
        ("/api/admin/poster", call_a("/api/admin/poster", format!("id={a_invite}"))),
        ("/api/admin/invites", call("/api/admin/invites", String::new())),
        ("/api/admin/funnel", call("/api/admin/funnel", "from=&to=".into())),
        ("/api/admin/settings", call("/api/admin/settings", String::new())),
        ("/api/admin/staff", call("/api/admin/staff", String::new())),
        ("/api/admin/audit", call("/api/admin/audit", "page=0".into())),
        ("/api/admin/account", call("/api/admin/account", String::new())),
        ("/api/admin/reset", call("/api/admin/reset", "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())),
        // The member's journey: a link's or an invite's token is the authority, never a session.
        ("/", Call::Other("nothing (the product's home page)", with_b(plain("GET", "/".into())), StatusCode::OK)),
        ("/i/:token", Call::Other("the invite's token", with_b(plain("GET", "/i/AAAAAAAAAAAAAAAAAAAAAA".into())), StatusCode::NOT_FOUND)),
        ("/i/:token/sent", Call::Other("the invite's token and the journey", with_b(plain("GET", format!("/i/AAAAAAAAAAAAAAAAAAAAAA/sent?j={journey}"))), StatusCode::NOT_FOUND)),
        ("/l/:token", Call::Other("the link's token", with_b(plain("GET", "/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())), StatusCode::NOT_FOUND)),
        ("/l/{token}/apple", Call::Other("the link's token", with_b(plain("POST", "/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/apple".into())), StatusCode::SEE_OTHER)),
        ("/l/{token}/google", Call::Other("the link's token", with_b(plain("POST", "/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/google".into())), StatusCode::SEE_OTHER)),
        ("/l/{token}/restart", Call::Other("the link's token", with_b(plain("POST", "/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/restart".into())), StatusCode::SEE_OTHER)),
        ("/i/{token}/code", Call::Other("the invite's token and the texted code", with_b(common::http::post_form("/i/AAAAAAAAAAAAAAAAAAAAAA/code", &format!("journey={journey}&code=123456"), Some(&b.cookie))), StatusCode::SEE_OTHER)),
        ("/api/get_invite", Call::Other("the invite's token", with_b(common::http::post_form("/api/get_invite", &format!("token=AAAAAAAAAAAAAAAAAAAAAA&journey={journey}"), None)), StatusCode::NOT_FOUND)),
        ("/api/submit_number", Call::Other("the invite's token", with_b(common::http::post_form("/api/submit_number", &format!("token=AAAAAAAAAAAAAAAAAAAAAA&journey={journey}&region=GB&number=07400123001"), None)), StatusCode::FOUND)),
        ("/api/get_sent", Call::Other("the invite's token and the journey", with_b(common::http::post_form("/api/get_sent", &format!("token=AAAAAAAAAAAAAAAAAAAAAA&journey={journey}"), None)), StatusCode::NOT_FOUND)),
        ("/api/resend_link", Call::Other("the invite's token and the journey", with_b(common::http::post_form("/api/resend_link", &format!("token=AAAAAAAAAAAAAAAAAAAAAA&journey={journey}"), None)), StatusCode::FOUND)),
        ("/api/get_wallet", Call::Other("the link's token", with_b(common::http::post_form("/api/get_wallet", "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None)), StatusCode::NOT_FOUND)),
        // Machines: each has a secret of its own operator, or belongs to no operator.
        ("/access/v1/revocations", Call::Other("the operator's access token (B's finds only B's revocations)", bearer("/access/v1/revocations", &b_token), StatusCode::OK)),
        ("/webhooks/crm/{operator}", Call::Other("the operator's webhook secret (B's secret on A's address)", crm_signed, StatusCode::UNAUTHORIZED)),
        ("/wallet/google/callback", Call::Other("Google's signature (and no callback keys here)", with_b(plain("POST", "/wallet/google/callback".into())), StatusCode::NOT_FOUND)),
        ("/webhooks/twilio/status", Call::Other("the provider's signature (and no Twilio here)", with_b(common::http::post_form("/webhooks/twilio/status", "MessageSid=SM1&MessageStatus=delivered", None)), StatusCode::NOT_FOUND)),
        ("/passkit/v1/passes/{pass_type}/{serial}", Call::Other("the pass's authentication token", with_b(bearer(&format!("/passkit/v1/passes/{pass_type}/{serial}"), "ApplePass-not-the-token")), StatusCode::UNAUTHORIZED)),
        ("/passkit/v1/devices/{device}/registrations/{pass_type}/{serial}", Call::Other("the pass's authentication token", with_b(plain("POST", format!("/passkit/v1/devices/d1/registrations/{pass_type}/{serial}"))), StatusCode::UNAUTHORIZED)),
        ("/passkit/v1/devices/{device}/registrations/{pass_type}", Call::Other("the device library id (answers serials only)", with_b(plain("GET", format!("/passkit/v1/devices/d1/registrations/{pass_type}"))), StatusCode::NO_CONTENT)),
        ("/passkit/v1/log", Call::Other("nothing (Wallet's error log)", with_b(
                Request::post("/passkit/v1/log")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"logs":["x"]}"#))
                    .unwrap(),
            ), StatusCode::OK)),
        ("/credential-key.pem", Call::Other("nothing (the public key readers verify with)", with_b(plain("GET", "/credential-key.pem".into())), StatusCode::OK)),
        ("/metrics", Call::Other("the operator's allowed addresses (none here)", with_b(plain("GET", "/metrics".into())), StatusCode::NOT_FOUND)),
        ("/dev/outbox", Call::Other("loopback only (the development outbox)", with_b(plain("GET", "/dev/outbox".into())), StatusCode::NOT_FOUND)),
        ("/healthz", Call::Other("nothing (liveness)", with_b(plain("GET", "/healthz".into())), StatusCode::OK)),
        ("/readyz", Call::Other("nothing (readiness)", with_b(plain("GET", "/readyz".into())), StatusCode::OK)),
        ("/admin/logout", Call::Other("the session it ends (B's own)", b.post("/admin/logout", &[]), StatusCode::SEE_OTHER)),
        // The REST API: B's key finds none of A's things, and its lists hold only B's.
        ("GET /v1/members", Call::Other(B_KEY, api("GET", "/v1/members".into(), None), StatusCode::OK)),
        ("GET /v1/members/{external_id}", Call::Other(B_KEY, api("GET", format!("/v1/members/{a_member}"), None), StatusCode::NOT_FOUND)),
        ("POST /v1/members/{external_id}/deactivate", Call::Other(B_KEY, api("POST", format!("/v1/members/{a_member}/deactivate"), None), StatusCode::NOT_FOUND)),
        ("PUT /v1/members/{external_id}", Call::Other("the operator's API key (B's own member; tests/api.rs: A's external id from B's key makes B's own)", api("PUT", "/v1/members/b-2".into(), Some(r#"{"first_name":"Mallory","last_name":"B","mobile":"+447400999003"}"#)), StatusCode::CREATED)),
        ("GET /v1/invites", Call::Other(B_KEY, api("GET", "/v1/invites".into(), None), StatusCode::OK)),
        ("POST /v1/invites", Call::Other(B_KEY, api("POST", "/v1/invites".into(), Some(&format!(r#"{{"kind":"poster","site_id":{a_site}}}"#))), StatusCode::UNPROCESSABLE_ENTITY)),
        ("GET /v1/invites/{id}", Call::Other(B_KEY, api("GET", format!("/v1/invites/{a_invite}"), None), StatusCode::NOT_FOUND)),
        ("POST /v1/invites/{id}/revoke", Call::Other(B_KEY, api("POST", format!("/v1/invites/{a_invite}/revoke"), None), StatusCode::NOT_FOUND)),
        ("GET /v1/invites/{id}/qr.svg", Call::Other(B_KEY, api("GET", format!("/v1/invites/{a_invite}/qr.svg"), None), StatusCode::NOT_FOUND)),
        ("GET /v1/invites/{id}/qr.png", Call::Other(B_KEY, api("GET", format!("/v1/invites/{a_invite}/qr.png"), None), StatusCode::NOT_FOUND)),
        ("GET /v1/journeys", Call::Other(B_KEY, api("GET", "/v1/journeys".into(), None), StatusCode::OK)),
        ("GET /v1/journeys/{id}", Call::Other(B_KEY, api("GET", format!("/v1/journeys/{journey}"), None), StatusCode::NOT_FOUND)),
        ("GET /v1/passes", Call::Other(B_KEY, api("GET", format!("/v1/passes?member_external_id={a_member}"), None), StatusCode::OK)),
        ("POST /v1/passes/{id}/void", Call::Other(B_KEY, api("POST", format!("/v1/passes/{}/void", a_pass.id), None), StatusCode::NOT_FOUND)),
        ("GET /v1/sites", Call::Other(B_KEY, api("GET", "/v1/sites".into(), None), StatusCode::OK)),
        ("GET /v1/events", Call::Other(B_KEY, api("GET", "/v1/events".into(), None), StatusCode::OK)),
        ("/v1/openapi.json", Call::Other("nothing (the API's public description)", with_b(plain("GET", "/v1/openapi.json".into())), StatusCode::OK)),
        ("/v1/docs", Call::Other("nothing (the API's public docs)", with_b(plain("GET", "/v1/docs".into())), StatusCode::OK)),
        ("/v1", Call::Other("nothing (no such route)", with_b(plain("GET", "/v1".into())), StatusCode::NOT_FOUND)),
        ("/v1/", Call::Other("nothing (no such route)", with_b(plain("GET", "/v1/".into())), StatusCode::NOT_FOUND)),
        ("/v1/{*rest}", Call::Other("nothing (no such route)", api("GET", "/v1/members/x/y/z".into(), None), StatusCode::NOT_FOUND)),
    ];

    // Every route has its row, and every row a route.
    let listed: std::collections::BTreeSet<String> =
        table.iter().map(|(route, _)| (*route).to_owned()).collect();
    let routes = every_route();
    let missing: Vec<_> = routes.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the tenancy table: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );

    let a_things = [
        "Lovelace",
        "nw-1001",
        a_name.as_str(),
        A_ADMIN,
        A_STAFF,
        serial.as_str(),
    ];
    // Every row is tried; the failures are reported together.
    let mut wrong = Vec::new();
    for (route, call) in table.drain(..) {
        let (req, expected, why) = match call {
            Call::Admin(req) => (req, None, "B's admin session"),
            Call::NotFound(req) => (req, Some(StatusCode::NOT_FOUND), "B's admin, A's id"),
            Call::Other(why, req, status) => (req, Some(status), why),
        };
        let uri = req.uri().to_string();
        let r = common::send(&d.router, req).await;
        let body = r.text();
        let status_ok = match expected {
            Some(status) => r.status == status,
            None => {
                r.status == StatusCode::NOT_FOUND
                    || r.status.is_success()
                    || r.status.is_redirection()
                    || r.status == StatusCode::BAD_REQUEST
            }
        };
        if !status_ok {
            wrong.push(format!(
                "{route} ({why}): {} (expected {expected:?}): {body:.200}",
                r.status
            ));
        }
        for a_thing in a_things {
            if body.contains(a_thing) {
                wrong.push(format!("{route} ({uri}, {why}) shows {a_thing}"));
            }
        }
        if let Some(place) = r.headers.get(header::LOCATION) {
            if place.to_str().unwrap_or_default().contains(&a_name) {
                wrong.push(format!("{route} sends B to {place:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}:\n{}", d._t.name, wrong.join("\n"));

    // Nothing of A changed: its name, its staff, its member's pass and credentials, its audit log.
    assert_eq!(store.operator(d.a).await.unwrap().unwrap().name, a_name);
    let staff = store.staff_by_email(A_STAFF).await.unwrap().unwrap();
    assert_eq!((staff.role.as_str(), staff.disabled_at), ("staff", None));
    let member = store
        .member_by_external_id(d.a, "nw-1001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        member.first_name, "Ada",
        "the CRM webhook signed with B's secret changed nothing"
    );
    assert!(store.operator_image(d.a, "logo").await.unwrap().is_some());
    // A's log gained only the failed sign-in to A's account: A's to see.
    let audit = store.audit_entries(d.a, 1000, 0).await.unwrap();
    let new: Vec<_> = audit[..audit.len() - audit_before]
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert!(
        new.iter()
            .all(|(actor, action)| *actor == A_ADMIN && action.contains("sign")),
        "{new:?}"
    );
    assert!(
        store.invite_rows(d.b, 10).await.unwrap().is_empty(),
        "B made no invite of A's member"
    );
}

/// Ada's Apple pass as Wallet holds it: (journey, PassKit registration path without the device,
/// authentication token).
async fn ada_with_an_apple_pass(d: &Dash) -> (String, String, String) {
    let journey = common::enter_number(&d.router, &d.token, "07400123001").await;
    let link = common::texted_link(&d.state).await;
    let (status, _, _) = common::send(
        &d.router,
        Request::post(format!("{link}/apple"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK);
    let pass = d
        .state
        .store
        .wallet_passes_for_member(ada_id(d).await)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.platform == "apple" && p.voided_at.is_none())
        .expect("Ada's Apple pass");
    let pass_type = d.state.config.apple_wallet.pass_type_id.clone();
    (
        journey,
        format!("registrations/{pass_type}/{}", pass.serial),
        pass.auth_token.unwrap(),
    )
}

/// A PassKit call from `device` about Ada's pass.
fn passkit(method: &str, device: &str, path: &str, auth: &str, push_token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(format!("/passkit/v1/devices/{device}/{path}"))
        .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(r#"{{"pushToken": "{push_token}"}}"#)))
        .unwrap()
}

/// Who holds the pass where: each device the pass was added to and removed from is kept and
/// shown on the member page and the timeline, the members list filters by it, and a device
/// beyond the operator's rule is a warning for staff.
#[tokio::test]
async fn a_members_devices_show_where_the_pass_is_and_the_rule_warns_past_it() {
    common::each_store(|| async {
        let d = dashboard_on(common::scoped_store().await, &[]).await;
        let b = sign_in(&d.router, A_ADMIN).await;
        let (journey, reg, auth) = ada_with_an_apple_pass(&d).await;
        let id = ada_id(&d).await;
        let listed = |state: &'static str| {
            let (d, b) = (&d, &b);
            async move {
                let (status, _, html) =
                    common::send(&d.router, b.get(&format!("/admin/members?pass={state}")))
                        .await
                        .parts();
                assert_eq!(status, StatusCode::OK);
                html.contains("Ada Lovelace</a>")
            }
        };
        let member_page = || async {
            let (status, _, html) = common::send(&d.router, b.get(&format!("/admin/members/{id}")))
                .await
                .parts();
            assert_eq!(status, StatusCode::OK);
            html
        };
        let timeline = || async {
            let (_, _, html) =
                common::send(&d.router, b.get(&format!("/admin/journeys/{journey}")))
                    .await
                    .parts();
            html
        };
        // Downloaded, not on a device yet.
        assert!(listed("not_added").await && !listed("in_wallet").await);
        assert!(!member_page().await.contains("data-testid=\"device\""));

        // A phone and a watch add it; the phone asks again (Wallet does, on every launch).
        for (device, token, status) in [
            ("phone-0001", "aa01", StatusCode::CREATED),
            ("watch-0002", "aa02", StatusCode::CREATED),
            ("phone-0001", "aa01", StatusCode::OK),
        ] {
            let (got, _, _) = common::send(&d.router, passkit("POST", device, &reg, &auth, token))
                .await
                .parts();
            assert_eq!(got, status, "{device}");
        }
        let html = member_page().await;
        assert_eq!(html.matches("data-testid=\"device\"").count(), 2, "{html}");
        assert_eq!(html.matches("on the device").count(), 2, "{html}");
        assert!(html.contains("<code>…e-0001</code>") && html.contains("<code>…h-0002</code>"));
        assert!(!html.contains("device-warning"), "two is within the rule");
        let t = timeline().await;
        assert!(t.contains("Added to Apple Wallet"), "{t}");
        assert!(t.contains("on a first device") && t.contains("on a second device"));
        assert!(!t.contains("on a third device"), "a repeat adds nothing");
        assert!(listed("in_wallet").await && !listed("not_added").await);

        // A third device is past the rule of 2: kept (Wallet does not ask), and a warning.
        let (got, _, _) = common::send(
            &d.router,
            passkit("POST", "tablet-0003", &reg, &auth, "aa03"),
        )
        .await
        .parts();
        assert_eq!(got, StatusCode::CREATED);
        let html = member_page().await;
        assert!(
            html.contains("This pass is on 3 Apple devices; the device rule allows 2."),
            "{html}"
        );
        let t = timeline().await;
        assert!(t.contains("On more Apple devices than allowed"), "{t}");
        assert!(t.contains("3 devices; the rule allows 2"), "{t}");

        // The operator allows three: the warning goes.
        let settings = [
            ("name", "Northwind Workspace"),
            ("brand_color", "#1f4fd1"),
            ("accent_color", "#0b1f4d"),
            ("default_region", "GB"),
            ("link_minutes", "10"),
            ("invite_days", "30"),
            ("sms_hourly_budget", "500"),
            ("credential_format", "h10301"),
            ("max_apple_devices", "3"),
        ];
        let (_, headers, _) = common::send(&d.router, b.post("/admin/settings", &settings))
            .await
            .parts();
        assert_eq!(location(&headers), "/admin/settings?done=saved");
        assert!(!member_page().await.contains("device-warning"));
        let (_, headers, _) = common::send(
            &d.router,
            b.post(
                "/admin/settings",
                &[&settings[..8], &[("max_apple_devices", "11")]].concat(),
            ),
        )
        .await
        .parts();
        assert_eq!(location(&headers), "/admin/settings?error=bad-number");

        // Removed from every device, one by one: kept, with when; the pass no longer lists
        // for them, and the member shows as removed.
        for device in ["phone-0001", "watch-0002", "tablet-0003"] {
            let (got, _, _) = common::send(&d.router, passkit("DELETE", device, &reg, &auth, ""))
                .await
                .parts();
            assert_eq!(got, StatusCode::OK);
        }
        let html = member_page().await;
        assert_eq!(html.matches("data-testid=\"device\"").count(), 3);
        assert_eq!(html.matches(": removed ").count(), 3, "{html}");
        let t = timeline().await;
        assert!(t.contains("Removed from Apple Wallet"), "{t}");
        assert!(
            t.contains("removed from a device; still on 2 devices"),
            "{t}"
        );
        assert!(t.contains("removed from a device; on no device now"), "{t}");
        let list = format!(
            "/passkit/v1/devices/phone-0001/{}",
            reg.rsplit_once('/').unwrap().0
        );
        let (got, _, _) = common::send(&d.router, Request::get(list).body(Body::empty()).unwrap())
            .await
            .parts();
        assert_eq!(
            got,
            StatusCode::NO_CONTENT,
            "no pass for a device that removed it"
        );
        assert!(listed("removed").await && !listed("in_wallet").await);

        // Added back on the phone: active again, the same device row, a new add on the timeline.
        let (got, _, _) = common::send(
            &d.router,
            passkit("POST", "phone-0001", &reg, &auth, "aa01"),
        )
        .await
        .parts();
        assert_eq!(got, StatusCode::CREATED);
        let html = member_page().await;
        assert_eq!(html.matches("data-testid=\"device\"").count(), 3);
        assert_eq!(html.matches("on the device").count(), 1, "{html}");
        assert!(listed("in_wallet").await);

        // Voided: the member shows as voided, whatever devices still hold it.
        let pass = d
            .state
            .store
            .wallet_passes_for_member(id)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.platform == "apple")
            .unwrap();
        assert!(d.state.store.void_wallet_pass(pass.id).await.unwrap());
        assert!(listed("voided").await && !listed("in_wallet").await && !listed("not_added").await);
        assert!(!member_page().await.contains("device-warning"));
    })
    .await;
}

#[tokio::test]
async fn a_journey_that_missed_then_matched_explains_no_miss() {
    let d = dashboard(&[]).await;
    let b = sign_in(&d.router, A_STAFF).await;
    let journey = common::enter_number(&d.router, &d.token, "07400123099").await;
    let page = || async {
        let (_, _, html) = common::send(&d.router, b.get(&format!("/admin/journeys/{journey}")))
            .await
            .parts();
        html
    };
    assert!(
        page().await.contains("data-testid=\"miss-reason\""),
        "a miss explains itself"
    );
    // The same journey, a number that matches.
    let form = format!(
        "token={}&journey={journey}&region=GB&number=07400123001",
        d.token
    );
    let (status, _, _) = common::send(
        &d.router,
        common::http::post_form("/api/submit_number", &form, None),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FOUND);
    let html = page().await;
    assert!(
        html.contains("Number not found"),
        "the miss stays on the timeline"
    );
    assert!(!html.contains("data-testid=\"miss-reason\""), "{html}");
}

/// Wallet retries, and a registration can come several times at once: the device is added once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registration_sent_eight_times_at_once_adds_the_device_once() {
    common::each_store(|| async {
        let d = std::sync::Arc::new(dashboard_on(common::scoped_store().await, &[]).await);
        let (journey, reg, auth) = ada_with_an_apple_pass(&d).await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (d, reg, auth) = (d.clone(), reg.clone(), auth.clone());
            tasks.push(tokio::spawn(async move {
                common::send(
                    &d.router,
                    passkit("POST", "phone-0001", &reg, &auth, "aa01"),
                )
                .await
                .parts()
                .0
            }));
        }
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                StatusCode::CREATED => created += 1,
                StatusCode::OK => {}
                other => panic!("a registration answered {other}"),
            }
        }
        assert_eq!(created, 1, "one 201, the rest 200");
        let j = d
            .state
            .store
            .journey_by_public_id(&journey)
            .await
            .unwrap()
            .unwrap();
        let added = d
            .state
            .store
            .journey_events(j.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "apple_pass_registered")
            .count();
        assert_eq!(added, 1, "one add on the timeline");
        let devices = d
            .state
            .store
            .pass_devices_for_member(ada_id(&d).await)
            .await
            .unwrap();
        assert_eq!(devices.len(), 1);
    })
    .await;
}

/// An APNs stand-in on loopback that records the device tokens it was asked to push to.
async fn apns_stand_in() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = Router::new().route(
        "/3/device/{token}",
        axum::routing::post(
            move |axum::extract::Path(token): axum::extract::Path<String>| {
                let record = record.clone();
                async move {
                    record.lock().unwrap().push(token);
                    StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// A lost phone, reported by staff: every pass of the member is voided at once, the devices
/// holding it are pushed (APNs is asked for each), the generated credential reaches the access
/// system's revocation feed, and a new invite goes out by email in the same step.
#[tokio::test]
async fn a_lost_phone_voids_every_pass_at_once_and_sends_a_new_invite() {
    common::each_store(|| async {
        let (apns, pushed) = apns_stand_in().await;
        let d = dashboard_on(
            common::scoped_store().await,
            &[("ELUMO_APNS_BASE_URL", &apns)],
        )
        .await;
        let staff = sign_in(&d.router, A_STAFF).await;
        let (journey, reg, auth) = ada_with_an_apple_pass(&d).await;
        for (device, token) in [("phone-0001", "aa01"), ("watch-0002", "aa02")] {
            let (got, _, _) = common::send(&d.router, passkit("POST", device, &reg, &auth, token))
                .await
                .parts();
            assert_eq!(got, StatusCode::CREATED);
        }
        let id = ada_id(&d).await;
        let live = || async {
            d.state
                .store
                .wallet_passes_for_member(id)
                .await
                .unwrap()
                .iter()
                .filter(|p| p.voided_at.is_none())
                .count()
        };
        let (_, _, page) = common::send(&d.router, staff.get(&format!("/admin/members/{id}")))
            .await
            .parts();
        assert!(page.contains("Phone lost or stolen?"), "{page}");

        // Without the confirming tick nothing happens.
        let lost = format!("/admin/members/{id}/lost");
        let (_, headers, _) = common::send(&d.router, staff.post(&lost, &[("invite", "on")]))
            .await
            .parts();
        assert_eq!(
            location(&headers),
            format!("/admin/members/{id}?error=confirm-lost")
        );
        assert_eq!(live().await, 1);

        let (_, headers, _) = common::send(
            &d.router,
            staff.post(&lost, &[("invite", "on"), ("confirm", "on")]),
        )
        .await
        .parts();
        assert_eq!(
            location(&headers),
            format!("/admin/members/{id}?done=phone-lost-invite-sent")
        );
        assert_eq!(live().await, 0, "every pass voided");

        // Both devices are told at once, and fetch the voided pass.
        common::push_due(&d.state).await;
        let mut tokens = pushed.lock().unwrap().clone();
        tokens.sort();
        assert_eq!(tokens, ["aa01", "aa02"]);
        let serial = reg.rsplit('/').next().unwrap();
        let pass_type = &d.state.config.apple_wallet.pass_type_id;
        let r = common::send(
            &d.router,
            Request::get(format!("/passkit/v1/passes/{pass_type}/{serial}"))
                .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let pass: serde_json::Value =
            serde_json::from_slice(&common::unzip(&r.body)["pass.json"]).unwrap();
        assert_eq!(pass["voided"], true);

        // The access system hears of Ada's generated credential.
        let revoked = d.state.store.access_revocations(d.a, 0, 100).await.unwrap();
        assert_eq!(revoked.len(), 1, "{revoked:?}");
        assert_eq!(
            (revoked[0].external_id.as_str(), revoked[0].source.as_str()),
            ("nw-1001", "digital")
        );

        // A new invite is in Ada's mail, and it opens the phone page.
        let outbox = &d.state.config.mail.outbox_dir;
        let mails: Vec<String> = std::fs::read_dir(outbox)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(mails.len(), 1);
        assert!(mails[0].contains("ada@example.com"), "{}", mails[0]);
        let link = mails[0]
            .lines()
            .find_map(|l| l.strip_prefix("https://pass.example.test"))
            .expect("the invite link")
            .trim()
            .to_owned();
        let (status, _, html) =
            common::send(&d.router, Request::get(&link).body(Body::empty()).unwrap())
                .await
                .parts();
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Get your digital pass"));

        // The timeline and the audit log say who did it.
        let (_, _, t) = common::send(&d.router, staff.get(&format!("/admin/journeys/{journey}")))
            .await
            .parts();
        assert!(t.contains("phone reported lost by staff@a.example"), "{t}");
        let audit = d.state.store.audit_entries(d.a, 10, 0).await.unwrap();
        assert!(audit
            .iter()
            .any(|a| a.action == "phone_lost" && a.actor == A_STAFF && a.detail == "voided apple"));

        // Reported twice: nothing left to void, no second invite.
        let (_, headers, _) = common::send(&d.router, staff.post(&lost, &[("confirm", "on")]))
            .await
            .parts();
        assert_eq!(
            location(&headers),
            format!("/admin/members/{id}?error=nothing-to-revoke")
        );
    })
    .await;
}

/// Staff write to the holders of a site's passes: each pass takes the message (Apple: a back
/// field with a changeMessage, so the update is a notification), the devices are pushed, and
/// the list says how far it reached; bad messages are refused with a reason, and nothing is sent.
#[tokio::test]
async fn a_message_reaches_the_holders_of_a_site_and_says_how_far() {
    common::each_store(|| async {
        let (apns, pushed) = apns_stand_in().await;
        let d = dashboard_on(
            common::scoped_store().await,
            &[("ELUMO_APNS_BASE_URL", &apns)],
        )
        .await;
        let staff = sign_in(&d.router, A_STAFF).await;
        let (_, reg, auth) = ada_with_an_apple_pass(&d).await;
        let (got, _, _) = common::send(
            &d.router,
            passkit("POST", "phone-0001", &reg, &auth, "aa01"),
        )
        .await
        .parts();
        assert_eq!(got, StatusCode::CREATED);
        let ada_pass = d
            .state
            .store
            .wallet_passes_for_member(ada_id(&d).await)
            .await
            .unwrap();
        let site = d
            .state
            .store
            .sites_of(d.a)
            .await
            .unwrap()
            .into_iter()
            .find(|s| ada_pass[0].site_name.as_deref() == Some(s.name.as_str()))
            .expect("the site of Ada's pass");
        let to = format!("site:{}", site.id);
        let body = "The lobby door is closed today: use the side entrance on Rivington Street.";

        // Refused with a reason, nothing sent.
        for (text, code) in [
            ("   ", "message-empty"),
            (&"x".repeat(161)[..], "message-too-long"),
        ] {
            let (_, headers, _) = common::send(
                &d.router,
                staff.post("/admin/messages", &[("to", &to), ("body", text)]),
            )
            .await
            .parts();
            assert_eq!(location(&headers), format!("/admin/messages?error={code}"));
        }
        assert!(d
            .state
            .store
            .holder_messages(d.a, 10)
            .await
            .unwrap()
            .is_empty());

        let (_, headers, _) = common::send(
            &d.router,
            staff.post("/admin/messages", &[("to", &to), ("body", body)]),
        )
        .await
        .parts();
        assert_eq!(location(&headers), "/admin/messages?done=message-sent");
        let (_, _, html) = common::send(&d.router, staff.get("/admin/messages"))
            .await
            .parts();
        assert!(html.contains(body), "{html}");
        assert!(
            html.contains("1 pass: 1 on an Apple device (pushed), 0 Google passes notified"),
            "{html}"
        );

        // The phone is pushed and fetches a pass that carries the message as a notification.
        common::push_due(&d.state).await;
        assert_eq!(pushed.lock().unwrap().clone(), ["aa01"]);
        let serial = reg.rsplit('/').next().unwrap();
        let pass_type = &d.state.config.apple_wallet.pass_type_id;
        let r = common::send(
            &d.router,
            Request::get(format!("/passkit/v1/passes/{pass_type}/{serial}"))
                .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let pass: serde_json::Value =
            serde_json::from_slice(&common::unzip(&r.body)["pass.json"]).unwrap();
        let field = &pass["generic"]["backFields"][0];
        assert_eq!(field["key"], "message");
        assert_eq!(field["value"], body);
        assert_eq!(field["changeMessage"], "%@");

        // A site nobody holds a pass of: refused, not recorded.
        let empty = d
            .state
            .store
            .insert_site(d.a, "Northwind Empty Floor", None)
            .await
            .unwrap();
        let (_, headers, _) = common::send(
            &d.router,
            staff.post(
                "/admin/messages",
                &[("to", &format!("site:{empty}")), ("body", "Hello")],
            ),
        )
        .await
        .parts();
        assert_eq!(
            location(&headers),
            "/admin/messages?error=message-no-passes"
        );
        assert_eq!(
            d.state.store.holder_messages(d.a, 10).await.unwrap().len(),
            1
        );
        let audit = d.state.store.audit_entries(d.a, 10, 0).await.unwrap();
        assert!(audit
            .iter()
            .any(|a| a.action == "message_sent" && a.actor == A_STAFF));
    })
    .await;
}

/// An admin sets where a site's door is: the site's passes update and carry it as their
/// location, with the entrance in the lock-screen text; a location that is not one is refused
/// with a reason, and clearing it takes it off the passes.
#[tokio::test]
async fn a_sites_door_puts_its_passes_on_the_lock_screen_there() {
    common::each_store(|| async {
        let d = dashboard_on(common::scoped_store().await, &[]).await;
        let admin = sign_in(&d.router, A_ADMIN).await;
        let (_, reg, auth) = ada_with_an_apple_pass(&d).await;
        let pass = d
            .state
            .store
            .wallet_passes_for_member(ada_id(&d).await)
            .await
            .unwrap()[0]
            .clone();
        let site = d
            .state
            .store
            .site_by_name(d.a, pass.site_name.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        let save = |fields: Vec<(&'static str, &'static str)>| {
            let req = admin.post(&format!("/admin/sites/{}", site.id), &fields);
            let router = d.router.clone();
            async move { location(&common::send(&router, req).await.parts().1) }
        };
        let latest = || async {
            let serial = reg.rsplit('/').next().unwrap();
            let pass_type = &d.state.config.apple_wallet.pass_type_id;
            let r = common::send(
                &d.router,
                Request::get(format!("/passkit/v1/passes/{pass_type}/{serial}"))
                    .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            serde_json::from_slice::<serde_json::Value>(&common::unzip(&r.body)["pass.json"])
                .unwrap()
        };
        assert!(latest().await.get("locations").is_none());

        for bad in [
            vec![("latitude", "91"), ("longitude", "0")],
            vec![("latitude", "51.5"), ("longitude", "")],
            vec![("latitude", "north"), ("longitude", "-0.07")],
        ] {
            assert_eq!(save(bad).await, "/admin/settings?error=bad-location");
        }
        assert!(
            latest().await.get("locations").is_none(),
            "nothing refused was saved"
        );

        let before = pass.updated_at;
        assert_eq!(
            save(vec![
                ("latitude", "51.5246"),
                ("longitude", "-0.0781"),
                ("entrance", "Main entrance")
            ])
            .await,
            "/admin/settings?done=site-saved"
        );
        let pass_json = latest().await;
        let at = &pass_json["locations"][0];
        assert_eq!(at["latitude"], 51.5246);
        assert_eq!(at["longitude"], -0.0781);
        assert_eq!(
            at["relevantText"],
            format!(
                "{}, Main entrance: hold your phone to the reader",
                site.name
            )
        );
        let after = d.state.store.wallet_pass(pass.id).await.unwrap().unwrap();
        assert!(after.updated_at >= before);
        assert_eq!(
            common::scalar(
                &d._t,
                &format!(
                    "SELECT COUNT(*) FROM wallet_passes WHERE id = {} AND push_due_at IS NOT NULL",
                    pass.id
                )
            )
            .await,
            1,
            "the pass is queued for its wallet"
        );
        let (_, _, page) = common::send(&d.router, admin.get("/admin/settings"))
            .await
            .parts();
        assert!(page.contains("value=\"51.5246\"") && page.contains("value=\"Main entrance\""));

        // Staff may not move the door.
        let staff = sign_in(&d.router, A_STAFF).await;
        let (status, _, _) = common::send(
            &d.router,
            staff.post(
                &format!("/admin/sites/{}", site.id),
                &[("latitude", "0"), ("longitude", "0")],
            ),
        )
        .await
        .parts();
        assert_eq!(status, StatusCode::FORBIDDEN);

        assert_eq!(
            save(vec![("latitude", ""), ("longitude", "")]).await,
            "/admin/settings?done=site-saved"
        );
        assert!(latest().await.get("locations").is_none(), "cleared");
    })
    .await;
}

/// One member's press of "Add to Apple Wallet" or "Add to Google Wallet" on a link: the answer,
/// and the link's claim cookie (for the next press in the same browser).
async fn press(
    d: &Dash,
    link: &str,
    platform: &str,
    cookie: Option<&str>,
) -> (common::http::Reply, Option<String>) {
    let mut req = Request::post(format!("{link}/{platform}"));
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let r = common::send(&d.router, req.body(Body::empty()).unwrap()).await;
    let cookie = common::http::set_cookies(&r.headers)
        .into_iter()
        .next()
        .or(cookie.map(str::to_owned));
    (r, cookie)
}

/// The pass.json of a `.pkpass` answer.
fn pass_json(r: &common::http::Reply) -> serde_json::Value {
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{:?} {}",
        r.headers.get(header::LOCATION),
        r.text()
    );
    serde_json::from_slice(&common::unzip(&r.body)["pass.json"]).unwrap()
}

/// The latest pass as Wallet fetches it from the web service.
async fn fetched(d: &Dash, serial: &str, auth: &str) -> serde_json::Value {
    let pass_type = &d.state.config.apple_wallet.pass_type_id;
    let r = common::send(
        &d.router,
        Request::get(format!("/passkit/v1/passes/{pass_type}/{serial}"))
            .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    pass_json(&r)
}

/// A member on a new phone: starting again from the invite gives a new pass (a new serial,
/// token and generated number) while the old phone's pass keeps working; once the new phone
/// adds it (eight registrations at once, as Wallet retries), the old pass is voided and the old
/// phone pushed, the old number is in the access system's revocation feed, the member's Google
/// pass moves to the new number, and the timeline and member page say what happened, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_phone_gets_a_new_pass_that_replaces_the_old_one_once_added() {
    common::each_store(|| async {
        let (apns, pushed) = apns_stand_in().await;
        let d = std::sync::Arc::new(
            dashboard_on(
                common::scoped_store().await,
                &[
                    ("ELUMO_APNS_BASE_URL", &apns),
                    ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "5"),
                ],
            )
            .await,
        );
        let staff = sign_in(&d.router, A_STAFF).await;
        let pass_type = d.state.config.apple_wallet.pass_type_id.clone();
        let id = ada_id(&d).await;

        // The old phone: an Apple pass, added there, and a Google pass on the same journey.
        common::enter_number(&d.router, &d.token, "07400123001").await;
        let old_link = common::texted_link(&d.state).await;
        let (_, _, page) =
            common::send(&d.router, Request::get(&old_link).body(Body::empty()).unwrap())
                .await
                .parts();
        assert!(page.contains("Your pass is ready") && !page.contains("other-phone"), "{page}");
        let (r, old_cookie) = press(&d, &old_link, "apple", None).await;
        let old = pass_json(&r);
        let (old_serial, old_auth) = (
            old["serialNumber"].as_str().unwrap().to_owned(),
            old["authenticationToken"].as_str().unwrap().to_owned(),
        );
        let old_reg = format!("registrations/{pass_type}/{old_serial}");
        let (got, _, _) = common::send(
            &d.router,
            passkit("POST", "phone-0001", &old_reg, &old_auth, "aa01"),
        )
        .await
        .parts();
        assert_eq!(got, StatusCode::CREATED);
        let (r, _) = press(&d, &old_link, "google", old_cookie.as_deref()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let old_number = old["barcodes"][0]["message"].as_str().unwrap().to_owned();

        // The new phone: the invite again, a new journey and text; the page says what adding
        // it here does; a new pass.
        let journey = common::enter_number(&d.router, &d.token, "07400123001").await;
        let link = common::texted_link(&d.state).await;
        let (_, _, page) = common::send(&d.router, Request::get(&link).body(Body::empty()).unwrap())
            .await
            .parts();
        assert!(
            page.contains("You already have this pass on another phone. Once you add it here, the pass on the other phone stops working."),
            "{page}"
        );
        let (r, cookie) = press(&d, &link, "apple", None).await;
        let new = pass_json(&r);
        let (serial, auth) = (
            new["serialNumber"].as_str().unwrap().to_owned(),
            new["authenticationToken"].as_str().unwrap().to_owned(),
        );
        assert_ne!(serial, old_serial, "a new serial");
        assert_ne!(auth, old_auth, "a new authentication token");
        let new_number = new["barcodes"][0]["message"].as_str().unwrap().to_owned();
        assert_ne!(new_number, old_number, "a new generated number");
        // Downloading again on the new phone is the same new pass, not a third.
        let (r, _) = press(&d, &link, "apple", cookie.as_deref()).await;
        assert_eq!(pass_json(&r)["serialNumber"], serial.as_str());

        let member_page = || async {
            let (_, _, html) = common::send(&d.router, staff.get(&format!("/admin/members/{id}")))
                .await
                .parts();
            html
        };
        assert!(member_page().await.contains(">Waiting to be added on a new phone<"));

        // Until the new phone adds it, the old phone's pass works and nobody is told anything.
        assert_eq!(common::push_due(&d.state).await, 0);
        assert!(pushed.lock().unwrap().is_empty());
        assert!(fetched(&d, &old_serial, &old_auth).await.get("voided").is_none());
        assert!(d.state.store.access_revocations(d.a, 0, 10).await.unwrap().is_empty());

        // The new phone adds it; Wallet sends the registration eight times at once.
        let reg = format!("registrations/{pass_type}/{serial}");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (d, reg, auth) = (d.clone(), reg.clone(), auth.clone());
            tasks.push(tokio::spawn(async move {
                common::send(&d.router, passkit("POST", "phone-0002", &reg, &auth, "bb02"))
                    .await
                    .status
            }));
        }
        for task in tasks {
            let got = task.await.unwrap();
            assert!(got == StatusCode::CREATED || got == StatusCode::OK, "{got}");
        }

        // The old phone is pushed and fetches its pass void; the new one carries the new number.
        common::push_due(&d.state).await;
        assert_eq!(pushed.lock().unwrap().clone(), ["aa01"]);
        assert_eq!(fetched(&d, &old_serial, &old_auth).await["voided"], true);
        let now = fetched(&d, &serial, &auth).await;
        assert!(now.get("voided").is_none());
        assert_eq!(now["barcodes"][0]["message"], new_number.as_str());

        // The access system hears of the old number once; the member's passes carry the new.
        let revoked = d.state.store.access_revocations(d.a, 0, 10).await.unwrap();
        assert_eq!(revoked.len(), 1, "{revoked:?}");
        assert_eq!(revoked[0].source, "digital");
        assert_eq!(
            format!("H10301:{}:{}", revoked[0].facility_code, revoked[0].card_number),
            old_number
        );
        let passes = d.state.store.wallet_passes_for_member(id).await.unwrap();
        let live: Vec<_> = passes.iter().filter(|p| p.voided_at.is_none()).collect();
        assert_eq!(live.len(), 2, "{passes:?}");
        assert!(live.iter().all(|p| p.pending_at.is_none()));
        let credentials = d.state.store.credentials_for_member(id).await.unwrap();
        let new_credential = credentials
            .iter()
            .find(|c| format!("H10301:{}:{}", c.facility_code, c.card_number) == new_number)
            .unwrap();
        assert!(new_credential.revoked_at.is_none() && new_credential.pending_at.is_none());
        assert!(
            live.iter().all(|p| p.credential_id == new_credential.id),
            "the Google pass moved to the new number too"
        );

        // The timeline says it once; the member page shows the old pass replaced.
        let html = member_page().await;
        assert_eq!(html.matches(">Replaced on a new phone<").count(), 1, "{html}");
        assert!(!html.contains("Waiting to be added on a new phone"));
        assert!(html.contains("holds it, shown as no longer valid"), "{html}");
        let (_, _, t) = common::send(&d.router, staff.get(&format!("/admin/journeys/{journey}")))
            .await
            .parts();
        assert_eq!(t.matches("Moved to a new phone").count(), 1, "{t}");
        let old_display = old_number.trim_start_matches("H10301:").split_once(':').unwrap();
        let new_display = new_number.trim_start_matches("H10301:").split_once(':').unwrap();
        let line = format!(
            "the Apple pass added on a new phone replaces serial {old_serial}, which is void now; \
             the generated credential moved from {} / {:0>5} to {} / {:0>5}",
            old_display.0, old_display.1, new_display.0, new_display.1
        );
        assert!(t.contains(&line), "{line}\n{t}");
        assert!(t.contains("for a new phone: the pass on the previous one works until this one is added"));

        // The old phone asking again changes nothing: the void stays.
        let (got, _, _) = common::send(
            &d.router,
            passkit("POST", "phone-0001", &old_reg, &old_auth, "aa01"),
        )
        .await
        .parts();
        assert_eq!(got, StatusCode::OK);
        assert_eq!(fetched(&d, &old_serial, &old_auth).await["voided"], true);

        // The old phone's browser still holds its claimed link: pressing it again issues
        // nothing, so the old phone cannot take the pass back from the new one.
        let passes = d.state.store.wallet_passes_for_member(id).await.unwrap().len();
        for platform in ["apple", "google"] {
            let (r, _) = press(&d, &old_link, platform, old_cookie.as_deref()).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{platform}: {}", r.text());
            let to = r.headers[header::LOCATION].to_str().unwrap();
            assert!(!to.contains("pay.google.com"), "{to}");
        }
        assert_eq!(
            d.state.store.wallet_passes_for_member(id).await.unwrap().len(),
            passes,
            "no pass was issued"
        );
        assert!(fetched(&d, &serial, &auth).await.get("voided").is_none());
    })
    .await;
}

/// A member with a physical card moves to a new phone: the new pass carries the card's number,
/// and when it is added the old pass is voided without a word to the access system (the card,
/// and the new phone, still open the door).
#[tokio::test]
async fn a_new_phone_keeps_the_cards_credential_and_revokes_nothing() {
    common::each_store(|| async {
        let (apns, pushed) = apns_stand_in().await;
        let d = dashboard_on(
            common::scoped_store().await,
            &[
                ("ELUMO_APNS_BASE_URL", &apns),
                ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "5"),
            ],
        )
        .await;
        let pass_type = d.state.config.apple_wallet.pass_type_id.clone();
        let mut phones = Vec::new();
        for (device, push_token) in [("phone-0001", "aa01"), ("phone-0002", "bb02")] {
            common::enter_number(&d.router, &d.token, "07400123002").await;
            let link = common::texted_link(&d.state).await;
            let (r, _) = press(&d, &link, "apple", None).await;
            let pass = pass_json(&r);
            let serial = pass["serialNumber"].as_str().unwrap().to_owned();
            let auth = pass["authenticationToken"].as_str().unwrap().to_owned();
            let reg = format!("registrations/{pass_type}/{serial}");
            let (got, _, _) =
                common::send(&d.router, passkit("POST", device, &reg, &auth, push_token))
                    .await
                    .parts();
            assert_eq!(got, StatusCode::CREATED);
            phones.push((serial, auth, pass["barcodes"][0]["message"].clone()));
        }
        assert_ne!(phones[0].0, phones[1].0);
        assert_eq!(phones[0].2, phones[1].2, "the card's number on both");
        common::push_due(&d.state).await;
        assert_eq!(pushed.lock().unwrap().clone(), ["aa01"]);
        assert_eq!(
            fetched(&d, &phones[0].0, &phones[0].1).await["voided"],
            true
        );
        assert!(fetched(&d, &phones[1].0, &phones[1].1)
            .await
            .get("voided")
            .is_none());
        assert!(
            d.state
                .store
                .access_revocations(d.a, 0, 10)
                .await
                .unwrap()
                .is_empty(),
            "the card still works"
        );
        let grace = d
            .state
            .store
            .member_by_external_id(d.a, "nw-1002")
            .await
            .unwrap()
            .unwrap();
        let credentials = d
            .state
            .store
            .credentials_for_member(grace.id)
            .await
            .unwrap();
        assert!(
            credentials.iter().all(|c| c.revoked_at.is_none()),
            "{credentials:?}"
        );
        let journey = d
            .state
            .store
            .latest_journey_for_member(grace.id)
            .await
            .unwrap()
            .unwrap();
        let events = d.state.store.journey_events(journey).await.unwrap();
        let replaced = events.iter().find(|e| e.kind == "pass_replaced").unwrap();
        assert!(
            replaced
                .detail
                .ends_with("the card's credential 42 / 01002 stays (the card still works)"),
            "{}",
            replaced.detail
        );
    })
    .await;
}

/// The settings list every language with its text's cost for this operator (segments, GSM-7 or
/// UCS-2, characters), and admins choose the enabled languages and the default; a default that
/// is not enabled, or no language at all, is refused with a reason and changes nothing.
#[tokio::test]
async fn admins_choose_the_members_languages_and_see_each_texts_segments() {
    let d = dashboard(&[]).await;
    let admin = sign_in(&d.router, A_ADMIN).await;
    let (_, _, html) = common::send(&d.router, admin.get("/admin/settings"))
        .await
        .parts();
    assert_eq!(
        html.matches("data-testid=\"language-row\"").count(),
        5,
        "{html}"
    );
    for name in ["English", "Deutsch", "Français", "Español", "Nederlands"] {
        assert!(html.contains(name), "{name}");
    }
    assert!(html.contains("2 segments · GSM-7 · "), "{html}");
    assert!(
        !html.contains("· UCS-2 ·"),
        "no language's text needs UCS-2"
    );
    let base = [
        ("name", "Northwind Workspace"),
        ("brand_color", "#1f4fd1"),
        ("accent_color", "#0b7a53"),
        ("default_region", "GB"),
        ("link_minutes", "10"),
        ("invite_days", "30"),
        ("sms_hourly_budget", "3000"),
        ("languages_shown", "1"),
    ];
    let save = |extra: &[(&'static str, &'static str)]| {
        let mut fields = base.to_vec();
        fields.extend_from_slice(extra);
        let (d, admin) = (&d, &admin);
        async move {
            let (_, headers, _) = common::send(&d.router, admin.post("/admin/settings", &fields))
                .await
                .parts();
            location(&headers)
        }
    };
    assert_eq!(
        save(&[
            ("language-de", "on"),
            ("language-fr", "on"),
            ("default_language", "de")
        ])
        .await,
        "/admin/settings?done=saved"
    );
    let op = d.state.store.operator(d.a).await.unwrap().unwrap();
    assert_eq!(
        (op.languages.as_str(), op.default_language.as_str()),
        ("de,fr", "de")
    );
    // The phone page follows: no English now, German by default.
    let (_, _, page) = common::send(
        &d.router,
        Request::get(format!("/i/{}", d.token))
            .header(header::ACCEPT_LANGUAGE, "en-GB")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert!(page.contains("<html lang=\"de\""), "{page}");
    for refused in [
        vec![("language-fr", "on"), ("default_language", "de")],
        vec![("default_language", "en")],
        vec![("language-en", "on"), ("default_language", "xx")],
    ] {
        assert_eq!(save(&refused).await, "/admin/settings?error=bad-language");
    }
    let op = d.state.store.operator(d.a).await.unwrap().unwrap();
    assert_eq!(
        (op.languages.as_str(), op.default_language.as_str()),
        ("de,fr", "de")
    );
}

/// An admin makes an API key in the dashboard: shown once, listed afterwards by its name and
/// first characters only, usable at once, and revoked from the same page; staff cannot make
/// keys, and another operator's admin cannot revoke one.
#[tokio::test]
async fn api_keys_are_made_shown_once_and_revoked_in_the_dashboard() {
    let d = dashboard(&[]).await;
    let admin = sign_in(&d.router, A_ADMIN).await;
    let (status, _, html) = common::send(&d.router, admin.get("/admin/api-keys"))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("No keys yet."));

    let nameless = common::send(
        &d.router,
        admin.post("/admin/api-keys", &[("name", "  "), ("scope", "read")]),
    )
    .await;
    assert_eq!(nameless.location(), "/admin/api-keys?error=key-name");

    let (status, headers, html) = common::send(
        &d.router,
        admin.post(
            "/admin/api-keys",
            &[("name", "Door controller"), ("scope", "write")],
        ),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let key = html
        .split("data-testid=\"new-key\" class=\"new-key\">")
        .nth(1)
        .unwrap_or_else(|| panic!("{html}"))
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("elumo_") && key.len() > 40, "{key}");
    let api = |key: &str| {
        Request::get("/v1/sites")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        common::send(&d.router, api(&key)).await.status,
        StatusCode::OK
    );

    // The list names the key and its first characters, never the key itself.
    let (_, _, html) = common::send(&d.router, admin.get("/admin/api-keys"))
        .await
        .parts();
    assert!(html.contains("Door controller") && html.contains("read write"));
    assert!(html.contains(&key[..12]) && !html.contains(&key));
    let id = d.state.store.api_keys_of(d.a).await.unwrap()[0].id;

    // Staff may not make keys; another operator's admin cannot revoke this one.
    let staff = sign_in(&d.router, A_STAFF).await;
    let (status, _, _) = common::send(
        &d.router,
        staff.post("/admin/api-keys", &[("name", "mine"), ("scope", "write")]),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        common::send(&d.router, staff.get("/admin/api-keys"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let other = sign_in(&d.router, B_ADMIN).await;
    let (status, _, _) = common::send(
        &d.router,
        other.post(&format!("/admin/api-keys/{id}/revoke"), &[]),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        common::send(&d.router, api(&key)).await.status,
        StatusCode::OK
    );

    let revoked = common::send(
        &d.router,
        admin.post(&format!("/admin/api-keys/{id}/revoke"), &[]),
    )
    .await;
    assert_eq!(revoked.location(), "/admin/api-keys?done=key-revoked");
    assert_eq!(
        common::send(&d.router, api(&key)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let audit = d.state.store.audit_entries(d.a, 10, 0).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "api_key_created" && a.actor == A_ADMIN));
    assert!(audit.iter().any(|a| a.action == "api_key_revoked"));
}

/// The value of `name` in a page's `data-testid="…"` element.
fn testid_text(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("data-testid=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..start + rest[start..].find('<').unwrap()].to_owned()
}

/// A second factor through the dashboard, as a browser walks it: set up on the account page
/// (QR code and key, confirmed with a first code, recovery codes shown once), then asked for at
/// every password sign-in on a page of its own; a wrong code sends back to it, a right one or a
/// recovery code signs in. An admin cannot require it before having one; once it is required,
/// a colleague without one may only set it up (pages redirect there, forms and server functions
/// are refused).
#[tokio::test]
async fn a_second_factor_is_set_up_and_asked_for_through_the_dashboard() {
    use domain::totp::{code_at, Secret};
    let now = || domain::store::now_ms() / 1000;
    let d = dashboard(&[]).await;
    let staff = sign_in(&d.router, A_STAFF).await;
    let page = common::send(&d.router, staff.get("/admin/account/mfa"))
        .await
        .text();
    assert!(testid_text(&page, "mfa-state").starts_with("Off"), "{page}");
    let started = common::send(&d.router, staff.post("/admin/account/mfa/start", &[])).await;
    assert_eq!(started.location(), "/admin/account/mfa");
    let page = common::send(&d.router, staff.get("/admin/account/mfa"))
        .await
        .text();
    assert!(page.contains("<svg"), "the QR code is drawn in the page");
    let key = testid_text(&page, "mfa-secret");
    let secret = Secret::from_base32(&key.replace(' ', "")).expect("a base32 key");
    let wrong = common::send(
        &d.router,
        staff.post("/admin/account/mfa/confirm", &[("code", "000000")]),
    )
    .await;
    assert_eq!(wrong.location(), "/admin/account/mfa?error=wrong-code");
    let (status, headers, page) = common::send(
        &d.router,
        staff.post(
            "/admin/account/mfa/confirm",
            &[("code", &code_at(&secret, now()))],
        ),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let codes: Vec<String> = testid_text(&page, "recovery-codes")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10);
    let page = common::send(&d.router, staff.get("/admin/account/mfa"))
        .await
        .text();
    assert!(testid_text(&page, "mfa-state").contains("10 recovery codes left"));

    // The password alone now leads to the code step, in this browser only.
    let pre = "test-pre-session-cookie-value";
    let password_step = common::send(&d.router, login_req(A_STAFF, PASSWORD)).await;
    assert_eq!(password_step.location(), "/admin/login/code");
    let challenge = password_step.cookie().expect("the code step's cookie");
    assert!(challenge.starts_with("__Host-elumo_mfa="), "{challenge}");
    assert!(common::http::set_cookies(&password_step.headers)
        .iter()
        .all(|c| !c.starts_with("__Host-elumo_admin=")));
    let browser = format!("__Host-elumo_login={pre}; {challenge}");
    let code_page = common::send(
        &d.router,
        common::http::get("/admin/login/code", Some(&browser)),
    )
    .await;
    assert_eq!(code_page.status, StatusCode::OK);
    assert!(code_page.text().contains("autocomplete=\"one-time-code\""));
    let no_challenge = common::send(
        &d.router,
        common::http::get(
            "/admin/login/code",
            Some(&format!("__Host-elumo_login={pre}")),
        ),
    )
    .await;
    assert_eq!(no_challenge.location(), "/admin/login?error=code-expired");
    let csrf = domain::staff::login_form_token(pre);
    let send_code = |code: String| {
        common::http::post_form(
            "/admin/login/code",
            &encode(&[("csrf", &csrf), ("code", &code)]),
            Some(&browser),
        )
    };
    let wrong = common::send(&d.router, send_code("123456".into())).await;
    assert_eq!(wrong.location(), "/admin/login/code?error=wrong-code");
    let wrong_page = common::send(
        &d.router,
        common::http::get("/admin/login/code?error=wrong-code", Some(&browser)),
    )
    .await;
    assert!(wrong_page.text().contains("That code is not right"));
    // The next step's code (the setup used this one's).
    let right = common::send(&d.router, send_code(code_at(&secret, now() + 30))).await;
    assert_eq!(right.location(), "/admin", "{}", right.text());
    let session = common::http::set_cookies(&right.headers)
        .into_iter()
        .find(|c| c.starts_with("__Host-elumo_admin="))
        .expect("a session");
    let home = common::send(&d.router, common::http::get("/admin", Some(&session))).await;
    assert_eq!(home.status, StatusCode::OK);
    // The same challenge is used up.
    let again = common::send(&d.router, send_code(code_at(&secret, now() + 30))).await;
    assert_eq!(again.location(), "/admin/login?error=code-expired");

    // A recovery code, typed as people type them, signs in once.
    let second = common::send(&d.router, login_req(A_STAFF, PASSWORD)).await;
    let browser = format!("__Host-elumo_login={pre}; {}", second.cookie().unwrap());
    let recovery = common::send(
        &d.router,
        common::http::post_form(
            "/admin/login/code",
            &encode(&[
                ("csrf", &csrf),
                ("code", &format!(" {} ", codes[0].to_uppercase())),
            ]),
            Some(&browser),
        ),
    )
    .await;
    assert_eq!(recovery.location(), "/admin", "{}", recovery.text());

    // An admin without a factor cannot require one of everybody.
    let admin = sign_in(&d.router, A_ADMIN).await;
    let refused = common::send(
        &d.router,
        admin.post("/admin/security/mfa", &[("require_mfa", "on")]),
    )
    .await;
    assert_eq!(refused.location(), "/admin/security?error=mfa-self-first");
    // Required (as once the admin has one): the admin's password alone opens only the setup.
    d.state.store.set_require_mfa(d.a, true).await.unwrap();
    let enrol = common::send(&d.router, login_req(A_ADMIN, PASSWORD)).await;
    assert_eq!(enrol.location(), "/admin/account/mfa?error=mfa-enrol-first");
    let only = enrol.cookie().unwrap();
    let home = common::send(&d.router, common::http::get("/admin", Some(&only))).await;
    assert_eq!(home.location(), "/admin/account/mfa?error=mfa-enrol-first");
    let setup = common::send(
        &d.router,
        common::http::get("/admin/account/mfa", Some(&only)),
    )
    .await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(testid_text(&setup.text(), "mfa-state").starts_with("Your team requires"));
    let server_fn = common::send(
        &d.router,
        Request::post("/api/admin/journeys")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &only)
            .body(Body::from("filter[from]=&filter[to]=&filter[site]=&filter[outcome]=&filter[q]=&filter[page]=0"))
            .unwrap(),
    )
    .await;
    assert_eq!(server_fn.status, StatusCode::FORBIDDEN);
    let csv = common::send(
        &d.router,
        common::http::get("/admin/journeys.csv", Some(&only)),
    )
    .await;
    assert_eq!(csv.location(), "/admin/account/mfa?error=mfa-enrol-first");
    let audit = d.state.store.audit_entries(d.a, 100, 0).await.unwrap();
    for action in ["mfa_enabled", "mfa_challenged", "mfa_failed"] {
        assert!(
            audit.iter().any(|a| a.action == action),
            "{action}: {audit:?}"
        );
    }
}

/// Webhooks in the dashboard: an admin adds an endpoint (a refused URL says why; the signing
/// secret is shown once), sees its delivery log with each attempt's answer, sends a delivery
/// again, switches it off and on; an endpoint the worker switched off is announced on every page.
#[tokio::test]
async fn webhooks_are_added_logged_sent_again_and_announced_in_the_dashboard() {
    let d = dashboard(&[]).await;
    let admin = sign_in(&d.router, A_ADMIN).await;
    let (status, _, html) = common::send(
        &d.router,
        admin.post(
            "/admin/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("event", "member.not_found"),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("loopback"), "{html}");
    // The instance's administrator allows the operator's private network
    // (`server operator security --webhooks-private on`; the dashboard cannot).
    assert!(!common::send(&d.router, admin.get("/admin/webhooks"))
        .await
        .text()
        .contains("name=\"allow_private\""));
    d.state
        .store
        .set_webhooks_allow_private(d.a, true)
        .await
        .unwrap();
    let (status, headers, html) = common::send(
        &d.router,
        admin.post(
            "/admin/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("description", "Help desk"),
                ("event", "member.not_found"),
                ("event", "pass.voided"),
            ],
        ),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let secret = testid_text(&html, "webhook-secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoint = d.state.store.endpoints_of(d.a).await.unwrap()[0].clone();
    assert_eq!(endpoint.events, "member.not_found,pass.voided");
    let list = common::send(&d.router, admin.get("/admin/webhooks"))
        .await
        .text();
    assert!(list.contains("http://127.0.0.1:9/hook") && !list.contains(&secret));

    // A miss is queued for it; the receiver is down: the log says so.
    common::enter_number(&d.router, &d.token, "07400123099").await;
    domain::webhooks::deliver_due_as(
        &d.state.store,
        false,
        &domain::lease::Lease::new("test", 60_000),
        domain::store::now_ms(),
    )
    .await
    .unwrap();
    let page = common::send(
        &d.router,
        admin.get(&format!("/admin/webhooks/{}", endpoint.id)),
    )
    .await
    .text();
    assert!(
        page.contains("member.not_found") && page.contains("queued (1 attempt)"),
        "{page}"
    );
    assert!(page.contains("could not connect"), "{page}");
    let delivery = d
        .state
        .store
        .deliveries_of(d.a, endpoint.id, 1)
        .await
        .unwrap()[0]
        .id;
    let again = common::send(
        &d.router,
        admin.post(
            &format!("/admin/webhooks/deliveries/{delivery}/again"),
            &[("endpoint", &endpoint.id.to_string())],
        ),
    )
    .await;
    assert_eq!(
        again.location(),
        format!("/admin/webhooks/{}?done=webhook-resent", endpoint.id)
    );
    assert_eq!(
        d.state
            .store
            .deliveries_of(d.a, endpoint.id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let off = common::send(
        &d.router,
        admin.post(
            &format!("/admin/webhooks/{}", endpoint.id),
            &[("action", "disable")],
        ),
    )
    .await;
    assert_eq!(
        off.location(),
        format!("/admin/webhooks/{}?done=webhook-disabled", endpoint.id)
    );
    let page = common::send(
        &d.router,
        admin.get(&format!("/admin/webhooks/{}", endpoint.id)),
    )
    .await
    .text();
    assert!(testid_text(&page, "webhook-state").starts_with("Off since"));

    // Switched off by the worker after a day of failures: every page says so to admins.
    d.state
        .store
        .set_endpoint_enabled(d.a, endpoint.id, true, "")
        .await
        .unwrap();
    d.state
        .store
        .set_endpoint_enabled(
            d.a,
            endpoint.id,
            false,
            domain::webhooks::attempts::DISABLED_REASON,
        )
        .await
        .unwrap();
    let home = common::send(&d.router, admin.get("/admin")).await.text();
    assert!(testid_text(&home, "webhook-notice").contains("1 webhook endpoint was stopped"));
    let staff = sign_in(&d.router, A_STAFF).await;
    let home = common::send(&d.router, staff.get("/admin")).await.text();
    assert!(!home.contains("webhook-notice"), "staff cannot act on it");
    let audit = d.state.store.audit_entries(d.a, 50, 0).await.unwrap();
    for action in ["webhook_added", "webhook_resent", "webhook_disabled"] {
        assert!(audit.iter().any(|a| a.action == action), "{action}");
    }
}
