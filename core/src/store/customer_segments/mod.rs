//! Customer segments on the device: definitions from the Portal, members
//! (static ones from the server and managers' edits, conditional ones
//! evaluated here, offline), and the queries the app's screens need.
//!
//! - `definitions`: applying the Portal's definitions;
//! - `members`: static members, managers' edits through the outbox;
//! - `compile` and `evaluate`: criteria to SQL, keeping conditional
//!   segments current (reading the journal of changed customers);
//! - `queries`: what the screens ask.

pub(crate) mod compile;
mod definitions;
mod evaluate;
mod members;
mod queries;
/// The plain evaluator the SQL is checked against (tests, fuzzing).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod reference;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};

pub use definitions::apply_customer_segment_changes;
pub use evaluate::CustomerSegmentRefresh;
use evaluate::{Mode, refresh};
pub use members::apply_customer_segment_memberships;
pub(crate) use members::restore_membership;
pub use queries::{
    CustomerSegmentMember, CustomerSegmentMemberPage, CustomerSegmentTagCount, CustomerSegmentView,
};

use crate::error::{Error, Result};
use crate::model::CustomerSegmentKind;

/// Re-evaluates flexi segments for customers just written on the device,
/// in the same transaction as the write.
pub(crate) fn follow_local_edits(
    conn: &Connection,
    customer_ids: Vec<String>,
    today: NaiveDate,
) -> Result<()> {
    refresh(conn, today, &Mode::Customers(customer_ids))?;
    Ok(())
}

/// The kind and scope of a stored customer segment.
fn customer_segment_kind(
    conn: &Connection,
    id: &str,
) -> Result<Option<(CustomerSegmentKind, Option<String>)>> {
    conn.prepare_cached("SELECT kind, organization_id FROM customer_segments WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))
        .optional()?
        .map(|(kind, org)| {
            CustomerSegmentKind::from_code(&kind)
                .map(|k| (k, org))
                .ok_or(Error::CorruptData {
                    what: "customer segment kind",
                })
        })
        .transpose()
}
