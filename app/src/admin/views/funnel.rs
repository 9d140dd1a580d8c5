//! The funnel and its chart.

use super::*;
use domain::store::{now_ms, Store, StoreError};

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
        ("Apple pass downloaded", f.apple),
        ("Added to Apple Wallet", f.apple_added),
        ("Sent to Google Wallet", f.google),
        ("Saved to Google Wallet", f.google_saved),
    ];
    let mut steps: Vec<FunnelStep> = Vec::new();
    let mut biggest: Option<(i64, String)> = None;
    for (i, (label, count)) in counts.iter().enumerate() {
        // Both wallets follow "link opened"; an add follows its download.
        let previous = match i {
            0 => None,
            5 | 7 => Some(counts[4].1),
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
