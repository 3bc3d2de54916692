//! `PUT /portal/v1/users/{id}`: an admin changes a user's role and
//! organization; the user's devices see it as a `profile` change.

use axum::Json;
use axum::extract::{Path, State};
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{Role, Session, validate_id};
use serde::Deserialize;

use crate::auth::Admin;
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::users;

#[derive(Debug, Deserialize)]
pub struct ProfileChange {
    pub role: Option<String>,
    pub organization_id: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<ProfileChange>,
) -> Result<Json<Session>> {
    let blank = |field: &str| ApiError::invalid(field, ValidationReason::Blank);
    let role = Role::from_code(change.role.as_deref().ok_or_else(|| blank("role"))?)?;
    let org = change
        .organization_id
        .ok_or_else(|| blank("organization_id"))?;
    validate_id("organization_id", &org)?;
    let (session, _) = state
        .db
        .write(move |tx| users::update_profile(tx, &id, role, &org))
        .await?;
    Ok(Json(session))
}
