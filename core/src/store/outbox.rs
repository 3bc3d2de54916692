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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxOperation {
    Create,
    Update,
}

impl OutboxOperation {
    pub fn code(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "create" => Some(Self::Create),
            "update" => Some(Self::Update),
            _ => None,
        }
    }
}

/// One local change waiting for upload.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    /// Position in the queue: uploads go in this order.
    pub seq: i64,
    /// Unique id of this change, sent as the idempotency key.
    pub mutation_id: String,
    pub entity: String,
    pub entity_id: String,
    pub operation: OutboxOperation,
    /// The changed fields only, with their new values.
    pub changes: Map<String, Value>,
    /// The same fields' values before the change (empty for a create): what
    /// to restore if the server refuses the change.
    pub previous: Map<String, Value>,
    /// The server version the change was made on; `None` for a customer the
    /// server has not accepted yet.
    pub base_version: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub(crate) const CUSTOMER: &str = "customer";

pub(crate) fn append(
    conn: &Connection,
    entity_id: &str,
    operation: OutboxOperation,
    changes: &Map<String, Value>,
    previous: &Map<String, Value>,
    base_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox (mutation_id, entity, entity_id, operation, changes, previous, base_version, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        CUSTOMER,
        entity_id,
        operation.code(),
        serde_json::to_string(changes)?,
        serde_json::to_string(previous)?,
        base_version,
        now
    ])?;
    Ok(())
}

/// The fields of a customer that have local changes not yet uploaded: a
/// server update must not overwrite them.
pub(crate) fn pending_fields(conn: &Connection, entity_id: &str) -> Result<BTreeSet<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT changes FROM outbox WHERE entity = ?1 AND entity_id = ?2")?;
    let all = query_all(&mut stmt, params![CUSTOMER, entity_id], |r| {
        let changes: Map<String, Value> = serde_json::from_str(&r.get::<_, String>(0)?)?;
        Ok(changes.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
    })?;
    Ok(all.into_iter().flatten().collect())
}

fn read_entry(r: &Row<'_>) -> Result<OutboxEntry> {
    let op: String = r.get("operation")?;
    Ok(OutboxEntry {
        seq: r.get("seq")?,
        mutation_id: r.get("mutation_id")?,
        entity: r.get("entity")?,
        entity_id: r.get("entity_id")?,
        operation: OutboxOperation::from_code(&op).ok_or(Error::CorruptData {
            what: "outbox operation",
        })?,
        changes: serde_json::from_str(&r.get::<_, String>("changes")?)?,
        previous: serde_json::from_str(&r.get::<_, String>("previous")?)?,
        base_version: r.get("base_version")?,
        created_at: r.get("created_at")?,
    })
}

/// Removes an entry once the server has answered it for good (applied, or
/// its outcome recorded elsewhere). Returns whether it was there.
pub fn acknowledge(conn: &Connection, mutation_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM outbox WHERE mutation_id = ?1")?
        .execute([mutation_id])?
        == 1)
}

pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM outbox ORDER BY seq LIMIT ?1")?;
    query_all(&mut stmt, [limit as i64], read_entry)
}

impl Store {
    /// Local changes waiting for upload, oldest first, at most `limit`.
    pub fn pending_changes(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.read(|conn| pending(conn, limit))
    }

    /// How many local changes wait for upload.
    pub fn pending_count(&self) -> Result<u64> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }
}
