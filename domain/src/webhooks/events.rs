//! What a webhook says: the event types an endpoint subscribes to, and the message's JSON
//! envelope as Standard Webhooks lays it out (`type`, `timestamp`, `data`).

/// An event an operator's endpoint can subscribe to. The names are part of the public contract:
/// receivers switch on them, so a name never changes once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A member reached the end of the journey (the pass is in a wallet).
    JourneyCompleted,
    /// A number was entered that matches no member.
    MemberNotFound,
    PassIssued,
    /// A wallet reported the pass added to a device.
    PassAdded,
    PassRemoved,
    PassVoided,
    /// A text could not be sent, for good.
    SmsFailed,
    /// A member was created or changed by the CRM sync.
    MemberSynced,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        EventType::JourneyCompleted,
        EventType::MemberNotFound,
        EventType::PassIssued,
        EventType::PassAdded,
        EventType::PassRemoved,
        EventType::PassVoided,
        EventType::SmsFailed,
        EventType::MemberSynced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::JourneyCompleted => "journey.completed",
            EventType::MemberNotFound => "member.not_found",
            EventType::PassIssued => "pass.issued",
            EventType::PassAdded => "pass.added",
            EventType::PassRemoved => "pass.removed",
            EventType::PassVoided => "pass.voided",
            EventType::SmsFailed => "sms.failed",
            EventType::MemberSynced => "member.synced",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The list of event types as an endpoint row stores it: comma-separated, each once, in the
/// order of `EventType::ALL` (so the same choice is always stored alike).
pub fn join_events(events: &[EventType]) -> String {
    EventType::ALL
        .iter()
        .filter(|e| events.contains(e))
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A stored list read back; words this version does not know are left out.
pub fn split_events(stored: &str) -> Vec<EventType> {
    stored
        .split(',')
        .filter_map(|s| EventType::parse(s.trim()))
        .collect()
}

/// Event types as a form sends them (names, any separator of commas and white space).
/// `Err` names the first unknown one.
pub fn parse_events<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<EventType>, String> {
    let mut out = Vec::new();
    for name in names
        .into_iter()
        .flat_map(|n| n.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|n| !n.is_empty())
    {
        let event = EventType::parse(name).ok_or_else(|| name.to_owned())?;
        if !out.contains(&event) {
            out.push(event);
        }
    }
    Ok(out)
}

/// An RFC 3339 time (UTC, milliseconds) from milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The body of a webhook: `{"type": …, "timestamp": …, "data": …}`. Made once, when the event
/// is queued, and sent byte for byte on every attempt (the signature covers these bytes).
pub fn envelope(event: EventType, at_ms: i64, data: serde_json::Value) -> String {
    serde_json::json!({
        "type": event.as_str(),
        "timestamp": rfc3339(at_ms),
        "data": data,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_reads_back_as_itself() {
        assert_eq!(EventType::ALL.len(), 8);
        for &e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
        }
        assert_eq!(EventType::parse("pass.Issued"), None);
        assert_eq!(EventType::parse("member.notXfound"), None);
    }

    #[test]
    fn stored_lists_are_canonical() {
        let stored = join_events(&[
            EventType::PassVoided,
            EventType::PassIssued,
            EventType::PassVoided,
        ]);
        assert_eq!(stored, "pass.issued,pass.voided");
        assert_eq!(
            split_events(&stored),
            vec![EventType::PassIssued, EventType::PassVoided]
        );
        assert_eq!(
            split_events("pass.issued,some.future_event"),
            vec![EventType::PassIssued]
        );
    }

    #[test]
    fn form_input_is_parsed_and_unknown_names_are_named() {
        assert_eq!(
            parse_events(["pass.issued, sms.failed", "pass.issued"]),
            Ok(vec![EventType::PassIssued, EventType::SmsFailed])
        );
        assert_eq!(
            parse_events(["pass.issued pass.stolen"]),
            Err("pass.stolen".into())
        );
        assert_eq!(parse_events([""]), Ok(vec![]));
    }

    #[test]
    fn the_envelope_has_type_timestamp_and_data() {
        let body = envelope(
            EventType::PassIssued,
            1_614_265_330_123,
            serde_json::json!({ "member": "m-1" }),
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["type"], "pass.issued");
        assert_eq!(v["timestamp"], "2021-02-25T15:02:10.123Z");
        assert_eq!(v["data"]["member"], "m-1");
        assert_eq!(v.as_object().unwrap().len(), 3);
    }
}
