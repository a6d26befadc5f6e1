//! Signing keys: Ed25519 in OpenSSH format, from a key file that only its owner
//! can read (as ssh insists), or made fresh.

use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};

use crate::secrets;

/// Why a signing key could not be made, read, kept or loaded; each message
/// names the key and what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot write the public key: {0}")]
    PublicLine(ssh_key::Error),
    #[error("no randomness from the operating system: {0}")]
    NoRandomness(getrandom::Error),
    #[error(
        "{what} is not an OpenSSH private key ({cause}); make one with `modelgate keys init` or `ssh-keygen -t ed25519`"
    )]
    NotOpenSsh { what: String, cause: ssh_key::Error },
    #[error(
        "{0} is encrypted with a passphrase, which modelgate cannot prompt for; use an unencrypted key kept with mode 0600, or the OS keyring (`modelgate keys init`)"
    )]
    Encrypted(String),
    #[error("{what} is a {algorithm} key; modelgate signs with Ed25519 only")]
    NotEd25519 { what: String, algorithm: Algorithm },
    #[error("cannot read the key file {}: {cause}", path.display())]
    Unreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "permissions {mode:04o} for the key file {} are too open: others could read it; run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("cannot encode the key: {0}")]
    Encode(ssh_key::Error),
    #[error("cannot create {}: {cause}", dir.display())]
    NoDirectory { dir: PathBuf, cause: std::io::Error },
    #[error(
        "{} already exists; modelgate never overwrites a key (choose another path)",
        .0.display()
    )]
    Exists(PathBuf),
    #[error("cannot create the key file {}: {cause}", path.display())]
    NotCreated {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot write {}: {cause}", path.display())]
    NotWritten {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "no OS keyring is usable here ({0}); pass --key-file PATH to keep the key in a file readable only by you"
    )]
    NoKeyring(String),
    #[error("the OS keyring already holds a signing key for {0}; modelgate never replaces one")]
    KeyringHolds(String),
    #[error("the OS keyring cannot be read: {0}")]
    KeyringUnreadable(String),
    #[error("the OS keyring refused the key: {0}")]
    KeyringRefused(String),
    #[error(
        "the OS keyring holds no signing key for {0}; run `modelgate keys init`, or pass --key-file PATH"
    )]
    NotInKeyring(String),
    #[error(
        "no signing key: pass --key-file PATH (or MODELGATE_KEY_FILE), or --identity ID to use the key `modelgate keys init` kept in the OS keyring"
    )]
    NoKey,
}

/// `SHA256:<base64>` of a key's public half, as records and ssh-keygen write it.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

/// The public key line for the roster, without a comment.
pub fn public_line(key: &PrivateKey) -> Result<String, KeyError> {
    let public = ssh_key::PublicKey::new(key.public_key().key_data().clone(), "");
    public
        .to_openssh()
        .map(|s| s.trim().to_owned())
        .map_err(KeyError::PublicLine)
}

/// A fresh Ed25519 key from the operating system's randomness.
pub fn generate() -> Result<PrivateKey, KeyError> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(KeyError::NoRandomness)?;
    Ok(PrivateKey::from(
        ssh_key::private::Ed25519Keypair::from_seed(&seed),
    ))
}

/// Parses an OpenSSH private key and checks it can sign records.
pub fn parse_private(what: &str, text: &str) -> Result<PrivateKey, KeyError> {
    let key =
        PrivateKey::from_openssh(text.trim_start()).map_err(|cause| KeyError::NotOpenSsh {
            what: what.to_owned(),
            cause,
        })?;
    if key.is_encrypted() {
        return Err(KeyError::Encrypted(what.to_owned()));
    }
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(KeyError::NotEd25519 {
            what: what.to_owned(),
            algorithm: key.algorithm(),
        });
    }
    Ok(key)
}

fn unreadable(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |cause| KeyError::Unreadable {
        path: path.to_owned(),
        cause,
    }
}

/// Refuses a key file that others can read or write, as ssh does.
#[cfg(unix)]
fn check_private_mode(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(unreadable(path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

/// Loads a private key file (`--key-file`, `MODELGATE_KEY_FILE`).
pub fn load_key_file(path: &Path) -> Result<PrivateKey, KeyError> {
    check_private_mode(path)?;
    let text = std::fs::read_to_string(path).map_err(unreadable(path))?;
    parse_private(&format!("the key file {}", path.display()), &text)
}

/// Writes a new key file readable only by its owner; never overwrites one.
pub fn write_key_file(path: &Path, key: &PrivateKey) -> Result<(), KeyError> {
    use std::io::Write;
    let text = key.to_openssh(LineEnding::LF).map_err(KeyError::Encode)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|cause| KeyError::NoDirectory {
            dir: dir.to_owned(),
            cause,
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|cause| match cause.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.to_owned()),
        _ => KeyError::NotCreated {
            path: path.to_owned(),
            cause,
        },
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|cause| KeyError::NotWritten {
            path: path.to_owned(),
            cause,
        })
}

/// The keyring account of an identity's signing key.
fn account(identity: &str) -> String {
    format!("signing-key:{identity}")
}

fn usable_keyring() -> Result<(), KeyError> {
    secrets::status().map_err(KeyError::NoKeyring)
}

/// Keeps a new key in the OS keyring; never replaces one that is there.
pub fn store_in_keyring(identity: &str, key: &PrivateKey) -> Result<(), KeyError> {
    usable_keyring()?;
    let account = account(identity);
    match secrets::get(&account) {
        Ok(Some(_)) => return Err(KeyError::KeyringHolds(identity.to_owned())),
        Ok(None) => {}
        Err(e) => return Err(KeyError::KeyringUnreadable(e)),
    }
    let text = key.to_openssh(LineEnding::LF).map_err(KeyError::Encode)?;
    secrets::set(&account, &text).map_err(KeyError::KeyringRefused)
}

/// An identity's signing key from the OS keyring.
pub fn load_from_keyring(identity: &str) -> Result<PrivateKey, KeyError> {
    usable_keyring()?;
    match secrets::get(&account(identity)) {
        Ok(Some(text)) => parse_private(&format!("the OS keyring's key for {identity}"), &text),
        Ok(None) => Err(KeyError::NotInKeyring(identity.to_owned())),
        Err(e) => Err(KeyError::KeyringUnreadable(e)),
    }
}

/// The signing key: the key file when one is named, else the identity's entry
/// in the OS keyring.
pub fn load_signing_key(
    identity: Option<&str>,
    key_file: Option<&Path>,
) -> Result<PrivateKey, KeyError> {
    match (key_file, identity) {
        (Some(path), _) => load_key_file(path),
        (None, Some(id)) => load_from_keyring(id),
        (None, None) => Err(KeyError::NoKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_a_private_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("keys/me");
        let key = generate().unwrap();
        write_key_file(&path, &key).unwrap();
        let back = load_key_file(&path).unwrap();
        assert_eq!(fingerprint(&back), fingerprint(&key));
        assert!(fingerprint(&key).starts_with("SHA256:"));
        assert!(public_line(&key).unwrap().starts_with("ssh-ed25519 AAAA"));
        let again = write_key_file(&path, &generate().unwrap())
            .unwrap_err()
            .to_string();
        assert!(again.contains("never overwrites"), "{again}");
        assert_ne!(
            fingerprint(&generate().unwrap()),
            fingerprint(&key),
            "fresh keys differ"
        );
    }

    #[cfg(unix)]
    #[test]
    fn open_key_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("me");
        write_key_file(&path, &generate().unwrap()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_key_file(&path).unwrap_err().to_string();
        assert!(e.contains("too open") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn without_a_keyring_the_message_says_what_to_do() {
        // This machine (and CI) has no secret service: the error must say so
        // and name the key-file alternative. Where a keyring exists, the key
        // is simply not there.
        let e = load_signing_key(Some("nobody-here@example.com"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--key-file") || e.contains("keys init"), "{e}");
        let e = load_signing_key(None, None).unwrap_err().to_string();
        assert!(e.contains("--key-file") && e.contains("--identity"), "{e}");
    }

    #[test]
    fn not_a_key() {
        let e = parse_private("k", "hello").unwrap_err().to_string();
        assert!(e.contains("not an OpenSSH private key"), "{e}");
    }
}
