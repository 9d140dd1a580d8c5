//! Adversarial cases for the trust chain invite → journey → link → pass, as an attacker would
//! send them: over HTTP against the real router, on both databases, in odd orders, twice, in
//! parallel, from other members and other addresses. Each case failed on the code before the
//! fix that it names.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::http::journey_in;
use common::Reply;

const ADA: &str = "+447400123001";
const GRACE: &str = "+447400123002";
const KATHERINE: &str = "+447400123004";
const UNKNOWN: &str = "+447400123099";

struct Env {
    router: Router,
    state: domain::state::AppState,
    token: String,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

async fn env_on(t: common::TestStore, extra: &[(&str, &str)]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state_with(&t, dir.path(), extra).await;
    Env {
        router: server::router(state.clone()),
        state,
        token,
        t,
        _dir: dir,
    }
}

/// The `j=` of a location.
fn j_of(location: &str) -> String {
    location
        .split("j=")
        .nth(1)
        .unwrap_or_default()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

impl Env {
    async fn send(&self, req: Request<Body>, ip: &str) -> Reply {
        common::http::send_from(&self.router, req, ip).await
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = common::http::get(path, cookie);
        req.headers_mut().insert(
            header::USER_AGENT,
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"
                .parse()
                .unwrap(),
        );
        self.send(req, "198.51.100.1").await
    }

    async fn post_from(&self, ip: &str, path: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.send(common::http::post_form(path, form, cookie), ip)
            .await
    }

    async fn post(&self, path: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.post_from("198.51.100.1", path, form, cookie).await
    }

    /// Opens the invite: the journey id its page carries.
    async fn open(&self) -> String {
        let page = self.get(&format!("/i/{}", self.token), None).await;
        assert_eq!(page.status, StatusCode::OK);
        journey_in(&page.text())
    }

    /// Submits `number` on `journey` from `ip`: where the answer sends the browser.
    async fn submit_from(&self, ip: &str, journey: &str, number: &str) -> String {
        let r = self
            .post_from(
                ip,
                "/api/submit_number",
                &format!(
                    "token={}&journey={journey}&region=GB&number={}",
                    self.token,
                    number.replace('+', "%2B")
                ),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
        r.location()
    }

    async fn submit(&self, journey: &str, number: &str) -> String {
        self.submit_from("198.51.100.1", journey, number).await
    }

    /// Sends what is due; every text the local sender wrote, oldest first.
    async fn texts(&self) -> Vec<serde_json::Value> {
        while domain::sms::send_one(
            &self.state.store,
            self.state.sms.as_ref(),
            self.state.retry_policy(),
        )
        .await
        .unwrap()
        {}
        std::fs::read_to_string(&self.state.config.sms.outbox_file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The newest text to `to`: (link path, code).
    async fn text_to(&self, to: &str) -> (String, String) {
        let texts = self.texts().await;
        let sms = texts
            .iter()
            .rev()
            .find(|s| s["to"] == to)
            .unwrap_or_else(|| panic!("a text to {to}"));
        let body = sms["body"].as_str().unwrap();
        let link = body
            .lines()
            .find_map(|l| l.strip_prefix("https://pass.example.test"))
            .expect("a link")
            .to_owned();
        let code = body.rsplit('#').next().unwrap().trim().to_owned();
        (link, code)
    }

    async fn member_id(&self, e164: &str) -> i64 {
        self.state
            .store
            .members_by_mobile(1, e164)
            .await
            .unwrap()
            .remove(0)
            .id
    }

    async fn journey(&self, public_id: &str) -> domain::store::SqlJourney {
        self.state
            .store
            .journey_by_public_id(public_id)
            .await
            .unwrap()
            .expect("the journey exists")
    }

    async fn events(&self, public_id: &str) -> Vec<(String, String)> {
        let j = self.journey(public_id).await;
        self.state
            .store
            .journey_events(j.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.detail))
            .collect()
    }

    /// The pass.json of a `.pkpass` answer.
    fn pass_json(r: &Reply) -> serde_json::Value {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let files = common::unzip(&r.body);
        serde_json::from_slice(&files["pass.json"]).unwrap()
    }

    async fn scalar(&self, sql: &str) -> i64 {
        common::scalar(&self.t, sql).await
    }

    async fn texts_column(&self) -> Vec<String> {
        let sql = "SELECT body FROM sms_outbox ORDER BY id";
        if self.t.name == "postgres" {
            let pool = sqlx::PgPool::connect(&self.t.url).await.unwrap();
            let v = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            v
        } else {
            let pool = sqlx::SqlitePool::connect(&self.t.url).await.unwrap();
            let v = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            v
        }
    }
}

// ---- the chain: invite → journey → link → pass ----

/// The review's case: A's link, then B's number on A's journey while B's texts are limited.
#[tokio::test]
async fn a_link_issues_only_the_member_it_was_texted_to() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        // Grace's one text a minute is used up.
        let g = e.open().await;
        assert!(e.submit(&g, GRACE).await.contains("/sent?j="));
        // Ada gets her own link.
        let a = e.open().await;
        assert!(e.submit(&a, ADA).await.contains("/sent?j="));
        let (ada_link, _) = e.text_to(ADA).await;
        // Grace's number on Ada's journey, while Grace is limited.
        e.submit(&a, GRACE).await;

        let page = e.get(&ada_link, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("Your pass is ready, Ada"),
            "{}",
            e.t.name
        );
        assert!(!page.text().contains("Grace"));
        let pass = Env::pass_json(&e.post(&format!("{ada_link}/apple"), "", None).await);
        assert_eq!(pass["generic"]["primaryFields"][0]["value"], "Ada Lovelace");
        assert_ne!(pass["barcodes"][0]["message"], "H10301:42:1002");
        assert_eq!(
            e.journey(&a).await.member_id,
            Some(e.member_id(ADA).await),
            "the matched journey still belongs to Ada"
        );
    }
}

#[tokio::test]
async fn another_number_on_a_matched_journey_starts_a_new_journey() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (ada_link, _) = e.text_to(ADA).await;
        let next = e.submit(&a, KATHERINE).await;
        assert!(next.contains("/sent?j="), "{next}");
        let k = j_of(&next);
        assert_ne!(k, a, "Katherine's number starts a journey of its own");
        assert_eq!(e.journey(&a).await.member_id, Some(e.member_id(ADA).await));
        assert_eq!(
            e.journey(&k).await.member_id,
            Some(e.member_id(KATHERINE).await)
        );
        let (k_link, _) = e.text_to(KATHERINE).await;
        let ada = Env::pass_json(&e.post(&format!("{ada_link}/apple"), "", None).await);
        let kat = Env::pass_json(&e.post(&format!("{k_link}/apple"), "", None).await);
        assert_eq!(ada["generic"]["primaryFields"][0]["value"], "Ada Lovelace");
        assert_eq!(
            kat["generic"]["primaryFields"][0]["value"],
            "Katherine Johnson"
        );
    }
}

// ---- the 6-digit code ----

async fn code_post(e: &Env, ip: &str, journey: &str, code: &str) -> String {
    e.post_from(
        ip,
        &format!("/i/{}/code", e.token),
        &format!("journey={journey}&code={code}"),
        None,
    )
    .await
    .location()
}

fn wrong(code: &str, n: u32) -> String {
    let c: u32 = code.parse().unwrap();
    format!("{:06}", (c + 1 + n) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_code_guesses_get_five_tries_and_a_locked_code_never_opens() {
    for t in common::stores().await {
        let e = std::sync::Arc::new(env_on(t, &[("ELUMO_LIMIT_SUBMISSIONS_PER_IP", "1000")]).await);
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (_, code) = e.text_to(ADA).await;
        let mut tasks = Vec::new();
        for n in 0..40 {
            let (e, a, guess) = (e.clone(), a.clone(), wrong(&code, n));
            tasks.push(tokio::spawn(async move {
                code_post(&e, &format!("203.0.113.{}", n % 200 + 1), &a, &guess).await
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let tries = e
            .events(&a)
            .await
            .into_iter()
            .filter(|(k, _)| k == "code_wrong")
            .count();
        assert_eq!(tries, 5, "40 parallel guesses, 5 evaluated ({})", e.t.name);
        let right = code_post(&e, "203.0.113.250", &a, &code).await;
        assert!(right.contains("n=code-locked"), "{right}");
    }
}

#[tokio::test]
async fn wrong_codes_are_capped_per_number_across_links_and_count_per_address() {
    for t in common::stores().await {
        let e = env_on(
            t,
            &[
                ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100"),
                ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_DAY", "100"),
                ("ELUMO_LIMIT_SUBMISSIONS_PER_IP", "1000"),
            ],
        )
        .await;
        // Four wrong codes on each of three links of the same number, from many addresses.
        let mut last = (String::new(), String::new());
        for round in 0..3u32 {
            let j = e.open().await;
            e.submit(&j, ADA).await;
            let (_, code) = e.text_to(ADA).await;
            for n in 0..4 {
                code_post(
                    &e,
                    &format!("203.0.113.{}", round * 10 + n + 1),
                    &j,
                    &wrong(&code, n),
                )
                .await;
            }
            last = (j, code);
        }
        // 12 wrong codes for this number today: the right one no longer opens a link.
        let right = code_post(&e, "203.0.113.99", &last.0, &last.1).await;
        assert!(right.contains("n=code-locked"), "{right} ({})", e.t.name);
    }
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SUBMISSIONS_PER_IP", "6")]).await;
        let a = e.open().await;
        e.submit_from("192.0.2.1", &a, ADA).await;
        let (_, code) = e.text_to(ADA).await;
        for n in 0..4 {
            code_post(&e, "192.0.2.66", &a, &wrong(&code, n)).await;
        }
        let k = e.open().await;
        e.submit_from("192.0.2.2", &k, KATHERINE).await;
        let (_, code) = e.text_to(KATHERINE).await;
        for n in 0..2 {
            code_post(&e, "192.0.2.66", &k, &wrong(&code, n)).await;
        }
        // Six wrong codes from this address: its next submission is refused, another's is not.
        let j = e.open().await;
        let next = e.submit_from("192.0.2.66", &j, UNKNOWN).await;
        let page = e.get(&next, None).await.text();
        assert!(page.contains("Too many attempts"), "{} {next}", e.t.name);
        let j = e.open().await;
        let next = e.submit_from("192.0.2.77", &j, UNKNOWN).await;
        assert!(!e
            .get(&next, None)
            .await
            .text()
            .contains("Too many attempts"));
    }
}

// ---- voiding is final ----

fn jwt_object_id(save_url: &str) -> String {
    use base64::Engine as _;
    let jwt = save_url.rsplit('/').next().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["payload"]["genericObjects"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_voided_pass_is_never_revived() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100")]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (link, _) = e.text_to(ADA).await;
        let first = e.post(&format!("{link}/apple"), "", None).await;
        let cookie = first.cookie().unwrap();
        let old = Env::pass_json(&first);
        let google_first = e
            .post(&format!("{link}/google"), "", Some(&cookie))
            .await
            .location();
        let (serial, auth) = (
            old["serialNumber"].as_str().unwrap().to_owned(),
            old["authenticationToken"].as_str().unwrap().to_owned(),
        );
        let pass_type = old["passTypeIdentifier"].as_str().unwrap().to_owned();
        let device = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
        let reg = e
            .send(
                Request::post(format!(
                    "/passkit/v1/devices/{device}/registrations/{pass_type}/{serial}"
                ))
                .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"pushToken":"0123456789abcdef"}"#))
                .unwrap(),
                "198.51.100.1",
            )
            .await;
        assert_eq!(reg.status, StatusCode::CREATED);

        // The phone was stolen: staff void the pass.
        for pass in e
            .state
            .store
            .wallet_passes_for_member(e.member_id(ADA).await)
            .await
            .unwrap()
        {
            e.state.store.void_wallet_pass(pass.id).await.unwrap();
        }

        // The voided pass's link, still in the thief's hands, issues nothing any more.
        let stale_link = e.post(&format!("{link}/apple"), "", Some(&cookie)).await;
        assert_eq!(stale_link.status, StatusCode::SEE_OTHER, "{}", e.t.name);
        assert!(!stale_link.location().contains("pay.google.com"));

        // Ada starts again on her new phone.
        let b = e.open().await;
        e.submit(&b, ADA).await;
        let (link2, _) = e.text_to(ADA).await;
        let again = e.post(&format!("{link2}/apple"), "", None).await;
        let cookie2 = again.cookie().unwrap();
        let new = Env::pass_json(&again);
        assert_ne!(new["serialNumber"], old["serialNumber"], "{}", e.t.name);
        assert_ne!(new["authenticationToken"], old["authenticationToken"]);
        assert!(new.get("voided").is_none_or(|v| v == false));
        let google_again = e
            .post(&format!("{link2}/google"), "", Some(&cookie2))
            .await
            .location();
        assert_ne!(jwt_object_id(&google_again), jwt_object_id(&google_first));

        // The stolen phone still asks with the old serial and token: it gets the void pass.
        let latest = e
            .send(
                Request::get(format!("/passkit/v1/passes/{pass_type}/{serial}"))
                    .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
                    .body(Body::empty())
                    .unwrap(),
                "198.51.100.1",
            )
            .await;
        let stale = Env::pass_json(&latest);
        assert_eq!(stale["voided"], true);
        assert_eq!(stale["serialNumber"], old["serialNumber"]);
        // Its registration stays with the old serial; the new pass is not its to fetch.
        let serials = e
            .send(
                Request::get(format!(
                    "/passkit/v1/devices/{device}/registrations/{pass_type}"
                ))
                .body(Body::empty())
                .unwrap(),
                "198.51.100.1",
            )
            .await
            .text();
        assert!(
            serials.contains(&serial) && !serials.contains(new["serialNumber"].as_str().unwrap())
        );
        let other = e
            .send(
                Request::get(format!(
                    "/passkit/v1/passes/{pass_type}/{}",
                    new["serialNumber"].as_str().unwrap()
                ))
                .header(header::AUTHORIZATION, format!("ApplePass {auth}"))
                .body(Body::empty())
                .unwrap(),
                "198.51.100.1",
            )
            .await;
        assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    }
}

// ---- starting again ----

#[tokio::test]
async fn restart_is_only_for_a_link_that_can_no_longer_be_used() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100")]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (link, _) = e.text_to(ADA).await;
        let restart = format!("{link}/restart");
        // A link that still works: no fresh start, it is still the way in.
        let r = e.post(&restart, "", None).await;
        assert!(
            !r.location().starts_with("/i/"),
            "{} {}",
            e.t.name,
            r.location()
        );

        // Expired: a fresh start, a few times a day.
        common::sql(&e.t, "UPDATE link_tokens SET expires_at = 1").await;
        for n in 0..3 {
            let r = e.post(&restart, "", None).await;
            assert!(
                r.location().starts_with("/i/"),
                "restart {n}: {}",
                r.location()
            );
        }
        let r = e.post(&restart, "", None).await;
        assert!(
            !r.location().starts_with("/i/"),
            "a fourth today is refused"
        );
        let page = e.get(&r.location(), None).await.text();
        assert!(page.contains("started again too often"), "{page}");

        // The poster was taken down: no fresh invite from its old links.
        let b = e.open().await;
        e.submit(&b, KATHERINE).await;
        let (k_link, _) = e.text_to(KATHERINE).await;
        common::sql(&e.t, "UPDATE link_tokens SET expires_at = 1").await;
        common::sql(&e.t, "UPDATE invites SET revoked_at = 1").await;
        let r = e.post(&format!("{k_link}/restart"), "", None).await;
        assert!(!r.location().starts_with("/i/"), "{}", r.location());
    }
}

#[tokio::test]
async fn restart_is_refused_to_a_member_who_left() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (link, _) = e.text_to(ADA).await;
        common::sql(&e.t, "UPDATE link_tokens SET expires_at = 1").await;
        common::sql(
            &e.t,
            "UPDATE members SET active = FALSE WHERE external_id = 'nw-1001'",
        )
        .await;
        let r = e.post(&format!("{link}/restart"), "", None).await;
        assert!(!r.location().starts_with("/i/"), "{}", r.location());
    }
}

// ---- strict enumeration ----

/// A redirect with the journey ids and numbers taken out.
fn shape(location: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for part in location.split(['?', '&']) {
        if !out.is_empty() {
            out.push('&');
        }
        if let Some(rest) = part.strip_prefix("j=") {
            out.push_str("j=");
            let _ = rest;
            skipping = true;
            continue;
        }
        out.push_str(&part.replace(|c: char| c.is_ascii_digit(), "#"));
    }
    let _ = skipping;
    out
}

#[tokio::test]
async fn strict_mode_answers_a_miss_exactly_as_a_match() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        e.state
            .store
            .set_operator_limits(1, true, "", 500)
            .await
            .unwrap();
        let mut answers: Vec<Vec<String>> = Vec::new();
        for (number, others) in [
            (ADA, ["+447400123098", "+447400123097"]),
            (UNKNOWN, ["+447400123096", "+447400123095"]),
        ] {
            let j = e.open().await;
            let mut seen = vec![shape(&e.submit(&j, number).await)];
            e.texts().await;
            // "Send again" at once.
            let r = e
                .post(
                    "/api/resend_link",
                    &format!("token={}&journey={j}", e.token),
                    None,
                )
                .await;
            seen.push(shape(&r.location()));
            // A wrong code.
            seen.push(shape(&code_post(&e, "198.51.100.7", &j, "000000").await));
            // The same number again, on the same journey.
            seen.push(shape(&e.submit(&j, number).await));
            // "Send again" after that, and the page it comes back to.
            let r = e
                .post(
                    "/api/resend_link",
                    &format!("token={}&journey={j}", e.token),
                    None,
                )
                .await;
            seen.push(shape(&r.location()));
            let sent = e.get(&format!("/i/{}/sent?j={j}", e.token), None).await;
            seen.push(sent.status.to_string());
            // The phone page reopened on the journey says nothing of the number.
            let page = e.get(&format!("/i/{}?j={j}", e.token), None).await.text();
            seen.push(page.contains("find that number").to_string());
            // Another number on the same journey.
            seen.push(shape(&e.submit(&j, others[0]).await));
            let other = j_of(&e.submit(&j, others[1]).await);
            seen.push((other == j).to_string());
            answers.push(seen);
        }
        assert_eq!(answers[0], answers[1], "({})", e.t.name);
    }
}

#[tokio::test]
async fn strict_mode_answers_a_miss_as_a_match_when_the_text_budget_is_out() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        e.state
            .store
            .set_operator_limits(1, true, "", 1)
            .await
            .unwrap();
        let j = e.open().await;
        assert!(e.submit(&j, ADA).await.contains("/sent?j="));
        let mut pages = Vec::new();
        for number in [GRACE, UNKNOWN] {
            let j = e.open().await;
            let next = e.submit(&j, number).await;
            pages.push(shape(&next));
            let html = e.get(&next, None).await.text();
            assert!(html.contains("send texts right now"), "{} {html}", e.t.name);
        }
        assert_eq!(pages[0], pages[1]);
    }
}

// ---- what the link page shows before the claim ----

#[tokio::test]
async fn the_link_page_shows_no_credential_before_the_claim() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let g = e.open().await;
        e.submit(&g, GRACE).await;
        let (link, _) = e.text_to(GRACE).await;
        // A message app's previewer fetches the link.
        let preview = e.get(&link, None).await.text();
        assert!(preview.contains("Grace"), "the first name is enough");
        assert!(
            !preview.contains("1002") && !preview.contains("Hopper"),
            "{preview}"
        );
    }
}

// ---- opening an invite ----

#[tokio::test]
async fn opening_an_invite_writes_nothing_and_the_journey_starts_with_a_number() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let before = (
            e.scalar("SELECT COUNT(*) FROM journeys").await,
            e.scalar("SELECT COUNT(*) FROM journey_events").await,
        );
        let mut journeys = Vec::new();
        for _ in 0..5 {
            journeys.push(e.open().await);
        }
        let after = (
            e.scalar("SELECT COUNT(*) FROM journeys").await,
            e.scalar("SELECT COUNT(*) FROM journey_events").await,
        );
        assert_eq!(
            before, after,
            "a preview bot's GET writes nothing ({})",
            e.t.name
        );

        e.submit(&journeys[0], ADA).await;
        assert_eq!(
            e.scalar("SELECT COUNT(*) FROM journeys").await,
            before.0 + 1
        );
        let kinds: Vec<String> = e
            .events(&journeys[0])
            .await
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(kinds[..2], ["invite_opened", "number_submitted"]);

        // The opens are counted all the same, for the funnel.
        domain::journeys::flush_opens(&e.state).await.unwrap();
        let (funnel, _) = e
            .state
            .store
            .funnel(1, 0, domain::store::now_ms() + 60_000)
            .await
            .unwrap();
        assert_eq!((funnel.opened, funnel.matched), (5, 1));
    }
}

// ---- limits that protect without locking a building out ----

#[tokio::test]
async fn two_people_cannot_lock_a_poster_and_ipv6_counts_by_64() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        for ip in ["192.0.2.10", "192.0.2.11", "192.0.2.12"] {
            for _ in 0..10 {
                let j = e.open().await;
                e.submit_from(ip, &j, UNKNOWN).await;
            }
        }
        // Thirty misses from three addresses: a fourth person at the poster is still answered.
        let j = e.open().await;
        let next = e.submit_from("192.0.2.13", &j, UNKNOWN).await;
        let page = e.get(&next, None).await.text();
        assert!(page.contains("find that number"), "{} {page}", e.t.name);

        // One /64 is one client.
        for n in 0..10 {
            let j = e.open().await;
            e.submit_from(&format!("2001:db8:0:1::{}", n + 1), &j, UNKNOWN)
                .await;
        }
        let j = e.open().await;
        let next = e.submit_from("2001:db8:0:1:ffff::1", &j, UNKNOWN).await;
        assert!(e
            .get(&next, None)
            .await
            .text()
            .contains("Too many attempts"));
        let j = e.open().await;
        let next = e.submit_from("2001:db8:0:2::1", &j, UNKNOWN).await;
        assert!(!e
            .get(&next, None)
            .await
            .text()
            .contains("Too many attempts"));
    }
}

#[tokio::test]
async fn a_member_invite_keeps_its_own_limit() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let token = domain::tokens::Token::generate(16);
        e.state
            .store
            .insert_invite(&domain::store::NewInvite {
                operator_id: 1,
                site_id: None,
                member_id: Some(e.member_id(ADA).await),
                token_hash: &token.hash(),
                channel: "email",
                expires_at: domain::store::now_ms() + 3_600_000,
            })
            .await
            .unwrap();
        let path = format!("/i/{}", token.expose());
        let mut last = String::new();
        for n in 0..21 {
            let journey = journey_in(&e.get(&path, None).await.text());
            let r = e
                .post_from(
                    &format!("192.0.2.{}", n + 20),
                    "/api/submit_number",
                    &format!(
                        "token={}&journey={journey}&region=GB&number=07400123099",
                        token.expose()
                    ),
                    None,
                )
                .await;
            last = r.location();
        }
        assert!(e
            .get(&last, None)
            .await
            .text()
            .contains("Too many attempts"));
    }
}

#[tokio::test]
async fn the_daily_text_limit_of_a_number_is_counted_per_operator() {
    for t in common::stores().await {
        let e = env_on(
            t,
            &[
                ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100"),
                ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_DAY", "2"),
            ],
        )
        .await;
        let store = &e.state.store;
        let acme = store
            .insert_operator(&domain::store::NewOperator {
                slug: "acme",
                name: "Acme Offices",
                brand_color: "#222222",
                accent_color: "#111111",
                support_email: Some("help@acme.example"),
                support_phone: None,
                support_url: None,
                default_region: "GB",
            })
            .await
            .unwrap();
        store
            .upsert_member(&domain::store::NewMember {
                operator_id: acme,
                external_id: "acme-1",
                first_name: "Ada",
                last_name: "Byron",
                email: None,
                mobile_e164: Some(ADA),
                source: "test",
                synced_at: Some(domain::store::now_ms()),
                active: true,
            })
            .await
            .unwrap();
        let token = domain::tokens::Token::generate(16);
        store
            .insert_invite(&domain::store::NewInvite {
                operator_id: acme,
                site_id: None,
                member_id: None,
                token_hash: &token.hash(),
                channel: "print",
                expires_at: domain::store::now_ms() + 3_600_000,
            })
            .await
            .unwrap();
        for _ in 0..2 {
            let j = e.open().await;
            assert!(e.submit(&j, ADA).await.contains("/sent?j="));
        }
        let j = e.open().await;
        assert!(
            !e.submit(&j, ADA).await.contains("/sent?j="),
            "Northwind's two are used"
        );

        let path = format!("/i/{}", token.expose());
        let journey = journey_in(&e.get(&path, None).await.text());
        let r = e
            .post(
                "/api/submit_number",
                &format!(
                    "token={}&journey={journey}&region=GB&number=07400123001",
                    token.expose()
                ),
                None,
            )
            .await;
        assert!(
            r.location().contains("/sent?j="),
            "{} {}",
            e.t.name,
            r.location()
        );
    }
}

// ---- development surfaces and secrets at rest ----

#[tokio::test]
async fn the_dev_outbox_is_only_for_loopback_in_development_with_the_local_sender() {
    let t = common::sqlite_store().await;
    let e = env_on(t, &[]).await;
    let a = e.open().await;
    e.submit(&a, ADA).await;
    e.texts().await;
    let from = |ip: &str| {
        let mut req = Request::get("/dev/outbox").body(Body::empty()).unwrap();
        common::http::from(&mut req, ip);
        req
    };
    let (status, _, html) = common::send(&e.router, from("127.0.0.1")).await.parts();
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/l/"),
        "the local sender's text with its link"
    );
    let (status, _, html) = common::send(&e.router, from("203.0.113.8")).await.parts();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("/l/"));

    // A real provider's messages are never shown, even in development on loopback.
    let t = common::sqlite_store().await;
    let e = env_on(
        t,
        &[
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_ACCOUNT_SID", "AC0123"),
            ("ELUMO_TWILIO_AUTH_TOKEN", "secret"),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
            ("ELUMO_TWILIO_BASE_URL", "http://127.0.0.1:9"),
        ],
    )
    .await;
    let a = e.open().await;
    e.submit(&a, ADA).await;
    let (status, _, html) = common::send(&e.router, from("127.0.0.1")).await.parts();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("/l/"));
}

#[tokio::test]
async fn a_text_handed_to_the_provider_leaves_only_a_masked_copy() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (link, code) = e.text_to(ADA).await;
        let token = link.trim_start_matches("/l/");
        let bodies = e.texts_column().await;
        assert_eq!(bodies.len(), 1);
        assert!(
            !bodies[0].contains(token) && !bodies[0].contains(&code),
            "{} {}",
            e.t.name,
            bodies[0]
        );
        assert!(
            bodies[0].starts_with("Northwind Workspace: "),
            "{}",
            bodies[0]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_number_sent_twice_at_once_starts_one_journey() {
    for t in common::stores().await {
        let e = std::sync::Arc::new(env_on(t, &[]).await);
        let j = e.open().await;
        let mut tasks = Vec::new();
        for n in 0..8 {
            let (e, j) = (e.clone(), j.clone());
            tasks.push(tokio::spawn(async move {
                e.post_from(
                    &format!("203.0.113.{}", n + 1),
                    "/api/submit_number",
                    &format!("token={}&journey={j}&region=GB&number=07400123099", e.token),
                    None,
                )
                .await
                .status
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), StatusCode::FOUND, "({})", e.t.name);
        }
        assert_eq!(
            e.scalar("SELECT COUNT(*) FROM journeys").await,
            1,
            "({})",
            e.t.name
        );
    }
}

#[tokio::test]
async fn a_link_texted_to_a_number_the_member_no_longer_has_issues_nothing() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let g = e.open().await;
        e.submit(&g, GRACE).await;
        let (link, _) = e.text_to(GRACE).await;
        // The CRM moves Grace to a new number; the old one may now be a stranger's.
        common::sql(
            &e.t,
            "UPDATE members SET mobile_e164 = '+447400123999' WHERE external_id = 'nw-1002'",
        )
        .await;
        let r = e.post(&format!("{link}/apple"), "", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", e.t.name);
        let page = e.get(&link, None).await.text();
        assert!(!page.contains("Your pass is ready"), "{page}");
    }
}

#[tokio::test]
async fn control_characters_in_a_number_or_a_journey_id_get_a_clear_answer() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let j = e.open().await;
        let r = e
            .post(
                "/api/submit_number",
                &format!("token={}&journey={j}&region=GB&number=%00%0707400", e.token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND, "{} {}", e.t.name, r.text());
        let r = e
            .post(
                &format!("/i/{}/code", e.token),
                "journey=%00abc&code=123456",
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{} {}", e.t.name, r.text());
    }
}

// ---- from a second review: what the first fixes left open ----

/// One address repeating a member's number (a text refused each time after the first) must not
/// spend a poster's ceiling for the whole building: an attempt that texts nobody counts against
/// the address, which stops it long before the poster.
#[tokio::test]
async fn one_address_repeating_a_members_number_cannot_lock_a_poster() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "30")]).await;
        for _ in 0..30 {
            let j = e.open().await;
            e.submit_from("192.0.2.50", &j, ADA).await;
        }
        let j = e.open().await;
        let next = e.submit_from("192.0.2.51", &j, GRACE).await;
        assert!(
            next.contains("/sent?j="),
            "another member at the poster goes on ({}): {next} {}",
            e.t.name,
            e.get(&next, None).await.text()
        );
        let next = e
            .submit_from("192.0.2.50", &e.open().await, KATHERINE)
            .await;
        assert!(
            e.get(&next, None)
                .await
                .text()
                .contains("Too many attempts"),
            "the repeating address is stopped ({})",
            e.t.name
        );
    }
}

/// Strict mode: a miss and a match count alike against the address, so how soon an address is
/// stopped says nothing of the numbers it sent.
#[tokio::test]
async fn strict_mode_counts_a_miss_and_a_match_alike_against_the_address() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SUBMISSIONS_PER_IP", "2")]).await;
        e.state
            .store
            .set_operator_limits(1, true, "", 500)
            .await
            .unwrap();
        let mut third = Vec::new();
        for (ip, numbers) in [
            ("192.0.2.60", [ADA, "+447400123091", "+447400123092"]),
            (
                "192.0.2.61",
                ["+447400123093", "+447400123094", "+447400123095"],
            ),
        ] {
            let mut last = String::new();
            for number in numbers {
                let j = e.open().await;
                last = e.submit_from(ip, &j, number).await;
            }
            let html = e.get(&last, None).await.text();
            third.push((shape(&last), html.contains("Too many attempts")));
        }
        assert_eq!(third[0], third[1], "({})", e.t.name);
    }
}

/// Strict mode: the sent page and the reopened phone page speak the language a number was
/// entered in, for a miss as for a match.
#[tokio::test]
async fn strict_mode_keeps_the_language_of_a_miss_as_of_a_match() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let mut op = e.state.store.operator(1).await.unwrap().unwrap();
        op.languages = "en,de".to_owned();
        op.default_language = "en".to_owned();
        e.state.store.update_operator_settings(&op).await.unwrap();
        e.state
            .store
            .set_operator_limits(1, true, "", 500)
            .await
            .unwrap();
        let mut langs = Vec::new();
        for number in [ADA, UNKNOWN] {
            let j = e.open().await;
            let r = e
                .post(
                    "/api/submit_number",
                    &format!(
                        "token={}&journey={j}&region=GB&number={}&lang=de",
                        e.token,
                        number.replace('+', "%2B")
                    ),
                    None,
                )
                .await;
            let j = j_of(&r.location());
            let sent = e.get(&format!("/i/{}/sent?j={j}", e.token), None).await;
            let reopened = e.get(&format!("/i/{}?j={j}", e.token), None).await;
            let lang = |html: &str| {
                html.split("<html")
                    .nth(1)
                    .and_then(|h| h.split("lang=\"").nth(1))
                    .and_then(|h| h.split('"').next())
                    .unwrap_or_default()
                    .to_owned()
            };
            langs.push((lang(&sent.text()), lang(&reopened.text())));
        }
        assert_eq!(langs[0], langs[1], "({})", e.t.name);
    }
}

/// Opening the link again (a refresh, a previewer, the wallet page after the download) writes
/// nothing and never takes the journey back from "pass issued".
#[tokio::test]
async fn opening_a_link_again_writes_nothing_and_keeps_the_journeys_step() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (link, _) = e.text_to(ADA).await;
        assert_eq!(e.get(&link, None).await.status, StatusCode::OK);
        let events = e.events(&a).await.len();
        Env::pass_json(&e.post(&format!("{link}/apple"), "", None).await);
        let issued = e.events(&a).await.len();
        assert!(issued > events);
        assert_eq!(e.journey(&a).await.step, "pass_issued");
        for _ in 0..3 {
            e.get(&link, None).await;
        }
        assert_eq!(e.journey(&a).await.step, "pass_issued", "({})", e.t.name);
        assert_eq!(e.events(&a).await.len(), issued, "({})", e.t.name);
        // Before the press, many opens are one "link opened".
        let b = e.open().await;
        e.submit(&b, GRACE).await;
        let (link, _) = e.text_to(GRACE).await;
        for _ in 0..3 {
            e.get(&link, None).await;
        }
        let opened = e
            .events(&b)
            .await
            .iter()
            .filter(|(kind, _)| kind == "link_opened")
            .count();
        assert_eq!(opened, 1, "({})", e.t.name);
    }
}

/// The CRM moved a number from one member to another: the same number on the first member's
/// matched journey starts a journey of its own for the second.
#[tokio::test]
async fn a_number_that_moved_to_another_member_starts_a_journey_of_its_own() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "5")]).await;
        let (ada, grace) = (e.member_id(ADA).await, e.member_id(GRACE).await);
        let a = e.open().await;
        e.submit(&a, ADA).await;
        common::sql(
            &e.t,
            &format!("UPDATE members SET mobile_e164 = NULL WHERE id = {ada}"),
        )
        .await;
        common::sql(
            &e.t,
            &format!("UPDATE members SET mobile_e164 = '{ADA}' WHERE id = {grace}"),
        )
        .await;
        let next = e.submit(&a, ADA).await;
        assert!(next.contains("/sent?j="), "{next}");
        let g = j_of(&next);
        assert_ne!(g, a, "({}) a journey of its own", e.t.name);
        assert_eq!(e.journey(&a).await.member_id, Some(ada));
        assert_eq!(e.journey(&g).await.member_id, Some(grace));
        let matched = e
            .events(&a)
            .await
            .iter()
            .filter(|(kind, _)| kind == "member_matched")
            .count();
        assert_eq!(matched, 1, "Ada's journey matched only Ada");
    }
}

/// Behind a local tunnel or proxy every client is loopback: a forwarded request never sees the
/// development outbox.
#[tokio::test]
async fn the_dev_outbox_refuses_a_forwarded_request() {
    let e = env_on(common::sqlite_store().await, &[]).await;
    let a = e.open().await;
    e.submit(&a, ADA).await;
    e.texts().await;
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.8"),
        ("forwarded", "for=203.0.113.8"),
    ] {
        let mut req = Request::get("/dev/outbox")
            .header(name, value)
            .body(Body::empty())
            .unwrap();
        common::http::from(&mut req, "127.0.0.1");
        let (status, _, html) = common::send(&e.router, req).await.parts();
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
        assert!(!html.contains("/l/"));
    }
}

/// A fresh start is for a link replaced by a newer text or claimed by another browser too, and
/// never once the invite itself has expired.
#[tokio::test]
async fn restart_follows_a_replaced_or_claimed_link_but_not_an_expired_invite() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "100")]).await;
        // Replaced: the same number again texts a new link; the first can start again.
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (first, _) = e.text_to(ADA).await;
        e.submit(&a, ADA).await;
        let (second, _) = e.text_to(ADA).await;
        assert_ne!(first, second);
        let r = e.post(&format!("{first}/restart"), "", None).await;
        assert!(
            r.location().starts_with("/i/"),
            "{} {}",
            e.t.name,
            r.location()
        );

        // Claimed by another browser: this one can start again.
        let r = e.post(&format!("{second}/apple"), "", None).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = e.post(&format!("{second}/restart"), "", None).await;
        assert!(
            r.location().starts_with("/i/"),
            "{} {}",
            e.t.name,
            r.location()
        );

        // The invite expired: no fresh invite from its links.
        let k = e.open().await;
        e.submit(&k, KATHERINE).await;
        let (k_link, _) = e.text_to(KATHERINE).await;
        common::sql(&e.t, "UPDATE link_tokens SET expires_at = 1").await;
        common::sql(&e.t, "UPDATE invites SET expires_at = 1").await;
        let r = e.post(&format!("{k_link}/restart"), "", None).await;
        assert!(
            !r.location().starts_with("/i/"),
            "{} {}",
            e.t.name,
            r.location()
        );
    }
}

// ---- from a third look: what the second review's fixes left open ----

/// Strict mode: one address inventing numbers (each answered as a match, none texted) cannot
/// spend a poster's ceiling either: every attempt counts against the address's own ceiling.
#[tokio::test]
async fn strict_mode_one_address_inventing_numbers_cannot_lock_a_poster() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "150")]).await;
        e.state
            .store
            .set_operator_limits(1, true, "", 500)
            .await
            .unwrap();
        for i in 0..150 {
            let j = e.open().await;
            e.submit_from("192.0.2.70", &j, &format!("+447400125{i:03}"))
                .await;
        }
        let j = e.open().await;
        let next = e.submit_from("192.0.2.71", &j, GRACE).await;
        let page = e.get(&next, None).await.text();
        assert!(
            next.contains("/sent?j=") && !page.contains("Too many attempts"),
            "the poster is still open ({}): {next}",
            e.t.name
        );
        let j = e.open().await;
        let next = e.submit_from("192.0.2.70", &j, "+447400126001").await;
        assert!(
            e.get(&next, None)
                .await
                .text()
                .contains("Too many attempts"),
            "the inventing address is stopped ({}): {next}",
            e.t.name
        );
    }
}

/// Behind a reverse proxy on the same host every client is loopback: a forwarded scrape of
/// `/metrics` (which tells a texted match from strict mode's stand-in) gets the not-found page.
#[tokio::test]
async fn metrics_refuse_a_forwarded_request() {
    let e = env_on(common::sqlite_store().await, &[]).await;
    let scrape = |forwarded: Option<(&str, &str)>| {
        let mut req = Request::get("/metrics");
        if let Some((name, value)) = forwarded {
            req = req.header(name, value);
        }
        let mut req = req.body(Body::empty()).unwrap();
        common::http::from(&mut req, "127.0.0.1");
        req
    };
    let (status, _, text) = common::send(&e.router, scrape(None)).await.parts();
    assert_eq!(status, StatusCode::OK, "loopback itself may scrape");
    assert!(text.contains("elumo_"));
    for forwarded in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        let (status, _, text) = common::send(&e.router, scrape(Some(forwarded)))
            .await
            .parts();
        assert_eq!(status, StatusCode::NOT_FOUND, "{forwarded:?}");
        assert!(!text.contains("elumo_sms"));
    }
}

/// A request refused again and again writes nothing more: "send again" pressed fifty times adds
/// one line to the timeline, and an address past its limit starts no journeys, while the page
/// without JavaScript still says why.
#[tokio::test]
async fn refused_requests_write_nothing_more() {
    for t in common::stores().await {
        let e = env_on(t, &[]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let before = e.events(&a).await.len();
        for _ in 0..50 {
            e.post(
                "/api/resend_link",
                &format!("token={}&journey={a}", e.token),
                None,
            )
            .await;
        }
        let after = e.events(&a).await.len();
        assert!(after <= before + 1, "({}) {before} → {after}", e.t.name);

        for _ in 0..10 {
            let j = e.open().await;
            e.submit_from("192.0.2.80", &j, UNKNOWN).await;
        }
        let journeys = e.scalar("SELECT COUNT(*) FROM journeys").await;
        let events = e.scalar("SELECT COUNT(*) FROM journey_events").await;
        let mut last = String::new();
        for _ in 0..40 {
            let j = e.open().await;
            last = e.submit_from("192.0.2.80", &j, UNKNOWN).await;
        }
        assert_eq!(
            (
                e.scalar("SELECT COUNT(*) FROM journeys").await,
                e.scalar("SELECT COUNT(*) FROM journey_events").await
            ),
            (journeys, events),
            "({})",
            e.t.name
        );
        let page = e.get(&last, None).await.text();
        assert!(page.contains("Too many attempts"), "({}) {last}", e.t.name);
    }
}

/// "Send again" after the pass was issued sends a new link but leaves the journey finished.
#[tokio::test]
async fn send_again_after_the_pass_keeps_the_journey_finished() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "5")]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (link, _) = e.text_to(ADA).await;
        Env::pass_json(&e.post(&format!("{link}/apple"), "", None).await);
        assert_eq!(e.journey(&a).await.step, "pass_issued");
        e.post(
            "/api/resend_link",
            &format!("token={}&journey={a}", e.token),
            None,
        )
        .await;
        assert_eq!(e.journey(&a).await.step, "pass_issued", "({})", e.t.name);
    }
}

/// The wallet page's "the pass on the other phone stops working" holds only for a pass of the
/// wallet the page offers first (a new phone replaces per platform): a member whose other phone
/// holds a Google pass is not told that on an iPhone, and is on an Android phone.
#[tokio::test]
async fn the_other_phone_notice_speaks_only_of_the_same_wallet() {
    for t in common::stores().await {
        let e = env_on(t, &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "5")]).await;
        let a = e.open().await;
        e.submit(&a, ADA).await;
        let (old_link, _) = e.text_to(ADA).await;
        let r = e.post(&format!("{old_link}/google"), "", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let b = e.open().await;
        e.submit(&b, ADA).await;
        let (link, _) = e.text_to(ADA).await;
        let iphone = e.get(&link, None).await.text();
        assert!(iphone.contains("Your pass is ready"), "{iphone}");
        assert!(!iphone.contains("other-phone"), "({}) {iphone}", e.t.name);
        let mut req = common::http::get(&link, None);
        req.headers_mut().insert(
            header::USER_AGENT,
            "Mozilla/5.0 (Linux; Android 14; Pixel 7)".parse().unwrap(),
        );
        let android = e.send(req, "198.51.100.1").await.text();
        assert!(android.contains("other-phone"), "({}) {android}", e.t.name);
    }
}
