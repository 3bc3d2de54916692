//! The apply path alone: 100,000 customers arriving as feed pages (wire
//! bytes in memory, decoded by the engine's own code) applied into a store
//! on disk, page by page, each page in one transaction with its cursor, as
//! a pull does (decoding included); against a raw rusqlite insert of the
//! same rows, already decoded, into the same schema (same indexes, same
//! triggers), one durable transaction per page, in the same run.
//!
//! `cargo bench -p fieldsync-core --bench apply`; writes
//! `<target>/bench/apply.json`.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fieldsync_core::Store;
use fieldsync_core::model::{RemoteCustomer, Role, Session};
use fieldsync_core::protocol::{ChangeOp, ChangePage, Collection, FeedChange};
use fieldsync_core::sync::apply::apply_pull_page;

const CUSTOMERS: usize = 100_000;
const PAGE: usize = 500;

fn customer(i: usize) -> RemoteCustomer {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    RemoteCustomer {
        id: format!("cust-{i:07}"),
        organization_id: "org-north".into(),
        name: format!("Customer {i:07}"),
        status_id: None,
        source_id: None,
        industry_id: None,
        channel_id: None,
        segment_id: None,
        last_visit: None,
        created_at: at,
        updated_at: at,
        version: 1,
        deleted: false,
    }
}

/// The feed as the server sends it: JSON bodies of `PAGE` changes.
fn bodies() -> Vec<Vec<u8>> {
    (0..CUSTOMERS)
        .collect::<Vec<_>>()
        .chunks(PAGE)
        .enumerate()
        .map(|(p, chunk)| {
            let page = ChangePage {
                changes: chunk
                    .iter()
                    .map(|&i| FeedChange {
                        seq: i as i64 + 1,
                        collection: Collection::Customers,
                        op: ChangeOp::Upsert,
                        id: format!("cust-{i:07}"),
                        version: 1,
                        data: FeedChange::record(&customer(i)).unwrap(),
                    })
                    .collect(),
                cursor: format!("c-{p}"),
                has_more: (p + 1) * PAGE < CUSTOMERS,
                remaining: (CUSTOMERS - (p + 1) * PAGE) as u64,
                remaining_by_collection: Default::default(),
            };
            serde_json::to_vec(&page).unwrap()
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "fieldsync-core apply benchmark ({} cores), {CUSTOMERS} customers in pages of {PAGE}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let bodies = bodies();

    let store = Store::open(dir.path().join("device.db")).unwrap();
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let start = Instant::now();
    for body in &bodies {
        let page: ChangePage = serde_json::from_slice(body).unwrap();
        store.write(|tx| apply_pull_page(tx, &page)).unwrap();
    }
    let apply = start.elapsed();

    // The limit: the same rows, already decoded (not timed), inserted raw
    // into the same schema (a fresh store's file: same indexes and
    // triggers), one durable transaction per page with its cursor.
    let pages: Vec<(String, Vec<RemoteCustomer>)> = bodies
        .iter()
        .map(|body| {
            let page: ChangePage = serde_json::from_slice(body).unwrap();
            let rows = page
                .changes
                .into_iter()
                .map(|c| c.decode().unwrap())
                .collect();
            (page.cursor, rows)
        })
        .collect();
    let raw_path = dir.path().join("raw.db");
    drop(Store::open(&raw_path).unwrap());
    let mut raw = rusqlite::Connection::open(&raw_path).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.pragma_update(None, "synchronous", "FULL").unwrap();
    let start = Instant::now();
    for (cursor, rows) in &pages {
        let tx = raw.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO customers (id, organization_id, name, name_key, created_at, updated_at, server_version)
                     VALUES (?1, ?2, ?3, lower(?3), ?4, ?5, ?6)",
                )
                .unwrap();
            for c in rows {
                insert
                    .execute(rusqlite::params![
                        c.id,
                        c.organization_id,
                        c.name,
                        c.created_at,
                        c.updated_at,
                        c.version
                    ])
                    .unwrap();
            }
            tx.execute(
                "INSERT INTO sync_state (id, cursor) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor",
                [cursor],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let limit = start.elapsed();
    // What decoding alone costs (part of the apply above).
    let start = Instant::now();
    for body in &bodies {
        let page: ChangePage = serde_json::from_slice(body).unwrap();
        for change in &page.changes {
            let _: RemoteCustomer = change.decode().unwrap();
        }
    }
    let decode = start.elapsed();
    let rate = |d: Duration| CUSTOMERS as f64 / d.as_secs_f64();
    println!(
        "apply {CUSTOMERS} customers: {:.2} s ({:.0} rows/s); limit (raw rusqlite insert of the same rows, same schema) {:.2} s ({:.0} rows/s); ratio {:.2}x",
        apply.as_secs_f64(),
        rate(apply),
        limit.as_secs_f64(),
        rate(limit),
        apply.as_secs_f64() / limit.as_secs_f64()
    );
    println!(
        "  of which decoding the pages: {:.2} s ({:.0} rows/s)",
        decode.as_secs_f64(),
        rate(decode)
    );
    let exe = std::env::current_exe().unwrap();
    let path = exe.ancestors().nth(3).unwrap().join("bench/apply.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let figures = serde_json::json!({
        "apply_rows_per_s": rate(apply).round(),
        "apply_raw_insert_ratio": (apply.as_secs_f64() / limit.as_secs_f64() * 100.0).round() / 100.0,
    });
    std::fs::write(&path, format!("{figures:#}\n")).unwrap();
    println!("  figures written to {}", path.display());
}
