//! `GET /portal/v1/organizations`: the organizations a user works in, for
//! the Organization dropdowns of the Portal's forms.

use axum::Json;
use axum::extract::State;
use fieldsync_core::model::Role;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::error::Result;
use crate::state::AppState;
use crate::store::organizations;

/// One organization as the forms offer it.
#[derive(Debug, Serialize)]
pub struct Organization {
    pub id: String,
    /// The language labels fall back to in this organization.
    pub default_language: Option<String>,
}

/// Every organization for an admin; the user's own for anyone else.
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Organization>>> {
    let mut list: Vec<Organization> = state
        .db
        .read(|tx| organizations(tx))
        .await?
        .into_iter()
        .map(|(id, default_language)| Organization {
            id,
            default_language,
        })
        .collect();
    if user.role != Role::Admin {
        list.retain(|o| o.id == user.organization_id);
    }
    Ok(Json(list))
}
