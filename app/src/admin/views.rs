//! The dashboard's pages as data: store rows of the signed-in operator turned into wire types.

use crate::types::admin::*;
use domain::kinds::{Event, Step};
use domain::phone;
use domain::store::{
    now_ms, JourneyQuery, SqlJourneyRow, SqlMemberRow, SqlWalletPass, Store, StoreError, OUTCOMES,
};

pub const PAGE_SIZE: i64 = 25;

/// "2026-11-28 14:03:07 UTC"
pub use domain::store::fmt_time;

fn fmt_date(ms: i64) -> String {
    fmt_time(ms).chars().take(10).collect()
}

/// "850 ms", "12 s", "3 min 5 s", "2 h 4 min", "3 d 2 h"
pub fn fmt_duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    match s {
        _ if ms < 1000 => format!("{ms} ms"),
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A `YYYY-MM-DD` date as the milliseconds of its first moment (UTC).
pub fn parse_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &fmt)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
}

pub fn step_label(step: &str) -> &'static str {
    match Step::parse(step) {
        Some(Step::InviteOpened) => "Invite opened",
        Some(Step::NumberEntered) => "Number entered",
        Some(Step::Matched) => "Member matched",
        Some(Step::SmsQueued) => "SMS queued",
        Some(Step::SmsSent) => "SMS sent",
        Some(Step::SmsFailed) => "SMS failed",
        Some(Step::LinkOpened) => "Link opened",
        Some(Step::LinkClaimed) => "Link opened",
        Some(Step::PassIssued) => "Pass added",
        None => "In progress",
    }
}

fn event_label(kind: &str) -> String {
    let Some(event) = Event::parse(kind) else {
        let mut s = kind.replace('_', " ");
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        return s;
    };
    match event {
        Event::InviteOpened => "Invite opened",
        Event::NumberSubmitted => "Number entered",
        Event::NumberInvalid => "Number not valid",
        Event::MemberMatched => "Member matched",
        Event::MemberNotFound => "Number not found",
        Event::RateLimited => "Rate-limited",
        Event::SmsQueued => "SMS queued",
        Event::SmsSent => "SMS sent",
        Event::SmsRetry => "SMS retry",
        Event::SmsFailed => "SMS failed",
        Event::SmsDelivered => "SMS delivered",
        Event::LinkOpened => "Link opened",
        Event::LinkClaimed => "Link bound to this browser",
        Event::CodeWrong => "Wrong code",
        Event::JourneyRestarted => "Started again",
        Event::ApplePassIssued => "Added to Apple Wallet",
        Event::GooglePassIssued => "Added to Google Wallet",
        Event::ApplePassRegistered => "Apple pass registered on a device",
        Event::ApplePassUpdated => "Apple pass updated",
        Event::GooglePassUpdated => "Google pass updated",
        Event::ApplePassVoided => "Apple pass voided",
        Event::GooglePassVoided => "Google pass voided",
        Event::LinkResent => "Link re-sent by staff",
    }
    .to_owned()
}

/// Why a number was not found, in the words support staff need on the phone.
pub fn miss_reason(code: &str) -> &'static str {
    match code {
        "no_such_number" => "No member has this number on record. Ask them to update the mobile number on their profile.",
        "number_differs" => "The invited member's number on record is a different number.",
        "no_mobile_on_record" => "The invited member has no mobile number on record.",
        "not_synced" => "The member exists in the CRM but has not been synced yet.",
        "inactive" => "The member is inactive (left, or membership ended).",
        "shared_number" => "Several members share this number, so none was chosen.",
        _ => "The number did not match a member.",
    }
}

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
fn neutralised(v: &str) -> String {
    if v.starts_with(['\t', '\r']) || v.trim_start().starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

fn pass_view(p: &SqlWalletPass) -> PassView {
    PassView {
        platform: if p.platform == "apple" {
            "Apple Wallet"
        } else {
            "Google Wallet"
        }
        .to_owned(),
        voided: p.voided_at.is_some(),
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
        Some(m) => store
            .wallet_passes_for_member(m)
            .await?
            .iter()
            .map(pass_view)
            .collect(),
        None => Vec::new(),
    };
    if r.outcome == "completed" {
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

pub async fn funnel(
    store: &Store,
    operator_id: i64,
    from: &str,
    to: &str,
) -> Result<FunnelView, StoreError> {
    let now = now_ms();
    let mut filter_problem = None;
    let to_ms = match to.trim() {
        "" => None,
        s => parse_date(s).map(|d| d + 86_400_000).or_else(|| {
            filter_problem =
                Some("Dates are written like 2026-11-28; the last 30 days are shown.".to_owned());
            None
        }),
    }
    .unwrap_or_else(|| parse_date(&fmt_date(now)).unwrap_or(now) + 86_400_000);
    let from_ms = match from.trim() {
        "" => None,
        s => parse_date(s).or_else(|| {
            filter_problem =
                Some("Dates are written like 2026-11-28; the last 30 days are shown.".to_owned());
            None
        }),
    }
    .unwrap_or(to_ms - 30 * 86_400_000);
    let (f, times) = store.funnel(operator_id, from_ms, to_ms).await?;
    let counts = [
        ("Invite opened", f.opened),
        ("Number entered", f.entered),
        ("Member matched", f.matched),
        ("SMS delivered", f.delivered),
        ("Link opened", f.link_opened),
        ("Added to Apple Wallet", f.apple),
        ("Added to Google Wallet", f.google),
    ];
    let mut steps: Vec<FunnelStep> = Vec::new();
    let mut biggest: Option<(i64, String)> = None;
    for (i, (label, count)) in counts.iter().enumerate() {
        // Both wallets follow "link opened".
        let previous = match i {
            0 => None,
            5 | 6 => Some(counts[4].1),
            _ => Some(counts[i - 1].1),
        };
        let from_previous = previous.map(|p| {
            if p == 0 {
                0
            } else {
                ((count * 100) / p) as u32
            }
        });
        if let Some(p) = previous {
            if i < 5 && p - count > biggest.as_ref().map_or(0, |b| b.0) {
                biggest = Some((p - count, format!("{} → {}", counts[i - 1].0, label)));
            }
        }
        steps.push(FunnelStep {
            label: (*label).to_owned(),
            count: *count,
            from_previous,
        });
    }
    let pct = |q: f64| -> Option<String> {
        if times.is_empty() {
            return None;
        }
        let idx = ((times.len() as f64 - 1.0) * q).round() as usize;
        Some(fmt_duration(times[idx.min(times.len() - 1)]))
    };
    let biggest_drop = biggest.map(|(n, s)| {
        format!(
            "{s}: {n} journey{} stopped here",
            if n == 1 { "" } else { "s" }
        )
    });
    let svg = funnel_svg(&steps, biggest_drop.as_deref());
    Ok(FunnelView {
        from: fmt_date(from_ms),
        to: fmt_date(to_ms - 86_400_000),
        completed: times.len() as i64,
        median: pct(0.5),
        p90: pct(0.9),
        steps,
        biggest_drop,
        svg,
        filter_problem,
    })
}

/// Text and attribute values in the SVG: `&`, `<`, `>`, `"` and `'` escaped.
fn xml_escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

/// The funnel as a horizontal bar chart: every bar labelled with its step, count and share of
/// the step before, so it reads without colour; the biggest drop is marked in words too.
pub fn funnel_svg(steps: &[FunnelStep], biggest_drop: Option<&str>) -> String {
    let max = steps.iter().map(|s| s.count).max().unwrap_or(0).max(1);
    let row = 44;
    let height = steps.len() as i64 * row + 16;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 760 {height}\" role=\"img\" aria-labelledby=\"funnel-title funnel-desc\" class=\"funnel-chart\">\
         <title id=\"funnel-title\">Journey funnel</title><desc id=\"funnel-desc\">{}</desc>",
        xml_escape(
            &steps
                .iter()
                .map(|s| format!("{}: {}", s.label, s.count))
                .collect::<Vec<_>>()
                .join("; ")
        )
    );
    let drop_target = biggest_drop
        .and_then(|d| d.split(" → ").nth(1))
        .and_then(|s| s.split(':').next());
    for (i, s) in steps.iter().enumerate() {
        let y = 8 + i as i64 * row;
        let w = (s.count * 300 / max).max(2);
        let pct = s
            .from_previous
            .map(|p| format!(" ({p}% of previous)"))
            .unwrap_or_default();
        let marked = drop_target == Some(s.label.as_str());
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" class=\"funnel-label\">{}</text>\
             <rect x=\"200\" y=\"{}\" width=\"{w}\" height=\"26\" rx=\"3\" class=\"funnel-bar{}\"/>\
             <text x=\"{}\" y=\"{}\" class=\"funnel-count\">{}{}{}</text>",
            y + 18,
            xml_escape(&s.label),
            y + 2,
            if marked { " funnel-drop" } else { "" },
            200 + w + 8,
            y + 20,
            s.count,
            xml_escape(&pct),
            if marked { " ▼ biggest drop" } else { "" },
        ));
    }
    out.push_str("</svg>");
    out
}

async fn member_view(store: &Store, m: &SqlMemberRow) -> Result<MemberRow, StoreError> {
    let credentials = store
        .credentials_for_member(m.id)
        .await?
        .iter()
        .filter(|c| c.revoked_at.is_none())
        .map(|c| {
            format!(
                "{}:{} ({})",
                c.facility_code,
                c.card_number,
                if c.source == "physical_card" {
                    "physical card"
                } else {
                    "digital"
                }
            )
        })
        .collect();
    let passes = store
        .wallet_passes_for_member(m.id)
        .await?
        .iter()
        .map(pass_view)
        .collect();
    Ok(MemberRow {
        id: m.id,
        external_id: m.external_id.clone(),
        name: format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_owned(),
        email: m.email.clone(),
        mobile: m.mobile_e164.as_deref().map(phone::mask),
        active: m.active,
        source: m.source.clone(),
        synced: m.synced_at.map(fmt_time),
        problem: m.sync_problem.clone(),
        credentials,
        passes,
    })
}

pub async fn members(
    store: &Store,
    operator_id: i64,
    q: &str,
    page: u32,
) -> Result<MemberList, StoreError> {
    let page = page.max(1);
    let search = q.trim();
    let search = if search.is_empty() {
        None
    } else {
        let digits: String = search.chars().filter(|c| c.is_ascii_digit()).collect();
        if search
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
            && !digits.is_empty()
        {
            Some(digits)
        } else {
            Some(search.chars().take(100).collect::<String>())
        }
    };
    let (rows, total) = store
        .member_rows(
            operator_id,
            search.as_deref(),
            PAGE_SIZE,
            (page as i64 - 1) * PAGE_SIZE,
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in &rows {
        out.push(member_view(store, m).await?);
    }
    Ok(MemberList {
        rows: out,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1) as u32,
        q: q.to_owned(),
    })
}

pub async fn member(
    store: &Store,
    operator_id: i64,
    id: i64,
) -> Result<Option<MemberDetail>, StoreError> {
    let Some(m) = store.member_row(operator_id, id).await? else {
        return Ok(None);
    };
    let journeys = store
        .member_journeys(operator_id, id)
        .await?
        .iter()
        .map(journey_row)
        .collect();
    Ok(Some(MemberDetail {
        member: member_view(store, &m).await?,
        journeys,
    }))
}

pub fn invite_state(expires_at: i64, revoked_at: Option<i64>) -> &'static str {
    if revoked_at.is_some() {
        "revoked"
    } else if expires_at <= now_ms() {
        "expired"
    } else {
        "active"
    }
}

pub async fn invites(
    store: &Store,
    operator_id: i64,
    default_days: i64,
) -> Result<InviteList, StoreError> {
    let rows = store
        .invite_rows(operator_id, 200)
        .await?
        .into_iter()
        .map(|i| InviteRow {
            id: i.id,
            poster: i.member_id.is_none(),
            target: match i.member_id {
                Some(_) => format!(
                    "{} {}",
                    i.first_name.unwrap_or_default(),
                    i.last_name.unwrap_or_default()
                )
                .trim()
                .to_owned(),
                None => i.site_name.clone().unwrap_or_else(|| "Any site".to_owned()),
            },
            state: invite_state(i.expires_at, i.revoked_at).to_owned(),
            created: fmt_time(i.created_at),
            expires: fmt_time(i.expires_at),
            sent: i.sent_at.map(fmt_time),
            journeys: i.journeys,
        })
        .collect();
    let sites = store
        .sites_of(operator_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let members = store
        .invitable_members(operator_id, 1000)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.id,
                format!(
                    "{} {} <{}>",
                    m.first_name,
                    m.last_name,
                    m.email.unwrap_or_default()
                ),
            )
        })
        .collect();
    Ok(InviteList {
        rows,
        sites,
        members,
        default_days,
    })
}

/// The QR code of a URL as an SVG document.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(320, 320)
            .quiet_zone(true)
            .build(),
    )
}

/// The QR code of a URL as a PNG (8 pixels a module, with a quiet zone).
pub fn qr_png(url: &str) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let n = code.width();
    let scale = 8;
    let quiet = 4;
    let size = (n + 2 * quiet) * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; size * size];
    for y in 0..n {
        for x in 0..n {
            if colors[y * n + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * size;
                    let start = row + (x + quiet) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size as u32, size as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().ok()?;
        w.write_image_data(&pixels).ok()?;
    }
    Some(out)
}

pub async fn poster(
    store: &Store,
    public_url: &str,
    operator_id: i64,
    id: i64,
) -> Result<Option<PosterView>, StoreError> {
    let Some(i) = store.invite_row(operator_id, id).await? else {
        return Ok(None);
    };
    let Some(token) = i.print_token.clone() else {
        return Ok(None);
    };
    let Some(op) = store.operator(operator_id).await? else {
        return Ok(None);
    };
    let url = format!("{public_url}/i/{token}");
    Ok(Some(PosterView {
        id,
        operator: op.name,
        logo_url: op.logo_url,
        site: i.site_name,
        qr_svg: qr_svg(&url).unwrap_or_default(),
        url,
        brand_color: op.brand_color,
        expires: fmt_date(i.expires_at),
        state: invite_state(i.expires_at, i.revoked_at).to_owned(),
    }))
}

pub async fn settings(
    store: &Store,
    operator_id: i64,
    default_link_secs: u64,
) -> Result<Option<SettingsView>, StoreError> {
    let Some(op) = store.operator(operator_id).await? else {
        return Ok(None);
    };
    Ok(Some(SettingsView {
        name: op.name,
        brand_color: op.brand_color,
        accent_color: op.accent_color,
        logo_url: op.logo_url.unwrap_or_default(),
        support_email: op.support_email.unwrap_or_default(),
        support_phone: op.support_phone.unwrap_or_default(),
        support_url: op.support_url.unwrap_or_default(),
        default_region: op.default_region,
        link_minutes: op
            .link_ttl_secs
            .map(|s| s as u64)
            .unwrap_or(default_link_secs)
            .div_ceil(60) as i64,
        invite_days: op.invite_days,
        strict: op.strict_enumeration,
        sms_countries: op.sms_countries,
        sms_hourly_budget: op.sms_hourly_budget,
        credential_format: op.credential_format,
        images: store
            .operator_images(operator_id)
            .await?
            .into_iter()
            .map(|(kind, _)| kind)
            .collect(),
    }))
}

pub async fn staff(store: &Store, operator_id: i64, me: i64) -> Result<Vec<StaffRow>, StoreError> {
    Ok(store
        .staff_of(operator_id)
        .await?
        .into_iter()
        .map(|s| StaffRow {
            id: s.id,
            email: s.email,
            role: s.role,
            disabled: s.disabled_at.is_some(),
            created: fmt_time(s.created_at),
            is_me: s.id == me,
        })
        .collect())
}

pub async fn audit(
    store: &Store,
    operator_id: i64,
    page: u32,
) -> Result<Vec<AuditRow>, StoreError> {
    let page = page.max(1) as i64;
    Ok(store
        .audit_entries(operator_id, 100, (page - 1) * 100)
        .await?
        .into_iter()
        .map(|a| AuditRow {
            at: fmt_time(a.at),
            actor: a.actor,
            action: a.action.replace('_', " "),
            target: a.target,
            detail: a.detail,
            ip: a.ip,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(850), "850 ms");
        assert_eq!(fmt_duration(12_400), "12 s");
        assert_eq!(fmt_duration(185_000), "3 min 5 s");
        assert_eq!(fmt_duration(7_440_000), "2 h 4 min");
    }

    #[test]
    fn csv_cells_that_could_be_formulas_are_neutralised() {
        assert_eq!(neutralised("Ada"), "Ada");
        assert_eq!(neutralised("Lovelace, Ada"), "Lovelace, Ada");
        assert_eq!(neutralised("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralised("  @SUM(A1)"), "'  @SUM(A1)");
        assert_eq!(neutralised("\t1"), "'\t1");
        assert_eq!(neutralised("\r1"), "'\r1");
        assert_eq!(neutralised("-1"), "'-1");
        assert_eq!(neutralised("+44 7400"), "'+44 7400");
        assert_eq!(neutralised(""), "");
    }

    #[test]
    fn dates_parse_or_say_so() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("02/01/1970"), None);
        let (_, problem) = journey_query(&JourneyFilter {
            from: "yesterday".into(),
            ..Default::default()
        });
        assert!(problem.unwrap().contains("2026-11-28"));
    }

    #[test]
    fn funnel_chart_labels_every_bar() {
        let steps = vec![
            FunnelStep {
                label: "Invite opened".into(),
                count: 10,
                from_previous: None,
            },
            FunnelStep {
                label: "Number entered".into(),
                count: 4,
                from_previous: Some(40),
            },
        ];
        let svg = funnel_svg(
            &steps,
            Some("Invite opened → Number entered: 6 journeys stopped here"),
        );
        assert!(svg.contains(">Invite opened</text>"));
        assert!(svg.contains(">4 (40% of previous) ▼ biggest drop</text>"));
        assert!(svg.contains("role=\"img\""));
    }
}
