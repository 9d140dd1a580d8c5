//! `server members …` and `server crm …`: the directory's commands.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, ValueEnum};
use domain::config::Config;
use domain::crm::engine::{self, SyncOptions, SyncReport};
use domain::crm::file::{parse_mapping, FileSource, Format};
use domain::store::{SqlOperator, Store, SyncMode};
use indicatif::{ProgressBar, ProgressStyle};

use crate::OnOff;

/// `server members import`.
#[derive(Args)]
pub struct Import {
    /// The CRM export: CSV with a header row, or JSON lines.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// The file's format (guessed from its name when not given).
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
    /// Which column holds which field, e.g. external_id="Member ID",mobile=Phone.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    map: Vec<String>,
    /// Report what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Members not in the file are deactivated.
    #[arg(long)]
    full: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FileFormat {
    Csv,
    #[value(alias = "ndjson")]
    Jsonl,
}

/// `server members sync`.
#[derive(Args)]
pub struct Sync {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// A full sync: members the CRM no longer has are deactivated.
    #[arg(long)]
    full: bool,
}

/// `server crm connect`.
#[derive(Args)]
pub struct Connect {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// The kind of CRM.
    #[arg(long, value_enum, default_value_t = CrmKind::Rest)]
    kind: CrmKind,
    /// The connection's settings, a JSON file.
    #[arg(long, value_name = "FILE.json")]
    settings: PathBuf,
    /// How often to sync, in minutes.
    #[arg(long, value_name = "MINUTES", default_value_t = 15,
          value_parser = clap::value_parser!(i64).range(1..))]
    every: i64,
}

#[derive(Clone, Copy, ValueEnum)]
enum CrmKind {
    Rest,
    Hubspot,
}

impl CrmKind {
    fn as_str(self) -> &'static str {
        match self {
            CrmKind::Rest => "rest",
            CrmKind::Hubspot => "hubspot",
        }
    }
}

/// `server operator limits`.
#[derive(Args)]
pub struct Limits {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// Strict enumeration mode: every number gets the same answer.
    #[arg(long, value_enum)]
    strict: Option<OnOff>,
    /// The countries texts may go to, e.g. GB,IE.
    #[arg(long, value_name = "GB,IE")]
    sms_countries: Option<String>,
    /// At most this many texts an hour.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    sms_hourly_budget: Option<i64>,
}

/// `server operator security`.
#[derive(Args)]
pub struct Security {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// Whether the operator's webhook endpoints may be on this host's private, loopback and
    /// link-local networks (off: the public internet only). An instance decision: an endpoint
    /// on the host's own network could read its internal services.
    #[arg(long, value_enum)]
    webhooks_private: Option<OnOff>,
    /// Require single sign-on for the operator's staff (`off` is the way back in when the
    /// provider is down: passwords work again).
    #[arg(long, value_enum)]
    require_sso: Option<OnOff>,
    /// Require a second factor for password sign-ins.
    #[arg(long, value_enum)]
    require_mfa: Option<OnOff>,
}

pub async fn operator_security(config: Config, a: Security) -> anyhow::Result<()> {
    let on = |v: Option<OnOff>| v.map(|v| matches!(v, OnOff::On));
    let (store, operator) = open(&config, &a.operator).await?;
    if let Some(private) = on(a.webhooks_private) {
        store
            .set_webhooks_allow_private(operator.id, private)
            .await?;
    }
    if let Some(required) = on(a.require_sso) {
        let mut sso = store.sso_settings(operator.id).await?.unwrap_or_default();
        if required && sso.client().is_none() {
            bail!("--require-sso on: the operator has no single sign-on set up (Sign-in in the dashboard)");
        }
        sso.require_sso = required;
        store.set_sso_settings(operator.id, &sso).await?;
    }
    if let Some(required) = on(a.require_mfa) {
        store.set_require_mfa(operator.id, required).await?;
    }
    let sso = store.sso_settings(operator.id).await?.unwrap_or_default();
    let private = store.webhooks_allow_private(operator.id).await?;
    let mfa = store.operator_requires_mfa(operator.id).await?;
    store.close().await;
    let yes = |b: bool| if b { "on" } else { "off" };
    println!(
        "{}: webhooks to private networks {}, single sign-on required {}, second factor required {}.",
        operator.name,
        yes(private),
        yes(sso.require_sso),
        yes(mfa),
    );
    Ok(())
}

/// `server pass revoke`.
#[derive(Args)]
pub struct PassRevoke {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// The member, by their CRM id.
    #[arg(long, value_name = "EXTERNAL_ID")]
    member: String,
    /// Only the pass on this platform.
    #[arg(long, value_enum)]
    platform: Option<Platform>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Platform {
    Apple,
    Google,
}

impl Platform {
    fn as_str(self) -> &'static str {
        match self {
            Platform::Apple => "apple",
            Platform::Google => "google",
        }
    }
}

/// `server admin create`.
#[derive(Args)]
pub struct AdminCreate {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
    /// The account's email address.
    #[arg(long, value_name = "EMAIL")]
    email: String,
    /// The account's role.
    #[arg(long, value_enum, default_value_t = Role::Admin)]
    role: Role,
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Admin,
    Staff,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }
}

/// `server access token`.
#[derive(Args)]
pub struct AccessToken {
    /// The operator's slug.
    #[arg(long, value_name = "SLUG")]
    operator: String,
}

async fn open(config: &Config, slug: &str) -> anyhow::Result<(Store, SqlOperator)> {
    let store = Store::connect_waiting(
        config.db.url.expose(),
        2,
        domain::store::COMMAND_BUSY_TIMEOUT,
    )
    .await?;
    let operator = store
        .operator_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow!("no operator {slug:?}"))?;
    Ok((store, operator))
}

fn holder() -> String {
    format!("cli-{}", domain::tokens::Token::generate(6).expose())
}

/// The row number in "row 12 (id …)" / "line 3", for listing problems in file order.
fn row_number(row_ref: Option<&str>) -> u64 {
    row_ref
        .and_then(|r| r.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

fn print_report(report: &SyncReport, dry_run: bool) {
    let c = &report.counts;
    let mut problems = c.problems.clone();
    problems.sort_by_key(|p| row_number(p.row_ref.as_deref()));
    let head = if dry_run {
        "Dry run: nothing was written. It would have"
    } else if report.resumed {
        "Resumed the unfinished run and"
    } else {
        "Done:"
    };
    println!(
        "{head} created {}, updated {}, left {} unchanged, rejected {}, deactivated {}; {} card conflict(s).",
        c.created, c.updated, c.unchanged, c.rejected, c.deactivated, c.conflicts
    );
    if report.retries > 0 {
        println!(
            "The CRM failed {} time(s) and was tried again.",
            report.retries
        );
    }
    let rejected: Vec<_> = problems.iter().filter(|p| p.kind == "rejected").collect();
    if !rejected.is_empty() {
        println!("\nRejected:");
        for p in rejected {
            println!("  {}: {}", p.row_ref.as_deref().unwrap_or("?"), p.reason);
        }
    }
    let conflicts: Vec<_> = problems.iter().filter(|p| p.kind == "conflict").collect();
    if !conflicts.is_empty() {
        println!("\nConflicts (the member was synced, the card was not):");
        for p in conflicts {
            println!("  {}: {}", p.row_ref.as_deref().unwrap_or("?"), p.reason);
        }
    }
}

pub async fn import(config: Config, a: Import) -> anyhow::Result<()> {
    let path = a.file;
    let format = match a.format {
        None => Format::guess(&path),
        Some(FileFormat::Csv) => Format::Csv,
        Some(FileFormat::Jsonl) => Format::JsonLines,
    };
    let mapping = parse_mapping(&a.map).map_err(|e| anyhow!(e))?;
    let dry_run = a.dry_run;
    let mut source = FileSource::open(&path, format, &mapping).map_err(|e| anyhow!(e))?;
    if dry_run {
        // One page, one rolled-back transaction: the report sees the whole file at once.
        let n = source.len();
        source = source.with_page_size(n);
    }
    let (store, operator) = open(&config, &a.operator).await?;
    let mode = if a.full {
        SyncMode::Full
    } else {
        SyncMode::Incremental
    };
    let mut opts = SyncOptions::new(mode, holder());
    opts.dry_run = dry_run;
    let bar = ProgressBar::new(source.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} members {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = engine::run(&store, &operator, &source, &opts, &|n| bar.inc(n)).await;
    bar.finish_and_clear();
    store.close().await;
    let report = result.context("the import stopped")?;
    print_report(&report, dry_run);
    Ok(())
}

pub async fn sync(config: Config, a: Sync) -> anyhow::Result<()> {
    let slug = a.operator.as_str();
    let (store, operator) = open(&config, slug).await?;
    let conn = store.crm_connection(operator.id).await?.ok_or_else(|| {
        anyhow!("{slug} has no CRM connection; add one with `server crm connect`")
    })?;
    let connector = domain::crm::connector_for(&conn).map_err(|e| anyhow!(e))?;
    let mode = if a.full {
        SyncMode::Full
    } else {
        SyncMode::Incremental
    };
    let bar = ProgressBar::new_spinner().with_message("syncing");
    let opts = SyncOptions::new(mode, holder());
    let result = engine::run(&store, &operator, connector.as_ref(), &opts, &|n| {
        bar.inc(n)
    })
    .await;
    bar.finish_and_clear();
    store.close().await;
    print_report(&result.context("the sync stopped")?, false);
    Ok(())
}

pub async fn connect(config: Config, a: Connect) -> anyhow::Result<()> {
    let slug = a.operator.as_str();
    let kind = a.kind.as_str();
    let every = a.every;
    let settings = std::fs::read_to_string(&a.settings)
        .with_context(|| format!("could not read {}", a.settings.display()))?;
    let conn = domain::store::SqlCrmConnection {
        operator_id: 0,
        kind: kind.to_owned(),
        settings: settings.clone(),
        interval_secs: every * 60,
        webhook_secret: String::new(),
        full_requested_at: None,
    };
    // Refuse settings that could not run, before storing them.
    domain::crm::connector_for(&conn).map_err(|e| anyhow!(e))?;
    let (store, operator) = open(&config, slug).await?;
    let secret = domain::tokens::Token::generate(32);
    let stored = store
        .set_crm_connection(operator.id, kind, &settings, every * 60, secret.expose())
        .await?;
    store
        .request_full_sync(operator.id, Some(domain::store::now_ms()))
        .await?;
    store.close().await;
    println!(
        "{} now syncs from {kind} every {every} minute(s); a full sync runs at the next check.",
        operator.name
    );
    println!(
        "Webhook URL:    {}/webhooks/crm/{}",
        config.http.public_url.trim_end_matches('/'),
        operator.slug
    );
    println!("Webhook secret: {}", stored.webhook_secret);
    Ok(())
}

/// `server operator limits`: the per-operator abuse settings, until the dashboard's settings page.
pub async fn operator_limits(config: Config, a: Limits) -> anyhow::Result<()> {
    let slug = a.operator.as_str();
    let strict = a.strict.map(|s| matches!(s, OnOff::On));
    let countries = match a.sms_countries.as_deref() {
        None => None,
        Some(list) => {
            let mut codes = Vec::new();
            for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                let code = code.to_ascii_uppercase();
                if !app::types::REGIONS.iter().any(|r| r.code == code) {
                    bail!("--sms-countries: {code:?} is not a country code this product knows (e.g. GB, IE, US)");
                }
                codes.push(code);
            }
            Some(codes.join(","))
        }
    };
    let budget = a.sms_hourly_budget;
    let (store, operator) = open(&config, slug).await?;
    let strict = strict.unwrap_or(operator.strict_enumeration);
    let countries = countries.unwrap_or(operator.sms_countries.clone());
    let budget = budget.unwrap_or(operator.sms_hourly_budget);
    store
        .set_operator_limits(operator.id, strict, &countries, budget)
        .await?;
    store.close().await;
    println!(
        "{}: strict enumeration {}, texts allowed to {}, at most {budget} texts an hour.",
        operator.name,
        if strict { "on" } else { "off" },
        if countries.is_empty() {
            format!("{} only (the operator's region)", operator.default_region)
        } else {
            countries
        }
    );
    Ok(())
}

/// `server pass revoke`: voids a member's passes; their wallets hear of it through the update queue.
pub async fn pass_revoke(config: Config, a: PassRevoke) -> anyhow::Result<()> {
    let slug = a.operator.as_str();
    let external = a.member.as_str();
    let platform = a.platform.map(Platform::as_str);
    let (store, operator) = open(&config, slug).await?;
    let member = store
        .member_by_external_id(operator.id, external)
        .await?
        .ok_or_else(|| anyhow!("{} has no member {external:?}", operator.name))?;
    let mut voided = Vec::new();
    for pass in store.wallet_passes_for_member(member.id).await? {
        if platform.is_some_and(|p| p != pass.platform) {
            continue;
        }
        if store.void_wallet_pass(pass.id).await? {
            voided.push(pass.platform.clone());
        }
    }
    store.close().await;
    if voided.is_empty() {
        println!(
            "{} {} has no live pass{} to revoke.",
            member.first_name,
            member.last_name,
            platform.map(|p| format!(" on {p}")).unwrap_or_default()
        );
    } else {
        println!(
            "Revoked {} {}'s {} pass(es); their wallets are told within seconds by a running server.",
            member.first_name,
            member.last_name,
            voided.join(" and ")
        );
    }
    Ok(())
}

/// `server admin create`: a dashboard account for an operator's staff.
pub async fn admin_create(config: Config, a: AdminCreate) -> anyhow::Result<()> {
    use domain::staff::{hash_password, password_problem};
    let slug = a.operator.as_str();
    let email = a.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        bail!("--email {email:?} is not an email address");
    }
    let role = a.role.as_str();
    let (password, generated) = match std::env::var("ELUMO_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (
            domain::tokens::Token::generate(12).expose().to_owned(),
            true,
        ),
    };
    if let Some(problem) = password_problem(&password) {
        bail!("ELUMO_ADMIN_PASSWORD: {problem}");
    }
    let (store, operator) = open(&config, slug).await?;
    let created = store
        .create_staff(operator.id, &email, &hash_password(&password), role)
        .await;
    if let Ok(id) = &created {
        store
            .audit(&domain::store::Audit {
                operator_id: operator.id,
                staff_id: Some(*id),
                actor: "command line",
                action: "staff_added",
                target: &email,
                detail: role,
                ip: "",
            })
            .await?;
    }
    store.close().await;
    match created {
        Ok(_) => {}
        Err(domain::store::StoreError::Conflict(_)) => {
            bail!("there is already an account for {email}")
        }
        Err(e) => return Err(e.into()),
    }
    println!(
        "Created {role} {email} for {}. Sign in at {}/admin/login",
        operator.name, config.http.public_url
    );
    if generated {
        println!("Password (shown once): {password}");
    }
    Ok(())
}

/// `server access token`: a new token for the operator's access system; the previous one stops
/// working.
pub async fn access_token(config: Config, a: AccessToken) -> anyhow::Result<()> {
    let slug = a.operator.as_str();
    let (store, operator) = open(&config, slug).await?;
    let token = domain::tokens::Token::generate(32);
    store.set_access_token(operator.id, &token.hash()).await?;
    store
        .audit(&domain::store::Audit {
            operator_id: operator.id,
            staff_id: None,
            actor: "command line",
            action: "access_token_created",
            target: "access system",
            detail: "",
            ip: "",
        })
        .await?;
    store.close().await;
    println!(
        "Access system token for {} (shown once; the previous one no longer works):\n{}\n\
         Revocations: curl -H 'Authorization: Bearer <token>' {}/access/v1/revocations?after=0",
        operator.name,
        token.expose(),
        config.http.public_url
    );
    Ok(())
}
