//! A policy bundle: the files of a directory (the user's `--policy DIR`, or
//! profile `policy`) or the default bundle embedded in the binary, and its
//! digest (PROTOCOL 7, last paragraph).
//!
//! Layout, as OPA bundles have it: `*.rego` modules; `data.json` files whose
//! content lands at their directory's path in `data` (the root `data.json` at
//! `data`); `*_test.rego` modules and the `fixtures/` directory are only for
//! `modelgate policy test`. Every other file only counts for the digest.
//! Entries whose name starts with `.` are skipped.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Files over this size are refused (a bundle is policy, not a data lake).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// Bundles with more files than this are refused.
pub const MAX_FILES: usize = 2_000;
/// The directory of test inputs, loaded only by `policy test`.
pub const FIXTURES_DIR: &str = "fixtures";
/// The data file a bundle must have at its root, even if it is `{}`.
pub const DATA_FILE: &str = "data.json";

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/policies/", $path)) as &[u8])),*]
    };
}

/// The default bundle, `assets/policies/` at build time. A test checks that
/// this list and the directory hold the same files.
pub const EMBEDDED: &[(&str, &[u8])] = embedded![
    "data.json",
    "fixtures/data.json",
    "modelgate.rego",
    "modelgate/broken_evidence.rego",
    "modelgate/broken_evidence_test.rego",
    "modelgate/drift.rego",
    "modelgate/drift_test.rego",
    "modelgate/fairness.rego",
    "modelgate/fairness_test.rego",
    "modelgate/lib.rego",
    "modelgate/regression.rego",
    "modelgate/regression_test.rego",
    "modelgate/required_evidence.rego",
    "modelgate/required_evidence_test.rego",
    "modelgate/schema.rego",
    "modelgate/schema_test.rego",
    "modelgate/security.rego",
    "modelgate/security_test.rego",
    "modelgate/settings.rego",
    "modelgate/settings_test.rego",
    "modelgate/testing_test.rego",
    "modelgate_test.rego",
];

/// Where a bundle came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Embedded,
    Dir(PathBuf),
}

/// One file: its path relative to the bundle root (`/`-separated) and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl BundleFile {
    pub fn is_rego(&self) -> bool {
        self.path.ends_with(".rego")
    }

    /// `*_test.rego`, or anything under `fixtures/`: only `policy test` loads these.
    pub fn is_test_only(&self) -> bool {
        self.path.ends_with("_test.rego")
            || self.path.starts_with(&format!("{FIXTURES_DIR}/"))
            || self.path.contains(&format!("/{FIXTURES_DIR}/"))
    }

    pub fn is_data(&self) -> bool {
        self.path == DATA_FILE || self.path.ends_with(&format!("/{DATA_FILE}"))
    }

    /// The directory components under which a data file's content lands.
    pub fn data_prefix(&self) -> Vec<&str> {
        let mut parts: Vec<&str> = self.path.split('/').collect();
        parts.pop();
        parts
    }
}

/// A bundle's files in name order (byte order of their relative paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub origin: Origin,
    pub files: Vec<BundleFile>,
}

/// Why a bundle directory cannot be read whole; each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("policy bundle {}: cannot read it: {cause}", dir.display())]
    Unreadable { dir: PathBuf, cause: std::io::Error },
    #[error(
        "policy bundle {}: not a directory (a bundle is a directory of .rego files and data.json)",
        .0.display()
    )]
    NotADirectory(PathBuf),
    #[error("policy bundle: cannot list {}: {cause}", dir.display())]
    Unlistable { dir: PathBuf, cause: std::io::Error },
    #[error("policy bundle: {} has a name that is not UTF-8", .0.display())]
    NameNotUtf8(PathBuf),
    #[error("policy bundle: cannot read {}: {cause}", path.display())]
    FileUnreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "policy bundle: {} is a symbolic link to a directory; copy it into the bundle instead",
        .0.display()
    )]
    LinkedDirectory(PathBuf),
    #[error(
        "policy bundle: {} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for a bundle file",
        path.display()
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error("policy bundle {}: more than {MAX_FILES} files", .0.display())]
    TooManyFiles(PathBuf),
    #[error("policy bundle: {} is outside the bundle", .0.display())]
    Outside(PathBuf),
}

impl Bundle {
    /// The default bundle compiled into the binary.
    pub fn embedded() -> Bundle {
        let mut files: Vec<BundleFile> = EMBEDDED
            .iter()
            .map(|(path, bytes)| BundleFile {
                path: (*path).to_owned(),
                bytes: bytes.to_vec(),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Bundle {
            origin: Origin::Embedded,
            files,
        }
    }

    /// The configured bundle: `dir`, or the embedded default without one.
    pub fn load(dir: Option<&Path>) -> Result<Bundle, BundleError> {
        match dir {
            Some(d) => Bundle::from_dir(d),
            None => Ok(Bundle::embedded()),
        }
    }

    /// Every file under `dir`, for the digest; refuses what it cannot read
    /// rather than leaving a file out.
    pub fn from_dir(dir: &Path) -> Result<Bundle, BundleError> {
        let meta = std::fs::metadata(dir).map_err(|cause| BundleError::Unreadable {
            dir: dir.to_owned(),
            cause,
        })?;
        if !meta.is_dir() {
            return Err(BundleError::NotADirectory(dir.to_owned()));
        }
        let mut files = Vec::new();
        walk(dir, dir, &mut files)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Bundle {
            origin: Origin::Dir(dir.to_path_buf()),
            files,
        })
    }

    /// `sha256:<hex>` over each file in name order: path, NUL, bytes, NUL.
    pub fn digest(&self) -> String {
        digest(
            self.files
                .iter()
                .map(|f| (f.path.as_str(), f.bytes.as_slice())),
        )
    }

    /// "the default bundle (embedded)" or the directory.
    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Embedded => "the default bundle (embedded)".to_owned(),
            Origin::Dir(d) => d.display().to_string(),
        }
    }

    /// A file's name as messages give it: `<dir>/<path>`, or the path in the
    /// embedded bundle.
    pub fn file_label(&self, path: &str) -> String {
        match &self.origin {
            Origin::Embedded => format!("assets/policies/{path}"),
            Origin::Dir(d) => d.join(path).display().to_string(),
        }
    }

    pub fn file(&self, path: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// The digest of PROTOCOL 7: SHA-256 of, for each file in name order, its
/// relative path, a NUL, its bytes, a NUL. `files` must already be in order.
pub fn digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut h = Sha256::new();
    for (path, bytes) in files {
        h.update(path.as_bytes());
        h.update([0u8]);
        h.update(bytes);
        h.update([0u8]);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<BundleFile>) -> Result<(), BundleError> {
    let unlistable = |cause| BundleError::Unlistable {
        dir: dir.to_owned(),
        cause,
    };
    let unreadable = |path: &Path| {
        let path = path.to_owned();
        move |cause| BundleError::FileUnreadable { path, cause }
    };
    for entry in std::fs::read_dir(dir).map_err(unlistable)? {
        let entry = entry.map_err(unlistable)?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(BundleError::NameNotUtf8(path));
        };
        if name.starts_with('.') {
            continue;
        }
        // Follows symlinks: a link to a file is that file.
        let meta = std::fs::metadata(&path).map_err(unreadable(&path))?;
        if meta.is_dir() {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                return Err(BundleError::LinkedDirectory(path));
            }
            walk(root, &path, files)?;
            continue;
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(BundleError::TooLarge {
                size: meta.len(),
                path,
            });
        }
        if files.len() >= MAX_FILES {
            return Err(BundleError::TooManyFiles(root.to_owned()));
        }
        let Ok(rel) = path.strip_prefix(root) else {
            return Err(BundleError::Outside(path));
        };
        let rel: Vec<&str> = rel
            .components()
            .map(|c| c.as_os_str().to_str().unwrap_or_default())
            .collect();
        let bytes = std::fs::read(&path).map_err(unreadable(&path))?;
        files.push(BundleFile {
            path: rel.join("/"),
            bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/policies")
    }

    #[test]
    fn embedded_bundle_is_the_assets_directory() {
        let dir = Bundle::from_dir(&assets()).unwrap();
        let emb = Bundle::embedded();
        let names = |b: &Bundle| b.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&dir),
            names(&emb),
            "assets/policies and bundle::EMBEDDED must list the same files"
        );
        assert_eq!(dir.files, emb.files);
        assert_eq!(dir.digest(), emb.digest());
    }

    #[test]
    fn digest_follows_the_protocol() {
        // sha256("a\0x\0b/c\0yz\0"), computed independently.
        let want = {
            let mut h = Sha256::new();
            h.update(b"a\x00x\x00b/c\x00yz\x00");
            format!("sha256:{}", hex::encode(h.finalize()))
        };
        assert_eq!(digest([("a", &b"x"[..]), ("b/c", &b"yz"[..])]), want);
        // Moving a byte from content to path changes the digest: the NULs separate them.
        assert_ne!(digest([("ax", &b""[..])]), digest([("a", &b"x"[..])]));
    }

    #[test]
    fn directory_files_are_sorted_by_relative_path_and_dotfiles_skipped() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::create_dir_all(dir.path().join("b")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join("b/z.rego"), "package z").unwrap();
        std::fs::write(dir.path().join("a.rego"), "package a").unwrap();
        std::fs::write(dir.path().join("data.json"), "{}").unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref").unwrap();
        std::fs::write(dir.path().join(".swp"), "x").unwrap();
        let b = Bundle::from_dir(dir.path()).unwrap();
        let names: Vec<&str> = b.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["a.rego", "b/z.rego", "data.json"]);
        let before = b.digest();
        std::fs::write(dir.path().join("b/z.rego"), "package z ").unwrap();
        assert_ne!(Bundle::from_dir(dir.path()).unwrap().digest(), before);
    }

    #[test]
    fn unreadable_bundles_are_named() {
        let dir = tempfile::TempDir::new().unwrap();
        let missing = dir.path().join("nope");
        let e = Bundle::from_dir(&missing).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("cannot read"), "{e}");
        let file = dir.path().join("f.rego");
        std::fs::write(&file, "package x").unwrap();
        let e = Bundle::from_dir(&file).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
    }

    #[test]
    fn test_only_files() {
        let f = |p: &str| BundleFile {
            path: p.into(),
            bytes: vec![],
        };
        assert!(f("modelgate/x_test.rego").is_test_only());
        assert!(f("fixtures/data.json").is_test_only());
        assert!(f("a/fixtures/data.json").is_test_only());
        assert!(!f("modelgate/x.rego").is_test_only());
        assert!(f("data.json").is_data() && f("a/b/data.json").is_data());
        assert!(!f("mydata.json").is_data());
        assert_eq!(f("a/b/data.json").data_prefix(), ["a", "b"]);
        assert!(f("data.json").data_prefix().is_empty());
    }
}
