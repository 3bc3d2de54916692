//! fieldsync-core: the domain model of fieldsync (marketing segments,
//! account classifications, customers, sessions), the segment rule, and the
//! embedded SQLite store that keeps them on the device.
//!
//! No networking and no async runtime here: the sync engine and the FFI
//! build on this crate.

pub mod clock;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod protocol;
pub mod rules;
pub mod store;
pub mod sync;

pub use error::{Entity, Error, ReferenceProblem, Result, ValidationReason};
pub use store::Store;
