//! Files only the server's own user may read: signing keys and the demo admin's password. They
//! are created 0600 (never readable for a moment in between) in a folder created 0700.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to `path`, replacing what was there, readable by the owner alone.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // The mode above applies only to a new file; one that was already there is narrowed too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn new_and_existing_files_end_up_private() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("certs").join("key.pem");
        super::write(&key, b"one").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(key.parent().unwrap()), 0o700);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::write(&key, b"two").unwrap();
        assert_eq!(
            (mode(&key), std::fs::read(&key).unwrap()),
            (0o600, b"two".to_vec())
        );
    }
}
