//! The embedded SQLite store.
//!
//! One writer connection behind a mutex and a small pool of read-only
//! connections: in WAL mode readers see the last committed state and never
//! wait for the writer. In-memory stores (tests) have one connection for both.
//!
//! `read(|conn| ..)` runs in a read transaction (one consistent snapshot);
//! `write(|tx| ..)` runs in one immediate transaction that commits on `Ok`
//! and rolls back on `Err` or panic, so nothing is ever half-written.

pub mod carts;
pub mod catalogue;
#[cfg(feature = "encryption")]
mod cipher;
pub mod customer_segments;
pub mod customers;
mod dropdowns;
#[cfg(feature = "encryption")]
mod encryption;
mod journal;
pub mod live;
pub mod outbox;
mod paging;
pub mod profiles;
pub mod purchases;
mod references;
mod schema;
pub mod session;
pub mod sync_state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::model::VisitFrequency;

pub use catalogue::{Change, apply_organizations, apply_picklist_changes, apply_segment_changes};
pub use customer_segments::{
    CustomerSegmentMember, CustomerSegmentMemberPage, CustomerSegmentRefresh,
    CustomerSegmentTagCount, CustomerSegmentView,
};
pub use customers::{CustomerPage, CustomerQuery, SegmentFilter, apply_customer_changes};
#[cfg(feature = "encryption")]
pub use encryption::DatabaseKey;
pub use live::{Tables, Watch};
pub use outbox::{OutboxEntry, OutboxState};
pub use paging::{MAX_PAGE_SIZE, check_limit};
pub use purchases::PurchaseSummary;
pub use schema::SCHEMA_VERSION;
pub use session::SignOut;
pub use sync_state::ConflictRecord;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle read connections kept open; more are opened on demand under load.
const MAX_IDLE_READERS: usize = 4;

pub struct Store {
    writer: Mutex<Connection>,
    /// `None` for in-memory stores: an in-memory database cannot be shared
    /// between connections, so reads go through the writer.
    readers: Option<ReaderPool>,
    clock: Arc<dyn Clock>,
    dropdowns: dropdowns::DropdownCache,
    live: live::LiveQueries,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<(Connection, KeyStamp)>>,
    /// The key readers open an encrypted database with.
    #[cfg(feature = "encryption")]
    key: encryption::ReaderKey,
}

/// Which key an idle reader was opened with: a generation of the pool's
/// key in the encrypted flavour (see `Store::change_key`), nothing in the
/// plain one.
#[cfg(feature = "encryption")]
type KeyStamp = u64;
#[cfg(not(feature = "encryption"))]
type KeyStamp = ();

impl Store {
    /// Opens (creating if needed) the database at `path` and upgrades its
    /// schema. Fails with `IncompatibleSchema` for a database written by a
    /// newer fieldsync.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        configure_writer(&mut conn, true)?;
        schema::migrate(&mut conn)?;
        let live = live::LiveQueries::default();
        live::track_changes(&mut conn, &live.pending)?;
        Ok(Store {
            writer: Mutex::new(conn),
            readers: Some(ReaderPool {
                path,
                idle: Mutex::new(Vec::new()),
                #[cfg(feature = "encryption")]
                key: Default::default(),
            }),
            clock: Arc::new(SystemClock),
            dropdowns: Default::default(),
            live,
        })
    }

    /// A private in-memory database, for tests and tools.
    pub fn open_in_memory() -> Result<Self> {
        let mut conn = Connection::open_in_memory()?;
        configure_writer(&mut conn, false)?;
        schema::migrate(&mut conn)?;
        let live = live::LiveQueries::default();
        live::track_changes(&mut conn, &live.pending)?;
        Ok(Store {
            writer: Mutex::new(conn),
            readers: None,
            clock: Arc::new(SystemClock),
            dropdowns: Default::default(),
            live,
        })
    }

    /// The same store on another clock (tests and tools fix the date).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock the store stamps changes with and evaluates dates on.
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// Runs `f` on a consistent snapshot of the database.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match &self.readers {
            None => {
                let conn = lock(&self.writer);
                let tx = conn.unchecked_transaction()?;
                f(&tx)
            }
            Some(pool) => {
                let (conn, stamp) = pool.take()?;
                let result = {
                    let tx = conn.unchecked_transaction()?;
                    f(&tx)
                };
                pool.give_back(conn, stamp);
                result
            }
        }
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`,
    /// rolled back otherwise.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.write_touching(Tables::NONE, f)
    }

    /// [`Store::write`], for a transaction that also changes `extra` in ways
    /// the writer's hooks do not see (a whole-table `DELETE`). Live queries
    /// reading what the commit changed run again once it is committed.
    pub(crate) fn write_touching<T>(
        &self,
        extra: Tables,
        f: impl FnOnce(&Transaction) -> Result<T>,
    ) -> Result<T> {
        let mut conn = lock(&self.writer);
        // Whatever ran on the writer outside a transaction (VACUUM) is
        // not a change.
        Tables::take(&self.live.pending);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        let changed = Tables::take(&self.live.pending).union(extra);
        drop(conn);
        self.live.notify(changed);
        Ok(value)
    }

    /// A local edit of customers, in one write transaction: `f` returns
    /// what it made and the ids of the customers it changed; flexi customer
    /// segments follow those customers in the same transaction, so a
    /// screen never sees the edit without its memberships.
    pub(crate) fn edit_customers<T>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<(T, Vec<String>)>,
    ) -> Result<T> {
        self.write(|tx| {
            let (value, changed) = f(tx)?;
            customer_segments::follow_local_edits(tx, changed, self.clock.today())?;
            Ok(value)
        })
    }

    /// Rebuilds the file without its free pages, outside any transaction,
    /// so deleted rows do not linger on the device; then folds the WAL
    /// back in and truncates it (best effort: a reader's snapshot may keep
    /// it for now).
    pub(crate) fn compact(&self) -> Result<()> {
        lock(&self.writer).execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// The hook the sync engine calls after every run, whatever arrived
    /// (all of it, or the pages before a failure): brings what the store
    /// derives from synced data (customer segment memberships, RFM scores)
    /// up to date with it.
    pub fn after_sync_run(&self) -> Result<CustomerSegmentRefresh> {
        self.refresh_customer_segments()
    }
}

impl ReaderPool {
    fn take(&self) -> Result<(Connection, KeyStamp)> {
        if let Some(idle) = lock(&self.idle).pop() {
            return Ok(idle);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // Before anything reads the file.
        #[cfg(feature = "encryption")]
        let stamp = self.key.apply(&conn)?;
        #[cfg(not(feature = "encryption"))]
        let stamp = ();
        conn.busy_timeout(BUSY_TIMEOUT)?;
        register_functions(&conn)?;
        Ok((conn, stamp))
    }

    fn give_back(&self, conn: Connection, stamp: KeyStamp) {
        let mut idle = lock(&self.idle);
        #[cfg(feature = "encryption")]
        if !self.key.is_current(stamp) {
            return;
        }
        #[cfg(not(feature = "encryption"))]
        let () = stamp;
        if idle.len() < MAX_IDLE_READERS {
            idle.push((conn, stamp));
        }
    }
}

/// A panic inside a closure poisons the mutex, but the connection is sound:
/// its transaction was rolled back when the panic dropped it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The writer's page cache, in KiB (negative: SQLite reads it as KiB).
const WRITER_CACHE_KIB: i64 = -8 * 1024;

fn configure_writer(conn: &mut Connection, file_backed: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if file_backed {
        // WAL: readers do not block the writer nor wait for it.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        tracing::debug!(%mode, "journal mode");
    }
    // FULL: a committed local change survives power loss, not only app crashes.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Scratch tables of segment evaluation stay in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // A pull writes its customers at random places of four B-trees: 8 MiB
    // of page cache (SQLite's default is 2) keeps their inner pages, and
    // checkpointing every 8,000 pages (32 MiB of WAL, not 4) copies a leaf
    // that consecutive pages all touched once instead of once per page.
    // The WAL file is cut back to 32 MiB after a checkpoint.
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", 8_000)?;
    conn.pragma_update(None, "journal_size_limit", 32 << 20)?;
    register_functions(conn)
}

/// SQL functions backed by the domain code, so SQL and Rust agree.
fn register_functions(conn: &Connection) -> Result<()> {
    // fs_next_visit(last_visit 'YYYY-MM-DD', frequency code) -> 'YYYY-MM-DD' or NULL
    conn.create_scalar_function(
        "fs_next_visit",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let last: Option<chrono::NaiveDate> = ctx.get(0)?;
            let code: Option<String> = ctx.get(1)?;
            let next = match (last, code.as_deref().map(VisitFrequency::from_code)) {
                (Some(last), Some(Ok(freq))) => freq.next_visit(last),
                _ => None,
            };
            Ok(next)
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;

/// Runs `stmt` and maps every row with `f`, which may fail with our error
/// type (unlike `query_map`), e.g. while decoding stored JSON.
pub(crate) fn query_all<T, P: rusqlite::Params>(
    stmt: &mut rusqlite::Statement<'_>,
    params: P,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(f(row)?);
    }
    Ok(out)
}
