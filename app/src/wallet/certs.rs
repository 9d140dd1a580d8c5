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
    std::fs::write(path, bytes).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    Ok(())
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

/// Loads and checks the Apple signing material: the key belongs to the certificate, and the
/// certificate's UID and OU are the configured pass type and team identifiers.
pub fn load_apple(
    cert: &Path,
    key: &Path,
    wwdr: &Path,
    pass_type_id: &str,
    team_id: &str,
    dev_root: Option<PathBuf>,
) -> Result<AppleSigningMaterial, WalletError> {
    let pass_cert = X509::from_pem(&read(cert)?)
        .map_err(|_| WalletError::Config(format!("{} is not a PEM certificate", cert.display())))?;
    let pass_key = PKey::private_key_from_pem(&read(key)?)
        .map_err(|_| WalletError::Config(format!("{} is not a PEM private key", key.display())))?;
    let wwdr = X509::from_pem(&read(wwdr)?)
        .map_err(|_| WalletError::Config(format!("{} is not a PEM certificate", wwdr.display())))?;
    if !pass_cert.public_key()?.public_eq(&pass_key) {
        return Err(WalletError::Config(format!(
            "the key in {} does not belong to the certificate in {}",
            key.display(),
            cert.display()
        )));
    }
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
    Ok(AppleSigningMaterial {
        pass_cert,
        pass_key,
        wwdr,
        dev_root,
    })
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
