//! The member's language, over HTTP as a phone meets it: the page's switch first (plain links,
//! no JavaScript needed), then the journey's language, then the member's from the CRM, then the
//! browser's `Accept-Language` among the operator's enabled languages, then the operator's
//! default; `<html lang>` says which; the text goes out in the language of the page the number
//! was entered on, and the pass carries every language's labels. On SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

struct Env {
    router: axum::Router,
    state: domain::state::AppState,
    token: String,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state_with(
        &t,
        dir.path(),
        &[("ELUMO_LIMIT_SMS_PER_NUMBER_PER_MINUTE", "10")],
    )
    .await;
    Env {
        router: server::router(state.clone()),
        state,
        token,
        t,
        _dir: dir,
    }
}

impl Env {
    /// A page as a phone with `accept` as its languages asks for it.
    async fn page(&self, uri: &str, accept: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::get(uri).header(header::ACCEPT, "text/html");
        if let Some(a) = accept {
            req = req.header(header::ACCEPT_LANGUAGE, a);
        }
        let (status, _, html) = common::send(&self.router, req.body(Body::empty()).unwrap())
            .await
            .parts();
        (status, html)
    }

    async fn operator(&self) -> domain::store::SqlOperator {
        self.state
            .store
            .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
            .await
            .unwrap()
            .unwrap()
    }

    async fn set_languages(&self, enabled: &str, default: &str) {
        let mut op = self.operator().await;
        op.languages = enabled.to_owned();
        op.default_language = default.to_owned();
        self.state
            .store
            .update_operator_settings(&op)
            .await
            .unwrap();
    }
}

fn lang_of(html: &str) -> String {
    html.split("<html")
        .nth(1)
        .and_then(|rest| rest.split("lang=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("<html lang>")
        .to_owned()
}

#[tokio::test]
async fn the_phone_page_speaks_the_browsers_language_else_the_operators_default() {
    common::each_store(|| async {
        let e = env().await;
        let invite = format!("/i/{}", e.token);
        let (status, html) = e.page(&invite, Some("de-DE,de;q=0.9,en;q=0.8")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(lang_of(&html), "de");
        assert!(html.contains("Ihr digitaler Pass"), "{html}");
        assert!(html.contains("Link per SMS senden"));
        assert!(!html.contains("Get your digital pass"));
        // The countries too, in German order (Österreich among the O's, after Norwegen).
        let uk = html
            .find("Vereinigtes Königreich (+44)")
            .expect("the UK in German");
        let (norway, austria, poland) = (
            html.find("Norwegen (+47)").unwrap(),
            html.find("Österreich (+43)").unwrap(),
            html.find("Polen (+48)").unwrap(),
        );
        assert!(
            norway < austria && austria < poland && poland < uk,
            "{html}"
        );

        let (_, html) = e.page(&invite, Some("nl-BE, fr;q=0.5")).await;
        assert_eq!(lang_of(&html), "nl");
        assert!(html.contains("Vraag uw digitale pas aan"));

        // Nothing we speak: the operator's default.
        let (_, html) = e.page(&invite, Some("ja, zh;q=0.8")).await;
        assert_eq!(lang_of(&html), "en");
        assert!(html.contains("Get your digital pass"));
        e.set_languages("en,fr,es", "es").await;
        let (_, html) = e.page(&invite, Some("ja")).await;
        assert_eq!(lang_of(&html), "es");
        assert!(html.contains("Consiga su pase digital"));
        let (_, html) = e.page(&invite, None).await;
        assert_eq!(lang_of(&html), "es");
        // German is not enabled now: the browser's second choice, French, is.
        let (_, html) = e.page(&invite, Some("de, fr;q=0.7")).await;
        assert_eq!(lang_of(&html), "fr");
        assert!(html.contains("Obtenez votre pass num"));
        // The switch offers what is enabled, each in its own name.
        assert!(html.contains(">Español</a>") && html.contains(">Français</a>"));
        assert!(!html.contains(">Deutsch</a>"));
    })
    .await;
}

#[tokio::test]
async fn the_switch_wins_and_the_text_and_next_pages_keep_its_language() {
    common::each_store(|| async {
        let e = env().await;
        let invite = format!("/i/{}", e.token);
        // A German phone; the member picks Dutch on the page (a plain link).
        let (_, html) = e.page(&invite, Some("de")).await;
        assert!(
            html.contains(&format!("href=\"/i/{}?lang=nl\"", e.token)),
            "{html}"
        );
        let (_, html) = e.page(&format!("{invite}?lang=nl"), Some("de")).await;
        assert_eq!(lang_of(&html), "nl");
        assert!(
            html.contains("aria-current=\"true\">Nederlands</a>"),
            "{html}"
        );
        assert!(
            html.contains("name=\"lang\" value=\"nl\""),
            "the form carries it"
        );

        // The form posted without JavaScript: the next page, the text and the wallet page are Dutch.
        let journey = common::http::journey_in(&html);
        let form = format!(
            "token={}&journey={journey}&region=GB&number=07400123001&lang=nl",
            e.token
        );
        let r = common::send(
            &e.router,
            common::http::post_form("/api/submit_number", &form, None),
        )
        .await;
        assert_eq!(r.status, StatusCode::FOUND);
        let next = r.location();
        assert!(next.ends_with("&lang=nl"), "{next}");
        let (_, sent) = e.page(&next, Some("de")).await;
        assert_eq!(lang_of(&sent), "nl");
        assert!(sent.contains("Bekijk uw berichten"));
        let link = common::texted_link(&e.state).await;
        let outbox = std::fs::read_to_string(&e.state.config.sms.outbox_file).unwrap();
        let text: serde_json::Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
        let body = text["body"].as_str().unwrap();
        assert!(body.contains("Geldig voor"), "{body}");
        assert!(domain::sms::segments::count(body).segments <= 2, "{body}");
        // The sent page without the switch: the journey's language, not the browser's.
        let (_, sent) = e.page(next.trim_end_matches("&lang=nl"), Some("de")).await;
        assert_eq!(lang_of(&sent), "nl");
        let (_, wallet) = e.page(&link, Some("en")).await;
        assert_eq!(lang_of(&wallet), "nl");
        assert!(wallet.contains("Uw pas is klaar, Ada"), "{wallet}");
        // And the switch there too.
        let (_, wallet) = e.page(&format!("{link}?lang=fr"), Some("en")).await;
        assert_eq!(lang_of(&wallet), "fr");
    })
    .await;
}

#[tokio::test]
async fn a_members_language_from_the_crm_decides_their_invite() {
    common::each_store(|| async {
        let e = env().await;
        let op = e.operator().await;
        let ada = e
            .state
            .store
            .member_by_external_id(op.id, "nw-1001")
            .await
            .unwrap()
            .unwrap();
        common::sql(
            &e.t,
            &format!("UPDATE members SET language = 'es' WHERE id = {}", ada.id),
        )
        .await;
        let created = domain::invites::create_for(
            &e.state.store,
            "https://pass.example.test",
            op.id,
            None,
            Some(ada.id),
            7,
        )
        .await
        .unwrap();
        let path = created
            .url
            .trim_start_matches("https://pass.example.test")
            .to_owned();
        let (_, html) = e.page(&path, Some("de")).await;
        assert_eq!(
            lang_of(&html),
            "es",
            "the CRM's language before the browser's"
        );
        // The switch still wins.
        let (_, html) = e.page(&format!("{path}?lang=de"), Some("en")).await;
        assert_eq!(lang_of(&html), "de");
        // A language the operator did not enable does not count.
        e.set_languages("en,de", "en").await;
        let (_, html) = e.page(&path, Some("de")).await;
        assert_eq!(lang_of(&html), "de");
    })
    .await;
}

/// A number the server refuses, posted without JavaScript from a German page: the page comes
/// back German, the reason too.
#[tokio::test]
async fn a_refused_number_is_explained_in_the_pages_language() {
    common::each_store(|| async {
        let e = env().await;
        let (_, html) = e.page(&format!("/i/{}", e.token), Some("de")).await;
        let journey = common::http::journey_in(&html);
        let form = format!(
            "token={}&journey={journey}&region=GB&number=020+7946+0123&lang=de",
            e.token
        );
        let r = common::send(
            &e.router,
            common::http::post_form("/api/submit_number", &form, None),
        )
        .await;
        let back = r.location();
        assert!(back.contains("lang=de"), "{back}");
        let (_, html) = e.page(&back, Some("en")).await;
        assert_eq!(lang_of(&html), "de");
        let expected = domain::i18n::t("de", "number-not-mobile", &[]);
        assert!(
            expected.starts_with("Das sieht nach einer Festnetznummer aus"),
            "{expected}"
        );
        assert!(html.contains(&expected), "{html}");
    })
    .await;
}

/// The pass's labels in every language: one `.lproj/pass.strings` each, UTF-16 with a BOM.
#[tokio::test]
async fn the_apple_pass_carries_every_languages_labels() {
    let e = env().await;
    common::enter_number(&e.router, &e.token, "07400123001").await;
    let link = common::texted_link(&e.state).await;
    let r = common::send(
        &e.router,
        Request::post(format!("{link}/apple"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let files = common::unzip(&r.body);
    for (lang, member, card) in [
        ("en", "MEMBER", "CARD"),
        ("de", "MITGLIED", "KARTE"),
        ("fr", "MEMBRE", "CARTE"),
        ("es", "MIEMBRO", "TARJETA"),
        ("nl", "LID", "KAART"),
    ] {
        let bytes = &files[&format!("{lang}.lproj/pass.strings")];
        assert_eq!(&bytes[..2], &[0xFF, 0xFE], "{lang}: a byte-order mark");
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = String::from_utf16(&units).unwrap();
        assert!(
            text.contains(&format!("\"MEMBER\" = \"{member}\";")),
            "{lang}: {text}"
        );
        assert!(
            text.contains(&format!("\"CARD\" = \"{card}\";")),
            "{lang}: {text}"
        );
        for label in ["SITE", "Access credential", "Support", "Message"] {
            assert!(
                text.contains(&format!("\"{label}\" = \"")),
                "{lang}: {label}"
            );
        }
    }
    // The manifest covers each file, so Wallet accepts them.
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert!(manifest.get("nl.lproj/pass.strings").is_some());
}
