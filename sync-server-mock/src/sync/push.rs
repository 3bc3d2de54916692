//! `POST /sync/v1/mutations`: a batch of device edits, each answered on its
//! own (applied, rejected, or applied in part with conflicts).
//!
//! A batch runs in one transaction, each mutation in a savepoint together
//! with the record of its outcome, so a replayed mutation id gets the first
//! outcome back and is never applied twice, even when the answer to the
//! first try was lost.
//!
//! Besides customers, managers and admins push the members of static
//! customer segments (entity `customer_segment_member`).
//!
//! Rejections and conflicts of customer mutations carry `current`, the customer as the server has
//! it after the mutation (when the user may see it), so the device can
//! return to the server's state at once.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use fieldsync_core::model::{CustomerDraft, Session, validate_id};
use fieldsync_core::protocol::{
    CustomerSegmentMembership, EntityKind, Mutation, MutationOperation, MutationResult,
    PushRequest, PushResponse, Rejection,
};
use fieldsync_core::rules::{self, CatalogueEntryState};
use fieldsync_core::{Entity, Error as CoreError, ValidationReason};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::AuthUser;
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::customer_segments;
use crate::store::customers::{self, UpdateRequest};
use crate::store::mutations;

/// Most mutations accepted in one request: the device's own bound.
pub const MAX_BATCH: usize = fieldsync_core::sync::MAX_PUSH_BATCH_SIZE;

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
    // One transaction and one trip to the database thread for the batch;
    // each mutation runs in a savepoint with the record of its outcome.
    let results = state
        .db
        .write(move |tx| {
            req.mutations
                .iter()
                .map(|m| run_once(tx, &user, m))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    Ok(Json(PushResponse { results }))
}

/// The stored outcome of a replay, or the outcome of applying `m` now,
/// stored with it. A refused mutation leaves nothing of itself behind but
/// its outcome; the server's own failure fails the request (its
/// transaction rolls back and the device retries the batch).
fn run_once(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    if m.mutation_id.trim().is_empty() {
        // Without an id there is nothing to remember the outcome by.
        let blank = ApiError::invalid("mutation_id", ValidationReason::Blank);
        return rejected(conn, user, m, &blank);
    }
    if let Some(first) = mutations::outcome(conn, &m.mutation_id)? {
        return Ok(first);
    }
    conn.execute_batch("SAVEPOINT mutation")?;
    let outcome = match apply(conn, user, m) {
        Ok(outcome) => outcome,
        Err(e @ ApiError::Internal(_)) => return Err(e),
        Err(e) => {
            conn.execute_batch("ROLLBACK TO mutation")?;
            rejected(conn, user, m, &e)?
        }
    };
    mutations::remember(conn, &m.mutation_id, &user.user_id, &outcome)?;
    conn.execute_batch("RELEASE mutation")?;
    Ok(outcome)
}

/// `m` refused for `err`, with the customer as the server has it.
fn rejected(
    conn: &Connection,
    user: &Session,
    m: &Mutation,
    err: &ApiError,
) -> Result<MutationResult> {
    let current = if m.entity == EntityKind::Customer {
        customers::visible_customer(conn, &m.entity_id, &user.organization_id)?
    } else {
        None
    };
    Ok(MutationResult::Rejected {
        mutation_id: m.mutation_id.clone(),
        rejection: Rejection {
            code: err.rejection_code(),
            field: err.field().map(str::to_owned),
            reason: err.reason(),
        },
        current,
    })
}

fn apply(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    match m.entity {
        EntityKind::Customer => apply_customer(conn, user, m),
        EntityKind::CustomerSegmentMember => apply_membership(conn, user, m),
        EntityKind::Unknown => Err(ApiError::invalid("entity", ValidationReason::UnknownCode)),
    }
}

fn apply_customer(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    validate_id("entity_id", &m.entity_id)?;
    let now = Utc::now();
    let mutation_id = m.mutation_id.clone();
    match m.operation {
        MutationOperation::Create => {
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
        MutationOperation::Update => {
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
        MutationOperation::AddMember
        | MutationOperation::RemoveMember
        | MutationOperation::Unknown => Err(ApiError::invalid(
            "operation",
            ValidationReason::UnknownCode,
        )),
    }
}

/// A text field of a membership mutation's changes.
fn membership_field<'a>(m: &'a Mutation, field: &str) -> Result<&'a str> {
    match m.changes.get(field) {
        Some(Value::String(v)) => {
            validate_id(field, v)?;
            Ok(v)
        }
        None | Some(Value::Null) => Err(ApiError::invalid(field, ValidationReason::Blank)),
        Some(_) => Err(ApiError::invalid(field, ValidationReason::Malformed)),
    }
}

/// A manager's or admin's change to a static customer segment on the
/// device: `add_member` / `remove_member` with changes `{"segment_id",
/// "customer_id"}` and entity id `segment_id/customer_id`. The segment must
/// be live and in scope of the user's organization (`unknown_reference`);
/// then core's rule decides, as on the device: technicians are refused
/// (`permission`) and only static segments are edited (`validation`,
/// `DefinedByConditions`). The customer must be one of the user's
/// organization (`not_found`). Applied answers the membership's version.
fn apply_membership(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    let member = match m.operation {
        MutationOperation::AddMember => true,
        MutationOperation::RemoveMember => false,
        _ => {
            return Err(ApiError::invalid(
                "operation",
                ValidationReason::UnknownCode,
            ));
        }
    };
    let segment_id = membership_field(m, "segment_id")?;
    let customer_id = membership_field(m, "customer_id")?;
    if m.entity_id != CustomerSegmentMembership::key(segment_id, customer_id) {
        return Err(ApiError::invalid("entity_id", ValidationReason::Malformed));
    }
    let stored = customer_segments::get(conn, segment_id)?;
    let state = stored.as_ref().map(|s| CatalogueEntryState {
        scope: s.segment.scope.clone(),
        deleted: s.deleted,
    });
    rules::check_reference(
        "segment_id",
        segment_id,
        state.as_ref(),
        &user.organization_id,
    )?;
    let segment = stored
        .map(|s| s.segment)
        .ok_or_else(|| ApiError::Internal("a checked segment disappeared".into()))?;
    rules::check_static_membership_edit(user.role, segment.kind).map_err(|error| match error {
        // The refusal names the field the device sent, as every rule does.
        error @ CoreError::NotPermitted { .. } => ApiError::RuleAt {
            field: "segment_id".into(),
            error,
        },
        other => ApiError::Rule(other),
    })?;
    let customer = customers::visible_customer(conn, customer_id, &user.organization_id)?
        .filter(|c| !c.deleted)
        .ok_or_else(|| {
            ApiError::Rule(CoreError::NotFound {
                entity: Entity::Customer,
                id: customer_id.to_owned(),
            })
        })?;
    let (_, version) = customer_segments::set_member(conn, segment_id, &customer, member)?;
    Ok(MutationResult::Applied {
        mutation_id: m.mutation_id.clone(),
        version,
    })
}
