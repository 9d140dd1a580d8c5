//! `server members …` and `server crm …`: the directory's commands.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _};
use domain::config::Config;
use domain::crm::engine::{self, SyncOptions, SyncReport};
use domain::crm::file::{parse_mapping, FileSource, Format};
use domain::store::{SqlOperator, Store, SyncMode};
use indicatif::{ProgressBar, ProgressStyle};

/// Flags that take a value, and bare switches, from an argument list.
struct Args<'a> {
    values: HashMap<&'a str, Vec<&'a str>>,
    switches: Vec<&'a str>,
    positional: Vec<&'a str>,
}

impl<'a> Args<'a> {
    fn parse(args: &[&'a str], with_value: &[&str], switches: &[&str]) -> anyhow::Result<Self> {
        let mut out = Args {
            values: HashMap::new(),
            switches: Vec::new(),
            positional: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(&arg) = it.next() {
            if with_value.contains(&arg) {
                let v = it.next().ok_or_else(|| anyhow!("{arg} needs a value"))?;
                out.values.entry(arg).or_default().push(v);
            } else if switches.contains(&arg) {
                out.switches.push(arg);
            } else if arg.starts_with("--") {
                bail!("unknown option {arg}");
            } else {
                out.positional.push(arg);
            }
        }
        Ok(out)
    }

    fn one(&self, flag: &str) -> Option<&'a str> {
        self.values.get(flag).and_then(|v| v.last().copied())
    }

    fn all(&self, flag: &str) -> Vec<String> {
        self.values
            .get(flag)
            .map(|v| v.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    }

    fn has(&self, switch: &str) -> bool {
        self.switches.contains(&switch)
    }
}

async fn open(config: &Config, slug: &str) -> anyhow::Result<(Store, SqlOperator)> {
    let store = Store::connect(config.db.url.expose(), 2).await?;
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

pub async fn import(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let a = Args::parse(
        args,
        &["--operator", "--format", "--map"],
        &["--dry-run", "--full"],
    )?;
    let [file] = a.positional.as_slice() else {
        bail!("name one file to import: server members import FILE --operator SLUG");
    };
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
    let path = PathBuf::from(file);
    let format = match a.one("--format") {
        None => Format::guess(&path),
        Some("csv") => Format::Csv,
        Some("jsonl" | "ndjson") => Format::JsonLines,
        Some(other) => bail!("--format is csv or jsonl, not {other:?}"),
    };
    let mapping = parse_mapping(&a.all("--map")).map_err(|e| anyhow!(e))?;
    let dry_run = a.has("--dry-run");
    let mut source = FileSource::open(&path, format, &mapping).map_err(|e| anyhow!(e))?;
    if dry_run {
        // One page, one rolled-back transaction: the report sees the whole file at once.
        let n = source.len();
        source = source.with_page_size(n);
    }
    let (store, operator) = open(&config, slug).await?;
    let mode = if a.has("--full") {
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

pub async fn sync(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let a = Args::parse(args, &["--operator"], &["--full"])?;
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
    let (store, operator) = open(&config, slug).await?;
    let conn = store.crm_connection(operator.id).await?.ok_or_else(|| {
        anyhow!("{slug} has no CRM connection; add one with `server crm connect`")
    })?;
    let connector = domain::crm::connector_for(&conn).map_err(|e| anyhow!(e))?;
    let mode = if a.has("--full") {
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

pub async fn connect(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let a = Args::parse(
        args,
        &["--operator", "--kind", "--settings", "--every"],
        &[],
    )?;
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
    let kind = a.one("--kind").unwrap_or("rest");
    let settings_path = a
        .one("--settings")
        .ok_or_else(|| anyhow!("--settings FILE.json is required"))?;
    let every: i64 = a
        .one("--every")
        .unwrap_or("15")
        .parse()
        .map_err(|_| anyhow!("--every takes whole minutes"))?;
    if every < 1 {
        bail!("--every must be at least 1 minute");
    }
    let settings = std::fs::read_to_string(settings_path)
        .with_context(|| format!("could not read {settings_path}"))?;
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
pub async fn operator_limits(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let a = Args::parse(
        args,
        &[
            "--operator",
            "--strict",
            "--sms-countries",
            "--sms-hourly-budget",
        ],
        &[],
    )?;
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
    let strict = match a.one("--strict") {
        None => None,
        Some("on" | "true" | "yes") => Some(true),
        Some("off" | "false" | "no") => Some(false),
        Some(other) => bail!("--strict is on or off, not {other:?}"),
    };
    let countries = match a.one("--sms-countries") {
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
    let budget = match a.one("--sms-hourly-budget") {
        None => None,
        Some(n) => match n.parse::<i64>() {
            Ok(n) if n >= 1 => Some(n),
            _ => bail!("--sms-hourly-budget takes a whole number of texts, at least 1"),
        },
    };
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
pub async fn pass_revoke(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let a = Args::parse(args, &["--operator", "--member", "--platform"], &[])?;
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
    let external = a
        .one("--member")
        .ok_or_else(|| anyhow!("--member EXTERNAL_ID is required"))?;
    let platform = a.one("--platform");
    if let Some(p) = platform {
        if p != "apple" && p != "google" {
            bail!("--platform is apple or google, not {p:?}");
        }
    }
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
pub async fn admin_create(config: Config, args: &[&str]) -> anyhow::Result<()> {
    use domain::staff::{hash_password, password_problem};
    let a = Args::parse(args, &["--operator", "--email", "--role"], &[])?;
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
    let email = a
        .one("--email")
        .ok_or_else(|| anyhow!("--email is required"))?
        .trim()
        .to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        bail!("--email {email:?} is not an email address");
    }
    let role = match a.one("--role").unwrap_or("admin") {
        r @ ("admin" | "staff") => r,
        other => bail!("--role is admin or staff, not {other:?}"),
    };
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
pub async fn access_token(config: Config, args: &[&str]) -> anyhow::Result<()> {
    let a = Args::parse(args, &["--operator"], &[])?;
    let slug = a
        .one("--operator")
        .ok_or_else(|| anyhow!("--operator is required"))?;
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
