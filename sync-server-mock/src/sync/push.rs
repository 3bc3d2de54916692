//! `POST /sync/v1/mutations`: a batch of device edits, each answered on its
//! own (applied, rejected, or applied in part with conflicts).
//!
//! Each mutation runs in its own transaction together with the record of
//! its outcome, so a replayed mutation id gets the first outcome back and
//! is never applied twice, even when the answer to the first try was lost.
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
use fieldsync_core::model::{CustomerDraft, Role, Session, validate_id};
use fieldsync_core::store::outbox::Rejection;
use fieldsync_core::sync::protocol::{Mutation, MutationResult, PushRequest, PushResponse};
use fieldsync_core::sync::protocol::{SEGMENT_MEMBER_ENTITY, SegmentMembership};
use fieldsync_core::{Entity, Error as CoreError, ReferenceProblem, ValidationReason};
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::AuthUser;
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::customer_segments;
use crate::store::customers::{self, UpdateRequest};
use crate::store::mutations;

/// Most mutations accepted in one request.
pub const MAX_BATCH: usize = 500;

/// The entity of customer creates and updates; the other one devices push
/// is `SEGMENT_MEMBER_ENTITY` (static customer segment memberships).
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
    if m.entity == SEGMENT_MEMBER_ENTITY {
        return apply_membership(conn, user, m);
    }
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
/// "customer_id"}` and entity id `segment_id/customer_id`. Technicians are
/// refused (`permission`); the segment must be live, in scope of the
/// user's organization (`unknown_reference`) and static (`validation`,
/// `DefinedByConditions`); the customer must be one of the user's
/// organization (`not_found`). Applied answers the membership's version.
fn apply_membership(conn: &Connection, user: &Session, m: &Mutation) -> Result<MutationResult> {
    if user.role == Role::Technician {
        return Err(ApiError::RuleAt {
            field: "segment_id".into(),
            error: CoreError::NotPermitted {
                action: "put customers in or take them out of a customer segment",
            },
        });
    }
    let member = match m.operation.as_str() {
        "add_member" => true,
        "remove_member" => false,
        _ => {
            return Err(ApiError::invalid(
                "operation",
                ValidationReason::UnknownCode,
            ));
        }
    };
    let segment_id = membership_field(m, "segment_id")?;
    let customer_id = membership_field(m, "customer_id")?;
    if m.entity_id != SegmentMembership::key(segment_id, customer_id) {
        return Err(ApiError::invalid("entity_id", ValidationReason::Malformed));
    }
    let unavailable = |problem| {
        ApiError::Rule(CoreError::UnavailableReference {
            field: "segment_id",
            id: segment_id.to_owned(),
            problem,
        })
    };
    let segment = match customer_segments::get(conn, segment_id)? {
        None => return Err(unavailable(ReferenceProblem::Unknown)),
        Some(s) if s.deleted => return Err(unavailable(ReferenceProblem::Deleted)),
        Some(s) if !s.segment.scope.covers(&user.organization_id) => {
            return Err(unavailable(ReferenceProblem::OutOfScope));
        }
        Some(s) => s.segment,
    };
    customer_segments::require_static(&segment, "segment_id")?;
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
