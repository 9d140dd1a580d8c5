//! HubSpot contacts (CRM API v3), on the generic connector's HTTP and field mapping.
//!
//! A full sync lists `GET /crm/v3/objects/contacts` (cursor `after`, `paging.next.after`); an
//! incremental one searches `POST /crm/v3/objects/contacts/search` for `lastmodifieddate` at or
//! after the last run. Authentication is a private app's access token (`Authorization: Bearer`).

use crate::retry::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::rest::{members_at, CrmHttp};
use super::{Auth, Connector, CrmError, FieldMap, Page, PageRequest};

const PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubSpotSettings {
    #[serde(default = "default_base")]
    pub base_url: String,
    /// The private app's access token: `{"type": "bearer", "token_env": "ELUMO_CRM_HUBSPOT_TOKEN"}`.
    pub auth: Auth,
    /// The contact property that holds the mobile number.
    #[serde(default = "default_mobile")]
    pub mobile_property: String,
    /// A property that says whether the contact is a current member, and the values that mean
    /// yes. Without one, every contact that is not archived is a member.
    #[serde(default)]
    pub active_property: Option<String>,
    #[serde(default = "super::default_active_values")]
    pub active_values: Vec<String>,
    /// Custom properties holding an existing access card, if the operator keeps them.
    #[serde(default)]
    pub facility_code_property: Option<String>,
    #[serde(default)]
    pub card_number_property: Option<String>,
    /// A date property holding when the membership ends (passes expire then).
    #[serde(default)]
    pub membership_end_property: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_base() -> String {
    "https://api.hubapi.com".into()
}
fn default_mobile() -> String {
    "mobilephone".into()
}
fn default_timeout_ms() -> u64 {
    10_000
}

/// Where HubSpot keeps each member field in a contact object.
pub fn fields(settings: &HubSpotSettings) -> FieldMap {
    let prop = |p: &str| format!("/properties/{p}");
    FieldMap {
        external_id: "/id".into(),
        first_name: prop("firstname"),
        last_name: prop("lastname"),
        email: prop("email"),
        mobile: prop(&settings.mobile_property),
        active: Some(
            settings
                .active_property
                .as_deref()
                .map_or_else(|| "/archived".into(), prop),
        ),
        active_values: if settings.active_property.is_some() {
            settings.active_values.clone()
        } else {
            vec!["false".into()]
        },
        facility_code: settings.facility_code_property.as_deref().map(prop),
        card_number: settings.card_number_property.as_deref().map(prop),
        modified_at: Some("/updatedAt".into()),
        membership_ends: settings.membership_end_property.as_deref().map(prop),
        // HubSpot's own contact property for the preferred language.
        language: Some(prop("hs_language")),
    }
}

pub struct HubSpotConnector {
    settings: HubSpotSettings,
    http: CrmHttp,
    fields: FieldMap,
    properties: Vec<String>,
}

impl HubSpotConnector {
    pub fn new(settings: HubSpotSettings) -> Result<Self, String> {
        if matches!(settings.auth, Auth::None) {
            return Err("HubSpot needs a private app access token (auth type bearer)".into());
        }
        let http = CrmHttp::new(&settings.auth, settings.timeout_ms)?;
        let fields = fields(&settings);
        let mut properties: Vec<String> = ["firstname", "lastname", "email", "lastmodifieddate"]
            .into_iter()
            .map(String::from)
            .collect();
        properties.push(settings.mobile_property.clone());
        properties.extend(settings.active_property.iter().cloned());
        properties.extend(settings.facility_code_property.iter().cloned());
        properties.extend(settings.card_number_property.iter().cloned());
        properties.extend(settings.membership_end_property.iter().cloned());
        Ok(HubSpotConnector {
            settings,
            http,
            fields,
            properties,
        })
    }

    async fn page(&self, req: PageRequest<'_>) -> Result<Page, CrmError> {
        let base = self.settings.base_url.trim_end_matches('/');
        let first_index = req.cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = match req.modified_since {
            None => {
                let mut query = vec![
                    ("limit", PAGE_SIZE.to_string()),
                    ("properties", self.properties.join(",")),
                    ("archived", "false".into()),
                ];
                if let Some(after) = req.cursor {
                    query.push(("after", after.to_owned()));
                }
                let url = format!("{base}/crm/v3/objects/contacts");
                self.http
                    .json(self.http.client().get(url).query(&query))
                    .await?
            }
            Some(since) => {
                let mut search = json!({
                    "filterGroups": [{"filters": [{
                        "propertyName": "lastmodifieddate",
                        "operator": "GTE",
                        "value": since.to_string(),
                    }]}],
                    "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                    "properties": self.properties,
                    "limit": PAGE_SIZE,
                });
                if let Some(after) = req.cursor {
                    search["after"] = json!(after);
                }
                let url = format!("{base}/crm/v3/objects/contacts/search");
                self.http
                    .json(self.http.client().post(url).json(&search))
                    .await?
            }
        };
        let members = members_at(&body, "/results", &self.fields, first_index)?;
        let next = super::text(body.pointer("/paging/next/after"));
        Ok(Page { members, next })
    }
}

impl Connector for HubSpotConnector {
    fn source(&self) -> &'static str {
        "hubspot"
    }

    fn fetch<'a>(&'a self, req: PageRequest<'a>) -> BoxFuture<'a, Result<Page, CrmError>> {
        Box::pin(self.page(req))
    }

    fn mapping(&self) -> FieldMap {
        self.fields.clone()
    }
}
