//! Sign-in, sign-out and the extractors that authorize a request by its bearer
//! token (`tokens`). The role and organization are read from the database
//! on every request, so an admin's change takes effect at once.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use fieldsync_core::model::{Role, Session};
use fieldsync_core::protocol::{LoginRequest, LoginResponse, LoginUser};

use crate::error::{ApiError, JsonBody, Result};
use crate::passwords;
use crate::state::AppState;
use crate::store::users;
use crate::throttle::Attempt;

/// `POST /auth/v1/login`: the password is checked against the user's
/// argon2 hash off the async workers and outside the database lock; an
/// unknown user costs the same (`passwords::verify`). After repeated
/// failures for a username, 429 with `Retry-After` (`throttle`).
pub async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    let LoginRequest { username, password } = req;
    if let Err(wait) = state.throttle.check(&username) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        });
    }
    // Counted as a failure before the check and cleared by a success, so
    // concurrent guesses cannot all pass `check` before any is counted;
    // taken back if no verdict comes (the client went away mid-check).
    let attempt = Attempt::begin(&state.throttle, &username);
    let lookup = username.clone();
    let found = state
        .db
        .read(move |tx| users::credentials(tx, &lookup))
        .await?;
    let (session, stored) = match found {
        Some((session, hash)) => (Some(session), Some(hash)),
        None => (None, None),
    };
    let matches =
        tokio::task::spawn_blocking(move || passwords::verify(stored.as_deref(), &password))
            .await
            .map_err(|e| ApiError::Internal(format!("password check failed: {e}")))?;
    let session = match session {
        Some(session) if matches => session,
        _ => {
            attempt.failed();
            return Err(ApiError::Unauthorized("bad username or password"));
        }
    };
    attempt.succeeded();
    let access_token = state.tokens.issue(&session.user_id);
    Ok(Json(LoginResponse {
        access_token,
        expires_in: state.tokens.ttl().as_secs(),
        user: LoginUser {
            id: session.user_id,
            organization_id: session.organization_id,
            role: session.role,
        },
    }))
}

/// `POST /auth/v1/logout`: revokes the request's bearer token at once.
/// Idempotent: an unknown, expired or already revoked token answers 204
/// too; only a request without a bearer token is refused (401).
pub async fn logout(
    parts: axum::http::HeaderMap,
    State(state): State<AppState>,
) -> Result<StatusCode> {
    let token = bearer(&parts)?;
    state.tokens.revoke(token);
    Ok(StatusCode::NO_CONTENT)
}

/// The bearer token of a request.
fn bearer(headers: &axum::http::HeaderMap) -> Result<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized("a bearer token is required"))
}

/// The signed-in user of a request, as core's `Session`. Extracting it
/// answers 401 without a live bearer token.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Session);

/// 403 unless `session` has one of `roles`.
fn require(session: &Session, roles: &[Role]) -> Result<()> {
    if roles.contains(&session.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "the {} role may not use this endpoint",
            session.role
        )))
    }
}

/// A signed-in admin or manager: the Portal's users. Extracting it answers
/// 401 without a live token and 403 for technicians, before the request
/// body is read.
#[derive(Debug, Clone)]
pub struct Office(pub Session);

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Session);

impl FromRequestParts<AppState> for Office {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let AuthUser(session) = AuthUser::from_request_parts(parts, state).await?;
        require(&session, &[Role::Admin, Role::Manager])?;
        Ok(Office(session))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let AuthUser(session) = AuthUser::from_request_parts(parts, state).await?;
        require(&session, &[Role::Admin])?;
        Ok(Admin(session))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = bearer(&parts.headers)?;
        let user_id = state.tokens.user_of(token).ok_or(ApiError::Unauthorized(
            "the token is unknown, expired or revoked",
        ))?;
        let (session, _) = state
            .db
            .read(move |tx| users::profile(tx, &user_id))
            .await?
            .ok_or(ApiError::Unauthorized("the user no longer exists"))?;
        Ok(AuthUser(session))
    }
}
