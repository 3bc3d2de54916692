//! The built-in HTTP stack: reqwest with rustls (no OpenSSL), as an
//! [`HttpExchange`]. It asks for gzip and leaves the unpacking to core's
//! `decode_body`, which app transports share (reqwest's own decoder would
//! link a second gzip stack). Not in the lean flavour (feature
//! `builtin-http`): there the app supplies the exchange.

use std::sync::Arc;

use fieldsync_core::sync::TransportError;
use reqwest::StatusCode;

use crate::exchange::{
    BoxFuture, ExchangeTransport, HttpConfig, HttpExchange, HttpMethod, HttpRequest, HttpResponse,
};

/// reqwest as an [`HttpExchange`].
#[derive(Clone, Debug)]
pub struct ReqwestExchange {
    client: reqwest::Client,
}

impl ReqwestExchange {
    pub fn new(config: &HttpConfig) -> Result<Self, TransportError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout);
        let client = trust::platform(builder)
            .build()
            .map_err(|e| TransportError::Network {
                reason: e.to_string(),
            })?;
        Ok(ReqwestExchange { client })
    }

    /// reqwest as the caller built it: its own roots, proxy, pinning.
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestExchange { client }
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let response = builder.send().await.map_err(request_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = response.bytes().await.map_err(request_error)?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl HttpExchange for ReqwestExchange {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.exchange(request))
    }
}

/// The built-in transport: the protocol over reqwest.
pub fn builtin_transport(config: &HttpConfig) -> Result<ExchangeTransport, TransportError> {
    Ok(ExchangeTransport::new(
        Arc::new(ReqwestExchange::new(config)?),
        config,
    ))
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
        // connect errors, TLS failures, resets, bodies cut off mid-way
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

/// Which certificates the built-in stack trusts. On iOS and macOS the
/// platform's verifier decides (the Security framework: the system roots
/// and the CAs a profile or MDM installed), with no help from the app;
/// should it fail to start, and elsewhere, the web PKI roots built into
/// reqwest do. Android's own store (user CAs, the network security config)
/// needs the app's JNI set-up, and the desktop stores matter little to a
/// phone library whose size budget they would take: apps that need them
/// pass their own transport (OkHttp).
mod trust {
    #[cfg(target_vendor = "apple")]
    pub fn platform(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        use std::sync::Arc;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config =
            rustls_platform_verifier::Verifier::new(provider.clone()).and_then(|verifier| {
                Ok(rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()?
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
                    .with_no_client_auth())
            });
        match config {
            Ok(config) => builder.use_preconfigured_tls(config),
            Err(error) => {
                tracing::warn!(%error, "the platform's certificate verifier is not available; trusting the web PKI roots");
                builder
            }
        }
    }

    #[cfg(not(target_vendor = "apple"))]
    pub fn platform(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        builder
    }
}
