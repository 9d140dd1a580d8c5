//! Signing material. Production points at real files (Apple's Pass Type ID certificate, its
//! key and the WWDR G4 intermediate; Google's service-account key). Locally, the first start
//! generates a development chain under `<data>/certs`: a root CA, a "WWDR" intermediate and a
//! pass certificate whose UID and OU match the configured identifiers, so passes are really
//! signed and verifiable, though no iPhone will trust them.

use std::path::{Path, PathBuf};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509Name, X509NameBuilder, X509};

use super::WalletError;

pub struct AppleSigningMaterial {
    pub pass_cert: X509,
    pub pass_key: PKey<Private>,
    pub wwdr: X509,
    /// Where the development root lives (tests verify against it); `None` in production.
    pub dev_root: Option<PathBuf>,
    /// The WWDR intermediate's generation (its OU): G4 is what Apple signs with today.
    pub wwdr_generation: String,
    /// What the operator should act on soon (an expiry within 30 days, a WWDR generation).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for AppleSigningMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppleSigningMaterial { key: <redacted> }")
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WalletError + '_ {
    move |source| WalletError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, WalletError> {
    std::fs::read(path).map_err(io(path))
}

fn name(entries: &[(Nid, &str)]) -> Result<X509Name, WalletError> {
    let mut b = X509NameBuilder::new()?;
    for (nid, value) in entries {
        b.append_entry_by_nid(*nid, value)?;
    }
    Ok(b.build())
}

fn new_key() -> Result<PKey<Private>, WalletError> {
    Ok(PKey::from_rsa(Rsa::generate(2048)?)?)
}

fn certificate(
    subject: &X509Name,
    issuer: &X509Name,
    key: &PKey<Private>,
    signer: &PKey<Private>,
    ca: bool,
    serial: u32,
) -> Result<X509, WalletError> {
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = BigNum::from_u32(serial)?;
    let serial = Asn1Integer::from_bn(&serial)?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(subject)?;
    b.set_issuer_name(issuer)?;
    b.set_pubkey(key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(if ca { 3650 } else { 825 })?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()?,
        )?;
    } else {
        b.append_extension(BasicConstraints::new().critical().build()?)?;
        b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    }
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(signer, MessageDigest::sha256())?;
    Ok(b.build())
}

/// Paths of the development chain inside `dir`.
pub struct DevPaths {
    pub root_cert: PathBuf,
    pub wwdr_cert: PathBuf,
    pub pass_cert: PathBuf,
    pub pass_key: PathBuf,
    pub google_key: PathBuf,
}

pub fn dev_paths(data_dir: &Path) -> DevPaths {
    let d = data_dir.join("certs");
    DevPaths {
        root_cert: d.join("dev-root-ca.pem"),
        wwdr_cert: d.join("dev-wwdr.pem"),
        pass_cert: d.join("dev-pass-cert.pem"),
        pass_key: d.join("dev-pass-key.pem"),
        google_key: d.join("dev-google-service-account-key.pem"),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), WalletError> {
    crate::private_file::write(path, bytes).map_err(io(path))
}

/// Creates the development Apple chain in `data_dir/certs` unless it is already there with a
/// pass certificate for these identifiers.
pub fn ensure_dev_apple_chain(
    data_dir: &Path,
    pass_type_id: &str,
    team_id: &str,
) -> Result<DevPaths, WalletError> {
    let p = dev_paths(data_dir);
    if p.pass_cert.exists() && p.pass_key.exists() && p.wwdr_cert.exists() && p.root_cert.exists() {
        let cert = X509::from_pem(&read(&p.pass_cert)?)?;
        if subject_entry(&cert, Nid::USERID).as_deref() == Some(pass_type_id)
            && subject_entry(&cert, Nid::ORGANIZATIONALUNITNAME).as_deref() == Some(team_id)
        {
            return Ok(p);
        }
    }
    let dir = p
        .root_cert
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let org = "elumo pass development";
    let root_key = new_key()?;
    let root_name = name(&[
        (Nid::COMMONNAME, "elumo pass Development Root CA"),
        (Nid::ORGANIZATIONNAME, org),
    ])?;
    let root = certificate(&root_name, &root_name, &root_key, &root_key, true, 1)?;
    let wwdr_key = new_key()?;
    let wwdr_name = name(&[
        (
            Nid::COMMONNAME,
            "Apple WWDR Certification Authority (development stand-in)",
        ),
        (Nid::ORGANIZATIONALUNITNAME, "G4"),
        (Nid::ORGANIZATIONNAME, org),
    ])?;
    let wwdr = certificate(&wwdr_name, &root_name, &wwdr_key, &root_key, true, 2)?;
    let pass_key = new_key()?;
    let pass_name = name(&[
        (Nid::USERID, pass_type_id),
        (Nid::COMMONNAME, &format!("Pass Type ID: {pass_type_id}")),
        (Nid::ORGANIZATIONALUNITNAME, team_id),
        (Nid::ORGANIZATIONNAME, org),
    ])?;
    let pass = certificate(&pass_name, &wwdr_name, &pass_key, &wwdr_key, false, 3)?;
    std::fs::write(&p.root_cert, root.to_pem()?).map_err(io(&p.root_cert))?;
    std::fs::write(&p.wwdr_cert, wwdr.to_pem()?).map_err(io(&p.wwdr_cert))?;
    std::fs::write(&p.pass_cert, pass.to_pem()?).map_err(io(&p.pass_cert))?;
    write_private(&p.pass_key, &pass_key.private_key_to_pem_pkcs8()?)?;
    tracing::info!(dir = %dir.display(), "generated a development Apple Wallet signing chain");
    Ok(p)
}

pub fn subject_entry(cert: &X509, nid: Nid) -> Option<String> {
    cert.subject_name()
        .entries_by_nid(nid)
        .next()
        .and_then(|e| e.data().to_string().ok())
}

/// Where the Pass Type ID certificate and its key come from.
#[derive(Debug, Clone, Copy)]
pub enum PassIdentity<'a> {
    /// PEM files (`openssl pkcs12 -in Certificates.p12 -nodes` gives both).
    Pem { cert: &'a Path, key: &'a Path },
    /// A PKCS#12 bundle as Keychain exports it, with its password.
    Pkcs12 { bundle: &'a Path, password: &'a str },
}

/// OpenSSL 3 reads the RC2-40 encryption of Keychain exports only through its legacy provider;
/// loaded once, beside the default provider, and kept for the life of the process.
fn legacy_provider_loaded() -> bool {
    static LEGACY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *LEGACY.get_or_init(
        || match openssl::provider::Provider::try_load(None, "legacy", true) {
            Ok(provider) => {
                std::mem::forget(provider);
                true
            }
            Err(_) => false,
        },
    )
}

fn open_pkcs12(bundle: &Path, password: &str) -> Result<(X509, PKey<Private>), WalletError> {
    let der = read(bundle)?;
    let p12 = openssl::pkcs12::Pkcs12::from_der(&der).map_err(|_| {
        WalletError::Config(format!(
            "{} is not a PKCS#12 (.p12) bundle",
            bundle.display()
        ))
    })?;
    let parsed = match p12.parse2(password) {
        Ok(parsed) => parsed,
        Err(first) => {
            let legacy = legacy_provider_loaded();
            match (legacy, p12.parse2(password)) {
                (true, Ok(parsed)) => parsed,
                (_, Err(err)) if err.to_string().contains("mac verify failure") || first.to_string().contains("mac verify failure") => {
                    return Err(WalletError::Config(format!(
                        "the password for {} is wrong (ELUMO_APPLE_P12_PASSWORD)",
                        bundle.display()
                    )))
                }
                (false, _) => {
                    return Err(WalletError::Config(format!(
                        "{} uses the legacy RC2 encryption of Keychain exports, which this OpenSSL cannot read \
                         (its legacy provider is missing). Convert it once: \
                         openssl pkcs12 -legacy -in {0} -nodes -out pass.pem, then point ELUMO_APPLE_CERT and \
                         ELUMO_APPLE_KEY at pass.pem",
                        bundle.display()
                    )))
                }
                (true, Err(err)) => {
                    return Err(WalletError::Config(format!(
                        "could not open {}: {err}",
                        bundle.display()
                    )))
                }
            }
        }
    };
    match (parsed.cert, parsed.pkey) {
        (Some(cert), Some(key)) => Ok((cert, key)),
        _ => Err(WalletError::Config(format!(
            "{} must hold the Pass Type ID certificate and its private key",
            bundle.display()
        ))),
    }
}

/// Loads and checks the Apple signing material: the key belongs to the certificate; the
/// certificate's UID and OU are the configured pass type and team identifiers; it is valid now
/// (a warning 30 days before it expires) and was issued by the WWDR intermediate given, whose
/// generation should be G4. Keys and passwords never reach an error or a log.
pub fn load_apple(
    identity: PassIdentity<'_>,
    wwdr: &Path,
    pass_type_id: &str,
    team_id: &str,
    dev_root: Option<PathBuf>,
) -> Result<AppleSigningMaterial, WalletError> {
    let (pass_cert, pass_key, cert_name) = match identity {
        PassIdentity::Pem { cert, key } => {
            let pass_cert = X509::from_pem(&read(cert)?).map_err(|_| {
                WalletError::Config(format!("{} is not a PEM certificate", cert.display()))
            })?;
            let pass_key = PKey::private_key_from_pem(&read(key)?).map_err(|_| {
                WalletError::Config(format!("{} is not a PEM private key", key.display()))
            })?;
            if !pass_cert.public_key()?.public_eq(&pass_key) {
                return Err(WalletError::Config(format!(
                    "the key in {} does not belong to the certificate in {}",
                    key.display(),
                    cert.display()
                )));
            }
            (pass_cert, pass_key, cert.display().to_string())
        }
        PassIdentity::Pkcs12 { bundle, password } => {
            let (pass_cert, pass_key) = open_pkcs12(bundle, password)?;
            if !pass_cert.public_key()?.public_eq(&pass_key) {
                return Err(WalletError::Config(format!(
                    "the key in {} does not belong to its certificate",
                    bundle.display()
                )));
            }
            (pass_cert, pass_key, bundle.display().to_string())
        }
    };
    let wwdr_bytes = read(wwdr)?;
    let wwdr_cert = X509::from_pem(&wwdr_bytes)
        .or_else(|_| X509::from_der(&wwdr_bytes))
        .map_err(|_| WalletError::Config(format!("{} is not a certificate", wwdr.display())))?;
    let uid = subject_entry(&pass_cert, Nid::USERID).unwrap_or_default();
    if uid != pass_type_id {
        return Err(WalletError::Config(format!(
            "the certificate is for pass type {uid:?}, but ELUMO_APPLE_PASS_TYPE_ID is {pass_type_id:?}"
        )));
    }
    let ou = subject_entry(&pass_cert, Nid::ORGANIZATIONALUNITNAME).unwrap_or_default();
    if ou != team_id {
        return Err(WalletError::Config(format!(
            "the certificate is for team {ou:?}, but ELUMO_APPLE_TEAM_ID is {team_id:?}"
        )));
    }
    let now = Asn1Time::days_from_now(0)?;
    let to_start = now.diff(pass_cert.not_before())?;
    if to_start.days > 0 || (to_start.days == 0 && to_start.secs > 0) {
        return Err(WalletError::Config(format!(
            "the certificate in {cert_name} is not valid until {}",
            pass_cert.not_before()
        )));
    }
    let to_end = now.diff(pass_cert.not_after())?;
    let left = to_end.days;
    if left < 0 || (left == 0 && to_end.secs < 0) {
        return Err(WalletError::Config(format!(
            "the certificate in {cert_name} expired on {}; renew it in Apple's developer account",
            pass_cert.not_after()
        )));
    }
    let mut warnings = Vec::new();
    if left < 30 {
        warnings.push(format!(
            "the Pass Type ID certificate expires in {left} day(s), on {}; renew it in Apple's developer account",
            pass_cert.not_after()
        ));
    }
    if !pass_cert.verify(&*wwdr_cert.public_key()?).unwrap_or(false) {
        return Err(WalletError::Config(format!(
            "the certificate in {cert_name} was not issued by the WWDR intermediate in {} (its issuer is {:?})",
            wwdr.display(),
            subject_text(pass_cert.issuer_name())
        )));
    }
    let generation = wwdr_cert
        .subject_name()
        .entries_by_nid(Nid::ORGANIZATIONALUNITNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .unwrap_or_else(|| "unknown".into());
    if generation != "G4" {
        warnings.push(format!(
            "the WWDR intermediate is generation {generation}; Apple signs Pass Type ID certificates under G4, \
             so passes may not open on every iPhone"
        ));
    }
    Ok(AppleSigningMaterial {
        pass_cert,
        pass_key,
        wwdr: wwdr_cert,
        dev_root,
        wwdr_generation: generation,
        warnings,
    })
}

fn subject_text(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .filter_map(|e| e.data().to_string().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Google service-account key: the configured file, or a development key generated once.
pub fn google_key(configured: Option<&Path>, data_dir: &Path) -> Result<Vec<u8>, WalletError> {
    if let Some(path) = configured {
        return read(path);
    }
    let p = dev_paths(data_dir).google_key;
    if p.exists() {
        return read(&p);
    }
    let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let pem = Rsa::generate(2048)?.private_key_to_pem()?;
    write_private(&p, &pem)?;
    tracing::info!(path = %p.display(), "generated a development Google Wallet service-account key");
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chain {
        dir: tempfile::TempDir,
        wwdr_key: PKey<Private>,
        wwdr_name: X509Name,
    }

    const PASS_TYPE: &str = "pass.com.example.access";
    const TEAM: &str = "ABCDE12345";

    fn chain(generation: &str) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let root_key = new_key().unwrap();
        let root_name = name(&[(Nid::COMMONNAME, "Test Root")]).unwrap();
        let wwdr_key = new_key().unwrap();
        let wwdr_name = name(&[
            (
                Nid::COMMONNAME,
                "Apple Worldwide Developer Relations Certification Authority",
            ),
            (Nid::ORGANIZATIONALUNITNAME, generation),
        ])
        .unwrap();
        let wwdr = certificate(&wwdr_name, &root_name, &wwdr_key, &root_key, true, 2).unwrap();
        std::fs::write(dir.path().join("wwdr.pem"), wwdr.to_pem().unwrap()).unwrap();
        Chain {
            dir,
            wwdr_key,
            wwdr_name,
        }
    }

    impl Chain {
        fn path(&self, f: &str) -> PathBuf {
            self.dir.path().join(f)
        }

        /// A pass certificate valid from `from` to `to` (days from now), written as PEM.
        fn pass(&self, uid: &str, ou: &str, from: i64, to: i64) -> (PathBuf, PathBuf) {
            let key = new_key().unwrap();
            let subject = name(&[
                (Nid::USERID, uid),
                (Nid::COMMONNAME, "Pass Type ID"),
                (Nid::ORGANIZATIONALUNITNAME, ou),
            ])
            .unwrap();
            let mut b = X509::builder().unwrap();
            b.set_version(2).unwrap();
            b.set_subject_name(&subject).unwrap();
            b.set_issuer_name(&self.wwdr_name).unwrap();
            b.set_pubkey(&key).unwrap();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            b.set_not_before(&Asn1Time::from_unix(now + from * 86_400).unwrap())
                .unwrap();
            b.set_not_after(&Asn1Time::from_unix(now + to * 86_400).unwrap())
                .unwrap();
            b.sign(&self.wwdr_key, MessageDigest::sha256()).unwrap();
            let cert = b.build();
            let (c, k) = (self.path("pass.pem"), self.path("pass-key.pem"));
            std::fs::write(&c, cert.to_pem().unwrap()).unwrap();
            std::fs::write(&k, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
            (c, k)
        }

        fn load(&self, cert: &Path, key: &Path) -> Result<AppleSigningMaterial, String> {
            load_apple(
                PassIdentity::Pem { cert, key },
                &self.path("wwdr.pem"),
                PASS_TYPE,
                TEAM,
                None,
            )
            .map_err(|e| e.to_string())
        }

        fn load_p12(&self, bundle: &Path, password: &str) -> Result<AppleSigningMaterial, String> {
            load_apple(
                PassIdentity::Pkcs12 { bundle, password },
                &self.path("wwdr.pem"),
                PASS_TYPE,
                TEAM,
                None,
            )
            .map_err(|e| e.to_string())
        }
    }

    #[test]
    fn pem_loads_and_every_mistake_is_a_clear_sentence() {
        let c = chain("G4");
        let (cert, key) = c.pass(PASS_TYPE, TEAM, -1, 365);
        let m = c.load(&cert, &key).unwrap();
        assert_eq!(m.wwdr_generation, "G4");
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);

        let other_key = c.path("other-key.pem");
        std::fs::write(
            &other_key,
            new_key().unwrap().private_key_to_pem_pkcs8().unwrap(),
        )
        .unwrap();
        let err = c.load(&cert, &other_key).err().unwrap();
        assert!(err.contains("does not belong to the certificate"), "{err}");
        assert!(!err.contains("PRIVATE KEY"), "no key material in errors");

        let (cert, key) = c.pass("pass.com.other", TEAM, -1, 365);
        let err = c.load(&cert, &key).err().unwrap();
        assert_eq!(
            err,
            "the certificate is for pass type \"pass.com.other\", but ELUMO_APPLE_PASS_TYPE_ID is \"pass.com.example.access\""
        );
        let (cert, key) = c.pass(PASS_TYPE, "ZZZZZ99999", -1, 365);
        let err = c.load(&cert, &key).err().unwrap();
        assert!(
            err.starts_with("the certificate is for team \"ZZZZZ99999\""),
            "{err}"
        );

        let (cert, key) = c.pass(PASS_TYPE, TEAM, -400, -2);
        let err = c.load(&cert, &key).err().unwrap();
        assert!(
            err.contains("expired on") && err.contains("renew it"),
            "{err}"
        );

        let (cert, key) = c.pass(PASS_TYPE, TEAM, -300, 10);
        let m = c.load(&cert, &key).unwrap();
        assert!(
            m.warnings[0].contains("expires in 9 day(s)")
                || m.warnings[0].contains("expires in 10 day(s)"),
            "{:?}",
            m.warnings
        );

        let err = c.load(&c.path("missing.pem"), &key).err().unwrap();
        assert!(err.contains("missing.pem"), "{err}");
    }

    #[test]
    fn another_wwdr_is_refused_and_an_old_generation_is_a_warning() {
        let c = chain("G3");
        let (cert, key) = c.pass(PASS_TYPE, TEAM, -1, 365);
        let m = c.load(&cert, &key).unwrap();
        assert!(
            m.warnings.iter().any(|w| w.contains("generation G3")),
            "{:?}",
            m.warnings
        );

        let stranger = chain("G4");
        std::fs::copy(stranger.path("wwdr.pem"), c.path("wwdr.pem")).unwrap();
        let err = c.load(&cert, &key).err().unwrap();
        assert!(
            err.contains("was not issued by the WWDR intermediate"),
            "{err}"
        );
    }

    #[test]
    fn pkcs12_bundles_load_modern_and_legacy_and_a_wrong_password_says_so() {
        let c = chain("G4");
        let (cert_path, key_path) = c.pass(PASS_TYPE, TEAM, -1, 365);
        let cert = X509::from_pem(&std::fs::read(&cert_path).unwrap()).unwrap();
        let key = PKey::private_key_from_pem(&std::fs::read(&key_path).unwrap()).unwrap();
        let modern = openssl::pkcs12::Pkcs12::builder()
            .name("Pass Type ID")
            .pkey(&key)
            .cert(&cert)
            .build2("s3cret")
            .unwrap();
        let bundle = c.path("modern.p12");
        std::fs::write(&bundle, modern.to_der().unwrap()).unwrap();
        let m = c.load_p12(&bundle, "s3cret").unwrap();
        assert_eq!(
            subject_entry(&m.pass_cert, Nid::USERID).as_deref(),
            Some(PASS_TYPE)
        );
        let err = c.load_p12(&bundle, "wrong").err().unwrap();
        assert!(
            err.contains("password") && err.contains("is wrong"),
            "{err}"
        );
        assert!(!err.contains("s3cret"));

        // What Keychain exports: RC2-40 and 3DES, made by the openssl tool's -legacy switch.
        let legacy = c.path("legacy.p12");
        let made = std::process::Command::new("openssl")
            .args([
                "pkcs12",
                "-export",
                "-legacy",
                "-passout",
                "pass:s3cret",
                "-in",
            ])
            .arg(&cert_path)
            .arg("-inkey")
            .arg(&key_path)
            .arg("-out")
            .arg(&legacy)
            .status()
            .expect("the openssl command-line tool");
        assert!(made.success());
        let m = c.load_p12(&legacy, "s3cret").unwrap();
        assert_eq!(
            subject_entry(&m.pass_cert, Nid::ORGANIZATIONALUNITNAME).as_deref(),
            Some(TEAM)
        );

        std::fs::write(c.path("junk.p12"), b"not a bundle").unwrap();
        let err = c.load_p12(&c.path("junk.p12"), "x").err().unwrap();
        assert!(
            err.ends_with("junk.p12 is not a PKCS#12 (.p12) bundle"),
            "{err}"
        );
    }
}
