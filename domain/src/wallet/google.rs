//! Google Wallet: a "Save to Google Wallet" link carrying a JWT signed RS256 with the issuer's
//! service-account key, with a generic pass class and object in its payload.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::{PassContent, WalletError};

pub const SAVE_URL: &str = "https://pay.google.com/gp/v/save/";
/// Where Google sends its save and delete callbacks (the class's `callbackOptions.url`).
pub const CALLBACK_PATH: &str = "/wallet/google/callback";

pub struct GoogleWallet {
    pub issuer_id: String,
    pub service_account_email: String,
    key: EncodingKey,
    /// The Wallet REST API, when classes and objects are pre-inserted.
    pub rest: Option<GoogleRest>,
    /// Smart Tap: the redemption issuers (NFC reader vendors) that may read the pass.
    pub redemption_issuers: Vec<String>,
    /// Where Google calls back on saves and deletes (`None`: no callbacks).
    pub callback_url: Option<String>,
}

impl std::fmt::Debug for GoogleWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleWallet")
            .field("issuer_id", &self.issuer_id)
            .field("service_account_email", &self.service_account_email)
            .finish_non_exhaustive()
    }
}

/// Google object and class ids allow letters, digits, '.', '_' and '-'.
fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl GoogleWallet {
    pub fn new(
        issuer_id: String,
        service_account_email: String,
        pem: &[u8],
    ) -> Result<Self, WalletError> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|_| {
            WalletError::Config(
                "the Google service-account key is not an RSA private key in PEM form".into(),
            )
        })?;
        Ok(GoogleWallet {
            issuer_id,
            service_account_email,
            key,
            rest: None,
            redemption_issuers: Vec::new(),
            callback_url: None,
        })
    }

    /// Pre-inserts through the REST API at `api_base`, with tokens from `token_url`.
    pub fn with_rest(mut self, api_base: &str, token_url: &str) -> Result<Self, WalletError> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| WalletError::Config(format!("could not set up the HTTP client: {e}")))?;
        self.rest = Some(GoogleRest {
            client,
            api_base: api_base.trim_end_matches('/').to_owned(),
            token_url: token_url.to_owned(),
            email: self.service_account_email.clone(),
            key: self.key.clone(),
            token: tokio::sync::Mutex::new(None),
        });
        Ok(self)
    }

    /// The pass class: one per operator.
    pub fn class_json(&self, c: &PassContent) -> serde_json::Value {
        // One member's pass, on all of that member's devices (never passed on to another holder).
        let mut class = json!({
            "id": self.class_id(c),
            "multipleDevicesAndHoldersAllowedStatus": "ONE_USER_ALL_DEVICES",
        });
        if let Some(url) = &self.callback_url {
            class["callbackOptions"] = json!({ "url": url });
        }
        if !self.redemption_issuers.is_empty() {
            class["enableSmartTap"] = json!(true);
            class["redemptionIssuers"] = json!(self.redemption_issuers);
        }
        class
    }

    /// The pass object, with its state: ACTIVE, or INACTIVE once voided.
    pub fn object_json(&self, c: &PassContent) -> serde_json::Value {
        let text = |v: &str| json!({"defaultValue": {"language": "en", "value": v}});
        let mut modules = vec![json!({
            "id": "credential",
            "header": crate::i18n::t("en", "pass-card-google", &[]),
            "localizedHeader": localized("pass-card-google"),
            "body": c.credential_display(),
        })];
        if let Some(site) = &c.site_name {
            modules.insert(
                0,
                json!({
                    "id": "site",
                    "header": crate::i18n::t("en", "pass-site-google", &[]),
                    "localizedHeader": localized("pass-site-google"),
                    "body": site,
                }),
            );
        }
        let mut object = json!({
            "id": self.object_id(c),
            "classId": self.class_id(c),
            "state": if c.voided { "INACTIVE" } else { "ACTIVE" },
            "cardTitle": text(&c.operator_name),
            "subheader": localized("pass-member-google"),
            "header": text(&c.member_name),
            "hexBackgroundColor": c.brand_color,
            "barcode": {"type": "QR_CODE", "value": c.barcode_message(), "alternateText": c.credential_display()},
            "textModulesData": modules,
        });
        if let Some(m) = &c.message {
            object["messages"] = json!([{
                "id": format!("message-{}", m.id),
                "header": c.operator_name,
                "body": m.body,
                "messageType": if m.notify { "TEXT_AND_NOTIFY" } else { "TEXT" },
            }]);
        }
        if let Some(end) = c.expires_at.and_then(super::rfc3339) {
            object["validTimeInterval"] = json!({"end": {"date": end}});
        }
        if !self.redemption_issuers.is_empty() {
            object["smartTapRedemptionValue"] = json!(c.short_payload);
        }
        object
    }

    pub fn class_id(&self, c: &PassContent) -> String {
        format!("{}.{}", self.issuer_id, id_part(&c.operator_slug))
    }

    pub fn object_id(&self, c: &PassContent) -> String {
        format!("{}.{}", self.issuer_id, id_part(&c.serial))
    }

    /// The link's claims: with the REST API, only the pre-inserted object's id (a short link);
    /// without it, the class and object themselves.
    pub fn claims(&self, c: &PassContent, origins: &[String], iat: i64) -> serde_json::Value {
        let payload = if self.rest.is_some() {
            json!({"genericObjects": [{"id": self.object_id(c)}]})
        } else {
            json!({
                "genericClasses": [self.class_json(c)],
                "genericObjects": [self.object_json(c)],
            })
        };
        json!({
            "iss": self.service_account_email,
            "aud": "google",
            "typ": "savetowallet",
            "iat": iat,
            "origins": origins,
            "payload": payload,
        })
    }

    pub fn jwt(
        &self,
        c: &PassContent,
        origins: &[String],
        iat: i64,
    ) -> Result<String, WalletError> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &self.claims(c, origins, iat),
            &self.key,
        )?)
    }

    pub fn save_url(
        &self,
        c: &PassContent,
        origins: &[String],
        iat: i64,
    ) -> Result<String, WalletError> {
        Ok(format!("{SAVE_URL}{}", self.jwt(c, origins, iat)?))
    }
}

/// The Google Wallet REST API with a service account: an OAuth token from a JWT bearer grant
/// (RS256, signed with the service-account key), kept until shortly before it expires and
/// fetched again when the API says it is no longer good.
pub struct GoogleRest {
    client: reqwest::Client,
    api_base: String,
    token_url: String,
    email: String,
    key: EncodingKey,
    token: tokio::sync::Mutex<Option<(String, i64)>>,
}

const SCOPE: &str = "https://www.googleapis.com/auth/wallet_object.issuer";

fn remote(what: impl std::fmt::Display) -> WalletError {
    WalletError::Remote(format!("Google Wallet: {what}"))
}

impl GoogleRest {
    async fn access_token(&self, fresh: bool) -> Result<String, WalletError> {
        let now = crate::store::now_ms() / 1000;
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if !fresh && *expires - 60 > now {
                return Ok(token.clone());
            }
        }
        let claims = json!({
            "iss": self.email, "scope": SCOPE, "aud": self.token_url,
            "iat": now, "exp": now + 3600,
        });
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)?;
        let res = self
            .client
            .post(&self.token_url)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|_| remote("the token service is unreachable"))?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        let (Some(token), true) = (body["access_token"].as_str(), status.is_success()) else {
            return Err(remote(format!(
                "no access token (HTTP {}: {})",
                status.as_u16(),
                body["error"].as_str().unwrap_or("no reason given")
            )));
        };
        let expires = now + body["expires_in"].as_i64().unwrap_or(3600);
        *cached = Some((token.to_owned(), expires));
        Ok(token.to_owned())
    }

    /// One API call; a 401 fetches a new token and tries once more.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, serde_json::Value), WalletError> {
        let url = format!("{}/walletobjects/v1/{path}", self.api_base);
        for fresh in [false, true] {
            let token = self.access_token(fresh).await?;
            let res = self
                .client
                .request(method.clone(), &url)
                .bearer_auth(&token)
                .json(body)
                .send()
                .await
                .map_err(|_| remote("the API is unreachable"))?;
            let status = res.status().as_u16();
            if status == 401 && !fresh {
                continue;
            }
            let json = res.json().await.unwrap_or_default();
            return Ok((status, json));
        }
        Err(remote("the API refused the service account's token"))
    }

    fn ok(what: &str, (status, body): (u16, serde_json::Value)) -> Result<(), WalletError> {
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(remote(format!(
                "{what} failed (HTTP {status}: {})",
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("no reason given")
            )))
        }
    }

    /// Inserts the class and object, or brings an existing object up to date (409 on insert
    /// means it already exists).
    pub async fn upsert(
        &self,
        class: &serde_json::Value,
        object: &serde_json::Value,
    ) -> Result<(), WalletError> {
        let (status, body) = self
            .call(reqwest::Method::POST, "genericClass", class)
            .await?;
        if status != 409 {
            Self::ok("inserting the pass class", (status, body))?;
        }
        let (status, body) = self
            .call(reqwest::Method::POST, "genericObject", object)
            .await?;
        if status == 409 {
            let id = object["id"].as_str().unwrap_or_default();
            let path = format!("genericObject/{}", crate::tokens::urlencode(id));
            return Self::ok(
                "updating the pass object",
                self.call(reqwest::Method::PUT, &path, object).await?,
            );
        }
        Self::ok("inserting the pass object", (status, body))
    }

    /// Sets an object's state (`INACTIVE` to revoke, `EXPIRED`).
    pub async fn set_state(&self, object_id: &str, state: &str) -> Result<(), WalletError> {
        let path = format!("genericObject/{}", crate::tokens::urlencode(object_id));
        Self::ok(
            "changing the pass state",
            self.call(reqwest::Method::PATCH, &path, &json!({ "state": state }))
                .await?,
        )
    }
}

/// A Google `LocalizedString` of message `id`: English by default, and every other language we
/// have as a translated value (Google shows the one the phone speaks).
fn localized(id: &str) -> serde_json::Value {
    let translated: Vec<serde_json::Value> = crate::i18n::available()
        .into_iter()
        .filter(|lang| *lang != crate::i18n::SOURCE)
        .map(|lang| json!({"language": lang, "value": crate::i18n::t(lang, id, &[])}))
        .collect();
    json!({
        "defaultValue": {"language": "en", "value": crate::i18n::t("en", id, &[])},
        "translatedValues": translated,
    })
}
