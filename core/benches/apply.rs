//! The apply path alone: customers arriving as feed pages (wire bytes in
//! memory, decoded by the engine's own code) applied into a store on disk,
//! page by page, each page in one transaction with its cursor, as a pull
//! does (decoding included); against a raw rusqlite insert of the same
//! rows, already decoded, into the same schema (same indexes, same
//! triggers), with the same connection settings, one durable transaction
//! per page, in the same run.
//!
//! The rows look like a Portal's: random UUIDs, names in random order, a
//! segment out of 2,000 and a status, so every index takes its inserts at
//! random places, as in a real first sync.
//!
//! `cargo bench -p fieldsync-core --bench apply` (100,000 customers; add
//! `-- --customers 1000000` for a million); writes
//! `<target>/bench/apply.json` (the 100,000 run) or `apply_1m.json`.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fieldsync_core::Store;
use fieldsync_core::model::{RemoteCustomer, Role, Session};
use fieldsync_core::protocol::{ChangeOp, ChangePage, Collection, FeedChange};
use fieldsync_core::sync::MAX_PULL_PAGE_SIZE;
use fieldsync_core::sync::apply::apply_pull_page;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

mod support;

const PAGE: usize = MAX_PULL_PAGE_SIZE as usize;
const SEGMENTS: usize = 2_000;
const FIRST: [&str; 8] = [
    "Anna", "Bruno", "Chloé", "Dario", "Eva", "Farid", "Greta", "Hugo",
];
const LAST: [&str; 8] = [
    "Müller", "Rossi", "Novak", "Dubois", "Smith", "Kowalski", "Silva", "Berg",
];

/// The `i`th customer of the feed, the same in every call.
fn customer(rng: &mut StdRng, i: usize) -> RemoteCustomer {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
    RemoteCustomer {
        id: id.to_string(),
        organization_id: "org-north".into(),
        name: format!(
            "{} {} {}",
            FIRST[rng.random_range(0..FIRST.len())],
            LAST[rng.random_range(0..LAST.len())],
            rng.random_range(0..1_000_000)
        ),
        status_id: Some(format!("status-{}", i % 4)),
        source_id: None,
        industry_id: None,
        channel_id: None,
        segment_id: Some(format!("seg-{:04}", rng.random_range(0..SEGMENTS))),
        last_visit: None,
        created_at: at,
        updated_at: at,
        version: 1,
        deleted: false,
    }
}

/// Page `p` of the feed as the server sends it: a JSON body of `PAGE`
/// changes. Pages are made one at a time, so memory stays flat at 1M.
fn body(rng: &mut StdRng, p: usize, customers: usize) -> Vec<u8> {
    let range = p * PAGE..((p + 1) * PAGE).min(customers);
    let page = ChangePage {
        changes: range
            .map(|i| {
                let c = customer(rng, i);
                FeedChange {
                    seq: i as i64 + 1,
                    collection: Collection::Customers,
                    op: ChangeOp::Upsert,
                    id: c.id.clone(),
                    version: 1,
                    data: FeedChange::record(&c).unwrap(),
                }
            })
            .collect(),
        cursor: format!("c-{p}"),
        has_more: (p + 1) * PAGE < customers,
        remaining: customers.saturating_sub((p + 1) * PAGE) as u64,
        remaining_by_collection: Default::default(),
    };
    serde_json::to_vec(&page).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let customers: usize = args
        .iter()
        .position(|a| a == "--customers")
        .map_or(100_000, |i| args[i + 1].parse().expect("--customers N"));
    let pages = customers.div_ceil(PAGE);
    let dir = tempfile::tempdir().unwrap();
    println!(
        "fieldsync-core apply benchmark ({} cores), {customers} customers in pages of {PAGE}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let store = Store::open(dir.path().join("device.db")).unwrap();
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut apply = Duration::ZERO;
    let mut decode = Duration::ZERO;
    for p in 0..pages {
        let body = body(&mut rng, p, customers);
        // What decoding alone costs (part of the apply; not timed twice).
        let start = Instant::now();
        let page: ChangePage = serde_json::from_slice(&body).unwrap();
        for change in &page.changes {
            let _: RemoteCustomer = change.decode().unwrap();
        }
        decode += start.elapsed();
        let start = Instant::now();
        let page: ChangePage = serde_json::from_slice(&body).unwrap();
        store.write(|tx| apply_pull_page(tx, &page)).unwrap();
        apply += start.elapsed();
    }
    // The connection settings the store's writer runs with, for the limit.
    let pragmas = support::writer_settings(&store);
    drop(store);

    // The limit: the same rows, already decoded (not timed), inserted raw
    // into the same schema (a fresh store's file: same indexes and
    // triggers), one durable transaction per page with its cursor.
    let mut raw = support::raw_connection(&dir.path().join("raw.db"), &pragmas);
    let mut rng = StdRng::seed_from_u64(7);
    let mut limit = Duration::ZERO;
    for p in 0..pages {
        let page: ChangePage = serde_json::from_slice(&body(&mut rng, p, customers)).unwrap();
        let rows: Vec<RemoteCustomer> = page.changes.iter().map(|c| c.decode().unwrap()).collect();
        let start = Instant::now();
        let tx = raw.transaction().unwrap();
        support::insert_customers(&tx, &rows);
        support::save_cursor(&tx, &page.cursor);
        tx.commit().unwrap();
        limit += start.elapsed();
    }
    let rss_mib = support::peak_rss_kib() as f64 / 1024.0;
    let rate = |d: Duration| customers as f64 / d.as_secs_f64();
    let ratio = apply.as_secs_f64() / limit.as_secs_f64();
    println!(
        "apply {customers} customers: {:.2} s ({:.0} rows/s); limit (raw rusqlite insert of the same rows, same schema and settings) {:.2} s ({:.0} rows/s); ratio {ratio:.2}x",
        apply.as_secs_f64(),
        rate(apply),
        limit.as_secs_f64(),
        rate(limit),
    );
    println!(
        "  of which decoding the pages: {:.2} s ({:.0} rows/s); connection settings {pragmas:?}; peak RSS of this process {rss_mib:.1} MiB",
        decode.as_secs_f64(),
        rate(decode)
    );
    let exe = std::env::current_exe().unwrap();
    let name = if customers == 100_000 {
        "apply".to_owned()
    } else {
        format!("apply_{customers}")
    };
    let path = exe
        .ancestors()
        .nth(3)
        .unwrap()
        .join(format!("bench/{name}.json"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let figures = serde_json::json!({
        "customers": customers,
        "apply_rows_per_s": rate(apply).round(),
        "apply_raw_insert_ratio": (ratio * 100.0).round() / 100.0,
        "peak_rss_mib": (rss_mib * 10.0).round() / 10.0,
    });
    std::fs::write(&path, format!("{figures:#}\n")).unwrap();
    println!("  figures written to {}", path.display());
}
