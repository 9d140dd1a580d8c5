//! Apple Wallet: `pass.json`, images, `manifest.json` (SHA-1 of every file) and `signature`, a
//! detached DER PKCS#7 over the manifest's exact bytes, made by OpenSSL with the signing-time
//! attribute, the signer certificate and the WWDR intermediate; zipped with every file at the root.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use serde_json::json;

use super::certs::AppleSigningMaterial;
use super::{images, rgb, PassContent, WalletError};

pub const CONTENT_TYPE: &str = "application/vnd.apple.pkpass";

pub struct AppleWallet {
    pub pass_type_id: String,
    pub team_id: String,
    pub material: AppleSigningMaterial,
    /// The NFC reader's public key (base64), for operators with Apple's NFC entitlement.
    pub nfc_public_key: Option<String>,
}

/// The labels' translations: Wallet shows the pass in the phone's language when it has one.
const STRINGS: &[(&str, &[(&str, &str)])] = &[
    (
        "en",
        &[
            ("MEMBER", "MEMBER"),
            ("SITE", "SITE"),
            ("CARD", "CARD"),
            ("Access credential", "Access credential"),
            ("Support", "Support"),
        ],
    ),
    (
        "de",
        &[
            ("MEMBER", "MITGLIED"),
            ("SITE", "STANDORT"),
            ("CARD", "KARTE"),
            ("Access credential", "Zugangsberechtigung"),
            ("Support", "Hilfe"),
        ],
    ),
    (
        "fr",
        &[
            ("MEMBER", "MEMBRE"),
            ("SITE", "SITE"),
            ("CARD", "CARTE"),
            ("Access credential", "Identifiant d’accès"),
            ("Support", "Assistance"),
        ],
    ),
];

/// A `pass.strings` file: `"key" = "value";` lines, UTF-16 with a byte-order mark, as Apple
/// documents for strings files.
fn strings_file(pairs: &[(&str, &str)]) -> Vec<u8> {
    let text: String = pairs
        .iter()
        .map(|(k, v)| format!("\"{k}\" = \"{v}\";\n"))
        .collect();
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

type Images = Arc<Vec<(&'static str, Vec<u8>)>>;
type ImageCache = Mutex<HashMap<(u8, u8, u8), Images>>;

/// The generated images depend only on the brand colour: made once per colour, then shared.
fn images_for(color: (u8, u8, u8)) -> Result<Images, WalletError> {
    static CACHE: OnceLock<ImageCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&color) {
        return Ok(found.clone());
    }
    let made: Images = Arc::new(vec![
        ("icon.png", images::icon(29, color)?),
        ("icon@2x.png", images::icon(58, color)?),
        ("icon@3x.png", images::icon(87, color)?),
        ("logo.png", images::logo(160, 50, color)?),
        ("logo@2x.png", images::logo(320, 100, color)?),
    ]);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() > 256 {
        cache.clear();
    }
    cache.insert(color, made.clone());
    Ok(made)
}

impl std::fmt::Debug for AppleWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppleWallet")
            .field("pass_type_id", &self.pass_type_id)
            .field("team_id", &self.team_id)
            .finish_non_exhaustive()
    }
}

/// Lowercase hex SHA-1, as manifest.json wants it.
pub fn sha1_hex(bytes: &[u8]) -> String {
    openssl::sha::sha1(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The manifest: every file's name and SHA-1, in a stable order.
pub fn manifest(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let map: BTreeMap<&str, String> = files
        .iter()
        .map(|(k, v)| (k.as_str(), sha1_hex(v)))
        .collect();
    serde_json::to_vec_pretty(&map).unwrap_or_default()
}

impl AppleWallet {
    pub fn pass_json(&self, c: &PassContent) -> serde_json::Value {
        let (r, g, b) = rgb(&c.brand_color);
        let mut back = vec![json!({
            "key": "credential-back", "label": "Access credential",
            "value": format!("Facility {} · card {}", c.facility_code, c.card_number),
        })];
        if let Some(support) = &c.support {
            back.push(json!({"key": "support", "label": "Support", "value": support}));
        }
        let mut pass = json!({
            "formatVersion": 1,
            "passTypeIdentifier": self.pass_type_id,
            "teamIdentifier": self.team_id,
            "serialNumber": c.serial,
            "organizationName": c.operator_name,
            "description": format!("{} access pass", c.operator_name),
            "logoText": c.operator_name,
            "foregroundColor": "rgb(255, 255, 255)",
            "labelColor": "rgb(225, 232, 255)",
            "backgroundColor": format!("rgb({r}, {g}, {b})"),
            "sharingProhibited": true,
            "barcodes": [{
                "format": "PKBarcodeFormatQR",
                "message": c.barcode_message(),
                "messageEncoding": "iso-8859-1",
                "altText": c.credential_display(),
            }],
        });
        // A strip image shows only on a store card; otherwise the pass is generic.
        let style = if c.images.iter().any(|(kind, _)| kind == "strip") {
            "storeCard"
        } else {
            "generic"
        };
        pass[style] = json!({
            "primaryFields": [{"key": "member", "label": "MEMBER", "value": c.member_name}],
            "secondaryFields": [{"key": "site", "label": "SITE", "value": c.site_name.clone().unwrap_or_else(|| c.operator_name.clone())}],
            "auxiliaryFields": [{"key": "credential", "label": "CARD", "value": c.credential_display()}],
            "backFields": back,
        });
        if let Some(ws) = &c.web_service {
            pass["webServiceURL"] = json!(ws.url);
            pass["authenticationToken"] = json!(ws.auth_token);
        }
        if c.voided {
            pass["voided"] = json!(true);
        }
        if let Some(key) = &self.nfc_public_key {
            pass["nfc"] = json!({"message": c.short_payload, "encryptionPublicKey": key});
        }
        if let Some(end) = c.expires_at.and_then(super::rfc3339) {
            pass["expirationDate"] = json!(end);
        }
        pass
    }

    /// Every file of the pass except the manifest and the signature.
    pub fn files(&self, c: &PassContent) -> Result<BTreeMap<String, Vec<u8>>, WalletError> {
        let color = rgb(&c.brand_color);
        let mut files = BTreeMap::new();
        let pass = serde_json::to_vec_pretty(&self.pass_json(c))
            .map_err(|e| WalletError::Package(e.to_string()))?;
        files.insert("pass.json".to_owned(), pass);
        for (name, bytes) in images_for(color)?.iter() {
            files.insert((*name).to_owned(), bytes.clone());
        }
        for (kind, png) in &c.images {
            for scale in ["", "@2x", "@3x"] {
                files.insert(format!("{kind}{scale}.png"), png.clone());
            }
        }
        for (lang, pairs) in STRINGS {
            files.insert(format!("{lang}.lproj/pass.strings"), strings_file(pairs));
        }
        Ok(files)
    }

    /// The detached DER PKCS#7 signature of `manifest`.
    pub fn sign(&self, manifest: &[u8]) -> Result<Vec<u8>, WalletError> {
        let mut chain = Stack::new()?;
        chain.push(self.material.wwdr.clone())?;
        let p7 = Pkcs7::sign(
            &self.material.pass_cert,
            &self.material.pass_key,
            &chain,
            manifest,
            Pkcs7Flags::BINARY | Pkcs7Flags::DETACHED,
        )?;
        Ok(p7.to_der()?)
    }

    /// The whole `.pkpass`.
    pub fn pkpass(&self, c: &PassContent) -> Result<Vec<u8>, WalletError> {
        let mut files = self.files(c)?;
        let manifest = manifest(&files);
        let signature = self.sign(&manifest)?;
        files.insert("manifest.json".to_owned(), manifest);
        files.insert("signature".to_owned(), signature);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        // PNGs are compressed already: storing them saves work and nothing else.
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in &files {
            let options = if name.ends_with(".png") {
                stored
            } else {
                deflated
            };
            zip.start_file(name.as_str(), options)
                .map_err(|e| WalletError::Package(e.to_string()))?;
            zip.write_all(bytes)
                .map_err(|e| WalletError::Package(e.to_string()))?;
        }
        let cursor = zip
            .finish()
            .map_err(|e| WalletError::Package(e.to_string()))?;
        Ok(cursor.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_files_are_utf16_with_a_byte_order_mark() {
        let bytes = strings_file(&[("CARD", "KARTE")]);
        assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(
            String::from_utf16(&units).unwrap(),
            "\"CARD\" = \"KARTE\";\n"
        );
    }

    #[test]
    fn manifest_lists_every_file_with_its_sha1() {
        let mut files = BTreeMap::new();
        files.insert("pass.json".to_owned(), b"{}".to_vec());
        files.insert("icon.png".to_owned(), b"abc".to_vec());
        let m: serde_json::Value = serde_json::from_slice(&manifest(&files)).unwrap();
        assert_eq!(m["icon.png"], "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(m["pass.json"], "bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f");
        assert_eq!(m.as_object().unwrap().len(), 2);
    }
}
