//! Versioned migrations: the schema version lives in `PRAGMA user_version`;
//! each step runs in its own transaction. Shipped steps are never edited.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// One SQL script per version: `MIGRATIONS[n]` upgrades version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_sync_state.sql"),
    include_str!("migrations/003_customer_segments.sql"),
    include_str!("migrations/004_dropdown_state.sql"),
    include_str!("migrations/005_journal_saturation.sql"),
    include_str!("migrations/006_data_owner.sql"),
    include_str!("migrations/007_carts_business_units.sql"),
];

/// The schema version this build creates and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], one step at a time. Safe when
/// several processes open the same file at once: each step re-reads the
/// version inside its (immediate) transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if !(0..=SCHEMA_VERSION).contains(&version) {
            return Err(Error::IncompatibleSchema {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        tracing::info!(
            from = version,
            to = version + 1,
            "upgrading fieldsync schema"
        );
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
