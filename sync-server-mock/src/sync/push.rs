//! `POST /sync/v1/mutations`: a batch of device edits, each answered on its
//! own (applied, rejected, or applied in part with conflicts).
//!
//! Each mutation runs in its own transaction together with the record of
//! its outcome, so a replayed mutation id gets the first outcome back and
//! is never applied twice, even when the answer to the first try was lost.
//!
//! Rejections and conflicts carry `current`, the customer as the server has
//! it after the mutation (when the user may see it), so the device can
//! return to the server's state at once.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{CustomerDraft, Session, validate_id};
use fieldsync_core::store::outbox::Rejection;
use fieldsync_core::sync::protocol::{Mutation, MutationResult, PushRequest, PushResponse};
use rusqlite::Connection;

use crate::auth::AuthUser;
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::customers::{self, UpdateRequest};
use crate::store::mutations;

/// Most mutations accepted in one request.
pub const MAX_BATCH: usize = 500;

/// The only entity devices push.
const CUSTOMER: &str = "customer";

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
fn run_once(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    if m.mutation_id.trim().is_empty() {
        // Without an id there is nothing to remember the outcome by.
        let blank = ApiError::invalid("mutation_id", ValidationReason::Blank);
        return rejected(conn, user, m, &blank);
    }
    if let Some(first) = mutations::outcome(conn, &m.mutation_id)? {
        return Ok(first);
    }
    let outcome = match apply(conn, user, m) {
        Ok(outcome) => outcome,
        // The server's own failures are not the mutation's outcome: the
        // transaction rolls back and the device retries.
        Err(e @ ApiError::Internal(_)) => return Err(e),
        Err(e) => rejected(conn, user, m, &e)?,
    };
    mutations::remember(conn, &m.mutation_id, &user.user_id, &outcome)?;
    Ok(outcome)
}

/// `m` refused for `err`, with the customer as the server has it.
fn rejected(
    conn: &Connection,
    user: &Session,
    m: &Mutation,
    err: &ApiError,
) -> Result<MutationResult> {
    let code = match err.code() {
        code @ ("permission" | "not_found" | "unknown_reference") => code,
        _ => "validation",
    };
    let current = if m.entity == CUSTOMER {
        customers::visible_customer(conn, &m.entity_id, &user.organization_id)?
    } else {
        None
    };
    Ok(MutationResult::Rejected {
        mutation_id: m.mutation_id.clone(),
        rejection: Rejection {
            code: code.to_owned(),
            field: err.field().map(str::to_owned),
            reason: err.reason(),
        },
        current,
    })
}

fn apply(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    if m.entity != CUSTOMER {
        return Err(ApiError::invalid("entity", ValidationReason::UnknownCode));
    }
    validate_id("entity_id", &m.entity_id)?;
    let now = Utc::now();
    let mutation_id = m.mutation_id.clone();
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
            Ok(MutationResult::Applied {
                mutation_id,
                version: created.version,
            })
        }
        "update" => {
            // `base_version: null` marks a change the device made while the
            // customer was still new to it (before it heard its create was
            // accepted): see `UpdateRequest::made_while_new`.
            let req = UpdateRequest {
                id: &m.entity_id,
                changes: m.changes.clone(),
                base_version: Some(m.base_version.unwrap_or(1)),
                visible_to: Some(&user.organization_id),
                move_to: None,
                made_while_new: m.base_version.is_none(),
            };
            let outcome = customers::update_customer(conn, user, req, now)?;
            let version = outcome.customer.version;
            Ok(if outcome.conflicts.is_empty() {
                MutationResult::Applied {
                    mutation_id,
                    version,
                }
            } else {
                MutationResult::Conflict {
                    mutation_id,
                    version,
                    conflicts: outcome.conflicts,
                    current: Some(outcome.customer),
                }
            })
        }
        _ => Err(ApiError::invalid(
            "operation",
            ValidationReason::UnknownCode,
        )),
    }
}
