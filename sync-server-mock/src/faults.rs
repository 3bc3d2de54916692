//! Fault injection on `/sync/v1/*`, so clients can be tested against the
//! failures real networks and servers produce.
//!
//! Every sync request draws from the fault plan (`fault_plan`) when it
//! arrives; this middleware acts on the draw. `latency_ms` is added to
//! every sync request.
//! Login, Portal and admin endpoints are never faulted, so tests can always
//! configure the server.

use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fieldsync_core::protocol::ErrorBody;
use futures_util::StreamExt;

use crate::auth::Admin;
use crate::error::{ApiError, JsonBody, Result};
use crate::fault_plan::{Fault, FaultConfig, FaultConfigError};
use crate::state::AppState;

/// Marks a faulted response (its value is the fault kind); compression
/// leaves such responses alone so the damage reaches the client as made.
pub const FAULT_HEADER: HeaderName = HeaderName::from_static("x-fault");

/// `GET /admin/v1/faults`
pub async fn get_faults(State(state): State<AppState>, _: Admin) -> Result<Json<FaultConfig>> {
    Ok(Json(state.faults.config()))
}

/// `PUT /admin/v1/faults`: replaces every setting (absent ones are 0).
pub async fn put_faults(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(config): JsonBody<FaultConfig>,
) -> Result<Json<FaultConfig>> {
    config.validate().map_err(|e| {
        let field = match &e {
            FaultConfigError::RateOutOfRange(name) => *name,
            _ => "body",
        };
        ApiError::validation(field, e.to_string())
    })?;
    state.faults.set(config.clone());
    Ok(Json(config))
}

fn injected(status: StatusCode, fault: Fault) -> Response {
    let body = ErrorBody {
        error: "injected_fault".into(),
        field: None,
        reason: Some(format!(
            "fault injected by sync-server-mock: {}",
            fault.name()
        )),
    };
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(FAULT_HEADER, HeaderValue::from_static(fault.name()));
    if matches!(fault, Fault::Unavailable | Fault::RateLimit) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Reads a handled response's body whole, to damage it.
async fn split(response: Response) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    // The handlers' bodies are in memory already; failing to read one is
    // not possible short of a bug, and then an empty body will do.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

/// The middleware: draws a fault for every `/sync/v1/` request.
pub async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/sync/v1/") {
        return next.run(req).await;
    }
    let (fault, latency) = state.faults.draw();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    tracing::debug!(fault = fault.name(), path = %req.uri().path(), "injecting fault");
    match fault {
        Fault::Error => injected(StatusCode::INTERNAL_SERVER_ERROR, fault),
        Fault::Unavailable => injected(StatusCode::SERVICE_UNAVAILABLE, fault),
        Fault::RateLimit => injected(StatusCode::TOO_MANY_REQUESTS, fault),
        Fault::AppliedThenFail => {
            let is_push = req.method() == Method::POST && req.uri().path() == "/sync/v1/mutations";
            let response = next.run(req).await;
            if is_push {
                injected(StatusCode::INTERNAL_SERVER_ERROR, fault)
            } else {
                response
            }
        }
        Fault::Truncate => {
            let (mut parts, bytes) = split(next.run(req).await).await;
            let cut = bytes.slice(..bytes.len() / 2);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, cut.len().into());
            parts
                .headers
                .insert(FAULT_HEADER, HeaderValue::from_static(fault.name()));
            Response::from_parts(parts, Body::from(cut))
        }
        Fault::Drop => {
            let (mut parts, bytes) = split(next.run(req).await).await;
            // Announce the whole body, send half, then fail the stream:
            // hyper aborts the connection mid-body.
            parts
                .headers
                .insert(header::CONTENT_LENGTH, bytes.len().into());
            parts
                .headers
                .insert(FAULT_HEADER, HeaderValue::from_static(fault.name()));
            let half = bytes.slice(..bytes.len() / 2);
            // The pause lets the first part reach the client before the
            // abort, as when a connection dies on the way.
            let failure = async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "fault injected: connection dropped",
                ))
            };
            let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(half)])
                .chain(futures_util::stream::once(failure));
            Response::from_parts(parts, Body::from_stream(stream))
        }
    }
}
