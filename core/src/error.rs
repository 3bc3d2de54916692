//! The one error type of fieldsync-core.
//!
//! Messages name fields, ids and reasons, never customer data (names, free
//! text): errors end up in logs and crash reports.

use std::fmt;

/// Why a value was refused. Typed so callers (and the FFI layer) can react
/// without parsing messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationReason {
    /// Missing, or only white space.
    Blank,
    /// Longer than the limit, counted in characters.
    TooLong { max_chars: usize },
    /// Not a well-formed value of its kind (language tag, id, date...).
    Malformed,
    /// A code outside the fixed list (visit frequency, role, picklist kind).
    UnknownCode,
    /// Two entries that are the same once compared case-insensitively.
    Duplicate,
    /// A multi-language text without one non-blank entry.
    NoText,
    /// A number outside its allowed range (page sizes, ...).
    OutOfRange { min: i64, max: i64 },
    /// A customer segment that would include itself through others.
    Cycle,
    /// A customer segment defined by conditions: its members follow its
    /// criteria and cannot be put in or taken out by hand.
    DefinedByConditions,
    /// A static customer segment where one defined by conditions is needed
    /// (there is nothing to evaluate).
    NotConditional,
    /// Not exactly this many bytes long (a database key).
    #[cfg(feature = "encryption")]
    ByteLength { bytes: usize },
    /// A file that must not exist yet, and does.
    #[cfg(feature = "encryption")]
    AlreadyExists,
    /// A key for a database that is not encrypted.
    #[cfg(feature = "encryption")]
    NotEncrypted,
}

impl fmt::Display for ValidationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blank => f.write_str("must not be blank"),
            Self::TooLong { max_chars } => write!(f, "must be at most {max_chars} characters"),
            Self::Malformed => f.write_str("is malformed"),
            Self::UnknownCode => f.write_str("is not one of the allowed codes"),
            Self::Duplicate => f.write_str("has a duplicate entry"),
            Self::NoText => f.write_str("needs at least one non-blank translation"),
            Self::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Self::Cycle => f.write_str("would make a segment include itself"),
            Self::NotConditional => {
                f.write_str("is a static segment; it has no conditions to evaluate")
            }
            Self::DefinedByConditions => {
                f.write_str("is defined by conditions; its members follow its criteria")
            }
            #[cfg(feature = "encryption")]
            Self::ByteLength { bytes } => write!(f, "must be exactly {bytes} bytes"),
            #[cfg(feature = "encryption")]
            Self::AlreadyExists => f.write_str("already exists"),
            #[cfg(feature = "encryption")]
            Self::NotEncrypted => f.write_str(
                "the database is not encrypted (encrypt_database makes an encrypted copy)",
            ),
        }
    }
}

/// Why a referenced catalogue entry (segment or picklist value) cannot be
/// assigned to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceProblem {
    /// No such id on this device.
    Unknown,
    /// Deleted in the Portal.
    Deleted,
    /// Limited to another organization than the customer's.
    OutOfScope,
}

impl fmt::Display for ReferenceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unknown => "does not exist",
            Self::Deleted => "has been deleted",
            Self::OutOfScope => "is not available to this organization",
        })
    }
}

/// The kinds of stored things an error can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Customer,
    Segment,
    PicklistValue,
    Organization,
    CustomerSegment,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Customer => "customer",
            Self::Segment => "segment",
            Self::PicklistValue => "picklist value",
            Self::Organization => "organization",
            Self::CustomerSegment => "customer segment",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: `field` is a path such as `name`, `name.nl`, `[3].segment_id`.
    #[error("invalid {field}: {reason}")]
    Validation {
        field: String,
        reason: ValidationReason,
    },

    /// A technician tried to change the segment of a customer the server has
    /// already accepted.
    #[error(
        "the segment of existing customer {customer_id} is read-only for technicians; ask a manager or an admin"
    )]
    SegmentReadOnly { customer_id: String },

    /// The signed-in role may not do this: technicians may not put customers
    /// in or take them out of a static customer segment.
    #[error("not permitted for this role: {action}; ask a manager or an admin")]
    NotPermitted { action: &'static str },

    /// A segment or picklist value that cannot be assigned.
    #[error("{field} {id} {problem}")]
    UnavailableReference {
        field: &'static str,
        id: String,
        problem: ReferenceProblem,
    },

    #[error("{entity} {id} not found")]
    NotFound { entity: Entity, id: String },

    /// The operation needs to know who is working (role, organization).
    #[error("no session: sign in before this operation")]
    NoSession,

    /// The database was written by a newer fieldsync than this one.
    #[error(
        "database schema version {found} is not supported (this build knows up to {supported})"
    )]
    IncompatibleSchema { found: i64, supported: i64 },

    /// The server could not be reached (no network, connection dropped,
    /// timeout, unreadable answer) after the retries of one run.
    #[error("network error: {reason}")]
    Network { reason: String },

    /// The server refused the credentials, or no credentials were given.
    #[error("the server refused the credentials")]
    Unauthorized,

    /// The server answered with an error that retrying will not fix, or
    /// kept failing after the retries of one run.
    #[error("server error {status}: {reason}")]
    Server { status: u16, reason: String },

    /// Another sync run of this store is in progress.
    #[error("a sync is already running")]
    SyncInProgress,

    /// Local changes wait for upload: signing out, or another user signing
    /// in, would lose them or upload them under the wrong user.
    #[error("{count} local changes wait for upload")]
    PendingChanges { count: u64 },

    /// The key does not open the database: a wrong key, a database that is
    /// not encrypted, or a file that is no database. Nothing was changed.
    /// (Never says anything about the key.)
    #[error("the key does not open this database")]
    WrongKey,

    /// A stored value this build cannot read (e.g. an unknown code).
    #[error("stored {what} is invalid")]
    CorruptData { what: &'static str },

    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("stored data could not be decoded: {}", json_reason(.0))]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong decoding JSON, for an error's message: serde's messages
/// of data errors quote the value refused (`invalid type: string "…"`),
/// which may be customer data, so those say only where; syntax errors
/// quote nothing.
pub fn json_reason(err: &serde_json::Error) -> String {
    if err.is_data() {
        format!(
            "unexpected value at line {} column {}",
            err.line(),
            err.column()
        )
    } else {
        err.to_string()
    }
}

impl Error {
    /// A validation error naming `field` (for code outside this crate that
    /// validates with the same vocabulary, such as the mock server).
    pub fn invalid(field: impl Into<String>, reason: ValidationReason) -> Self {
        Error::Validation {
            field: field.into(),
            reason,
        }
    }

    /// The error's code on the wire (the sync protocol's rejection codes
    /// and error bodies use the same words).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation",
            Error::SegmentReadOnly { .. } | Error::NotPermitted { .. } => "permission",
            Error::UnavailableReference { .. } => "unknown_reference",
            Error::NotFound { .. } => "not_found",
            Error::NoSession | Error::Unauthorized => "unauthorized",
            Error::IncompatibleSchema { .. } => "incompatible_schema",
            Error::Network { .. } => "network",
            Error::Server { .. } => "server",
            Error::SyncInProgress => "sync_in_progress",
            Error::PendingChanges { .. } => "pending_changes",
            Error::WrongKey => "wrong_key",
            Error::CorruptData { .. } | Error::Sqlite(_) | Error::Json(_) => "internal",
        }
    }

    /// The field an error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation { field, .. } => Some(field),
            Error::UnavailableReference { field, .. } => Some(field),
            Error::SegmentReadOnly { .. } => Some("segment_id"),
            _ => None,
        }
    }

    /// Prefixes the field of a validation error, e.g. `name` becomes
    /// `[3].name` for the fourth draft of a batch.
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            Error::Validation { field, reason } => Error::Validation {
                field: format!("{prefix}.{field}"),
                reason,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_do_not_quote_the_value() {
        let refused = serde_json::from_str::<Vec<u64>>(r#"["Bakkerij Janssens"]"#).unwrap_err();
        assert!(refused.to_string().contains("Bakkerij"), "serde quotes it");
        assert_eq!(
            json_reason(&refused),
            "unexpected value at line 1 column 20"
        );
        assert!(!Error::Json(refused).to_string().contains("Bakkerij"));
        let cut = serde_json::from_str::<Vec<u64>>("[1, 2").unwrap_err();
        assert_eq!(json_reason(&cut), cut.to_string());
    }
}
