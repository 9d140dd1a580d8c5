//! The dashboard's pages as data: store rows of the signed-in operator turned into wire types.

use crate::types::admin::*;
use domain::kinds::{Event, Step};

mod funnel;
mod invites;
mod journeys;
mod members;
mod settings;

pub use funnel::*;
pub use invites::*;
pub use journeys::*;
pub use members::*;
pub use settings::*;

pub const PAGE_SIZE: i64 = 25;

/// "2026-11-28 14:03:07 UTC"
pub use domain::store::fmt_time;

pub(super) fn fmt_date(ms: i64) -> String {
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

pub(super) fn event_label(kind: &str) -> String {
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
        Event::ApplePassIssued => "Apple pass downloaded",
        Event::GooglePassIssued => "Sent to Google Wallet",
        Event::ApplePassRegistered => "Added to Apple Wallet",
        Event::ApplePassUnregistered => "Removed from Apple Wallet",
        Event::AppleDevicesOverLimit => "On more Apple devices than allowed",
        Event::GooglePassSaved => "Saved to Google Wallet",
        Event::GooglePassDeleted => "Removed from Google Wallet",
        Event::PassReplaced => "Moved to a new phone",
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
