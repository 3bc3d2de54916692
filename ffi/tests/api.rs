//! The exported API driven from Rust against the mock Portal: the same
//! calls the bindings make, minus the foreign-language glue (which the
//! Kotlin and Python suites in bindings/ cover).

use std::sync::{Arc, Mutex};

use fieldsync::{
    CustomerDraft, CustomerQuery, CustomerUpdate, FieldChange, FieldStore, FieldSyncError,
    SegmentFilter, SyncClient, SyncCollection, SyncConfig, SyncObserver, SyncStatus,
};
use fieldsync_core::model::{PicklistKind, Role, Session};
use fieldsync_core::sync::SyncState;
use sync_server_mock::{BlockingServer, ServerConfig, spawn_blocking_server};

fn server() -> BlockingServer {
    spawn_blocking_server(ServerConfig::demo()).expect("mock server")
}

fn config(server: &BlockingServer) -> SyncConfig {
    SyncConfig {
        server_url: server.url(),
        connect_timeout_seconds: 10,
        request_timeout_seconds: 60,
        pull_page_size: 500,
        push_batch_size: 100,
        attempts_per_run: 2,
    }
}

async fn device(
    server: &BlockingServer,
    dir: &tempfile::TempDir,
    user: &str,
    locale: &str,
) -> (Arc<FieldStore>, Arc<SyncClient>) {
    let path = dir.path().join(format!("{user}.db"));
    let store = FieldStore::open(path.to_string_lossy().into_owned(), locale.into()).unwrap();
    let client = SyncClient::new(store.clone(), config(server), None, None).unwrap();
    client.login(user.into(), user.into()).await.unwrap();
    client.sync().await.unwrap();
    (store, client)
}

#[derive(Default)]
struct Recorder {
    states: Mutex<Vec<SyncState>>,
    collections: Mutex<Vec<SyncCollection>>,
}

impl SyncObserver for Recorder {
    fn status_changed(&self, status: SyncStatus) -> Result<(), FieldSyncError> {
        self.states.lock().unwrap().push(status.state);
        Ok(())
    }
    fn collections_changed(&self, collections: Vec<SyncCollection>) -> Result<(), FieldSyncError> {
        self.collections.lock().unwrap().extend(collections);
        Ok(())
    }
}

#[tokio::test]
async fn the_story_through_the_exported_api() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (tech, tech_client) = device(&server, &dir, "tech", "en").await;
    let recorder = Arc::new(Recorder::default());
    tech_client.add_observer(recorder.clone());

    assert_eq!(
        tech.session().unwrap(),
        Some(Session::new("user-tech", "org-north", Role::Technician))
    );
    let labels = |store: &FieldStore| -> Vec<String> {
        store
            .segment_options()
            .unwrap()
            .into_iter()
            .map(|o| o.label)
            .collect()
    };
    assert_eq!(labels(&tech), ["Retail", "Wholesale"]);
    tech.set_locale("nl-BE".into()).unwrap();
    assert_eq!(tech.locale(), "nl-BE");
    assert_eq!(labels(&tech), ["Detailhandel", "Groothandel"]);
    assert!(
        !tech
            .picklist_options(PicklistKind::Channel)
            .unwrap()
            .is_empty()
    );
    tech.set_locale("en".into()).unwrap();

    let created = tech
        .create_customer(CustomerDraft {
            name: "Bakkerij Rust".into(),
            segment_id: Some("seg-retail".into()),
            last_visit: Some("2026-11-02".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(created.is_new && created.segment_editable);
    assert_eq!(
        created.segment.as_ref().unwrap().label.as_deref(),
        Some("Retail")
    );
    let pending = tech.pending_changes(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].changes.get("last_visit"),
        Some(&Some("2026-11-02".to_owned()))
    );

    let report = tech_client.sync().await.unwrap();
    assert_eq!(report.uploaded, 1);
    assert!(report.changed.contains(&SyncCollection::Customers));
    assert!(
        recorder
            .states
            .lock()
            .unwrap()
            .contains(&SyncState::Syncing)
    );
    assert!(
        recorder
            .collections
            .lock()
            .unwrap()
            .contains(&SyncCollection::Customers)
    );
    assert_eq!(tech_client.status().state, SyncState::Idle);
    assert!(tech.last_sync_success().unwrap().is_some());

    let existing = tech.customer(created.id.clone()).unwrap().unwrap();
    assert!(!existing.is_new && !existing.segment_editable);
    let refused = tech.update_customer(
        created.id.clone(),
        CustomerUpdate {
            segment_id: Some(FieldChange::Set {
                value: "seg-wholesale".into(),
            }),
            ..Default::default()
        },
    );
    assert_eq!(
        refused,
        Err(FieldSyncError::SegmentReadOnly {
            customer_id: created.id.clone()
        })
    );

    // The manager moves the customer to another segment and renames it; the
    // technician renamed it offline meanwhile: a conflict the device logs.
    let (manager, manager_client) = device(&server, &dir, "manager", "nl").await;
    let moved = manager
        .update_customer(
            created.id.clone(),
            CustomerUpdate {
                name: Some("Bakkerij Rust (kantoor)".into()),
                segment_id: Some(FieldChange::Set {
                    value: "seg-wholesale".into(),
                }),
                last_visit: Some(FieldChange::Clear),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        moved.segment.as_ref().unwrap().label.as_deref(),
        Some("Groothandel")
    );
    assert_eq!(moved.last_visit, None);
    assert_eq!(manager_client.sync().await.unwrap().uploaded, 1);

    tech.update_customer(
        created.id.clone(),
        CustomerUpdate {
            name: Some("Bakkerij Rust (device)".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let report = tech_client.sync().await.unwrap();
    assert_eq!(report.conflicts, 1);
    let conflicts = tech.sync_conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, "name");
    assert_eq!(
        conflicts[0].local_value.as_deref(),
        Some("Bakkerij Rust (device)")
    );
    assert_eq!(
        conflicts[0].server_value.as_deref(),
        Some("Bakkerij Rust (kantoor)")
    );
    let after = tech.customer(created.id.clone()).unwrap().unwrap();
    assert_eq!(after.name, "Bakkerij Rust (kantoor)");
    assert_eq!(after.segment.unwrap().id, "seg-wholesale");

    let page = tech
        .customers(CustomerQuery {
            search: Some("bakkerij rust".into()),
            segment: Some(SegmentFilter::InSegment {
                segment_id: "seg-wholesale".into(),
            }),
            limit: 10,
            offset: 0,
        })
        .unwrap();
    assert_eq!(page.total, 1);
    let counts = tech.segment_counts().unwrap();
    assert!(counts.iter().map(|c| c.count).sum::<u64>() >= 1);
    assert!(tech.segments(true).unwrap().len() >= 2);
}

#[tokio::test]
async fn errors_and_validation_through_the_exported_api() {
    let store = FieldStore::open_in_memory("en".into()).unwrap();
    assert_eq!(store.segment_options(), Err(FieldSyncError::NoSession));
    store
        .set_session(Session::new("user-x", "org-north", Role::Manager))
        .unwrap();
    assert_eq!(store.segment_options(), Ok(vec![]));
    assert_eq!(
        store.due_visits("2026-13-01".into()),
        Err(FieldSyncError::Validation {
            field: "date".into(),
            reason: "is malformed".into()
        })
    );
    assert_eq!(
        store
            .create_customer(CustomerDraft {
                name: "Garage".into(),
                segment_id: Some("seg-nowhere".into()),
                ..Default::default()
            })
            .map(|c| c.id),
        Err(FieldSyncError::Validation {
            field: "segment_id".into(),
            reason: "segment_id seg-nowhere does not exist".into()
        })
    );
    assert_eq!(
        store.update_customer("c-404".into(), CustomerUpdate::default()),
        Err(FieldSyncError::NotFound {
            entity: "customer".into(),
            id: "c-404".into()
        })
    );
    assert_eq!(
        store
            .customers(CustomerQuery {
                search: None,
                segment: None,
                limit: 0,
                offset: 0
            })
            .map(|p| p.total),
        Err(FieldSyncError::Validation {
            field: "limit".into(),
            reason: "must be between 1 and 500".into()
        })
    );
    assert_eq!(
        store.set_locale("x".into()),
        Err(FieldSyncError::Validation {
            field: "locale".into(),
            reason: "is malformed".into()
        })
    );
    store.clear_session().unwrap();
    assert_eq!(store.session(), Ok(None));

    // Nothing listens on port 9: a network error after the run's tries.
    let mut offline = SyncConfig {
        server_url: "http://127.0.0.1:9".into(),
        connect_timeout_seconds: 2,
        request_timeout_seconds: 5,
        pull_page_size: 500,
        push_batch_size: 100,
        attempts_per_run: 1,
    };
    let client = SyncClient::new(store.clone(), offline.clone(), None, None).unwrap();
    assert!(matches!(
        client.login("tech".into(), "tech".into()).await,
        Err(FieldSyncError::Network { .. })
    ));
    assert_eq!(
        client.sync().await.map(|r| r.uploaded),
        Err(FieldSyncError::Unauthorized)
    );
    offline.push_batch_size = 501;
    assert!(matches!(
        SyncClient::new(store, offline, None, None).map(|_| ()),
        Err(FieldSyncError::Validation { field, .. }) if field == "push_batch_size"
    ));
}

#[tokio::test]
async fn a_background_loop_stops_with_its_handle() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (store, client) = device(&server, &dir, "tech", "en").await;
    store
        .create_customer(CustomerDraft {
            name: "Background Rust".into(),
            ..Default::default()
        })
        .unwrap();
    let handle = client.start(1).unwrap();
    assert!(handle.is_running());
    for _ in 0..200 {
        if store.pending_count().unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        store.pending_count().unwrap(),
        0,
        "uploaded in the background"
    );
    handle.sync_now();
    client.stop();
    for _ in 0..100 {
        if !handle.is_running() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!handle.is_running());

    // Starting again stops the loop started before.
    let first = client.start(60).unwrap();
    let second = client.start(60).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!first.is_running(), "replaced");
    assert!(second.is_running());
    assert!(matches!(
        client.start(0).map(|_| ()),
        Err(FieldSyncError::Validation { field, .. }) if field == "interval_seconds"
    ));
}

/// The plain flavour has no encryption at rest: `open_encrypted`,
/// `encrypt_database` and `change_key` say so with `Unsupported`, and touch
/// nothing.
#[cfg(not(feature = "encrypted"))]
#[test]
fn the_plain_flavour_answers_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let unsupported = FieldSyncError::Unsupported {
        feature: "encryption at rest (the encrypted flavour has it)".into(),
    };
    let key = vec![1u8; 32];
    assert_eq!(
        FieldStore::open_encrypted(path("e.db"), "en".into(), key.clone()).err(),
        Some(unsupported.clone())
    );
    drop(FieldStore::open(path("plain.db"), "en".into()).unwrap());
    assert_eq!(
        FieldStore::encrypt_database(path("plain.db"), path("e.db"), "en".into(), key.clone())
            .err(),
        Some(unsupported.clone())
    );
    let store = FieldStore::open_in_memory("en".into()).unwrap();
    assert_eq!(store.change_key(key).err(), Some(unsupported));
    assert!(!dir.path().join("e.db").exists());
}
