//! The server's error type and its JSON form.
//!
//! Every error answer has the body `{"error": code, "field"?: path,
//! "reason": text}` so clients (and the OpenAPI document) deal with one
//! shape. Validation problems keep the field path and reason that
//! fieldsync-core produced, so the device and the server word them alike.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fieldsync_core::Error as CoreError;
use serde::Serialize;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, an unknown one, an expired one, or bad credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),

    /// Signed in, but the role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),

    #[error("{0} not found")]
    NotFound(String),

    /// Bad input, named by field path (`name.nl`, `changes.colour`...).
    #[error("invalid {field}: {reason}")]
    Validation { field: String, reason: String },

    /// A segment or picklist value that is unknown, deleted or out of scope.
    #[error("unknown reference {field}: {reason}")]
    UnknownReference { field: String, reason: String },

    /// A request the server cannot read at all (bad cursor, bad JSON...).
    #[error("bad request: {reason}")]
    BadRequest {
        field: Option<String>,
        reason: String,
    },

    #[error("payload too large: {0}")]
    PayloadTooLarge(String),

    /// A failure of the server itself; the message is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    pub reason: String,
}

impl ApiError {
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn bad_request(field: Option<&str>, reason: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation { .. } | ApiError::UnknownReference { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` code of the body; also the `code` of a rejected mutation
    /// for the kinds a mutation can be rejected with.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "permission",
            ApiError::NotFound(_) => "not_found",
            ApiError::Validation { .. } => "validation",
            ApiError::UnknownReference { .. } => "unknown_reference",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Validation { field, .. } | ApiError::UnknownReference { field, .. } => {
                Some(field)
            }
            ApiError::BadRequest { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The human-readable reason. Internal errors say nothing of their
    /// cause: it may hold customer data.
    pub fn reason(&self) -> String {
        match self {
            ApiError::Unauthorized(r) => (*r).to_owned(),
            ApiError::Forbidden(r) => r.clone(),
            ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::Validation { reason, .. }
            | ApiError::UnknownReference { reason, .. }
            | ApiError::BadRequest { reason, .. } => reason.clone(),
            ApiError::PayloadTooLarge(r) => r.clone(),
            ApiError::Internal(_) => "internal server error".to_owned(),
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Validation { field, reason } => ApiError::Validation {
                field,
                reason: reason.to_string(),
            },
            CoreError::SegmentReadOnly { .. } => ApiError::Forbidden(err.to_string()),
            CoreError::UnavailableReference { field, .. } => ApiError::UnknownReference {
                field: field.to_owned(),
                reason: err.to_string(),
            },
            CoreError::NotFound { entity, id } => ApiError::NotFound(format!("{entity} {id}")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::Internal(format!("storage: {err}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        ApiError::Internal(format!("json: {err}"))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            // Well-formed JSON of the wrong shape: the client's data is
            // invalid, which is what 422 says everywhere else.
            JsonRejection::JsonDataError(e) => ApiError::validation("body", e.body_text()),
            // Above axum's body size limit.
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(other.body_text())
            }
            other => ApiError::bad_request(Some("body"), other.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let code = match &self {
            // On the HTTP level a refused role is "forbidden"; "permission"
            // is the word of a rejected mutation.
            ApiError::Forbidden(_) => "forbidden",
            other => other.code(),
        };
        let body = ErrorBody {
            error: code,
            field: self.field(),
            reason: self.reason(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A JSON request body whose rejections answer in the error shape above
/// rather than axum's plain-text ones.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);
