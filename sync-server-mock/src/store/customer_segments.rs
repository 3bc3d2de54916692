//! Customer segments (marketing groups of customers) and their static
//! memberships.
//!
//! Definitions are core's `CustomerSegment`, validated by core's
//! `CustomerSegmentDraft` before they get here; this module adds what needs
//! the other segments: `in_segment` references must name a live customer
//! segment, and no segment may include itself through others (core's
//! `inclusion_cycle` / `cycle_error`). Deleting keeps a tombstone with a new
//! version; a segment other live segments include cannot be deleted (409).
//!
//! Memberships of static segments are kept per (segment, customer) as their
//! latest state: a customer taken out stays as `member = 0`, so the feed
//! sends `member: false` as an upsert, never a delete.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use fieldsync_core::ValidationReason;
use fieldsync_core::model::criteria::Criteria;
use fieldsync_core::model::{
    CustomerSegment, CustomerSegmentDefinition, CustomerSegmentKind, OrgScope, RemoteCustomer,
    cycle_error, inclusion_cycle,
};
use fieldsync_core::protocol::CustomerSegmentMembership;
use fieldsync_core::sync::Collection;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::catalogue::{check_scope, record_scope_change};
use super::{all_rows, next_seq};
use crate::error::{ApiError, Result};

const COLUMNS: &str = "id, organization, name, note, priority, kind, flexi, tags, criteria, version, updated_at, deleted";

/// A stored customer segment: core's form and whether it is a tombstone.
#[derive(Clone, Debug)]
pub struct Stored {
    pub segment: CustomerSegment,
    pub deleted: bool,
}

fn corrupt(what: &'static str) -> impl Fn(String) -> rusqlite::Error {
    move |e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, {
            format!("stored {what} is invalid: {e}").into()
        })
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Stored> {
    let kind: String = row.get(5)?;
    let tags: String = row.get(7)?;
    let criteria: Option<String> = row.get(8)?;
    Ok(Stored {
        segment: CustomerSegment {
            id: row.get(0)?,
            scope: OrgScope::from_organization_id(row.get(1)?),
            name: row.get(2)?,
            note: row.get(3)?,
            priority: row.get(4)?,
            kind: CustomerSegmentKind::from_code(&kind)
                .ok_or_else(|| corrupt("kind")(kind.clone()))?,
            flexi: row.get(6)?,
            tags: serde_json::from_str(&tags).map_err(|e| corrupt("tags")(e.to_string()))?,
            criteria: criteria
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| corrupt("criteria")(e.to_string()))?,
            version: row.get(9)?,
            updated_at: row.get(10)?,
        },
        deleted: row.get(11)?,
    })
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM customer_segments WHERE id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// The live segment `id`, or 404.
pub fn live(conn: &Connection, id: &str) -> Result<CustomerSegment> {
    get(conn, id)?
        .filter(|s| !s.deleted)
        .map(|s| s.segment)
        .ok_or_else(|| ApiError::NotFound(format!("customer segment {id}")))
}

/// The live segments of every scope, highest priority first.
pub fn list(conn: &Connection) -> Result<Vec<CustomerSegment>> {
    all_rows(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM customer_segments WHERE deleted = 0 ORDER BY priority DESC, id"
        ),
        [],
        |r| from_row(r).map(|s| s.segment),
    )
}

fn write(conn: &Connection, s: &CustomerSegment, deleted: bool, seq: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO customer_segments (id, organization, name, note, priority, kind, flexi,
             tags, criteria, version, updated_at, deleted, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET organization = excluded.organization,
             name = excluded.name, note = excluded.note, priority = excluded.priority,
             kind = excluded.kind, flexi = excluded.flexi, tags = excluded.tags,
             criteria = excluded.criteria, version = excluded.version,
             updated_at = excluded.updated_at, deleted = excluded.deleted, seq = excluded.seq",
    )?
    .execute(params![
        s.id,
        s.scope.organization_id(),
        s.name,
        s.note,
        s.priority,
        s.kind.code(),
        s.flexi,
        serde_json::to_string(&s.tags)?,
        s.criteria.as_ref().map(|c| c.to_string()),
        s.version,
        s.updated_at,
        deleted,
        seq
    ])?;
    Ok(())
}

/// The segments each live segment other than `except` includes or
/// excludes, by id.
fn inclusion_graph(conn: &Connection, except: &str) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut graph = BTreeMap::new();
    for s in list(conn)? {
        if s.id == except {
            continue;
        }
        if let Some(criteria) = &s.criteria {
            let parsed = Criteria::parse(criteria)
                .map_err(|e| ApiError::Internal(format!("stored criteria of {}: {e}", s.id)))?;
            graph.insert(s.id, parsed.segment_references());
        }
    }
    Ok(graph)
}

/// Checks what core's draft validation cannot: every `in_segment` names a
/// live customer segment (or `id` itself), and saving `id` with `criteria`
/// makes no segment include itself.
fn check_references(conn: &Connection, id: &str, criteria: Option<&Criteria>) -> Result<()> {
    let Some(criteria) = criteria else {
        return Ok(());
    };
    for (path, referenced) in criteria.segment_reference_paths("criteria") {
        if referenced != id && live(conn, &referenced).is_err() {
            return Err(ApiError::invalid(path, ValidationReason::UnknownCode));
        }
    }
    let refs = criteria.segment_references();
    if refs.is_empty() {
        return Ok(());
    }
    let graph = inclusion_graph(conn, id)?;
    match inclusion_cycle(id, &refs, &graph) {
        Some(cycle) => Err(cycle_error(criteria, &cycle).into()),
        None => Ok(()),
    }
}

pub fn create(
    conn: &Connection,
    id: &str,
    def: CustomerSegmentDefinition,
    now: DateTime<Utc>,
) -> Result<CustomerSegment> {
    if get(conn, id)?.is_some() {
        return Err(ApiError::validation("id", "already exists"));
    }
    check_scope(conn, &def.scope)?;
    check_references(conn, id, def.criteria.as_ref())?;
    let segment = CustomerSegment::new(id, def, 1, now);
    write(conn, &segment, false, next_seq(conn)?)?;
    Ok(segment)
}

/// Replaces the definition of a live segment, in a new version.
pub fn update(
    conn: &Connection,
    id: &str,
    def: CustomerSegmentDefinition,
    now: DateTime<Utc>,
) -> Result<CustomerSegment> {
    let current = live(conn, id)?;
    check_scope(conn, &def.scope)?;
    check_references(conn, id, def.criteria.as_ref())?;
    let next = CustomerSegment::new(id, def, current.version + 1, now);
    let seq = next_seq(conn)?;
    write(conn, &next, false, seq)?;
    record_scope_change(
        conn,
        Collection::CustomerSegments,
        id,
        seq,
        &current.scope,
        &next.scope,
    )?;
    Ok(next)
}

/// Deletes a live segment, keeping its tombstone (a new version); refused
/// while other live segments' criteria include it. Answers the segment at
/// the tombstone's version. Its membership rows stay: devices drop them
/// with the segment.
pub fn delete(conn: &Connection, id: &str, now: DateTime<Utc>) -> Result<CustomerSegment> {
    let current = live(conn, id)?;
    let users: Vec<String> = inclusion_graph(conn, id)?
        .into_iter()
        .filter(|(_, refs)| refs.contains(id))
        .map(|(user, _)| user)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::InUse(format!(
            "customer segment {id} is used by the criteria of {}",
            users.join(", ")
        )));
    }
    let tombstone = CustomerSegment {
        version: current.version + 1,
        updated_at: now,
        ..current
    };
    write(conn, &tombstone, true, next_seq(conn)?)?;
    Ok(tombstone)
}

/// Refuses a segment whose members are not put in by hand, naming `field`.
pub fn require_static(segment: &CustomerSegment, field: &str) -> Result<()> {
    if segment.is_static() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            ValidationReason::DefinedByConditions,
        ))
    }
}

/// A membership's latest state and version.
pub fn membership(
    conn: &Connection,
    segment_id: &str,
    customer_id: &str,
) -> Result<Option<(CustomerSegmentMembership, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT member, version FROM customer_segment_members
             WHERE segment_id = ?1 AND customer_id = ?2",
        )?
        .query_row([segment_id, customer_id], |r| {
            Ok((
                CustomerSegmentMembership {
                    segment_id: segment_id.to_owned(),
                    customer_id: customer_id.to_owned(),
                    member: r.get(0)?,
                },
                r.get(1)?,
            ))
        })
        .optional()?)
}

/// The membership of a feed id (`segment/customer`).
pub fn membership_by_key(
    conn: &Connection,
    key: &str,
) -> Result<Option<(CustomerSegmentMembership, i64)>> {
    // Ids have no '/' of their own in this server; split at the first.
    match key.split_once('/') {
        Some((segment, customer)) => membership(conn, segment, customer),
        None => Ok(None),
    }
}

/// Puts `customer` in or takes them out of the (static) segment: a new
/// version and feed entry when the state changes or the pair is new;
/// otherwise the current version. Returns the membership and its version.
pub fn set_member(
    conn: &Connection,
    segment_id: &str,
    customer: &RemoteCustomer,
    member: bool,
) -> Result<(CustomerSegmentMembership, i64)> {
    let current = membership(conn, segment_id, &customer.id)?;
    if let Some((m, version)) = &current
        && m.member == member
    {
        return Ok((m.clone(), *version));
    }
    let version = current.map_or(1, |(_, v)| v + 1);
    conn.prepare_cached(
        "INSERT INTO customer_segment_members
             (segment_id, customer_id, organization_id, member, version, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(segment_id, customer_id) DO UPDATE SET
             organization_id = excluded.organization_id, member = excluded.member,
             version = excluded.version, seq = excluded.seq",
    )?
    .execute(params![
        segment_id,
        customer.id,
        customer.organization_id,
        member,
        version,
        next_seq(conn)?
    ])?;
    Ok((
        CustomerSegmentMembership {
            segment_id: segment_id.to_owned(),
            customer_id: customer.id.clone(),
            member,
        },
        version,
    ))
}

/// Checks that a static segment may hold `customer`: its scope covers the
/// customer's organization.
pub fn require_in_scope(segment: &CustomerSegment, customer: &RemoteCustomer) -> Result<()> {
    if segment.scope.covers(&customer.organization_id) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "customer_id",
            format!(
                "customer {} is outside the scope of customer segment {}",
                customer.id, segment.id
            ),
        ))
    }
}

/// Customer ids of the members of `segment_id`, in id order, after
/// `after`, at most `limit`; of one organization's customers or all.
pub fn members(
    conn: &Connection,
    segment_id: &str,
    org: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>> {
    all_rows(
        conn,
        "SELECT customer_id FROM customer_segment_members
         WHERE segment_id = ?1 AND member = 1
           AND (?2 IS NULL OR organization_id = ?2) AND (?3 IS NULL OR customer_id > ?3)
         ORDER BY customer_id LIMIT ?4",
        params![segment_id, org, after, limit],
        |r| r.get(0),
    )
}
