//! Store benchmark: prints each figure beside a limit measured in the same
//! run on the same machine, and their ratio.
//!
//! `cargo bench -p fieldsync-core --bench store`
//!
//! - `segment_options` with 2,000 segments in 5 languages, kept in memory
//!   and rebuilt after a catalogue change, against a raw rusqlite read of
//!   the same rows (no label resolution, no sort).
//! - inserting 100,000 customers through `create_customers` (rule checks,
//!   outbox entries, one transaction), against a raw rusqlite insert of the
//!   same rows into the same table in one transaction.
//! - single `create_customer` calls, one durable transaction each.
//!
//! Also writes the dropdown figures to `<target>/bench/store.json`.

use std::time::{Duration, Instant};

use chrono::Utc;
use fieldsync_core::Store;
use fieldsync_core::model::{
    CustomerDraft, LanguageTag, LocalizedText, OrgScope, Role, Segment, Session, VisitFrequency,
};
use fieldsync_core::store::Change;
use rusqlite::{Connection, params};

const SEGMENTS: usize = 2_000;
const CUSTOMERS: usize = 100_000;
const SINGLE_CREATES: usize = 2_000;
const LANGUAGES: [&str; 5] = ["en", "nl", "fr", "de", "es"];

fn main() {
    let dir = std::env::temp_dir().join(format!("fieldsync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "fieldsync-core store benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    segment_options(&dir);
    insert_customers(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn segments() -> Vec<Change<Segment>> {
    (0..SEGMENTS)
        .map(|i| {
            let names = LANGUAGES
                .iter()
                .map(|l| (*l, format!("Segment {i:04} {l}")));
            Change::Upsert(Segment {
                id: format!("seg-{i:04}"),
                scope: match i % 4 {
                    0 => OrgScope::Organization("org-south".into()),
                    1 => OrgScope::Organization("org-north".into()),
                    _ => OrgScope::All,
                },
                name: LocalizedText::new("name", names, 200).unwrap(),
                visit_frequency: VisitFrequency::ALL[i % 14],
                description: Some(format!("Description of segment {i}")),
                version: 1,
                updated_at: Utc::now(),
                deleted: i % 50 == 0,
            })
        })
        .collect()
}

/// Median and 95th percentile of `runs` calls.
fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f(); // warm caches and prepared statements
    let mut samples: Vec<_> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    (samples[runs / 2], samples[runs * 95 / 100])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Writes `<target>/bench/<name>.json`, one flat object. The target
/// directory is found from this executable (`<target>/<profile>/deps/`), so
/// it follows `CARGO_TARGET_DIR`.
fn write_figures(name: &str, figures: &[(&str, f64)]) {
    let exe = std::env::current_exe().unwrap();
    let Some(target) = exe.ancestors().nth(3) else {
        return;
    };
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let object: serde_json::Map<String, serde_json::Value> = figures
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                serde_json::json!((v * 1000.0).round() / 1000.0),
            )
        })
        .collect();
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&object).unwrap()).unwrap();
    println!("  figures written to {}", path.display());
}

fn segment_options(dir: &std::path::Path) {
    let path = dir.join("segments.db");
    let store = Store::open(&path).unwrap();
    store.apply_segment_changes(&segments()).unwrap();
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let locale = LanguageTag::parse("nl-BE").unwrap();
    let mut shown = 0;
    let (median, p95) = time(1_000, || {
        shown = store.segment_options(&locale).unwrap().len()
    });
    // The first call after a catalogue change builds the list again.
    let Change::Upsert(mut touched) = segments().swap_remove(1) else {
        panic!("segments() makes upserts");
    };
    let mut rebuilds: Vec<Duration> = (0..100)
        .map(|_| {
            touched.version += 1;
            store
                .apply_segment_changes(&[Change::Upsert(touched.clone())])
                .unwrap();
            let start = Instant::now();
            store.segment_options(&locale).unwrap();
            start.elapsed()
        })
        .collect();
    rebuilds.sort();
    let rebuild_median = rebuilds[rebuilds.len() / 2];

    let raw = Connection::open(&path).unwrap();
    let mut rows = 0;
    let (raw_median, _) = time(100, || {
        let mut stmt = raw
            .prepare_cached(
                "SELECT id, name, visit_frequency FROM segments
                 WHERE deleted = 0 AND (organization_id IS NULL OR organization_id = ?1)",
            )
            .unwrap();
        let fetched: Vec<(String, String, String)> = stmt
            .query_map(["org-north"], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows = fetched.len();
    });
    assert_eq!(rows, shown);
    println!(
        "segment_options, {SEGMENTS} segments x {} languages ({shown} shown), kept: median {:.1} us, p95 {:.1} us; \
         limit (raw rusqlite read of the same rows) {:.1} us; ratio {:.2}x",
        LANGUAGES.len(),
        us(median),
        us(p95),
        us(raw_median),
        us(median) / us(raw_median)
    );
    println!(
        "  first call after a catalogue change (rebuilt): median {:.1} us; ratio {:.1}x the raw read",
        us(rebuild_median),
        us(rebuild_median) / us(raw_median)
    );
    write_figures(
        "store",
        &[
            ("segment_options_p50_us", us(median)),
            ("segment_options_p95_us", us(p95)),
            ("segment_options_rebuild_p50_us", us(rebuild_median)),
            ("segment_options_raw_read_us", us(raw_median)),
        ],
    );
}

fn drafts() -> Vec<CustomerDraft> {
    (0..CUSTOMERS)
        .map(|i| CustomerDraft {
            name: format!("Customer {i:06}"),
            segment_id: (i % 10 != 0).then(|| format!("seg-{:04}", 1 + (i % 500) * 4)),
            last_visit: (i % 3 == 0)
                .then(|| chrono::NaiveDate::from_ymd_opt(2026, 1 + (i % 12) as u32, 1).unwrap()),
            ..Default::default()
        })
        .collect()
}

fn insert_customers(dir: &std::path::Path) {
    // Through the store: validation, reference checks, outbox entry per row.
    let store = Store::open(dir.join("customers.db")).unwrap();
    store.apply_segment_changes(&segments()).unwrap();
    store
        .set_session(&Session::new("u1", "org-north", Role::Manager))
        .unwrap();
    let drafts = drafts();
    let start = Instant::now();
    let created = store.create_customers(drafts.clone()).unwrap();
    let store_time = start.elapsed();

    // The limit: the same rows into the same table, raw rusqlite, one transaction.
    let raw_path = dir.join("raw.db");
    drop(Store::open(&raw_path).unwrap()); // same schema and pragmas
    let mut raw = Connection::open(&raw_path).unwrap();
    raw.pragma_update(None, "synchronous", "FULL").unwrap();
    let start = Instant::now();
    let tx = raw.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO customers (id, organization_id, name, name_key, segment_id, last_visit, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .unwrap();
        for c in &created {
            stmt.execute(params![
                c.id,
                c.organization_id,
                c.name,
                c.name.to_lowercase(),
                c.segment_id,
                c.last_visit,
                c.created_at,
                c.updated_at
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    let raw_time = start.elapsed();

    // A second limit: the same customer rows plus one outbox row each, which
    // is what the store writes.
    let raw_outbox_path = dir.join("raw-outbox.db");
    drop(Store::open(&raw_outbox_path).unwrap());
    let mut raw_outbox = Connection::open(&raw_outbox_path).unwrap();
    raw_outbox
        .pragma_update(None, "synchronous", "FULL")
        .unwrap();
    let outbox_rows: Vec<(String, String)> = store
        .pending_changes(CUSTOMERS)
        .unwrap()
        .into_iter()
        .map(|e| (e.mutation_id, serde_json::to_string(&e.changes).unwrap()))
        .collect();
    let start = Instant::now();
    let tx = raw_outbox.transaction().unwrap();
    {
        let mut customer = tx
            .prepare(
                "INSERT INTO customers (id, organization_id, name, name_key, segment_id, last_visit, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .unwrap();
        let mut outbox = tx
            .prepare(
                "INSERT INTO outbox (mutation_id, entity, entity_id, operation, changes, created_at)
                 VALUES (?1, 'customer', ?2, 'create', ?3, ?4)",
            )
            .unwrap();
        for (c, (mutation_id, changes)) in created.iter().zip(&outbox_rows) {
            customer
                .execute(params![
                    c.id,
                    c.organization_id,
                    c.name,
                    c.name.to_lowercase(),
                    c.segment_id,
                    c.last_visit,
                    c.created_at,
                    c.updated_at
                ])
                .unwrap();
            outbox
                .execute(params![mutation_id, c.id, changes, c.created_at])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    let raw_outbox_time = start.elapsed();
    println!(
        "insert {CUSTOMERS} customers: create_customers {:.0} ms ({:.0} rows/s, with outbox entries); \
         limit (raw rusqlite insert, one transaction) {:.0} ms ({:.0} rows/s); ratio {:.2}x",
        ms(store_time),
        CUSTOMERS as f64 / store_time.as_secs_f64(),
        ms(raw_time),
        CUSTOMERS as f64 / raw_time.as_secs_f64(),
        ms(store_time) / ms(raw_time)
    );
    println!(
        "  second limit (raw insert of the customer rows plus their outbox rows) {:.0} ms; ratio {:.2}x",
        ms(raw_outbox_time),
        ms(store_time) / ms(raw_outbox_time)
    );

    // One customer at a time, as a technician enters them: each is its own
    // durable transaction (synchronous=FULL), limit: raw single-row
    // transactions on the same file.
    let start = Instant::now();
    for d in drafts.iter().take(SINGLE_CREATES) {
        store.create_customer(d.clone()).unwrap();
    }
    let single = start.elapsed() / SINGLE_CREATES as u32;
    let start = Instant::now();
    for (i, c) in created.iter().take(SINGLE_CREATES).enumerate() {
        let tx = raw.transaction().unwrap();
        tx.execute(
            "INSERT INTO customers (id, organization_id, name, name_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![format!("single-{i}"), c.organization_id, c.name, c.name.to_lowercase(), c.created_at, c.updated_at],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let raw_single = start.elapsed() / SINGLE_CREATES as u32;
    println!(
        "create_customer one at a time ({SINGLE_CREATES}): {:.3} ms each; limit (raw single-row transaction) {:.3} ms; ratio {:.2}x",
        ms(single),
        ms(raw_single),
        ms(single) / ms(raw_single)
    );
}
