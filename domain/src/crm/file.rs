//! File import: a CSV (with a header row) or JSON lines export from the CRM. Columns are found
//! by common names, or named with a mapping (`mobile=Mobile Phone`).

use std::collections::HashMap;
use std::path::Path;

use crate::retry::BoxFuture;
use serde_json::Value;

use super::{parse_time, Connector, CrmError, Page, PageRequest, RawMember};

/// The fields a file can carry, and the column names each is found under unless mapped.
const FIELDS: &[(&str, &[&str])] = &[
    (
        "external_id",
        &["external_id", "id", "member_id", "memberid", "externalid"],
    ),
    ("first_name", &["first_name", "firstname", "given_name"]),
    (
        "last_name",
        &["last_name", "lastname", "surname", "family_name"],
    ),
    ("email", &["email", "email_address"]),
    (
        "mobile",
        &[
            "mobile",
            "mobile_phone",
            "mobilephone",
            "mobile_number",
            "phone",
        ],
    ),
    ("active", &["active", "is_active", "status"]),
    ("facility_code", &["facility_code", "facility"]),
    ("card_number", &["card_number", "card", "card_no"]),
    (
        "modified_at",
        &["updated_at", "modified_at", "last_modified"],
    ),
    (
        "membership_ends",
        &["membership_ends", "membership_end", "ends_at", "end_date"],
    ),
    (
        "language",
        &["language", "lang", "locale", "preferred_language"],
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// From a file name: `.jsonl`/`.ndjson` are JSON lines, anything else CSV.
    pub fn guess(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Format::JsonLines,
            _ => Format::Csv,
        }
    }
}

fn fold(name: &str) -> String {
    name.trim()
        .to_ascii_lowercase()
        .replace([' ', '-', '.'], "_")
}

/// Parses `field=Column` pairs.
pub fn parse_mapping(pairs: &[String]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for pair in pairs.iter().flat_map(|p| p.split(',')) {
        let (field, column) = pair
            .split_once('=')
            .ok_or_else(|| format!("--map takes field=Column, not {pair:?}"))?;
        let field = fold(field);
        if !FIELDS.iter().any(|(f, _)| *f == field) {
            let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
            return Err(format!(
                "--map: unknown field {field:?} (fields: {})",
                known.join(", ")
            ));
        }
        out.insert(field, column.trim().to_owned());
    }
    Ok(out)
}

/// Every row of the file, read up front (so the total is known), handed over a page at a time.
pub struct FileSource {
    rows: Vec<RawMember>,
    page_size: usize,
}

struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn find(headers: &[String], mapping: &HashMap<String, String>) -> Result<Columns, String> {
        let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
        let mut index = HashMap::new();
        for (field, names) in FIELDS {
            let found = match mapping.get(*field) {
                Some(column) => Some(folded.iter().position(|h| *h == fold(column)).ok_or_else(
                    || format!("the file has no column {column:?} (mapped to {field})"),
                )?),
                None => names
                    .iter()
                    .find_map(|n| folded.iter().position(|h| h == n)),
            };
            if let Some(i) = found {
                index.insert(*field, i);
            }
        }
        for required in ["external_id", "mobile"] {
            if !index.contains_key(required) {
                let names = FIELDS
                    .iter()
                    .find(|(f, _)| *f == required)
                    .map(|(_, n)| n.join(", "))
                    .unwrap_or_default();
                return Err(format!(
                    "the file has no column for {required} (looked for: {names}); name it with --map {required}=\"Your column\""
                ));
            }
        }
        Ok(Columns { index })
    }

    fn member(&self, cells: &[Option<String>], row_ref: String) -> RawMember {
        let get = |f: &str| {
            self.index
                .get(f)
                .and_then(|&i| cells.get(i).cloned().flatten())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let external_id = get("external_id");
        RawMember {
            row_ref: match &external_id {
                Some(id) => format!("{row_ref} (id {id})"),
                None => row_ref,
            },
            external_id,
            carries_names: self.index.contains_key("first_name")
                || self.index.contains_key("last_name"),
            carries_email: self.index.contains_key("email"),
            first_name: get("first_name"),
            last_name: get("last_name"),
            email: get("email"),
            mobile: get("mobile"),
            active: get("active").map(|v| {
                super::default_active_values()
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&v))
            }),
            card_mapped: self.index.contains_key("facility_code")
                && self.index.contains_key("card_number"),
            facility_code: get("facility_code"),
            card_number: get("card_number"),
            modified_at: get("modified_at").and_then(|t| parse_time(&t)),
            membership_ends: get("membership_ends").and_then(|t| super::parse_end(&t)),
            language: get("language"),
            malformed: None,
        }
    }
}

impl FileSource {
    pub fn open(
        path: &Path,
        format: Format,
        mapping: &HashMap<String, String>,
    ) -> Result<FileSource, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
        Self::parse(&bytes, format, mapping)
    }

    pub fn parse(
        bytes: &[u8],
        format: Format,
        mapping: &HashMap<String, String>,
    ) -> Result<FileSource, String> {
        let rows = match format {
            Format::Csv => Self::csv(bytes, mapping)?,
            Format::JsonLines => Self::json_lines(bytes, mapping)?,
        };
        Ok(FileSource {
            rows,
            page_size: 500,
        })
    }

    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn csv(bytes: &[u8], mapping: &HashMap<String, String>) -> Result<Vec<RawMember>, String> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(|e| format!("the file's header row could not be read: {e}"))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let columns = Columns::find(&headers, mapping)?;
        let mut rows = Vec::new();
        let mut record = csv::ByteRecord::new();
        let mut line = 1;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    line = record.position().map_or(line + 1, |p| p.line());
                    let cells: Vec<Option<String>> = record
                        .iter()
                        .map(|c| std::str::from_utf8(c).ok().map(str::to_owned))
                        .collect();
                    let mut m = columns.member(&cells, format!("row {line}"));
                    if record.iter().any(|c| std::str::from_utf8(c).is_err()) {
                        m.malformed = Some("not valid UTF-8 text".into());
                    }
                    rows.push(m);
                }
                Err(err) => {
                    line = err.position().map_or(line + 1, |p| p.line());
                    let why = match err.kind() {
                        csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => format!("expected {expected_len} fields, found {len}"),
                        _ => err.to_string(),
                    };
                    rows.push(RawMember {
                        row_ref: format!("row {line}"),
                        malformed: Some(why),
                        ..RawMember::default()
                    });
                    if !matches!(err.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                        // The reader cannot go on past other errors (I/O); stop here.
                        break;
                    }
                }
            }
        }
        Ok(rows)
    }

    fn json_lines(
        bytes: &[u8],
        mapping: &HashMap<String, String>,
    ) -> Result<Vec<RawMember>, String> {
        let text = String::from_utf8_lossy(bytes);
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let row_ref = format!("line {}", i + 1);
            if line.trim().is_empty() {
                continue;
            }
            let obj: serde_json::Map<String, Value> = match serde_json::from_str(line) {
                Ok(Value::Object(o)) => o,
                Ok(_) | Err(_) => {
                    rows.push(RawMember {
                        row_ref,
                        malformed: Some("not a JSON object".into()),
                        ..RawMember::default()
                    });
                    continue;
                }
            };
            // Each object is read by its own keys: a field's mapped key, or the first of its
            // common names the object has.
            let named: HashMap<String, Option<String>> = obj
                .iter()
                .map(|(k, v)| (fold(k), super::text(Some(v))))
                .collect();
            let mut index = HashMap::new();
            let mut cells: Vec<Option<String>> = Vec::new();
            for (field, names) in FIELDS {
                let key = match mapping.get(*field) {
                    Some(column) => Some(fold(column)),
                    None => names
                        .iter()
                        .find(|n| named.contains_key(**n))
                        .map(|n| n.to_string()),
                };
                if let Some(key) = key.filter(|k| named.contains_key(k)) {
                    index.insert(*field, cells.len());
                    cells.push(named.get(&key).cloned().flatten());
                }
            }
            let row = Columns { index }.member(&cells, row_ref);
            rows.push(row);
        }
        Ok(rows)
    }
}

impl Connector for FileSource {
    fn source(&self) -> &'static str {
        "import"
    }

    fn fetch<'a>(&'a self, req: PageRequest<'a>) -> BoxFuture<'a, Result<Page, CrmError>> {
        Box::pin(async move {
            let start: usize = match req.cursor {
                None => 0,
                Some(c) => c
                    .parse()
                    .map_err(|_| CrmError::Malformed(format!("bad file position {c:?}")))?,
            };
            let end = (start + self.page_size).min(self.rows.len());
            let members = self.rows.get(start..end).unwrap_or_default().to_vec();
            Ok(Page {
                members,
                next: (end < self.rows.len()).then(|| end.to_string()),
            })
        })
    }

    fn total_hint(&self) -> Option<u64> {
        Some(self.rows.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_by_common_names_and_by_mapping() {
        let csv = "Member ID,First Name,Surname,Mobile Phone,Facility,Card\n\
                   m1,Ada,Lovelace,07400 123001,42,1001\n\
                   m2,Grace,Hopper\n";
        let src = FileSource::parse(csv.as_bytes(), Format::Csv, &HashMap::new()).unwrap();
        assert_eq!(src.rows[0].external_id.as_deref(), Some("m1"));
        assert_eq!(src.rows[0].mobile.as_deref(), Some("07400 123001"));
        assert_eq!(src.rows[0].card_number.as_deref(), Some("1001"));
        assert!(src.rows[0].card_mapped);
        assert_eq!(src.rows[1].row_ref, "row 3");
        assert_eq!(
            src.rows[1].malformed.as_deref(),
            Some("expected 6 fields, found 3")
        );

        let csv = "Ref,Tel\nx1,07400 123001\n";
        let err = FileSource::parse(csv.as_bytes(), Format::Csv, &HashMap::new())
            .err()
            .unwrap();
        assert!(
            err.starts_with("the file has no column for external_id"),
            "{err}"
        );
        let map = parse_mapping(&["external_id=Ref,mobile=Tel".into()]).unwrap();
        let src = FileSource::parse(csv.as_bytes(), Format::Csv, &map).unwrap();
        assert_eq!(src.rows[0].external_id.as_deref(), Some("x1"));
        assert!(!src.rows[0].card_mapped);
    }

    #[test]
    fn json_lines_by_key() {
        let text = "{\"id\": 7, \"mobile\": \"+447400123001\", \"active\": false}\n\nnot json\n{\"id\": \"8\"}\n";
        let src = FileSource::parse(text.as_bytes(), Format::JsonLines, &HashMap::new()).unwrap();
        assert_eq!(src.rows.len(), 3);
        assert_eq!(src.rows[0].external_id.as_deref(), Some("7"));
        assert_eq!(src.rows[0].active, Some(false));
        assert_eq!(src.rows[1].row_ref, "line 3");
        assert!(src.rows[1].malformed.is_some());
        assert_eq!(src.rows[2].mobile, None);
    }
}
