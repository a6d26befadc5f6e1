//! Errors inside blocking sections, and SQLite's errors as registry errors
//! that name the file and say what to do.

use std::io;

use rusqlite::ffi::ErrorCode;

use crate::registry::RegistryError;

pub(super) type Res<T> = std::result::Result<T, Fail>;

/// An error inside a blocking section; SQLite errors get the file path attached
/// when they leave it.
#[derive(Debug)]
pub(super) enum Fail {
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
    pub(super) fn into_registry(self, label: &str) -> RegistryError {
        match self {
            Self::Sql(e) => map_sql_error(label, e),
            Self::Registry(e) => e,
        }
    }
}

pub(super) fn map_sql_error(label: &str, err: rusqlite::Error) -> RegistryError {
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

pub(super) fn corrupt(label: &str, message: impl Into<String>) -> RegistryError {
    RegistryError::CorruptStore {
        path: label.to_owned(),
        message: message.into(),
    }
}

pub(super) fn io_unavailable(label: &str, err: &io::Error) -> RegistryError {
    RegistryError::Unavailable {
        message: format!("cannot use the registry file {label}: {err}"),
    }
}

pub(super) fn invalid<E: From<RegistryError>>(message: impl Into<String>) -> E {
    RegistryError::InvalidRequest {
        message: message.into(),
    }
    .into()
}

pub(super) fn not_found<E: From<RegistryError>>(what: impl Into<String>) -> E {
    RegistryError::not_found(what).into()
}
