//! Signing keys: Ed25519 in OpenSSH format, from a key file that only its owner
//! can read (as ssh insists), or made fresh.

use std::path::Path;

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};

use crate::secrets;

/// `SHA256:<base64>` of a key's public half, as records and ssh-keygen write it.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

/// The public key line for the roster, without a comment.
pub fn public_line(key: &PrivateKey) -> Result<String, String> {
    let public = ssh_key::PublicKey::new(key.public_key().key_data().clone(), "");
    public
        .to_openssh()
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("cannot write the public key: {e}"))
}

/// A fresh Ed25519 key from the operating system's randomness.
pub fn generate() -> Result<PrivateKey, String> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut())
        .map_err(|e| format!("no randomness from the operating system: {e}"))?;
    Ok(PrivateKey::from(
        ssh_key::private::Ed25519Keypair::from_seed(&seed),
    ))
}

/// Parses an OpenSSH private key and checks it can sign records.
pub fn parse_private(what: &str, text: &str) -> Result<PrivateKey, String> {
    let key = PrivateKey::from_openssh(text.trim_start())
        .map_err(|e| format!("{what} is not an OpenSSH private key ({e}); make one with `modelgate keys init` or `ssh-keygen -t ed25519`"))?;
    if key.is_encrypted() {
        return Err(format!(
            "{what} is encrypted with a passphrase, which modelgate cannot prompt for; use an unencrypted key kept with mode 0600, or the OS keyring (`modelgate keys init`)"
        ));
    }
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(format!(
            "{what} is a {} key; modelgate signs with Ed25519 only",
            key.algorithm()
        ));
    }
    Ok(key)
}

/// Refuses a key file that others can read or write, as ssh does.
#[cfg(unix)]
fn check_private_mode(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "permissions {mode:04o} for the key file {} are too open: others could read it; run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// Loads a private key file (`--key-file`, `MODELGATE_KEY_FILE`).
pub fn load_key_file(path: &Path) -> Result<PrivateKey, String> {
    check_private_mode(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
    parse_private(&format!("the key file {}", path.display()), &text)
}

/// Writes a new key file readable only by its owner; never overwrites one.
pub fn write_key_file(path: &Path, key: &PrivateKey) -> Result<(), String> {
    use std::io::Write;
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| format!("cannot encode the key: {e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!(
                "{} already exists; modelgate never overwrites a key (choose another path)",
                path.display()
            )
        }
        _ => format!("cannot create the key file {}: {e}", path.display()),
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The keyring account of an identity's signing key.
fn account(identity: &str) -> String {
    format!("signing-key:{identity}")
}

fn usable_keyring() -> Result<(), String> {
    secrets::status().map_err(|e| {
        format!("no OS keyring is usable here ({e}); pass --key-file PATH to keep the key in a file readable only by you")
    })
}

/// Keeps a new key in the OS keyring; never replaces one that is there.
pub fn store_in_keyring(identity: &str, key: &PrivateKey) -> Result<(), String> {
    usable_keyring()?;
    let account = account(identity);
    match secrets::get(&account) {
        Ok(Some(_)) => {
            return Err(format!(
                "the OS keyring already holds a signing key for {identity}; modelgate never replaces one"
            ));
        }
        Ok(None) => {}
        Err(e) => return Err(format!("the OS keyring cannot be read: {e}")),
    }
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| format!("cannot encode the key: {e}"))?;
    secrets::set(&account, &text).map_err(|e| format!("the OS keyring refused the key: {e}"))
}

/// An identity's signing key from the OS keyring.
pub fn load_from_keyring(identity: &str) -> Result<PrivateKey, String> {
    usable_keyring()?;
    match secrets::get(&account(identity)) {
        Ok(Some(text)) => parse_private(&format!("the OS keyring's key for {identity}"), &text),
        Ok(None) => Err(format!(
            "the OS keyring holds no signing key for {identity}; run `modelgate keys init`, or pass --key-file PATH"
        )),
        Err(e) => Err(format!("the OS keyring cannot be read: {e}")),
    }
}

/// The signing key: the key file when one is named, else the identity's entry
/// in the OS keyring.
pub fn load_signing_key(
    identity: Option<&str>,
    key_file: Option<&Path>,
) -> Result<PrivateKey, String> {
    match (key_file, identity) {
        (Some(path), _) => load_key_file(path),
        (None, Some(id)) => load_from_keyring(id),
        (None, None) => Err(
            "no signing key: pass --key-file PATH (or MODELGATE_KEY_FILE), or --identity ID to use the key `modelgate keys init` kept in the OS keyring".into(),
        ),
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
        let again = write_key_file(&path, &generate().unwrap()).unwrap_err();
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
        let e = load_key_file(&path).unwrap_err();
        assert!(e.contains("too open") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn without_a_keyring_the_message_says_what_to_do() {
        // This machine (and CI) has no secret service: the error must say so
        // and name the key-file alternative. Where a keyring exists, the key
        // is simply not there.
        let e = load_signing_key(Some("nobody-here@example.com"), None).unwrap_err();
        assert!(e.contains("--key-file") || e.contains("keys init"), "{e}");
        let e = load_signing_key(None, None).unwrap_err();
        assert!(e.contains("--key-file") && e.contains("--identity"), "{e}");
    }

    #[test]
    fn not_a_key() {
        let e = parse_private("k", "hello").unwrap_err();
        assert!(e.contains("not an OpenSSH private key"), "{e}");
    }
}
