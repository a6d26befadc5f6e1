use super::error::map_sql_error;
use super::schema::{APPLICATION_ID, MIGRATION_1, SEARCH_INDEX_MAX_CHARS};
use super::validate::check_key;
use super::writes::supersedes;
use crate::registry::{Metric, RegistryError};

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

#[test]
fn a_purpose_is_written_at_creation_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let marked = dir.path().join("marked.db");
    let created = super::LocalRegistry::create_for(&marked, Some("demo")).unwrap();
    assert_eq!(created.purpose(), Some("demo"));
    drop(created);
    let reopened = super::LocalRegistry::open(&marked).unwrap();
    assert_eq!(reopened.purpose(), Some("demo"), "read back on open");
    let plain = super::LocalRegistry::create(&dir.path().join("plain.db")).unwrap();
    assert_eq!(plain.purpose(), None);
}
