//! The journeys list, one journey and the CSV export.

use super::*;
use domain::kinds::Event;
use domain::phone;
use domain::store::{
    JourneyQuery, SqlJourneyRow, SqlPassDevice, SqlWalletPass, Store, StoreError, OUTCOMES,
};

/// Milliseconds from the journey's start to its first pass in a wallet.
fn time_to_wallet_ms(r: &SqlJourneyRow) -> Option<i64> {
    let first = match (r.apple_at, r.google_at) {
        (Some(a), Some(g)) => Some(a.min(g)),
        (a, g) => a.or(g),
    };
    first.map(|t| t - r.started_at)
}

pub fn journey_row(r: &SqlJourneyRow) -> JourneyRow {
    let platform = match (r.apple_at.is_some(), r.google_at.is_some()) {
        (true, true) => "Apple, Google",
        (true, false) => "Apple",
        (false, true) => "Google",
        _ => "",
    };
    JourneyRow {
        public_id: r.public_id.clone(),
        member: r.member_id.map(|id| {
            (
                id,
                format!(
                    "{} {}",
                    r.first_name.clone().unwrap_or_default(),
                    r.last_name.clone().unwrap_or_default()
                )
                .trim()
                .to_owned(),
            )
        }),
        number: r.entered_mobile.as_deref().map(phone::mask),
        site: r.site_name.clone(),
        channel: if r.channel == "email" {
            "Email"
        } else {
            "Poster"
        }
        .to_owned(),
        step: step_label(&r.step).to_owned(),
        outcome: r.outcome.clone(),
        platform: platform.to_owned(),
        started: fmt_time(r.started_at),
        time_to_wallet: time_to_wallet_ms(r).map(fmt_duration),
    }
}

/// Reads the URL's filter into a store query, with a sentence for what could not be used.
pub fn journey_query(f: &JourneyFilter) -> (JourneyQuery, Option<String>) {
    let mut problem = None;
    let mut date = |s: &str, end: bool| {
        if s.trim().is_empty() {
            return None;
        }
        match parse_date(s) {
            Some(ms) => Some(if end { ms + 86_400_000 } else { ms }),
            None => {
                problem =
                    Some("Dates are written like 2026-11-28; that date was left out.".to_owned());
                None
            }
        }
    };
    let from = date(&f.from, false);
    let to = date(&f.to, true);
    let q = JourneyQuery {
        from,
        to,
        site_id: f.site.parse().ok(),
        outcome: OUTCOMES
            .contains(&f.outcome.as_str())
            .then(|| f.outcome.clone()),
        search: {
            let s = f.q.trim();
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            if s.is_empty() {
                None
            } else if s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
                && !digits.is_empty()
            {
                Some(digits)
            } else {
                Some(s.chars().take(100).collect())
            }
        },
    };
    (q, problem)
}

pub async fn journeys(
    store: &Store,
    operator_id: i64,
    mut f: JourneyFilter,
) -> Result<JourneyList, StoreError> {
    let (q, filter_problem) = journey_query(&f);
    f.page = f.page.max(1);
    let (rows, total) = store
        .journey_rows(operator_id, &q, PAGE_SIZE, (f.page as i64 - 1) * PAGE_SIZE)
        .await?;
    let sites = store.sites_of(operator_id).await?;
    Ok(JourneyList {
        rows: rows.iter().map(journey_row).collect(),
        total,
        page: f.page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1) as u32,
        sites: sites.into_iter().map(|s| (s.id, s.name)).collect(),
        filter: f,
        filter_problem,
    })
}

/// Every journey of the filter (no paging), for the CSV export.
pub async fn journeys_csv(
    store: &Store,
    operator_id: i64,
    f: &JourneyFilter,
) -> Result<String, StoreError> {
    let (q, _) = journey_query(f);
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut write = |fields: &[&str]| {
        out.write_record(fields.iter().map(|f| neutralised(f)))
            .map_err(|e| StoreError::Io(e.into()))
    };
    write(&[
        "journey",
        "member",
        "number",
        "site",
        "channel",
        "step",
        "outcome",
        "platform",
        "started",
        "time_to_wallet_seconds",
    ])?;
    let mut offset = 0;
    loop {
        let (rows, _) = store.journey_rows(operator_id, &q, 1000, offset).await?;
        for r in &rows {
            let v = journey_row(r);
            let ttw = time_to_wallet_ms(r)
                .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                .unwrap_or_default();
            write(&[
                &v.public_id,
                &v.member.map(|m| m.1).unwrap_or_default(),
                &v.number.unwrap_or_default(),
                &v.site.unwrap_or_default(),
                &v.channel,
                &v.step,
                outcome_label(&v.outcome),
                &v.platform,
                &v.started,
                &ttw,
            ])?;
        }
        if rows.len() < 1000 {
            break;
        }
        offset += 1000;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| StoreError::Io(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A cell a spreadsheet could run as a formula (its first non-blank character is `=`, `+`,
/// `-` or `@`, or it starts with a tab or a carriage return) gets a leading `'`, so it stays
/// text; quoting is the `csv` writer's.
pub(super) fn neutralised(v: &str) -> String {
    if v.starts_with(['\t', '\r']) || v.trim_start().starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

/// A pass with its devices (rows of any passes: this pass's are picked) under a rule of `max`.
pub(super) fn pass_view(p: &SqlWalletPass, devices: &[SqlPassDevice], max: i64) -> PassView {
    let mut mine: Vec<&SqlPassDevice> = devices.iter().filter(|d| d.pass_id == p.id).collect();
    mine.sort_by_key(|d| (d.unregistered_at.is_some(), d.first_seen_at));
    let on = domain::devices::active_on(devices, p.id);
    PassView {
        devices: mine
            .into_iter()
            .map(|d| DeviceView {
                device: domain::devices::short_device(&d.device_library_id),
                added: fmt_time(d.first_seen_at),
                last_seen: fmt_time(d.last_seen_at),
                removed: d.unregistered_at.map(fmt_time),
            })
            .collect(),
        google: if p.saved_to_google() {
            p.wallet_saved_at
                .map(|at| format!("Saved to Google Wallet {}", fmt_time(at)))
        } else {
            p.wallet_removed_at
                .map(|at| format!("Removed from Google Wallet {}", fmt_time(at)))
        },
        warning: (p.platform == "apple" && p.voided_at.is_none() && on > max).then(|| {
            format!("This pass is on {on} Apple devices; the device rule allows {max}. Check with the member that each is theirs.")
        }),
        platform: if p.platform == "apple" {
            "Apple Wallet"
        } else {
            "Google Wallet"
        }
        .to_owned(),
        voided: p.voided_at.is_some(),
        replaced: p.replaced_by.is_some(),
        pending: p.pending_at.is_some() && p.voided_at.is_none(),
        issued: fmt_time(p.issued_at),
        updated: fmt_time(p.updated_at),
    }
}

pub async fn journey(
    store: &Store,
    operator_id: i64,
    public_id: &str,
) -> Result<Option<JourneyDetail>, StoreError> {
    let Some(r) = store.journey_row(operator_id, public_id).await? else {
        return Ok(None);
    };
    let events = store.journey_events(r.id).await?;
    let mut prev: Option<i64> = None;
    let mut reason = None;
    let timeline = events
        .iter()
        .map(|e| {
            let after = prev.map(|p| fmt_duration(e.at - p));
            prev = Some(e.at);
            let detail = if e.kind == Event::MemberNotFound.as_str() {
                reason = Some(miss_reason(&e.detail).to_owned());
                miss_reason(&e.detail).to_owned()
            } else {
                e.detail.clone()
            };
            TimelineEvent {
                at: fmt_time(e.at),
                label: event_label(&e.kind),
                detail,
                after,
            }
        })
        .collect();
    let sms = store
        .journey_sms(r.id)
        .await?
        .into_iter()
        .map(|s| SmsView {
            queued: fmt_time(s.created_at),
            status: s.status,
            delivery: s.delivery_status,
            attempts: s.attempts,
            error: s.last_error,
        })
        .collect();
    let passes = match r.member_id {
        Some(m) => member_passes(store, operator_id, m).await?,
        None => Vec::new(),
    };
    // The page explains the journey's outcome now: a miss that a later number put right is
    // on the timeline, not a "why not found".
    if r.outcome != domain::kinds::Outcome::NotFound.as_str() {
        reason = None;
    }
    Ok(Some(JourneyDetail {
        can_resend: r.member_id.is_some(),
        row: journey_row(&r),
        events: timeline,
        sms,
        reason,
        passes,
    }))
}

/// The operator's device rule: Apple devices a pass may be on before staff are warned.
pub(super) async fn device_rule(store: &Store, operator_id: i64) -> Result<i64, StoreError> {
    Ok(match store.operator(operator_id).await? {
        Some(op) => op.max_apple_devices,
        None => domain::devices::DEFAULT_MAX_APPLE_DEVICES,
    })
}

/// A member's passes with their devices, under the operator's device rule.
pub(super) async fn member_passes(
    store: &Store,
    operator_id: i64,
    member_id: i64,
) -> Result<Vec<PassView>, StoreError> {
    let max = device_rule(store, operator_id).await?;
    let devices = store.pass_devices_for_member(member_id).await?;
    Ok(store
        .wallet_passes_for_member(member_id)
        .await?
        .iter()
        .map(|p| pass_view(p, &devices, max))
        .collect())
}
