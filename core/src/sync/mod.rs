//! Sync: the decisions (what to send, how to apply what comes back, when to
//! retry) and the run loop over a transport trait. Nothing here does I/O
//! itself: an HTTP transport (or a test double) carries the messages of
//! [`crate::protocol`], and the store keeps the bookkeeping
//! ([`crate::store::sync_state`]).

pub mod apply;
mod body;
mod credentials;
pub mod engine;
pub mod retry;
mod settings;
mod status;
pub mod transport;

pub use crate::protocol::Collection;
pub use body::{MAX_UNPACKED_BODY, decode_body};
pub use credentials::{Credentials, TokenProvider};
pub use engine::SyncEngine;
pub use retry::RetryPolicy;
pub use settings::{MAX_ATTEMPTS_PER_RUN, MAX_PULL_PAGE_SIZE, MAX_PUSH_BATCH_SIZE, SyncSettings};
pub use status::{
    CollectionProgress, PullProgress, SyncObserver, SyncReport, SyncState, SyncStatus,
};
pub use transport::{Transport, TransportError};

#[cfg(test)]
mod tests;
