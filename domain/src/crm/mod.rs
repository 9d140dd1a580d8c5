//! CRM sync: the member directory comes from the operator's CRM and stays true to it.
//!
//! A [`Connector`] hands over pages of members as the CRM has them ([`RawMember`]); the sync
//! engine ([`engine`]) checks and normalises each one, writes every page atomically with the
//! run's cursor (so a failed run resumes), deactivates leavers after a full run, and holds a
//! lease so only one instance syncs an operator at a time. Connectors: a file import
//! ([`file`]), a generic REST API ([`rest`]) and HubSpot's contacts ([`hubspot`]). Webhooks
//! ([`webhook`]) apply single changes as they happen.

pub mod engine;
pub mod file;
pub mod hubspot;
pub mod rest;
pub mod webhook;

use crate::retry::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One member as a source has them, before any check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawMember {
    /// Where it came from, for the report: "row 4", "id 9001".
    pub row_ref: String,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    /// `None` when the source says nothing: active.
    pub active: Option<bool>,
    /// Whether the source carries card fields at all (if not, cards are left as they are).
    pub card_mapped: bool,
    pub facility_code: Option<String>,
    pub card_number: Option<String>,
    /// When the CRM last changed the member, in milliseconds.
    pub modified_at: Option<i64>,
    /// When the membership ends, in milliseconds.
    pub membership_ends: Option<i64>,
    /// The member's language as the source has it (`de`, `de-AT`, `German` is not one).
    pub language: Option<String>,
    /// The source could not read this row; why.
    pub malformed: Option<String>,
    /// Whether the source carries names / an email at all: a file without those columns (or an
    /// object without those keys) leaves the directory's as they are.
    pub carries_names: bool,
    pub carries_email: bool,
}

/// One page of a listing, and where the next one starts.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub members: Vec<RawMember>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest<'a> {
    /// Where to start; `None` for the first page.
    pub cursor: Option<&'a str>,
    /// Only members changed since then (milliseconds), for an incremental sync.
    pub modified_since: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrmError {
    /// Worth trying again: a timeout, a refused connection, 429 or 5xx.
    #[error("the CRM is unavailable ({0})")]
    Unavailable(String),
    /// Will not get better by retrying: wrong credentials, a wrong URL.
    #[error("the CRM refused the request ({0})")]
    Refused(String),
    #[error("the CRM's answer could not be read ({0})")]
    Malformed(String),
}

impl CrmError {
    pub fn retryable(&self) -> bool {
        matches!(self, CrmError::Unavailable(_))
    }
}

/// A source of members.
pub trait Connector: Send + Sync {
    /// Recorded on each member it writes: `import`, `rest`, `hubspot`.
    fn source(&self) -> &'static str;
    fn fetch<'a>(&'a self, req: PageRequest<'a>) -> BoxFuture<'a, Result<Page, CrmError>>;
    /// How many members there are, when the source knows (for a progress bar).
    fn total_hint(&self) -> Option<u64> {
        None
    }
    /// How this source's webhook bodies name a member's fields.
    fn mapping(&self) -> FieldMap {
        FieldMap::default()
    }
}

/// Where each field sits in a source's member object, as JSON pointers (RFC 6901).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMap {
    pub external_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub mobile: String,
    /// The active flag; when unset, every listed member is active.
    pub active: Option<String>,
    /// The values of `active` that mean active (compared case-insensitively).
    pub active_values: Vec<String>,
    pub facility_code: Option<String>,
    pub card_number: Option<String>,
    pub modified_at: Option<String>,
    /// When the membership ends (a date or a time): passes expire then.
    pub membership_ends: Option<String>,
    /// The member's language (a tag such as `de`): their pages, texts and emails use it.
    pub language: Option<String>,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            external_id: "/id".into(),
            first_name: "/first_name".into(),
            last_name: "/last_name".into(),
            email: "/email".into(),
            mobile: "/mobile".into(),
            active: Some("/active".into()),
            active_values: default_active_values(),
            facility_code: Some("/facility_code".into()),
            card_number: Some("/card_number".into()),
            modified_at: Some("/updated_at".into()),
            membership_ends: Some("/membership_ends".into()),
            language: Some("/language".into()),
        }
    }
}

pub fn default_active_values() -> Vec<String> {
    ["true", "1", "yes", "active"]
        .into_iter()
        .map(String::from)
        .collect()
}

/// A JSON value as text: strings as they are, numbers and booleans written out, null and
/// blanks as nothing.
fn text(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Reads a time as milliseconds: RFC 3339 text, or a number of seconds or milliseconds.
pub fn parse_time(v: &str) -> Option<i64> {
    if let Ok(n) = v.parse::<i64>() {
        // Anything below ~1973 in milliseconds is taken as seconds.
        return Some(if n.abs() < 100_000_000_000 {
            n * 1000
        } else {
            n
        });
    }
    let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Reads the end of a membership: a time as `parse_time` does, or a plain date (`2027-01-31`),
/// meaning the end of that day (UTC).
pub fn parse_end(v: &str) -> Option<i64> {
    if let Ok(date) = time::Date::parse(
        v.trim(),
        &time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        let end = date.with_hms(23, 59, 59).ok()?.assume_utc();
        return Some((end.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    parse_time(v)
}

pub fn format_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl FieldMap {
    /// Reads one member object.
    pub fn read(&self, obj: &Value, row_ref: String) -> RawMember {
        let at = |p: &str| text(obj.pointer(p));
        let active = self.active.as_deref().and_then(|p| {
            at(p).map(|v| {
                self.active_values
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&v))
            })
        });
        let external_id = at(&self.external_id);
        RawMember {
            row_ref: external_id
                .as_ref()
                .map(|id| format!("{row_ref} (id {id})"))
                .unwrap_or(row_ref),
            external_id,
            carries_names: obj.pointer(&self.first_name).is_some()
                || obj.pointer(&self.last_name).is_some(),
            carries_email: obj.pointer(&self.email).is_some(),
            first_name: at(&self.first_name),
            last_name: at(&self.last_name),
            email: at(&self.email),
            mobile: at(&self.mobile),
            active,
            // A card is said to be absent only by an object that has the card fields (null or
            // empty); an object without them leaves the member's card as it is.
            card_mapped: [&self.facility_code, &self.card_number]
                .iter()
                .all(|p| p.is_some())
                && [&self.facility_code, &self.card_number]
                    .iter()
                    .any(|p| p.as_deref().is_some_and(|p| obj.pointer(p).is_some())),
            facility_code: self.facility_code.as_deref().and_then(at),
            card_number: self.card_number.as_deref().and_then(at),
            modified_at: self
                .modified_at
                .as_deref()
                .and_then(at)
                .and_then(|t| parse_time(&t)),
            language: self.language.as_deref().and_then(at),
            membership_ends: self
                .membership_ends
                .as_deref()
                .and_then(at)
                .and_then(|t| parse_end(&t)),
            malformed: (!obj.is_object()).then(|| "not a JSON object".to_owned()),
        }
    }
}

/// How a connector proves itself to the CRM. Secrets may be named by environment variable
/// (`token_env`, `password_env`) so they stay out of the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    #[default]
    None,
    Bearer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_env: Option<String>,
    },
    Basic {
        username: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password_env: Option<String>,
    },
}

/// Auth with its secrets looked up.
#[derive(Clone)]
pub enum ResolvedAuth {
    None,
    Bearer(String),
    Basic(String, String),
}

impl std::fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResolvedAuth::None => "none",
            ResolvedAuth::Bearer(_) => "bearer(••••)",
            ResolvedAuth::Basic(..) => "basic(••••)",
        })
    }
}

/// The prefix of every variable a CRM connection may read: a connection is stored settings an
/// operator supplies, and must not be able to send the server's own secrets (the database URL,
/// the Twilio or cloud credentials) to a URL of its choosing.
pub const CRM_ENV_PREFIX: &str = "ELUMO_CRM_";

fn secret(inline: &Option<String>, env: &Option<String>, what: &str) -> Result<String, String> {
    match (inline, env) {
        (_, Some(var)) if !var.starts_with(CRM_ENV_PREFIX) || var.len() == CRM_ENV_PREFIX.len() => {
            Err(format!(
                "{what}_env may only name {CRM_ENV_PREFIX}* variables, not {var:?}: put the {what} in \
                 a variable such as {CRM_ENV_PREFIX}TOKEN and name that"
            ))
        }
        (_, Some(var)) => std::env::var(var)
            .map_err(|_| format!("the {what} is to come from ${var}, which is not set")),
        (Some(v), None) => Ok(v.clone()),
        (None, None) => Err(format!(
            "the {what} is missing (set it, or name a variable with {what}_env)"
        )),
    }
}

impl Auth {
    pub fn resolve(&self) -> Result<ResolvedAuth, String> {
        Ok(match self {
            Auth::None => ResolvedAuth::None,
            Auth::Bearer { token, token_env } => {
                ResolvedAuth::Bearer(secret(token, token_env, "token")?)
            }
            Auth::Basic {
                username,
                password,
                password_env,
            } => ResolvedAuth::Basic(
                username.clone(),
                secret(password, password_env, "password")?,
            ),
        })
    }
}

/// How an operator's connection names member fields, read from its settings alone (webhooks
/// need no CRM credentials, so a missing token never stops them).
pub fn mapping_for(conn: &crate::store::SqlCrmConnection) -> Result<FieldMap, String> {
    match conn.kind.as_str() {
        "rest" => serde_json::from_str::<rest::RestSettings>(&conn.settings)
            .map(|s| s.fields)
            .map_err(|e| format!("the REST connection's settings are not valid: {e}")),
        "hubspot" => serde_json::from_str::<hubspot::HubSpotSettings>(&conn.settings)
            .map(|s| hubspot::fields(&s))
            .map_err(|e| format!("the HubSpot connection's settings are not valid: {e}")),
        other => Err(format!("unknown CRM connection kind {other:?}")),
    }
}

/// Builds the connector an operator's stored connection describes.
pub fn connector_for(conn: &crate::store::SqlCrmConnection) -> Result<Box<dyn Connector>, String> {
    match conn.kind.as_str() {
        "rest" => {
            let settings: rest::RestSettings = serde_json::from_str(&conn.settings)
                .map_err(|e| format!("the REST connection's settings are not valid: {e}"))?;
            Ok(Box::new(rest::RestConnector::new(settings)?))
        }
        "hubspot" => {
            let settings: hubspot::HubSpotSettings = serde_json::from_str(&conn.settings)
                .map_err(|e| format!("the HubSpot connection's settings are not valid: {e}"))?;
            Ok(Box::new(hubspot::HubSpotConnector::new(settings)?))
        }
        other => Err(format!("unknown CRM connection kind {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_members_through_pointers() {
        let map = FieldMap {
            external_id: "/id".into(),
            first_name: "/properties/firstname".into(),
            mobile: "/properties/mobilephone".into(),
            active: Some("/archived".into()),
            active_values: vec!["false".into()],
            ..FieldMap::default()
        };
        let m = map.read(
            &json!({"id": 901, "properties": {"firstname": " Ada ", "mobilephone": "07400 123001"},
                    "archived": false, "updated_at": "2026-11-28T10:00:00Z"}),
            "item 1".into(),
        );
        assert_eq!(m.external_id.as_deref(), Some("901"));
        assert_eq!(m.first_name.as_deref(), Some("Ada"));
        assert_eq!(m.mobile.as_deref(), Some("07400 123001"));
        assert_eq!(m.active, Some(true));
        assert_eq!(m.modified_at, Some(1_795_860_000_000));
        assert_eq!(m.row_ref, "item 1 (id 901)");
    }

    #[test]
    fn times_read_in_every_form() {
        assert_eq!(parse_time("1795860000"), Some(1_795_860_000_000));
        assert_eq!(parse_time("1795860000000"), Some(1_795_860_000_000));
        assert_eq!(
            parse_time("2026-11-28T10:00:00+00:00"),
            Some(1_795_860_000_000)
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(format_time(1_795_860_000_000), "2026-11-28T10:00:00Z");
        assert_eq!(
            parse_end("2026-11-28").map(format_time).as_deref(),
            Some("2026-11-28T23:59:59Z")
        );
        assert_eq!(parse_end("1795860000"), Some(1_795_860_000_000));
    }
}
