//! `POST /sync/v1/mutations`: a batch of device edits, each answered on its
//! own (applied, rejected, or applied in part with conflicts).
//!
//! Each mutation runs in its own transaction together with the record of
//! its outcome, so a replayed mutation id gets the first outcome back and
//! is never applied twice, even when the answer to the first try was lost.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{CustomerDraft, Session, validate_id};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::AuthUser;
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::customers::{self, FieldConflict, UpdateRequest};
use crate::store::mutations;

/// Most mutations accepted in one request.
pub const MAX_BATCH: usize = 500;

#[derive(Debug, Clone, Deserialize)]
pub struct Mutation {
    pub mutation_id: String,
    pub entity: String,
    pub entity_id: String,
    pub operation: String,
    #[serde(default)]
    pub changes: Map<String, Value>,
    #[serde(default)]
    pub base_version: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct PushRequest {
    pub mutations: Vec<Mutation>,
}

/// The outcome of one mutation, as answered and as stored for replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Applied {
        mutation_id: String,
        version: i64,
    },
    Rejected {
        mutation_id: String,
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        reason: String,
    },
    /// The fields not listed were applied; `version` is the customer's
    /// version afterwards.
    Conflict {
        mutation_id: String,
        version: i64,
        conflicts: Vec<FieldConflict>,
    },
}

#[derive(Debug, Serialize)]
pub struct PushResponse {
    pub results: Vec<Outcome>,
}

pub async fn mutations(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    JsonBody(req): JsonBody<PushRequest>,
) -> Result<Json<PushResponse>> {
    if req.mutations.len() > MAX_BATCH {
        return Err(ApiError::PayloadTooLarge(format!(
            "at most {MAX_BATCH} mutations per request"
        )));
    }
    let mut results = Vec::with_capacity(req.mutations.len());
    for m in req.mutations {
        let user = user.clone();
        results.push(state.db.write(move |tx| run_once(tx, &user, &m)).await?);
    }
    Ok(Json(PushResponse { results }))
}

/// The stored outcome of a replay, or the outcome of applying `m` now
/// (stored before the transaction commits).
fn run_once(conn: &Connection, user: &Session, m: &Mutation) -> Result<Outcome> {
    if m.mutation_id.trim().is_empty() {
        // Without an id there is nothing to remember the outcome by.
        return Ok(Outcome::Rejected {
            mutation_id: m.mutation_id.clone(),
            code: "validation".into(),
            field: Some("mutation_id".into()),
            reason: ValidationReason::Blank.to_string(),
        });
    }
    if let Some(first) = mutations::outcome(conn, &m.mutation_id)? {
        return Ok(first);
    }
    let outcome = match apply(conn, user, m) {
        Ok(outcome) => outcome,
        // The server's own failures are not the mutation's outcome: the
        // transaction rolls back and the device retries.
        Err(e @ ApiError::Internal(_)) => return Err(e),
        Err(e) => Outcome::Rejected {
            mutation_id: m.mutation_id.clone(),
            code: match e.code() {
                code @ ("permission" | "not_found" | "unknown_reference") => code,
                _ => "validation",
            }
            .to_owned(),
            field: e.field().map(str::to_owned),
            reason: e.reason(),
        },
    };
    mutations::remember(conn, &m.mutation_id, &user.user_id, &outcome)?;
    Ok(outcome)
}

fn apply(conn: &Connection, user: &Session, m: &Mutation) -> Result<Outcome> {
    if m.entity != "customer" {
        return Err(ApiError::validation(
            "entity",
            ValidationReason::UnknownCode.to_string(),
        ));
    }
    validate_id("entity_id", &m.entity_id)?;
    let now = Utc::now();
    match m.operation.as_str() {
        "create" => {
            let (draft, org) = CustomerDraft::from_changes(&m.changes)?;
            if org.as_ref().is_some_and(|o| *o != user.organization_id) {
                return Err(ApiError::Forbidden(
                    "customers are created in the user's own organization".into(),
                ));
            }
            let created = customers::create_customer(
                conn,
                user,
                "entity_id",
                &m.entity_id,
                draft,
                &user.organization_id,
                now,
            )?;
            Ok(Outcome::Applied {
                mutation_id: m.mutation_id.clone(),
                version: created.version,
            })
        }
        "update" => {
            let base_version = m.base_version.ok_or_else(|| {
                ApiError::validation("base_version", ValidationReason::Blank.to_string())
            })?;
            let req = UpdateRequest {
                id: &m.entity_id,
                changes: m.changes.clone(),
                base_version: Some(base_version),
                visible_to: Some(&user.organization_id),
                move_to: None,
            };
            let outcome = customers::update_customer(conn, user, req, now)?;
            let mutation_id = m.mutation_id.clone();
            let version = outcome.customer.version;
            Ok(if outcome.conflicts.is_empty() {
                Outcome::Applied {
                    mutation_id,
                    version,
                }
            } else {
                Outcome::Conflict {
                    mutation_id,
                    version,
                    conflicts: outcome.conflicts,
                }
            })
        }
        _ => Err(ApiError::validation(
            "operation",
            ValidationReason::UnknownCode.to_string(),
        )),
    }
}
