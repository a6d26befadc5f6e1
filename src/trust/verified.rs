//! Records whose cryptography has been checked: canonical form, content
//! hash and signature are pure functions of the tag key, the tag value and
//! the signer's public key (named by its fingerprint), so once one of these
//! triples has passed, it passes again. The roster's part of a check (the
//! actor, the key's window, the role) depends on the roster of the day and
//! is never remembered.
//!
//! The memo lives for the process (`modelgate serve` reads the same records
//! every minute) and, through [`load`] and [`save`], in a file of the user's
//! cache between processes: 32 bytes an entry, after a header. The file is
//! as trusted as the roster and configuration in the same home; whoever can
//! write one can write the others. `audit verify` never loads it.

use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;
use std::sync::{LazyLock, Mutex};

const MAGIC: &[u8] = b"modelgate verified records v1\n";
const DOMAIN: &[u8] = b"modelgate verified record v1";
/// Past this many entries a save keeps only those this process used: the
/// file stays bounded (32 MiB) however many registries a user reads.
const CAP: usize = 1 << 20;

pub type Entry = [u8; 32];

/// What passed: the process's memo is [`MEMO`]; tests make their own.
#[derive(Default)]
pub struct Memo {
    known: HashSet<Entry>,
    /// Checked or relied on by this process: what a save past `CAP` keeps.
    used: HashSet<Entry>,
    /// Something was learnt since the last save.
    grown: bool,
}

impl Memo {
    pub fn known(&mut self, e: &Entry) -> bool {
        let hit = self.known.contains(e);
        if hit {
            self.used.insert(*e);
        }
        hit
    }

    pub fn remember(&mut self, e: Entry) {
        if self.known.insert(e) {
            self.used.insert(e);
            self.grown = true;
        }
    }

    /// Adds the entries of `bytes`, a cache file's content.
    fn add_file(&mut self, bytes: &[u8]) -> Option<usize> {
        let entries = parse(bytes)?;
        let n = entries.len();
        self.known.extend(entries);
        Some(n)
    }

    /// The file to write when something was learnt since the last save
    /// (`None` otherwise); the memo counts as saved from then on.
    fn take_file(&mut self) -> Option<Vec<u8>> {
        if !self.grown {
            return None;
        }
        self.grown = false;
        let keep = if self.known.len() > CAP {
            &self.used
        } else {
            &self.known
        };
        Some(file_of(keep.iter()))
    }
}

/// The process's memo.
static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(Default::default);

fn with_memo<T>(f: impl FnOnce(&mut Memo) -> T) -> Option<T> {
    MEMO.lock().ok().map(|mut m| f(&mut m))
}

/// The entry for a record found under `tag_key` with `tag_value`, signed
/// (as it says) by the key with `fingerprint`.
pub fn entry(tag_key: &str, tag_value: &str, fingerprint: &str) -> Entry {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    for part in [tag_key, tag_value, fingerprint] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// Whether `e` passed before, in this process or one whose file was loaded.
pub fn known(e: &Entry) -> bool {
    with_memo(|m| m.known(e)).unwrap_or(false)
}

/// Remembers that `e` passed.
pub fn remember(e: Entry) {
    with_memo(|m| m.remember(e));
}

/// Forgets everything remembered (benchmarks of the full checks).
pub fn forget() {
    with_memo(|m| *m = Memo::default());
}

/// Adds the entries of the file at `path` (none yet is fine); returns how
/// many it held.
pub fn load(path: &Path) -> Result<usize, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    with_memo(|m| m.add_file(&bytes))
        .flatten()
        .ok_or_else(|| {
            format!(
                "{} is not a verification cache of this modelgate (delete it: it is rebuilt as records are checked)",
                path.display()
            )
        })
}

/// The bytes of a cache file holding `entries`.
pub fn file_of<'a>(entries: impl ExactSizeIterator<Item = &'a Entry>) -> Vec<u8> {
    let mut body = Vec::with_capacity(MAGIC.len() + 32 * entries.len());
    body.extend_from_slice(MAGIC);
    for e in entries {
        body.extend_from_slice(e);
    }
    body
}

fn parse(bytes: &[u8]) -> Option<Vec<Entry>> {
    let body = bytes.strip_prefix(MAGIC)?;
    let chunks = body.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks.map(|c| c.try_into().ok()).collect()
}

/// Writes what is known to `path` (a temporary file renamed over it, so a
/// reader never sees half a file) when something was learnt since the last
/// save; returns whether it wrote. Two processes saving at once lose at
/// most each other's new entries, which are then checked again.
pub fn save(path: &Path) -> Result<bool, String> {
    let Some(body) = with_memo(Memo::take_file).flatten() else {
        return Ok(false);
    };
    let written = write(path, &body);
    if written.is_err() {
        // Still unsaved: the next save tries again.
        with_memo(|m| m.grown = true);
    }
    written.map(|()| true)
}

fn write(path: &Path, body: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    crate::files::write_atomically(path, body)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_binds_key_value_and_fingerprint_apart() {
        let e = entry("k", "v", "f");
        assert_ne!(e, entry("k", "v", "g"));
        assert_ne!(e, entry("kv", "", "f"));
        assert_ne!(e, entry("k", "vf", ""));
    }

    #[test]
    fn a_memo_writes_what_it_learnt_once_and_reads_it_back() {
        let e = entry("saved", "and loaded", "back");
        let mut m = Memo::default();
        assert!(!m.known(&e));
        assert!(m.take_file().is_none(), "nothing learnt, nothing to write");
        m.remember(e);
        assert!(m.known(&e));
        let file = m.take_file().expect("something learnt");
        assert!(m.take_file().is_none(), "written once");
        let mut other = Memo::default();
        assert_eq!(other.add_file(&file), Some(1));
        assert!(other.known(&e));
        assert!(!other.known(&entry("saved", "and loaded", "elsewhere")));
        assert!(other.take_file().is_none(), "loading teaches nothing new");
    }

    #[test]
    fn past_the_cap_a_file_keeps_only_what_this_process_used() {
        let mut m = Memo::default();
        m.known.extend((0..=CAP as u32).map(|i| {
            let mut e = [0u8; 32];
            e[..4].copy_from_slice(&i.to_le_bytes());
            e
        }));
        let fresh = entry("used", "here", "now");
        m.remember(fresh);
        let file = m.take_file().unwrap();
        assert_eq!(parse(&file), Some(vec![fresh]));
    }

    #[test]
    fn a_cache_file_is_saved_loaded_and_refused_when_damaged() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub").join("verified");
        assert_eq!(load(&path), Ok(0), "no file yet");
        let e = entry("a process", "that saved", "its entries");
        remember(e);
        assert_eq!(save(&path), Ok(true));
        assert!(parse(&std::fs::read(&path).unwrap()).unwrap().contains(&e));
        let other = entry("from", "another", "process");
        std::fs::write(&path, file_of([other].iter())).unwrap();
        assert_eq!(load(&path), Ok(1));
        assert!(known(&other));
        for bad in [&b"not a cache"[..], &[MAGIC, &[0u8; 31][..]].concat()] {
            std::fs::write(&path, bad).unwrap();
            let err = load(&path).unwrap_err();
            assert!(err.contains("not a verification cache"), "{err}");
        }
        // A place that cannot take the file says so, and keeps it to save.
        remember(entry("still", "to be", "saved"));
        let blocked = d.path().join("a file").join("verified");
        std::fs::write(d.path().join("a file"), "").unwrap();
        assert!(save(&blocked).unwrap_err().contains("cannot create"));
        assert_eq!(save(&path), Ok(true));
    }
}
