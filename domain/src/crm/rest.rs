//! The generic REST connector: any CRM that lists members as JSON over HTTP, page by page
//! (page numbers or cursors), optionally only those changed since a time.

use std::time::Duration;

use crate::retry::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{format_time, Auth, Connector, CrmError, FieldMap, Page, PageRequest, ResolvedAuth};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestSettings {
    /// e.g. `https://crm.example.com/api`; the listing is `{base_url}{list_path}`.
    pub base_url: String,
    #[serde(default = "default_list_path")]
    pub list_path: String,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub paging: Paging,
    /// A JSON pointer to the array of members in each answer ("" when the answer is the array).
    #[serde(default = "default_items")]
    pub items: String,
    /// The query parameter that asks for members changed since a time, if the API has one.
    #[serde(default)]
    pub modified_since_param: Option<String>,
    #[serde(default)]
    pub modified_since_format: TimeFormat,
    #[serde(default)]
    pub fields: FieldMap,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_list_path() -> String {
    "/members".into()
}
fn default_items() -> String {
    "/data".into()
}
fn default_timeout_ms() -> u64 {
    10_000
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Paging {
    /// `?page=1&per_page=100`, …; the last page is the first one shorter than `size`.
    Page {
        #[serde(default = "page_param")]
        param: String,
        #[serde(default = "size_param")]
        size_param: String,
        #[serde(default = "page_size")]
        size: u32,
        #[serde(default = "first_page")]
        first: u32,
    },
    /// `?cursor=…`, the next cursor read from the answer at the pointer `next`; none ends it.
    Cursor {
        #[serde(default = "cursor_param")]
        param: String,
        #[serde(default = "next_pointer")]
        next: String,
        #[serde(default)]
        size_param: Option<String>,
        #[serde(default = "page_size")]
        size: u32,
    },
}

fn page_param() -> String {
    "page".into()
}
fn size_param() -> String {
    "per_page".into()
}
fn page_size() -> u32 {
    100
}
fn first_page() -> u32 {
    1
}
fn cursor_param() -> String {
    "cursor".into()
}
fn next_pointer() -> String {
    "/next_cursor".into()
}

impl Default for Paging {
    fn default() -> Self {
        Paging::Page {
            param: page_param(),
            size_param: size_param(),
            size: page_size(),
            first: first_page(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    #[default]
    Rfc3339,
    EpochSeconds,
    EpochMillis,
}

impl TimeFormat {
    pub fn format(self, ms: i64) -> String {
        match self {
            TimeFormat::Rfc3339 => format_time(ms),
            TimeFormat::EpochSeconds => (ms / 1000).to_string(),
            TimeFormat::EpochMillis => ms.to_string(),
        }
    }
}

/// HTTP to a CRM: the client, its authentication, and how errors are sorted.
#[derive(Debug, Clone)]
pub struct CrmHttp {
    client: reqwest::Client,
    auth: ResolvedAuth,
}

impl CrmHttp {
    pub fn new(auth: &Auth, timeout_ms: u64) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(timeout_ms.clamp(1, 5_000)))
            .user_agent(concat!("elumo-pass/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up the HTTP client: {e}"))?;
        Ok(CrmHttp {
            client,
            auth: auth.resolve()?,
        })
    }

    fn authorise(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            ResolvedAuth::None => req,
            ResolvedAuth::Bearer(token) => req.bearer_auth(token),
            ResolvedAuth::Basic(user, password) => req.basic_auth(user, Some(password)),
        }
    }

    /// Sends and reads a JSON answer; timeouts, refused connections, 429 and 5xx are worth
    /// retrying, other failures are not.
    pub async fn json(&self, req: reqwest::RequestBuilder) -> Result<Value, CrmError> {
        let res = self.authorise(req).send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "the request failed"
            };
            CrmError::Unavailable(what.into())
        })?;
        let status = res.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(CrmError::Unavailable(format!("HTTP {}", status.as_u16())));
        }
        let body = res.text().await.map_err(|e| {
            CrmError::Unavailable(if e.is_timeout() {
                "timed out reading the answer".into()
            } else {
                "the answer was cut off".into()
            })
        })?;
        if !status.is_success() {
            let snippet: String = body.chars().take(200).collect();
            return Err(CrmError::Refused(format!(
                "HTTP {}: {}",
                status.as_u16(),
                snippet.trim()
            )));
        }
        serde_json::from_str(&body).map_err(|e| CrmError::Malformed(format!("not JSON: {e}")))
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// The members array at `pointer`, each read through `fields`.
pub fn members_at(
    body: &Value,
    pointer: &str,
    fields: &FieldMap,
    first_index: usize,
) -> Result<Vec<super::RawMember>, CrmError> {
    let items = body
        .pointer(pointer)
        .and_then(Value::as_array)
        .ok_or_else(|| CrmError::Malformed(format!("no member list at {pointer:?}")))?;
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, item)| fields.read(item, format!("item {}", first_index + i + 1)))
        .collect())
}

pub struct RestConnector {
    settings: RestSettings,
    http: CrmHttp,
}

impl RestConnector {
    pub fn new(settings: RestSettings) -> Result<Self, String> {
        if !(settings.base_url.starts_with("http://") || settings.base_url.starts_with("https://"))
        {
            return Err(format!(
                "base_url must start with https:// (or http:// on a trusted network), not {:?}",
                settings.base_url
            ));
        }
        let http = CrmHttp::new(&settings.auth, settings.timeout_ms)?;
        Ok(RestConnector { settings, http })
    }

    async fn page(&self, req: PageRequest<'_>) -> Result<Page, CrmError> {
        let s = &self.settings;
        let url = format!("{}{}", s.base_url.trim_end_matches('/'), s.list_path);
        let mut query: Vec<(String, String)> = Vec::new();
        if let (Some(param), Some(since)) = (&s.modified_since_param, req.modified_since) {
            query.push((param.clone(), s.modified_since_format.format(since)));
        }
        let (page_no, first_index) = match &s.paging {
            Paging::Page {
                param,
                size_param,
                size,
                first,
            } => {
                let n: u32 = match req.cursor {
                    None => *first,
                    Some(c) => c
                        .parse()
                        .map_err(|_| CrmError::Malformed(format!("bad page number {c:?}")))?,
                };
                query.push((param.clone(), n.to_string()));
                query.push((size_param.clone(), size.to_string()));
                (
                    Some(n),
                    (n.saturating_sub(*first) as usize) * (*size as usize),
                )
            }
            Paging::Cursor {
                param,
                size_param,
                size,
                ..
            } => {
                if let Some(c) = req.cursor {
                    query.push((param.clone(), c.to_owned()));
                }
                if let Some(sp) = size_param {
                    query.push((sp.clone(), size.to_string()));
                }
                (None, 0)
            }
        };
        let body = self
            .http
            .json(self.http.client().get(&url).query(&query))
            .await?;
        let members = members_at(&body, &s.items, &s.fields, first_index)?;
        let next = match &s.paging {
            Paging::Page { size, .. } => page_no
                .filter(|_| members.len() >= *size as usize && !members.is_empty())
                .map(|n| (n + 1).to_string()),
            Paging::Cursor { next, .. } => super::text(body.pointer(next)),
        };
        Ok(Page { members, next })
    }
}

impl Connector for RestConnector {
    fn source(&self) -> &'static str {
        "rest"
    }

    fn fetch<'a>(&'a self, req: PageRequest<'a>) -> BoxFuture<'a, Result<Page, CrmError>> {
        Box::pin(self.page(req))
    }

    fn mapping(&self) -> FieldMap {
        self.settings.fields.clone()
    }
}
