//! The journal of changed customers: a leaf that every writer of customer
//! data notes its changes in (local edits, pulled customers, profiles,
//! purchases, static memberships) and that derived data reads. Flexi
//! customer segments re-evaluate the customers noted here; RFM scores are
//! ranked again once purchases or customers changed. Writers know nothing
//! of who reads, so the store's modules do not import each other for it.

use rusqlite::{CachedStatement, Connection, OptionalExtension};

use super::query_all;
use crate::error::Result;

const NOTE_CUSTOMER: &str =
    "INSERT OR IGNORE INTO segment_dirty_customers (customer_id) VALUES (?1)";

/// Past this many changed customers the journal stops listing them and
/// notes that all changed: evaluating every customer then costs less than
/// following each, and a first sync does not write a second index of its
/// customers in random order.
pub(crate) const INCREMENTAL_LIMIT: usize = 2_000;

/// Notes that a customer's data changed.
pub(crate) fn customer_changed(conn: &Connection, customer_id: &str) -> Result<()> {
    if !all_customers_changed(conn)? {
        conn.prepare_cached(NOTE_CUSTOMER)?.execute([customer_id])?;
    }
    Ok(())
}

/// Notes changed customers with the statement prepared once (a pull page
/// notes hundreds), and turns the list into "all changed" once it passes
/// [`INCREMENTAL_LIMIT`].
pub(crate) struct CustomerNotes<'c> {
    conn: &'c Connection,
    note: CachedStatement<'c>,
    /// Customers listed so far; `None` once all are noted as changed.
    listed: Option<usize>,
}

impl<'c> CustomerNotes<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<Self> {
        let listed = if all_customers_changed(conn)? {
            None
        } else {
            // Bounded: the list never grows much past the limit.
            let n: i64 = conn
                .prepare_cached(
                    "SELECT count(*) FROM (SELECT 1 FROM segment_dirty_customers LIMIT ?1)",
                )?
                .query_row([INCREMENTAL_LIMIT as i64 + 1], |r| r.get(0))?;
            Some(n as usize)
        };
        Ok(CustomerNotes {
            conn,
            note: conn.prepare_cached(NOTE_CUSTOMER)?,
            listed,
        })
    }

    pub(crate) fn changed(&mut self, customer_id: &str) -> Result<()> {
        let Some(listed) = self.listed.as_mut() else {
            return Ok(());
        };
        *listed += self.note.execute([customer_id])?;
        if *listed > INCREMENTAL_LIMIT {
            self.conn
                .prepare_cached("UPDATE segment_evaluation_state SET all_customers_changed = 1")?
                .execute([])?;
            self.conn
                .prepare_cached("DELETE FROM segment_dirty_customers")?
                .execute([])?;
            self.listed = None;
        }
        Ok(())
    }
}

/// Whether the journal notes every customer as changed.
fn all_customers_changed(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT all_customers_changed FROM segment_evaluation_state WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Notes that purchase rankings are stale (customers or transactions
/// changed): RFM scores are computed again before the next evaluation.
pub(crate) fn rankings_changed(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE segment_evaluation_state SET rfm_dirty = 1")?
        .execute([])?;
    Ok(())
}

/// Whether rankings are stale.
pub(crate) fn rankings_stale(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT rfm_dirty FROM segment_evaluation_state WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

/// Notes that rankings are current again.
pub(crate) fn rankings_refreshed(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE segment_evaluation_state SET rfm_dirty = 0")?
        .execute([])?;
    Ok(())
}

/// The customers whose data changed since the last evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ChangedCustomers {
    /// These, at most [`INCREMENTAL_LIMIT`] (any order).
    Few(Vec<String>),
    /// More than [`INCREMENTAL_LIMIT`]: evaluate everyone.
    Many,
}

pub(crate) fn changed_customers(conn: &Connection) -> Result<ChangedCustomers> {
    if all_customers_changed(conn)? {
        return Ok(ChangedCustomers::Many);
    }
    let mut stmt =
        conn.prepare_cached("SELECT customer_id FROM segment_dirty_customers LIMIT ?1")?;
    let ids: Vec<String> = query_all(&mut stmt, [INCREMENTAL_LIMIT as i64 + 1], |r| Ok(r.get(0)?))?;
    Ok(if ids.len() > INCREMENTAL_LIMIT {
        ChangedCustomers::Many
    } else {
        ChangedCustomers::Few(ids)
    })
}

/// Takes these customers out of the journal: their changes are followed.
pub(crate) fn forget_customers(conn: &Connection, ids: &[String]) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM segment_dirty_customers WHERE customer_id = ?1")?;
    for id in ids {
        stmt.execute([id])?;
    }
    Ok(())
}

/// Empties the journal of customers: every change is followed.
pub(crate) fn forget_all_customers(conn: &Connection) -> Result<()> {
    conn.prepare_cached("DELETE FROM segment_dirty_customers")?
        .execute([])?;
    conn.prepare_cached("UPDATE segment_evaluation_state SET all_customers_changed = 0")?
        .execute([])?;
    Ok(())
}
