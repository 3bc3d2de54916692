//! Pushed mutations: the segment rule, references, validation,
//! idempotency and field-level conflicts.

use fieldsync_core::model::RemoteCustomer;
use fieldsync_core::protocol::{MutationResult, PushRequest};
use serde_json::{Value, json};

use crate::support::{Api, create, demo, mutation, new_id, read_as, update};

async fn version_of(admin: &Api, id: &str) -> Value {
    admin
        .get(&format!("/portal/v1/customers/{id}"))
        .await
        .expect(200)
}

#[tokio::test]
async fn a_technician_creates_a_customer_with_a_segment() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let id = new_id();
    let m = create(
        &id,
        json!({"name": "Bloemist Visser", "segment_id": "seg-wholesale", "industry_id": "industry-food"}),
    );
    let results = tech.push(json!([m])).await;
    assert_eq!(
        results,
        [json!({"mutation_id": m["mutation_id"], "status": "applied", "version": 1})]
    );
    let admin = api.login("admin").await;
    let stored = version_of(&admin, &id).await;
    assert_eq!(stored["organization_id"], "org-north");
    assert_eq!(stored["segment_id"], "seg-wholesale");
    // Naming the own organization is fine; another one is not.
    let own = create(
        &new_id(),
        json!({"name": "Own", "organization_id": "org-north"}),
    );
    let other = create(
        &new_id(),
        json!({"name": "Other", "organization_id": "org-south"}),
    );
    let results = tech.push(json!([own, other])).await;
    assert_eq!(results[0]["status"], "applied");
    assert_eq!(results[1]["status"], "rejected");
    assert_eq!(results[1]["code"], "permission");
}

#[tokio::test]
async fn a_technician_may_not_change_the_segment_of_an_existing_customer() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let m = update(
        "cust-north-1",
        1,
        json!({"segment_id": "seg-wholesale", "name": "Renamed"}),
    );
    let results = tech.push(json!([m])).await;
    assert_eq!(results[0]["status"], "rejected");
    assert_eq!(results[0]["code"], "permission");
    assert!(
        results[0]["reason"]
            .as_str()
            .unwrap()
            .contains("read-only for technicians")
    );
    let admin = api.login("admin").await;
    let c = version_of(&admin, "cust-north-1").await;
    assert_eq!(c["version"], 1, "nothing of the mutation was applied");
    assert_eq!(c["name"], "Bakkerij Janssens");
    // Clearing it is a change too; sending the segment it has is not.
    let clear = update("cust-north-1", 1, json!({"segment_id": null}));
    let same = update(
        "cust-north-1",
        1,
        json!({"segment_id": "seg-retail", "name": "Renamed"}),
    );
    let results = tech.push(json!([clear, same])).await;
    assert_eq!(results[0]["code"], "permission");
    assert_eq!(results[1]["status"], "applied");
    assert_eq!(results[1]["version"], 2);
    // Even a customer the technician created, once the server has it.
    let id = new_id();
    let results = tech
        .push(json!([
            create(&id, json!({"name": "Mine", "segment_id": "seg-retail"})),
            update(&id, 1, json!({"segment_id": "seg-wholesale"})),
        ]))
        .await;
    assert_eq!(results[0]["status"], "applied");
    assert_eq!(results[1]["code"], "permission");
}

#[tokio::test]
async fn managers_and_admins_change_segments() {
    let (_server, api) = demo().await;
    for (user, id, segment) in [
        ("manager", "cust-north-1", "seg-wholesale"),
        ("admin", "cust-north-2", "seg-retail"),
    ] {
        let api = api.login(user).await;
        let results = api
            .push(json!([update(id, 1, json!({"segment_id": segment}))]))
            .await;
        assert_eq!(results[0]["status"], "applied", "{user}");
        assert_eq!(results[0]["version"], 2);
    }
}

#[tokio::test]
async fn unavailable_references_are_rejected() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    admin
        .delete("/portal/v1/marketing-segments/seg-wholesale")
        .await
        .expect(200);
    admin
        .delete("/portal/v1/picklists/status/status-inactive")
        .await
        .expect(200);
    let manager = api.login("manager").await;
    let tech = api.login("tech").await;
    let cases = [
        (json!({"segment_id": "seg-wholesale"}), "segment_id"),
        (json!({"segment_id": "seg-export"}), "segment_id"),
        (json!({"segment_id": "seg-unknown"}), "segment_id"),
        (json!({"status_id": "status-inactive"}), "status_id"),
        (json!({"channel_id": "status-active"}), "channel_id"),
    ];
    for (changes, field) in cases {
        let mut create_changes = changes.as_object().unwrap().clone();
        create_changes.insert("name".into(), json!("New"));
        let results = tech
            .push(json!([create(&new_id(), Value::Object(create_changes))]))
            .await;
        assert_eq!(results[0]["code"], "unknown_reference", "{changes}");
        assert_eq!(results[0]["field"], field);
        let results = manager
            .push(json!([update("cust-north-3", 1, changes.clone())]))
            .await;
        assert_eq!(results[0]["code"], "unknown_reference", "{changes}");
        assert_eq!(results[0]["field"], field);
    }
    assert_eq!(version_of(&admin, "cust-north-3").await["version"], 1);
}

#[tokio::test]
async fn other_organizations_customers_are_not_found() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let results = tech
        .push(json!([
            update("cust-south-1", 1, json!({"name": "Mine now"})),
            update("cust-missing", 1, json!({"name": "X"})),
        ]))
        .await;
    for r in &results {
        assert_eq!(r["status"], "rejected");
        assert_eq!(r["code"], "not_found");
    }
}

#[tokio::test]
async fn malformed_mutations_are_rejected_with_their_field() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let mut bad_entity = create(&new_id(), json!({"name": "A"}));
    bad_entity["entity"] = json!("invoice");
    let mut bad_operation = update("cust-north-1", 1, json!({"name": "A"}));
    bad_operation["operation"] = json!("upsert");
    let mut no_base = update("cust-north-1", 1, json!({"name": "A"}));
    no_base["base_version"] = Value::Null;
    let mut no_id = create(&new_id(), json!({"name": "A"}));
    no_id["mutation_id"] = json!(" ");
    let cases = [
        (create(&new_id(), json!({})), "name"),
        (create(&new_id(), json!({"name": "x".repeat(201)})), "name"),
        (
            create(&new_id(), json!({"name": "A", "colour": "red"})),
            "changes.colour",
        ),
        (create("a b", json!({"name": "A"})), "entity_id"),
        (
            create("cust-north-1", json!({"name": "Taken"})),
            "entity_id",
        ),
        (
            update("cust-north-1", 1, json!({"last_visit": "soon"})),
            "last_visit",
        ),
        (
            update("cust-north-1", 1, json!({"organization_id": "org-north"})),
            "changes.organization_id",
        ),
        (bad_entity, "entity"),
        (bad_operation, "operation"),
        (no_base, "base_version"),
        (no_id, "mutation_id"),
    ];
    let (mutations, fields): (Vec<Value>, Vec<&str>) = cases.into_iter().unzip();
    let results = tech.push(Value::Array(mutations.clone())).await;
    assert_eq!(results.len(), fields.len());
    for ((r, m), field) in results.iter().zip(&mutations).zip(fields) {
        assert_eq!(r["mutation_id"], m["mutation_id"], "same order");
        assert_eq!(r["status"], "rejected", "{m}");
        assert_eq!(r["code"], "validation", "{m}");
        assert_eq!(r["field"], field, "{m}");
    }
    // A body that is no batch at all.
    tech.post(
        "/sync/v1/mutations",
        json!({"mutations": [{"entity": "customer"}]}),
    )
    .await
    .expect_error(422, "validation", Some("body"));
}

#[tokio::test]
async fn batches_are_bounded() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let too_many: Vec<Value> = (0..501)
        .map(|i| create(&new_id(), json!({"name": format!("C{i}")})))
        .collect();
    tech.post("/sync/v1/mutations", json!({"mutations": too_many}))
        .await
        .expect_error(413, "payload_too_large", None);
    let (_, before) = tech.pull_all(None, 1000).await;
    let max: Vec<Value> = (0..500)
        .map(|i| create(&new_id(), json!({"name": format!("C{i}")})))
        .collect();
    let results = tech.push(Value::Array(max)).await;
    assert_eq!(results.len(), 500);
    assert!(results.iter().all(|r| r["status"] == "applied"));
    let (after, _) = tech.pull_all(Some(&before), 1000).await;
    assert_eq!(after.len(), 500);
}

#[tokio::test]
async fn a_replayed_mutation_gets_its_first_outcome_and_applies_once() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    let rename = update("cust-north-4", 1, json!({"name": "Garage Peeters & Zn"}));
    let first = tech.push(json!([rename.clone()])).await;
    assert_eq!(first[0]["status"], "applied");
    assert_eq!(first[0]["version"], 2);
    let again = tech.push(json!([rename.clone(), rename.clone()])).await;
    assert_eq!(again, [first[0].clone(), first[0].clone()]);
    assert_eq!(version_of(&admin, "cust-north-4").await["version"], 2);

    let id = new_id();
    let make = create(&id, json!({"name": "Once"}));
    let first = tech.push(json!([make.clone()])).await;
    let again = tech.push(json!([make])).await;
    assert_eq!(first, again);
    assert_eq!(again[0]["status"], "applied");
    // A different mutation creating the same id is refused.
    let other = tech
        .push(json!([create(&id, json!({"name": "Twice"}))]))
        .await;
    assert_eq!(other[0]["code"], "validation");
    assert_eq!(version_of(&admin, &id).await["name"], "Once");

    // Rejections are outcomes too: the replay stays rejected even once the
    // reason is gone.
    let early = update("cust-north-3", 1, json!({"segment_id": "seg-wholesale"}));
    let first = tech.push(json!([early.clone()])).await;
    assert_eq!(first[0]["code"], "permission");
    admin
        .put(
            "/portal/v1/users/user-tech",
            json!({"role": "manager", "organization_id": "org-north"}),
        )
        .await
        .expect(200);
    assert_eq!(tech.push(json!([early])).await, first);
}

#[tokio::test]
async fn an_office_edit_and_a_device_edit_of_one_field_conflict() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    // The device saw version 1; the office renames and sets a status.
    admin
        .put(
            "/portal/v1/customers/cust-north-1",
            json!({"name": "Office name", "status_id": "status-prospect"}),
        )
        .await
        .expect(200);
    let m = update(
        "cust-north-1",
        1,
        json!({"name": "Device name", "last_visit": "2026-11-22", "status_id": "status-prospect"}),
    );
    let mut results = tech.push(json!([m.clone()])).await;
    let current = results[0].as_object_mut().unwrap().remove("current");
    assert_eq!(
        results[0],
        json!({"mutation_id": m["mutation_id"], "status": "conflict", "version": 3,
               "conflicts": [{"field": "name", "server_value": "Office name"}]})
    );
    let c = version_of(&admin, "cust-north-1").await;
    assert_eq!(c["name"], "Office name", "the server kept its value");
    assert_eq!(c["last_visit"], "2026-11-22", "the other field was applied");
    assert_eq!(c["version"], 3);
    let current = current.expect("a conflict carries the customer");
    assert_eq!(current["name"], "Office name", "the office's value");
    assert_eq!(current["last_visit"], "2026-11-22", "the device's value");
    assert_eq!(current, c, "the answer holds the customer as stored");
    // Based on the version that holds the office's edit: applied.
    let results = tech
        .push(json!([update(
            "cust-north-1",
            3,
            json!({"name": "Device name"})
        )]))
        .await;
    assert_eq!(results[0]["status"], "applied");
    assert_eq!(results[0]["version"], 4);
}

#[tokio::test]
async fn edits_of_different_fields_both_apply() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let manager = api.login("manager").await;
    let admin = api.login("admin").await;
    // Another device (the manager's) changes the segment...
    let r = manager
        .push(json!([update(
            "cust-north-2",
            1,
            json!({"segment_id": "seg-retail"})
        )]))
        .await;
    assert_eq!(r[0]["version"], 2);
    // ...and the office the name, while this device edits the visit date.
    admin
        .put(
            "/portal/v1/customers/cust-north-2",
            json!({"name": "De Vries BV"}),
        )
        .await
        .expect(200);
    let r = tech
        .push(json!([update(
            "cust-north-2",
            1,
            json!({"last_visit": "2026-11-23"})
        )]))
        .await;
    assert_eq!(r[0]["status"], "applied");
    assert_eq!(r[0]["version"], 4);
    let c = version_of(&admin, "cust-north-2").await;
    assert_eq!(c["segment_id"], "seg-retail");
    assert_eq!(c["name"], "De Vries BV");
    assert_eq!(c["last_visit"], "2026-11-23");
    // A device's own earlier change is no conflict for it.
    let r = tech
        .push(json!([update(
            "cust-north-2",
            1,
            json!({"last_visit": "2026-11-24"})
        )]))
        .await;
    assert_eq!(r[0]["status"], "applied");
    // Device against device: the manager's segment change conflicts with a
    // second manager device still on version 1.
    let r = manager
        .push(json!([update(
            "cust-north-2",
            2,
            json!({"segment_id": "seg-wholesale"})
        )]))
        .await;
    assert_eq!(r[0]["status"], "applied");
    let r = admin
        .push(json!([update(
            "cust-north-2",
            1,
            json!({"segment_id": null})
        )]))
        .await;
    assert_eq!(r[0]["status"], "conflict");
    assert_eq!(
        r[0]["conflicts"],
        json!([{"field": "segment_id", "server_value": "seg-wholesale"}])
    );
    assert_eq!(
        r[0]["version"], 6,
        "nothing else to apply: version unchanged"
    );
}

/// The rejection and the customer a rejected mutation carries.
fn rejection(result: &MutationResult) -> (&str, Option<&str>, Option<&RemoteCustomer>) {
    match result {
        MutationResult::Rejected {
            rejection, current, ..
        } => (
            rejection.code.code(),
            rejection.field.as_deref(),
            current.as_ref(),
        ),
        other => panic!("not rejected: {other:?}"),
    }
}

#[tokio::test]
async fn rejections_carry_the_customer_as_the_server_has_it() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    let segment_change = mutation(
        "cust-north-1",
        "update",
        json!({"segment_id": "seg-wholesale", "name": "Renamed"}),
        Some(1),
    );
    let cases = vec![
        // A visible customer: the server's state, nothing of the mutation.
        segment_change.clone(),
        mutation(
            "cust-north-2",
            "update",
            json!({"status_id": "status-nope"}),
            Some(1),
        ),
        mutation("cust-north-3", "create", json!({"name": "Taken"}), None),
        // No customer the user can see: nothing to return to.
        mutation(
            &new_id(),
            "create",
            json!({"name": "Elsewhere", "organization_id": "org-south"}),
            None,
        ),
        mutation(
            &new_id(),
            "create",
            json!({"name": "X", "segment_id": "seg-nope"}),
            None,
        ),
        mutation(&new_id(), "create", json!({"name": " "}), None),
        mutation("cust-south-1", "update", json!({"name": "Mine"}), Some(1)),
        mutation("cust-missing", "update", json!({"name": "X"}), Some(1)),
    ];
    let answer = tech
        .push_typed(&PushRequest {
            mutations: cases.clone(),
        })
        .await;
    let found: Vec<_> = answer.results.iter().map(rejection).collect();
    let (code, field, current) = found[0];
    assert_eq!((code, field), ("permission", Some("segment_id")));
    let current = current.expect("the customer the technician may not re-segment");
    assert_eq!(current.segment_id.as_deref(), Some("seg-retail"));
    assert_eq!(current.name, "Bakkerij Janssens");
    assert_eq!(current.version, 1);
    let stored: RemoteCustomer = read_as(&version_of(&admin, "cust-north-1").await);
    assert_eq!(current, &stored);
    let (code, _, current) = found[1];
    assert_eq!(code, "unknown_reference");
    assert_eq!(current.unwrap().status_id.as_deref(), Some("status-active"));
    let (code, field, current) = found[2];
    assert_eq!((code, field), ("validation", Some("entity_id")));
    assert_eq!(
        current.unwrap().name,
        "Hotel Zonneveld",
        "the id's customer"
    );
    for (i, (code, _, current)) in found.iter().enumerate().skip(3) {
        assert!(current.is_none(), "{i} {code}: {:?}", cases[i]);
    }
    let codes: Vec<_> = found[3..].iter().map(|f| f.0).collect();
    assert_eq!(
        codes,
        [
            "permission",
            "unknown_reference",
            "validation",
            "not_found",
            "not_found"
        ]
    );

    // A replay answers the first outcome, `current` as it was then.
    admin
        .put(
            "/portal/v1/customers/cust-north-1",
            json!({"name": "Office name"}),
        )
        .await
        .expect(200);
    let replay = tech
        .push_typed(&PushRequest {
            mutations: vec![segment_change],
        })
        .await;
    assert_eq!(replay.results[0], answer.results[0]);
}

/// An update sent with `base_version: null` was made on the device while
/// the customer was still new there: a technician may still have changed
/// its segment, as long as nobody else has touched the customer.
#[tokio::test]
async fn changes_made_while_a_customer_was_new_follow_the_new_customer_rule() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let id = new_id();
    let made_offline = serde_json::to_value(mutation(
        &id,
        "update",
        json!({"segment_id": "seg-wholesale"}),
        None,
    ))
    .unwrap();
    let results = tech
        .push(json!([
            create(&id, json!({"name": "Depot", "segment_id": "seg-retail"})),
            made_offline
        ]))
        .await;
    assert_eq!(results[0]["status"], "applied");
    assert_eq!(results[1]["status"], "applied", "{results:?}");
    let admin = api.login("admin").await;
    assert_eq!(version_of(&admin, &id).await["segment_id"], "seg-wholesale");

    // Once someone else has changed the customer it is existing for sure:
    // the same kind of change is refused.
    admin
        .put(
            &format!("/portal/v1/customers/{id}"),
            json!({"name": "Depot (office)"}),
        )
        .await
        .expect(200);
    let late = mutation(&id, "update", json!({"segment_id": "seg-retail"}), None);
    let results = tech.push(json!([late])).await;
    assert_eq!(results[0]["status"], "rejected");
    assert_eq!(results[0]["field"], "base_version");

    // And a customer someone else created never was new to this user.
    let other = mutation("cust-north-2", "update", json!({"name": "X"}), None);
    let results = tech.push(json!([other])).await;
    assert_eq!(results[0]["status"], "rejected");
    assert_eq!(results[0]["code"], "validation");
}

#[tokio::test]
async fn a_refused_mutation_in_a_batch_leaves_only_its_outcome() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    let (kept, refused) = (new_id(), new_id());
    let batch = json!([
        create(&kept, json!({"name": "Kept", "segment_id": "seg-retail"})),
        create(
            &refused,
            json!({"name": "Refused", "segment_id": "seg-unknown"})
        ),
        update(&kept, 1, json!({"name": "Kept, renamed"})),
    ]);
    let results = tech.push(batch.clone()).await;
    let statuses: Vec<_> = results.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, ["applied", "rejected", "applied"]);
    admin
        .get(&format!("/portal/v1/customers/{refused}"))
        .await
        .expect(404);
    assert_eq!(
        admin
            .get(&format!("/portal/v1/customers/{kept}"))
            .await
            .expect(200)["name"],
        "Kept, renamed"
    );
    // The same batch again: every mutation answers its first outcome.
    assert_eq!(tech.push(batch).await, results);
}
