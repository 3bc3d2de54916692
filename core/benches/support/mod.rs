//! The raw limit the apply and sync benchmarks measure against, and the
//! process's peak memory: one copy, included by path from both
//! (`core/benches/apply.rs`, `tests/benches/sync.rs`).

use std::path::Path;

use fieldsync_core::Store;
use fieldsync_core::model::RemoteCustomer;
use rusqlite::{Connection, Transaction};

/// The connection settings of the store's writer, which the raw insert
/// uses too.
pub fn writer_settings(store: &Store) -> Vec<(&'static str, i64)> {
    [
        "synchronous",
        "cache_size",
        "wal_autocheckpoint",
        "journal_size_limit",
    ]
    .into_iter()
    .map(|name| {
        let value = store
            .write(|tx| Ok(tx.pragma_query_value(None, name, |r| r.get(0))?))
            .unwrap();
        (name, value)
    })
    .collect()
}

/// A plain rusqlite connection to a fresh store's file at `path` (same
/// schema: indexes and triggers), with `settings`.
pub fn raw_connection(path: &Path, settings: &[(&str, i64)]) -> Connection {
    drop(Store::open(path).unwrap());
    let raw = Connection::open(path).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    for (name, value) in settings {
        raw.pragma_update(None, name, value).unwrap();
    }
    raw
}

/// Inserts customer rows raw, as they are (`lower()` for the search key).
pub fn insert_customers<'a>(
    tx: &Transaction<'_>,
    rows: impl IntoIterator<Item = &'a RemoteCustomer>,
) {
    let mut insert = tx
        .prepare_cached(
            "INSERT OR REPLACE INTO customers (id, organization_id, name, name_key, status_id, source_id, industry_id,
                                               channel_id, segment_id, last_visit, created_at, updated_at, server_version, deleted)
             VALUES (?1, ?2, ?3, lower(?3), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .unwrap();
    for c in rows {
        insert
            .execute(rusqlite::params![
                c.id,
                c.organization_id,
                c.name,
                c.status_id,
                c.source_id,
                c.industry_id,
                c.channel_id,
                c.segment_id,
                c.last_visit,
                c.created_at,
                c.updated_at,
                c.version,
                c.deleted
            ])
            .unwrap();
    }
}

/// Stores the page's cursor, as the apply does with each page.
pub fn save_cursor(tx: &Transaction<'_>, cursor: &str) {
    tx.execute(
        "INSERT INTO sync_state (id, cursor) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor",
        [cursor],
    )
    .unwrap();
}

/// This process's peak resident set in KiB (Linux; 0 elsewhere).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
