//! The journal of changed customers: a leaf that every writer of customer
//! data notes its changes in (local edits, pulled customers, profiles,
//! purchases, static memberships) and that derived data reads. Flexi
//! customer segments re-evaluate the customers noted here; RFM scores are
//! ranked again once purchases or customers changed. Writers know nothing
//! of who reads, so the store's modules do not import each other for it.

use rusqlite::{CachedStatement, Connection};

use super::query_all;
use crate::error::Result;

const NOTE_CUSTOMER: &str =
    "INSERT OR IGNORE INTO segment_dirty_customers (customer_id) VALUES (?1)";

/// Notes that a customer's data changed.
pub(crate) fn customer_changed(conn: &Connection, customer_id: &str) -> Result<()> {
    CustomerNotes::new(conn)?.changed(customer_id)
}

/// Notes changed customers with the statement prepared once (a pull page
/// notes hundreds).
pub(crate) struct CustomerNotes<'c>(CachedStatement<'c>);

impl<'c> CustomerNotes<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<Self> {
        Ok(CustomerNotes(conn.prepare_cached(NOTE_CUSTOMER)?))
    }

    pub(crate) fn changed(&mut self, customer_id: &str) -> Result<()> {
        self.0.execute([customer_id])?;
        Ok(())
    }
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

/// At most `limit` changed customers (any order).
pub(crate) fn changed_customers(conn: &Connection, limit: usize) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT customer_id FROM segment_dirty_customers LIMIT ?1")?;
    query_all(&mut stmt, [limit.min(i64::MAX as usize) as i64], |r| {
        Ok(r.get(0)?)
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
    Ok(())
}
