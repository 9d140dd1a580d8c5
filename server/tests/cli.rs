//! The operator commands as an operator runs them: the real binary, on a database with the demo.

mod common;

use std::process::Command;

struct Cli {
    dir: tempfile::TempDir,
    url: String,
}

impl Cli {
    async fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("elumo.db").display());
        let store = domain::store::Store::connect(&url, 1).await.unwrap();
        domain::demo::seed(&store).await.unwrap();
        store.close().await;
        Cli { dir, url }
    }

    /// Runs `server ARGS`; returns (success, stdout, stderr).
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("DATABASE_URL", &self.url)
            .env("ELUMO_DATA_DIR", self.dir.path())
            .env("ELUMO_PUBLIC_URL", "https://pass.example.test")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    async fn store(&self) -> domain::store::Store {
        domain::store::Store::connect(&self.url, 1).await.unwrap()
    }
}

#[tokio::test]
async fn members_import_prints_its_report_and_rejections_in_file_order() {
    let cli = Cli::new().await;
    let csv = cli.dir.path().join("members.csv");
    std::fs::write(
        &csv,
        "Member ID,First Name,Surname,Mobile Phone\nnw-2001,Edsger,Dijkstra,07400 123101\nnw-2002,No,Mobile,\nnw-2003,Too,Few\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let (ok, out, err) = cli.run(&[
        "members",
        "import",
        csv,
        "--operator",
        "northwind",
        "--dry-run",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("Dry run: nothing was written. It would have created 1,"),
        "{out}"
    );
    let (ok, out, err) = cli.run(&["members", "import", csv, "--operator", "northwind"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("Done: created 1, updated 0, left 0 unchanged, rejected 2"),
        "{out}"
    );
    let rejected: Vec<&str> = out.lines().filter(|l| l.starts_with("  row")).collect();
    assert_eq!(
        rejected,
        [
            "  row 3 (id nw-2002): no mobile on record",
            "  row 4: malformed row: expected 4 fields, found 3"
        ]
    );
    let (ok, _, err) = cli.run(&["members", "import", csv, "--operator", "nobody"]);
    assert!(!ok);
    assert_eq!(err.trim(), "error: no operator \"nobody\"");
}

#[tokio::test]
async fn operator_limits_and_pass_revocation_from_the_command_line() {
    let cli = Cli::new().await;
    let (ok, out, err) = cli.run(&[
        "operator",
        "limits",
        "--operator",
        "northwind",
        "--strict",
        "on",
        "--sms-countries",
        "gb,ie",
        "--sms-hourly-budget",
        "200",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "Northwind Workspace: strict enumeration on, texts allowed to GB,IE, at most 200 texts an hour."
    );
    let (ok, _, err) = cli.run(&[
        "operator",
        "limits",
        "--operator",
        "northwind",
        "--sms-countries",
        "XX",
    ]);
    assert!(!ok && err.contains("\"XX\" is not a country code"), "{err}");
    let store = cli.store().await;
    let op = store.operator_by_slug("northwind").await.unwrap().unwrap();
    assert!(op.strict_enumeration);
    assert_eq!(
        (op.sms_countries.as_str(), op.sms_hourly_budget),
        ("GB,IE", 200)
    );

    // Grace has an Apple pass; revoking it voids it and queues the wallet update.
    let grace = store
        .member_by_external_id(op.id, "nw-1002")
        .await
        .unwrap()
        .unwrap();
    let cred = domain::credentials::ensure(&store, &op, &grace)
        .await
        .unwrap();
    store
        .upsert_wallet_pass(&domain::store::NewWalletPass {
            operator_id: op.id,
            member_id: grace.id,
            credential_id: cred.id,
            platform: "apple",
            new_serial: "serial-grace",
            new_auth_token: "token-of-graces-pass-01",
            site_name: None,
            journey_id: None,
        })
        .await
        .unwrap();
    store.close().await;
    let (ok, out, err) = cli.run(&[
        "pass",
        "revoke",
        "--operator",
        "northwind",
        "--member",
        "nw-1002",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("Revoked Grace Hopper's apple pass(es)"),
        "{out}"
    );
    let store = cli.store().await;
    let pass = store
        .apple_pass_by_serial("serial-grace")
        .await
        .unwrap()
        .unwrap();
    assert!(pass.voided_at.is_some());
    assert_eq!(
        store.due_pushes(i64::MAX, 10).await.unwrap().len(),
        1,
        "the update is queued"
    );
    store.close().await;
    let (ok, out, _) = cli.run(&[
        "pass",
        "revoke",
        "--operator",
        "northwind",
        "--member",
        "nw-1002",
    ]);
    assert!(ok);
    assert_eq!(out.trim(), "Grace Hopper has no live pass to revoke.");
}

/// What only the instance's administrator decides, from the command line: the operator's
/// webhooks on private networks, and the way back in when a required provider is down.
#[tokio::test]
async fn operator_security_from_the_command_line() {
    let cli = Cli::new().await;
    let (ok, out, err) = cli.run(&[
        "operator",
        "security",
        "--operator",
        "northwind",
        "--webhooks-private",
        "on",
        "--require-mfa",
        "on",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "Northwind Workspace: webhooks to private networks on, single sign-on required off, second factor required on."
    );
    // Single sign-on cannot be required before it is set up.
    let (ok, _, err) = cli.run(&[
        "operator",
        "security",
        "--operator",
        "northwind",
        "--require-sso",
        "on",
    ]);
    assert!(!ok && err.contains("no single sign-on set up"), "{err}");
    let store = cli.store().await;
    let op = store.operator_by_slug("northwind").await.unwrap().unwrap();
    assert!(store.webhooks_allow_private(op.id).await.unwrap());
    assert!(store.operator_requires_mfa(op.id).await.unwrap());
    // Set up and required (in the dashboard), then the provider is down: turned off here.
    store
        .set_sso_settings(
            op.id,
            &domain::store::SqlSsoSettings {
                oidc_issuer: Some("https://login.example.com".into()),
                oidc_client_id: Some("elumo".into()),
                oidc_client_secret: Some("secret".into()),
                require_sso: true,
            },
        )
        .await
        .unwrap();
    let (ok, out, err) = cli.run(&[
        "operator",
        "security",
        "--operator",
        "northwind",
        "--require-sso",
        "off",
        "--require-mfa",
        "off",
        "--webhooks-private",
        "off",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("single sign-on required off, second factor required off"),
        "{out}"
    );
    let sso = store.sso_settings(op.id).await.unwrap().unwrap();
    assert!(
        !sso.require_sso && sso.oidc_issuer.is_some(),
        "the provider stays set up"
    );
    assert!(!store.webhooks_allow_private(op.id).await.unwrap());
}
