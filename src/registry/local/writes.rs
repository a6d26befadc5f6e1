//! Statements that write tags, metrics and params.

use std::cmp::Ordering;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Fail, Res};
use super::{from_bits, shorten, to_bits};
use crate::registry::{Metric, RegistryError};

pub(super) fn upsert_pair(
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

pub(super) fn insert_metric(c: &Connection, run: i64, m: &Metric) -> Res<()> {
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
pub(super) fn supersedes(new: &Metric, step: i64, timestamp: i64, value: f64) -> bool {
    let order = (new.step, new.timestamp)
        .cmp(&(step, timestamp))
        .then_with(|| new.value.partial_cmp(&value).unwrap_or(Ordering::Equal));
    order == Ordering::Greater
}

/// MLflow refuses to change a logged param; logging the same value again is fine.
pub(super) fn insert_param(
    c: &Connection,
    run: i64,
    run_id: &str,
    key: &str,
    value: &str,
) -> Res<()> {
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
