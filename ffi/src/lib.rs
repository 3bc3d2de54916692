//! fieldsync's foreign-language API (uniffi, proc-macros only): the
//! library apps link as `libfieldsync` and use from Kotlin (`io.fieldsync`),
//! Swift (`FieldSync`) and Python (`fieldsync`).
//!
//! A thin layer: each object wraps an `Arc` of a core or client type and
//! forwards to it; records and enums mirror core's, converting dates
//! (ISO-8601 strings), timestamps (`SystemTime`) and errors (one
//! [`FieldSyncError`], mapped from core's in one place). No SQL, rule or
//! sync logic lives here.
//!
//! - [`FieldStore`]: the device database (dropdowns, customers, customer
//!   segments and profiles, pending changes), all local and blocking.
//! - [`SyncClient`]: sign-in, `sync()` (async: a Kotlin `suspend fun`, Swift
//!   `async`, Python `async def`, cancellable), a background loop
//!   ([`BackgroundSyncHandle`]) and observers ([`SyncObserver`]), with
//!   tokens from the app if it signs in on its own ([`CredentialsProvider`]).
//! - Live queries (`FieldStore.watch_*`, [`WatchHandle`]): a dropdown, a
//!   page of customers, a customer or customer segments handed to the
//!   app's observer again whenever a commit changes them.
//! - [`set_logger`]: the library's log records, sent to the app's
//!   [`Logger`] (off by default).
//! - [`HttpTransport`]: the app's own HTTP stack (OkHttp, URLSession), for
//!   its proxy, trust store and pinning; required in the lean flavour.
//!
//! Flavours: the default links SQLite; the `encrypted` feature links
//! SQLCipher (core's `encryption`): `FieldStore.open_encrypted`,
//! `encrypt_database` and `change_key` work. Without it they answer
//! `FieldSyncError.Unsupported` (the same API in both). Without the
//! default feature `builtin-http` (the lean flavour) there is no reqwest
//! and no rustls: the app passes an [`HttpTransport`].
//!
//! Network work runs on one tokio runtime owned by the library
//! (see `runtime.rs`). A Rust panic never crosses into the app as a crash:
//! uniffi turns a panic in a call into an exception (Kotlin
//! `InternalException`, Python `InternalError`), a panic in a sync run
//! becomes `FieldSyncError.Internal`, and a failing app callback is logged.

uniffi::setup_scaffolding!();

mod error;
mod live;
mod logging;
mod runtime;
mod store;
mod sync;
mod transport;
mod types;

pub use error::FieldSyncError;
pub use live::{
    CustomerObserver, CustomerSegmentMembersObserver, CustomerSegmentsObserver, CustomersObserver,
    PicklistOptionsObserver, SegmentOptionsObserver, WatchHandle,
};
pub use logging::{LogLevel, LogRecord, Logger, clear_logger, set_logger};
pub use store::FieldStore;
pub use sync::{
    BackgroundSyncHandle, CollectionProgress, CredentialsProvider, PullProgress, SyncClient,
    SyncCollection, SyncConfig, SyncObserver, SyncStatus,
};
pub use transport::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, HttpTransportError};
pub use types::{
    AttributeValue, Cart, Consent, CustomAttribute, CustomerDraft, CustomerEvent, CustomerPage,
    CustomerProfile, CustomerQuery, CustomerSegmentView, CustomerUpdate, CustomerView, DueVisit,
    FieldChange, PendingChange, PurchaseSummary, Segment, SegmentCount, SegmentFilter,
    SyncConflict,
};

/// The version of the fieldsync library (`0.1.0`), for logs and bug reports.
#[uniffi::export]
pub fn fieldsync_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Panics with `message`. Not for apps: the binding tests call it to check
/// that a Rust panic reaches Kotlin, Swift or Python as an exception (uniffi's
/// internal error) instead of aborting the process.
#[doc(hidden)]
#[uniffi::export]
pub fn panic_for_tests(message: String) {
    panic!("{message}");
}
