//! The journey after a match, as a phone and a client meet it: the SMS in the local outbox,
//! the link page (which issues nothing), the wallet buttons, real signatures, and every way a
//! link can be unusable. Every test runs on SQLite and on PostgreSQL (`common::each_store`).

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::Reply;

struct Phone {
    router: Router,
    state: domain::state::AppState,
    token: String,
    dir: tempfile::TempDir,
    _t: common::TestStore,
}

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148 Safari/604.1";
const PIXEL: &str =
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36";

async fn phone() -> Phone {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state(&t, dir.path()).await;
    Phone {
        router: server::router(state.clone()),
        state,
        token,
        dir,
        _t: t,
    }
}

impl Phone {
    async fn send(&self, req: Request<Body>) -> Reply {
        common::send(&self.router, req).await
    }

    async fn get(&self, path: &str, ua: &str, cookie: Option<&str>) -> Reply {
        let mut req = common::http::get(path, cookie);
        req.headers_mut()
            .insert(header::USER_AGENT, ua.parse().unwrap());
        self.send(req).await
    }

    async fn post(&self, path: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.send(common::http::post_form(path, form, cookie)).await
    }

    /// Enters `number` on the demo invite and returns (journey id, where the form went).
    async fn enter(&self, number: &str) -> (String, String) {
        let page = self
            .get(&format!("/i/{}", self.token), IPHONE, None)
            .await
            .text();
        let journey = common::http::journey_in(&page);
        let r = self
            .post(
                "/api/submit_number",
                &format!(
                    "token={}&journey={journey}&region=GB&number={number}",
                    self.token
                ),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND);
        (journey, r.location())
    }

    /// Lets the SMS worker send what is due, then reads the newest text from the local outbox.
    async fn latest_sms(&self) -> serde_json::Value {
        while domain::sms::send_one(
            &self.state.store,
            self.state.sms.as_ref(),
            self.state.retry_policy(),
        )
        .await
        .unwrap()
        {}
        let outbox = std::fs::read_to_string(self.dir.path().join("sms-outbox.jsonl"))
            .expect("the outbox file exists");
        serde_json::from_str(outbox.lines().last().unwrap()).unwrap()
    }

    async fn link_path(&self) -> String {
        let sms = self.latest_sms().await;
        let body = sms["body"].as_str().unwrap();
        let url = body
            .lines()
            .find(|l| l.starts_with("https://pass.example.test/l/"))
            .expect("one link on the public URL");
        url.trim_start_matches("https://pass.example.test")
            .to_owned()
    }

    async fn event_kinds(&self, journey: &str) -> Vec<String> {
        let j = self
            .state
            .store
            .journey_by_public_id(journey)
            .await
            .unwrap()
            .unwrap();
        self.state
            .store
            .journey_events(j.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    async fn member(&self, mobile: &str) -> domain::store::SqlMember {
        self.state
            .store
            .members_by_mobile(1, mobile)
            .await
            .unwrap()
            .remove(0)
    }
}

#[tokio::test]
async fn a_match_sends_one_text_with_one_link_and_the_page_issues_nothing() {
    common::each_store(|| async {
        let p = phone().await;
        let (journey, _) = p.enter("07400123001").await;
        let sms = p.latest_sms().await;
        assert_eq!(sms["to"], "+447400123001");
        let body = sms["body"].as_str().unwrap();
        assert!(body.starts_with("Northwind Workspace: "));
        assert_eq!(
            body.matches("https://").count(),
            1,
            "exactly one link: {body}"
        );
        assert!(body.contains("It works for 10 min."), "{body}");

        let link = p.link_path().await;
        let token = link.trim_start_matches("/l/");
        assert!(token.len() >= 43, "256 random bits");
        for _ in 0..3 {
            let page = p.get(&link, IPHONE, None).await;
            assert_eq!(page.status, StatusCode::OK);
            assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
            assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
            let html = page.text();
            assert!(html.contains("Your pass is ready, Ada"));
            let apple = html.find("Apple Wallet").unwrap();
            let google = html.find("Google Wallet").unwrap();
            assert!(apple < google, "an iPhone sees Apple's button first");
            assert!(
                html.contains(&format!(r#"action="/l/{token}/apple""#))
                    && html.contains(r#"method="post""#)
            );
        }
        let android = p.get(&link, PIXEL, None).await.text();
        assert!(android.find("Google Wallet").unwrap() < android.find("Apple Wallet").unwrap());

        let ada = p.member("+447400123001").await;
        assert!(
            p.state
                .store
                .wallet_passes_for_member(ada.id)
                .await
                .unwrap()
                .is_empty(),
            "opening the link issues nothing"
        );
        assert!(p
            .state
            .store
            .credentials_for_member(ada.id)
            .await
            .unwrap()
            .is_empty());
        let kinds = p.event_kinds(&journey).await;
        assert!(
            kinds.contains(&"sms_sent".to_owned()) && kinds.contains(&"link_opened".to_owned()),
            "{kinds:?}"
        );
        assert!(!kinds.iter().any(|k| k.ends_with("_pass_issued")));
    })
    .await;
}

fn sha1_hex(bytes: &[u8]) -> String {
    openssl::sha::sha1(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn apple_wallet_gets_a_real_signed_pkpass_with_a_new_credential() {
    common::each_store(|| async {
        let p = phone().await;
        let (journey, _) = p.enter("07400123001").await;
        let link = p.link_path().await;
        let r = p.post(&format!("{link}/apple"), "", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            "application/vnd.apple.pkpass"
        );
        assert!(r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(".pkpass"));
        let cookie = r
            .cookie()
            .expect("the first press binds the link to this browser");
        assert!(r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("HttpOnly"));

        let files = common::unzip(&r.body);
        for name in [
            "pass.json",
            "manifest.json",
            "signature",
            "icon.png",
            "icon@2x.png",
            "logo.png",
        ] {
            assert!(files.contains_key(name), "{name} is in the pass");
        }
        assert!(
            files
                .keys()
                .all(|k| !k.contains('/') || k.ends_with(".lproj/pass.strings")),
            "every file at the root, translations in language folders"
        );
        for lang in ["en", "de", "fr"] {
            assert!(files.contains_key(&format!("{lang}.lproj/pass.strings")));
        }

        // manifest.json: the SHA-1 of every other file.
        let manifest: BTreeMap<String, String> =
            serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest.len(), files.len() - 2);
        for (name, hash) in &manifest {
            assert_eq!(hash, &sha1_hex(&files[name]), "{name}");
        }

        // pass.json: identifiers, the member, and a credential generated for her.
        let pass: serde_json::Value = serde_json::from_slice(&files["pass.json"]).unwrap();
        assert_eq!(pass["formatVersion"], 1);
        assert_eq!(
            pass["passTypeIdentifier"],
            p.state.config.apple_wallet.pass_type_id
        );
        assert_eq!(pass["teamIdentifier"], p.state.config.apple_wallet.team_id);
        assert_eq!(pass["organizationName"], "Northwind Workspace");
        assert_eq!(pass["generic"]["primaryFields"][0]["value"], "Ada Lovelace");
        assert_eq!(
            pass["generic"]["secondaryFields"][0]["value"],
            "Northwind Shoreditch"
        );
        let ada = p.member("+447400123001").await;
        let creds = p.state.store.credentials_for_member(ada.id).await.unwrap();
        assert_eq!(creds.len(), 1);
        assert_eq!(
            (creds[0].source.as_str(), creds[0].facility_code),
            ("digital", 200)
        );
        assert_eq!(pass["barcodes"][0]["format"], "PKBarcodeFormatQR");
        assert_eq!(
            pass["barcodes"][0]["message"],
            format!("H10301:200:{}", creds[0].card_number)
        );

        // The signature, checked by the openssl command as a separate program would.
        let d = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            let path = d.path().join(name.replace('@', "_at_"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let certs = domain::wallet::certs::dev_paths(p.dir.path());
        let verify = Command::new("openssl")
            .args([
                "smime", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
            ])
            .arg("-in")
            .arg(d.path().join("signature"))
            .arg("-content")
            .arg(d.path().join("manifest.json"))
            .arg("-CAfile")
            .arg(&certs.root_cert)
            .args(["-out", "/dev/null"])
            .output()
            .unwrap();
        assert!(
            verify.status.success(),
            "openssl smime -verify: {}",
            String::from_utf8_lossy(&verify.stderr)
        );
        let printed = Command::new("openssl")
            .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
            .arg(d.path().join("signature"))
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&printed.stdout);
        assert!(
            printed.contains("signingTime"),
            "the signing time attribute is present"
        );
        assert!(
            printed.contains("Apple WWDR"),
            "the WWDR intermediate travels with the signature"
        );
        assert!(
            printed.contains(&format!("UID={}", p.state.config.apple_wallet.pass_type_id))
                || printed.contains(&format!(
                    "userId={}",
                    p.state.config.apple_wallet.pass_type_id
                )),
            "the signer's UID is the pass type"
        );

        // The same browser may press again; it gets the same pass (same serial).
        let again = p.post(&format!("{link}/apple"), "", Some(&cookie)).await;
        assert_eq!(again.status, StatusCode::OK);
        let pass2: serde_json::Value =
            serde_json::from_slice(&common::unzip(&again.body)["pass.json"]).unwrap();
        assert_eq!(pass2["serialNumber"], pass["serialNumber"]);
        assert!(p
            .event_kinds(&journey)
            .await
            .contains(&"apple_pass_issued".to_owned()));
    })
    .await;
}

#[tokio::test]
async fn a_physical_card_is_carried_over_to_the_pass() {
    common::each_store(|| async {
        let p = phone().await;
        p.enter("07400123002").await;
        let link = p.link_path().await;
        let r = p.post(&format!("{link}/apple"), "", None).await;
        let pass: serde_json::Value =
            serde_json::from_slice(&common::unzip(&r.body)["pass.json"]).unwrap();
        assert_eq!(pass["barcodes"][0]["message"], "H10301:42:1002");
        assert_eq!(pass["generic"]["auxiliaryFields"][0]["value"], "42 / 01002");
        let grace = p.member("+447400123002").await;
        assert_eq!(
            p.state
                .store
                .credentials_for_member(grace.id)
                .await
                .unwrap()
                .len(),
            1,
            "no new credential"
        );
    })
    .await;
}

#[tokio::test]
async fn google_wallet_gets_a_save_link_with_a_verifiable_jwt() {
    common::each_store(|| async {
        let p = phone().await;
        let (journey, _) = p.enter("07400123002").await;
        let link = p.link_path().await;
        let r = p.post(&format!("{link}/google"), "", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let location = r.location();
        let jwt = location
            .strip_prefix("https://pay.google.com/gp/v/save/")
            .expect("Google's save URL");
        assert_eq!(jwt.split('.').count(), 3);

        let pem = std::fs::read(domain::wallet::certs::dev_paths(p.dir.path()).google_key).unwrap();
        let public = openssl::rsa::Rsa::private_key_from_pem(&pem)
            .unwrap()
            .public_key_to_pem()
            .unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["google"]);
        validation.required_spec_claims = ["iss", "aud"].iter().map(|s| s.to_string()).collect();
        validation.validate_exp = false;
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            jwt,
            &jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap(),
            &validation,
        )
        .expect("signed with the service-account key");
        let c = decoded.claims;
        assert_eq!(decoded.header.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(c["iss"], p.state.config.google_wallet.service_account_email);
        assert_eq!(c["aud"], "google");
        assert_eq!(c["typ"], "savetowallet");
        assert!(c["iat"].as_i64().unwrap() > 1_700_000_000);
        assert_eq!(c["origins"][0], "https://pass.example.test");
        let object = &c["payload"]["genericObjects"][0];
        let issuer = &p.state.config.google_wallet.issuer_id;
        assert!(object["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{issuer}.")));
        assert_eq!(object["classId"], format!("{issuer}.northwind"));
        assert_eq!(
            c["payload"]["genericClasses"][0]["id"],
            format!("{issuer}.northwind")
        );
        assert_eq!(
            c["payload"]["genericClasses"][0]["multipleDevicesAndHoldersAllowedStatus"],
            "ONE_USER_ALL_DEVICES",
            "one member, all of their devices"
        );
        assert_eq!(object["barcode"]["value"], "H10301:42:1002");
        assert_eq!(object["header"]["defaultValue"]["value"], "Grace Hopper");
        assert!(p
            .event_kinds(&journey)
            .await
            .contains(&"google_pass_issued".to_owned()));
    })
    .await;
}

#[tokio::test]
async fn a_link_works_only_in_the_browser_that_used_it_first() {
    common::each_store(|| async {
        let p = phone().await;
        p.enter("07400123001").await;
        let link = p.link_path().await;
        let first = p.post(&format!("{link}/google"), "", None).await;
        let cookie = first.cookie().unwrap();
        // Another browser (no cookie) is refused and sent to the page that explains.
        let other = p.post(&format!("{link}/apple"), "", None).await;
        assert_eq!(other.status, StatusCode::SEE_OTHER);
        assert_eq!(other.location(), link);
        let page = p.get(&link, IPHONE, None).await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(page.text().contains("already used"));
        // The first browser goes on.
        assert_eq!(
            p.post(&format!("{link}/apple"), "", Some(&cookie))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            p.get(&link, IPHONE, Some(&cookie)).await.status,
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_expired_and_replaced_links_get_a_clear_page() {
    common::each_store(|| async {
        let p = phone().await;
        let unknown = p
            .get(
                "/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                IPHONE,
                None,
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(
            unknown.text().contains("This link isn&#x27;t valid")
                || unknown.text().contains("This link isn't valid")
        );
        assert_eq!(
            p.post(
                "/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/apple",
                "",
                None
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            p.get("/l/%00%3Cx%3E", IPHONE, None).await.status,
            StatusCode::NOT_FOUND
        );

        // "Send again" waits 30 seconds; then the new text replaces the old link.
        let (journey, sent) = p.enter("07400123003").await;
        let old = p.link_path().await;
        let wait = p
            .post(
                "/api/resend_link",
                &format!("token={}&journey={journey}", p.token),
                None,
            )
            .await;
        assert!(wait.location().contains("&n=wait-"), "{}", wait.location());
        let page = p.get(&wait.location(), IPHONE, None).await.text();
        assert!(page.contains("Please wait"), "the wait is explained");
        assert!(sent.contains("/sent?j="));

        // Age the link: it expires.
        let store = &p.state.store;
        let link = store
            .link_by_token_hash(&domain::tokens::hash_token(old.trim_start_matches("/l/")))
            .await
            .unwrap()
            .unwrap();
        expire(&p, link.id).await;
        let expired = p.get(&old, IPHONE, None).await;
        assert_eq!(expired.status, StatusCode::GONE);
        assert!(expired.text().contains("This link has expired"));
        // Start again: a fresh invite for the same operator, which works.
        let restart = p.post(&format!("{old}/restart"), "", None).await;
        assert_eq!(restart.status, StatusCode::SEE_OTHER);
        let fresh = p.get(&restart.location(), IPHONE, None).await;
        assert_eq!(fresh.status, StatusCode::OK);
        assert!(fresh.text().contains("Get your digital pass"));
    })
    .await;
}

/// Tests move time by editing rows directly, on the same database the server uses.
async fn sql(p: &Phone, statement: &str, id: i64) {
    common::sql(&p._t, &statement.replace("$1", &id.to_string())).await;
}

async fn expire(p: &Phone, link_id: i64) {
    sql(
        p,
        "UPDATE link_tokens SET expires_at = 0 WHERE id = $1",
        link_id,
    )
    .await;
}

#[tokio::test]
async fn a_new_text_replaces_the_earlier_link() {
    common::each_store(|| async {
        let p = phone().await;
        let (journey, _) = p.enter("07400123004").await;
        let first = p.link_path().await;
        // Let the per-number minute pass by moving the counted texts back in time.
        sql(
            &p,
            "UPDATE rate_counters SET window_start = window_start - 61000 WHERE hits > $1",
            0,
        )
        .await;
        let r = p
            .post(
                "/api/resend_link",
                &format!("token={}&journey={journey}", p.token),
                None,
            )
            .await;
        assert!(r.location().ends_with("&n=resent"), "{}", r.location());
        let second = p.link_path().await;
        assert_ne!(first, second);
        let old = p.get(&first, IPHONE, None).await;
        assert_eq!(old.status, StatusCode::GONE);
        assert!(old.text().contains("This link was replaced"));
        assert_eq!(p.get(&second, IPHONE, None).await.status, StatusCode::OK);
    })
    .await;
}

/// Presses at once, over HTTP on a runtime with threads of its own. Eight first presses from
/// eight browsers: one gets the pass and the link, the others the page that says it was used.
/// Then sixteen presses, Apple and Google, from that browser: each gets its pass, all carrying
/// the member's one new credential. And the credential itself asked for eight times at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_presses_give_a_member_one_credential() {
    common::each_store(|| async {
        let p = phone().await;
        let alan = p.member("+447400123003").await;
        p.enter("07400123003").await;
        let link = p.link_path().await;
        let press = |path: String, cookie: Option<String>| {
            let router = p.router.clone();
            tokio::spawn(async move {
                let req = common::http::post_form(&path, "", cookie.as_deref());
                (path, common::send(&router, req).await)
            })
        };
        let firsts: Vec<_> = (0..8)
            .map(|_| press(format!("{link}/apple"), None))
            .collect();
        let (mut bound, mut refused) = (Vec::new(), 0);
        for first in firsts {
            let (_, r) = first.await.unwrap();
            match r.status {
                StatusCode::OK => bound.push(r),
                StatusCode::SEE_OTHER => {
                    assert_eq!(r.location(), link, "sent to the page that explains");
                    refused += 1;
                }
                other => panic!("a first press answered {other}: {}", r.text()),
            }
        }
        assert_eq!((bound.len(), refused), (1, 7), "one browser gets the link");
        let bound = bound.remove(0);
        let cookie = bound.cookie().expect("bound to that browser");

        let presses: Vec<_> = (0..16)
            .map(|i| {
                let button = if i % 2 == 0 { "apple" } else { "google" };
                press(format!("{link}/{button}"), Some(cookie.clone()))
            })
            .collect();
        let barcode = |r: &Reply| -> String {
            let pass: serde_json::Value =
                serde_json::from_slice(&common::unzip(&r.body)["pass.json"]).unwrap();
            pass["barcodes"][0]["message"].as_str().unwrap().to_owned()
        };
        let mut barcodes = vec![barcode(&bound)];
        for press in presses {
            let (path, r) = press.await.unwrap();
            if path.ends_with("/apple") {
                assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
                barcodes.push(barcode(&r));
            } else {
                assert!(r.status.is_redirection(), "{path}: {}", r.status);
                assert!(r
                    .location()
                    .starts_with("https://pay.google.com/gp/v/save/"));
            }
        }
        let credentials = p.state.store.credentials_for_member(alan.id).await.unwrap();
        assert_eq!(credentials.len(), 1, "one credential, whoever won");
        barcodes.dedup();
        assert_eq!(
            barcodes,
            [domain::credentials::barcode_message(
                credentials[0].facility_code,
                credentials[0].card_number
            )],
            "every pass carries it"
        );

        // A member with no credential yet, asked for one eight times at once.
        let op = p.state.store.operator(1).await.unwrap().unwrap();
        let member = p.member("+447400123004").await;
        let asks: Vec<_> = (0..8)
            .map(|_| {
                let (store, op, member) = (p.state.store.clone(), op.clone(), member.clone());
                tokio::spawn(async move {
                    domain::credentials::ensure(&store, &op, &member)
                        .await
                        .unwrap()
                        .id
                })
            })
            .collect();
        let mut ids = Vec::new();
        for ask in asks {
            ids.push(ask.await.unwrap());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one credential, whoever won: {ids:?}");
        assert_eq!(
            p.state
                .store
                .credentials_for_member(member.id)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn the_dev_outbox_page_shows_the_texts() {
    common::each_store(|| async {
        let p = phone().await;
        p.enter("07400123001").await;
        let link = p.link_path().await;
        // The development outbox answers loopback clients only (issue 14).
        let mut req = Request::get("/dev/outbox").body(Body::empty()).unwrap();
        common::http::from(&mut req, "127.0.0.1:5000");
        let page = p.send(req).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains(&link));
    })
    .await;
}

/// The text's last line, `@host #code`.
async fn code_of(p: &Phone) -> String {
    let sms = p.latest_sms().await;
    let last = sms["body"]
        .as_str()
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let (host, code) = last.split_once(" #").expect("a WebOTP line");
    assert_eq!(host, "@pass.example.test");
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    code.to_owned()
}

#[tokio::test]
async fn the_code_from_the_text_opens_the_wallet_in_this_browser() {
    common::each_store(|| async {
        let p = phone().await;
        let (journey, _) = p.enter("07400123001").await;
        let old_link = p.link_path().await;
        let code = code_of(&p).await;
        let r = p
            .post(
                &format!("/i/{}/code", p.token),
                &format!("journey={journey}&code={code}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let wallet = r.location();
        assert!(wallet.starts_with("/l/") && wallet != old_link);
        let cookie = r.cookie().expect("bound to this browser");
        let page = p.get(&wallet, IPHONE, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("Your pass is ready, Ada"));
        assert_eq!(
            p.get(&wallet, IPHONE, None).await.status,
            StatusCode::CONFLICT,
            "no other browser"
        );
        assert_eq!(
            p.get(&old_link, IPHONE, None).await.status,
            StatusCode::GONE,
            "the texted link gave way"
        );
        // The code was used up with it.
        let again = p
            .post(
                &format!("/i/{}/code", p.token),
                &format!("journey={journey}&code={code}"),
                None,
            )
            .await;
        assert!(
            again.location().ends_with("&n=code-unavailable"),
            "{}",
            again.location()
        );
    })
    .await;
}

#[tokio::test]
async fn five_wrong_codes_end_the_code() {
    common::each_store(|| async {
        let p = phone().await;
        let (journey, _) = p.enter("07400123002").await;
        let code = code_of(&p).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for left in (1..=4).rev() {
            let r = p
                .post(
                    &format!("/i/{}/code", p.token),
                    &format!("journey={journey}&code={wrong}"),
                    None,
                )
                .await;
            assert!(
                r.location().ends_with(&format!("&n=code-wrong-{left}")),
                "{}",
                r.location()
            );
        }
        let fifth = p
            .post(
                &format!("/i/{}/code", p.token),
                &format!("journey={journey}&code={wrong}"),
                None,
            )
            .await;
        assert!(fifth.location().ends_with("&n=code-locked"));
        let page = p.get(&fifth.location(), IPHONE, None).await.text();
        assert!(page.contains("Too many wrong codes"));
        let right = p
            .post(
                &format!("/i/{}/code", p.token),
                &format!("journey={journey}&code={code}"),
                None,
            )
            .await;
        assert!(
            right.location().ends_with("&n=code-locked"),
            "the right code is too late"
        );
        // The link itself still works.
        let link = p.link_path().await;
        assert_eq!(p.get(&link, IPHONE, None).await.status, StatusCode::OK);
        // Garbage never errors.
        let junk = p
            .post(
                &format!("/i/{}/code", p.token),
                "journey=%FF&code=<script>",
                None,
            )
            .await;
        assert_eq!(junk.status, StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test]
async fn an_operators_official_badge_artwork_replaces_the_plain_buttons() {
    common::each_store(|| async {
        let p = phone().await;
        p.enter("07400123001").await;
        let link = p.link_path().await;
        assert!(!p.get(&link, IPHONE, None).await.text().contains("/badges/"));
        let badges = p.state.config.http.site_root.join("badges");
        std::fs::create_dir_all(&badges).unwrap();
        std::fs::write(
            badges.join("add-to-apple-wallet.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        let html = p.get(&link, IPHONE, None).await.text();
        assert!(
            html.contains(r#"src="/badges/add-to-apple-wallet.svg""#)
                && html.contains(r#"alt="Add to Apple Wallet""#)
        );
        assert!(
            html.contains("Google Wallet"),
            "the other button keeps its plain form"
        );
    })
    .await;
}
