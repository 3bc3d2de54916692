//! Live queries: a query re-run, off the caller's thread, after every commit
//! that changed a table it reads, its result handed on only when it differs.
//!
//! Which tables a transaction changed: SQLite's update hook names every
//! row it writes in a rowid table; it says nothing of `WITHOUT ROWID` tables
//! nor of a whole-table `DELETE` (the truncate optimization), so the two
//! `WITHOUT ROWID` tables live queries read get temporary triggers (kept in
//! the connection, not the schema), and the store's whole-table deletes
//! (session, sign-out) name what they clear. The bits collected during a
//! write are handed over after its commit; a rolled-back write hands none.
//!
//! One worker thread per store re-runs the queries, started with the first
//! watch and ended with the last: a commit only marks watches dirty and
//! wakes it, so neither a sync nor a local write waits for a query or an
//! app's observer. A watch marked dirty again before its re-run starts is
//! re-run once (at most one emission per commit); marked during its re-run,
//! it runs again after, so the last result handed on is never stale.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::hooks::Action;

use super::{Store, lock};
use crate::error::{Error, Result};

/// A set of what a live query reads: tables, and the app's locale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tables(u32);

impl Tables {
    pub const NONE: Tables = Tables(0);
    pub const ORGANIZATIONS: Tables = Tables(1 << 0);
    pub const SEGMENTS: Tables = Tables(1 << 1);
    pub const PICKLIST_VALUES: Tables = Tables(1 << 2);
    pub const CUSTOMERS: Tables = Tables(1 << 3);
    pub const OUTBOX: Tables = Tables(1 << 4);
    pub const SESSION: Tables = Tables(1 << 5);
    pub const CUSTOMER_SEGMENTS: Tables = Tables(1 << 6);
    pub const CUSTOMER_SEGMENT_TAGS: Tables = Tables(1 << 7);
    pub const CUSTOMER_SEGMENT_MEMBERS: Tables = Tables(1 << 8);
    /// Any other table (profiles, transactions, sync bookkeeping).
    pub const OTHER: Tables = Tables(1 << 9);
    /// Not a table: the language labels are resolved in, which the app
    /// holds; it says when it changes ([`Store::notify_changed`]).
    pub const LOCALE: Tables = Tables(1 << 10);
    pub const ALL: Tables = Tables((1 << 11) - 1);

    /// What the writer's hooks collected.
    pub(crate) fn take(pending: &AtomicU32) -> Tables {
        Tables(pending.swap(0, Ordering::Relaxed))
    }

    pub const fn union(self, other: Tables) -> Tables {
        Tables(self.0 | other.0)
    }

    pub const fn intersects(self, other: Tables) -> bool {
        self.0 & other.0 != 0
    }

    /// The bit of a table of the main database.
    fn of_table(name: &str) -> Tables {
        match name {
            "organizations" => Self::ORGANIZATIONS,
            "segments" => Self::SEGMENTS,
            "picklist_values" => Self::PICKLIST_VALUES,
            "customers" => Self::CUSTOMERS,
            "outbox" => Self::OUTBOX,
            "session" => Self::SESSION,
            "customer_segments" => Self::CUSTOMER_SEGMENTS,
            "customer_segment_tags" => Self::CUSTOMER_SEGMENT_TAGS,
            "customer_segment_members" => Self::CUSTOMER_SEGMENT_MEMBERS,
            _ => Self::OTHER,
        }
    }
}

/// The `WITHOUT ROWID` tables live queries read, which the update hook
/// does not report: each gets temporary triggers calling `fs_changed`.
const TRIGGERED: &[(&str, Tables)] = &[
    ("customer_segment_tags", Tables::CUSTOMER_SEGMENT_TAGS),
    ("customer_segment_members", Tables::CUSTOMER_SEGMENT_MEMBERS),
];

/// Tells the writer connection to collect what each transaction changes
/// into `pending` (after the migrations: the triggers name their tables).
pub(crate) fn track_changes(conn: &mut Connection, pending: &Arc<AtomicU32>) -> Result<()> {
    let hooked = pending.clone();
    conn.update_hook(Some(move |_: Action, db: &str, table: &str, _: i64| {
        // Scratch tables of segment evaluation live in `temp`.
        if db == "main" {
            hooked.fetch_or(Tables::of_table(table).0, Ordering::Relaxed);
        }
    }))?;
    let triggered = pending.clone();
    conn.create_scalar_function("fs_changed", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        triggered.fetch_or(ctx.get::<u32>(0)?, Ordering::Relaxed);
        Ok(0)
    })?;
    for (table, bit) in TRIGGERED {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            conn.execute_batch(&format!(
                "CREATE TEMP TRIGGER IF NOT EXISTS fs_live_{table}_{event} AFTER {event} ON main.{table}
                 BEGIN SELECT fs_changed({}); END;",
                bit.0
            ))?;
        }
    }
    Ok(())
}

/// The live queries of one store and the worker that re-runs them.
#[derive(Default)]
pub(crate) struct LiveQueries {
    /// What the open write transaction changed so far (the writer's hooks
    /// write it; `Store::write` takes it).
    pub(crate) pending: Arc<AtomicU32>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<WorkerState>,
    wake: Condvar,
}

#[derive(Default)]
struct WorkerState {
    watches: Vec<Arc<Entry>>,
    /// Dirty watches in the order they were marked.
    queue: VecDeque<Arc<Entry>>,
    worker_running: bool,
}

type Run = Box<dyn FnMut(&Store) + Send>;

struct Entry {
    tables: Tables,
    /// Queued for a re-run and not yet started.
    dirty: AtomicBool,
    closed: AtomicBool,
    /// The query and the observer; held while they run, so `close` from
    /// another thread waits for a running emission to end.
    run: Mutex<Option<Run>>,
}

thread_local! {
    /// The entry whose query runs on this thread now (the worker's), so
    /// that closing it from its own observer does not wait for itself.
    static RUNNING: Cell<*const Entry> = const { Cell::new(std::ptr::null()) };
}

/// An open live query: re-run until closed or dropped.
pub struct Watch {
    entry: Arc<Entry>,
    shared: Weak<Shared>,
}

impl Watch {
    /// Stops the query. When it returns, the observer is not running and
    /// will not be called again (called from that observer itself, it
    /// returns at once and the observer is not called again either).
    pub fn close(&self) {
        if self.entry.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(shared) = self.shared.upgrade() {
            let mut state = lock(&shared.state);
            state.watches.retain(|e| !Arc::ptr_eq(e, &self.entry));
            state.queue.retain(|e| !Arc::ptr_eq(e, &self.entry));
            // The worker may wait for work that will never come.
            shared.wake.notify_all();
        }
        let own_observer = RUNNING.with(|r| std::ptr::eq(r.get(), Arc::as_ptr(&self.entry)));
        if !own_observer {
            // Waits for a running emission; the closure (and the app's
            // observer with it) is released outside any lock of ours.
            let run = lock(&self.entry.run).take();
            drop(run);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.close();
    }
}

impl Drop for LiveQueries {
    /// The store is gone: a worker waiting for work ends.
    fn drop(&mut self) {
        let _state = lock(&self.shared.state);
        self.shared.wake.notify_all();
    }
}

impl LiveQueries {
    /// Marks the watches reading any of `changed` dirty and wakes the worker.
    pub(crate) fn notify(&self, changed: Tables) {
        if changed == Tables::NONE {
            return;
        }
        let mut state = lock(&self.shared.state);
        let WorkerState { watches, queue, .. } = &mut *state;
        let mut woke = false;
        for entry in watches.iter().filter(|e| e.tables.intersects(changed)) {
            if !entry.dirty.swap(true, Ordering::SeqCst) {
                queue.push_back(entry.clone());
                woke = true;
            }
        }
        if woke {
            self.shared.wake.notify_all();
        }
    }
}

impl Store {
    /// Runs `query` on a store thread at once and again after every commit
    /// that changes `tables`, and hands each result that differs from the
    /// last one handed on to `emit` (on that thread). With no one signed
    /// in (the query fails with `NoSession`) the result is the empty one,
    /// `T::default()`: a screen empties when the user signs out. Another
    /// failing run is logged and hands nothing on. Until the returned
    /// [`Watch`] is closed or dropped.
    pub fn watch<T, Q, E>(self: &Arc<Self>, tables: Tables, mut query: Q, mut emit: E) -> Watch
    where
        T: PartialEq + Default + Send + 'static,
        Q: FnMut(&Store) -> Result<T> + Send + 'static,
        E: FnMut(&T) + Send + 'static,
    {
        let mut last: Option<T> = None;
        let run: Run = Box::new(
            move |store| match query(store).or_else(signed_out_is_empty) {
                Ok(value) if last.as_ref() != Some(&value) => {
                    emit(&value);
                    last = Some(value);
                }
                Ok(_) => {}
                Err(e) => query_failed(&e),
            },
        );
        self.watch_run(tables, run)
    }

    /// The part of [`Store::watch`] that does not depend on the result's
    /// type (compiled once, not once per kind of live query).
    fn watch_run(self: &Arc<Self>, tables: Tables, run: Run) -> Watch {
        let entry = Arc::new(Entry {
            tables,
            dirty: AtomicBool::new(true),
            closed: AtomicBool::new(false),
            run: Mutex::new(Some(run)),
        });
        let shared = self.live.shared.clone();
        let start_worker = {
            let mut state = lock(&shared.state);
            state.watches.push(entry.clone());
            state.queue.push_back(entry.clone());
            shared.wake.notify_all();
            !std::mem::replace(&mut state.worker_running, true)
        };
        if start_worker {
            let store = Arc::downgrade(self);
            let worker_shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name("fieldsync-live".into())
                .spawn(move || work(&store, &worker_shared));
            if spawned.is_err() {
                // No thread to be had: the next watch tries again.
                lock(&shared.state).worker_running = false;
                tracing::error!("could not start the live query thread");
            }
        }
        Watch {
            entry,
            shared: Arc::downgrade(&shared),
        }
    }

    /// Says that something live queries read changed outside the database
    /// (the app's locale): watches reading it run again.
    pub fn notify_changed(&self, changed: Tables) {
        self.live.notify(changed);
    }
}

/// Not generic: one log callsite for every kind of live query.
#[inline(never)]
fn query_failed(error: &Error) {
    tracing::warn!(%error, "a live query failed; it runs again at the next change");
}

fn signed_out_is_empty<T: Default>(error: Error) -> Result<T> {
    match error {
        Error::NoSession => Ok(T::default()),
        other => Err(other),
    }
}

/// The worker: re-runs dirty watches until none is left open, or the
/// store is gone.
fn work(store: &Weak<Store>, shared: &Shared) {
    loop {
        let entry = {
            let mut state = lock(&shared.state);
            loop {
                if let Some(entry) = state.queue.pop_front() {
                    break entry;
                }
                if state.watches.is_empty() || store.strong_count() == 0 {
                    state.worker_running = false;
                    return;
                }
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        // A commit from now on queues the watch again.
        entry.dirty.store(false, Ordering::SeqCst);
        let Some(store) = store.upgrade() else {
            lock(&shared.state).worker_running = false;
            return;
        };
        let mut run = lock(&entry.run);
        if let (Some(run), false) = (run.as_mut(), entry.closed.load(Ordering::SeqCst)) {
            RUNNING.with(|r| r.set(Arc::as_ptr(&entry)));
            // An observer that panics loses this emission, not the worker.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&store)));
            RUNNING.with(|r| r.set(std::ptr::null()));
            if outcome.is_err() {
                tracing::warn!("a live query's observer panicked");
            }
        }
        // Closed by its own observer: release it here, outside the lock.
        let released = entry.closed.load(Ordering::SeqCst).then(|| run.take());
        drop(run);
        drop(released);
        drop(store);
    }
}
