//! The protocol over any HTTP stack: [`ExchangeTransport`] builds each
//! request (method, URL, headers, JSON body) and reads each answer
//! (status, `Retry-After`, gzip or not, JSON), and an [`HttpExchange`]
//! carries the bytes: reqwest in the full library (`http`), or the app's
//! own stack (OkHttp, URLSession, ...) through the FFI. Both sort failures
//! into the same [`TransportError`] kinds, so retries, backoff and the
//! no-double-apply guarantees do not depend on who moved the bytes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fieldsync_core::error::json_reason;
use fieldsync_core::protocol::{
    ChangePage, ErrorBody, LoginRequest, LoginResponse, PushRequest, PushResponse,
};
use fieldsync_core::sync::{Transport, TransportError, decode_body};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where the server is and how long the built-in stack waits for it (an
/// app's own stack keeps its own timeouts).
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

/// The methods the protocol uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One request, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: HttpMethod,
    /// Absolute, query included.
    pub url: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    /// Empty for a GET.
    pub body: Vec<u8>,
}

/// One answer, whatever its status. The body may still be gzip-compressed
/// (when the stack did not unpack it): it is read either way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A boxed future, so that an exchange can be a trait object (the app's
/// stack is chosen at run time).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one request and returns the answer, whatever its status. Fails
/// only when there is no answer: `Network` (no connection, reset, a TLS
/// failure, a body cut off) or `Timeout`.
pub trait HttpExchange: Send + Sync {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// The protocol's messages over an [`HttpExchange`], for the sync engine.
#[derive(Clone)]
pub struct ExchangeTransport {
    exchange: Arc<dyn HttpExchange>,
    /// The server's base URL, without a trailing `/`.
    base: String,
    /// The longest one exchange may take: an app's stack that never
    /// answers (a lost callback, a hung coroutine) must not hang the sync.
    timeout: Duration,
}

const USER_AGENT: &str = concat!("fieldsync/", env!("CARGO_PKG_VERSION"));

impl ExchangeTransport {
    pub fn new(exchange: Arc<dyn HttpExchange>, config: &HttpConfig) -> Self {
        ExchangeTransport {
            exchange,
            base: config.server_url.trim_end_matches('/').to_owned(),
            timeout: config.request_timeout,
        }
    }

    /// The request for `path` (with its query), a bearer token and a JSON
    /// body. Serializing fails before anything is sent, as a network
    /// failure (as reqwest's builder errors did).
    fn request<B: Serialize>(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> Result<HttpRequest, TransportError> {
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            ("accept-encoding".to_owned(), "gzip".to_owned()),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ];
        if let Some(token) = token {
            headers.push(("authorization".to_owned(), format!("Bearer {token}")));
        }
        let body = match body {
            Some(body) => {
                headers.push(("content-type".to_owned(), "application/json".to_owned()));
                serde_json::to_vec(body).map_err(|e| TransportError::Network {
                    reason: json_reason(&e),
                })?
            }
            None => Vec::new(),
        };
        Ok(HttpRequest {
            method,
            url: format!("{}{path_and_query}", self.base),
            headers,
            body,
        })
    }

    async fn call<T: DeserializeOwned>(&self, request: HttpRequest) -> Result<T, TransportError> {
        match tokio::time::timeout(self.timeout, self.exchange.send(request)).await {
            Ok(answer) => read_answer(answer?),
            Err(_) => Err(TransportError::Timeout),
        }
    }
}

/// Reads an answer: a success's JSON body, or the status with its
/// `Retry-After` and error body. A body that does not unpack or parse is a
/// `Decode` error (retried: a cut-off answer reads like that).
pub fn read_answer<T: DeserializeOwned>(response: HttpResponse) -> Result<T, TransportError> {
    let bytes = decode_body(&response.body)?;
    if !(200..300).contains(&response.status) {
        let retry_after = response
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(TransportError::Status {
            status: response.status,
            retry_after,
            body: serde_json::from_slice::<ErrorBody>(&bytes).ok(),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| TransportError::Decode {
        reason: json_reason(&e),
    })
}

/// `text` escaped for a URL's query (RFC 3986 unreserved characters kept).
fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl Transport for ExchangeTransport {
    async fn login(&self, request: &LoginRequest) -> Result<LoginResponse, TransportError> {
        self.call(self.request(HttpMethod::Post, "/auth/v1/login", None, Some(request))?)
            .await
    }

    async fn pull(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ChangePage, TransportError> {
        let mut path = format!("/sync/v1/changes?limit={limit}");
        if let Some(cursor) = cursor {
            path.push_str("&cursor=");
            path.push_str(&query_value(cursor));
        }
        self.call(self.request::<()>(HttpMethod::Get, &path, Some(token), None)?)
            .await
    }

    async fn push(
        &self,
        token: &str,
        request: &PushRequest,
    ) -> Result<PushResponse, TransportError> {
        self.call(self.request(
            HttpMethod::Post,
            "/sync/v1/mutations",
            Some(token),
            Some(request),
        )?)
        .await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_escaped_for_the_query() {
        assert_eq!(query_value("a+b/c=d e~"), "a%2Bb%2Fc%3Dd%20e~");
        assert_eq!(query_value("plain-Cursor_1.2"), "plain-Cursor_1.2");
    }

    #[test]
    fn answers_are_read_by_status_and_body() {
        let ok = HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"results": []}"#.to_vec(),
        };
        let read: PushResponse = read_answer(ok).unwrap();
        assert!(read.results.is_empty());

        let busy = HttpResponse {
            status: 503,
            headers: vec![("Retry-After".into(), " 7 ".into())],
            body: br#"{"error":"unavailable","field":null,"reason":"busy"}"#.to_vec(),
        };
        match read_answer::<PushResponse>(busy) {
            Err(TransportError::Status {
                status: 503,
                retry_after: Some(wait),
                body: Some(body),
            }) => {
                assert_eq!(wait, Duration::from_secs(7));
                assert_eq!(body.error, "unavailable");
            }
            other => panic!("{other:?}"),
        }

        let cut = HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"results": ["#.to_vec(),
        };
        assert!(matches!(
            read_answer::<PushResponse>(cut),
            Err(TransportError::Decode { .. })
        ));
    }

    /// An app's stack that never answers times out as the request's
    /// timeout says, instead of hanging the sync.
    #[tokio::test(start_paused = true)]
    async fn an_exchange_that_never_answers_times_out() {
        struct Silent;
        impl HttpExchange for Silent {
            fn send(&self, _: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
                Box::pin(std::future::pending())
            }
        }
        let mut config = HttpConfig::new("https://portal.example");
        config.request_timeout = Duration::from_secs(5);
        let transport = ExchangeTransport::new(Arc::new(Silent), &config);
        let login = LoginRequest {
            username: "u".into(),
            password: "p".into(),
        };
        assert_eq!(transport.login(&login).await, Err(TransportError::Timeout));
    }

    #[test]
    fn requests_carry_the_token_the_body_and_gzip() {
        struct Never;
        impl HttpExchange for Never {
            fn send(&self, _: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
                Box::pin(async { Err(TransportError::Timeout) })
            }
        }
        let transport =
            ExchangeTransport::new(Arc::new(Never), &HttpConfig::new("https://portal.example/"));
        let login = LoginRequest {
            username: "u".into(),
            password: "p".into(),
        };
        let request = transport
            .request(
                HttpMethod::Post,
                "/auth/v1/login",
                Some("t0k"),
                Some(&login),
            )
            .unwrap();
        assert_eq!(request.url, "https://portal.example/auth/v1/login");
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("authorization"), Some("Bearer t0k"));
        assert_eq!(header("accept-encoding"), Some("gzip"));
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&request.body).unwrap()["username"],
            "u"
        );
    }
}
