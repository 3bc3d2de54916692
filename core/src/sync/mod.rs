//! Sync: the protocol's messages, the decisions (what to send, how to apply
//! what comes back, when to retry) and the run loop over a transport trait.
//! Nothing here does I/O itself: an HTTP transport (or a test double)
//! carries the messages.

pub mod apply;
pub mod engine;
pub mod protocol;
pub mod retry;
pub mod state;
pub mod transport;

pub use engine::{
    CollectionProgress, Credentials, PullProgress, SyncEngine, SyncObserver, SyncReport,
    SyncSettings, SyncState, SyncStatus, TokenProvider,
};
pub use protocol::Collection;
pub use retry::RetryPolicy;
pub use transport::{Transport, TransportError};

#[cfg(test)]
mod tests;
