//! Sync benchmark over loopback, each figure beside a limit measured in the
//! same run:
//!
//! - initial sync of 100,000 customers and 2,000 segments, against its
//!   parts done raw: downloading the same pages; decoding their JSON and
//!   inserting the same rows with rusqlite into the same schema, with the
//!   same settings, a transaction per page. A pipelined pull does both at
//!   once, so the limit is the larger of the two;
//! - the apply path alone: the same pages applied into a fresh store
//!   (decoding included), against that raw insert;
//! - a no-change sync;
//! - outbox upload of 10,000 mutations, against posting the same request
//!   bodies raw;
//! - peak memory (VmHWM) of a device process syncing 1,000,000 customers,
//!   against the same process syncing 100,000 (bounded memory means the two
//!   are close).
//!
//! `cargo bench -p fieldsync-e2e --bench sync` (add `-- --quick` to skip the
//! 1,000,000-customer run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldsync_client::{HttpConfig, SyncClient};
use fieldsync_core::Store;
use fieldsync_core::model::{CustomerDraft, RemoteCustomer};
use fieldsync_core::protocol::{ChangePage, Collection, PushRequest};
use fieldsync_core::sync::apply::apply_pull_page;
use fieldsync_core::sync::{Credentials, SyncSettings};
use fieldsync_e2e::token;
use sync_server_mock::{ServerConfig, spawn_blocking_server};

// The raw limit and the peak memory, shared with the apply benchmark.
#[path = "../../core/benches/support/mod.rs"]
mod support;

const CUSTOMERS: usize = 100_000;
const SEGMENTS: usize = 2_000;
const PAGE: u32 = 1_000;
const UPLOADS: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--device-only") {
        // Child mode: one device syncing from `url`, reporting its peak memory.
        device_only(&args[i + 1]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!(
        "fieldsync sync benchmark over loopback ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut figures = serde_json::Map::new();
    initial_sync(&runtime, &mut figures);
    upload(&runtime, &mut figures);
    let (rss, _) = peak_memory(CUSTOMERS);
    figures.insert("peak_rss_100k_mib".into(), rss.into());
    if !quick {
        let (rss, seconds) = peak_memory(1_000_000);
        figures.insert("peak_rss_1m_mib".into(), rss.into());
        figures.insert("initial_sync_1m_s".into(), seconds.into());
    }
    // `<target>/bench/sync.json`: this executable is `<target>/<profile>/deps/..`.
    let exe = std::env::current_exe().unwrap();
    let path = exe.ancestors().nth(3).unwrap().join("bench/sync.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{:#}\n", serde_json::Value::Object(figures))).unwrap();
    println!("figures written to {}", path.display());
}

/// A figure rounded for the JSON output.
fn round(x: f64, places: i32) -> serde_json::Value {
    let scale = 10f64.powi(places);
    ((x * scale).round() / scale).into()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn client(store: Arc<Store>, url: &str, user: &str) -> SyncClient {
    let settings = SyncSettings {
        pull_page_size: PAGE,
        ..Default::default()
    };
    let credentials = Credentials::Password {
        username: user.into(),
        password: user.into(),
    };
    SyncClient::new(store, &HttpConfig::new(url), credentials, settings).unwrap()
}

fn initial_sync(
    runtime: &tokio::runtime::Runtime,
    figures: &mut serde_json::Map<String, serde_json::Value>,
) {
    let server = spawn_blocking_server(ServerConfig {
        // half of the generated customers are org-north's, the technician's
        generate_customers: 2 * CUSTOMERS,
        generate_segments: SEGMENTS * 10 / 9, // a tenth are org-south-only
        seed: 1,
        ..ServerConfig::demo()
    })
    .unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();

    // The sync, as an app runs it.
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let sync = client(store.clone(), &url, "tech");
    let start = Instant::now();
    let report = runtime.block_on(sync.sync()).unwrap();
    let sync_time = start.elapsed();
    let rows = report.downloaded;

    // The limit, part 1: download the same pages raw (bytes only).
    let http = reqwest::Client::builder().gzip(true).build().unwrap();
    let (bodies, download) = runtime.block_on(async {
        let token = token(&http, &url, "tech").await;
        let start = Instant::now();
        let mut cursor: Option<String> = None;
        let mut bodies = Vec::new();
        loop {
            let mut q = vec![("limit", PAGE.to_string())];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let bytes = http
                .get(format!("{url}/sync/v1/changes"))
                .bearer_auth(&token)
                .query(&q)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            // reading the cursor is part of paging, not of decoding
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let more = v["has_more"].as_bool().unwrap();
            cursor = v["cursor"].as_str().map(str::to_owned);
            bodies.push(bytes);
            if !more {
                break;
            }
        }
        (bodies, start.elapsed())
    });
    // Part 2 of the limit: decode the same bodies into the protocol's
    // pages and their records into their types.
    let start = Instant::now();
    let pages: Vec<(String, Vec<Row>)> = bodies
        .iter()
        .map(|b| {
            let page = serde_json::from_slice::<ChangePage>(b).unwrap();
            let rows = page
                .changes
                .iter()
                .filter_map(|c| match c.collection {
                    Collection::Customers => c.decode().ok().map(Row::Customer),
                    Collection::Segments => c.decode().ok().map(Row::Segment),
                    _ => None,
                })
                .collect();
            (page.cursor, rows)
        })
        .collect();
    let decode = start.elapsed();
    // Part 3: insert the same rows raw into the same schema, with the
    // store writer's settings, one durable transaction per page with its
    // cursor, as the device does.
    let pragmas = support::writer_settings(&store);
    let insert = raw_insert(&dir.path().join("raw.db"), &pragmas, &pages);
    drop(pages);
    // The apply path alone, on the same pages: decoded by the engine's
    // code and applied into a fresh store, page by page.
    let fresh = Store::open(dir.path().join("apply.db")).unwrap();
    let start = Instant::now();
    for body in &bodies {
        let page: ChangePage = serde_json::from_slice(body).unwrap();
        fresh.write(|tx| apply_pull_page(tx, &page)).unwrap();
    }
    let apply = start.elapsed();
    // Both run at once in a pipelined pull: the limit is the slower.
    let limit = download.max(decode + insert);
    println!(
        "initial sync: {rows} changes ({} customers, {} segments visible) in {:.2} s = {:.0} rows/s, {} pull requests",
        store
            .customers(
                &Default::default(),
                &fieldsync_core::model::LanguageTag::english()
            )
            .map_or(0, |p| p.total),
        store.segments(false).map_or(0, |s| s.len()),
        secs(sync_time),
        rows as f64 / secs(sync_time),
        report.pull_requests
    );
    println!(
        "  limit: the larger of raw download {:.2} s and JSON decode {:.2} s + raw rusqlite insert {:.2} s = {:.2} s ({:.0} rows/s); ratio {:.2}x",
        secs(download),
        secs(decode),
        secs(insert),
        secs(limit),
        rows as f64 / secs(limit),
        secs(sync_time) / secs(limit)
    );
    println!(
        "  apply alone (the same pages, decoding included, into a fresh store): {:.2} s ({:.0} rows/s); against the raw insert: ratio {:.2}x",
        secs(apply),
        rows as f64 / secs(apply),
        secs(apply) / secs(insert)
    );
    println!("  connection settings of the store's writer and the raw insert: {pragmas:?}");
    figures.insert(
        "initial_sync_rows_per_s".into(),
        round(rows as f64 / secs(sync_time), 0),
    );
    figures.insert(
        "initial_sync_limit_ratio".into(),
        round(secs(sync_time) / secs(limit), 2),
    );
    figures.insert(
        "apply_rows_per_s".into(),
        round(rows as f64 / secs(apply), 0),
    );
    figures.insert(
        "apply_raw_insert_ratio".into(),
        round(secs(apply) / secs(insert), 2),
    );

    // A no-change sync: one pull, nothing to apply.
    let mut samples: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let r = runtime.block_on(sync.sync()).unwrap();
            assert_eq!(r.pull_requests, 1);
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median_ms = secs(samples[samples.len() / 2]) * 1e3;
    println!(
        "no-change sync: median {median_ms:.2} ms (1 request, 0 changes) over {} runs",
        samples.len()
    );
    figures.insert("no_change_sync_ms".into(), round(median_ms, 2));
}

fn upload(
    runtime: &tokio::runtime::Runtime,
    figures: &mut serde_json::Map<String, serde_json::Value>,
) {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let sync = client(store.clone(), &server.url(), "manager");
    runtime.block_on(sync.sync()).unwrap();
    let drafts = (0..UPLOADS)
        .map(|i| CustomerDraft {
            segment_id: Some(
                if i % 2 == 0 {
                    "seg-retail"
                } else {
                    "seg-wholesale"
                }
                .into(),
            ),
            ..CustomerDraft::named(format!("Upload {i:05}"))
        })
        .collect();
    store.create_customers(drafts).unwrap();
    // Capture the request bodies the engine will send, for the raw limit.
    let bodies: Vec<PushRequest> = store
        .pending_changes(UPLOADS)
        .unwrap()
        .chunks(sync.engine().settings().push_batch_size)
        .map(fieldsync_core::sync::apply::push_request)
        .collect();
    let start = Instant::now();
    let report = runtime.block_on(sync.sync()).unwrap();
    let upload_time = start.elapsed();
    assert_eq!(report.uploaded, UPLOADS as u64);

    // The limit: the same bodies posted raw to a fresh server with the same data.
    let fresh = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let raw = runtime.block_on(async {
        let http = reqwest::Client::new();
        let token = token(&http, &fresh.url(), "manager").await;
        let start = Instant::now();
        for body in &bodies {
            let r = http
                .post(format!("{}/sync/v1/mutations", fresh.url()))
                .bearer_auth(&token)
                .json(body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            r.bytes().await.unwrap();
        }
        start.elapsed()
    });
    println!(
        "outbox upload of {UPLOADS} mutations: push {:.2} s in {} requests ({:.0} mutations/s); \
         limit (same bodies posted raw) {:.2} s; ratio {:.2}x (whole run incl. pulling them back: {:.2} s)",
        secs(report.push_duration),
        report.push_requests,
        UPLOADS as f64 / secs(report.push_duration),
        secs(raw),
        secs(report.push_duration) / secs(raw),
        secs(upload_time)
    );
    figures.insert("outbox_10k_s".into(), round(secs(report.push_duration), 3));
}

/// A decoded feed record the raw insert writes.
enum Row {
    Customer(RemoteCustomer),
    Segment(serde_json::Value),
}

/// Inserts the pages' rows raw into a fresh store's file, one durable
/// transaction per page with its cursor; answers the time it took.
fn raw_insert(
    path: &std::path::Path,
    pragmas: &[(&str, i64)],
    pages: &[(String, Vec<Row>)],
) -> Duration {
    let mut raw = support::raw_connection(path, pragmas);
    let start = Instant::now();
    for (cursor, rows) in pages {
        let tx = raw.transaction().unwrap();
        support::insert_customers(
            &tx,
            rows.iter().filter_map(|r| match r {
                Row::Customer(c) => Some(c),
                Row::Segment(_) => None,
            }),
        );
        {
            let mut segment = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO segments (id, organization_id, name, visit_frequency, version, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .unwrap();
            for row in rows {
                if let Row::Segment(d) = row {
                    segment
                        .execute(rusqlite::params![
                            d["id"].as_str(),
                            d["organization"].as_str().filter(|o| *o != "ALL"),
                            d["name"].to_string(),
                            d["visit_frequency"].as_str(),
                            d["version"].as_i64(),
                            d["updated_at"].as_str()
                        ])
                        .unwrap();
                }
            }
        }
        support::save_cursor(&tx, cursor);
        tx.commit().unwrap();
    }
    start.elapsed()
}

/// Peak memory (MiB) and sync time (s) of a device syncing `customers`: the
/// device runs in a child process (this binary again) so the server's
/// memory is not counted.
fn peak_memory(customers: usize) -> (f64, f64) {
    let server = spawn_blocking_server(ServerConfig {
        generate_customers: 2 * customers,
        seed: 2,
        ..ServerConfig::demo()
    })
    .unwrap();
    let start = Instant::now();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--device-only", &server.url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let (line, measured) = text.trim().rsplit_once('\n').unwrap();
    println!(
        "device process syncing {customers} customers: {line} (total {:.1} s)",
        secs(start.elapsed())
    );
    let measured: serde_json::Value = serde_json::from_str(measured).unwrap();
    (
        measured["peak_rss_mib"].as_f64().unwrap(),
        measured["seconds"].as_f64().unwrap(),
    )
}

fn device_only(url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let before = support::peak_rss_kib();
    let sync = client(store, url, "tech");
    let start = Instant::now();
    let report = runtime.block_on(sync.sync()).unwrap();
    let elapsed = start.elapsed();
    println!(
        "{} changes in {:.1} s ({:.0} rows/s); peak RSS {:.1} MiB (process start {:.1} MiB)",
        report.downloaded,
        secs(elapsed),
        report.downloaded as f64 / secs(elapsed),
        support::peak_rss_kib() as f64 / 1024.0,
        before as f64 / 1024.0
    );
    // The figures again, for the parent to read.
    println!(
        "{}",
        serde_json::json!({
            "peak_rss_mib": round(support::peak_rss_kib() as f64 / 1024.0, 1),
            "seconds": round(secs(elapsed), 2),
        })
    );
}
