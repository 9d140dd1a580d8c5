//! The second factor of staff password accounts (TOTP, RFC 6238) as an attacker meets it: a right
//! password alone opens no session where the account has a factor; a code signs in once (twice
//! in parallel: once), a recovery code once, however it is typed; wrong codes lock the account
//! from the address they come from, together with wrong passwords, and never the owner at
//! theirs; a challenge takes five codes within five minutes; an operator can require a factor,
//! and then a password alone opens only the setup; turning a factor off needs a code, and an
//! admin can reset a colleague's lost phone. Through the domain (`domain::staff::login`,
//! `domain::mfa`) on SQLite and, when configured, PostgreSQL.

mod common;

use domain::mfa::{self, CodeError, SignIn};
use domain::staff::{LoginError, Session};
use domain::totp::{self, Secret};

const A_ADMIN: &str = "admin@a.example";
const A_STAFF: &str = "staff@a.example";
const B_ADMIN: &str = "admin@b.example";
const PASSWORD: &str = "a long enough password";

const OWNER: &str = "198.51.100.7";
const ATTACKER: &str = "203.0.113.66";

struct Team {
    state: domain::state::AppState,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

/// The demo operator (A) with an admin and a staff member, and a second operator (B) with its
/// own admin, with `extra` configuration on top of a sign-in rate no test here reaches.
async fn team_on(t: common::TestStore, extra: &[(&str, &str)]) -> Team {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vec![("ELUMO_ADMIN_LOGINS_PER_IP", "1000")];
    vars.extend_from_slice(extra);
    let (state, _) = common::demo_state_with(&t, dir.path(), &vars).await;
    let store = &state.store;
    let a = store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let b = common::second_operator(store).await;
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
    Team {
        state,
        t,
        _dir: dir,
    }
}

fn now_secs() -> i64 {
    domain::store::now_ms() / 1000
}

/// The code the app shows next: a step after the one just used, still inside the window.
fn next_code(secret: &Secret) -> String {
    totp::code_at(secret, now_secs() + 30)
}

/// A code that is not the app's (one digit of the right one changed).
fn wrong_code(secret: &Secret) -> String {
    let right = next_code(secret);
    let first = right.as_bytes()[0] - b'0';
    format!("{}{}", (first + 1) % 10, &right[1..])
}

async fn staff_id(tm: &Team, email: &str) -> i64 {
    tm.state
        .store
        .staff_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The password step with the right password.
async fn password_step(tm: &Team, email: &str, ip: &str) -> SignIn {
    domain::staff::login(&tm.state, email, PASSWORD, ip)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{email} from {ip}: {e:?}"))
}

/// Signs in an account without a second factor: the session's cookie value and the session.
async fn sign_in(tm: &Team, email: &str) -> (String, Session) {
    match password_step(tm, email, OWNER).await {
        SignIn::SignedIn { secret, session } => (secret, session),
        other => panic!("{email} signs in with the password alone: {other:?}"),
    }
}

/// The password step of an account with a second factor: the challenge cookie's value.
async fn challenge(tm: &Team, email: &str, ip: &str) -> String {
    match password_step(tm, email, ip).await {
        SignIn::SecondFactor { token } => token,
        other => panic!("{email} is asked for a code: {other:?}"),
    }
}

async fn code(
    tm: &Team,
    token: &str,
    entered: &str,
    ip: &str,
) -> Result<mfa::CodeAccepted, CodeError> {
    mfa::verify_code(&tm.state, token, entered, ip)
        .await
        .unwrap()
}

/// Whether a session cookie value still opens the dashboard.
async fn live(tm: &Team, secret: &str) -> bool {
    let name = domain::staff::cookie_name(&tm.state.config.http.public_url);
    domain::staff::session_from_cookie_header(&tm.state, Some(&format!("{name}={secret}")))
        .await
        .unwrap()
        .is_some()
}

/// Sets up a second factor from session `s`: the app's secret and the recovery codes.
async fn enrol(tm: &Team, s: &Session) -> (Secret, Vec<String>) {
    let e = mfa::begin_enrolment(&tm.state, s, OWNER)
        .await
        .unwrap()
        .expect("no factor yet");
    let secret = Secret::from_base32(&e.secret).expect("the page shows the secret");
    let codes = mfa::confirm_enrolment(&tm.state, s, &totp::code_at(&secret, now_secs()), OWNER)
        .await
        .unwrap()
        .expect("the first code confirms");
    (secret, codes)
}

/// The account's sessions that are not ended.
async fn open_sessions(tm: &Team, staff_id: i64) -> i64 {
    common::scalar(
        &tm.t,
        &format!(
            "SELECT COUNT(*) FROM admin_sessions WHERE staff_id = {staff_id} AND ended_at IS NULL"
        ),
    )
    .await
}

async fn actions(tm: &Team, email: &str) -> Vec<(String, String)> {
    let op = tm
        .state
        .store
        .staff_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .operator_id;
    tm.state
        .store
        .audit_entries(op, 500, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == email)
        .map(|e| (e.action, e.detail))
        .collect()
}

fn count(actions: &[(String, String)], action: &str) -> usize {
    actions.iter().filter(|(a, _)| a == action).count()
}

// ---- the two steps ----

#[tokio::test]
async fn a_password_alone_opens_no_session_where_the_account_has_a_second_factor() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[]).await;
        let id = staff_id(&tm, A_STAFF).await;
        let (here, s) = sign_in(&tm, A_STAFF).await;
        let (elsewhere, _) = sign_in(&tm, A_STAFF).await;

        let e = mfa::begin_enrolment(&tm.state, &s, OWNER)
            .await
            .unwrap()
            .unwrap();
        assert!(e.uri.starts_with("otpauth://totp/"), "{name}: {}", e.uri);
        assert!(
            e.uri.contains("staff%40a.example?secret="),
            "{name}: {}",
            e.uri
        );
        assert!(
            e.uri.ends_with("&algorithm=SHA1&digits=6&period=30"),
            "{name}"
        );
        assert!(
            e.qr_svg.as_deref().is_some_and(|svg| svg.contains("<svg")),
            "{name}"
        );
        let again = mfa::pending_enrolment(&tm.state, &s)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            again.uri, e.uri,
            "{name}: reloading the page shows the same code"
        );
        // Until the first code confirms it, the password alone still signs in.
        sign_in(&tm, A_STAFF).await;
        let secret = Secret::from_base32(&e.secret).unwrap();
        let wrong = mfa::confirm_enrolment(&tm.state, &s, &wrong_code(&secret), OWNER)
            .await
            .unwrap();
        assert_eq!(wrong, Err("wrong-code"), "{name}");
        let codes =
            mfa::confirm_enrolment(&tm.state, &s, &totp::code_at(&secret, now_secs()), OWNER)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(codes.len(), 10, "{name}");
        assert!(
            live(&tm, &here).await,
            "{name}: the session that set it up goes on"
        );
        assert!(
            !live(&tm, &elsewhere).await,
            "{name}: password-only sessions end"
        );

        let before = open_sessions(&tm, id).await;
        let token = challenge(&tm, A_STAFF, OWNER).await;
        assert_eq!(
            open_sessions(&tm, id).await,
            before,
            "{name}: no session before the code"
        );
        assert!(
            mfa::challenge_open(&tm.state, &token).await.unwrap(),
            "{name}"
        );
        // Only the challenge's hash is kept, for five minutes.
        let hash = domain::tokens::hash_token(&token);
        let life = common::scalar(
            &tm.t,
            &format!(
                "SELECT expires_at - created_at FROM staff_mfa_challenges WHERE id_hash = '{hash}'"
            ),
        )
        .await;
        assert_eq!(life, 5 * 60_000, "{name}");

        // The code that confirmed the setup is used: replayed, it is refused.
        let used = tm.state.store.totp_state(id).await.unwrap().unwrap();
        let replay = totp::code_at(&secret, used.totp_last_step.unwrap() * 30);
        assert_eq!(
            code(&tm, &token, &replay, OWNER).await.err(),
            Some(CodeError::Wrong),
            "{name}"
        );
        assert_eq!(
            code(&tm, &token, &wrong_code(&secret), OWNER).await.err(),
            Some(CodeError::Wrong),
            "{name}"
        );
        assert_eq!(
            code(&tm, &token, "not a code", OWNER).await.err(),
            Some(CodeError::Wrong),
            "{name}"
        );
        let spaced = {
            let c = next_code(&secret);
            format!("{} {}", &c[..3], &c[3..])
        };
        let ok = code(&tm, &token, &spaced, OWNER)
            .await
            .expect("the app's next code");
        assert_eq!(ok.session.email, A_STAFF, "{name}");
        assert_eq!(ok.recovery_left, None, "{name}");
        assert!(live(&tm, &ok.secret).await, "{name}");
        assert!(
            !mfa::challenge_open(&tm.state, &token).await.unwrap(),
            "{name}"
        );
        assert_eq!(
            code(&tm, &token, &next_code(&secret), OWNER).await.err(),
            Some(CodeError::Expired),
            "{name}: a challenge signs in once"
        );

        let seen = actions(&tm, A_STAFF).await;
        assert_eq!(count(&seen, "mfa_enabled"), 1, "{name}: {seen:?}");
        assert!(count(&seen, "mfa_challenged") >= 1, "{name}");
        assert_eq!(count(&seen, "mfa_failed"), 3, "{name}: {seen:?}");
        assert!(
            seen.iter()
                .any(|(a, d)| a == "signed_in" && d == "with an authenticator code"),
            "{name}: {seen:?}"
        );
        // Nothing a log could leak: the secret is not in any audit entry.
        assert!(
            seen.iter().all(|(_, d)| !d.contains(&secret.to_base32())),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_or_one_recovery_code_signs_in_once_even_in_parallel() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[("ELUMO_ADMIN_LOCKOUT_AFTER", "50")]).await;
        let (_, s) = sign_in(&tm, A_STAFF).await;
        let (secret, codes) = enrol(&tm, &s).await;
        for entered in [next_code(&secret), codes[0].clone()] {
            let mut tasks = Vec::new();
            for _ in 0..4 {
                let token = challenge(&tm, A_STAFF, OWNER).await;
                let state = tm.state.clone();
                let entered = entered.clone();
                tasks.push(tokio::spawn(async move {
                    mfa::verify_code(&state, &token, &entered, OWNER)
                        .await
                        .unwrap()
                }));
            }
            let mut signed_in = 0;
            for task in tasks {
                match task.await.unwrap() {
                    Ok(_) => signed_in += 1,
                    Err(e) => assert_eq!(e, CodeError::Wrong, "{name}"),
                }
            }
            assert_eq!(
                signed_in, 1,
                "{name}: {entered} signed in {signed_in} times"
            );
        }
    }
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_however_it_is_typed() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[]).await;
        let (_, s) = sign_in(&tm, A_STAFF).await;
        let (secret, codes) = enrol(&tm, &s).await;
        // Only hashes are kept.
        let plain = common::scalar(
            &tm.t,
            &format!(
                "SELECT COUNT(*) FROM staff_recovery_codes WHERE code_hash = '{}'",
                codes[0]
            ),
        )
        .await;
        assert_eq!(plain, 0, "{name}");
        let hashed = common::scalar(
            &tm.t,
            &format!(
                "SELECT COUNT(*) FROM staff_recovery_codes WHERE code_hash = '{}'",
                totp::recovery_hash(&codes[0])
            ),
        )
        .await;
        assert_eq!(hashed, 1, "{name}");

        let typed = codes[0].to_uppercase().replace('-', " ");
        let token = challenge(&tm, A_STAFF, OWNER).await;
        let ok = code(&tm, &token, &typed, OWNER)
            .await
            .expect("a recovery code");
        assert_eq!(ok.recovery_left, Some(9), "{name}");
        let token = challenge(&tm, A_STAFF, OWNER).await;
        assert_eq!(
            code(&tm, &token, &codes[0], OWNER).await.err(),
            Some(CodeError::Wrong),
            "{name}: used"
        );
        // Another account's recovery code is not this one's.
        let (_, b) = sign_in(&tm, B_ADMIN).await;
        let (_, b_codes) = enrol(&tm, &b).await;
        assert_eq!(
            code(&tm, &token, &b_codes[0], OWNER).await.err(),
            Some(CodeError::Wrong),
            "{name}"
        );
        // New codes replace the old ones.
        let s = code(&tm, &token, &codes[1], OWNER).await.unwrap().session;
        let renewed = mfa::renew_recovery_codes(&tm.state, &s, &next_code(&secret), OWNER)
            .await
            .unwrap()
            .expect("renewed with the app's code");
        assert_eq!(renewed.len(), 10, "{name}");
        let token = challenge(&tm, A_STAFF, OWNER).await;
        assert_eq!(
            code(&tm, &token, &codes[2], OWNER).await.err(),
            Some(CodeError::Wrong),
            "{name}: the old codes stop working"
        );
        let ok = code(&tm, &token, &renewed[0], OWNER)
            .await
            .expect("a new code");
        assert_eq!(ok.recovery_left, Some(9), "{name}");
        let seen = actions(&tm, A_STAFF).await;
        assert!(
            seen.iter()
                .any(|(a, d)| a == "signed_in" && d == "with a recovery code (9 left)"),
            "{name}: {seen:?}"
        );
        assert_eq!(count(&seen, "mfa_recovery_renewed"), 1, "{name}");
    }
}

// ---- lockout ----

#[tokio::test]
async fn wrong_codes_lock_the_account_from_that_address_and_never_the_owner() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[]).await;
        let (_, s) = sign_in(&tm, A_STAFF).await;
        let (secret, _) = enrol(&tm, &s).await;

        // The attacker knows the password. The password step and the codes share the lock's
        // five tries: the password's try is not forgotten when a code is asked.
        let token = challenge(&tm, A_STAFF, ATTACKER).await;
        let mut answers = Vec::new();
        for _ in 0..4 {
            answers.push(
                code(&tm, &token, &wrong_code(&secret), ATTACKER)
                    .await
                    .err(),
            );
        }
        assert_eq!(
            answers,
            vec![
                Some(CodeError::Wrong),
                Some(CodeError::Wrong),
                Some(CodeError::Wrong),
                Some(CodeError::Locked { minutes: 15 }),
            ],
            "{name}"
        );
        assert_eq!(CodeError::Locked { minutes: 15 }.code(), "locked-15");
        // Locked: even the right code waits, and then the password.
        assert_eq!(
            code(&tm, &token, &next_code(&secret), ATTACKER).await.err(),
            Some(CodeError::Locked { minutes: 15 }),
            "{name}"
        );
        assert_eq!(
            domain::staff::login(&tm.state, A_STAFF, PASSWORD, ATTACKER)
                .await
                .unwrap()
                .err(),
            Some(LoginError::Locked { minutes: 15 }),
            "{name}"
        );
        // The owner, from their own address, signs in as usual.
        let token = challenge(&tm, A_STAFF, OWNER).await;
        let ok = code(&tm, &token, &next_code(&secret), OWNER).await;
        assert!(ok.is_ok(), "{name}: {ok:?}");

        let seen = actions(&tm, A_STAFF).await;
        assert_eq!(count(&seen, "mfa_failed"), 4, "{name}: {seen:?}");
        assert!(
            seen.iter()
                .any(|(a, d)| a == "account_locked" && d.contains(ATTACKER)),
            "{name}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn guesses_from_many_addresses_are_bounded_per_account() {
    let tm = team_on(common::sqlite_store().await, &[]).await;
    let (_, s) = sign_in(&tm, A_STAFF).await;
    let (secret, _) = enrol(&tm, &s).await;
    // Each address gets four codes before its own lock; the account takes 20 an hour from
    // all of them together.
    let mut last = None;
    for i in 0..8 {
        let ip = format!("203.0.113.{}", 10 + i);
        let token = challenge(&tm, A_STAFF, &ip).await;
        for _ in 0..4 {
            last = code(&tm, &token, &wrong_code(&secret), &ip).await.err();
        }
    }
    assert!(matches!(last, Some(CodeError::Locked { .. })), "{last:?}");
    let checked = count(&actions(&tm, A_STAFF).await, "mfa_failed");
    assert_eq!(checked, 20, "wrong codes checked from eight addresses");
    // From yet another address, the right code now waits too.
    let token = challenge(&tm, A_STAFF, "192.0.2.99").await;
    assert!(matches!(
        code(&tm, &token, &next_code(&secret), "192.0.2.99")
            .await
            .err(),
        Some(CodeError::Locked { .. })
    ));
}

#[tokio::test]
async fn a_challenge_takes_five_codes_within_five_minutes() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[("ELUMO_ADMIN_LOCKOUT_AFTER", "50")]).await;
        let (_, s) = sign_in(&tm, A_STAFF).await;
        let (secret, _) = enrol(&tm, &s).await;

        let token = challenge(&tm, A_STAFF, OWNER).await;
        for i in 0..4 {
            assert_eq!(
                code(&tm, &token, &wrong_code(&secret), OWNER).await.err(),
                Some(CodeError::Wrong),
                "{name}: try {i}"
            );
        }
        assert_eq!(
            code(&tm, &token, &wrong_code(&secret), OWNER).await.err(),
            Some(CodeError::Expired),
            "{name}: the fifth wrong code ends the challenge"
        );
        assert_eq!(
            code(&tm, &token, &next_code(&secret), OWNER).await.err(),
            Some(CodeError::Expired),
            "{name}"
        );
        assert!(
            !mfa::challenge_open(&tm.state, &token).await.unwrap(),
            "{name}"
        );

        let token = challenge(&tm, A_STAFF, OWNER).await;
        common::sql(
            &tm.t,
            "UPDATE staff_mfa_challenges SET created_at = created_at - 5 * 60000, \
             expires_at = expires_at - 5 * 60000",
        )
        .await;
        assert!(
            !mfa::challenge_open(&tm.state, &token).await.unwrap(),
            "{name}"
        );
        assert_eq!(
            code(&tm, &token, &next_code(&secret), OWNER).await.err(),
            Some(CodeError::Expired),
            "{name}: after five minutes"
        );

        // Forged or malformed challenge cookies: "sign in again", never a server error.
        for bad in [
            String::new(),
            "short".to_owned(),
            "A".repeat(43),
            "a".repeat(400),
            "../../etc/passwd-aaaaaaaaaaaa".to_owned(),
        ] {
            assert_eq!(
                code(&tm, &bad, &next_code(&secret), OWNER).await.err(),
                Some(CodeError::Expired),
                "{name}: {bad}"
            );
            assert!(!mfa::challenge_open(&tm.state, &bad).await.unwrap());
        }

        // A disabled account, or a factor reset meanwhile, ends a challenge.
        let token = challenge(&tm, A_STAFF, OWNER).await;
        let id = staff_id(&tm, A_STAFF).await;
        common::sql(
            &tm.t,
            &format!("UPDATE staff SET disabled_at = 1 WHERE id = {id}"),
        )
        .await;
        assert_eq!(
            code(&tm, &token, &next_code(&secret), OWNER).await.err(),
            Some(CodeError::Expired),
            "{name}"
        );
        common::sql(
            &tm.t,
            &format!("UPDATE staff SET disabled_at = NULL WHERE id = {id}"),
        )
        .await;
        let token = challenge(&tm, A_STAFF, OWNER).await;
        let (_, admin) = sign_in(&tm, A_ADMIN).await;
        assert_eq!(
            mfa::reset_for(&tm.state, &admin, id, OWNER).await.unwrap(),
            Some("mfa-reset")
        );
        assert_eq!(
            code(&tm, &token, &next_code(&secret), OWNER).await.err(),
            Some(CodeError::Expired),
            "{name}"
        );
    }
}

// ---- requiring a second factor ----

#[tokio::test]
async fn an_operator_can_require_a_second_factor() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[]).await;
        let (admin_cookie, admin) = sign_in(&tm, A_ADMIN).await;
        let (staff_cookie, _) = sign_in(&tm, A_STAFF).await;
        assert_eq!(
            mfa::set_required(&tm.state, &admin, true, OWNER)
                .await
                .unwrap(),
            "mfa-self-first",
            "{name}: the admin cannot shut themself out"
        );
        enrol(&tm, &admin).await;
        assert_eq!(
            mfa::set_required(&tm.state, &admin, true, OWNER)
                .await
                .unwrap(),
            "mfa-required",
            "{name}"
        );
        assert!(
            live(&tm, &admin_cookie).await,
            "{name}: the admin has a factor"
        );
        assert!(
            !live(&tm, &staff_cookie).await,
            "{name}: sessions without a factor end"
        );

        // A password alone now opens only the setup.
        let (cookie, s) = match password_step(&tm, A_STAFF, OWNER).await {
            SignIn::MustEnrol { secret, session } => (secret, session),
            other => panic!("{name}: {other:?}"),
        };
        assert!(live(&tm, &cookie).await, "{name}");
        assert!(
            mfa::session_must_enrol(&tm.state, &s).await.unwrap(),
            "{name}"
        );
        assert!(
            !mfa::session_must_enrol(&tm.state, &admin).await.unwrap(),
            "{name}"
        );
        // Another operator does not require it.
        sign_in(&tm, B_ADMIN).await;

        let (secret, _) = enrol(&tm, &s).await;
        assert!(
            live(&tm, &cookie).await,
            "{name}: the session that set it up goes on"
        );
        assert!(
            !mfa::session_must_enrol(&tm.state, &s).await.unwrap(),
            "{name}: and is no longer restricted"
        );
        challenge(&tm, A_STAFF, OWNER).await;

        // Turning one's factor off where it is required restricts the session again.
        assert_eq!(
            mfa::turn_off(&tm.state, &s, &next_code(&secret), OWNER)
                .await
                .unwrap(),
            "mfa-disabled",
            "{name}"
        );
        assert!(
            mfa::session_must_enrol(&tm.state, &s).await.unwrap(),
            "{name}"
        );
        // Dropping the requirement lifts it.
        assert_eq!(
            mfa::set_required(&tm.state, &admin, false, OWNER)
                .await
                .unwrap(),
            "mfa-not-required",
            "{name}"
        );
        assert!(
            !mfa::session_must_enrol(&tm.state, &s).await.unwrap(),
            "{name}"
        );
        sign_in(&tm, A_STAFF).await;
        let seen = actions(&tm, A_ADMIN).await;
        assert_eq!(count(&seen, "mfa_required"), 1, "{name}: {seen:?}");
        assert_eq!(count(&seen, "mfa_not_required"), 1, "{name}");
    }
}

// ---- turning it off ----

#[tokio::test]
async fn turning_a_factor_off_needs_a_code_and_an_admin_resets_a_lost_phone() {
    for t in common::stores().await {
        let name = t.name;
        let tm = team_on(t, &[]).await;
        let id = staff_id(&tm, A_STAFF).await;
        let (_, s) = sign_in(&tm, A_STAFF).await;
        let (secret, _) = enrol(&tm, &s).await;
        assert_eq!(
            mfa::begin_enrolment(&tm.state, &s, OWNER)
                .await
                .unwrap()
                .err(),
            Some("mfa-already-on"),
            "{name}: a second setup cannot replace the factor"
        );
        assert_eq!(
            mfa::turn_off(&tm.state, &s, &wrong_code(&secret), OWNER)
                .await
                .unwrap(),
            "wrong-code",
            "{name}"
        );
        assert_eq!(
            mfa::turn_off(&tm.state, &s, &next_code(&secret), OWNER)
                .await
                .unwrap(),
            "mfa-disabled",
            "{name}"
        );
        sign_in(&tm, A_STAFF).await;
        let gone = common::scalar(
            &tm.t,
            &format!("SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = {id}"),
        )
        .await;
        assert_eq!(gone, 0, "{name}: its recovery codes go");

        // Starting over replaces the QR code: the first one no longer confirms.
        let first = mfa::begin_enrolment(&tm.state, &s, OWNER)
            .await
            .unwrap()
            .unwrap();
        let second = mfa::begin_enrolment(&tm.state, &s, OWNER)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(first.secret, second.secret, "{name}");
        let first = Secret::from_base32(&first.secret).unwrap();
        assert_eq!(
            mfa::confirm_enrolment(&tm.state, &s, &totp::code_at(&first, now_secs()), OWNER)
                .await
                .unwrap()
                .err(),
            Some("wrong-code"),
            "{name}"
        );
        let second = Secret::from_base32(&second.secret).unwrap();
        mfa::confirm_enrolment(&tm.state, &s, &totp::code_at(&second, now_secs()), OWNER)
            .await
            .unwrap()
            .unwrap();

        // The phone is lost: an admin of the team resets it; another operator's cannot.
        let token = challenge(&tm, A_STAFF, OWNER).await;
        let staff_session = code(&tm, &token, &next_code(&second), OWNER).await.unwrap();
        let (_, other) = sign_in(&tm, B_ADMIN).await;
        assert_eq!(
            mfa::reset_for(&tm.state, &other, id, OWNER).await.unwrap(),
            None,
            "{name}"
        );
        challenge(&tm, A_STAFF, OWNER).await;
        let (_, admin) = sign_in(&tm, A_ADMIN).await;
        assert_eq!(
            mfa::reset_for(&tm.state, &admin, id, OWNER).await.unwrap(),
            Some("mfa-reset"),
            "{name}"
        );
        assert!(
            !live(&tm, &staff_session.secret).await,
            "{name}: the account's sessions end"
        );
        sign_in(&tm, A_STAFF).await;
        assert_eq!(
            mfa::reset_for(&tm.state, &admin, id, OWNER).await.unwrap(),
            Some("mfa-not-on"),
            "{name}"
        );
        let seen = actions(&tm, A_ADMIN).await;
        assert!(
            seen.iter().any(|(a, _)| a == "mfa_reset"),
            "{name}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn guessing_codes_in_an_open_session_is_limited() {
    let tm = team_on(common::sqlite_store().await, &[]).await;
    let (_, s) = sign_in(&tm, A_STAFF).await;
    let (secret, _) = enrol(&tm, &s).await;
    let mut last = "";
    for _ in 0..6 {
        last = mfa::turn_off(&tm.state, &s, &wrong_code(&secret), OWNER)
            .await
            .unwrap();
    }
    assert_eq!(last, "code-tries");
    // Limited: the right code waits too, and the factor stays on.
    assert_eq!(
        mfa::turn_off(&tm.state, &s, &next_code(&secret), OWNER)
            .await
            .unwrap(),
        "code-tries"
    );
    challenge(&tm, A_STAFF, OWNER).await;
    let seen = actions(&tm, A_STAFF).await;
    assert_eq!(count(&seen, "mfa_check_failed"), 5, "{seen:?}");
}
