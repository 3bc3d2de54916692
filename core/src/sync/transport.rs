//! The transport trait: how the engine's messages reach the server. The
//! HTTP implementation lives outside core (it needs an async runtime); tests
//! use doubles.

use std::future::Future;
use std::time::Duration;

use crate::protocol::{
    ChangePage, ErrorBody, LoginRequest, LoginResponse, PushRequest, PushResponse,
};

/// What went wrong carrying one request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection, connection reset or dropped mid-body.
    #[error("network: {reason}")]
    Network { reason: String },
    #[error("timed out")]
    Timeout,
    /// The server answered with a non-success status.
    #[error("HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
        body: Option<ErrorBody>,
    },
    /// The answer could not be read (truncated or garbled JSON).
    #[error("unreadable answer: {reason}")]
    Decode { reason: String },
}

impl TransportError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Carries the protocol's messages. Implementations do the I/O; the engine
/// decides what to send, when to retry and how to apply answers.
pub trait Transport: Send + Sync {
    fn login(
        &self,
        request: &LoginRequest,
    ) -> impl Future<Output = Result<LoginResponse, TransportError>> + Send;

    fn pull(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<ChangePage, TransportError>> + Send;

    fn push(
        &self,
        token: &str,
        request: &PushRequest,
    ) -> impl Future<Output = Result<PushResponse, TransportError>> + Send;

    /// Waits before a retry (the runtime's timer).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Runs blocking work (applying a pulled page to the store) off the
    /// task that drives the sync, so that the next page downloads
    /// meanwhile: the runtime's blocking pool. The default runs `work`
    /// in place when first polled; the engine polls the next download
    /// first, so the server still prepares it during the apply.
    fn run_blocking<R, F>(&self, work: F) -> impl Future<Output = R> + Send
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        async move { work() }
    }
}
