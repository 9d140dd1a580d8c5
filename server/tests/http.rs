//! The server as a browser or client meets it: routes, the phone page with JavaScript off
//! (plain form posts), the directory's answers, and the operational basics.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;

struct App {
    router: Router,
    state: domain::state::AppState,
    token: String,
    _t: common::TestStore,
    _dir: tempfile::TempDir,
}

async fn demo_app() -> App {
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state(&t, dir.path()).await;
    App {
        router: server::router(state.clone()),
        state,
        token,
        _t: t,
        _dir: dir,
    }
}

/// A plain HTML form post, as a browser without JavaScript sends it.
fn form_post(fields: &[(&str, &str)]) -> Request<Body> {
    let mut req =
        common::http::post_form("/api/submit_number", &common::http::encode(fields), None);
    req.headers_mut().insert(
        header::ACCEPT,
        "text/html,application/xhtml+xml".parse().unwrap(),
    );
    req
}

/// Opens the invite page and returns the journey id the form carries.
async fn open_invite(app: &App) -> (String, String) {
    let (status, _, html) = common::send(
        &app.router,
        common::http::get(&format!("/i/{}", app.token), None),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK);
    let journey = common::http::journey_in(&html);
    (html, journey)
}

async fn submit(app: &App, journey: &str, region: &str, number: &str) -> (StatusCode, String) {
    let (status, headers, _) = common::send(
        &app.router,
        form_post(&[
            ("token", &app.token),
            ("journey", journey),
            ("region", region),
            ("number", number),
        ]),
    )
    .await
    .parts();
    (status, common::http::location(&headers))
}

async fn events(app: &App, journey: &str) -> Vec<(String, String)> {
    let j = app
        .state
        .store
        .journey_by_public_id(journey)
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .journey_events(j.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.detail))
        .collect()
}

#[tokio::test]
async fn health_and_readiness() {
    let app = demo_app().await;
    let (status, _, body) = common::send(&app.router, common::http::get("/healthz", None))
        .await
        .parts();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, _, body) = common::send(&app.router, common::http::get("/readyz", None))
        .await
        .parts();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ready"));
    app.state.store.close().await;
    let (status, _, _) = common::send(&app.router, common::http::get("/readyz", None))
        .await
        .parts();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_phone_page_is_a_working_form_without_javascript() {
    let app = demo_app().await;
    let (html, journey) = open_invite(&app).await;
    assert!(html.contains("Get your digital pass"));
    assert!(html.contains("Northwind Workspace"));
    assert!(html.contains("Northwind Shoreditch"));
    assert!(html.contains(r#"action="/api/submit_number""#));
    assert!(html.contains(r#"method="post""#));
    assert!(html.contains(r#"<label for="number">Mobile number</label>"#));
    assert!(html.contains(r#"type="tel""#));
    assert!(
        html.contains(r#"<option value="GB" selected"#),
        "the operator's region is preselected"
    );
    assert!(
        html.contains("/pkg/elumo-pass.js"),
        "the page hydrates when scripts run"
    );
    // Opening writes nothing (issue 14): the journey starts with the first number.
    assert!(app
        .state
        .store
        .journey_by_public_id(&journey)
        .await
        .unwrap()
        .is_none());
    submit(&app, &journey, "GB", "07400 123001").await;
    assert_eq!(events(&app, &journey).await[0].0, "invite_opened");
}

#[tokio::test]
async fn a_directory_number_leads_to_check_your_messages() {
    let app = demo_app().await;
    let (_, journey) = open_invite(&app).await;
    let (status, location) = submit(&app, &journey, "GB", "07400 123001").await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location, format!("/i/{}/sent?j={journey}", app.token));
    let (status, _, html) = common::send(&app.router, common::http::get(&location, None))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Check your messages"));
    assert!(html.contains("•••• ••• 001"), "the number is shown masked");
    assert!(!html.contains("123001"), "never in full");
    let kinds: Vec<String> = events(&app, &journey)
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        kinds,
        [
            "invite_opened",
            "number_submitted",
            "member_matched",
            "sms_queued"
        ]
    );
}

#[tokio::test]
async fn international_format_and_other_regions_normalise_to_the_same_member() {
    let app = demo_app().await;
    let (_, journey) = open_invite(&app).await;
    // A person who picked another country but typed the full international number still matches.
    let (status, location) = submit(&app, &journey, "US", "+44 (0)7400 123 001").await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.contains("/sent?j="), "{location}");
}

#[tokio::test]
async fn every_miss_shows_the_same_message_and_records_why() {
    let app = demo_app().await;
    for (number, reason) in [
        ("07400 123099", "no_such_number"),
        ("07400 123007", "not_synced"),
        ("07400 123008", "inactive"),
    ] {
        let (_, journey) = open_invite(&app).await;
        let (status, location) = submit(&app, &journey, "GB", number).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(location, format!("/i/{}?j={journey}", app.token));
        let (status, _, html) = common::send(&app.router, common::http::get(&location, None))
            .await
            .parts();
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("We couldn&#x27;t find that number")
                || html.contains("We couldn't find that number"),
            "{number}"
        );
        assert!(
            html.contains("mailto:help@northwind.example"),
            "support is one tap away"
        );
        assert!(
            html.contains("holds your current mobile number"),
            "the seed's tip"
        );
        let e164 = format!("+44{}", number.replace(' ', "").trim_start_matches('0'));
        assert!(
            html.contains(&format!(r#"value="{e164}""#)),
            "the number is kept: {number}"
        );
        let evs = events(&app, &journey).await;
        assert_eq!(
            evs.last().unwrap(),
            &("member_not_found".to_owned(), reason.to_owned()),
            "{number}"
        );
        assert!(
            !html.contains("Edsger") && !html.contains("Barbara"),
            "no member details leak"
        );
    }
}

#[tokio::test]
async fn member_invites_require_that_members_number() {
    let app = demo_app().await;
    let s = &app.state.store;
    let op = s
        .members_by_mobile(1, "+447400123001")
        .await
        .unwrap()
        .remove(0);
    let token = domain::tokens::Token::generate(16);
    s.insert_invite(&domain::store::NewInvite {
        operator_id: op.operator_id,
        site_id: None,
        member_id: Some(op.id),
        token_hash: &token.hash(),
        channel: "email",
        expires_at: domain::store::now_ms() + 60_000,
    })
    .await
    .unwrap();
    let member_app = App {
        token: token.expose().to_owned(),
        ..demo_app_from(&app)
    };
    let (_, journey) = open_invite(&member_app).await;
    // Alan is in the directory, but this invite is Ada's.
    let (_, location) = submit(&member_app, &journey, "GB", "07400 123003").await;
    assert!(location.ends_with(&format!("?j={journey}")));
    assert_eq!(
        events(&member_app, &journey).await.last().unwrap().1,
        "number_differs"
    );
    let (_, location) = submit(&member_app, &journey, "GB", "07400123001").await;
    assert!(location.contains("/sent?j="));
}

fn demo_app_from(app: &App) -> App {
    App {
        router: app.router.clone(),
        state: app.state.clone(),
        token: app.token.clone(),
        _t: common::TestStore::shared(&app._t),
        _dir: tempfile::tempdir().unwrap(),
    }
}

#[tokio::test]
async fn malformed_numbers_get_a_clear_message_and_keep_what_was_typed() {
    let app = demo_app().await;
    let (_, journey) = open_invite(&app).await;
    let (_, location) = submit(&app, &journey, "GB", "020 7946 0123").await;
    let (_, _, html) = common::send(&app.router, common::http::get(&location, None))
        .await
        .parts();
    assert!(html.contains("That looks like a landline"), "{html}");
    assert!(html.contains(r#"value="020 7946 0123""#));
    assert!(html.contains(r#"aria-invalid="true""#));
}

#[tokio::test]
async fn unknown_and_expired_invites_get_a_clear_page() {
    let app = demo_app().await;
    let (status, _, html) = common::send(
        &app.router,
        common::http::get("/i/AAAAAAAAAAAAAAAAAAAAAA", None),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This link isn&#x27;t valid") || html.contains("This link isn't valid"));
    let (status, _, _) = common::send(&app.router, common::http::get("/i/%3Cscript%3E", None))
        .await
        .parts();
    assert_eq!(status, StatusCode::NOT_FOUND);

    let token = domain::tokens::Token::generate(16);
    app.state
        .store
        .insert_invite(&domain::store::NewInvite {
            operator_id: 1,
            site_id: None,
            member_id: None,
            token_hash: &token.hash(),
            channel: "print",
            expires_at: domain::store::now_ms() - 1,
        })
        .await
        .unwrap();
    let (status, _, html) = common::send(
        &app.router,
        common::http::get(&format!("/i/{}", token.expose()), None),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This invitation has expired"));
}

#[tokio::test]
async fn the_island_gets_data_not_redirects() {
    let app = demo_app().await;
    let (_, journey) = open_invite(&app).await;
    let req = Request::post("/api/submit_number")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(format!(
            "token={}&journey={journey}&region=GB&number=07400123099",
            app.token
        )))
        .unwrap();
    let (status, _, body) = common::send(&app.router, req).await.parts();
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["NotFound"]["number"], "07400123099");
}

#[tokio::test]
async fn hand_made_requests_never_get_a_500() {
    let app = demo_app().await;
    for body in [
        "",
        "token=x",
        "number=%FF%FE&token=&journey=&region=",
        "\u{0}\u{1}garbage==",
    ] {
        let req = Request::post("/api/submit_number")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let (status, _, _) = common::send(&app.router, req).await.parts();
        assert!(!status.is_server_error(), "{body:?} answered {status}");
    }
    let long = "9".repeat(10_000);
    let (_, journey) = open_invite(&app).await;
    let (status, _) = submit(&app, &journey, "ZZ", &long).await;
    assert_eq!(status, StatusCode::FOUND);
}

#[tokio::test]
async fn unknown_pages_are_a_friendly_404() {
    let app = demo_app().await;
    let (status, _, html) = common::send(&app.router, common::http::get("/no/such/page", None))
        .await
        .parts();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn static_assets_are_served_precompressed() {
    let app = demo_app().await;
    let site = app.state.config.http.site_root.clone();
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/elumo-pass.css"), "body{color:red}").unwrap();
    std::fs::write(
        site.join("pkg/elumo-pass.css.br"),
        b"\x0b\x07\x80body{color:red}\x03",
    )
    .unwrap();
    let req = Request::get("/pkg/elumo-pass.css")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = common::send(&app.router, req).await.parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    let req = Request::get("/pkg/elumo-pass.css")
        .body(Body::empty())
        .unwrap();
    let (_, headers, body) = common::send(&app.router, req).await.parts();
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(body, "body{color:red}");
}

#[tokio::test]
async fn html_is_compressed_for_clients_that_accept_it() {
    let app = demo_app().await;
    let req = Request::get(format!("/i/{}", app.token))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = common::send(&app.router, req).await.parts();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    async fn boom() -> &'static str {
        panic!("deliberate test panic")
    }
    let router = server::with_ops_layers(
        Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" })),
        Duration::from_secs(5),
    );
    let (status, _, body) = common::send(&router, common::http::get("/boom", None))
        .await
        .parts();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("Something went wrong"));
    let (status, _, body) = common::send(&router, common::http::get("/fine", None))
        .await
        .parts();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "fine"));
}

#[tokio::test]
async fn slow_requests_time_out() {
    let router = server::with_ops_layers(
        Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        ),
        Duration::from_millis(50),
    );
    let (status, _, _) = common::send(&router, common::http::get("/slow", None))
        .await
        .parts();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn operators_create_invites_that_work() {
    use domain::invites::{create, InviteError, NewInviteRequest};
    let app = demo_app().await;
    let store = &app.state.store;
    let public = "https://pass.example.test";
    let req = |site, member, days| NewInviteRequest {
        operator_slug: "northwind",
        site,
        member_external_id: member,
        days,
    };

    let poster = create(store, public, &req(Some("Northwind King's Cross"), None, 7))
        .await
        .unwrap();
    let path = poster
        .strip_prefix(public)
        .expect("built on the public URL");
    let (status, _, html) = common::send(&app.router, common::http::get(path, None))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("King&#x27;s Cross") || html.contains("King's Cross"));

    assert!(matches!(
        create(
            store,
            public,
            &NewInviteRequest {
                operator_slug: "nobody",
                ..req(None, None, 7)
            }
        )
        .await,
        Err(InviteError::NoOperator(_))
    ));
    assert!(matches!(
        create(store, public, &req(Some("Mars"), None, 7)).await,
        Err(InviteError::NoSite { .. })
    ));
    assert!(matches!(
        create(store, public, &req(None, Some("nw-9999"), 7)).await,
        Err(InviteError::NoMember { .. })
    ));
    assert!(matches!(
        create(store, public, &req(None, None, 0)).await,
        Err(InviteError::BadLifetime)
    ));

    // Margaret has no mobile on record: her invite can never match, and the journey says why.
    let margaret = create(store, public, &req(None, Some("nw-1006"), 7))
        .await
        .unwrap();
    let token = margaret.rsplit('/').next().unwrap().to_owned();
    let member_app = App {
        token,
        ..demo_app_from(&app)
    };
    let (_, journey) = open_invite(&member_app).await;
    let (_, location) = submit(&member_app, &journey, "GB", "07400 123001").await;
    assert!(location.ends_with(&format!("?j={journey}")));
    assert_eq!(
        events(&member_app, &journey).await.last().unwrap().1,
        "no_mobile_on_record"
    );
}
