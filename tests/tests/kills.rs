//! Real process kills: a device process (`src/bin/device.rs`) is SIGKILLed
//! at random moments of its sync (login, push, pull, apply), with offline
//! edits between restarts, and restarted until it catches up. Then the
//! database opens (WAL recovered) with `integrity_check` ok, nothing is
//! left in the outbox, every change is on the server exactly once, and the
//! device equals the server.
//!
//! `FIELDSYNC_KILL_TRIALS=200 cargo test -p fieldsync-e2e --test kills`
//! runs more trials than the test command's 20.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fieldsync_core::Store;
use fieldsync_e2e::{Portal, all_customers, assert_each_change_once, assert_same_customers};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sync_server_mock::ServerConfig;

const DEVICE: &str = env!("CARGO_BIN_EXE_device");

/// Offline edits in a device process run to completion; returns its
/// committed edits.
fn edit(db: &Path, seed: u64, own: &HashMap<String, i64>) -> Vec<(String, i64)> {
    let ids: Vec<&str> = own.keys().map(String::as_str).collect();
    let out = Command::new(DEVICE)
        .args(["edit", db.to_str().unwrap(), &seed.to_string()])
        .env("DEVICE_OWN", ids.join(","))
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => {}
        Some(3) => return Vec::new(), // not signed in yet
        other => panic!(
            "device edit: {other:?} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| match line.split(' ').collect::<Vec<_>>()[..] {
            ["created", id] => (id.to_owned(), 0),
            ["edited", id, n] => (id.to_owned(), n.parse().unwrap()),
            _ => panic!("unexpected line {line:?}"),
        })
        .collect()
}

/// Starts a sync process and SIGKILLs it after `after`; whether it was
/// killed before it ended.
async fn sync_killed_after(db: &Path, url: &str, after: Duration) -> bool {
    let mut child = Command::new(DEVICE)
        .args(["sync", db.to_str().unwrap(), url, "manager"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(after).await;
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap(); // SIGKILL
    }
    child.wait().unwrap();
    killed
}

async fn trial(seed: u64) -> u32 {
    let mut rng = StdRng::seed_from_u64(seed);
    let portal = Portal::start(ServerConfig {
        generate_customers: 2_000,
        seed,
        ..ServerConfig::demo()
    })
    .await;
    // Slow enough that kills land in every phase of a run.
    portal
        .set_faults(json!({"latency_ms": 3, "seed": seed}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let mut own: HashMap<String, i64> = HashMap::new();
    let mut kills = 0;
    for restart in 0..6 {
        if restart > 0 {
            for (id, n) in edit(&db, seed * 100 + restart, &own) {
                *own.entry(id).or_default() += n;
            }
        }
        let after = Duration::from_millis(rng.random_range(0..250));
        if sync_killed_after(&db, &portal.url(), after).await {
            kills += 1;
        }
    }
    portal.clear_faults().await;
    let caught_up = (0..5).any(|_| {
        Command::new(DEVICE)
            .args(["sync", db.to_str().unwrap(), &portal.url(), "manager"])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    });
    assert!(caught_up, "seed {seed}: the device never caught up");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "seed {seed}");
    drop(conn);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.pending_count().unwrap(), 0, "seed {seed}: outbox");
    assert_eq!(
        store.set_aside_count().unwrap(),
        0,
        "seed {seed}: set aside"
    );
    let server = portal.customers_of("org-north").await;
    let device = all_customers(&store);
    assert_same_customers(&device, &server);
    assert_each_change_once(&server, &own, &format!("seed {seed}"));
    kills
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_killed_at_random_moments_catches_up_with_nothing_lost_or_doubled() {
    let trials: u64 = std::env::var("FIELDSYNC_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut kills = 0;
    for seed in 1..=trials {
        kills += trial(seed).await;
    }
    eprintln!("{trials} trials, {kills} processes killed mid-run");
    assert!(kills >= trials as u32, "the kills landed mid-run ({kills})");
}
