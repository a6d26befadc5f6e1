//! Opening and creating a registry file: atomic creation under a temporary
//! name, the connection's settings.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::{fs, io};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::error::{Res, io_unavailable, map_sql_error};
use super::schema::{
    PURPOSE_KEY, apply_migrations, check_header, prepare_existing, read_header, read_meta,
    read_registry_id,
};
use super::{LocalRegistry, now_ms, random_hex};
use crate::registry::{RegistryError, Result};

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl LocalRegistry {
    /// Opens an existing registry, upgrading its schema when it is older.
    pub fn open(path: &Path) -> Result<Self> {
        let label = path.display().to_string();
        let header = read_header(path, &label)?;
        check_header(&header, &label)?;
        let mut conn = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| map_sql_error(&label, e))?;
        prepare_existing(&mut conn, &label)?;
        let registry_id = read_registry_id(&conn, &label)?;
        let purpose = read_meta(&conn, &label, PURPOSE_KEY)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            label,
            registry_id,
            purpose,
        })
    }

    /// Creates a new registry (and its parent directories); refuses an existing file.
    pub fn create(path: &Path) -> Result<Self> {
        Self::create_for(path, None)
    }

    /// `create`, with `purpose` written into the file's meta table at creation
    /// (the demo marks its registry so; `purpose` reads it back).
    pub fn create_for(path: &Path, purpose: Option<&str>) -> Result<Self> {
        match create_file(path, purpose)? {
            Created::New => Self::open(path),
            Created::Exists => Err(RegistryError::Conflict {
                what: format!(
                    "{} already exists and modelgate does not overwrite it; open it, or choose another path",
                    path.display()
                ),
            }),
        }
    }

    /// What the file was created for (`create_for`), `None` for a plain registry.
    pub fn purpose(&self) -> Option<&str> {
        self.purpose.as_deref()
    }

    /// Opens the registry at `path`, creating it when the file does not exist.
    pub fn open_or_create(path: &Path) -> Result<Self> {
        if path_exists(path)? {
            return Self::open(path);
        }
        // Whoever loses a creation race simply opens the winner's registry.
        create_file(path, None)?;
        Self::open(path)
    }
}

enum Created {
    New,
    Exists,
}

fn path_exists(path: &Path) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_unavailable(&path.display().to_string(), &e)),
    }
}

/// Builds a complete registry under a temporary name, then links it into place
/// (a hard link fails instead of overwriting, so a concurrent creator wins cleanly).
fn create_file(path: &Path, purpose: Option<&str>) -> Result<Created> {
    let label = path.display().to_string();
    if path_exists(path)? {
        return Ok(Created::Exists);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| io_unavailable(&dir.display().to_string(), &e))?;
    let temp = TempFile(dir.join(format!(
        ".{}.creating-{}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        random_hex(4)?
    )));
    initialise(&temp.0, &label, purpose)?;
    match fs::hard_link(&temp.0, path) {
        Ok(()) => Ok(Created::New),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(Created::Exists),
        // Some filesystems have no hard links: fall back to a checked rename.
        Err(_) if path_exists(path)? => Ok(Created::Exists),
        Err(_) => fs::rename(&temp.0, path)
            .map(|()| Created::New)
            .map_err(|e| io_unavailable(&label, &e)),
    }
}

/// Removes a temporary file (and any SQLite side files) when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = fs::remove_file(name);
        }
    }
}

/// Writes the schema and the registry id into a fresh file, then closes it so that
/// the WAL is checkpointed into the file before it is linked into place.
fn initialise(temp: &Path, label: &str, purpose: Option<&str>) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let mut conn = connect(temp, flags).map_err(|e| map_sql_error(label, e))?;
    let registry_id = format!("local:{}", random_hex(16)?);
    let result = (|| -> Res<()> {
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        apply_migrations(&tx, 0)?;
        let created_at = now_ms().to_string();
        let meta = [
            Some(("registry_id", registry_id.as_str())),
            Some(("created_at_ms", created_at.as_str())),
            Some((
                "created_by",
                concat!("modelgate ", env!("CARGO_PKG_VERSION")),
            )),
            purpose.map(|p| (PURPOSE_KEY, p)),
        ];
        for (key, value) in meta.into_iter().flatten() {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                [key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    })();
    result.map_err(|e| e.into_registry(label))?;
    conn.close().map_err(|(_, e)| map_sql_error(label, e))
}

fn connect(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    // The queue reads most of the file; with the default 2 MiB cache every later
    // load would fetch its pages from the kernel again. Memory is taken on use.
    conn.execute_batch("PRAGMA cache_size = -65536")?;
    // Reads straight from the kernel's page cache (SQLite maps the file
    // read-only) rather than copying each page into freshly zeroed memory:
    // statistics over a large registry spent a fifth of their time there.
    conn.execute_batch("PRAGMA mmap_size = 1073741824")?;
    Ok(conn)
}
