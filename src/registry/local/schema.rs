//! The file's identity and schema: the header checks made before SQLite
//! opens it, `application_id` and `user_version`, and the forward migrations.

use std::io::Read;
use std::path::Path;
use std::{fs, io};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::error::{Res, corrupt, io_unavailable, map_sql_error};
use crate::registry::{RegistryError, Result};

/// `PRAGMA application_id` of every modelgate registry (ASCII "MGAT").
pub const APPLICATION_ID: i32 = 0x4D47_4154;

/// Forward migrations; migration `n` (1-based) brings `user_version` from n-1 to n.
const MIGRATIONS: &[&str] = &[MIGRATION_1];

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Tag values up to this many characters are in the search index (migration 1).
pub(super) const SEARCH_INDEX_MAX_CHARS: usize = 100;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;
const HINT_CREATE: &str = "run `modelgate demo` or `modelgate register` to create a registry";

pub(super) const MIGRATION_1: &str = r#"
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

/// The first 100 bytes of the file, read without SQLite (no lock, no side file).
pub(super) fn read_header(path: &Path, label: &str) -> Result<Vec<u8>> {
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

pub(super) fn check_header(header: &[u8], label: &str) -> Result<()> {
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
pub(super) fn prepare_existing(conn: &mut Connection, label: &str) -> Result<()> {
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

pub(super) fn apply_migrations(tx: &Transaction<'_>, from: i32) -> Res<()> {
    let start = usize::try_from(from).unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(start) {
        tx.execute_batch(sql)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    Ok(())
}

/// The meta key of what a registry was created for (`LocalRegistry::create_for`).
pub(super) const PURPOSE_KEY: &str = "purpose";

/// One value of the meta table, `None` when the key is not there.
pub(super) fn read_meta(conn: &Connection, label: &str, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(|e| map_sql_error(label, e))
}

pub(super) fn read_registry_id(conn: &Connection, label: &str) -> Result<String> {
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
