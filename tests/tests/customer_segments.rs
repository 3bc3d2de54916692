//! Customer segments over real HTTP: definitions, profiles, transactions
//! and static memberships from the Portal, evaluated on the device; flexi
//! and snapshot behaviour across syncs; managers' static edits uploaded;
//! technicians refused on both sides.

use std::collections::BTreeSet;

use fieldsync_core::Error;
use fieldsync_core::Store;
use fieldsync_core::model::CustomerUpdate;
use fieldsync_e2e::{Device, Portal};
use reqwest::Method;
use serde_json::{Value, json};

fn members(store: &Store, segment: &str) -> BTreeSet<String> {
    store
        .customer_segment_members(segment, 500, 0)
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.customer_id)
        .collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A membership edit pushed straight to the server as `user`, bypassing
/// the device's checks.
async fn push_membership(
    portal: &Portal,
    user: &str,
    operation: &str,
    segment: &str,
    customer: &str,
) -> Value {
    portal
        .push_as(
            user,
            json!([{
                "mutation_id": format!("m-{user}-{operation}-{segment}"),
                "entity": "customer_segment_member",
                "entity_id": format!("{segment}/{customer}"),
                "operation": operation,
                "changes": {"segment_id": segment, "customer_id": customer},
                "base_version": null
            }]),
        )
        .await
}

async fn create_segment(portal: &Portal, body: Value) -> String {
    let (status, segment) = portal
        .call(Method::POST, "/portal/v1/customer-segments", Some(body))
        .await;
    assert_eq!(status, 201, "{segment}");
    segment["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_segments_are_answered_offline() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::synced(dir.path(), &portal, "tech").await;
    let store = &device.store;

    let listed: Vec<_> = store
        .customer_segments(None)
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.priority, s.evaluated))
        .collect();
    assert_eq!(
        listed,
        [
            ("cs-vip".to_string(), 50, true),
            ("cs-brno-buyers".into(), 40, true),
            ("cs-retail-snapshot".into(), 10, true),
            ("cs-not-vip".into(), 5, true),
        ]
    );
    assert_eq!(members(store, "cs-vip"), ids(&["cust-north-1"]));
    assert_eq!(
        members(store, "cs-brno-buyers"),
        ids(&["cust-north-1", "cust-north-3"]),
        "org-south's customers are not on this device"
    );
    assert_eq!(
        members(store, "cs-retail-snapshot"),
        ids(&["cust-north-1", "cust-north-4"])
    );
    assert_eq!(
        members(store, "cs-not-vip"),
        ids(&["cust-north-2", "cust-north-3", "cust-north-4"])
    );
    let of_north_1: Vec<_> = store
        .customer_segments_of("cust-north-1")
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        of_north_1,
        ["cs-vip", "cs-brno-buyers", "cs-retail-snapshot"]
    );
    assert_eq!(
        store
            .primary_customer_segment("cust-north-3")
            .unwrap()
            .unwrap()
            .id,
        "cs-brno-buyers"
    );
    let tags: Vec<_> = store
        .customer_segment_tags()
        .unwrap()
        .into_iter()
        .map(|t| t.tag)
        .collect();
    assert!(tags.contains(&"city".to_string()), "{tags:?}");
    let profile = store.customer_profile("cust-north-1").unwrap().unwrap();
    assert_eq!(profile.city.as_deref(), Some("Brno"));
    assert_eq!(store.purchase_summary("cust-north-1").unwrap().count, 6);

    // Nothing new: an idle sync evaluates nothing.
    let idle = device.sync().await;
    assert_eq!(idle.customer_segment_refresh.full_evaluations, 0);
    assert_eq!(idle.customer_segment_refresh.customer_evaluations, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_changes_reach_flexi_segments_one_customer_at_a_time() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::synced(dir.path(), &portal, "tech").await;
    let id = create_segment(
        &portal,
        json!({
            "name": "Big spenders in Ostrava",
            "priority": 30,
            "flexi": true,
            "tags": ["spend"],
            "criteria": {"all": [
                {"attribute": "city", "op": "equals", "value": "Ostrava"},
                {"purchases": "sum", "window": {"last_days": 365}, "op": "between", "min": 100}
            ]}
        }),
    )
    .await;
    let first = device.sync().await;
    assert_eq!(
        first.customer_segment_refresh.full_evaluations, 1,
        "the new definition"
    );
    let before = members(&device.store, &id);

    // The office moves a customer to Ostrava and records a large purchase.
    let (status, body) = portal
        .call(
            Method::PUT,
            "/portal/v1/customers/cust-north-2/profile",
            Some(json!({"city": "Ostrava"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let today = chrono::Local::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let (status, body) = portal
        .call(
            Method::POST,
            "/portal/v1/transactions",
            Some(json!([{"id": "tx-big", "customer_id": "cust-north-2", "date": today, "amount": 2500.0, "kind": "online"}])),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let second = device.sync().await;
    assert!(members(&device.store, &id).contains("cust-north-2"));
    assert!(
        before
            .iter()
            .all(|c| members(&device.store, &id).contains(c))
    );
    assert_eq!(
        second.customer_segment_refresh.full_evaluations, 0,
        "{second:?}"
    );
    assert!(second.customer_segment_refresh.customer_evaluations >= 1);
    let summary = device.store.purchase_summary("cust-north-2").unwrap();
    assert!(summary.total_spend_minor >= 250_000, "{summary:?}");
    assert_eq!(
        summary.last_purchase,
        Some(chrono::Local::now().date_naive())
    );

    // The Portal deletes the segment: it leaves the device.
    let (status, body) = portal
        .call(
            Method::DELETE,
            &format!("/portal/v1/customer-segments/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    device.sync().await;
    assert_eq!(device.store.customer_segment(&id).unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_static_edit_is_uploaded_and_reaches_other_devices() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let manager = Device::synced(dir.path(), &portal, "manager").await;
    let tech = Device::synced(dir.path(), &portal, "tech").await;

    // Offline: the manager puts cust-north-2 in cs-vip; the flexi
    // "not VIP" segment follows at once; the snapshot does not move.
    assert!(
        manager
            .store
            .add_to_customer_segment("cs-vip", "cust-north-2")
            .unwrap()
    );
    assert_eq!(
        members(&manager.store, "cs-vip"),
        ids(&["cust-north-1", "cust-north-2"])
    );
    assert_eq!(
        members(&manager.store, "cs-not-vip"),
        ids(&["cust-north-3", "cust-north-4"])
    );
    assert_eq!(manager.store.pending_count().unwrap(), 1);

    let report = manager.sync().await;
    assert_eq!(report.uploaded, 1);
    assert_eq!(manager.store.pending_count().unwrap(), 0);
    let (status, body) = portal
        .call(
            Method::GET,
            "/portal/v1/customer-segments/cs-vip/members",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["customer_ids"],
        json!(["cust-north-1", "cust-north-2"])
    );

    // The technician's device gets it with the next sync.
    tech.sync().await;
    assert_eq!(
        members(&tech.store, "cs-vip"),
        ids(&["cust-north-1", "cust-north-2"])
    );
    assert_eq!(
        members(&tech.store, "cs-not-vip"),
        ids(&["cust-north-3", "cust-north-4"])
    );

    // Technicians may not: the device refuses and writes nothing, and the
    // server refuses a push that bypasses the device.
    let err = tech
        .store
        .remove_from_customer_segment("cs-vip", "cust-north-2")
        .unwrap_err();
    assert!(matches!(err, Error::NotPermitted { .. }), "{err}");
    assert_eq!(tech.store.pending_count().unwrap(), 0);
    let results = push_membership(&portal, "tech", "remove_member", "cs-vip", "cust-north-2").await;
    assert_eq!(results["results"][0]["status"], "rejected");
    // One rule, one place: the server refuses with the device's own code
    // and words.
    assert_eq!(results["results"][0]["code"], err.code());
    assert_eq!(results["results"][0]["reason"], err.to_string());

    // Conditional segments follow their criteria only, on the device and
    // on the server alike.
    let err = manager
        .store
        .add_to_customer_segment("cs-brno-buyers", "cust-north-2")
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    let results = push_membership(
        &portal,
        "manager",
        "add_member",
        "cs-brno-buyers",
        "cust-north-2",
    )
    .await;
    let Error::Validation { field, reason } = err else {
        unreachable!()
    };
    assert_eq!(results["results"][0]["code"], "validation");
    assert_eq!(results["results"][0]["field"], field);
    assert_eq!(results["results"][0]["reason"], reason.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_wait_and_flexi_follows_local_edits() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let manager = Device::synced(dir.path(), &portal, "manager").await;
    // A manager moves cust-north-2 to retail, offline.
    manager
        .store
        .update_customer(
            "cust-north-2",
            &CustomerUpdate {
                segment_id: Some(Some("seg-retail".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let flexi = create_segment(
        &portal,
        json!({"name": "Retail now", "flexi": true,
               "criteria": {"attribute": "segment_id", "op": "equals", "value": "seg-retail"}}),
    )
    .await;
    manager.sync().await;
    let retail = ids(&["cust-north-1", "cust-north-2", "cust-north-4"]);
    assert_eq!(members(&manager.store, &flexi), retail);
    assert_eq!(
        members(&manager.store, "cs-retail-snapshot"),
        ids(&["cust-north-1", "cust-north-4"]),
        "a snapshot keeps its members"
    );
    manager
        .store
        .refresh_customer_segment("cs-retail-snapshot")
        .unwrap();
    assert_eq!(members(&manager.store, "cs-retail-snapshot"), retail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_refuses_bad_criteria_and_cycles_with_their_path() {
    let portal = Portal::demo().await;
    let (status, body) = portal
        .call(
            Method::POST,
            "/portal/v1/customer-segments",
            Some(json!({"name": "Bad", "criteria": {"all": [{"attribute": "city", "op": "exists"}, {"attribute": "shoe", "op": "exists"}]}})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "criteria.all[1].attribute");
    let a = create_segment(
        &portal,
        json!({"name": "A", "criteria": {"has_badge": "gold"}}),
    )
    .await;
    let b = create_segment(&portal, json!({"name": "B", "criteria": {"in_segment": a}})).await;
    let (status, body) = portal
        .call(
            Method::PUT,
            &format!("/portal/v1/customer-segments/{a}"),
            Some(json!({"name": "A", "criteria": {"any": [{"has_badge": "gold"}, {"in_segment": b}]}})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "criteria.any[1].in_segment");
}

/// The last criteria families of seed 003 end to end: a customer's home
/// business unit, purchases at a business unit and partner, and the open
/// shopping cart, from the Portal over HTTP to the device's members; a flexi
/// segment follows a cart opened and one checked out, customer by customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cart_and_business_unit_criteria_reach_the_device() {
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::synced(dir.path(), &portal, "tech").await;
    let store = &device.store;
    // The demo's carts and business units arrived.
    let cart = store
        .cart("cust-north-3")
        .unwrap()
        .expect("the demo's abandoned cart");
    assert_eq!((cart.value, cart.items, cart.abandoned), (120.0, 4, true));
    assert_eq!(
        store.cart("cust-south-1").unwrap(),
        None,
        "another organization's"
    );
    let profile = store.customer_profile("cust-north-2").unwrap().unwrap();
    assert_eq!(profile.business_unit_id.as_deref(), Some("bu-praha"));

    let abandoned = create_segment(
        &portal,
        json!({
            "name": "Abandoned carts of the Brno store",
            "priority": 20,
            "flexi": true,
            "criteria": {"all": [
                {"attribute": "business_unit_id", "op": "equals", "value": "bu-brno"},
                {"attribute": "cart.abandoned", "op": "equals", "value": true},
                {"attribute": "cart.value", "op": "between", "min": 100},
                {"attribute": "cart.age", "op": "between", "min": 3}
            ]}
        }),
    )
    .await;
    let web_partner = create_segment(
        &portal,
        json!({
            "name": "Bought online through the wholesale partner",
            "priority": 15,
            "flexi": false,
            "criteria": {"purchases": "count", "window": {"last_days": 365},
                         "business_units": ["bu-web"], "partners": ["pt-wholesale"],
                         "op": "between", "min": 1}
        }),
    )
    .await;
    let web = create_segment(
        &portal,
        json!({
            "name": "Bought at the web shop, no open cart",
            "priority": 12,
            "flexi": true,
            "criteria": {"all": [
                {"purchases": "count", "business_units": ["bu-web"], "op": "between", "min": 1},
                {"attribute": "cart.open", "op": "equals", "value": false}
            ]}
        }),
    )
    .await;
    let report = device.sync().await;
    assert_eq!(
        report.customer_segment_refresh.full_evaluations, 3,
        "{report:?}"
    );
    assert_eq!(members(store, &abandoned), ids(&["cust-north-3"]));
    assert_eq!(members(store, &web_partner), ids(&["cust-north-2"]));
    assert_eq!(
        members(store, &web),
        ids(&["cust-north-2", "cust-north-4"]),
        "cust-north-1 bought online but has an open cart"
    );

    // The shop reports cust-north-1's cart abandoned with more in it, and
    // cust-north-3 checks out: both flexi segments follow those two
    // customers, without evaluating everyone.
    let four_days_ago = (chrono::Utc::now().date_naive() - chrono::Days::new(4))
        .format("%Y-%m-%d")
        .to_string();
    let (status, body) = portal
        .call(
            Method::PUT,
            "/portal/v1/customers/cust-north-1/cart",
            Some(
                json!({"value": 150.0, "items": 5, "updated_on": four_days_ago, "abandoned": true}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = portal
        .call(
            Method::DELETE,
            "/portal/v1/customers/cust-north-3/cart",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let report = device.sync().await;
    assert!(
        report
            .changed
            .contains(&fieldsync_core::sync::Collection::Carts),
        "{report:?}"
    );
    assert_eq!(
        report.customer_segment_refresh.full_evaluations, 0,
        "{report:?}"
    );
    assert!(
        report.customer_segment_refresh.customer_evaluations >= 2,
        "{report:?}"
    );
    assert_eq!(members(store, &abandoned), ids(&["cust-north-1"]));
    assert_eq!(
        members(store, &web),
        ids(&["cust-north-2", "cust-north-4"]),
        "cust-north-3 has no web purchase, cust-north-1 still a cart"
    );
    assert_eq!(store.cart("cust-north-3").unwrap(), None);
    assert_eq!(store.cart("cust-north-1").unwrap().unwrap().items, 5);

    // The home business unit changes on the Portal: cust-north-1 leaves.
    let (status, body) = portal
        .call(
            Method::PUT,
            "/portal/v1/customers/cust-north-1/profile",
            Some(json!({"city": "Brno", "business_unit_id": "bu-praha"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    device.sync().await;
    assert_eq!(members(store, &abandoned), BTreeSet::new());
}
