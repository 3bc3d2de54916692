//! The durable outbox: every local create or update of a customer appends an
//! entry in the same transaction as the change. The sync engine uploads them
//! oldest first; the mutation id is the server's idempotency key, so an entry
//! is never applied twice.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};
use serde_json::{Map, Value};

use super::{Store, query_all};
use crate::error::{Error, Result};
use crate::protocol::{EntityKind, MutationOperation, Rejection};

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for upload (or for the server's answer).
    Pending,
    /// Refused by the server for good: set aside with its reason.
    Rejected,
}

impl OutboxState {
    fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Rejected => "rejected",
        }
    }
}

/// One local change not yet accepted by the server.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    /// Position in the queue: uploads go in this order.
    pub seq: i64,
    /// Unique id of this change, sent as the idempotency key.
    pub mutation_id: String,
    pub entity: EntityKind,
    pub entity_id: String,
    pub operation: MutationOperation,
    /// The changed fields only, with their new values.
    pub changes: Map<String, Value>,
    /// The same fields' values before the change (empty for a create): what
    /// to restore if the server refuses the change.
    pub previous: Map<String, Value>,
    /// The server version the change was made on; `None` for a customer the
    /// server has not accepted yet.
    pub base_version: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Upload attempts that got no answer for this entry.
    pub attempts: u32,
    /// `None` while waiting for upload; the server's reason once set aside.
    pub rejection: Option<Rejection>,
}

/// A local change to queue, written in the transaction of the change.
pub(crate) struct NewEntry<'a> {
    pub entity: EntityKind,
    pub entity_id: &'a str,
    pub operation: MutationOperation,
    /// The changed fields only, with their new values.
    pub changes: Map<String, Value>,
    /// The same fields before the change (empty for a create).
    pub previous: Map<String, Value>,
    pub base_version: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Appends an entry for any entity (customers, segment memberships) with a
/// new mutation id.
pub(crate) fn append(conn: &Connection, entry: &NewEntry<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox (mutation_id, entity, entity_id, operation, changes, previous, base_version, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        entry.entity.code(),
        entry.entity_id,
        entry.operation.code(),
        serde_json::to_string(&entry.changes)?,
        serde_json::to_string(&entry.previous)?,
        entry.base_version,
        entry.created_at
    ])?;
    Ok(())
}

/// Whether `entity_id` of `entity` has a change waiting for upload.
pub(crate) fn has_pending(conn: &Connection, entity: EntityKind, entity_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE entity = ?1 AND entity_id = ?2 AND state = 'pending')",
        )?
        .query_row(params![entity.code(), entity_id], |r| r.get(0))?)
}

/// The fields of a customer that have local changes not yet uploaded: a
/// server update must not overwrite them.
pub(crate) fn pending_fields(conn: &Connection, entity_id: &str) -> Result<BTreeSet<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT changes FROM outbox WHERE entity = ?1 AND entity_id = ?2 AND state = 'pending'",
    )?;
    let all = query_all(
        &mut stmt,
        params![EntityKind::Customer.code(), entity_id],
        |r| {
            let changes: Map<String, Value> = serde_json::from_str(&r.get::<_, String>(0)?)?;
            Ok(changes.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        },
    )?;
    Ok(all.into_iter().flatten().collect())
}

fn read_entry(r: &Row<'_>) -> Result<OutboxEntry> {
    let op: String = r.get("operation")?;
    let entity: String = r.get("entity")?;
    Ok(OutboxEntry {
        seq: r.get("seq")?,
        mutation_id: r.get("mutation_id")?,
        entity: EntityKind::from_code(&entity).ok_or(Error::CorruptData {
            what: "outbox entity",
        })?,
        entity_id: r.get("entity_id")?,
        operation: MutationOperation::from_code(&op).ok_or(Error::CorruptData {
            what: "outbox operation",
        })?,
        changes: serde_json::from_str(&r.get::<_, String>("changes")?)?,
        previous: serde_json::from_str(&r.get::<_, String>("previous")?)?,
        base_version: r.get("base_version")?,
        created_at: r.get("created_at")?,
        attempts: r.get("attempts")?,
        rejection: r
            .get::<_, Option<String>>("outcome")?
            .map(|json| serde_json::from_str(&json))
            .transpose()?,
    })
}

/// Entries of `entity` waiting for upload whose entity id starts with
/// `id_prefix`, oldest first (a static segment's pending membership edits:
/// prefix `{segment_id}/`).
pub(crate) fn pending_with_prefix(
    conn: &Connection,
    entity: EntityKind,
    id_prefix: &str,
) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM outbox
         WHERE entity = ?1 AND state = 'pending' AND substr(entity_id, 1, length(?2)) = ?2 ORDER BY seq",
    )?;
    query_all(&mut stmt, params![entity.code(), id_prefix], read_entry)
}

/// Removes an entry once the server has answered it for good (applied, or
/// applied in part with conflicts). Returns whether it was there.
pub fn acknowledge(conn: &Connection, mutation_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM outbox WHERE mutation_id = ?1")?
        .execute([mutation_id])?
        == 1)
}

/// Sets an entry aside with the server's reason.
pub fn set_aside(conn: &Connection, mutation_id: &str, rejection: &Rejection) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE outbox SET state = ?3, outcome = ?2 WHERE mutation_id = ?1")?
        .execute(params![
            mutation_id,
            serde_json::to_string(rejection)?,
            OutboxState::Rejected.code()
        ])?
        == 1)
}

/// Counts an upload attempt that got no answer (network error, 5xx...).
pub fn record_attempt(conn: &Connection, mutation_id: &str) -> Result<()> {
    conn.prepare_cached("UPDATE outbox SET attempts = attempts + 1 WHERE mutation_id = ?1")?
        .execute([mutation_id])?;
    Ok(())
}

/// Entries waiting for upload, oldest first.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<OutboxEntry>> {
    let mut stmt =
        conn.prepare_cached("SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?1")?;
    query_all(&mut stmt, [limit.min(i64::MAX as usize) as i64], read_entry)
}

/// Every entry not accepted by the server: waiting and set aside.
pub fn unsynced(conn: &Connection, limit: usize) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM outbox ORDER BY seq LIMIT ?1")?;
    query_all(&mut stmt, [limit.min(i64::MAX as usize) as i64], read_entry)
}

pub fn count(conn: &Connection, state: OutboxState) -> Result<u64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM outbox WHERE state = ?1")?
        .query_row([state.code()], |r| r.get::<_, i64>(0))? as u64)
}

impl Store {
    /// Local changes the server has not accepted, oldest first, at most
    /// `limit`: those waiting for upload, and those set aside with the
    /// server's reason (`rejection`).
    pub fn pending_changes(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.read(|conn| unsynced(conn, limit))
    }

    /// How many local changes wait for upload.
    pub fn pending_count(&self) -> Result<u64> {
        self.read(|conn| count(conn, OutboxState::Pending))
    }

    /// How many local changes the server refused and are set aside.
    pub fn set_aside_count(&self) -> Result<u64> {
        self.read(|conn| count(conn, OutboxState::Rejected))
    }
}
