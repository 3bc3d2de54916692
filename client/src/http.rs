//! The HTTP transport: reqwest with rustls (no OpenSSL). It asks for gzip
//! and leaves the unpacking to core's `decode_body`, which app transports
//! share (reqwest's own decoder would link a second gzip stack).

use std::future::Future;
use std::time::Duration;

use fieldsync_core::protocol::{
    ChangePage, ErrorBody, LoginRequest, LoginResponse, PushRequest, PushResponse,
};
use fieldsync_core::sync::{Transport, TransportError, decode_body};
use reqwest::{RequestBuilder, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where the server is and how long to wait for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// e.g. `https://portal.example.com` (no trailing path).
    pub server_url: String,
    pub connect_timeout: Duration,
    /// For a whole request, body included.
    pub request_timeout: Duration,
}

impl HttpConfig {
    pub fn new(server_url: impl Into<String>) -> Self {
        HttpConfig {
            server_url: server_url.into().trim_end_matches('/').to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct HttpTransport {
    client: reqwest::Client,
    base: String,
}

impl HttpTransport {
    pub fn new(config: &HttpConfig) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("fieldsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Network {
                reason: e.to_string(),
            })?;
        Ok(HttpTransport {
            client,
            base: config.server_url.clone(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and reads a JSON answer, sorting failures into the
    /// kinds the retry policy tells apart: no connection or a body cut off
    /// mid-way (network), a status, an unreadable (truncated) JSON body.
    async fn send<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, TransportError> {
        let response = request
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .map_err(request_error)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let received = response.bytes().await.map_err(request_error)?;
        let bytes = decode_body(&received)?;
        if !status.is_success() {
            return Err(TransportError::Status {
                status: status.as_u16(),
                retry_after,
                body: serde_json::from_slice::<ErrorBody>(&bytes).ok(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| TransportError::Decode {
            reason: fieldsync_core::error::json_reason(&e),
        })
    }
}

/// A JSON request body (what reqwest's `json` feature does, without
/// linking it). Serializing fails as reqwest's builder errors did: before
/// anything is sent, as a network failure.
fn with_json<B: Serialize>(
    request: RequestBuilder,
    body: &B,
) -> Result<RequestBuilder, TransportError> {
    let bytes = serde_json::to_vec(body).map_err(|e| TransportError::Network {
        reason: fieldsync_core::error::json_reason(&e),
    })?;
    Ok(request
        .header(header::CONTENT_TYPE, "application/json")
        .body(bytes))
}

fn request_error(mut e: reqwest::Error) -> TransportError {
    // reqwest's message ends with the request's URL: without its query
    // (the feed's cursor) and user info, the reason can go to logs.
    if let Some(url) = e.url_mut() {
        url.set_query(None);
        let _ = url.set_password(None);
        let _ = url.set_username("");
    }
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_decode() {
        TransportError::Decode {
            reason: e.to_string(),
        }
    } else if let Some(status) = e.status().filter(|s| *s != StatusCode::OK) {
        TransportError::Status {
            status: status.as_u16(),
            retry_after: None,
            body: None,
        }
    } else {
        // connect errors, resets, bodies cut off mid-way
        TransportError::Network {
            reason: error_chain(&e),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Transport for HttpTransport {
    async fn login(&self, request: &LoginRequest) -> Result<LoginResponse, TransportError> {
        self.send(with_json(
            self.client.post(self.url("/auth/v1/login")),
            request,
        )?)
        .await
    }

    async fn pull(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ChangePage, TransportError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        self.send(
            self.client
                .get(self.url("/sync/v1/changes"))
                .bearer_auth(token)
                .query(&query),
        )
        .await
    }

    async fn push(
        &self,
        token: &str,
        request: &PushRequest,
    ) -> Result<PushResponse, TransportError> {
        let request = with_json(
            self.client
                .post(self.url("/sync/v1/mutations"))
                .bearer_auth(token),
            request,
        )?;
        self.send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// Tokio's blocking pool: a page is applied there while the runtime
    /// receives and decodes the next.
    fn run_blocking<R, F>(&self, work: F) -> impl Future<Output = R> + Send
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let task = tokio::task::spawn_blocking(work);
        async move {
            match task.await {
                Ok(value) => value,
                // A panic in the work is the caller's panic (uniffi turns
                // it into an exception at the boundary).
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => panic!("the runtime shut down during a sync"),
            }
        }
    }
}
