//! The server's error type and its JSON form.
//!
//! Every error answer has the body of the protocol's `ErrorBody`
//! (`{"error": code, "field": path or null, "reason": text}`) so clients
//! (and the OpenAPI document) deal with one shape. Problems found by
//! fieldsync-core's rules keep core's code, field path and reason, so the
//! device and the server word them alike.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fieldsync_core::protocol::{ErrorBody, RejectionCode};
use fieldsync_core::{Error as CoreError, ValidationReason};

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

    /// Refused by one of fieldsync-core's rules: validation, the segment
    /// rule, an unavailable reference, a missing entity. Code, field and
    /// reason are core's.
    #[error(transparent)]
    Rule(CoreError),

    /// Bad input in the server's own words (an id taken, an unknown
    /// organization), named by field path.
    #[error("invalid {field}: {reason}")]
    Validation { field: String, reason: String },

    /// A request the server cannot read at all (bad cursor, bad JSON...).
    #[error("bad request: {reason}")]
    BadRequest {
        field: Option<String>,
        reason: String,
    },

    /// Too many failed logins for a username: try again after
    /// `retry_after_secs` (sent as `Retry-After`).
    #[error("too many requests: retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },

    #[error("payload too large: {0}")]
    PayloadTooLarge(String),

    /// Refused because something else still uses the entity (409), e.g. a
    /// customer segment other segments' criteria include.
    #[error("in use: {0}")]
    InUse(String),

    /// A refusal by one of core's rules about a field core's error does not
    /// name (e.g. `NotPermitted` about `segment_id`).
    #[error("{field}: {error}")]
    RuleAt { field: String, error: CoreError },

    /// A failure of the server itself; the message is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A validation error in core's vocabulary.
    pub fn invalid(field: impl Into<String>, reason: ValidationReason) -> Self {
        ApiError::Rule(CoreError::invalid(field, reason))
    }

    pub fn bad_request(field: Option<&str>, reason: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.code() {
            "unauthorized" => StatusCode::UNAUTHORIZED,
            "permission" => StatusCode::FORBIDDEN,
            "not_found" => StatusCode::NOT_FOUND,
            "validation" | "unknown_reference" => StatusCode::UNPROCESSABLE_ENTITY,
            "bad_request" => StatusCode::BAD_REQUEST,
            "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_requests" => StatusCode::TOO_MANY_REQUESTS,
            "in_use" => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` code of the body; also the `code` of a rejected mutation
    /// for the kinds a mutation can be rejected with.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "permission",
            ApiError::NotFound(_) => "not_found",
            ApiError::Rule(e) => e.code(),
            ApiError::Validation { .. } => "validation",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::InUse(_) => "in_use",
            ApiError::RuleAt { error, .. } => error.code(),
            ApiError::Internal(_) => "internal",
        }
    }

    /// The kind of a refused mutation, from [`Self::code`]: what the
    /// device sets the change aside with.
    pub fn rejection_code(&self) -> RejectionCode {
        match self.code() {
            "permission" => RejectionCode::Permission,
            "not_found" => RejectionCode::NotFound,
            "unknown_reference" => RejectionCode::UnknownReference,
            _ => RejectionCode::Validation,
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Rule(e) => e.field(),
            ApiError::Validation { field, .. } => Some(field),
            ApiError::BadRequest { field, .. } => field.as_deref(),
            ApiError::RuleAt { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The human-readable reason. Internal errors say nothing of their
    /// cause: it may hold customer data.
    pub fn reason(&self) -> String {
        match self {
            ApiError::Unauthorized(r) => (*r).to_owned(),
            ApiError::Forbidden(r) | ApiError::PayloadTooLarge(r) | ApiError::InUse(r) => r.clone(),
            ApiError::NotFound(what) => format!("{what} not found"),
            // The field is named apart; the reason alone reads as core's.
            ApiError::Rule(CoreError::Validation { reason, .. }) => reason.to_string(),
            ApiError::Rule(e) => e.to_string(),
            ApiError::RuleAt {
                error: CoreError::Validation { reason, .. },
                ..
            } => reason.to_string(),
            ApiError::RuleAt { error, .. } => error.to_string(),
            ApiError::Validation { reason, .. } | ApiError::BadRequest { reason, .. } => {
                reason.clone()
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("too many failed logins; try again in {retry_after_secs} seconds")
            }
            ApiError::Internal(_) => "internal server error".to_owned(),
        }
    }

    /// The JSON body of this error, `error` being `code`.
    pub fn body(&self, code: &str) -> ErrorBody {
        ErrorBody {
            error: code.to_owned(),
            field: self.field().map(str::to_owned),
            reason: Some(self.reason()),
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err.code() {
            "validation" | "permission" | "unknown_reference" | "not_found" => ApiError::Rule(err),
            _ => ApiError::Internal(err.to_string()),
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
            let cause = redact(cause);
            tracing::error!(%cause, "request failed");
        }
        let code = match self.code() {
            // On the HTTP level a refused role is "forbidden"; "permission"
            // is the word of a rejected mutation.
            "permission" => "forbidden",
            other => other,
        };
        let body = self.body(code);
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests { retry_after_secs } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response
    }
}

/// A query string that does not parse answers 400 in the error shape above,
/// naming the query, rather than axum's plain-text rejection.
impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(Some("query"), rejection.body_text())
    }
}

/// Query parameters whose rejections answer in the error shape above.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);

/// `text` with what is quoted in it (`"..."`, `` `...` ``) replaced by
/// `…`: a decoder's or the database's message may quote the data it
/// choked on, which may be a customer's, and logs hold no customer data.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<char> = None;
    for c in text.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    open = Some(c);
                }
            }
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// A JSON request body whose rejections answer in the error shape above
/// rather than axum's plain-text ones.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

#[cfg(test)]
mod tests {
    use fieldsync_core::ReferenceProblem;

    use super::*;

    #[test]
    fn redaction_hides_quoted_data() {
        assert_eq!(
            redact(r#"json: invalid type: string "Bakkerij Janssens", expected `i64` at"#),
            r#"json: invalid type: string "…", expected `…` at"#
        );
        assert_eq!(redact("storage: no such table"), "storage: no such table");
        assert_eq!(redact("cut \"off"), "cut \"…");
    }

    #[test]
    fn core_errors_keep_their_code_field_and_reason() {
        let cases = [
            (
                CoreError::invalid("name.nl", ValidationReason::TooLong { max_chars: 200 }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                Some("name.nl"),
                "must be at most 200 characters",
            ),
            (
                CoreError::SegmentReadOnly {
                    customer_id: "c1".into(),
                },
                StatusCode::FORBIDDEN,
                "permission",
                Some("segment_id"),
                "the segment of existing customer c1 is read-only for technicians; ask a manager or an admin",
            ),
            (
                CoreError::UnavailableReference {
                    field: "status_id",
                    id: "s1".into(),
                    problem: ReferenceProblem::Deleted,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_reference",
                Some("status_id"),
                "status_id s1 has been deleted",
            ),
            (
                CoreError::NotFound {
                    entity: fieldsync_core::Entity::Customer,
                    id: "c2".into(),
                },
                StatusCode::NOT_FOUND,
                "not_found",
                None,
                "customer c2 not found",
            ),
        ];
        for (core, status, code, field, reason) in cases {
            let err = ApiError::from(core);
            assert_eq!(err.status(), status, "{err}");
            assert_eq!(err.code(), code);
            assert_eq!(err.field(), field);
            assert_eq!(err.reason(), reason);
        }
        // Core's own failures are the server's, not the client's.
        let err = ApiError::from(CoreError::CorruptData { what: "role" });
        assert!(matches!(err, ApiError::Internal(_)));
        assert_eq!(err.reason(), "internal server error");
    }
}
