//! Bring your own HTTP: the app's stack (OkHttp, `java.net.http`,
//! URLSession, ...) carries fieldsync's requests, so they follow the
//! device's proxy, trust store, company CA and certificate pinning like
//! the app's other traffic. fieldsync builds each request and reads each
//! answer (client's `ExchangeTransport`); the app only moves bytes.

use std::collections::HashMap;
use std::sync::Arc;

use fieldsync_client::{BoxFuture, HttpExchange};
use fieldsync_core::sync::TransportError;

/// The HTTP methods fieldsync sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum HttpMethod {
    Get,
    Post,
}

impl From<fieldsync_client::HttpMethod> for HttpMethod {
    fn from(method: fieldsync_client::HttpMethod) -> Self {
        match method {
            fieldsync_client::HttpMethod::Get => HttpMethod::Get,
            fieldsync_client::HttpMethod::Post => HttpMethod::Post,
        }
    }
}

/// A request for the app's HTTP stack to send as it is.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: HttpMethod,
    /// Absolute, with its query (`https://portal.example.com/sync/v1/changes?limit=1000`).
    pub url: String,
    /// Header names in lower case: `authorization` (the bearer token: keep
    /// it out of logs), `content-type`, `accept`, `accept-encoding: gzip`,
    /// `user-agent`.
    pub headers: HashMap<String, String>,
    /// The body (JSON); empty for a GET.
    pub body: Vec<u8>,
}

/// The server's answer, whatever its status (a 4xx or 5xx is an answer,
/// not an error: fieldsync decides what it means).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// Response headers, names in any case; fieldsync reads `retry-after`.
    pub headers: HashMap<String, String>,
    /// The body as received, gzip-compressed or already unpacked by the
    /// stack: fieldsync reads either.
    pub body: Vec<u8>,
}

/// Why the app's stack got no answer. fieldsync retries all of them with
/// backoff, as it does for its built-in stack's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HttpTransportError {
    /// No connection, a reset, a body cut off mid-way.
    #[error("network: {reason}")]
    Network {
        /// What failed, for logs (no tokens, no bodies).
        reason: String,
    },
    /// The request took too long.
    #[error("timed out")]
    Timeout,
    /// The TLS handshake failed (an untrusted certificate, a pin that does
    /// not match).
    #[error("TLS: {reason}")]
    Tls {
        /// What failed, for logs.
        reason: String,
    },
}

// An exception the app's code did not declare (a Kotlin `IOException`, a
// Swift error of another type) is a network failure too: retried, logged.
impl From<uniffi::UnexpectedUniFFICallbackError> for HttpTransportError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpTransportError::Network {
            reason: error.reason,
        }
    }
}

impl From<HttpTransportError> for TransportError {
    fn from(error: HttpTransportError) -> Self {
        match error {
            HttpTransportError::Network { reason } => TransportError::Network { reason },
            HttpTransportError::Tls { reason } => TransportError::Network {
                reason: format!("TLS: {reason}"),
            },
            HttpTransportError::Timeout => TransportError::Timeout,
        }
    }
}

/// The app's HTTP stack. Implement `send` with OkHttp or
/// `java.net.http.HttpClient` (a Kotlin `suspend fun`), URLSession (Swift
/// `async`) or anything (Python `async def`), and pass it to
/// `SyncClient(store, config, credentials, transport)`. Send the request
/// exactly as given (method, URL, headers, body); return every answer,
/// whatever its status; throw `HttpTransportError` only when there is no
/// answer. Called on fieldsync's threads, one request at a time per run.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and returns the server's answer.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpTransportError>;
}

/// The client's view of the app's `HttpTransport`.
pub(crate) struct AppExchange(pub Arc<dyn HttpTransport>);

impl HttpExchange for AppExchange {
    fn send(
        &self,
        request: fieldsync_client::HttpRequest,
    ) -> BoxFuture<'_, Result<fieldsync_client::HttpResponse, TransportError>> {
        let request = HttpRequest {
            method: request.method.into(),
            url: request.url,
            headers: request.headers.into_iter().collect(),
            body: request.body,
        };
        Box::pin(async move {
            let answer = self.0.send(request).await?;
            Ok(fieldsync_client::HttpResponse {
                status: answer.status,
                headers: answer.headers.into_iter().collect(),
                body: answer.body,
            })
        })
    }
}
