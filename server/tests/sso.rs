//! Staff single sign-on (OpenID Connect) against a provider stand-in on loopback that signs real
//! RS256 tokens (`common::oidc`): a good sign-in names the person by verified email; a token
//! for another client, expired, for another sign-in or with an unverified email is refused, as
//! is a tampered state, a discovery document that names another issuer and a wrong client
//! secret; a rotated key is fetched again. Then through the store, on SQLite and PostgreSQL: a
//! sign-in is finished once (two racing callbacks, one wins), only while fresh, only in the
//! browser that started it, and only for an enabled staff account of the operator whose
//! provider signed the email.

mod common;

use common::oidc::{Mode, OidcStandIn, CLIENT_ID, CLIENT_SECRET, DEFAULT_EMAIL};
use domain::oidc::{self, Discovery, Identity, OidcError};
use domain::sso::{self, Callback};
use domain::store::{NewOperator, SqlSsoSettings};

const REDIRECT_URI: &str = "https://pass.example.test/admin/sso/callback";

/// One sign-in through the stand-in, its next token made as `mode`.
async fn sign_in(
    idp: &OidcStandIn,
    discovery: &Discovery,
    mode: Mode,
) -> Result<Identity, OidcError> {
    let provider = discovery.provider(&idp.issuer).await?;
    let (authorize_url, pending) = oidc::begin(&provider, CLIENT_ID, REDIRECT_URI);
    idp.next_token(mode);
    let back = idp.approve(&authorize_url).await;
    assert!(back.location.starts_with(REDIRECT_URI), "{}", back.location);
    oidc::finish(
        &provider,
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT_URI,
        &pending,
        &back.state,
        &back.code,
    )
    .await
}

#[tokio::test]
async fn a_good_sign_in_names_the_person_by_verified_email() {
    let idp = OidcStandIn::start().await;
    idp.sign_in_as("Sso.Staff@Northwind.example");
    let identity = sign_in(&idp, &Discovery::new(true), Mode::Valid)
        .await
        .expect("signed in");
    assert_eq!(
        identity,
        Identity {
            subject: "stand-in|Sso.Staff@Northwind.example".into(),
            email: "sso.staff@northwind.example".into(),
            email_verified: true,
        }
    );
    assert_eq!(idp.token_requests(), 1);
}

#[tokio::test]
async fn a_token_that_is_not_for_this_sign_in_is_refused() {
    let idp = OidcStandIn::start().await;
    let discovery = Discovery::new(true);
    for (mode, refused) in [
        (Mode::WrongAudience, OidcError::WrongAudience),
        (Mode::Expired, OidcError::Expired),
        (Mode::WrongNonce, OidcError::WrongNonce),
        (Mode::UnverifiedEmail, OidcError::EmailUnverified),
    ] {
        let answer = sign_in(&idp, &discovery, mode).await;
        assert_eq!(answer, Err(refused.clone()), "{mode:?}");
        // What the person at the sign-in page reads: a sentence, never the detail.
        assert!(refused.message().ends_with('.'), "{mode:?}");
    }
    // The stand-in is not broken: the next sign-in works.
    assert!(sign_in(&idp, &discovery, Mode::Valid).await.is_ok());
}

#[tokio::test]
async fn a_tampered_state_is_refused_before_the_code_is_traded() {
    let idp = OidcStandIn::start().await;
    let provider = Discovery::new(true).provider(&idp.issuer).await.unwrap();
    let (authorize_url, pending) = oidc::begin(&provider, CLIENT_ID, REDIRECT_URI);
    let back = idp.approve(&authorize_url).await;
    let mut tampered = back.state.clone();
    tampered.replace_range(..1, if tampered.starts_with('A') { "B" } else { "A" });
    for state in [tampered.as_str(), "", &back.state[..back.state.len() - 1]] {
        let answer = oidc::finish(
            &provider,
            CLIENT_ID,
            CLIENT_SECRET,
            REDIRECT_URI,
            &pending,
            state,
            &back.code,
        )
        .await;
        assert_eq!(answer, Err(OidcError::StateMismatch), "{state:?}");
    }
    assert_eq!(idp.token_requests(), 0, "the code was never sent");
    // Another sign-in's state (an attacker's, in a victim's browser) is refused alike.
    let (_, other) = oidc::begin(&provider, CLIENT_ID, REDIRECT_URI);
    let answer = oidc::finish(
        &provider,
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT_URI,
        &other,
        &back.state,
        &back.code,
    )
    .await;
    assert_eq!(answer, Err(OidcError::StateMismatch));
}

#[tokio::test]
async fn a_wrong_client_secret_or_a_used_code_gets_no_token() {
    let idp = OidcStandIn::start().await;
    let provider = Discovery::new(true).provider(&idp.issuer).await.unwrap();
    let (authorize_url, pending) = oidc::begin(&provider, CLIENT_ID, REDIRECT_URI);
    let back = idp.approve(&authorize_url).await;
    let finish = |secret: &'static str| {
        let (provider, pending, back) = (provider.clone(), pending.clone(), back.clone());
        async move {
            oidc::finish(
                &provider,
                CLIENT_ID,
                secret,
                REDIRECT_URI,
                &pending,
                &back.state,
                &back.code,
            )
            .await
        }
    };
    let wrong = finish("not the secret").await;
    assert!(
        matches!(wrong, Err(OidcError::TokenRefused(_))),
        "{wrong:?}"
    );
    // Refused at client authentication, the code is not spent; traded once, it is.
    assert!(finish(CLIENT_SECRET).await.is_ok());
    let spent = finish(CLIENT_SECRET).await;
    assert!(
        matches!(spent, Err(OidcError::TokenRefused(_))),
        "{spent:?}"
    );
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let idp = OidcStandIn::start().await;
    idp.advertise_issuer("https://login.example.com");
    let answer = Discovery::new(true).provider(&idp.issuer).await;
    assert_eq!(
        answer.map(|_| ()),
        Err(OidcError::IssuerMismatch {
            expected: idp.issuer.clone(),
            found: "https://login.example.com".into(),
        })
    );
    // Plain http is for development only: production refuses the issuer before asking it.
    let strict = Discovery::new(false).provider(&idp.issuer).await;
    assert!(matches!(strict, Err(OidcError::Discovery(_))), "{strict:?}");
}

#[tokio::test]
async fn keys_are_kept_and_fetched_again_when_the_provider_rotates_them() {
    let idp = OidcStandIn::start().await;
    let discovery = Discovery::new(true);
    sign_in(&idp, &discovery, Mode::Valid).await.unwrap();
    sign_in(&idp, &discovery, Mode::Valid).await.unwrap();
    assert_eq!(idp.jwks_requests(), 1, "the key set is kept");
    idp.rotate_key();
    sign_in(&idp, &discovery, Mode::Valid)
        .await
        .expect("a token under the new key is believed");
    assert_eq!(idp.jwks_requests(), 2, "fetched again for the unknown kid");
}

// ---- through the store ----

/// The demo operator with single sign-on through `idp`, and a staff account with the stand-in's
/// email.
struct Env {
    state: domain::state::AppState,
    operator_id: i64,
    staff_id: i64,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

async fn env(idp: &OidcStandIn) -> Env {
    let t = common::scoped_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = common::demo_state(&t, dir.path()).await;
    let operator_id = state
        .store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let settings = SqlSsoSettings {
        oidc_issuer: Some(idp.issuer.clone()),
        oidc_client_id: Some(CLIENT_ID.into()),
        oidc_client_secret: Some(CLIENT_SECRET.into()),
        require_sso: true,
    };
    assert!(state
        .store
        .set_sso_settings(operator_id, &settings)
        .await
        .unwrap());
    let staff_id = state
        .store
        .create_staff(
            operator_id,
            DEFAULT_EMAIL,
            "no password: single sign-on only",
            "staff",
        )
        .await
        .unwrap();
    Env {
        state,
        operator_id,
        staff_id,
        t,
        _dir: dir,
    }
}

const IP: &str = "203.0.113.7";

/// A browser that starts a sign-in: the `Cookie` header it then holds, and where the stand-in
/// sends it back.
async fn started(env: &Env, idp: &OidcStandIn) -> (String, common::oidc::Approved) {
    let started = sso::start(&env.state, domain::demo::DEMO_OPERATOR_SLUG, IP)
        .await
        .unwrap()
        .expect("a sign-in starts");
    let set_cookie = &started.set_cookie;
    assert!(set_cookie.starts_with("__Host-elumo_sso="), "{set_cookie}");
    for attribute in [
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=600",
        "Secure",
    ] {
        assert!(
            set_cookie.contains(attribute),
            "{set_cookie} lacks {attribute}"
        );
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    (cookie, idp.approve(&started.authorize_url).await)
}

fn callback(back: &common::oidc::Approved) -> Callback {
    Callback {
        state: Some(back.state.clone()),
        code: Some(back.code.clone()),
        error: None,
    }
}

async fn sessions(env: &Env) -> i64 {
    common::scalar(&env.t, "SELECT COUNT(*) FROM admin_sessions").await
}

#[tokio::test]
async fn staff_sign_in_once_through_their_operators_provider() {
    common::each_store(|| async {
        let idp = OidcStandIn::start().await;
        let env = env(&idp).await;
        let (cookie, back) = started(&env, &idp).await;
        let (secret, session) =
            sso::complete(&env.state, Some(cookie.as_str()), &callback(&back), IP)
                .await
                .unwrap()
                .expect("signed in");
        assert_eq!(session.staff_id, env.staff_id);
        assert_eq!(session.operator_id, env.operator_id);
        assert_eq!(session.email, DEFAULT_EMAIL);
        // The session cookie the callback hands out is a live session.
        let public_url = &env.state.config.http.public_url;
        let header = format!("{}={secret}", domain::staff::cookie_name(public_url));
        let live = domain::staff::session_from_cookie_header(&env.state, Some(header.as_str()))
            .await
            .unwrap()
            .expect("a live session");
        assert_eq!(live.staff_id, env.staff_id);

        // The same callback again (a reload, or someone who read the URL) signs no one in.
        let again = sso::complete(&env.state, Some(cookie.as_str()), &callback(&back), IP)
            .await
            .unwrap();
        assert_eq!(again.map(|_| ()), Err(OidcError::LoginExpired));
        assert_eq!(sessions(&env).await, 1);
        assert_eq!(
            idp.token_requests(),
            1,
            "the replay never reached the provider"
        );
    })
    .await;
}

#[tokio::test]
async fn a_sign_in_under_way_is_taken_once_and_only_while_fresh() {
    common::each_store(|| async {
        let t = common::scoped_store().await;
        let seeded = domain::demo::seed(&t.store).await.unwrap();
        let pending = oidc::Pending::new();
        let hash = pending.state_hash();
        t.store
            .insert_oidc_login(
                &hash,
                seeded.operator_id,
                pending.nonce.expose(),
                pending.code_verifier.expose(),
                oidc::LOGIN_VALID_FOR_MS,
            )
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            t.store.take_oidc_login(&hash),
            t.store.take_oidc_login(&hash)
        );
        let taken: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(taken.len(), 1, "two racing callbacks: one gets the sign-in");
        assert_eq!(taken[0].operator_id, seeded.operator_id);
        assert_eq!(taken[0].nonce, pending.nonce.expose());
        assert_eq!(taken[0].code_verifier, pending.code_verifier.expose());
        assert!(t.store.take_oidc_login(&hash).await.unwrap().is_none());

        let late = oidc::Pending::new();
        t.store
            .insert_oidc_login(
                &late.state_hash(),
                seeded.operator_id,
                late.nonce.expose(),
                late.code_verifier.expose(),
                -1,
            )
            .await
            .unwrap();
        assert!(t
            .store
            .take_oidc_login(&late.state_hash())
            .await
            .unwrap()
            .is_none());
        // The state itself (what the browser holds) is not what the store keys on.
        assert!(t
            .store
            .take_oidc_login(pending.state.expose())
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn a_callback_in_another_browser_or_with_another_state_signs_no_one_in() {
    common::each_store(|| async {
        let idp = OidcStandIn::start().await;
        let env = env(&idp).await;
        // No cookie: the sign-in was started somewhere else.
        let (_, back) = started(&env, &idp).await;
        let answer = sso::complete(&env.state, None, &callback(&back), IP)
            .await
            .unwrap();
        assert_eq!(answer.map(|_| ()), Err(OidcError::LoginExpired));

        // A victim's browser, sent to the callback with the attacker's code and state.
        let (victim_cookie, _) = started(&env, &idp).await;
        let (_, attacker) = started(&env, &idp).await;
        let answer = sso::complete(
            &env.state,
            Some(victim_cookie.as_str()),
            &callback(&attacker),
            IP,
        )
        .await
        .unwrap();
        assert_eq!(answer.map(|_| ()), Err(OidcError::StateMismatch));
        assert_eq!(idp.token_requests(), 0);

        // The provider sends the browser back with an error (the person cancelled).
        let (cookie, back) = started(&env, &idp).await;
        let cancelled = Callback {
            state: Some(back.state.clone()),
            code: None,
            error: Some("access_denied".into()),
        };
        let answer = sso::complete(&env.state, Some(cookie.as_str()), &cancelled, IP)
            .await
            .unwrap();
        assert!(
            matches!(answer, Err(OidcError::Denied(_))),
            "{:?}",
            answer.map(|_| ())
        );
        assert_eq!(sessions(&env).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_bad_token_through_the_callback_makes_no_session() {
    common::each_store(|| async {
        let idp = OidcStandIn::start().await;
        let env = env(&idp).await;
        for (mode, refused) in [
            (Mode::WrongAudience, OidcError::WrongAudience),
            (Mode::Expired, OidcError::Expired),
            (Mode::WrongNonce, OidcError::WrongNonce),
            (Mode::UnverifiedEmail, OidcError::EmailUnverified),
        ] {
            let (cookie, back) = started(&env, &idp).await;
            idp.next_token(mode);
            let answer = sso::complete(&env.state, Some(cookie.as_str()), &callback(&back), IP)
                .await
                .unwrap();
            assert_eq!(answer.map(|_| ()), Err(refused), "{mode:?}");
        }
        assert_eq!(sessions(&env).await, 0);
    })
    .await;
}

#[tokio::test]
async fn only_an_enabled_account_of_the_providers_operator_signs_in() {
    common::each_store(|| async {
        let idp = OidcStandIn::start().await;
        let env = env(&idp).await;
        let store = &env.state.store;
        // Another operator's staff member: the northwind provider vouches for the email, but
        // it is not northwind's account.
        let eastwind = store
            .insert_operator(&NewOperator {
                slug: "eastwind",
                name: "Eastwind Climbing",
                brand_color: "#123456",
                accent_color: "#654321",
                support_email: None,
                support_phone: None,
                support_url: None,
                default_region: "GB",
            })
            .await
            .unwrap();
        store
            .create_staff(eastwind, "admin@eastwind.example", "no password", "admin")
            .await
            .unwrap();
        for email in ["admin@eastwind.example", "nobody@northwind.example"] {
            idp.sign_in_as(email);
            let (cookie, back) = started(&env, &idp).await;
            let answer = sso::complete(&env.state, Some(cookie.as_str()), &callback(&back), IP)
                .await
                .unwrap();
            assert_eq!(answer.map(|_| ()), Err(OidcError::NoAccount), "{email}");
        }

        // The provider keeps the case people typed; the account is found without it.
        idp.sign_in_as("SSO.Staff@Northwind.Example");
        let (cookie, back) = started(&env, &idp).await;
        let answer = sso::complete(&env.state, Some(cookie.as_str()), &callback(&back), IP)
            .await
            .unwrap();
        assert_eq!(answer.map(|(_, s)| s.staff_id), Ok(env.staff_id));

        // A disabled account does not sign in.
        assert!(store
            .update_staff(env.operator_id, env.staff_id, None, true)
            .await
            .unwrap());
        idp.sign_in_as(DEFAULT_EMAIL);
        let (cookie, back) = started(&env, &idp).await;
        let answer = sso::complete(&env.state, Some(cookie.as_str()), &callback(&back), IP)
            .await
            .unwrap();
        assert_eq!(answer.map(|_| ()), Err(OidcError::NoAccount));
    })
    .await;
}

#[tokio::test]
async fn an_operator_without_single_sign_on_starts_none() {
    common::each_store(|| async {
        let idp = OidcStandIn::start().await;
        let env = env(&idp).await;
        let kept = env
            .state
            .store
            .sso_settings(env.operator_id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !format!("{kept:?}").contains(CLIENT_SECRET),
            "the secret stays out of logs"
        );
        let none = SqlSsoSettings::default();
        assert!(env
            .state
            .store
            .set_sso_settings(env.operator_id, &none)
            .await
            .unwrap());
        for slug in [domain::demo::DEMO_OPERATOR_SLUG, "no-such-operator"] {
            let answer = sso::start(&env.state, slug, IP).await.unwrap();
            assert_eq!(answer.map(|_| ()), Err(OidcError::NotConfigured), "{slug}");
        }
    })
    .await;
}

// ---- through the dashboard's routes ----

/// The `url=` of an onward page's refresh, as the browser reads it.
fn onward_url(html: &str) -> String {
    html.split("content=\"0;url=")
        .nth(1)
        .unwrap_or_else(|| panic!("an onward page: {html}"))
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

fn get(uri: &str, cookie: Option<&str>) -> axum::http::Request<axum::body::Body> {
    common::http::get(uri, cookie)
}

/// An admin turns single sign-on on in the dashboard (a provider that does not answer is
/// refused, so no one is locked out); a staff member then signs in through it, from the
/// sign-in page to the dashboard, in a browser: cookies, the onward pages and the callback. With
/// single sign-on required, the right password is refused with the way to single sign-on, and a
/// wrong one answers as before (nothing is told to a guesser).
#[tokio::test]
async fn the_dashboard_signs_staff_in_through_their_provider_and_can_require_it() {
    common::each_store(|| async {
        let idp = OidcStandIn::start().await;
        let t = common::scoped_store().await;
        let dir = tempfile::tempdir().unwrap();
        let (state, _) = common::demo_state(&t, dir.path()).await;
        let password = "a long enough password";
        let operator = state
            .store
            .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
            .await
            .unwrap()
            .unwrap()
            .id;
        let hash = domain::staff::hash_password(password);
        state
            .store
            .create_staff(operator, "boss@northwind.example", &hash, "admin")
            .await
            .unwrap();
        state
            .store
            .create_staff(operator, DEFAULT_EMAIL, &hash, "staff")
            .await
            .unwrap();
        let router = server::router(state.clone());
        let login = |email: &str, pw: &str| {
            let pre = "test-pre-session-cookie-value";
            axum::http::Request::post("/admin/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", format!("__Host-elumo_login={pre}"))
                .body(axum::body::Body::from(common::http::encode(&[
                    ("csrf", &domain::staff::login_form_token(pre)),
                    ("email", email),
                    ("password", pw),
                ])))
                .unwrap()
        };
        let signed_in = common::send(&router, login("boss@northwind.example", password)).await;
        assert_eq!(signed_in.location(), "/admin");
        let boss = signed_in.cookie().unwrap();
        let page = common::send(&router, get("/admin/security", Some(&boss))).await;
        assert_eq!(page.status, axum::http::StatusCode::OK);
        assert!(page
            .text()
            .contains("https://pass.example.test/admin/sso/callback"));
        let csrf = page
            .text()
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let save = |fields: Vec<(&str, String)>| {
            let mut all = vec![("csrf", csrf.clone())];
            all.extend(fields);
            let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            common::http::post_form(
                "/admin/security/sso",
                &common::http::encode(&pairs),
                Some(&boss),
            )
        };
        // A provider that is not there cannot be required.
        let dead = common::send(
            &router,
            save(vec![
                ("issuer", "http://127.0.0.1:9".into()),
                ("client_id", CLIENT_ID.into()),
                ("client_secret", CLIENT_SECRET.into()),
                ("require_sso", "on".into()),
            ]),
        )
        .await;
        assert_eq!(dead.location(), "/admin/security?error=sso-unreachable");
        assert!(
            !state
                .store
                .sso_settings(operator)
                .await
                .unwrap()
                .unwrap()
                .require_sso
        );
        let saved = common::send(
            &router,
            save(vec![
                ("issuer", idp.issuer.clone()),
                ("client_id", CLIENT_ID.into()),
                ("client_secret", CLIENT_SECRET.into()),
                ("require_sso", "on".into()),
            ]),
        )
        .await;
        assert_eq!(saved.location(), "/admin/security?done=sso-saved");
        // The secret is never shown again.
        let page = common::send(&router, get("/admin/security", Some(&boss)))
            .await
            .text();
        assert!(!page.contains(CLIENT_SECRET) && page.contains("saved; leave empty to keep it"));

        // Passwords: the right one is refused with the way to single sign-on; a wrong one as ever.
        let refused = common::send(&router, login(DEFAULT_EMAIL, password)).await;
        assert_eq!(
            refused.location(),
            "/admin/login?error=sso-required&operator=northwind"
        );
        assert!(refused.cookie().is_none());
        let wrong = common::send(&router, login(DEFAULT_EMAIL, "not the password at all")).await;
        assert_eq!(wrong.location(), "/admin/login?error=invalid");
        let page = common::send(
            &router,
            get("/admin/login?error=sso-required&operator=northwind", None),
        )
        .await;
        assert!(page
            .text()
            .contains("signs its staff in with single sign-on"));
        assert!(page.text().contains("value=\"northwind\""));

        // Single sign-on, as the browser walks it.
        let start = common::send(&router, get("/admin/sso?operator=northwind", None)).await;
        assert_eq!(start.status, axum::http::StatusCode::OK, "{}", start.text());
        assert_eq!(start.headers["cache-control"], "no-store");
        let sso_cookie = start.cookie().unwrap();
        let back = idp.approve(&onward_url(&start.text())).await;
        let path = back
            .location
            .trim_start_matches("https://pass.example.test")
            .to_owned();
        assert!(path.starts_with("/admin/sso/callback?"), "{path}");
        let done = common::send(&router, get(&path, Some(&sso_cookie))).await;
        assert_eq!(done.status, axum::http::StatusCode::OK, "{}", done.text());
        assert_eq!(onward_url(&done.text()), "/admin");
        let cookies = common::http::set_cookies(&done.headers);
        let session = cookies
            .iter()
            .find(|c| c.starts_with("__Host-elumo_admin="))
            .expect("a session cookie")
            .clone();
        let dash = common::send(&router, get("/admin", Some(&session))).await;
        assert_eq!(dash.status, axum::http::StatusCode::OK);
        assert!(dash.text().contains(DEFAULT_EMAIL));
        // The same callback again signs no one in.
        let again = common::send(&router, get(&path, Some(&sso_cookie))).await;
        assert_eq!(again.status, axum::http::StatusCode::FORBIDDEN);
        assert!(common::http::set_cookies(&again.headers)
            .iter()
            .all(|c| !c.starts_with("__Host-elumo_admin=")));
        // An unknown organisation answers as one without single sign-on.
        let unknown = common::send(&router, get("/admin/sso?operator=nobody", None)).await;
        assert_eq!(unknown.status, axum::http::StatusCode::FORBIDDEN);
        assert!(unknown.text().contains("Single sign-on is not set up"));
        let audit = state.store.audit_entries(operator, 50, 0).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "sso_settings_saved"));
        assert!(audit
            .iter()
            .any(|a| a.action == "sign_in_refused" && a.actor == DEFAULT_EMAIL));
        assert!(audit
            .iter()
            .any(|a| a.action == "signed_in" && a.detail == "single sign-on"));
    })
    .await;
}
