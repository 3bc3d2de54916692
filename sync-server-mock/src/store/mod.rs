//! The server's state in SQLite: in memory by default, in a file with
//! `--db PATH`. One code path for both, so tests of the in-memory server
//! cover the persistent one too.
//!
//! One connection behind a mutex: the mock serves a handful of test clients,
//! and a single writer makes every request one serializable step (the change
//! sequence never has gaps or reorderings a reader could observe).
//!
//! Every version bump of any entity takes the next value of one server-wide
//! change sequence (`seq`), kept on the entity's row: the change feed pages
//! over it.

pub mod catalogue;
pub mod customer_segments;
pub mod customers;
pub mod feed;
pub mod mutations;
pub mod profiles;
pub mod users;

use std::path::Path;
use std::sync::{Arc, Mutex};

use fieldsync_core::sync::Collection;
use rusqlite::{Connection, OptionalExtension, Params, Row, Transaction, TransactionBehavior};

use crate::error::{ApiError, Result};

/// The shared database handle of one server.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

/// The schema, idempotent (`IF NOT EXISTS`): run at every open.
pub(crate) const SCHEMA: &str = include_str!("schema.sql");

impl Db {
    /// Opens the database at `path` (created if missing), or a private
    /// in-memory one, and creates the schema. A file of an older mock that
    /// kept plain-text passwords is migrated to hashes.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Self> {
        let conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        // WAL keeps a crash from losing committed writes without the cost of
        // a full sync per commit; harmless (and ignored) in memory.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        let db = Db {
            conn: Arc::new(Mutex::new(conn)),
        };
        db.write_blocking(|tx| users::migrate_plain_passwords(tx))
            .map_err(|e| {
                let reason = match e {
                    ApiError::Internal(reason) => reason,
                    other => other.to_string(),
                };
                rusqlite::Error::UserFunctionError(
                    format!("migrating the users table to password hashes: {reason}").into(),
                )
            })?;
        Ok(db)
    }

    /// Runs `f` in one immediate transaction on a blocking thread: commits
    /// on `Ok`, rolls back on `Err`.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(TransactionBehavior::Immediate, f).await
    }

    /// Runs `f` on one consistent snapshot, on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(TransactionBehavior::Deferred, f).await
    }

    async fn run<T, F>(&self, behavior: TransactionBehavior, f: F) -> Result<T>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| ApiError::Internal("database lock poisoned".into()))?;
            in_transaction(&mut guard, behavior, f)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("database task failed: {e}")))?
    }

    /// Like [`Db::write`] but without a tokio runtime, for seeding.
    pub fn write_blocking<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| ApiError::Internal("database lock poisoned".into()))?;
        in_transaction(&mut guard, TransactionBehavior::Immediate, f)
    }
}

fn in_transaction<T>(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    f: impl FnOnce(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction_with_behavior(behavior)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Takes the next value of the change sequence.
pub fn next_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value")?
        .query_row([], |r| r.get(0))?)
}

/// Reserves `n` consecutive values of the change sequence and returns the
/// first, for bulk inserts.
pub fn reserve_seq(conn: &Connection, n: i64) -> Result<i64> {
    let last: i64 = conn
        .prepare_cached(
            "UPDATE counters SET value = value + ?1 WHERE name = 'seq' RETURNING value",
        )?
        .query_row([n], |r| r.get(0))?;
    Ok(last - n + 1)
}

/// The last value taken from the change sequence.
pub fn current_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'seq'")?
        .query_row([], |r| r.get(0))?)
}

/// Refuses an organization the server does not know (422, naming `field`).
pub fn require_organization(conn: &Connection, field: &str, id: &str) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            format!("organization {id} does not exist"),
        ))
    }
}

/// Every row `sql` selects with `params`, each read by `read`.
pub fn all_rows<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params, read)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// All organization ids, for expanding the scope `ALL`.
pub fn organization_ids(conn: &Connection) -> Result<Vec<String>> {
    all_rows(conn, "SELECT id FROM organizations ORDER BY id", [], |r| {
        r.get(0)
    })
}

/// Every organization with its default language, by id.
pub fn organizations(conn: &Connection) -> Result<Vec<(String, Option<String>)>> {
    all_rows(
        conn,
        "SELECT id, default_language FROM organizations ORDER BY id",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Creates an organization (or changes its default language), bumping its
/// version and seq.
pub fn upsert_organization(
    conn: &Connection,
    id: &str,
    default_language: Option<&str>,
) -> Result<()> {
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "INSERT INTO organizations (id, default_language, version, seq) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT(id) DO UPDATE SET default_language = excluded.default_language,
             version = version + 1, seq = excluded.seq",
    )?
    .execute(rusqlite::params![id, default_language, seq])?;
    Ok(())
}

/// Records that the entity `(collection, id)` at `seq` can no longer be
/// seen by the organizations in `lost`, and can again by those in
/// `regained`. The feed turns these into deletes for devices of `lost`.
///
/// A row exists only while the entity is invisible to that organization,
/// so the feed never sends both an upsert and a delete for one entity.
pub fn record_visibility(
    conn: &Connection,
    collection: Collection,
    id: &str,
    seq: i64,
    lost: &[String],
    regained: &[String],
) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO visibility_losses (collection, entity_id, organization_id, seq)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(collection, entity_id, organization_id) DO UPDATE SET seq = excluded.seq",
    )?;
    for org in lost {
        insert.execute(rusqlite::params![collection.code(), id, org, seq])?;
    }
    let mut delete = conn.prepare_cached(
        "DELETE FROM visibility_losses
         WHERE collection = ?1 AND entity_id = ?2 AND organization_id = ?3",
    )?;
    for org in regained {
        delete.execute(rusqlite::params![collection.code(), id, org])?;
    }
    Ok(())
}
