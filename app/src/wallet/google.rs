//! Google Wallet: a "Save to Google Wallet" link carrying a JWT signed RS256 with the issuer's
//! service-account key, with a generic pass class and object in its payload.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::{PassContent, WalletError};

pub const SAVE_URL: &str = "https://pay.google.com/gp/v/save/";

pub struct GoogleWallet {
    pub issuer_id: String,
    pub service_account_email: String,
    key: EncodingKey,
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
        })
    }

    pub fn class_id(&self, c: &PassContent) -> String {
        format!("{}.{}", self.issuer_id, id_part(&c.operator_slug))
    }

    pub fn object_id(&self, c: &PassContent) -> String {
        format!("{}.{}", self.issuer_id, id_part(&c.serial))
    }

    pub fn claims(&self, c: &PassContent, origins: &[String], iat: i64) -> serde_json::Value {
        let text = |v: &str| json!({"defaultValue": {"language": "en", "value": v}});
        let mut modules =
            vec![json!({"id": "credential", "header": "Card", "body": c.credential_display()})];
        if let Some(site) = &c.site_name {
            modules.insert(0, json!({"id": "site", "header": "Site", "body": site}));
        }
        json!({
            "iss": self.service_account_email,
            "aud": "google",
            "typ": "savetowallet",
            "iat": iat,
            "origins": origins,
            "payload": {
                "genericClasses": [{"id": self.class_id(c)}],
                "genericObjects": [{
                    "id": self.object_id(c),
                    "classId": self.class_id(c),
                    "state": "ACTIVE",
                    "cardTitle": text(&c.operator_name),
                    "subheader": text("Member"),
                    "header": text(&c.member_name),
                    "hexBackgroundColor": c.brand_color,
                    "barcode": {"type": "QR_CODE", "value": c.barcode_message(), "alternateText": c.credential_display()},
                    "textModulesData": modules,
                }],
            },
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
