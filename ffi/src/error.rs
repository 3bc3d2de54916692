//! The one error type apps see, and the one place core's errors map to it.

use fieldsync_core::Error as CoreError;

/// Everything that can go wrong in fieldsync, as apps see it.
///
/// Kotlin: `FieldSyncException.SegmentReadOnly` and so on (a sealed class,
/// `toString()` gives the message below). Swift: `FieldSyncError.SegmentReadOnly`
/// (its `description` gives the message). Python: `FieldSyncError.SegmentReadOnly`.
///
/// Messages name fields, ids and reasons, never customer data (names, free
/// text): errors end up in logs and crash reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum FieldSyncError {
    /// Bad input: `field` names it (`name`, `segment_id`, `locale`,
    /// `last_visit`, `[3].name`...), `reason` says what is wrong with it
    /// (`must not be blank`, `segment_id seg-x has been deleted`...).
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The field at fault, as a path.
        field: String,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// A technician tried to change the segment of a customer the server
    /// has already accepted. Nothing was written. Managers and admins may.
    #[error(
        "the segment of existing customer {customer_id} is read-only for technicians; ask a manager or an admin"
    )]
    SegmentReadOnly {
        /// The customer whose segment was to change.
        customer_id: String,
    },
    /// The signed-in role may not do this: technicians may not put customers
    /// in or take them out of a static customer segment. Nothing was
    /// written. Managers and admins may.
    #[error("not permitted for this role: {action}; ask a manager or an admin")]
    NotPermitted {
        /// What was refused, in words (`change the members of a customer segment`).
        action: String,
    },
    /// No such thing on this device (or it was deleted).
    #[error("{entity} {id} not found")]
    NotFound {
        /// `customer`, `segment`, `picklist value`, `organization` or
        /// `customer segment`.
        entity: String,
        /// The id that was asked for.
        id: String,
    },
    /// The operation needs to know who is working: sign in (`SyncClient.login`)
    /// or call `FieldStore.set_session` first.
    #[error("no session: sign in before this operation")]
    NoSession,
    /// The server refused the credentials, or there are none.
    #[error("the server refused the credentials")]
    Unauthorized,
    /// The server could not be reached after the retries of one run (no
    /// network, timeout, connection dropped). Local data is intact; the next
    /// run (or the background loop) tries again.
    #[error("network error: {reason}")]
    Network {
        /// What failed, for logs.
        reason: String,
    },
    /// The server answered with an error retrying will not fix, or kept
    /// failing after the retries of one run.
    #[error("server error {status}: {reason}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The server's reason, for logs.
        reason: String,
    },
    /// The database could not be opened, read or written (including a
    /// database written by a newer fieldsync).
    #[error("storage error: {reason}")]
    Storage {
        /// What failed, for logs.
        reason: String,
    },
    /// Sign-out or another user's sign-in refused, nothing changed: local
    /// changes wait for upload. Sync, or discard them.
    #[error("{count} local changes wait for upload")]
    PendingChanges {
        /// How many.
        count: u64,
    },
    /// The key does not open the database. Nothing was changed.
    #[error("the key does not open this database")]
    WrongKey,
    /// This build of the library lacks what the call needs: encryption at
    /// rest (the encrypted flavour has it) or a built-in HTTP stack (the
    /// lean flavour has none: pass a transport).
    #[error("{feature} is not in this build of fieldsync")]
    Unsupported {
        /// What is missing, in words.
        feature: String,
    },
    /// The sync run was cancelled with `SyncClient.cancel_sync()`. What it
    /// applied stays applied; the next run does the rest.
    #[error("the sync was cancelled")]
    Cancelled,
    /// A bug in fieldsync or in an app callback (a Rust panic in a sync run
    /// ends up here too). Worth a crash report.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed, for logs.
        reason: String,
    },
}

impl From<CoreError> for FieldSyncError {
    fn from(err: CoreError) -> Self {
        // Each message is core's own: it never carries customer data.
        let reason = err.to_string();
        match err {
            CoreError::Validation { field, reason } => FieldSyncError::Validation {
                field,
                reason: reason.to_string(),
            },
            // "segment_id seg-x has been deleted": the field and the whole message.
            CoreError::UnavailableReference { field, .. } => FieldSyncError::Validation {
                field: field.to_owned(),
                reason,
            },
            CoreError::SegmentReadOnly { customer_id } => {
                FieldSyncError::SegmentReadOnly { customer_id }
            }
            CoreError::NotPermitted { action } => FieldSyncError::NotPermitted {
                action: action.to_owned(),
            },
            CoreError::NotFound { entity, id } => FieldSyncError::NotFound {
                entity: entity.to_string(),
                id,
            },
            CoreError::NoSession => FieldSyncError::NoSession,
            CoreError::Unauthorized => FieldSyncError::Unauthorized,
            CoreError::Network { reason } => FieldSyncError::Network { reason },
            CoreError::Server { status, reason } => FieldSyncError::Server { status, reason },
            CoreError::PendingChanges { count } => FieldSyncError::PendingChanges { count },
            CoreError::WrongKey => FieldSyncError::WrongKey,
            CoreError::IncompatibleSchema { .. }
            | CoreError::CorruptData { .. }
            | CoreError::Sqlite(_)
            | CoreError::Json(_) => FieldSyncError::Storage { reason },
            // SyncClient runs one sync at a time (later runs wait), so this
            // only means a bug.
            CoreError::SyncInProgress => FieldSyncError::Internal { reason },
        }
    }
}

/// An app callback (a `CredentialsProvider`) threw something that is not a
/// `FieldSyncError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for FieldSyncError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FieldSyncError::Internal {
            reason: format!("an app callback failed: {}", err.reason),
        }
    }
}

impl FieldSyncError {
    /// A validation error in core's words (`is malformed`, ...).
    pub(crate) fn invalid(
        field: impl Into<String>,
        reason: fieldsync_core::ValidationReason,
    ) -> Self {
        FieldSyncError::Validation {
            field: field.into(),
            reason: reason.to_string(),
        }
    }

    /// The plain flavour's answer to the encryption calls.
    #[cfg_attr(feature = "encrypted", allow(dead_code))]
    pub(crate) fn encryption_unsupported() -> Self {
        FieldSyncError::Unsupported {
            feature: "encryption at rest (the encrypted flavour has it)".into(),
        }
    }
}

pub type Result<T, E = FieldSyncError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use fieldsync_core::{Entity, ReferenceProblem, ValidationReason};

    #[test]
    fn core_errors_map_to_one_variant_each() {
        let cases: Vec<(CoreError, FieldSyncError)> = vec![
            (
                CoreError::invalid("name", ValidationReason::Blank),
                FieldSyncError::Validation {
                    field: "name".into(),
                    reason: "must not be blank".into(),
                },
            ),
            (
                CoreError::UnavailableReference {
                    field: "segment_id",
                    id: "seg-x".into(),
                    problem: ReferenceProblem::Deleted,
                },
                FieldSyncError::Validation {
                    field: "segment_id".into(),
                    reason: "segment_id seg-x has been deleted".into(),
                },
            ),
            (
                CoreError::SegmentReadOnly {
                    customer_id: "c1".into(),
                },
                FieldSyncError::SegmentReadOnly {
                    customer_id: "c1".into(),
                },
            ),
            (
                CoreError::NotFound {
                    entity: Entity::Customer,
                    id: "c9".into(),
                },
                FieldSyncError::NotFound {
                    entity: "customer".into(),
                    id: "c9".into(),
                },
            ),
            (
                CoreError::NotPermitted {
                    action: "change the members of a customer segment",
                },
                FieldSyncError::NotPermitted {
                    action: "change the members of a customer segment".into(),
                },
            ),
            (
                CoreError::NotFound {
                    entity: Entity::CustomerSegment,
                    id: "cs-x".into(),
                },
                FieldSyncError::NotFound {
                    entity: "customer segment".into(),
                    id: "cs-x".into(),
                },
            ),
            (
                CoreError::invalid("segment_id", ValidationReason::DefinedByConditions),
                FieldSyncError::Validation {
                    field: "segment_id".into(),
                    reason: "is defined by conditions; its members follow its criteria".into(),
                },
            ),
            (
                CoreError::invalid("criteria.any[0].in_segment", ValidationReason::Cycle),
                FieldSyncError::Validation {
                    field: "criteria.any[0].in_segment".into(),
                    reason: "would make a segment include itself".into(),
                },
            ),
            (CoreError::NoSession, FieldSyncError::NoSession),
            (CoreError::Unauthorized, FieldSyncError::Unauthorized),
            (
                CoreError::Network {
                    reason: "connection refused".into(),
                },
                FieldSyncError::Network {
                    reason: "connection refused".into(),
                },
            ),
            (
                CoreError::Server {
                    status: 503,
                    reason: "down".into(),
                },
                FieldSyncError::Server {
                    status: 503,
                    reason: "down".into(),
                },
            ),
            (
                CoreError::IncompatibleSchema {
                    found: 9,
                    supported: 3,
                },
                FieldSyncError::Storage {
                    reason: "database schema version 9 is not supported (this build knows up to 3)"
                        .into(),
                },
            ),
            (
                CoreError::CorruptData { what: "role" },
                FieldSyncError::Storage {
                    reason: "stored role is invalid".into(),
                },
            ),
            (
                CoreError::PendingChanges { count: 2 },
                FieldSyncError::PendingChanges { count: 2 },
            ),
            (CoreError::WrongKey, FieldSyncError::WrongKey),
            (
                CoreError::SyncInProgress,
                FieldSyncError::Internal {
                    reason: "a sync is already running".into(),
                },
            ),
        ];
        for (core, expected) in cases {
            assert_eq!(FieldSyncError::from(core), expected);
        }
    }

    #[test]
    fn undecodable_data_is_a_storage_error() {
        let json = serde_json::from_str::<i32>("x").unwrap_err();
        let err = FieldSyncError::from(CoreError::Json(json));
        assert!(
            matches!(&err, FieldSyncError::Storage { reason } if reason.starts_with("stored data could not be decoded")),
            "{err:?}"
        );
    }

    #[test]
    fn messages_are_clear() {
        let err = FieldSyncError::SegmentReadOnly {
            customer_id: "c1".into(),
        };
        assert_eq!(
            err.to_string(),
            "the segment of existing customer c1 is read-only for technicians; ask a manager or an admin"
        );
        assert_eq!(
            FieldSyncError::invalid("last_visit", ValidationReason::Malformed).to_string(),
            "invalid last_visit: is malformed"
        );
        assert_eq!(
            FieldSyncError::from(uniffi::UnexpectedUniFFICallbackError::new("boom")).to_string(),
            "internal error: an app callback failed: boom"
        );
    }
}
