//! Live queries: the time from a commit to the observer's call with the new
//! result, p50 and p95, for a customer list screen (the first page of 50 of
//! 10,000 customers, sorted by name) while customers are added one commit
//! at a time, each landing on that page. The limit, measured in the same
//! run on the same schema and connection settings: raw rusqlite committing
//! the same insert and running the same page query itself, in the same
//! thread, with no notification at all: what any live query pays at least.
//!
//! Both clocks start when the insert is done and the commit begins (the
//! commit is durable: `synchronous = FULL`, as the store's).
//!
//! `cargo bench -p fieldsync-core --bench live`; writes
//! `<target>/bench/live.json`.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use fieldsync_core::Store;
use fieldsync_core::model::{LanguageTag, Role, Session};
use fieldsync_core::store::{CustomerQuery, Tables};
use rusqlite::{Connection, params};

// Shared with the apply and sync benchmarks, which use the rest of it.
#[allow(dead_code)]
mod support;

const CUSTOMERS: usize = 10_000;
const COMMITS: usize = 300;
const INSERT: &str = "INSERT INTO customers (id, organization_id, name, name_key, created_at, updated_at)
                      VALUES (?1, 'org-north', ?2, lower(?2), '2026-11-29T08:00:00Z', '2026-11-29T08:00:00Z')";
const PAGE: &str = "SELECT c.id, c.organization_id, c.name, c.status_id, c.source_id, c.industry_id,
                           c.channel_id, c.segment_id, c.last_visit, c.created_at, c.updated_at, c.server_version,
                           s.name, s.deleted
                    FROM customers c LEFT JOIN segments s ON s.id = c.segment_id
                    WHERE c.deleted = 0 ORDER BY c.name_key, c.id LIMIT 50";

fn fill(conn: &Connection) {
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..CUSTOMERS {
        tx.execute(
            INSERT,
            params![format!("c-{i}"), format!("Customer {i:05}")],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// Each added customer sorts before all the others: it is on the first page.
fn added(i: usize) -> (String, String) {
    (
        format!("new-{i}"),
        format!("A new customer {:06}", 999_999 - i),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let en = LanguageTag::parse("en").unwrap();

    // fieldsync: a live query of the page; the observer notes when it is called.
    let store = Arc::new(Store::open(dir.path().join("live.db")).unwrap());
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    store
        .write(|tx| {
            let mut insert = tx.prepare(INSERT)?;
            for i in 0..CUSTOMERS {
                insert.execute(params![format!("c-{i}"), format!("Customer {i:05}")])?;
            }
            Ok(())
        })
        .unwrap();
    let (send, emissions) = channel();
    let _watch = store.watch(
        Tables::CUSTOMERS,
        move |s| s.customers(&CustomerQuery::default(), &en),
        move |page| {
            let _ = send.send((Instant::now(), page.customers[0].customer.name.clone()));
        },
    );
    emissions.recv().unwrap();
    let mut ours = Vec::with_capacity(COMMITS);
    for i in 0..COMMITS {
        let (id, name) = added(i);
        let mut started = None;
        store
            .write(|tx| {
                tx.execute(INSERT, params![id, name])?;
                started = Some(Instant::now());
                Ok(())
            })
            .unwrap();
        let (called, first) = emissions.recv().unwrap();
        assert_eq!(first, name, "the emission after a commit shows it");
        ours.push(called - started.unwrap());
    }

    // The limit: raw rusqlite, same schema and settings, no notification.
    let settings = support::writer_settings(&store);
    let raw = support::raw_connection(&dir.path().join("raw.db"), &settings);
    fill(&raw);
    let mut limit = Vec::with_capacity(COMMITS);
    for i in 0..COMMITS {
        let (id, name) = added(i);
        let tx = raw.unchecked_transaction().unwrap();
        tx.execute(INSERT, params![id, name]).unwrap();
        let started = Instant::now();
        tx.commit().unwrap();
        let mut page = raw.prepare_cached(PAGE).unwrap();
        let names: Vec<String> = page
            .query_map([], |r| r.get(2))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let total: i64 = raw
            .query_row(
                "SELECT count(*) FROM customers WHERE deleted = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        limit.push(started.elapsed());
        assert_eq!(
            (names[0].as_str(), total as usize),
            (name.as_str(), CUSTOMERS + i + 1)
        );
    }

    ours.sort();
    limit.sort();
    let (p50, p95) = (percentile(&ours, 0.5), percentile(&ours, 0.95));
    let (raw50, raw95) = (percentile(&limit, 0.5), percentile(&limit, 0.95));
    println!(
        "live query, commit to emission ({COMMITS} commits, page of 50 of {CUSTOMERS} customers): \
         p50 {:.2} ms, p95 {:.2} ms; raw rusqlite commit + the same query in place: p50 {:.2} ms, p95 {:.2} ms; \
         ratio p50 {:.2}x, p95 {:.2}x",
        ms(p50),
        ms(p95),
        ms(raw50),
        ms(raw95),
        ms(p50) / ms(raw50),
        ms(p95) / ms(raw95),
    );
    let path = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .unwrap()
        .join("bench/live.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let figures = serde_json::json!({
        "commits": COMMITS,
        "customers": CUSTOMERS,
        "commit_to_emission_p50_ms": round(ms(p50)),
        "commit_to_emission_p95_ms": round(ms(p95)),
        "raw_commit_and_query_p50_ms": round(ms(raw50)),
        "raw_commit_and_query_p95_ms": round(ms(raw95)),
        "ratio_p50": round(ms(p50) / ms(raw50)),
        "ratio_p95": round(ms(p95) / ms(raw95)),
    });
    std::fs::write(&path, format!("{figures:#}\n")).unwrap();
    println!("  figures written to {}", path.display());
}
