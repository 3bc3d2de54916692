//! What to send and how to apply what comes back. No I/O: these functions
//! take the server's messages and the store's transaction, so they are
//! tested without a server and shared by every platform.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::model::profile::{Cart, CustomerProfile, Transaction};
use crate::model::{
    CustomerSegment, Organization, PicklistValue, RemoteCustomer, Segment, Session,
};
use crate::protocol::{
    ChangeOp, ChangePage, Collection, CustomerSegmentMembership, EntityKind, FeedChange, Mutation,
    MutationOperation, MutationResult, PushRequest, UserProfile,
};
use crate::store::carts::apply_cart_changes;
use crate::store::catalogue::{
    Change, apply_organizations, apply_picklist_changes, apply_segment_changes,
};
use crate::store::customer_segments::{
    apply_customer_segment_changes, apply_customer_segment_memberships, restore_membership,
};
use crate::store::customers::{
    CustomerWriter, apply_customer_changes, mark_accepted, merge_remote, remove_unaccepted,
    restore_fields,
};
use crate::store::outbox::{self, OutboxEntry};
use crate::store::profiles::apply_profile_changes;
use crate::store::purchases::{apply_transaction_changes, customers_ranked_again};
use crate::store::session::apply_user_profile;
use crate::store::sync_state::{self, ConflictRecord};

/// What applying one page did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageOutcome {
    /// Feed entries read, per collection (applied or already up to date).
    pub received: BTreeMap<Collection, u64>,
    /// Collections in which something changed on the device.
    pub changed: Vec<Collection>,
    /// Records the device could not read (invalid or from a newer server);
    /// skipped so that one bad record cannot stall every later sync.
    pub skipped: u64,
}

fn decode<T: DeserializeOwned>(change: &FeedChange) -> Result<T> {
    Ok(change.decode()?)
}

/// Applies one entry; `Ok(true)` if the device changed. Customers, most of
/// a pull, go through the page's `customers` writer.
fn apply_change(
    conn: &Connection,
    change: &FeedChange,
    customers: &mut CustomerWriter<'_>,
) -> Result<bool> {
    let delete = || (change.id.clone(), change.version);
    let rows = match (change.collection, change.op) {
        (Collection::Segments, ChangeOp::Upsert) => {
            apply_segment_changes(conn, &[Change::Upsert(decode::<Segment>(change)?)])?
        }
        (Collection::Segments, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_segment_changes(conn, &[Change::Delete { id, version }])?
        }
        (Collection::PicklistValues, ChangeOp::Upsert) => {
            apply_picklist_changes(conn, &[Change::Upsert(decode::<PicklistValue>(change)?)])?
        }
        (Collection::PicklistValues, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_picklist_changes(conn, &[Change::Delete { id, version }])?
        }
        (Collection::Customers, ChangeOp::Upsert) => {
            customers.merge(decode::<RemoteCustomer>(change)?, false)? as usize
        }
        (Collection::Customers, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_customer_changes(conn, &[Change::Delete { id, version }])?
        }
        (Collection::Organizations, ChangeOp::Upsert) => {
            apply_organizations(conn, &[decode::<Organization>(change)?])?;
            1
        }
        (Collection::UserProfile, ChangeOp::Upsert) => {
            let p: UserProfile = decode(change)?;
            let session = Session::new(p.user_id, p.organization_id, p.role);
            apply_user_profile(conn, &session)? as usize
        }
        (Collection::CustomerSegments, ChangeOp::Upsert) => apply_customer_segment_changes(
            conn,
            &[Change::Upsert(decode::<CustomerSegment>(change)?)],
        )?,
        (Collection::CustomerSegments, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_customer_segment_changes(conn, &[Change::Delete { id, version }])?
        }
        (Collection::CustomerSegmentMembers, ChangeOp::Upsert) => {
            apply_customer_segment_memberships(
                conn,
                &[decode::<CustomerSegmentMembership>(change)?],
            )?
        }
        (Collection::CustomerProfiles, ChangeOp::Upsert) => {
            apply_profile_changes(conn, &[Change::Upsert(decode::<CustomerProfile>(change)?)])?
        }
        (Collection::CustomerProfiles, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_profile_changes(conn, &[Change::Delete { id, version }])?
        }
        (Collection::Transactions, ChangeOp::Upsert) => {
            apply_transaction_changes(conn, &[Change::Upsert(decode::<Transaction>(change)?)])?
        }
        (Collection::Transactions, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_transaction_changes(conn, &[Change::Delete { id, version }])?
        }
        (Collection::Carts, ChangeOp::Upsert) => {
            apply_cart_changes(conn, &[Change::Upsert(decode::<Cart>(change)?)])?
        }
        (Collection::Carts, ChangeOp::Delete) => {
            let (id, version) = delete();
            apply_cart_changes(conn, &[Change::Delete { id, version }])?
        }
        // Memberships are upserts with `member: false`; organizations and
        // profiles are not deleted through the feed; a
        // newer server's collections are not ours to apply.
        (
            Collection::Organizations
            | Collection::UserProfile
            | Collection::CustomerSegmentMembers,
            ChangeOp::Delete,
        )
        | (Collection::Unknown, _) => {
            return Err(Error::CorruptData { what: "feed entry" });
        }
    };
    Ok(rows > 0)
}

/// Applies a page of the feed and stores its cursor, in the caller's
/// transaction: a run stopped at any point resumes after the last applied
/// page, and applying a page again changes nothing.
pub fn apply_pull_page(conn: &Connection, page: &ChangePage) -> Result<PageOutcome> {
    let mut outcome = PageOutcome::default();
    let mut customers = CustomerWriter::new(conn)?;
    for change in &page.changes {
        *outcome.received.entry(change.collection).or_default() += 1;
        match apply_change(conn, change, &mut customers) {
            Ok(true) => {
                if !outcome.changed.contains(&change.collection) {
                    outcome.changed.push(change.collection);
                }
            }
            Ok(false) => {}
            Err(Error::Validation { .. } | Error::Json(_) | Error::CorruptData { .. }) => {
                tracing::warn!(
                    collection = change.collection.code(),
                    seq = change.seq,
                    "skipping a feed record this device cannot read"
                );
                outcome.skipped += 1;
            }
            Err(other) => return Err(other),
        }
    }
    if outcome.changed.contains(&Collection::Customers) {
        customers_ranked_again(conn)?;
    }
    sync_state::save_cursor(conn, &page.cursor)?;
    Ok(outcome)
}

/// The next batch to upload: the oldest pending entries. An update made
/// while its customer was new keeps `base_version: None`: the server reads
/// that as "made on the device before it heard the create was accepted",
/// where the technician could still pick the segment.
pub fn next_push_batch(conn: &Connection, max: usize) -> Result<Vec<OutboxEntry>> {
    outbox::pending(conn, max)
}

pub fn push_request(batch: &[OutboxEntry]) -> PushRequest {
    PushRequest {
        mutations: batch
            .iter()
            .map(|e| Mutation {
                mutation_id: e.mutation_id.clone(),
                entity: e.entity,
                entity_id: e.entity_id.clone(),
                operation: e.operation,
                changes: e.changes.clone(),
                base_version: e.base_version,
            })
            .collect(),
    }
}

/// What the server's answers to one upload did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushOutcome {
    pub applied: u64,
    pub rejected: u64,
    pub conflicts: u64,
    /// Entries of the batch the server did not answer: still pending.
    pub unanswered: u64,
}

/// Applies the server's answers to `batch`, in the caller's transaction.
///
/// - applied: the entry leaves the outbox; the customer is now existing.
/// - rejected: the entry is set aside with the reason, and the customer
///   returns to the server's state (or leaves the device if the server has
///   none); later entries are not blocked.
/// - conflict: the entry leaves the outbox, the losing fields are logged
///   and take the server's values.
pub fn apply_push_results(
    conn: &Connection,
    batch: &[OutboxEntry],
    results: &[MutationResult],
    clock: &dyn Clock,
) -> Result<PushOutcome> {
    let mut outcome = PushOutcome::default();
    for entry in batch {
        let Some(result) = results
            .iter()
            .find(|r| r.mutation_id() == entry.mutation_id)
        else {
            outbox::record_attempt(conn, &entry.mutation_id)?;
            outcome.unanswered += 1;
            continue;
        };
        match result {
            MutationResult::Applied { .. } => outcome.applied += 1,
            MutationResult::Rejected { .. } => outcome.rejected += 1,
            MutationResult::Conflict { .. } => outcome.conflicts += 1,
        }
        match entry.entity {
            EntityKind::Customer => apply_customer_result(conn, entry, result, clock)?,
            EntityKind::CustomerSegmentMember => {
                apply_membership_result(conn, entry, result, clock)?
            }
            // Never queued by this build.
            EntityKind::Unknown => {
                return Err(Error::CorruptData {
                    what: "outbox entity",
                });
            }
        }
    }
    Ok(outcome)
}

/// The server's answer to a customer's create or update.
fn apply_customer_result(
    conn: &Connection,
    entry: &OutboxEntry,
    result: &MutationResult,
    clock: &dyn Clock,
) -> Result<()> {
    match result {
        MutationResult::Applied { version, .. } => {
            outbox::acknowledge(conn, &entry.mutation_id)?;
            mark_accepted(conn, &entry.entity_id, *version)?;
        }
        MutationResult::Rejected {
            rejection, current, ..
        } => {
            outbox::set_aside(conn, &entry.mutation_id, rejection)?;
            match current {
                Some(server) => {
                    merge_remote(conn, server, true)?;
                }
                None if entry.operation == MutationOperation::Create => {
                    remove_unaccepted(conn, &entry.entity_id)?
                }
                None => restore_fields(conn, &entry.entity_id, &entry.previous)?,
            }
        }
        MutationResult::Conflict {
            version,
            conflicts,
            current,
            ..
        } => {
            outbox::acknowledge(conn, &entry.mutation_id)?;
            let now = clock.now();
            for c in conflicts {
                sync_state::record_conflict(
                    conn,
                    &ConflictRecord {
                        mutation_id: entry.mutation_id.clone(),
                        customer_id: entry.entity_id.clone(),
                        field: c.field.clone(),
                        local_value: entry.changes.get(&c.field).cloned().unwrap_or(Value::Null),
                        server_value: c.server_value.clone(),
                        resolved_at: now,
                    },
                )?;
            }
            match current {
                Some(server) => {
                    merge_remote(conn, server, true)?;
                }
                None => {
                    let server_values = conflicts
                        .iter()
                        .map(|c| (c.field.clone(), c.server_value.clone()))
                        .collect();
                    restore_fields(conn, &entry.entity_id, &server_values)?;
                }
            }
            mark_accepted(conn, &entry.entity_id, *version)?;
        }
    }
    Ok(())
}

/// The server's answer to a manager's membership edit: applied, it leaves
/// the outbox (the feed brings the membership back as the server's state);
/// refused, it is set aside and the membership returns to the server's.
fn apply_membership_result(
    conn: &Connection,
    entry: &OutboxEntry,
    result: &MutationResult,
    clock: &dyn Clock,
) -> Result<()> {
    match result {
        MutationResult::Applied { .. } | MutationResult::Conflict { .. } => {
            outbox::acknowledge(conn, &entry.mutation_id)?;
            if let (Some(Value::String(segment_id)), Some(Value::String(customer_id))) = (
                entry.changes.get("segment_id"),
                entry.changes.get("customer_id"),
            ) {
                let member = entry.operation == MutationOperation::AddMember;
                apply_customer_segment_memberships(
                    conn,
                    &[CustomerSegmentMembership {
                        segment_id: segment_id.clone(),
                        customer_id: customer_id.clone(),
                        member,
                    }],
                )?;
            }
        }
        MutationResult::Rejected { rejection, .. } => {
            outbox::set_aside(conn, &entry.mutation_id, rejection)?;
            restore_membership(conn, &entry.entity_id, clock.today())?;
        }
    }
    Ok(())
}
