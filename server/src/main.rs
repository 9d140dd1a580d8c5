//! `server` — serves elumo pass, and a few operator commands. Configuration comes from the
//! environment (see the README).

use std::process::ExitCode;

mod members;

const USAGE: &str = "usage:
  server [serve]                      serve elumo pass
  server invite create --operator SLUG [--site NAME] [--member EXTERNAL_ID] [--days N]
                                      create an invite and print its URL and QR code
                                      (a site poster, or one member's invite with --member)
  server members import FILE --operator SLUG [--format csv|jsonl] [--map FIELD=COLUMN,...]
                         [--dry-run] [--full]
                                      import members from a CRM export (--full: members not
                                      in the file are deactivated)
  server members sync --operator SLUG [--full]
                                      sync members from the operator's CRM connection now
  server crm connect --operator SLUG --kind rest|hubspot --settings FILE.json [--every MINUTES]
                                      connect an operator's CRM; prints the webhook URL and secret
  server operator limits --operator SLUG [--strict on|off] [--sms-countries GB,IE]
                         [--sms-hourly-budget N]
                                      the operator's enumeration mode, SMS countries and budget
  server admin create --operator SLUG --email EMAIL [--role admin|staff]
                                      create a dashboard account; the password comes from
                                      ELUMO_ADMIN_PASSWORD, else one is generated and printed
  server access token --operator SLUG
                                      a new API token for the operator's access system (the
                                      revocation feed at /access/v1/revocations); the old one stops
  server pass revoke --operator SLUG --member EXTERNAL_ID [--platform apple|google]
                                      void a member's passes (wallets are told by the server)

Configuration comes from ELUMO_* environment variables and DATABASE_URL; see README.md.";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match domain::config::Config::from_env() {
        Ok(c) => c,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => server::init_tracing(),
        _ => server::init_tracing_with("warn"),
    }
    let result = match words.as_slice() {
        [] | ["serve"] => server::serve(config).await,
        ["invite", "create", rest @ ..] => invite_create(config, rest).await,
        ["members", "import", rest @ ..] => members::import(config, rest).await,
        ["members", "sync", rest @ ..] => members::sync(config, rest).await,
        ["crm", "connect", rest @ ..] => members::connect(config, rest).await,
        ["operator", "limits", rest @ ..] => members::operator_limits(config, rest).await,
        ["pass", "revoke", rest @ ..] => members::pass_revoke(config, rest).await,
        ["admin", "create", rest @ ..] => members::admin_create(config, rest).await,
        ["access", "token", rest @ ..] => members::access_token(config, rest).await,
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("error: unknown command {:?}\n\n{USAGE}", args.join(" "));
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn invite_create(config: domain::config::Config, args: &[&str]) -> anyhow::Result<()> {
    let mut operator = None;
    let mut site = None;
    let mut member = None;
    let mut days = 30i64;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match *flag {
            "--operator" => operator = Some(*value),
            "--site" => site = Some(*value),
            "--member" => member = Some(*value),
            "--days" => {
                days = value
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--days needs a whole number"))?
            }
            other => anyhow::bail!("unknown option {other}\n\n{USAGE}"),
        }
    }
    let operator = operator.ok_or_else(|| anyhow::anyhow!("--operator is required\n\n{USAGE}"))?;
    let store = domain::store::Store::connect(config.db.url.expose(), 2).await?;
    let url = domain::invites::create(
        &store,
        &config.http.public_url,
        &domain::invites::NewInviteRequest {
            operator_slug: operator,
            site,
            member_external_id: member,
            days,
        },
    )
    .await?;
    println!("{url}");
    if let Some(qr) = domain::demo::terminal_qr(&url) {
        println!("{qr}");
    }
    store.close().await;
    Ok(())
}
