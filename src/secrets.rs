//! modelgate's entries in the OS keyring (secret service, Keychain, Credential
//! Manager): MLflow tokens kept by `login` and signing keys kept by `keys
//! init`. One place talks to the keyring crate; callers add what their
//! messages need. Every call blocks: async callers run it off the runtime.

use zeroize::Zeroizing;

/// The service name of every modelgate entry.
pub const SERVICE: &str = "modelgate";

/// Whether a keyring store is usable here; why not, in words.
pub fn status() -> Result<(), String> {
    keyring::Entry::store_status()
        .as_ref()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn entry(account: &str) -> Result<keyring::Entry, String> {
    status()?;
    keyring::Entry::new(SERVICE, account).map_err(|e| e.to_string())
}

/// The secret kept for `account`; `None` when there is none.
pub fn get(account: &str) -> Result<Option<Zeroizing<String>>, String> {
    match entry(account)?.get_password() {
        Ok(secret) => Ok(Some(Zeroizing::new(secret))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Keeps `secret` for `account`, replacing what was there.
pub fn set(account: &str, secret: &str) -> Result<(), String> {
    entry(account)?
        .set_password(secret)
        .map_err(|e| e.to_string())
}
