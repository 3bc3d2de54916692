//! The main story over real HTTP: first and incremental syncs, the segment
//! rule on both sides, tombstones, conflicts, refusals and convergence.

use fieldsync_core::Error;
use fieldsync_core::model::{CustomerDraft, CustomerUpdate, Role};
use fieldsync_core::sync::{Collection, SyncState};
use fieldsync_e2e::{Device, Portal, assert_same_customers, en, fast_settings};
use serde_json::json;

fn with_segment(name: &str, segment: &str) -> CustomerDraft {
    CustomerDraft {
        segment_id: Some(segment.into()),
        ..CustomerDraft::named(name)
    }
}

fn segment_update(id: &str) -> CustomerUpdate {
    CustomerUpdate {
        segment_id: Some(Some(id.into())),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_incremental_and_idle_syncs() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(
        &dir.path().join("tech.db"),
        &portal.url(),
        "tech",
        fast_settings(),
    );

    let first = device.sync().await;
    assert!(first.downloaded > 0);
    let session = device.store.session().unwrap().unwrap();
    assert_eq!(
        (session.user_id.as_str(), session.role),
        ("user-tech", Role::Technician)
    );
    let labels: Vec<_> = device
        .store
        .segment_options(&en())
        .unwrap()
        .into_iter()
        .map(|o| o.label)
        .collect();
    assert_eq!(
        labels,
        ["Retail", "Wholesale"],
        "org-south's segment is not offered in org-north"
    );
    let nl = fieldsync_core::model::LanguageTag::parse("nl").unwrap();
    let dutch: Vec<_> = device
        .store
        .segment_options(&nl)
        .unwrap()
        .into_iter()
        .map(|o| o.label)
        .collect();
    assert_eq!(dutch, ["Detailhandel", "Groothandel"]);
    assert_same_customers(&device.customers(), &portal.customers_of("org-north").await);

    // Nothing changed: exactly one pull request, nothing downloaded.
    let idle = device.sync().await;
    assert_eq!(
        (idle.pull_requests, idle.push_requests, idle.downloaded),
        (1, 0, 0)
    );

    // An office edit arrives alone.
    portal
        .edit_customer("cust-north-1", json!({"name": "Renamed by the office"}))
        .await;
    let incremental = device.sync().await;
    assert_eq!(incremental.downloaded, 1);
    assert_eq!(incremental.changed, [Collection::Customers]);
    let c = device
        .store
        .customer("cust-north-1", &en())
        .unwrap()
        .unwrap();
    assert_eq!(c.customer.name, "Renamed by the office");
    let status = device.client.status();
    assert_eq!(status.state, SyncState::Idle);
    assert!(status.last_success.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_segment_rule_on_the_device_and_on_the_server() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let tech = Device::synced(dir.path(), &portal, "tech").await;

    // A technician picks the segment on a new customer, and may still change
    // it until the server has accepted the customer.
    let c = tech
        .store
        .create_customer(with_segment("Bakkerij", "seg-retail"))
        .unwrap();
    tech.store
        .update_customer(&c.id, &segment_update("seg-wholesale"))
        .unwrap();
    assert!(
        tech.store
            .customer(&c.id, &en())
            .unwrap()
            .unwrap()
            .segment_editable
    );
    let report = tech.sync().await;
    assert_eq!(report.uploaded, 2);
    let on_server = portal.customer(&c.id).await.unwrap();
    assert_eq!(on_server.segment_id.as_deref(), Some("seg-wholesale"));

    // Existing now: read-only for the technician, refused offline and nothing queued.
    let view = tech.store.customer(&c.id, &en()).unwrap().unwrap();
    assert!(!view.segment_editable);
    let err = tech
        .store
        .update_customer(&c.id, &segment_update("seg-retail"))
        .unwrap_err();
    assert!(matches!(err, Error::SegmentReadOnly { .. }));
    assert_eq!(tech.store.pending_count().unwrap(), 0);

    // The server refuses it too, for a client that skips the device's check.
    let results = portal
        .push_as(
            "tech",
            json!([{"mutation_id": "raw-1", "entity": "customer", "entity_id": c.id, "operation": "update",
                    "changes": {"segment_id": "seg-retail"}, "base_version": on_server.version}]),
        )
        .await;
    assert_eq!(results["results"][0]["status"], "rejected");
    assert_eq!(results["results"][0]["code"], "permission");

    // A manager's change goes through, and reaches the technician.
    let manager = Device::synced(dir.path(), &portal, "manager").await;
    assert!(
        manager
            .store
            .customer(&c.id, &en())
            .unwrap()
            .unwrap()
            .segment_editable
    );
    manager
        .store
        .update_customer(&c.id, &segment_update("seg-retail"))
        .unwrap();
    assert_eq!(manager.sync().await.uploaded, 1);
    tech.sync().await;
    let seen = tech.store.customer(&c.id, &en()).unwrap().unwrap();
    assert_eq!(seen.segment.unwrap().label.as_deref(), Some("Retail"));
    assert_same_customers(&tech.customers(), &portal.customers_of("org-north").await);
    assert_same_customers(
        &manager.customers(),
        &portal.customers_of("org-north").await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_segment_leaves_the_dropdown_but_keeps_its_label() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let tech = Device::synced(dir.path(), &portal, "tech").await;
    let c = tech
        .store
        .create_customer(with_segment("Depot", "seg-wholesale"))
        .unwrap();
    tech.sync().await;

    portal.delete_segment("seg-wholesale").await;
    let report = tech.sync().await;
    assert!(report.changed.contains(&Collection::Segments));
    let offered: Vec<_> = tech
        .store
        .segment_options(&en())
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(offered, ["seg-retail"]);
    let label = tech
        .store
        .customer(&c.id, &en())
        .unwrap()
        .unwrap()
        .segment
        .unwrap();
    assert_eq!(
        (label.label.as_deref(), label.deleted),
        (Some("Wholesale"), true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_deleted_while_a_new_customer_waits_is_refused_without_blocking_the_queue() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let tech = Device::synced(dir.path(), &portal, "tech").await;

    // Offline: a new customer with Wholesale, then another without a segment.
    let doomed = tech
        .store
        .create_customer(with_segment("Depot", "seg-wholesale"))
        .unwrap();
    let fine = tech
        .store
        .create_customer(CustomerDraft::named("Corner shop"))
        .unwrap();
    // Meanwhile the office deletes Wholesale.
    portal.delete_segment("seg-wholesale").await;

    let report = tech.sync().await;
    assert_eq!((report.uploaded, report.rejected), (1, 1));
    let status = tech.client.status();
    assert_eq!((status.pending_uploads, status.set_aside), (0, 1));
    let aside = tech.store.pending_changes(10).unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].entity_id, doomed.id);
    let rejection = aside[0].rejection.clone().unwrap();
    assert_eq!(
        (rejection.code.code(), rejection.field.as_deref()),
        ("unknown_reference", Some("segment_id"))
    );
    assert_eq!(
        aside[0].changes["name"], "Depot",
        "the refused data is kept for the app"
    );
    assert!(portal.customer(&fine.id).await.is_some());
    assert!(portal.customer(&doomed.id).await.is_none());
    assert_eq!(
        tech.store.customer(&doomed.id, &en()).unwrap(),
        None,
        "back to the server's state"
    );
    assert_same_customers(&tech.customers(), &portal.customers_of("org-north").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_edit_and_a_device_edit_of_the_same_customer() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let manager = Device::synced(dir.path(), &portal, "manager").await;

    // Offline on the device: segment and name; at the office: segment.
    manager
        .store
        .update_customer(
            "cust-north-2",
            &CustomerUpdate {
                name: Some("Device name".into()),
                segment_id: Some(None),
                ..Default::default()
            },
        )
        .unwrap();
    let office = portal
        .edit_customer("cust-north-2", json!({"segment_id": "seg-retail"}))
        .await;
    assert_eq!(office["segment_id"], "seg-retail");

    let report = manager.sync().await;
    assert_eq!((report.uploaded, report.conflicts), (1, 1));
    let c = manager
        .store
        .customer("cust-north-2", &en())
        .unwrap()
        .unwrap()
        .customer;
    assert_eq!(
        c.segment_id.as_deref(),
        Some("seg-retail"),
        "the office's value won the field"
    );
    assert_eq!(c.name, "Device name", "the other field was applied");
    let conflicts = manager.store.sync_conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, "segment_id");
    assert_eq!(conflicts[0].local_value, json!(null));
    assert_same_customers(
        &manager.customers(),
        &portal.customers_of("org-north").await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_converge() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::open(
        &dir.path().join("a.db"),
        &portal.url(),
        "tech",
        fast_settings(),
    );
    let b = Device::open(
        &dir.path().join("b.db"),
        &portal.url(),
        "manager",
        fast_settings(),
    );
    a.sync().await;
    b.sync().await;
    for i in 0..5 {
        a.store
            .create_customer(CustomerDraft::named(format!("A{i}")))
            .unwrap();
        b.store
            .create_customer(CustomerDraft::named(format!("B{i}")))
            .unwrap();
    }
    b.store
        .update_customer(
            "cust-north-3",
            &CustomerUpdate {
                name: Some("B's edit".into()),
                ..Default::default()
            },
        )
        .unwrap();
    a.store
        .update_customer(
            "cust-north-3",
            &CustomerUpdate {
                last_visit: Some(Some("2026-11-20".parse().unwrap())),
                ..Default::default()
            },
        )
        .unwrap();
    for _ in 0..2 {
        a.sync().await;
        b.sync().await;
    }
    let server = portal.customers_of("org-north").await;
    assert_same_customers(&a.customers(), &server);
    assert_same_customers(&b.customers(), &server);
    let merged = server.iter().find(|c| c.id == "cust-north-3").unwrap();
    assert_eq!(merged.name, "B's edit");
    assert_eq!(merged.last_visit, Some("2026-11-20".parse().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_follows_the_server_when_an_admin_changes_the_role() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let tech = Device::synced(dir.path(), &portal, "tech").await;
    let existing = "cust-north-1";
    assert!(
        !tech
            .store
            .customer(existing, &en())
            .unwrap()
            .unwrap()
            .segment_editable
    );

    let http = reqwest::Client::new();
    let admin: serde_json::Value = http
        .post(format!("{}/auth/v1/login", portal.url()))
        .json(&json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let promoted = http
        .put(format!("{}/portal/v1/users/user-tech", portal.url()))
        .bearer_auth(admin["access_token"].as_str().unwrap())
        .json(&json!({"role": "manager", "organization_id": "org-north"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status().as_u16(), 200);

    tech.sync().await;
    assert_eq!(tech.store.session().unwrap().unwrap().role, Role::Manager);
    assert!(
        tech.store
            .customer(existing, &en())
            .unwrap()
            .unwrap()
            .segment_editable
    );
}
