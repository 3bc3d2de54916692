//! The Portal's customer segments, their static members, customer profiles
//! and transactions, and what the feed and pushes make of them.

use fieldsync_core::protocol::{CustomerSegmentMembership, Mutation, PushRequest};
use serde_json::{Value, json};

use crate::support::{Api, demo, new_id, of, read_as, to_json};

const BASE: &str = "/portal/v1/customer-segments";

fn brno() -> Value {
    json!({"attribute": "city", "op": "equals", "value": "Brno"})
}

#[tokio::test]
async fn customer_segments_are_created_read_replaced_and_deleted() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    let created = manager
        .post(
            BASE,
            json!({"name": " Brno fans ", "priority": 30, "flexi": true, "tags": ["city"],
                   "criteria": {"all": [brno(), {"in_segment": "cs-vip"}]}}),
        )
        .await
        .expect(201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cs-"), "{id}");
    assert_eq!(created["organization"], "ALL");
    assert_eq!(created["name"], "Brno fans");
    assert_eq!(
        created["kind"], "conditional",
        "criteria make it conditional"
    );
    assert_eq!(created["flexi"], true);
    assert_eq!(created["version"], 1);
    let segment: fieldsync_core::model::CustomerSegment = read_as(&created);
    segment.validate().unwrap();

    assert_eq!(
        manager.get(&format!("{BASE}/{id}")).await.expect(200),
        created
    );
    let list = manager.get(BASE).await.expect(200);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cs-vip",
            "cs-brno-buyers",
            id.as_str(),
            "cs-retail-snapshot",
            "cs-not-vip"
        ],
        "highest priority first"
    );

    let replaced = manager
        .put(
            &format!("{BASE}/{id}"),
            json!({"name": "Static now", "organization": "org-north"}),
        )
        .await
        .expect(200);
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["kind"], "static");
    assert_eq!(replaced["criteria"], Value::Null);
    assert_eq!(replaced["priority"], 0, "a PUT replaces the form");
    assert_eq!(replaced["organization"], "org-north");

    let tomb = manager.delete(&format!("{BASE}/{id}")).await.expect(200);
    assert_eq!(tomb["version"], 3);
    manager
        .get(&format!("{BASE}/{id}"))
        .await
        .expect_error(404, "not_found", None);
    manager
        .delete(&format!("{BASE}/{id}"))
        .await
        .expect_error(404, "not_found", None);
    manager
        .put(&format!("{BASE}/{id}"), json!({"name": "Back"}))
        .await
        .expect_error(404, "not_found", None);
    assert_eq!(
        manager
            .get(BASE)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // The feed: an upsert, then the tombstone.
    let tech = api.login("tech").await;
    let (changes, _) = tech.pull_all(None, 500).await;
    let mine = of(&changes, "customer_segments", Some(&id));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["op"], "delete");
    assert_eq!(mine[0]["version"], 3);
    assert_eq!(mine[0]["data"], Value::Null);
}

#[tokio::test]
async fn technicians_read_the_customer_segment_api_but_may_not_change_it() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    // Read-only, as the Portal's screens show it to them: their own
    // organization's segments and those shared by all.
    let listed = tech.get(BASE).await.expect(200);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "cs-vip")
    );
    tech.get(&format!("{BASE}/cs-vip/members"))
        .await
        .expect(200);
    tech.post(BASE, json!({"name": "X"}))
        .await
        .expect_error(403, "forbidden", None);
    tech.put(&format!("{BASE}/cs-vip/members/cust-north-2"), json!(null))
        .await
        .expect_error(403, "forbidden", None);
    tech.put("/portal/v1/customers/cust-north-1/profile", json!({}))
        .await
        .expect_error(403, "forbidden", None);
    tech.post("/portal/v1/transactions", json!([]))
        .await
        .expect_error(403, "forbidden", None);
    api.get(BASE).await.expect_error(401, "unauthorized", None);
}

/// Each invalid form and the field and reason it is refused with.
#[tokio::test]
async fn each_validation_error_names_its_path() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let cases = [
        (json!({}), "name", "must not be blank"),
        (
            json!({"name": "A", "criteria": {"attribute": "colour", "op": "exists"}}),
            "criteria.attribute",
            "is not one of the allowed codes",
        ),
        (
            json!({"name": "A", "criteria": {"all": [brno(), {"attribute": "age", "op": "equals", "value": "old"}]}}),
            "criteria.all[1].value",
            "is malformed",
        ),
        (
            json!({"name": "A", "criteria": {"all": [brno(), {"in_segment": "cs-nope"}]}}),
            "criteria.all[1].in_segment",
            "is not one of the allowed codes",
        ),
        (
            json!({"name": "A", "kind": "static", "criteria": brno()}),
            "criteria",
            "is not one of the allowed codes",
        ),
        (
            json!({"name": "A", "kind": "static", "flexi": true}),
            "flexi",
            "is not one of the allowed codes",
        ),
        (
            json!({"name": "A", "kind": "conditional"}),
            "criteria",
            "must not be blank",
        ),
        (
            json!({"name": "A", "priority": 1001}),
            "priority",
            "must be between 0 and 1000",
        ),
        (
            json!({"name": "A", "tags": ["x", "X"]}),
            "tags[1]",
            "has a duplicate entry",
        ),
        (
            json!({"name": "A", "organization": "org-west"}),
            "organization",
            "organization org-west does not exist",
        ),
    ];
    for (body, field, reason) in cases {
        let err = admin
            .post(BASE, body.clone())
            .await
            .expect_error(422, "validation", Some(field));
        assert_eq!(err["reason"], reason, "{body}");
        admin
            .put(&format!("{BASE}/cs-brno-buyers"), body)
            .await
            .expect_error(422, "validation", Some(field));
    }
    admin
        .post(BASE, json!({"name": 5}))
        .await
        .expect_error(422, "validation", Some("body"));
    // A deleted segment is unknown too.
    let doomed = admin
        .post(BASE, json!({"name": "Doomed"}))
        .await
        .expect(201);
    let doomed = doomed["id"].as_str().unwrap();
    admin.delete(&format!("{BASE}/{doomed}")).await.expect(200);
    admin
        .post(
            BASE,
            json!({"name": "A", "criteria": {"not": {"in_segment": doomed}}}),
        )
        .await
        .expect_error(422, "validation", Some("criteria.not.in_segment"));
    assert_eq!(
        admin.get(BASE).await.expect(200).as_array().unwrap().len(),
        4
    );
}

#[tokio::test]
async fn segments_may_not_include_themselves() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    // A includes A.
    let err = admin
        .put(
            &format!("{BASE}/cs-brno-buyers"),
            json!({"name": "Self", "criteria": {"any": [brno(), {"in_segment": "cs-brno-buyers"}]}}),
        )
        .await
        .expect_error(422, "validation", Some("criteria.any[1].in_segment"));
    assert_eq!(err["reason"], "would make a segment include itself");
    // A includes B includes A.
    let a = admin
        .post(
            BASE,
            json!({"name": "A", "criteria": {"in_segment": "cs-brno-buyers"}}),
        )
        .await
        .expect(201);
    let a = a["id"].as_str().unwrap();
    let err = admin
        .put(
            &format!("{BASE}/cs-brno-buyers"),
            json!({"name": "B", "criteria": {"all": [brno(), {"not": {"in_segment": a}}]}}),
        )
        .await
        .expect_error(422, "validation", Some("criteria.all[1].not.in_segment"));
    assert_eq!(err["reason"], "would make a segment include itself");
    // Not a cycle: both include the same third one.
    admin
        .put(
            &format!("{BASE}/cs-brno-buyers"),
            json!({"name": "B", "criteria": {"not": {"in_segment": "cs-vip"}}}),
        )
        .await
        .expect(200);
    let stored = admin
        .get(&format!("{BASE}/cs-brno-buyers"))
        .await
        .expect(200);
    assert_eq!(stored["version"], 2, "refused saves changed nothing");
}

#[tokio::test]
async fn a_segment_others_include_cannot_be_deleted() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let err = admin
        .delete(&format!("{BASE}/cs-vip"))
        .await
        .expect_error(409, "in_use", None);
    assert!(
        err["reason"].as_str().unwrap().contains("cs-not-vip"),
        "{err}"
    );
    // Once the including segment is gone, it can go.
    admin
        .delete(&format!("{BASE}/cs-not-vip"))
        .await
        .expect(200);
    admin.delete(&format!("{BASE}/cs-vip")).await.expect(200);
}

async fn members(api: &Api, segment: &str) -> Vec<String> {
    let page = api
        .get(&format!("{BASE}/{segment}/members"))
        .await
        .expect(200);
    serde_json::from_value(page["customer_ids"].clone()).unwrap()
}

#[tokio::test]
async fn static_members_are_put_in_and_taken_out_and_reach_the_feed() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let tech = api.login("tech").await;
    let (first, cursor) = tech.pull_all(None, 500).await;
    let seeded = of(&first, "customer_segment_members", None);
    assert_eq!(seeded.len(), 1);
    assert_eq!(seeded[0]["id"], "cs-vip/cust-north-1");
    assert_eq!(
        seeded[0]["data"],
        json!({"segment_id": "cs-vip", "customer_id": "cust-north-1", "member": true})
    );
    assert_eq!(members(&admin, "cs-vip").await, ["cust-north-1"]);

    let added = admin
        .put(&format!("{BASE}/cs-vip/members/cust-north-2"), json!(null))
        .await
        .expect(200);
    let _: CustomerSegmentMembership = read_as(&added);
    assert_eq!(added["member"], true);
    // Again: nothing changes.
    admin
        .put(&format!("{BASE}/cs-vip/members/cust-north-2"), json!(null))
        .await
        .expect(200);
    admin
        .put(&format!("{BASE}/cs-vip/members/cust-south-1"), json!(null))
        .await
        .expect(200);
    assert_eq!(
        members(&admin, "cs-vip").await,
        ["cust-north-1", "cust-north-2", "cust-south-1"]
    );
    let removed = admin
        .delete(&format!("{BASE}/cs-vip/members/cust-north-1"))
        .await
        .expect(200);
    assert_eq!(removed["member"], false);
    assert_eq!(
        members(&admin, "cs-vip").await,
        ["cust-north-2", "cust-south-1"]
    );
    // A manager sees their own organization's members only.
    let manager = api.login("manager").await;
    assert_eq!(members(&manager, "cs-vip").await, ["cust-north-2"]);
    // Paged.
    let page = admin
        .get(&format!("{BASE}/cs-vip/members?limit=1"))
        .await
        .expect(200);
    assert_eq!(
        page,
        json!({"customer_ids": ["cust-north-2"], "next_after": "cust-north-2"})
    );
    let page = admin
        .get(&format!("{BASE}/cs-vip/members?limit=1&after=cust-north-2"))
        .await
        .expect(200);
    assert_eq!(
        page,
        json!({"customer_ids": ["cust-south-1"], "next_after": null})
    );
    admin
        .get(&format!("{BASE}/cs-vip/members?limit=0"))
        .await
        .expect_error(400, "bad_request", Some("limit"));

    // The north device: the latest state per pair, always upserts.
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    let got: Vec<(&str, &str, i64, bool)> = changes
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap(),
                c["op"].as_str().unwrap(),
                c["version"].as_i64().unwrap(),
                c["data"]["member"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("customer_segment_members", "upsert", 1, true),
            ("customer_segment_members", "upsert", 2, false),
        ]
    );
    assert_eq!(
        changes[0]["id"],
        CustomerSegmentMembership::key("cs-vip", "cust-north-2")
    );
    assert_eq!(changes[1]["id"], "cs-vip/cust-north-1");
}

#[tokio::test]
async fn membership_errors() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let manager = api.login("manager").await;
    let err = admin
        .put(
            &format!("{BASE}/cs-brno-buyers/members/cust-north-1"),
            json!(null),
        )
        .await
        .expect_error(422, "validation", Some("id"));
    assert_eq!(
        err["reason"],
        "is defined by conditions; its members follow its criteria"
    );
    admin
        .get(&format!("{BASE}/cs-brno-buyers/members"))
        .await
        .expect_error(422, "validation", Some("id"));
    admin
        .put(&format!("{BASE}/cs-nope/members/cust-north-1"), json!(null))
        .await
        .expect_error(404, "not_found", None);
    admin
        .delete(&format!("{BASE}/cs-vip/members/cust-nope"))
        .await
        .expect_error(404, "not_found", None);
    // Another organization's customer is not found for a manager.
    manager
        .put(&format!("{BASE}/cs-vip/members/cust-south-1"), json!(null))
        .await
        .expect_error(404, "not_found", None);
    // A segment of one organization holds only its customers.
    let north = admin
        .post(
            BASE,
            json!({"name": "North only", "organization": "org-north"}),
        )
        .await
        .expect(201);
    let north = north["id"].as_str().unwrap();
    admin
        .put(&format!("{BASE}/{north}/members/cust-south-1"), json!(null))
        .await
        .expect_error(422, "validation", Some("customer_id"));
}

#[tokio::test]
async fn a_customer_without_a_profile_reads_as_null() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    let bare = manager
        .post("/portal/v1/customers", json!({"name": "No profile yet"}))
        .await
        .expect(201);
    let bare = format!(
        "/portal/v1/customers/{}/profile",
        bare["id"].as_str().unwrap()
    );
    assert_eq!(manager.get(&bare).await.expect(200), Value::Null);
    manager
        .get("/portal/v1/customers/cust-nobody/profile")
        .await
        .expect_error(404, "not_found", None);
}

#[tokio::test]
async fn profiles_are_replaced_and_reach_the_feed() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let manager = api.login("manager").await;
    let tech = api.login("tech").await;
    let (first, cursor) = tech.pull_all(None, 500).await;
    let profiles = of(&first, "customer_profiles", None);
    assert_eq!(profiles.len(), 4, "org-north's demo customers");
    let seeded = admin
        .get("/portal/v1/customers/cust-north-1/profile")
        .await
        .expect(200);
    assert_eq!(seeded["city"], "Brno");
    assert_eq!(seeded["version"], 1);

    let stored = manager
        .put(
            "/portal/v1/customers/cust-north-1/profile",
            json!({"city": "Praha", "birth_date": "1990-05-01",
                   "consents": [{"kind": "email", "given_on": "2026-01-02"}],
                   "attributes": [{"key": "size", "type": "number", "value": 3}],
                   "version": 99}),
        )
        .await
        .expect(200);
    assert_eq!(stored["customer_id"], "cust-north-1");
    assert_eq!(stored["version"], 2, "the server's version");
    assert_eq!(stored["badges"], json!([]), "a PUT replaces the profile");
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["collection"], "customer_profiles");
    assert_eq!(changes[0]["id"], "cust-north-1");
    assert_eq!(changes[0]["version"], 2);
    assert_eq!(changes[0]["data"], stored);

    // The path names the customer.
    admin
        .put(
            "/portal/v1/customers/cust-north-1/profile",
            json!({"customer_id": "cust-north-2"}),
        )
        .await
        .expect_error(422, "validation", Some("customer_id"));
    for (body, field) in [
        (json!({"city": "  "}), "city"),
        (json!({"badges": ["a", "a"]}), "badges"),
        (json!({"badges": ["with space"]}), "badges[0]"),
        (json!({"active_vouchers": -1}), "active_vouchers"),
        (json!({"birth_date": "yesterday"}), "body"),
    ] {
        admin
            .put("/portal/v1/customers/cust-north-1/profile", body.clone())
            .await
            .expect_error(422, "validation", Some(field));
    }
    admin
        .put("/portal/v1/customers/cust-nope/profile", json!({}))
        .await
        .expect_error(404, "not_found", None);
    manager
        .put("/portal/v1/customers/cust-south-1/profile", json!({}))
        .await
        .expect_error(404, "not_found", None);
}

#[tokio::test]
async fn transactions_are_stored_replaced_and_deleted() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let manager = api.login("manager").await;
    let tech = api.login("tech").await;
    let (first, cursor) = tech.pull_all(None, 500).await;
    assert_eq!(of(&first, "transactions", None).len(), 16);
    let tx = |id: &str, customer: &str, amount: f64| {
        json!({"id": id, "customer_id": customer, "date": "2026-02-01", "amount": amount,
               "kind": "in_store"})
    };
    let outcome = admin
        .post(
            "/portal/v1/transactions",
            json!([
                tx("t1", "cust-north-1", 10.5),
                tx("t2", "cust-south-1", 7.0),
                tx("tx-demo-01", "cust-north-1", 1.0)
            ]),
        )
        .await
        .expect(200);
    assert_eq!(outcome, json!({"created": 2, "updated": 1}));
    admin.delete("/portal/v1/transactions/t1").await.expect(200);
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    let got: Vec<(&str, &str, i64)> = changes
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap(),
                c["op"].as_str().unwrap(),
                c["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("tx-demo-01", "upsert", 2), ("t1", "delete", 2)]);
    assert_eq!(
        changes[0]["data"],
        json!({"id": "tx-demo-01", "customer_id": "cust-north-1", "date": "2026-02-01",
               "amount": 1.0, "kind": "in_store", "version": 2})
    );
    admin
        .delete("/portal/v1/transactions/t1")
        .await
        .expect_error(404, "not_found", None);
    manager
        .delete("/portal/v1/transactions/t2")
        .await
        .expect_error(404, "not_found", None);

    // Errors name the entry; nothing of a refused batch is stored.
    let mut bad_amount = tx("t3", "cust-north-1", 1.0);
    bad_amount["amount"] = json!(1e13);
    let cases = [
        (
            json!([tx("t3", "cust-north-1", 1.0), bad_amount]),
            "[1].amount",
        ),
        (json!([tx(" ", "cust-north-1", 1.0)]), "[0].id"),
        (json!([tx("t3", "cust-nope", 1.0)]), "[0].customer_id"),
        (
            json!([tx("t3", "cust-north-1", 1.0), tx("t3", "cust-north-1", 2.0)]),
            "[1].id",
        ),
        (json!([tx("t3", "cust-north-1", 1.0), {"id": "t4"}]), "[1]"),
        (json!({"id": "t3"}), "body"),
    ];
    for (body, field) in cases {
        admin
            .post("/portal/v1/transactions", body.clone())
            .await
            .expect_error(422, "validation", Some(field));
    }
    // A manager's batch may name their own organization's customers only.
    manager
        .post(
            "/portal/v1/transactions",
            json!([tx("t3", "cust-south-1", 1.0)]),
        )
        .await
        .expect_error(422, "validation", Some("[0].customer_id"));
    let (after, _) = tech.pull_all(Some(&cursor), 500).await;
    assert_eq!(after.len(), 2, "nothing more");
}

#[tokio::test]
async fn carts_are_opened_replaced_and_closed_through_the_feed() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let manager = api.login("manager").await;
    let tech = api.login("tech").await;
    let (first, cursor) = tech.pull_all(None, 500).await;
    // The demo's open carts of org-north: a fresh one and an abandoned one.
    let carts: Vec<(&str, bool)> = of(&first, "carts", None)
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap(),
                c["data"]["abandoned"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(carts, [("cust-north-1", false), ("cust-north-3", true)]);
    // Home business units and where purchases were made travel too.
    let profile = &of(&first, "customer_profiles", Some("cust-north-2"))[0]["data"];
    assert_eq!(
        (&profile["business_unit_id"], &profile["partner_id"]),
        (&json!("bu-praha"), &json!("pt-wholesale"))
    );
    let bought_online = of(&first, "transactions", Some("tx-demo-03"));
    assert_eq!(bought_online[0]["data"]["business_unit_id"], "bu-web");

    let stored = admin
        .put(
            "/portal/v1/customers/cust-north-2/cart",
            json!({"value": 42.5, "items": 2, "updated_on": "2026-11-20", "version": 77}),
        )
        .await
        .expect(200);
    assert_eq!(
        stored,
        json!({"customer_id": "cust-north-2", "value": 42.5, "items": 2,
               "updated_on": "2026-11-20", "abandoned": false, "version": 1})
    );
    let replaced = manager
        .put(
            "/portal/v1/customers/cust-north-2/cart",
            json!({"customer_id": "cust-north-2", "value": 50, "items": 3,
                   "updated_on": "2026-11-21", "abandoned": true}),
        )
        .await
        .expect(200);
    assert_eq!(replaced["version"], 2);
    assert_eq!(
        admin
            .get("/portal/v1/customers/cust-north-2/cart")
            .await
            .expect(200),
        replaced
    );
    admin
        .delete("/portal/v1/customers/cust-north-1/cart")
        .await
        .expect(200);
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    let got: Vec<(&str, &str, &str, i64)> = changes
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap(),
                c["id"].as_str().unwrap(),
                c["op"].as_str().unwrap(),
                c["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("carts", "cust-north-2", "upsert", 2),
            ("carts", "cust-north-1", "delete", 2)
        ]
    );
    // Closed: no open cart (`null`), and closing again is not found.
    let none = admin
        .get("/portal/v1/customers/cust-north-1/cart")
        .await
        .expect(200);
    assert_eq!(none, Value::Null);
    admin
        .delete("/portal/v1/customers/cust-north-1/cart")
        .await
        .expect_error(404, "not_found", None);
    // A closed cart opens again in a newer version.
    let reopened = admin
        .put(
            "/portal/v1/customers/cust-north-1/cart",
            json!({"value": 1, "items": 1, "updated_on": "2026-11-22"}),
        )
        .await
        .expect(200);
    assert_eq!(reopened["version"], 3);

    // core's Cart::validate decides; errors name the field.
    let cases = [
        (
            json!({"value": -1, "items": 1, "updated_on": "2026-11-22"}),
            "value",
        ),
        (
            json!({"value": 1e13, "items": 1, "updated_on": "2026-11-22"}),
            "value",
        ),
        (
            json!({"value": 1, "items": -1, "updated_on": "2026-11-22"}),
            "items",
        ),
        (
            json!({"value": 1, "items": 100_001, "updated_on": "2026-11-22"}),
            "items",
        ),
        (json!({"value": 1, "items": 1}), "body"),
        (
            json!({"value": 1, "items": 1, "updated_on": "22.11.2026"}),
            "body",
        ),
        (
            json!({"customer_id": "cust-north-3", "value": 1, "items": 1, "updated_on": "2026-11-22"}),
            "customer_id",
        ),
    ];
    for (body, field) in cases {
        admin
            .put("/portal/v1/customers/cust-north-2/cart", body.clone())
            .await
            .expect_error(422, "validation", Some(field));
    }
    // Managers see their own organization's customers only.
    let cart = json!({"value": 1, "items": 1, "updated_on": "2026-11-22"});
    manager
        .put("/portal/v1/customers/cust-south-1/cart", cart.clone())
        .await
        .expect_error(404, "not_found", None);
    manager
        .delete("/portal/v1/customers/cust-south-1/cart")
        .await
        .expect_error(404, "not_found", None);
    admin
        .put("/portal/v1/customers/cust-nope/cart", cart)
        .await
        .expect_error(404, "not_found", None);
    tech.get("/portal/v1/customers/cust-north-2/cart")
        .await
        .expect_error(403, "forbidden", None);
}

#[tokio::test]
async fn transactions_and_profiles_carry_business_units_and_partners() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let tech = api.login("tech").await;
    let (_, cursor) = tech.pull_all(None, 500).await;
    admin
        .post(
            "/portal/v1/transactions",
            json!([{"id": "t-bu", "customer_id": "cust-north-4", "date": "2026-11-01", "amount": 5,
                    "kind": "in_store", "business_unit_id": "bu-ostrava", "partner_id": "pt-1"}]),
        )
        .await
        .expect(200);
    admin
        .put(
            "/portal/v1/customers/cust-north-4/profile",
            json!({"city": "Ostrava", "business_unit_id": "bu-ostrava", "partner_id": "pt-1"}),
        )
        .await
        .expect(200);
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    let tx = &of(&changes, "transactions", Some("t-bu"))[0]["data"];
    assert_eq!(
        (&tx["business_unit_id"], &tx["partner_id"]),
        (&json!("bu-ostrava"), &json!("pt-1"))
    );
    let profile = &of(&changes, "customer_profiles", Some("cust-north-4"))[0]["data"];
    assert_eq!(profile["business_unit_id"], "bu-ostrava");
    // Ids are checked as ids (core's validation), naming the entry.
    admin
        .post(
            "/portal/v1/transactions",
            json!([{"id": "t-bu2", "customer_id": "cust-north-4", "date": "2026-11-01", "amount": 5,
                    "kind": "in_store", "business_unit_id": "bu ostrava"}]),
        )
        .await
        .expect_error(422, "validation", Some("[0].business_unit_id"));
    admin
        .put(
            "/portal/v1/customers/cust-north-4/profile",
            json!({"partner_id": " "}),
        )
        .await
        .expect_error(422, "validation", Some("partner_id"));
}

fn membership(op: &str, segment: &str, customer: &str) -> Mutation {
    let Value::Object(changes) = json!({"segment_id": segment, "customer_id": customer}) else {
        unreachable!()
    };
    Mutation {
        mutation_id: new_id(),
        entity: fieldsync_core::protocol::EntityKind::CustomerSegmentMember,
        entity_id: CustomerSegmentMembership::key(segment, customer),
        operation: serde_json::from_value(serde_json::json!(op)).unwrap(),
        changes,
        base_version: None,
    }
}

async fn push(api: &Api, mutations: Vec<Mutation>) -> Vec<Value> {
    let response = api.push_typed(&PushRequest { mutations }).await;
    response.results.iter().map(to_json).collect()
}

#[tokio::test]
async fn managers_push_static_members_and_technicians_may_not() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let manager = api.login("manager").await;
    let admin = api.login("admin").await;
    let (_, cursor) = tech.pull_all(None, 500).await;

    let refused = push(
        &tech,
        vec![membership("add_member", "cs-vip", "cust-north-2")],
    )
    .await;
    assert_eq!(refused[0]["status"], "rejected");
    assert_eq!(refused[0]["code"], "permission");
    assert_eq!(refused[0]["field"], "segment_id");
    assert!(refused[0].get("current").is_none());

    let add = membership("add_member", "cs-vip", "cust-north-2");
    let results = push(
        &manager,
        vec![
            add.clone(),
            membership("remove_member", "cs-vip", "cust-north-1"),
            membership("add_member", "cs-brno-buyers", "cust-north-2"),
            membership("add_member", "cs-vip", "cust-south-1"),
            membership("add_member", "cs-vip", "cust-nope"),
            membership("add_member", "cs-nope", "cust-north-2"),
            membership("promote", "cs-vip", "cust-north-2"),
        ],
    )
    .await;
    assert_eq!(
        results[0],
        json!({"mutation_id": add.mutation_id, "status": "applied", "version": 1})
    );
    assert_eq!(results[1]["status"], "applied");
    assert_eq!(results[1]["version"], 2);
    let codes: Vec<(&str, &str)> = results[2..]
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap(),
                r["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("validation", "segment_id"),
            ("not_found", ""),
            ("not_found", ""),
            ("unknown_reference", "segment_id"),
            ("validation", "operation"),
        ]
    );
    assert_eq!(
        results[2]["reason"],
        "is defined by conditions; its members follow its criteria"
    );
    for r in &results {
        assert!(r.get("current").is_none(), "{r}");
    }

    // A replay answers the first outcome and changes nothing.
    let again = push(&manager, vec![add.clone()]).await;
    assert_eq!(again[0], results[0]);
    admin
        .delete(&format!("{BASE}/cs-vip/members/cust-north-2"))
        .await
        .expect(200);
    let replay = push(&manager, vec![add]).await;
    assert_eq!(replay[0], results[0]);
    assert_eq!(members(&admin, "cs-vip").await, Vec::<String>::new());

    // The entity id must be the pair's key.
    let mut wrong = membership("add_member", "cs-vip", "cust-north-2");
    wrong.entity_id = "cs-vip".into();
    let results = push(&manager, vec![wrong]).await;
    assert_eq!(results[0]["field"], "entity_id");

    // The device sees the latest state of each pair.
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    let got: Vec<(&str, bool)> = changes
        .iter()
        .map(|c| {
            assert_eq!(c["op"], "upsert");
            (
                c["id"].as_str().unwrap(),
                c["data"]["member"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("cs-vip/cust-north-1", false),
            ("cs-vip/cust-north-2", false)
        ]
    );
}

#[tokio::test]
async fn the_demo_segments_have_members_in_org_north() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let (changes, _) = tech.pull_all(None, 500).await;
    let ids: Vec<&str> = of(&changes, "customer_segments", None)
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cs-vip",
            "cs-brno-buyers",
            "cs-retail-snapshot",
            "cs-not-vip"
        ]
    );
    let city = |id: &str| {
        of(&changes, "customer_profiles", Some(id))[0]["data"]["city"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let bought = |id: &str| {
        of(&changes, "transactions", None)
            .iter()
            .filter(|t| t["data"]["customer_id"] == id)
            .count()
    };
    // cs-brno-buyers: Brno and at least one purchase.
    let buyers: Vec<&str> = [
        "cust-north-1",
        "cust-north-2",
        "cust-north-3",
        "cust-north-4",
    ]
    .into_iter()
    .filter(|id| city(id) == "Brno" && bought(id) >= 1)
    .collect();
    assert_eq!(buyers, ["cust-north-1", "cust-north-3"]);
    for c in of(&changes, "customer_segments", None) {
        let segment: fieldsync_core::model::CustomerSegment = read_as(&c["data"]);
        segment.validate().unwrap();
    }
}

#[tokio::test]
async fn generated_transactions_and_profiles_repeat_with_the_seed() {
    let config = sync_server_mock::ServerConfig {
        generate_customers: 40,
        generate_transactions: 400,
        seed: 5,
        ..sync_server_mock::ServerConfig::demo()
    };
    let mut pulls = Vec::new();
    for _ in 0..2 {
        let (_server, api) = crate::support::with_config(config.clone()).await;
        let tech = api.login("tech").await;
        let (changes, _) = tech.pull_all(None, 1000).await;
        pulls.push(changes);
    }
    let [a, b] = &pulls[..] else { unreachable!() };
    let strip = |changes: &[Value], collection: &str| -> Vec<Value> {
        of(changes, collection, None)
            .into_iter()
            .map(|c| {
                let mut data = c["data"].clone();
                data.as_object_mut().unwrap().remove("updated_at");
                json!([c["id"], data])
            })
            .collect()
    };
    for collection in ["transactions", "customer_profiles"] {
        assert_eq!(strip(a, collection), strip(b, collection), "{collection}");
    }
    let north_generated = of(a, "customers", None).len() - 4;
    // A profile per generated customer, besides the 4 demo ones.
    assert_eq!(of(a, "customer_profiles", None).len(), north_generated + 4);
    let generated_tx = of(a, "transactions", None)
        .iter()
        .filter(|t| t["id"].as_str().unwrap().starts_with("tx-gen-"))
        .count();
    assert!(generated_tx > 100 && generated_tx < 300, "{generated_tx}");
}
