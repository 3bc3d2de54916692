//! Reliability over real HTTP: under the mock's injected faults every local
//! change reaches the server exactly once and the device ends equal to the
//! server; runs cut off at random points resume; the background loop
//! retries on its own; expired tokens are renewed.

use std::collections::HashMap;
use std::time::Duration;

use fieldsync_core::model::{CustomerDraft, CustomerUpdate};
use fieldsync_e2e::{
    Device, Portal, assert_each_change_once, assert_same_customers, fast_settings,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sync_server_mock::ServerConfig;

/// Local work: creates and edits, remembering how many changes each
/// customer got (each must become exactly one server version).
struct Work {
    rng: StdRng,
    edits: HashMap<String, i64>,
}

impl Work {
    fn new(seed: u64) -> Self {
        Work {
            rng: StdRng::seed_from_u64(seed),
            edits: HashMap::new(),
        }
    }

    fn step(&mut self, device: &Device, n: usize) {
        for _ in 0..n {
            let ids: Vec<String> = self.edits.keys().cloned().collect();
            if ids.is_empty() || self.rng.random_bool(0.4) {
                let segment = ["seg-retail", "seg-wholesale"][self.rng.random_range(0..2)];
                let c = device
                    .store
                    .create_customer(CustomerDraft {
                        segment_id: Some(segment.into()),
                        ..CustomerDraft::named(format!(
                            "Customer {}",
                            self.rng.random_range(0..1_000_000)
                        ))
                    })
                    .unwrap();
                self.edits.insert(c.id, 0);
            } else {
                let id = &ids[self.rng.random_range(0..ids.len())];
                let update = match self.rng.random_range(0..3) {
                    0 => CustomerUpdate {
                        name: Some(format!("Renamed {}", self.rng.random_range(0..1_000_000))),
                        ..Default::default()
                    },
                    1 => CustomerUpdate {
                        last_visit: Some(Some(
                            format!("2026-11-{:02}", self.rng.random_range(1..28))
                                .parse()
                                .unwrap(),
                        )),
                        ..Default::default()
                    },
                    _ => CustomerUpdate {
                        segment_id: Some(Some(
                            ["seg-retail", "seg-wholesale"][self.rng.random_range(0..2)].into(),
                        )),
                        ..Default::default()
                    },
                };
                let before = device.store.pending_changes(usize::MAX).unwrap().len();
                device.store.update_customer(id, &update).unwrap();
                let queued = device.store.pending_changes(usize::MAX).unwrap().len() - before;
                *self.edits.get_mut(id).unwrap() += queued as i64;
            }
        }
    }
}

fn faults(seed: u64) -> serde_json::Value {
    json!({
        "error_rate": 0.08, "unavailable_rate": 0.02, "rate_limit_rate": 0.02, "drop_rate": 0.08,
        "truncate_rate": 0.08, "applied_then_fail_rate": 0.1, "latency_ms": 1, "seed": seed
    })
}

/// Every local change reaches the server exactly once, whatever the faults.
async fn exactly_once_under_faults(seed: u64) {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::synced(dir.path(), &portal, "manager").await;
    portal.set_faults(faults(seed)).await;

    let mut work = Work::new(seed);
    let mut failed_runs = 0;
    for _ in 0..12 {
        work.step(&device, 4);
        if device.client.sync().await.is_err() {
            failed_runs += 1;
        }
    }
    portal.clear_faults().await;
    device.sync_until_success(3).await;
    device.sync().await;

    let status = device.client.status();
    let aside: Vec<_> = device
        .store
        .pending_changes(100)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.rejection.map(|r| (e.operation, e.base_version, r)))
        .collect();
    assert_eq!(
        (status.pending_uploads, status.set_aside),
        (0, 0),
        "seed {seed}: {aside:?}"
    );
    let server = portal.customers_of("org-north").await;
    assert_same_customers(&device.customers(), &server);
    assert_each_change_once(&server, &work.edits, &format!("seed {seed}"));
    eprintln!(
        "seed {seed}: {} customers, {failed_runs} runs failed under faults",
        work.edits.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_reaches_the_server_exactly_once_under_faults() {
    for seed in 1..=8 {
        exactly_once_under_faults(seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_cut_off_at_random_points_resume_after_a_restart() {
    let portal = Portal::start(ServerConfig {
        generate_customers: 3_000,
        seed: 11,
        ..ServerConfig::demo()
    })
    .await;
    portal
        .set_faults(json!({"latency_ms": 20, "seed": 3}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manager.db");
    let settings = || fieldsync_core::sync::SyncSettings {
        pull_page_size: 100,
        ..fast_settings()
    };
    let mut rng = StdRng::seed_from_u64(5);
    let mut work = Work::new(5);
    let mut cut = 0;
    for _ in 0..15 {
        // The app is started, works a little, syncs and is killed at a
        // random moment; nothing survives but the database file.
        let device = Device::open(&path, &portal.url(), "manager", settings());
        // Signed in and the segments have arrived (a login stores the
        // session before the first page).
        if device.store.segment("seg-wholesale").unwrap().is_some() {
            work.step(&device, 2);
        }
        let limit = Duration::from_millis(rng.random_range(5..80));
        if tokio::time::timeout(limit, device.client.sync())
            .await
            .is_err()
        {
            cut += 1;
        }
    }
    assert!(cut >= 3, "runs were cut off ({cut})");
    portal.clear_faults().await;
    let device = Device::open(&path, &portal.url(), "manager", settings());
    device.sync_until_success(3).await;
    assert_eq!(device.client.status().pending_uploads, 0);
    let server = portal.customers_of("org-north").await;
    assert_same_customers(&device.customers(), &server);
    for (id, edits) in &work.edits {
        let on_server = server
            .iter()
            .find(|c| &c.id == id)
            .expect("no local change is lost");
        assert_eq!(on_server.version, 1 + edits);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_loop_retries_on_its_own_without_a_new_write() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::synced(dir.path(), &portal, "tech").await;
    portal
        .set_faults(json!({"error_rate": 1.0, "seed": 1}))
        .await;
    let c = device
        .store
        .create_customer(CustomerDraft::named("Written once"))
        .unwrap();

    let background = device.client.start(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(device.client.status().pending_uploads, 1, "still failing");
    portal.clear_faults().await;
    // No new local write, an hour-long interval: only the failure backoff
    // can bring the upload now.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while device.client.status().pending_uploads > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the upload stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(portal.customer(&c.id).await.is_some());

    // On demand: a new write and `sync_now` do not wait for the interval.
    let d = device
        .store
        .create_customer(CustomerDraft::named("Right away"))
        .unwrap();
    background.sync_now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while portal.customer(&d.id).await.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sync_now did not sync"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    background.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!background.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed() {
    let portal = Portal::start(ServerConfig {
        token_ttl: Duration::from_secs(1),
        ..ServerConfig::demo()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::synced(dir.path(), &portal, "tech").await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let report = device.sync().await;
    assert!(
        report.retries >= 1,
        "the 401 was answered with a fresh login"
    );
}

/// A wrong password is `Unauthorized` at once; after the mock's lockout
/// (429 with a long Retry-After) the attempt ends at once too, with the
/// server's reason, instead of waiting the lockout out in retries.
#[tokio::test]
async fn a_wrong_password_is_unauthorized_and_a_lockout_is_not_waited_out() {
    use fieldsync_client::{HttpConfig, SyncClient};
    use fieldsync_core::sync::{Credentials, SyncSettings};
    use std::sync::Arc;

    let portal = Portal::start(ServerConfig {
        login_max_failures: 3,
        login_lockout: Duration::from_secs(120),
        ..ServerConfig::demo()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(fieldsync_core::Store::open(dir.path().join("d.db")).unwrap());
    let client = SyncClient::new(
        store,
        &HttpConfig::new(portal.url()),
        Credentials::Password {
            username: "tech".into(),
            password: "not-the-password".into(),
        },
        // Default retries: a retried lockout would wait minutes.
        SyncSettings::default(),
    )
    .unwrap();
    for _ in 0..3 {
        let err = client.sync().await.unwrap_err();
        assert!(matches!(err, fieldsync_core::Error::Unauthorized), "{err}");
    }
    let started = std::time::Instant::now();
    let err = client.login("tech", "tech").await.unwrap_err();
    assert!(
        matches!(&err, fieldsync_core::Error::Server { status: 429, reason } if reason.contains("too many failed logins")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
