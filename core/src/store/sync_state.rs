//! The sync engine's durable bookkeeping, kept in the store: the pull
//! cursor, the last successful sync, and the log of fields that lost a
//! conflict.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{Store, query_all};
use crate::error::Result;

pub fn cursor(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT cursor FROM sync_state WHERE id = 1")?
        .query_row([], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Stores the cursor; called in the transaction that applies its page.
pub fn save_cursor(conn: &Connection, cursor: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (id, cursor) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor",
    )?
    .execute([cursor])?;
    Ok(())
}

pub fn record_success(conn: &Connection, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (id, last_success_at) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET last_success_at = excluded.last_success_at",
    )?
    .execute([at])?;
    Ok(())
}

pub fn last_success(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    Ok(conn
        .prepare_cached("SELECT last_success_at FROM sync_state WHERE id = 1")?
        .query_row([], |r| r.get::<_, Option<DateTime<Utc>>>(0))
        .optional()?
        .flatten())
}

/// A field of a local change that lost to an office edit of the same field.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictRecord {
    pub mutation_id: String,
    pub customer_id: String,
    pub field: String,
    /// What the device had sent.
    pub local_value: Value,
    /// What the server kept (and the device now shows).
    pub server_value: Value,
    pub resolved_at: DateTime<Utc>,
}

pub fn record_conflict(conn: &Connection, c: &ConflictRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_conflicts (mutation_id, entity_id, field, local_value, server_value, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        c.mutation_id,
        c.customer_id,
        c.field,
        c.local_value.to_string(),
        c.server_value.to_string(),
        c.resolved_at
    ])?;
    Ok(())
}

impl Store {
    /// Fields of local changes that lost to office edits, newest first.
    pub fn sync_conflicts(&self, limit: usize) -> Result<Vec<ConflictRecord>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT mutation_id, entity_id, field, local_value, server_value, resolved_at
                 FROM sync_conflicts ORDER BY id DESC LIMIT ?1",
            )?;
            query_all(&mut stmt, [limit.min(i64::MAX as usize) as i64], |r| {
                Ok(ConflictRecord {
                    mutation_id: r.get(0)?,
                    customer_id: r.get(1)?,
                    field: r.get(2)?,
                    local_value: serde_json::from_str(&r.get::<_, String>(3)?)?,
                    server_value: serde_json::from_str(&r.get::<_, String>(4)?)?,
                    resolved_at: r.get(5)?,
                })
            })
        })
    }

    /// When the last sync run finished without error.
    pub fn last_sync_success(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(last_success)
    }
}
