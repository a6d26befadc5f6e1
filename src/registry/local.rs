//! Embedded SQLite registry: one file holds models, versions, runs, metrics and
//! artifacts, so modelgate works without an MLflow server.
//!
//! Rules for the file:
//! - nothing is written before the file is known to be a modelgate registry of a
//!   schema this build understands; the first check reads the raw header without
//!   SQLite, so a foreign file never gets a journal, a WAL or a lock;
//! - creation is atomic: the registry is built under a temporary name and linked
//!   into place, so no reader ever sees a half-initialised file;
//! - every write is one IMMEDIATE transaction and the connection waits
//!   `BUSY_TIMEOUT` for a lock, so several processes can share the file.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use rusqlite::ffi::ErrorCode;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, ToSql, Transaction, TransactionBehavior, params,
    params_from_iter,
};

use super::{
    FileInfo, Metric, ModelVersion, RegisteredModel, Registry, RegistryError, RegistryWriter,
    Result, Run, Tags,
};

/// `PRAGMA application_id` of every modelgate registry (ASCII "MGAT").
pub const APPLICATION_ID: i32 = 0x4D47_4154;

/// Forward migrations; migration `n` (1-based) brings `user_version` from n-1 to n.
const MIGRATIONS: &[&str] = &[MIGRATION_1];

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Tag values up to this many characters are in the search index (migration 1).
const SEARCH_INDEX_MAX_CHARS: usize = 100;

/// `IN (...)` lists are cut into chunks of this many ids.
const IN_CHUNK: usize = 500;

/// MLflow's limits (PROTOCOL 1), counted in characters as MLflow does.
const MAX_KEY_CHARS: usize = 250;
const MAX_VERSION_TAG_VALUE_CHARS: usize = 100_000;
const MAX_MODEL_TAG_VALUE_CHARS: usize = 5_000;
const MAX_RUN_TAG_VALUE_CHARS: usize = 8_000;
const MAX_PARAM_VALUE_CHARS: usize = 6_000;
const MAX_ALIAS_CHARS: usize = 255;
const MAX_MODEL_NAME_CHARS: usize = 256;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;
const HINT_CREATE: &str = "run `modelgate demo` or `modelgate register` to create a registry";

const MIGRATION_1: &str = r#"
PRAGMA application_id = 1296515412;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE registered_models (
    model_id           INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    description        TEXT,
    creation_timestamp INTEGER NOT NULL
);

CREATE TABLE model_tags (
    model_id INTEGER NOT NULL REFERENCES registered_models (model_id),
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
) WITHOUT ROWID;

CREATE TABLE model_versions (
    version_id         INTEGER PRIMARY KEY,
    model_id           INTEGER NOT NULL REFERENCES registered_models (model_id),
    version            INTEGER NOT NULL CHECK (version > 0),
    creation_timestamp INTEGER NOT NULL,
    source             TEXT NOT NULL,
    run_id             TEXT,
    description        TEXT,
    UNIQUE (model_id, version)
);

CREATE TABLE version_tags (
    version_id INTEGER NOT NULL REFERENCES model_versions (version_id),
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (version_id, key)
) WITHOUT ROWID;
-- The queue searches versions by one short tag value (`modelgate.review`).
-- Long values (records, evidence) stay out of the index: they are never searched
-- and would double the file. Keep 100 in step with `SEARCH_INDEX_MAX_CHARS`.
CREATE INDEX version_tags_search ON version_tags (key, value) WHERE length(value) <= 100;

CREATE TABLE aliases (
    model_id   INTEGER NOT NULL REFERENCES registered_models (model_id),
    alias      TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES model_versions (version_id),
    PRIMARY KEY (model_id, alias)
) WITHOUT ROWID;

CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    creation_time INTEGER NOT NULL
);

CREATE TABLE runs (
    run_pk        INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL UNIQUE,
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
    start_time    INTEGER NOT NULL,
    artifact_uri  TEXT NOT NULL
);

CREATE TABLE run_tags (
    run_pk INTEGER NOT NULL REFERENCES runs (run_pk),
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;

CREATE TABLE run_params (
    run_pk INTEGER NOT NULL REFERENCES runs (run_pk),
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;

-- Values are the bits of the f64 (`f64::to_bits`): SQLite reads a REAL NaN back
-- as NULL, while the bits round-trip NaN, the infinities and -0.0 exactly.
CREATE TABLE metrics (
    run_pk     INTEGER NOT NULL REFERENCES runs (run_pk),
    key        TEXT NOT NULL,
    step       INTEGER NOT NULL,
    timestamp  INTEGER NOT NULL,
    value_bits INTEGER NOT NULL,
    PRIMARY KEY (run_pk, key, step, timestamp, value_bits)
) WITHOUT ROWID;

-- The latest value of each metric, maintained on every write, so that loading
-- many runs never scans metric histories.
CREATE TABLE latest_metrics (
    run_pk     INTEGER NOT NULL REFERENCES runs (run_pk),
    key        TEXT NOT NULL,
    step       INTEGER NOT NULL,
    timestamp  INTEGER NOT NULL,
    value_bits INTEGER NOT NULL,
    PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;

CREATE TABLE artifacts (
    artifact_id INTEGER PRIMARY KEY,
    run_pk      INTEGER NOT NULL REFERENCES runs (run_pk),
    path        TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    UNIQUE (run_pk, path)
);
"#;

/// The embedded registry: one SQLite file, one connection per handle.
#[derive(Clone)]
pub struct LocalRegistry {
    conn: Arc<Mutex<Connection>>,
    label: String,
    registry_id: String,
}

impl std::fmt::Debug for LocalRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalRegistry")
            .field("path", &self.label)
            .field("registry_id", &self.registry_id)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Opening and creating
// ---------------------------------------------------------------------------

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
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            label,
            registry_id,
        })
    }

    /// Creates a new registry (and its parent directories); refuses an existing file.
    pub fn create(path: &Path) -> Result<Self> {
        match create_file(path)? {
            Created::New => Self::open(path),
            Created::Exists => Err(RegistryError::Conflict {
                what: format!(
                    "{} already exists and modelgate does not overwrite it; open it, or choose another path",
                    path.display()
                ),
            }),
        }
    }

    /// Opens the registry at `path`, creating it when the file does not exist.
    pub fn open_or_create(path: &Path) -> Result<Self> {
        if path_exists(path)? {
            return Self::open(path);
        }
        // Whoever loses a creation race simply opens the winner's registry.
        create_file(path)?;
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
fn create_file(path: &Path) -> Result<Created> {
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
    initialise(&temp.0, &label)?;
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
fn initialise(temp: &Path, label: &str) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let mut conn = connect(temp, flags).map_err(|e| map_sql_error(label, e))?;
    let registry_id = format!("local:{}", random_hex(16)?);
    let result = (|| -> Res<()> {
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        apply_migrations(&tx, 0)?;
        let meta = [
            ("registry_id", registry_id.as_str()),
            ("created_at_ms", &now_ms().to_string()),
            (
                "created_by",
                concat!("modelgate ", env!("CARGO_PKG_VERSION")),
            ),
        ];
        for (key, value) in meta {
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
    Ok(conn)
}

/// The first 100 bytes of the file, read without SQLite (no lock, no side file).
fn read_header(path: &Path, label: &str) -> Result<Vec<u8>> {
    let file = fs::File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => RegistryError::MissingFile {
            path: label.to_owned(),
        },
        _ => io_unavailable(label, &e),
    })?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    file.take(HEADER_LEN as u64)
        .read_to_end(&mut header)
        .map_err(|e| io_unavailable(label, &e))?;
    Ok(header)
}

fn check_header(header: &[u8], label: &str) -> Result<()> {
    if header.is_empty() {
        return Err(corrupt(
            label,
            format!(
                "empty file, not a modelgate registry; remove it or choose another path, then {HINT_CREATE}"
            ),
        ));
    }
    if header.len() < HEADER_LEN || !header.starts_with(SQLITE_MAGIC) {
        return Err(corrupt(
            label,
            format!(
                "not a SQLite database, so not a modelgate registry; modelgate left it untouched; choose another path, or {HINT_CREATE}"
            ),
        ));
    }
    check_identity(be_i32(header, 68), be_i32(header, 60), label)
}

/// Refuses a foreign SQLite database or a schema newer than this build.
fn check_identity(application_id: i32, user_version: i32, label: &str) -> Result<()> {
    if application_id != APPLICATION_ID {
        return Err(corrupt(
            label,
            format!(
                "a SQLite database that is not a modelgate registry (application_id {application_id:#x}, expected {APPLICATION_ID:#x}); modelgate left it untouched; choose another path"
            ),
        ));
    }
    if user_version > SCHEMA_VERSION {
        return Err(corrupt(
            label,
            format!(
                "created by a newer modelgate (schema version {user_version}, this build knows up to {SCHEMA_VERSION}); upgrade modelgate to open it"
            ),
        ));
    }
    if user_version < 1 {
        return Err(corrupt(
            label,
            format!(
                "a modelgate registry without a schema version ({user_version}); restore it from a backup"
            ),
        ));
    }
    Ok(())
}

fn be_i32(bytes: &[u8], at: usize) -> i32 {
    let mut word = [0u8; 4];
    if let Some(slice) = bytes.get(at..at + 4) {
        word.copy_from_slice(slice);
    }
    i32::from_be_bytes(word)
}

/// Checks identity and version again through SQLite (a WAL may hold a newer
/// header than the file), switches to WAL and applies pending migrations.
fn prepare_existing(conn: &mut Connection, label: &str) -> Result<()> {
    let result = (|| -> Res<()> {
        let (app_id, version) = identity(conn)?;
        check_identity(app_id, version, label)?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        }
        if version < SCHEMA_VERSION {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have migrated while we waited for the lock.
            let (_, current) = identity(&tx)?;
            check_identity(app_id, current, label)?;
            apply_migrations(&tx, current)?;
            tx.commit()?;
        }
        Ok(())
    })();
    result.map_err(|e| e.into_registry(label))
}

fn identity(conn: &Connection) -> Res<(i32, i32)> {
    let app_id = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((app_id, version))
}

fn apply_migrations(tx: &Transaction<'_>, from: i32) -> Res<()> {
    let start = usize::try_from(from).unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(start) {
        tx.execute_batch(sql)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    Ok(())
}

fn read_registry_id(conn: &Connection, label: &str) -> Result<String> {
    let id: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'registry_id'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| map_sql_error(label, e))?;
    id.filter(|id| !id.is_empty()).ok_or_else(|| {
        corrupt(
            label,
            "a modelgate registry without a registry id in its meta table; restore it from a backup",
        )
    })
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

type Res<T> = std::result::Result<T, Fail>;

/// An error inside a blocking section; SQLite errors get the file path attached
/// when they leave it.
#[derive(Debug)]
enum Fail {
    Sql(rusqlite::Error),
    Registry(RegistryError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<RegistryError> for Fail {
    fn from(e: RegistryError) -> Self {
        Self::Registry(e)
    }
}

impl Fail {
    fn into_registry(self, label: &str) -> RegistryError {
        match self {
            Self::Sql(e) => map_sql_error(label, e),
            Self::Registry(e) => e,
        }
    }
}

fn map_sql_error(label: &str, err: rusqlite::Error) -> RegistryError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => RegistryError::Unavailable {
            message: format!("the registry file {label} is locked by another process; retry"),
        },
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => corrupt(
            label,
            format!(
                "the file is damaged or not a SQLite database ({err}); restore it from a backup"
            ),
        ),
        Some(ErrorCode::TooBig) => RegistryError::InvalidRequest {
            message: format!("a value is larger than SQLite can store ({err})"),
        },
        Some(ErrorCode::ConstraintViolation) => RegistryError::Conflict {
            what: format!("the registry {label} refused a conflicting write ({err})"),
        },
        Some(
            ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied
            | ErrorCode::ReadOnly
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::OutOfMemory,
        ) => RegistryError::Unavailable {
            message: format!("cannot use the registry file {label}: {err}"),
        },
        // Missing tables, wrong column types and the like: not a file this build can read.
        _ => corrupt(
            label,
            format!(
                "unexpected content ({err}); the file may be damaged, restore it from a backup"
            ),
        ),
    }
}

fn corrupt(label: &str, message: impl Into<String>) -> RegistryError {
    RegistryError::CorruptStore {
        path: label.to_owned(),
        message: message.into(),
    }
}

fn io_unavailable(label: &str, err: &io::Error) -> RegistryError {
    RegistryError::Unavailable {
        message: format!("cannot use the registry file {label}: {err}"),
    }
}

fn invalid<E: From<RegistryError>>(message: impl Into<String>) -> E {
    RegistryError::InvalidRequest {
        message: message.into(),
    }
    .into()
}

fn not_found<E: From<RegistryError>>(what: impl Into<String>) -> E {
    RegistryError::not_found(what).into()
}

// ---------------------------------------------------------------------------
// Blocking sections
// ---------------------------------------------------------------------------

impl LocalRegistry {
    /// Runs `f` in one read transaction, so all its queries see one snapshot.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Res<T> + Send + 'static,
    {
        self.blocking(move |conn| {
            let tx = conn.transaction()?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` in one IMMEDIATE transaction: the write lock is taken up front, so
    /// a concurrent writer makes us wait (busy timeout) instead of failing mid-way.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Res<T> + Send + 'static,
    {
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Res<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let label = self.label.clone();
        let task = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| RegistryError::Unavailable {
                message: format!(
                    "the connection to {label} is unusable after an internal error; restart modelgate"
                ),
            })?;
            f(&mut guard).map_err(|e| e.into_registry(&label))
        });
        task.await.map_err(|e| RegistryError::Unavailable {
            message: format!("a registry task on {} failed: {e}", self.label),
        })?
    }
}

// ---------------------------------------------------------------------------
// Trait implementations
// ---------------------------------------------------------------------------

#[async_trait]
impl Registry for LocalRegistry {
    fn registry_id(&self) -> &str {
        &self.registry_id
    }

    fn describe(&self) -> String {
        self.label.clone()
    }

    async fn list_registered_models(&self) -> Result<Vec<RegisteredModel>> {
        self.read(|c| load_models(c, "1", &[])).await
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let name = name.to_owned();
        self.read(move |c| {
            load_models(c, "m.name = ?1", &[&name])?
                .pop()
                .ok_or_else(|| not_found(format!("registered model {name}")))
        })
        .await
    }

    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let name = name.to_owned();
        self.read(move |c| {
            model_id(c, &name)?;
            load_versions(c, "m.name = ?1", &[&name])
        })
        .await
    }

    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>> {
        let (key, value) = (key.to_owned(), value.to_owned());
        // The partial index serves only queries that repeat its condition.
        let indexed = match value.chars().count() <= SEARCH_INDEX_MAX_CHARS {
            true => format!("AND length(value) <= {SEARCH_INDEX_MAX_CHARS}"),
            false => String::new(),
        };
        let filter = format!(
            "v.version_id IN (SELECT version_id FROM version_tags \
             WHERE key = ?1 AND value = ?2 {indexed})"
        );
        self.read(move |c| load_versions(c, &filter, &[&key, &value]))
            .await
    }

    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        let (name, version) = (name.to_owned(), version.to_owned());
        self.read(move |c| {
            let number = parse_version(&version)?;
            load_versions(c, "m.name = ?1 AND v.version = ?2", &[&name, &number])?
                .pop()
                .ok_or_else(|| not_found(format!("model version {name}/{version}")))
        })
        .await
    }

    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>> {
        let ids = run_ids.to_vec();
        self.read(move |c| load_runs(c, &ids)).await
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        let (run_id, key) = (run_id.to_owned(), key.to_owned());
        self.read(move |c| metric_history(c, run_pk(c, &run_id)?, &key))
            .await
    }

    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>> {
        let (run_id, path) = (run_id.to_owned(), path.to_owned());
        self.read(move |c| {
            let dir = check_dir_path(&path)?;
            list_files(c, run_pk(c, &run_id)?, dir)
        })
        .await
    }

    async fn read_run_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let (run_id, path) = (run_id.to_owned(), path.to_owned());
        self.read(move |c| {
            super::check_artifact_path(&path)?;
            let what = || format!("artifact {path} of run {run_id}");
            read_file(c, run_pk(c, &run_id)?, &path, max_bytes, what)
        })
        .await
    }

    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>> {
        let (name, version) = (name.to_owned(), version.to_owned());
        self.read(move |c| {
            let (run, dir) = model_dir(c, &name, &version)?;
            list_files(c, run, &dir)
        })
        .await
    }

    async fn read_model_file(
        &self,
        name: &str,
        version: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>> {
        let (name, version, path) = (name.to_owned(), version.to_owned(), path.to_owned());
        self.read(move |c| {
            super::check_artifact_path(&path)?;
            let (run, dir) = model_dir(c, &name, &version)?;
            let full = join_path(&dir, &path);
            let what = || format!("file {path} of model version {name}/{version}");
            read_file(c, run, &full, max_bytes, what)
        })
        .await
    }

    async fn set_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        check_key("tag", key)?;
        check_value("tag", key, value, MAX_VERSION_TAG_VALUE_CHARS)?;
        let (name, version) = (name.to_owned(), version.to_owned());
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| {
            let id = version_id(c, &name, &version)?;
            upsert_pair(c, "version_tags", "version_id", id, &key, &value)
        })
        .await
    }

    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
        check_key("tag", key)?;
        let (name, version, key) = (name.to_owned(), version.to_owned(), key.to_owned());
        self.write(move |c| {
            let id = version_id(c, &name, &version)?;
            let sql = "DELETE FROM version_tags WHERE version_id = ?1 AND key = ?2";
            if c.execute(sql, params![id, key])? == 0 {
                return Err(not_found(format!(
                    "tag {key} of model version {name}/{version}"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        check_key("tag", key)?;
        check_value("tag", key, value, MAX_MODEL_TAG_VALUE_CHARS)?;
        let (name, key, value) = (name.to_owned(), key.to_owned(), value.to_owned());
        self.write(move |c| {
            let id = model_id(c, &name)?;
            upsert_pair(c, "model_tags", "model_id", id, &key, &value)
        })
        .await
    }

    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()> {
        check_key("tag", key)?;
        let (name, key) = (name.to_owned(), key.to_owned());
        self.write(move |c| {
            let id = model_id(c, &name)?;
            let sql = "DELETE FROM model_tags WHERE model_id = ?1 AND key = ?2";
            if c.execute(sql, params![id, key])? == 0 {
                return Err(not_found(format!("tag {key} of registered model {name}")));
            }
            Ok(())
        })
        .await
    }

    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        check_alias(alias)?;
        let (name, alias, version) = (name.to_owned(), alias.to_owned(), version.to_owned());
        self.write(move |c| {
            let model = model_id(c, &name)?;
            let version = version_id(c, &name, &version)?;
            c.execute(
                "INSERT INTO aliases (model_id, alias, version_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (model_id, alias) DO UPDATE SET version_id = excluded.version_id",
                params![model, alias, version],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        check_alias(alias)?;
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.write(move |c| {
            let model = model_id(c, &name)?;
            let sql = "DELETE FROM aliases WHERE model_id = ?1 AND alias = ?2";
            if c.execute(sql, params![model, alias])? == 0 {
                return Err(not_found(format!(
                    "alias {alias} of registered model {name}"
                )));
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl RegistryWriter for LocalRegistry {
    async fn ensure_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<()> {
        check_model_name(name)?;
        check_tags(tags, MAX_MODEL_TAG_VALUE_CHARS)?;
        let (name, description, tags) = (
            name.to_owned(),
            description.map(str::to_owned),
            tags.clone(),
        );
        self.write(move |c| {
            c.execute(
                "INSERT INTO registered_models (name, description, creation_timestamp) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (name) \
                 DO UPDATE SET description = coalesce(excluded.description, description)",
                params![name, description, now_ms()],
            )?;
            let id = model_id(c, &name)?;
            for (key, value) in &tags {
                upsert_pair(c, "model_tags", "model_id", id, key, value)?;
            }
            Ok(())
        })
        .await
    }

    async fn create_run(
        &self,
        experiment: &str,
        start_time_ms: i64,
        tags: &Tags,
    ) -> Result<String> {
        if experiment.is_empty() {
            return Err(invalid("an experiment name cannot be empty"));
        }
        check_tags(tags, MAX_RUN_TAG_VALUE_CHARS)?;
        let run_id = random_hex(16)?;
        let (experiment, tags, id) = (experiment.to_owned(), tags.clone(), run_id.clone());
        self.write(move |c| {
            c.execute(
                "INSERT INTO experiments (name, creation_time) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO NOTHING",
                params![experiment, now_ms()],
            )?;
            let experiment_id: i64 = c.query_row(
                "SELECT experiment_id FROM experiments WHERE name = ?1",
                [&experiment],
                |r| r.get(0),
            )?;
            c.execute(
                "INSERT INTO runs (run_id, experiment_id, start_time, artifact_uri) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    id,
                    experiment_id,
                    start_time_ms,
                    format!("modelgate-local:/{id}/artifacts")
                ],
            )?;
            let pk = c.last_insert_rowid();
            for (key, value) in &tags {
                upsert_pair(c, "run_tags", "run_pk", pk, key, value)?;
            }
            Ok(id)
        })
        .await
    }

    async fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        for metric in metrics {
            check_key("metric", &metric.key)?;
        }
        let (run_id, metrics) = (run_id.to_owned(), metrics.to_vec());
        self.write(move |c| {
            let pk = run_pk(c, &run_id)?;
            metrics.iter().try_for_each(|m| insert_metric(c, pk, m))
        })
        .await
    }

    async fn log_params(&self, run_id: &str, params: &Tags) -> Result<()> {
        for (key, value) in params {
            check_key("param", key)?;
            check_value("param", key, value, MAX_PARAM_VALUE_CHARS)?;
        }
        let (run_id, params) = (run_id.to_owned(), params.clone());
        self.write(move |c| {
            let pk = run_pk(c, &run_id)?;
            params
                .iter()
                .try_for_each(|(key, value)| insert_param(c, pk, &run_id, key, value))
        })
        .await
    }

    async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        super::check_artifact_path(path)?;
        let (run_id, path, bytes) = (run_id.to_owned(), path.to_owned(), bytes.to_vec());
        self.write(move |c| {
            let pk = run_pk(c, &run_id)?;
            c.execute(
                "INSERT INTO artifacts (run_pk, path, bytes) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (run_pk, path) DO UPDATE SET bytes = excluded.bytes",
                params![pk, path, bytes],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_model_version(
        &self,
        name: &str,
        source: &str,
        run_id: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<String> {
        if source.is_empty() {
            return Err(invalid("a model version needs a source"));
        }
        check_tags(tags, MAX_VERSION_TAG_VALUE_CHARS)?;
        let name = name.to_owned();
        let (source, description, tags) = (
            source.to_owned(),
            description.map(str::to_owned),
            tags.clone(),
        );
        let run_id = Some(run_id.to_owned()).filter(|r| !r.is_empty());
        self.write(move |c| {
            let model = model_id(c, &name)?;
            let next: i64 = c.query_row(
                "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_id = ?1",
                [model],
                |r| r.get(0),
            )?;
            c.execute(
                "INSERT INTO model_versions \
                 (model_id, version, creation_timestamp, source, run_id, description) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![model, next, now_ms(), source, run_id, description],
            )?;
            let id = c.last_insert_rowid();
            for (key, value) in &tags {
                upsert_pair(c, "version_tags", "version_id", id, key, value)?;
            }
            Ok(next.to_string())
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

fn model_id(c: &Connection, name: &str) -> Res<i64> {
    c.prepare_cached("SELECT model_id FROM registered_models WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(format!("registered model {name}")))
}

fn version_id(c: &Connection, name: &str, version: &str) -> Res<i64> {
    let number = parse_version(version)?;
    c.prepare_cached(
        "SELECT v.version_id FROM model_versions v \
         JOIN registered_models m ON m.model_id = v.model_id \
         WHERE m.name = ?1 AND v.version = ?2",
    )?
    .query_row(params![name, number], |r| r.get(0))
    .optional()?
    .ok_or_else(|| not_found(format!("model version {name}/{version}")))
}

fn run_pk(c: &Connection, run_id: &str) -> Res<i64> {
    c.prepare_cached("SELECT run_pk FROM runs WHERE run_id = ?1")?
        .query_row([run_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(format!("run {run_id}")))
}

/// Every model (or the one `filter` selects) with tags and aliases: three queries.
fn load_models(c: &Connection, filter: &str, args: &[&dyn ToSql]) -> Res<Vec<RegisteredModel>> {
    let mut models = Vec::new();
    let mut index = HashMap::new();
    let sql = format!(
        "SELECT m.model_id, m.name, m.description FROM registered_models m \
         WHERE {filter} ORDER BY m.name"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(row) = rows.next()? {
        index.insert(row.get::<_, i64>(0)?, models.len());
        models.push(RegisteredModel {
            name: row.get(1)?,
            description: row.get(2)?,
            ..RegisteredModel::default()
        });
    }
    let tags = format!(
        "SELECT t.model_id, t.key, t.value FROM registered_models m \
         JOIN model_tags t ON t.model_id = m.model_id WHERE {filter}"
    );
    query_pairs(c, &tags, args, |id, key, value: String| {
        if let Some(model) = index.get(&id).and_then(|&i| models.get_mut(i)) {
            model.tags.insert(key, value);
        }
    })?;
    let aliases = format!(
        "SELECT a.model_id, a.alias, v.version FROM registered_models m \
         JOIN aliases a ON a.model_id = m.model_id \
         JOIN model_versions v ON v.version_id = a.version_id WHERE {filter}"
    );
    query_pairs(c, &aliases, args, |id, alias, version: i64| {
        if let Some(model) = index.get(&id).and_then(|&i| models.get_mut(i)) {
            model.aliases.insert(alias, version.to_string());
        }
    })?;
    Ok(models)
}

/// The versions `filter` selects, ordered by model name and version, with their
/// tags loaded by one more query (never one query per version).
fn load_versions(c: &Connection, filter: &str, args: &[&dyn ToSql]) -> Res<Vec<ModelVersion>> {
    let mut versions = Vec::new();
    let mut index = HashMap::new();
    let sql = format!(
        "SELECT v.version_id, m.name, v.version, v.creation_timestamp, v.source, v.run_id, \
         v.description FROM model_versions v \
         JOIN registered_models m ON m.model_id = v.model_id \
         WHERE {filter} ORDER BY m.name, v.version"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(row) = rows.next()? {
        index.insert(row.get::<_, i64>(0)?, versions.len());
        versions.push(ModelVersion {
            name: row.get(1)?,
            version: row.get::<_, i64>(2)?.to_string(),
            creation_timestamp: row.get(3)?,
            source: row.get(4)?,
            run_id: row.get(5)?,
            description: row.get(6)?,
            tags: Tags::new(),
        });
    }
    let tags = format!(
        "SELECT t.version_id, t.key, t.value FROM version_tags t WHERE t.version_id IN \
         (SELECT v.version_id FROM model_versions v \
          JOIN registered_models m ON m.model_id = v.model_id WHERE {filter})"
    );
    query_pairs(c, &tags, args, |id, key, value: String| {
        if let Some(version) = index.get(&id).and_then(|&i| versions.get_mut(i)) {
            version.tags.insert(key, value);
        }
    })?;
    Ok(versions)
}

/// Runs `sql`, whose rows are (owner id, key, value), and hands each row to `f`.
fn query_pairs<V: rusqlite::types::FromSql>(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    mut f: impl FnMut(i64, String, V),
) -> Res<()> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(row) = rows.next()? {
        f(row.get(0)?, row.get(1)?, row.get(2)?);
    }
    Ok(())
}

/// Runs in the order asked for, each once; unknown ids are left out.
fn load_runs(c: &Connection, ids: &[String]) -> Res<Vec<Run>> {
    let mut seen = HashSet::new();
    let unique: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect();
    let mut runs = Vec::with_capacity(unique.len());
    for chunk in unique.chunks(IN_CHUNK) {
        let mut found = load_run_chunk(c, chunk)?;
        runs.extend(chunk.iter().filter_map(|id| found.remove(*id)));
    }
    Ok(runs)
}

/// One chunk of runs: four queries whatever the chunk size. Children are selected
/// by the integer `run_pk`, which is much cheaper than joining on the text id.
fn load_run_chunk(c: &Connection, ids: &[&str]) -> Res<HashMap<String, Run>> {
    let sql = format!(
        "SELECT run_pk, run_id, experiment_id, artifact_uri FROM runs WHERE run_id IN ({})",
        placeholders(ids.len())
    );
    let mut by_pk = HashMap::with_capacity(ids.len());
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(ids))?;
    while let Some(row) = rows.next()? {
        let run = Run {
            run_id: row.get(1)?,
            experiment_id: row.get::<_, i64>(2)?.to_string(),
            artifact_uri: row.get(3)?,
            ..Run::default()
        };
        by_pk.insert(row.get::<_, i64>(0)?, run);
    }
    if by_pk.is_empty() {
        return Ok(HashMap::new());
    }
    let pks: Vec<i64> = by_pk.keys().copied().collect();
    let marks = placeholders(pks.len());
    let children = |table: &str, column: &str| {
        format!("SELECT run_pk, key, {column} FROM {table} WHERE run_pk IN ({marks})")
    };
    query_pairs(
        c,
        &children("run_tags", "value"),
        params_from_iter(&pks),
        |pk, k, v| {
            if let Some(run) = by_pk.get_mut(&pk) {
                run.tags.insert(k, v);
            }
        },
    )?;
    query_pairs(
        c,
        &children("run_params", "value"),
        params_from_iter(&pks),
        |pk, k, v| {
            if let Some(run) = by_pk.get_mut(&pk) {
                run.params.insert(k, v);
            }
        },
    )?;
    let latest = children("latest_metrics", "value_bits");
    query_pairs(c, &latest, params_from_iter(&pks), |pk, k, bits| {
        if let Some(run) = by_pk.get_mut(&pk) {
            run.metrics.insert(k, from_bits(bits));
        }
    })?;
    Ok(by_pk.into_values().map(|r| (r.run_id.clone(), r)).collect())
}

fn metric_history(c: &Connection, run: i64, key: &str) -> Res<Vec<Metric>> {
    let mut stmt = c.prepare_cached(
        "SELECT step, timestamp, value_bits FROM metrics WHERE run_pk = ?1 AND key = ?2 \
         ORDER BY step, timestamp",
    )?;
    let rows = stmt.query_map(params![run, key], |r| {
        Ok(Metric {
            key: key.to_owned(),
            step: r.get(0)?,
            timestamp: r.get(1)?,
            value: from_bits(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every artifact below `dir` ("" = all), with paths relative to it.
fn list_files(c: &Connection, run: i64, dir: &str) -> Res<Vec<FileInfo>> {
    // Paths below `dir/` sort from `dir/` up to `dir0` ('0' follows '/').
    let (prefix, end) = match dir {
        "" => (String::new(), None),
        _ => (format!("{dir}/"), Some(format!("{dir}0"))),
    };
    let mut stmt = c.prepare_cached(
        "SELECT path, length(bytes) FROM artifacts \
         WHERE run_pk = ?1 AND path >= ?2 AND (?3 IS NULL OR path < ?3) ORDER BY path",
    )?;
    let rows = stmt.query_map(params![run, prefix, end], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut files = Vec::new();
    for row in rows {
        let (path, size) = row?;
        files.push(FileInfo {
            path: path.get(prefix.len()..).unwrap_or_default().to_owned(),
            size: u64::try_from(size).unwrap_or(0),
        });
    }
    Ok(files)
}

/// One artifact; its size is checked before the blob is loaded.
fn read_file(
    c: &Connection,
    run: i64,
    path: &str,
    max_bytes: u64,
    what: impl Fn() -> String,
) -> Res<Vec<u8>> {
    let found: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT artifact_id, length(bytes) FROM artifacts WHERE run_pk = ?1 AND path = ?2",
        )?
        .query_row(params![run, path], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, size) = found.ok_or_else(|| not_found::<Fail>(what()))?;
    let size = u64::try_from(size).unwrap_or(0);
    if size > max_bytes {
        return Err(Fail::Registry(RegistryError::TooLarge {
            what: what(),
            size,
            limit: max_bytes,
        }));
    }
    let bytes = c
        .prepare_cached("SELECT bytes FROM artifacts WHERE artifact_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    Ok(bytes)
}

/// The run and artifact directory that a version's `runs:/<run_id>/<path>` source names.
fn model_dir(c: &Connection, name: &str, version: &str) -> Res<(i64, String)> {
    let id = version_id(c, name, version)?;
    let source: String = c
        .prepare_cached("SELECT source FROM model_versions WHERE version_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let Some(rest) = source.strip_prefix("runs:/") else {
        return Err(invalid(format!(
            "model version {name}/{version} has source `{source}`; the embedded registry only knows `runs:/<run_id>/<path>` sources"
        )));
    };
    let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
    let dir = check_dir_path(path).map_err(|_| {
        invalid::<Fail>(format!(
            "model version {name}/{version} has source `{source}`, whose path is not a plain relative path"
        ))
    })?;
    let run = match run_pk(c, run_id) {
        Err(Fail::Registry(RegistryError::NotFound { .. })) => {
            let what = format!("run {run_id} (the source of model version {name}/{version})");
            return Err(not_found(what));
        }
        other => other?,
    };
    Ok((run, dir.to_owned()))
}

fn join_path(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}

fn upsert_pair(
    c: &Connection,
    table: &'static str,
    owner: &'static str,
    id: i64,
    key: &str,
    value: &str,
) -> Res<()> {
    let sql = format!(
        "INSERT INTO {table} ({owner}, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT ({owner}, key) DO UPDATE SET value = excluded.value"
    );
    c.prepare_cached(&sql)?.execute(params![id, key, value])?;
    Ok(())
}

fn insert_metric(c: &Connection, run: i64, m: &Metric) -> Res<()> {
    let bits = to_bits(m.value);
    // Like MLflow, logging the very same point twice keeps one.
    c.prepare_cached(
        "INSERT OR IGNORE INTO metrics (run_pk, key, step, timestamp, value_bits) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![run, m.key, m.step, m.timestamp, bits])?;
    let latest: Option<(i64, i64, i64)> = c
        .prepare_cached(
            "SELECT step, timestamp, value_bits FROM latest_metrics WHERE run_pk = ?1 AND key = ?2",
        )?
        .query_row(params![run, m.key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if latest.is_none_or(|(step, ts, old)| supersedes(m, step, ts, from_bits(old))) {
        c.prepare_cached(
            "INSERT INTO latest_metrics (run_pk, key, step, timestamp, value_bits) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_pk, key) DO UPDATE SET \
             step = excluded.step, timestamp = excluded.timestamp, value_bits = excluded.value_bits",
        )?
        .execute(params![run, m.key, m.step, m.timestamp, bits])?;
    }
    Ok(())
}

/// MLflow's rule for the latest value: highest step, then latest timestamp; on a
/// full tie the larger value, where NaN never wins (Python's tuple comparison).
fn supersedes(new: &Metric, step: i64, timestamp: i64, value: f64) -> bool {
    let order = (new.step, new.timestamp)
        .cmp(&(step, timestamp))
        .then_with(|| new.value.partial_cmp(&value).unwrap_or(Ordering::Equal));
    order == Ordering::Greater
}

/// MLflow refuses to change a logged param; logging the same value again is fine.
fn insert_param(c: &Connection, run: i64, run_id: &str, key: &str, value: &str) -> Res<()> {
    let existing: Option<String> = c
        .prepare_cached("SELECT value FROM run_params WHERE run_pk = ?1 AND key = ?2")?
        .query_row(params![run, key], |r| r.get(0))
        .optional()?;
    match existing {
        Some(old) if old == value => Ok(()),
        Some(old) => Err(Fail::Registry(RegistryError::Conflict {
            what: format!(
                "param {key} of run {run_id} is already `{}`; params cannot change once logged",
                shorten(&old)
            ),
        })),
        None => upsert_pair(c, "run_params", "run_pk", run, key, value),
    }
}

// ---------------------------------------------------------------------------
// Validation (MLflow's rules, so that both backends accept the same input)
// ---------------------------------------------------------------------------

/// `[/\w.\- :]` with `\w` taken as ASCII letters, digits and underscore.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | ' ' | ':')
}

fn check_key(kind: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(format!("a {kind} key cannot be empty")));
    }
    let chars = key.chars().count();
    if chars > MAX_KEY_CHARS {
        return Err(invalid(format!(
            "{kind} key `{}` is {chars} characters long; at most {MAX_KEY_CHARS} are allowed",
            shorten(key)
        )));
    }
    if let Some(bad) = key.chars().find(|&c| !is_key_char(c)) {
        return Err(invalid(format!(
            "{kind} key `{}` contains {bad:?}; keys may only hold ASCII letters, digits, `_`, `-`, `.`, `:`, `/` and spaces",
            shorten(key)
        )));
    }
    // MLflow treats keys as file names: they must not resolve to another path.
    let plain = !key.starts_with("..")
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    if !plain {
        return Err(invalid(format!(
            "{kind} key `{}` is not a plain relative path (no leading `/` or `..`, no empty, `.` or `..` segments)",
            shorten(key)
        )));
    }
    Ok(())
}

fn check_value(kind: &str, key: &str, value: &str, max_chars: usize) -> Result<()> {
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "the value of {kind} `{}` is {chars} characters long; at most {max_chars} are allowed here",
            shorten(key)
        )));
    }
    Ok(())
}

fn check_tags(tags: &Tags, max_value_chars: usize) -> Result<()> {
    tags.iter().try_for_each(|(key, value)| {
        check_key("tag", key)?;
        check_value("tag", key, value, max_value_chars)
    })
}

fn check_model_name(name: &str) -> Result<()> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_MODEL_NAME_CHARS {
        return Err(invalid(format!(
            "a registered model name must have 1 to {MAX_MODEL_NAME_CHARS} characters, not {chars}"
        )));
    }
    Ok(())
}

/// MLflow's alias rules: `[\w-]+`, at most 255 characters, not `latest`, not `v<n>`.
fn check_alias(alias: &str) -> Result<()> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let version_like = alias
        .strip_prefix(['v', 'V'])
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let problem = if alias.is_empty() {
        "cannot be empty"
    } else if alias.chars().count() > MAX_ALIAS_CHARS {
        "is longer than 255 characters"
    } else if !alias.chars().all(word) {
        "may only hold ASCII letters, digits, `_` and `-`"
    } else if alias.eq_ignore_ascii_case("latest") {
        "is reserved (`latest`)"
    } else if version_like {
        "is reserved (it looks like a version reference)"
    } else {
        return Ok(());
    };
    Err(invalid(format!("alias `{}` {problem}", shorten(alias))))
}

fn parse_version(version: &str) -> Result<i64> {
    let digits = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| version.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| {
            invalid(format!(
                "model version `{}` is not a decimal number",
                shorten(version)
            ))
        })
}

/// An artifact directory: "" for the root, one trailing `/` tolerated.
fn check_dir_path(path: &str) -> Result<&str> {
    let dir = path.strip_suffix('/').unwrap_or(path);
    if !dir.is_empty() {
        super::check_artifact_path(dir)?;
    }
    Ok(dir)
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// The bits of the f64, reinterpreted as SQLite's signed integer.
fn to_bits(value: f64) -> i64 {
    i64::from_ne_bytes(value.to_bits().to_ne_bytes())
}

fn from_bits(bits: i64) -> f64 {
    f64::from_bits(u64::from_ne_bytes(bits.to_ne_bytes()))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| RegistryError::Unavailable {
        message: format!("the system random number generator failed: {e}"),
    })?;
    Ok(hex::encode(buf))
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// A user-supplied string cut for an error message.
fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_error(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn sqlite_errors_map_to_registry_errors() {
        let busy = map_sql_error("r.db", sqlite_error(rusqlite::ffi::SQLITE_BUSY));
        assert!(
            matches!(&busy, RegistryError::Unavailable { message } if message.contains("locked by another process; retry")),
            "{busy:?}"
        );
        for code in [rusqlite::ffi::SQLITE_CORRUPT, rusqlite::ffi::SQLITE_NOTADB] {
            let err = map_sql_error("r.db", sqlite_error(code));
            assert!(
                matches!(&err, RegistryError::CorruptStore { path, .. } if path == "r.db"),
                "{err:?}"
            );
        }
        let conflict = map_sql_error("r.db", sqlite_error(rusqlite::ffi::SQLITE_CONSTRAINT));
        assert!(
            matches!(conflict, RegistryError::Conflict { .. }),
            "{conflict:?}"
        );
    }

    #[test]
    fn migration_1_matches_the_constants() {
        let condition = format!("length(value) <= {SEARCH_INDEX_MAX_CHARS}");
        assert!(MIGRATION_1.contains(&format!("(key, value) WHERE {condition};")));
        assert!(MIGRATION_1.contains(&format!("application_id = {APPLICATION_ID};")));
    }

    #[test]
    fn a_metric_supersedes_by_step_then_timestamp_then_value() {
        let m = |value, timestamp, step| Metric {
            key: "k".into(),
            value,
            timestamp,
            step,
        };
        assert!(supersedes(&m(0.0, 1, 2), 1, 9, 5.0));
        assert!(!supersedes(&m(9.0, 9, 1), 2, 1, 0.0));
        assert!(supersedes(&m(1.0, 5, 1), 1, 4, 9.0));
        assert!(supersedes(&m(2.0, 5, 1), 1, 5, 1.0));
        assert!(!supersedes(&m(f64::NAN, 5, 1), 1, 5, 1.0));
        assert!(!supersedes(&m(1.0, 5, 1), 1, 5, f64::NAN));
    }

    #[test]
    fn keys_follow_mlflow_path_rules() {
        for good in ["a", "modelgate.record.ab12", "a/b c:d-e_f", "x/...", "a.."] {
            assert!(check_key("tag", good).is_ok(), "{good}");
        }
        for bad in ["..a", "a/..", "a/./b", "/a", "a/", "a//b", "é", "a\tb"] {
            assert!(check_key("tag", bad).is_err(), "{bad}");
        }
    }
}
