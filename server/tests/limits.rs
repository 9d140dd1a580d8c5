//! Abuse limits, the country allow-list, the strict enumeration mode and the answer-time floor,
//! on SQLite and on PostgreSQL.

mod common;

use app::types::{InvitePage, SubmitOutcome};

struct Env {
    state: domain::state::AppState,
    token: String,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

async fn env(extra: &[(&str, &str)]) -> Env {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state_with(&t, dir.path(), extra).await;
    Env {
        state,
        token,
        t,
        _dir: dir,
    }
}

impl Env {
    async fn submit_from(&self, ip: &str, number: &str) -> SubmitOutcome {
        let InvitePage::Ready(v) = app::wire::invite_page(
            domain::journeys::open_invite(&self.state, &self.token, None, Default::default())
                .await
                .unwrap(),
            None,
        ) else {
            panic!("usable invite")
        };
        domain::journeys::submit_number(
            &self.state,
            &self.token,
            &v.journey,
            Some("GB"),
            number,
            ip,
            Default::default(),
        )
        .await
        .unwrap()
        .outcome
        .into()
    }

    async fn texts(&self) -> usize {
        self.state.store.recent_sms(1000).await.unwrap().len()
    }
}

fn limited_message(o: &SubmitOutcome) -> String {
    match o {
        SubmitOutcome::RateLimited { message, .. } => message.clone(),
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

#[tokio::test]
async fn one_text_per_number_per_minute() {
    common::each_store(|| async {
        let e = env(&[]).await;
        assert!(matches!(
            e.submit_from("10.0.0.1", "07400123001").await,
            SubmitOutcome::Matched { .. }
        ));
        let second = e.submit_from("10.0.0.2", "07400123001").await;
        let msg = limited_message(&second);
        assert!(
            msg.starts_with("Too many attempts. Try again in ") && msg.ends_with(" seconds."),
            "{msg}"
        );
        assert_eq!(e.texts().await, 1, "the second request sent nothing");
        // Another number is not affected.
        assert!(matches!(
            e.submit_from("10.0.0.3", "07400123002").await,
            SubmitOutcome::Matched { .. }
        ));
    })
    .await;
}

#[tokio::test]
async fn at_most_five_texts_per_number_per_day() {
    common::each_store(|| async {
        let e = env(&[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100")]).await;
        for i in 0..5 {
            let o = e.submit_from(&format!("10.0.1.{i}"), "07400123001").await;
            assert!(
                matches!(o, SubmitOutcome::Matched { .. }),
                "text {i}: {o:?}"
            );
        }
        let sixth = e.submit_from("10.0.1.9", "07400123001").await;
        assert!(limited_message(&sixth).contains("Try again in"));
        assert_eq!(e.texts().await, 5);
    })
    .await;
}

#[tokio::test]
async fn ten_submissions_per_ip_per_ten_minutes() {
    common::each_store(|| async {
        let e = env(&[]).await;
        for _ in 0..10 {
            assert!(!matches!(
                e.submit_from("192.0.2.7", "07400123099").await,
                SubmitOutcome::RateLimited { .. }
            ));
        }
        let eleventh = e.submit_from("192.0.2.7", "07400123099").await;
        assert_eq!(
            limited_message(&eleventh),
            "Too many attempts. Try again in 10 minutes."
        );
        // The limit is per address.
        assert!(matches!(
            e.submit_from("192.0.2.8", "07400123099").await,
            SubmitOutcome::NotFound { .. }
        ));
    })
    .await;
}

#[tokio::test]
async fn a_poster_ceiling_of_twenty_submissions_an_hour() {
    common::each_store(|| async {
        // A poster has only its ceiling (issue 14; 2,000 by default); a member invite's own limit is
        // in adversarial_chain.rs.
        let e = env(&[("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "20")]).await;
        for i in 0..20 {
            assert!(!matches!(
                e.submit_from(&format!("198.51.100.{i}"), "07400123099")
                    .await,
                SubmitOutcome::RateLimited { .. }
            ));
        }
        let over = e.submit_from("198.51.100.99", "07400123099").await;
        assert_eq!(
            limited_message(&over),
            "Too many attempts. Try again in 60 minutes."
        );
    })
    .await;
}

#[tokio::test]
async fn the_operator_hourly_budget_caps_texts() {
    common::each_store(|| async {
        let e = env(&[]).await;
        e.state
            .store
            .set_operator_limits(1, false, "", 2)
            .await
            .unwrap();
        for n in ["07400123001", "07400123002"] {
            assert!(matches!(
                e.submit_from(n, n).await,
                SubmitOutcome::Matched { .. }
            ));
        }
        let third = e.submit_from("203.0.113.1", "07400123003").await;
        assert_eq!(
            limited_message(&third),
            "We can't send texts right now. Try again in 60 minutes."
        );
        assert_eq!(e.texts().await, 2);
    })
    .await;
}

#[tokio::test]
async fn texts_only_go_to_allowed_countries() {
    common::each_store(|| async {
        let e = env(&[]).await;
        let au = e.submit_from("10.9.0.1", "+61 412 345 678").await;
        match au {
            SubmitOutcome::Invalid { message, .. } => {
                assert_eq!(
                    message,
                    "Northwind Workspace can only send texts to mobile numbers from GB."
                )
            }
            other => panic!("{other:?}"),
        }
        e.state
            .store
            .set_operator_limits(1, false, "GB, AU", 500)
            .await
            .unwrap();
        assert!(matches!(
            e.submit_from("10.9.0.2", "+61 412 345 678").await,
            SubmitOutcome::NotFound { .. }
        ));
    })
    .await;
}

#[tokio::test]
async fn only_directory_numbers_ever_get_a_text() {
    common::each_store(|| async {
        let e = env(&[]).await;
        for n in ["07400123099", "07400123007", "07400123008", "07400123098"] {
            e.submit_from(n, n).await;
        }
        assert_eq!(e.texts().await, 0);
    })
    .await;
}

#[tokio::test]
async fn strict_mode_answers_a_miss_like_a_match_and_sends_nothing() {
    common::each_store(|| async {
        let e = env(&[]).await;
        e.state
            .store
            .set_operator_limits(1, true, "", 500)
            .await
            .unwrap();
        let InvitePage::Ready(v) = app::wire::invite_page(
            domain::journeys::open_invite(&e.state, &e.token, None, Default::default())
                .await
                .unwrap(),
            None,
        ) else {
            panic!()
        };
        let miss = domain::journeys::submit_number(
            &e.state,
            &e.token,
            &v.journey,
            Some("GB"),
            "07400123099",
            "10.1.1.1",
            Default::default(),
        )
        .await
        .unwrap()
        .outcome;
        let SubmitOutcome::Matched { next } = SubmitOutcome::from(miss.clone()) else {
            panic!("strict mode hides the miss: {miss:?}")
        };
        assert!(next.contains("/sent?j="));
        let page = app::wire::sent_page(
            domain::journeys::sent(&e.state, &e.token, &v.journey)
                .await
                .unwrap(),
            None,
            None,
            None,
        );
        let app::types::SentPage::Ready {
            strict,
            masked_number,
            ..
        } = page
        else {
            panic!("the neutral page shows")
        };
        assert!(strict);
        assert_eq!(masked_number, "•••• ••• 099");
        assert_eq!(e.texts().await, 0);
        let j = e
            .state
            .store
            .journey_by_public_id(&v.journey)
            .await
            .unwrap()
            .unwrap();
        let last = e
            .state
            .store
            .journey_events(j.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (last.kind.as_str(), last.detail.as_str()),
            ("member_not_found", "no_such_number"),
            "the journey still knows"
        );
        drop(e.t);
    })
    .await;
}

#[tokio::test]
async fn a_limited_form_post_shows_the_message_on_the_page() {
    common::each_store(|| async {
        let e = env(&[("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "1")]).await;
        let router = server::router(e.state.clone());
        let mut location = String::new();
        for _ in 0..2 {
            let InvitePage::Ready(v) = app::wire::invite_page(
                domain::journeys::open_invite(&e.state, &e.token, None, Default::default())
                    .await
                    .unwrap(),
                None,
            ) else {
                panic!()
            };
            let req = common::http::post_form(
                "/api/submit_number",
                &format!(
                    "token={}&journey={}&region=GB&number=07400123099",
                    e.token, v.journey
                ),
                None,
            );
            location = common::send(&router, req).await.headers[axum::http::header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned();
        }
        let html = common::send(
            &router,
            axum::http::Request::get(location)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .text();
        assert!(
            html.contains("Too many attempts. Try again in 60 minutes."),
            "{html}"
        );
    })
    .await;
}

#[tokio::test]
async fn found_and_not_found_answers_take_at_least_the_floor() {
    common::each_store(|| async {
        use axum::body::Body;
        use axum::http::{header, Request};
        let e = env(&[("ELUMO_ANSWER_FLOOR_MS", "300")]).await;
        let router = server::router(e.state.clone());
        for number in ["07400123001", "07400123099"] {
            let InvitePage::Ready(v) = app::wire::invite_page(
                domain::journeys::open_invite(&e.state, &e.token, None, Default::default())
                    .await
                    .unwrap(),
                None,
            ) else {
                panic!()
            };
            let req = Request::post("/api/submit_number")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "token={}&journey={}&region=GB&number={number}",
                    e.token, v.journey
                )))
                .unwrap();
            let started = std::time::Instant::now();
            let res = common::send(&router, req).await;
            assert!(res.status.is_success());
            assert!(
                started.elapsed() >= std::time::Duration::from_millis(300),
                "{number}"
            );
        }
    })
    .await;
}

/// 9 a.m. on the first day: 1,000 members through the one poster in the lobby, from 50
/// addresses (the building's Wi-Fi and a few carriers' shared addresses), with the default
/// limits; every address also sees a typo. Each member gets a text, and a stranger trying
/// numbers from one of those addresses is still stopped after ten misses.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_members_through_one_poster_from_fifty_addresses() {
    for t in common::stores().await {
        let dir = tempfile::tempdir().unwrap();
        let (state, token) = common::demo_state(&t, dir.path()).await;
        let operator = state
            .store
            .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
            .await
            .unwrap()
            .unwrap();
        let number = |i: usize| format!("07400 {:06}", 500_000 + i);
        for i in 0..1000 {
            let e164 = domain::phone::normalise(&number(i), "GB").unwrap();
            let external = format!("rush-{i}");
            state
                .store
                .upsert_member(&domain::store::NewMember {
                    operator_id: operator.id,
                    external_id: &external,
                    first_name: "Rush",
                    last_name: "Member",
                    email: None,
                    mobile_e164: Some(&e164),
                    source: "test",
                    synced_at: Some(1),
                    active: true,
                })
                .await
                .unwrap();
        }
        let address = |i: usize| format!("203.0.113.{}", i % 50);
        let submit = |i: usize, typed: String| {
            let (state, token, ip) = (state.clone(), token.clone(), address(i));
            tokio::spawn(async move { submit_on(&state, &token, &ip, &typed).await })
        };
        // Sixteen at a time, as they come through the doors.
        let mut matched = 0;
        for batch in (0..1050).collect::<Vec<_>>().chunks(16) {
            let running: Vec<_> = batch
                .iter()
                .map(|&i| {
                    // The last 50 are one typo per address.
                    let typed = if i < 1000 {
                        number(i)
                    } else {
                        format!("07400 {:06}", 900_000 + i)
                    };
                    submit(i, typed)
                })
                .collect();
            for (i, a) in batch.iter().zip(running) {
                let a = a.await.unwrap();
                match (i < &1000, a) {
                    (true, SubmitOutcome::Matched { .. }) => matched += 1,
                    (false, SubmitOutcome::NotFound { .. }) => {}
                    (_, other) => panic!(
                        "{}: member {i}: {other:?} {:?}",
                        t.name,
                        state
                            .store
                            .recent_hits("submit_ip", &address(*i), 600_000)
                            .await
                    ),
                }
            }
        }
        assert_eq!(matched, 1000, "{}", t.name);
        assert_eq!(
            state.store.recent_sms(2000).await.unwrap().len(),
            1000,
            "{}: one text each",
            t.name
        );
        // Someone trying numbers from one of the building's addresses: ten misses, then a wait.
        for k in 0..9 {
            let o = submit(0, format!("07400 {:06}", 800_000 + k))
                .await
                .unwrap();
            assert!(matches!(o, SubmitOutcome::NotFound { .. }), "{o:?}");
        }
        let o = submit(0, "07400 123001".into()).await.unwrap();
        assert_eq!(
            limited_message(&o),
            "Too many attempts. Try again in 10 minutes.",
            "{}: once reached, even a member's number waits, so the answer tells nothing",
            t.name
        );
    }
}

/// Opens the invite and submits `typed` from `ip`, as the phone page does.
async fn submit_on(
    state: &domain::state::AppState,
    token: &str,
    ip: &str,
    typed: &str,
) -> SubmitOutcome {
    let InvitePage::Ready(v) = app::wire::invite_page(
        domain::journeys::open_invite(state, token, None, Default::default())
            .await
            .unwrap(),
        None,
    ) else {
        panic!("usable invite")
    };
    domain::journeys::submit_number(
        state,
        token,
        &v.journey,
        Some("GB"),
        typed,
        ip,
        Default::default(),
    )
    .await
    .unwrap()
    .outcome
    .into()
}

#[tokio::test]
async fn racing_submissions_at_a_posters_ceiling_get_exactly_the_ceiling() {
    // Sixty strangers at once against a ceiling of twenty, through two instances on one
    // database: the submissions that pass write their limits with everything else in one
    // statement (or batch, or group commit); the ones that a racing submission beat to the last
    // hit write nothing of it and are answered as limited.
    for t in common::stores().await {
        let dir = tempfile::tempdir().unwrap();
        let extra = [("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "20")];
        let (state, token) = common::demo_state_with(&t, dir.path(), &extra).await;
        let other = domain::store::Store::connect(&t.url, 4).await.unwrap();
        let other = domain::state::AppState::build(
            common::config_with(dir.path(), dir.path(), &extra),
            other,
        )
        .unwrap();
        let instances = [state.clone(), other];
        let journeys = "SELECT COUNT(*) FROM journeys";
        let limited_journeys = "SELECT COUNT(*) FROM journeys WHERE outcome = 'rate_limited'";
        let before = (
            common::scalar(&t, journeys).await,
            common::scalar(&t, limited_journeys).await,
        );
        let running: Vec<_> = (0..60)
            .map(|i| {
                let (state, token) = (instances[i % 2].clone(), token.clone());
                tokio::spawn(async move {
                    let ip = format!("198.51.100.{i}");
                    submit_on(&state, &token, &ip, &format!("07800 {:06}", 100_000 + i)).await
                })
            })
            .collect();
        let (mut missed, mut limited) = (0, 0);
        for r in running {
            match r.await.unwrap() {
                SubmitOutcome::NotFound { .. } => missed += 1,
                o @ SubmitOutcome::RateLimited { .. } => {
                    assert_eq!(
                        limited_message(&o),
                        "Too many attempts. Try again in 60 minutes.",
                        "{}",
                        t.name
                    );
                    limited += 1
                }
                other => panic!("{}: {other:?}", t.name),
            }
        }
        assert_eq!((missed, limited), (20, 40), "{}", t.name);
        let hits = common::scalar(
            &t,
            "SELECT hits FROM rate_counters WHERE scope = 'submit_poster'",
        )
        .await;
        assert_eq!(
            hits, 20,
            "{}: the counter holds the ceiling, no more",
            t.name
        );
        let after = (
            common::scalar(&t, journeys).await,
            common::scalar(&t, limited_journeys).await,
        );
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (60, 40),
            "{}: every attempt is on the dashboard",
            t.name
        );
    }
}
