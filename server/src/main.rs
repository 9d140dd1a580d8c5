//! `server` — serves elumo pass, and a few operator commands. Configuration comes from the
//! environment (see the README).

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod members;

/// Serves elumo pass, and a few operator commands.
#[derive(Parser)]
#[command(
    name = "server",
    args_override_self = true,
    after_help = "Configuration comes from ELUMO_* environment variables and DATABASE_URL; see README.md."
)]
struct Cli {
    /// What to do; without one, `serve`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve elumo pass (the default).
    Serve,
    /// `invite create`: an invite's URL and QR code (a site poster, or one member's invite).
    #[command(subcommand)]
    Invite(InviteCommand),
    /// `members import FILE` from a CRM export, or `members sync` from the operator's CRM now.
    #[command(subcommand)]
    Members(MembersCommand),
    /// `crm connect`: connect an operator's CRM; prints the webhook URL and secret.
    #[command(subcommand)]
    Crm(CrmCommand),
    /// `operator limits`: the operator's enumeration mode, SMS countries and SMS budget.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// `admin create`: a dashboard account for an operator's staff.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// `access token`: a new API token for the operator's access system; the old one stops.
    #[command(subcommand)]
    Access(AccessCommand),
    /// `pass revoke`: void a member's wallet passes (wallets are told by the server).
    #[command(subcommand)]
    Pass(PassCommand),
}

#[derive(Subcommand)]
enum InviteCommand {
    /// Create an invite and print its URL and QR code (a site poster, or one member's invite
    /// with --member).
    Create(InviteCreate),
}

#[derive(Args)]
struct InviteCreate {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// The site the poster is for.
    #[arg(long, value_name = "NAME")]
    site: Option<String>,
    /// One member's invite, by their CRM id.
    #[arg(long, value_name = "EXTERNAL_ID")]
    member: Option<String>,
    /// How many days the invite lasts.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 30,
        allow_negative_numbers = true
    )]
    days: i64,
}

#[derive(Subcommand)]
enum MembersCommand {
    /// Import members from a CRM export (--full: members not in the file are deactivated).
    Import(members::Import),
    /// Sync members from the operator's CRM connection now.
    Sync(members::Sync),
}

#[derive(Subcommand)]
enum CrmCommand {
    /// Connect an operator's CRM; prints the webhook URL and secret.
    Connect(members::Connect),
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// The operator's enumeration mode, SMS countries and budget.
    Limits(members::Limits),
    /// What only the instance's administrator decides: whether the operator's webhooks may
    /// reach this host's private networks, and (when the provider is down) turning off a
    /// required single sign-on or second factor.
    Security(members::Security),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a dashboard account; the password comes from ELUMO_ADMIN_PASSWORD, else one is
    /// generated and printed.
    Create(members::AdminCreate),
}

#[derive(Subcommand)]
enum AccessCommand {
    /// A new API token for the operator's access system (the revocation feed at
    /// /access/v1/revocations); the old one stops working.
    Token(members::AccessToken),
}

#[derive(Subcommand)]
enum PassCommand {
    /// Void a member's passes (wallets are told by the server).
    Revoke(members::PassRevoke),
}

/// A yes/no setting as operators type it.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum OnOff {
    #[value(alias = "true", alias = "yes")]
    On,
    #[value(alias = "false", alias = "no")]
    Off,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match domain::config::Config::from_env() {
        Ok(c) => c,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        None | Some(Command::Serve) => server::init_tracing(),
        Some(_) => server::init_tracing_with("warn"),
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve(config).await,
        Command::Invite(InviteCommand::Create(a)) => invite_create(config, a).await,
        Command::Members(MembersCommand::Import(a)) => members::import(config, a).await,
        Command::Members(MembersCommand::Sync(a)) => members::sync(config, a).await,
        Command::Crm(CrmCommand::Connect(a)) => members::connect(config, a).await,
        Command::Operator(OperatorCommand::Limits(a)) => members::operator_limits(config, a).await,
        Command::Operator(OperatorCommand::Security(a)) => {
            members::operator_security(config, a).await
        }
        Command::Pass(PassCommand::Revoke(a)) => members::pass_revoke(config, a).await,
        Command::Admin(AdminCommand::Create(a)) => members::admin_create(config, a).await,
        Command::Access(AccessCommand::Token(a)) => members::access_token(config, a).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn invite_create(config: domain::config::Config, a: InviteCreate) -> anyhow::Result<()> {
    let store = domain::store::Store::connect_waiting(
        config.db.url.expose(),
        2,
        domain::store::COMMAND_BUSY_TIMEOUT,
    )
    .await?;
    let url = domain::invites::create(
        &store,
        &config.http.public_url,
        &domain::invites::NewInviteRequest {
            operator_slug: &a.operator,
            site: a.site.as_deref(),
            member_external_id: a.member.as_deref(),
            days: a.days,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_serves() {
        assert!(Cli::try_parse_from(["server"]).unwrap().command.is_none());
        assert!(matches!(
            Cli::try_parse_from(["server", "serve"]).unwrap().command,
            Some(Command::Serve)
        ));
    }

    #[test]
    fn a_repeated_flag_takes_the_last_value() {
        let cli = Cli::try_parse_from([
            "server",
            "invite",
            "create",
            "--operator",
            "a",
            "--operator",
            "b",
        ])
        .unwrap();
        let Some(Command::Invite(InviteCommand::Create(a))) = cli.command else {
            panic!("not invite create");
        };
        assert_eq!(a.operator, "b");
    }
}
