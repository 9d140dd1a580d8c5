//! Apple Wallet: `pass.json`, images, `manifest.json` (SHA-1 of every file) and `signature`, a
//! detached DER PKCS#7 over the manifest's exact bytes, made by OpenSSL with the signing-time
//! attribute, the signer certificate and the WWDR intermediate; zipped with every file at the root.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Write as _};
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

/// The labels' translations, one `<lang>.lproj/pass.strings` per language we have: Wallet shows
/// the pass in the phone's language when it has one. The keys are the labels pass.json carries.
pub const LABELS: &[(&str, &str)] = &[
    ("MEMBER", "pass-member"),
    ("SITE", "pass-site"),
    ("CARD", "pass-card"),
    ("Access credential", "pass-credential"),
    ("Support", "pass-support"),
    ("Message", "pass-message"),
];

/// `(language, [(label, translation)])` for every language (`domain::i18n`).
fn strings() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    crate::i18n::available()
        .into_iter()
        .map(|lang| {
            let pairs = LABELS
                .iter()
                .map(|(label, id)| (*label, crate::i18n::t(lang, id, &[])))
                .collect();
            (lang, pairs)
        })
        .collect()
}

/// A `pass.strings` file: `"key" = "value";` lines, UTF-16 with a byte-order mark, as Apple
/// documents for strings files.
fn strings_file(pairs: &[(&str, String)]) -> Vec<u8> {
    let text: String = pairs
        .iter()
        .map(|(k, v)| {
            let v = v.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{k}\" = \"{v}\";\n")
        })
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(40);
    for b in openssl::sha::sha1(bytes) {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// The manifest: every file's name and SHA-1, in a stable order.
pub fn manifest(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let map: BTreeMap<&str, String> = files
        .iter()
        .map(|(k, v)| (k.as_str(), sha1_hex(v)))
        .collect();
    serde_json::to_vec_pretty(&map).unwrap_or_default()
}

/// PNGs are compressed already: storing them saves work and nothing else. The translations are
/// deflated, once, when the constant part is built.
fn entry_options(name: &str) -> zip::write::SimpleFileOptions {
    let method = if name.ends_with(".png") {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    zip::write::SimpleFileOptions::default().compression_method(method)
}

fn package(e: impl std::fmt::Display) -> WalletError {
    WalletError::Package(e.to_string())
}

/// The files every pass of one operator shares (the images, generated or uploaded, and the
/// translations) with their SHA-1s and their zip entries, made once and copied into each pass.
struct Constant {
    color: (u8, u8, u8),
    /// The operator's own images this was made from: a pass with other images makes a new one.
    images: Vec<(String, Vec<u8>)>,
    /// (file name, SHA-1) of every constant file, for the manifest.
    hashes: Vec<(String, String)>,
    /// A zip holding just the constant files, its entries copied as they are into each pass.
    zip: zip::ZipArchive<Cursor<Arc<[u8]>>>,
    zip_len: usize,
}

type ConstantCache = Mutex<HashMap<String, Arc<Constant>>>;

/// One constant part per operator (by slug), made again when its colour or images change.
fn constant_for(c: &PassContent) -> Result<Arc<Constant>, WalletError> {
    static CACHE: OnceLock<ConstantCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let color = rgb(&c.brand_color);
    if let Some(found) = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&c.operator_slug)
    {
        if found.color == color && found.images == c.images {
            return Ok(found.clone());
        }
    }
    let made = Arc::new(Constant::new(color, &c.images)?);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() > 1024 {
        cache.clear();
    }
    cache.insert(c.operator_slug.clone(), made.clone());
    Ok(made)
}

/// The constant files: the generated images (the operator's own take their place), the
/// operator's images at every scale, the translations.
fn constant_files(
    color: (u8, u8, u8),
    own: &[(String, Vec<u8>)],
) -> Result<BTreeMap<String, Vec<u8>>, WalletError> {
    let mut files = BTreeMap::new();
    for (name, bytes) in images_for(color)?.iter() {
        files.insert((*name).to_owned(), bytes.clone());
    }
    for (kind, png) in own {
        for scale in ["", "@2x", "@3x"] {
            files.insert(format!("{kind}{scale}.png"), png.clone());
        }
    }
    for (lang, pairs) in strings() {
        files.insert(format!("{lang}.lproj/pass.strings"), strings_file(&pairs));
    }
    Ok(files)
}

impl Constant {
    fn new(color: (u8, u8, u8), own: &[(String, Vec<u8>)]) -> Result<Self, WalletError> {
        let files = constant_files(color, own)?;
        let hashes = files
            .iter()
            .map(|(name, bytes)| (name.clone(), sha1_hex(bytes)))
            .collect();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in &files {
            zip.start_file(name.as_str(), entry_options(name))
                .map_err(package)?;
            zip.write_all(bytes).map_err(package)?;
        }
        let bytes: Arc<[u8]> = zip.finish().map_err(package)?.into_inner().into();
        let zip_len = bytes.len();
        Ok(Constant {
            color,
            images: own.to_vec(),
            hashes,
            zip: zip::ZipArchive::new(Cursor::new(bytes)).map_err(package)?,
            zip_len,
        })
    }
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
        // A new value with a changeMessage is a lock-screen notification when Wallet updates.
        if let Some(m) = &c.message {
            back.insert(
                0,
                json!({"key": "message", "label": "Message", "value": m.body, "changeMessage": "%@"}),
            );
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
        if let Some(l) = &c.location {
            pass["locations"] = json!([{
                "latitude": l.latitude,
                "longitude": l.longitude,
                "relevantText": l.relevant_text,
            }]);
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
        let mut files = constant_files(rgb(&c.brand_color), &c.images)?;
        files.insert("pass.json".to_owned(), self.pass_file(c)?);
        Ok(files)
    }

    fn pass_file(&self, c: &PassContent) -> Result<Vec<u8>, WalletError> {
        serde_json::to_vec_pretty(&self.pass_json(c)).map_err(package)
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

    /// The whole `.pkpass`: the operator's constant part, made once, then only pass.json, the
    /// manifest and the signature for each pass.
    pub fn pkpass(&self, c: &PassContent) -> Result<Vec<u8>, WalletError> {
        let constant = constant_for(c)?;
        let pass = self.pass_file(c)?;
        let pass_hash = sha1_hex(&pass);
        let mut hashes: BTreeMap<&str, &str> = constant
            .hashes
            .iter()
            .map(|(name, hash)| (name.as_str(), hash.as_str()))
            .collect();
        hashes.insert("pass.json", &pass_hash);
        let manifest = serde_json::to_vec_pretty(&hashes).map_err(package)?;
        let signature = self.sign(&manifest)?;

        // Every zip entry costs some 100 bytes of headers; the signature is a few KB.
        let size = constant.zip_len + pass.len() + manifest.len() + signature.len() + 1024;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(size)));
        zip.merge_archive(constant.zip.clone()).map_err(package)?;
        // These change with every pass and are a few KB: deflating them would cost more time
        // than the bytes it saves.
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in [
            ("pass.json", &pass),
            ("manifest.json", &manifest),
            ("signature", &signature),
        ] {
            zip.start_file(name, stored).map_err(package)?;
            zip.write_all(bytes).map_err(package)?;
        }
        Ok(zip.finish().map_err(package)?.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_files_are_utf16_with_a_byte_order_mark() {
        let bytes = strings_file(&[("CARD", "KARTE".to_owned())]);
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

    fn wallet(dir: &std::path::Path) -> AppleWallet {
        let (pass_type, team) = ("pass.test.elumo.pass", "ELUMOTEST1");
        let dev = super::super::certs::ensure_dev_apple_chain(dir, pass_type, team).unwrap();
        let material = super::super::certs::load_apple(
            super::super::certs::PassIdentity::Pem {
                cert: &dev.pass_cert,
                key: &dev.pass_key,
            },
            &dev.wwdr_cert,
            pass_type,
            team,
            None,
        )
        .unwrap();
        AppleWallet {
            pass_type_id: pass_type.into(),
            team_id: team.into(),
            material,
            nfc_public_key: None,
        }
    }

    fn content(color: &str, images: Vec<(String, Vec<u8>)>) -> PassContent {
        PassContent {
            serial: "S1".into(),
            operator_name: "Cache Test Workspace".into(),
            operator_slug: "cache-test-only".into(),
            brand_color: color.into(),
            member_name: "Ada Lovelace".into(),
            site_name: None,
            support: None,
            facility_code: 42,
            card_number: 1002,
            payload: "H10301:42:1002".into(),
            short_payload: "H10301:42:1002".into(),
            web_service: None,
            voided: false,
            expires_at: None,
            images,
            message: None,
            location: None,
        }
    }

    fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
        use std::io::Read as _;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut buf = Vec::new();
                f.read_to_end(&mut buf).unwrap();
                (f.name().unwrap().to_string(), buf)
            })
            .collect()
    }

    /// The files of a pass, after checking its manifest lists every other file with its SHA-1.
    fn checked(pkpass: &[u8]) -> BTreeMap<String, Vec<u8>> {
        let files = unzip(pkpass);
        let m: BTreeMap<String, String> = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(
            m.len(),
            files.len() - 2,
            "every file but manifest and signature"
        );
        for (name, hash) in &m {
            assert_eq!(hash, &sha1_hex(&files[name]), "{name}");
        }
        files
    }

    #[test]
    fn a_changed_logo_or_colour_is_in_the_next_pass_and_its_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let apple = wallet(dir.path());
        let first = images::logo(480, 150, (200, 0, 0)).unwrap();
        let second = images::logo(480, 150, (0, 200, 0)).unwrap();
        assert_ne!(first, second);

        let generated = checked(&apple.pkpass(&content("#1f4fd1", vec![])).unwrap());
        let with_first = checked(
            &apple
                .pkpass(&content("#1f4fd1", vec![("logo".into(), first.clone())]))
                .unwrap(),
        );
        assert_eq!(with_first["logo.png"], first);
        assert_eq!(with_first["logo@3x.png"], first);
        assert_ne!(with_first["logo.png"], generated["logo.png"]);

        // The same operator uploads another logo: the next pass carries it.
        let with_second = checked(
            &apple
                .pkpass(&content("#1f4fd1", vec![("logo".into(), second.clone())]))
                .unwrap(),
        );
        assert_eq!(with_second["logo@2x.png"], second);
        let m: serde_json::Value = serde_json::from_slice(&with_second["manifest.json"]).unwrap();
        assert_eq!(m["logo.png"], sha1_hex(&second).as_str());

        // It removes it and changes its colour: generated images in the new colour.
        let recoloured = checked(&apple.pkpass(&content("#00aa00", vec![])).unwrap());
        assert_eq!(
            recoloured["icon.png"],
            images::icon(29, (0, 0xaa, 0)).unwrap()
        );
        assert_ne!(recoloured["icon.png"], generated["icon.png"]);
        assert!(!recoloured.contains_key("logo@3x.png"));

        // And a pass is the same files, whether its constant part was just made or cached.
        let again = checked(&apple.pkpass(&content("#00aa00", vec![])).unwrap());
        let names = |f: &BTreeMap<String, Vec<u8>>| f.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&again), names(&recoloured));
        let mut expected = apple.files(&content("#00aa00", vec![])).unwrap();
        expected.extend([
            ("manifest.json".into(), vec![]),
            ("signature".into(), vec![]),
        ]);
        assert_eq!(names(&again), names(&expected));
    }
}
