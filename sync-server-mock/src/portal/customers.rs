//! Office-side customers (`/portal/v1/customers`): create and edit,
//! including the segment, so tests can provoke conflicts with devices.
//!
//! Bodies use the field form of sync pushes (`{"name": .., "segment_id":
//! ..}`), read by core's `CustomerDraft::from_changes` /
//! `CustomerUpdate::from_changes`. Admins work on every organization,
//! managers on their own (other organizations' customers are not found).
//! Office edits win over device edits: they carry no base version.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{CustomerDraft, RemoteCustomer, Role, Session};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::new_id;
use crate::auth::{AuthUser, Office};
use crate::error::{ApiError, JsonBody, QueryParams, Result};
use crate::state::AppState;
use crate::store::customers::{self as store, UpdateRequest};

/// The organization whose customers `user` may see, `None` for all.
pub(crate) fn visible_to(user: &Session) -> Option<String> {
    (user.role != Role::Admin).then(|| user.organization_id.clone())
}

/// Refuses to put a customer into an organization the user does not run.
fn check_target_org(user: &Session, org: &str) -> Result<()> {
    match visible_to(user) {
        Some(own) if own != org => Err(ApiError::Forbidden(format!(
            "a {} works on the customers of their own organization only",
            user.role
        ))),
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub organization_id: Option<String>,
}

/// `GET /portal/v1/customers[?organization_id=..]`
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Vec<RemoteCustomer>>> {
    let org = match visible_to(&user) {
        Some(own) => {
            if let Some(asked) = &q.organization_id {
                check_target_org(&user, asked)?;
            }
            Some(own)
        }
        None => q.organization_id,
    };
    Ok(Json(
        state
            .db
            .read(move |tx| store::list_customers(tx, org.as_deref()))
            .await?,
    ))
}

/// `POST /portal/v1/customers`: the fields, plus an optional `id` (a new
/// one is made when absent) and `organization_id` (default: the user's).
pub async fn create(
    State(state): State<AppState>,
    Office(user): Office,
    JsonBody(mut body): JsonBody<Map<String, Value>>,
) -> Result<(StatusCode, Json<RemoteCustomer>)> {
    let id = match body.remove("id") {
        None | Some(Value::Null) => new_id("cust"),
        Some(Value::String(id)) => id,
        Some(_) => {
            return Err(ApiError::invalid("id", ValidationReason::Malformed));
        }
    };
    let (draft, org) = CustomerDraft::from_changes(&body)?;
    let org = org.unwrap_or_else(|| user.organization_id.clone());
    check_target_org(&user, &org)?;
    let customer = state
        .db
        .write(move |tx| store::create_customer(tx, &user, "id", &id, draft, &org, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(customer)))
}

/// `GET /portal/v1/customers/{id}`
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RemoteCustomer>> {
    let org = visible_to(&user);
    let found = {
        let id = id.clone();
        state
            .db
            .read(move |tx| store::get_customer(tx, &id))
            .await?
    };
    found
        .filter(|c| org.as_deref().is_none_or(|o| o == c.organization_id))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))
}

/// `PUT /portal/v1/customers/{id}`: a partial update; `organization_id`
/// moves the customer (admins only, or a manager to their own).
pub async fn update(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
    JsonBody(mut changes): JsonBody<Map<String, Value>>,
) -> Result<Json<RemoteCustomer>> {
    let move_to = match changes.remove("organization_id") {
        None => None,
        Some(Value::String(org)) => {
            check_target_org(&user, &org)?;
            Some(org)
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "organization_id",
                ValidationReason::Malformed,
            ));
        }
    };
    let outcome = state
        .db
        .write(move |tx| {
            let own = visible_to(&user);
            let req = UpdateRequest {
                id: &id,
                changes,
                base_version: None,
                visible_to: own.as_deref(),
                move_to,
                made_while_new: false,
            };
            store::update_customer(tx, &user, req, Utc::now())
        })
        .await?;
    Ok(Json(outcome.customer))
}
