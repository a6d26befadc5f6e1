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

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::registry::{RegistryError, Result};
use error::Res;

mod error;
mod open;
mod primitives;
mod reads;
mod schema;
mod validate;
mod writer;
mod writes;

pub use schema::{APPLICATION_ID, SCHEMA_VERSION};

/// The embedded registry: one SQLite file, one connection per handle.
#[derive(Clone)]
pub struct LocalRegistry {
    conn: Arc<Mutex<Connection>>,
    label: String,
    registry_id: String,
    /// What the file was created for, from its meta table (`create_for`).
    purpose: Option<String>,
}

impl std::fmt::Debug for LocalRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalRegistry")
            .field("path", &self.label)
            .field("registry_id", &self.registry_id)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
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
mod tests;
