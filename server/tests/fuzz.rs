//! Generated input against everything a stranger can reach: the phone parser (and the browser's
//! quick check) never panic, and no request to the invite and link token paths, the PassKit web
//! service, the webhooks or the phone page's server functions answers 5xx: from many addresses
//! through a trusted proxy with the limits raised, a share of the webhooks signed correctly, and
//! a count of the requests that reached each parser behind a signature or a limit. Deterministic
//! (xorshift from a fixed seed), so a failure replays. `make fuzz` runs it at full size
//! (SOAK=1: a million phone inputs, 20,000 requests).

mod common;

use axum::body::Body;
use axum::http::{header, Request};

fn size(small: u64, full: u64) -> u64 {
    if std::env::var("SOAK").is_ok_and(|v| v == "1") {
        full
    } else {
        small
    }
}

/// xorshift64: small, fast, and the same sequence every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// What people (and scripts) type into a phone field: digits, separators, prefixes, letters,
/// other scripts' digits, emoji, control characters, very long runs.
fn phone_input(g: &mut Gen) -> String {
    const PIECES: &[&str] = &[
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "+44", "+1", "00", "0044", "07",
        "7400", "123", " ", "-", ".", "(", ")", "/", "x", "ext", "#", "*", "tel:", "a", "Z", "١",
        "٣", "１", "２", "＋", "😀", "\u{0}", "\t", "\n", "\u{200b}", "ß", "é", "%", "&", "=", "<",
        "'", "\"", ";",
    ];
    // A third start from a real number and are then edited: close calls find the edge cases.
    if g.below(3) == 0 {
        let mut s: Vec<char> = g
            .pick(&[
                "07400 123 002",
                "+44 7400 123002",
                "0044 7400-123-002",
                "+1 (415) 555-2671",
                "030 901820",
                "+49 30 901820",
                "+91 98765 43210",
            ])
            .chars()
            .collect();
        for _ in 0..g.below(3) {
            let at = g.below(s.len() + 1);
            if g.below(2) == 0 && at < s.len() {
                s.remove(at);
            } else {
                let piece: Vec<char> = g.pick(PIECES).chars().collect();
                s.splice(at..at, piece);
            }
        }
        return s.into_iter().collect();
    }
    let mut s = String::new();
    let len = match g.below(10) {
        0 => 0,
        1..=7 => 1 + g.below(16),
        8 => 16 + g.below(32),
        _ => 100 + g.below(400),
    };
    for _ in 0..len {
        s.push_str(g.pick(PIECES));
    }
    s
}

#[test]
fn the_phone_parser_never_panics() {
    let inputs = size(20_000, 1_000_000);
    let regions = [
        "GB", "US", "DE", "FR", "IN", "BR", "AU", "gb", "", "XX", "ZZZ", "😀", "G", "001",
    ];
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let (mut valid, mut invalid) = (0u64, 0u64);
    for case in 0..inputs {
        let input = phone_input(&mut g);
        let region = g.pick(&regions);
        let outcome = std::panic::catch_unwind(|| {
            let _ = app::types::phone_hint::quick_check(&input);
            domain::phone::normalise(&input, region).map(|e164| {
                // What the product does next with a valid number.
                let _ = domain::phone::region_of(&e164);
                domain::phone::mask(&e164)
            })
        });
        match outcome {
            Ok(Ok(_)) => valid += 1,
            Ok(Err(err)) => {
                assert!(!err.to_string().is_empty(), "case {case}: an empty message");
                invalid += 1
            }
            Err(_) => panic!("case {case}: panicked on {input:?} in {region:?}"),
        }
    }
    println!("{inputs} phone inputs: {valid} valid, {invalid} refused with a message, no panic");
    assert!(
        valid > 0 && invalid > 0,
        "the generator reaches both outcomes"
    );
}

#[tokio::test]
async fn no_public_request_gets_a_server_error() {
    let requests = size(1_500, 20_000);
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (setup, invite) = common::demo_state(&t, dir.path()).await;
    let setup_router = server::router(setup.clone());
    let journey = common::enter_number(&setup_router, &invite, "07400123002").await;
    let link = common::texted_link(&setup).await; // /l/<token>
    let link_token = link.trim_start_matches("/l/").to_owned();
    // Then the fuzz: requests from many addresses through a trusted proxy, with the limits
    // raised, so that it reaches what is behind the rate limiter; Twilio configured, so that its
    // status callbacks are checked and read (nothing is sent: no SMS worker runs here).
    const AUTH: &str = "fuzz-twilio-auth-token-0123456789";
    let config = common::config_with(
        dir.path(),
        dir.path(),
        &[
            ("ELUMO_TRUSTED_PROXIES", "127.0.0.1"),
            ("ELUMO_LIMIT_SUBMISSIONS_PER_IP", "1000000"),
            ("ELUMO_LIMIT_SUBMISSIONS_PER_INVITE", "1000000"),
            ("ELUMO_LIMIT_SUBMISSIONS_PER_POSTER", "1000000"),
            ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "1000000"),
            ("ELUMO_LIMIT_SMS_PER_NUMBER_PER_DAY", "1000000"),
            ("ELUMO_SMS_PROVIDER", "twilio"),
            ("ELUMO_TWILIO_BASE_URL", "http://127.0.0.1:9"),
            (
                "ELUMO_TWILIO_ACCOUNT_SID",
                "AC00000000000000000000000000000001",
            ),
            ("ELUMO_TWILIO_AUTH_TOKEN", AUTH),
            ("ELUMO_TWILIO_FROM", "+15005550006"),
        ],
    );
    let state = domain::state::AppState::build(config, t.store.clone()).unwrap();
    let crm_secret = "whsec-fuzz-0123456789abcdef0123456789";
    let northwind = state
        .store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap();
    state
        .store
        .set_crm_connection(
            northwind.id,
            "rest",
            r#"{"base_url":"http://127.0.0.1:9"}"#,
            3600,
            crm_secret,
        )
        .await
        .unwrap();
    let status_url = domain::sms::twilio::status_callback_url(&state.config.http.public_url);
    let router = server::router(state.clone());

    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    let tokens = [
        invite.as_str(),
        link_token.as_str(),
        &invite[..invite.len() / 2],
        &link_token[1..],
        "",
        "x",
        "%00",
        "%FF%FE",
        "..%2F..%2Fetc%2Fpasswd",
        "😀",
        "a%20b",
        &"A".repeat(3000),
    ];
    let values = [
        "",
        "x",
        "07400123002",
        "+447400123002",
        "GB",
        "ZZ",
        &journey,
        "<script>",
        "%FF",
        "99999999999999999999999",
        "-1",
        "null",
        "[]",
        "{}",
        "delivered",
        "undelivered",
        "SM00000000000000000000000000000001",
    ];
    let fields = [
        "token",
        "journey",
        "region",
        "number",
        "code",
        "notice",
        "MessageSid",
        "MessageStatus",
        "ErrorCode",
        "To",
        "pushToken",
        "logs",
    ];
    let paths = [
        "/i/{t}",
        "/i/{t}/sent",
        "/i/{t}/code",
        "/l/{t}",
        "/l/{t}/apple",
        "/l/{t}/google",
        "/l/{t}/restart",
        "/api/submit_number",
        "/api/get_invite",
        "/api/get_sent",
        "/api/resend_link",
        "/api/get_wallet",
        "/passkit/v1/devices/{t}/registrations/pass.dev.elumo.pass/{t}",
        "/passkit/v1/devices/{t}/registrations/{t}",
        "/passkit/v1/passes/pass.dev.elumo.pass/{t}",
        "/passkit/v1/passes/{t}/{t}",
        "/passkit/v1/log",
        "/webhooks/twilio/status",
        "/webhooks/crm/northwind",
        "/webhooks/crm/{t}",
        "/dev/outbox",
        "/access/v1/revocations",
        "/credential-key.pem",
    ];
    let json_bodies = [
        r#"{"event":"member.updated","member":{"external_id":"nw-1001","mobile":"+447400123001"}}"#,
        r#"{"event":"member.deleted","member":{"external_id":"nw-1001"}}"#,
        r#"{"members":[{"id":1}]}"#,
        r#"{"logs":["a","b"]}"#,
        r#"{"pushToken":"abc"}"#,
        r#"{"pushToken":123}"#,
        "[",
        "null",
        "{\"a\":\"\u{0}\"}",
        "{}",
    ];
    let regions = ["GB", "US", "DE", "", "ZZ", "gb", "😀"];
    // How many requests got past the signature or the limiter to the code that reads them.
    let mut reached: std::collections::BTreeMap<&str, u64> = Default::default();
    for case in 0..requests {
        let token = g.pick(&tokens).to_owned();
        // An eighth are well-formed submissions of a generated number (the phone parser and
        // the directory behind the server function), a tenth correctly signed webhooks.
        let kind = g.below(40);
        let mut path = g.pick(&paths).replace("{t}", &token);
        let mut pairs: Vec<(String, String)> = Vec::new();
        for _ in 0..g.below(6) {
            let value = if g.below(4) == 0 {
                phone_input(&mut g)
            } else {
                g.pick(&values).to_owned()
            };
            pairs.push((g.pick(&fields).to_owned(), value));
        }
        let (submission, crm_signed, twilio_signed) =
            (kind < 5, kind == 5 || kind == 6, kind == 7 || kind == 8);
        if submission {
            path = "/api/submit_number".into();
            pairs = vec![
                ("token".into(), invite.clone()),
                ("journey".into(), journey.clone()),
                ("region".into(), g.pick(&regions).to_owned()),
                ("number".into(), phone_input(&mut g)),
            ];
        } else if crm_signed {
            path = "/webhooks/crm/northwind".into();
        } else if twilio_signed {
            path = "/webhooks/twilio/status".into();
            pairs.push(("MessageSid".into(), g.pick(&values).to_owned()));
            pairs.push(("MessageStatus".into(), g.pick(&values).to_owned()));
        }
        let form: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", app::types::admin::encode(v)))
            .collect();
        let body = match g.below(5) {
            _ if submission || twilio_signed => form.join("&"),
            _ if crm_signed => g.pick(&json_bodies).to_owned(),
            0 => g.pick(&json_bodies).to_owned(),
            1 => "%%%&&==\u{0}".to_owned(),
            _ => form.join("&"),
        };
        let content_type = g.pick(&[
            "application/x-www-form-urlencoded",
            "application/json",
            "text/plain",
            "multipart/form-data; boundary=x",
        ]);
        let auth = g.pick(&["", "ApplePass x", "ApplePass ", "Bearer x", "Basic %%%"]);
        let content_type = if submission || twilio_signed {
            "application/x-www-form-urlencoded"
        } else if crm_signed {
            "application/json"
        } else {
            content_type
        };
        let mut req = if submission || crm_signed || twilio_signed || g.below(2) == 0 {
            Request::post(&path).header(header::CONTENT_TYPE, content_type)
        } else if g.below(6) == 0 {
            Request::delete(&path)
        } else {
            let query = form.join("&").replace('\u{0}', "%00");
            Request::get(format!("{path}?{query}"))
        };
        if !auth.is_empty() {
            req = req.header(header::AUTHORIZATION, auth);
        }
        if g.below(2) == 0 {
            req = req.header(header::ACCEPT, "text/html");
        }
        if twilio_signed {
            let signature = domain::sms::twilio::signature(AUTH, &status_url, &pairs);
            req = req.header("x-twilio-signature", signature);
        } else if crm_signed {
            let now = domain::crm::webhook::now_secs();
            req = req.header("x-elumo-timestamp", now.to_string()).header(
                "x-elumo-signature",
                domain::crm::webhook::sign(crm_secret, now, body.as_bytes()),
            );
        } else if g.below(4) == 0 {
            req = req.header("x-twilio-signature", "bm90IGEgc2lnbmF0dXJl");
        }
        // From one of many addresses, through the trusted proxy.
        let address = if g.below(3) == 0 {
            format!("2001:db8::{:x}", g.below(5000))
        } else {
            format!("198.51.{}.{}", g.below(200), g.below(250) + 1)
        };
        req = req.header("x-forwarded-for", address);
        let Ok(mut req) = req.body(Body::from(body)) else {
            continue; // not a request a client could send (an invalid URI or header)
        };
        common::http::from(&mut req, "127.0.0.1:5000");
        let label = format!("case {case}: {} {}", req.method(), req.uri());
        let (status, _, text) = common::send(&router, req).await.parts();
        assert!(
            !status.is_server_error(),
            "{label} answered {status}: {}",
            text.chars().take(300).collect::<String>()
        );
        if submission {
            assert!(!text.contains("RateLimited"), "{label}: limited: {text}");
            if ["\"Matched\"", "\"NotFound\"", "\"Invalid\""]
                .iter()
                .any(|outcome| text.contains(outcome))
            {
                *reached.entry("phone parser (submit_number)").or_default() += 1;
            }
        } else if crm_signed && status != axum::http::StatusCode::UNAUTHORIZED {
            *reached.entry("CRM webhook body").or_default() += 1;
        } else if twilio_signed && status != axum::http::StatusCode::FORBIDDEN {
            *reached.entry("Twilio status callback").or_default() += 1;
        }
    }
    println!("{requests} requests; past the signature or limiter to the parser: {reached:?}");
    for parser in [
        "phone parser (submit_number)",
        "CRM webhook body",
        "Twilio status callback",
    ] {
        let n = reached.get(parser).copied().unwrap_or_default();
        assert!(
            n >= requests / 100,
            "{parser} reached {n} times of {requests}"
        );
    }
}
