//! Office-side customers.

use serde_json::{Value, json};

use crate::support::demo;

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn admins_see_every_organization_managers_their_own() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let manager = api.login("manager").await;
    let all = admin.get("/portal/v1/customers").await.expect(200);
    assert_eq!(all.as_array().unwrap().len(), 6);
    let south = admin
        .get("/portal/v1/customers?organization_id=org-south")
        .await
        .expect(200);
    assert_eq!(ids(&south), ["cust-south-1", "cust-south-2"]);
    let own = manager.get("/portal/v1/customers").await.expect(200);
    assert_eq!(own.as_array().unwrap().len(), 4);
    assert!(ids(&own).iter().all(|id| id.starts_with("cust-north")));
    manager
        .get("/portal/v1/customers?organization_id=org-south")
        .await
        .expect_error(403, "forbidden", None);
    manager
        .get("/portal/v1/customers/cust-south-1")
        .await
        .expect_error(404, "not_found", None);
    manager
        .put("/portal/v1/customers/cust-south-1", json!({"name": "X"}))
        .await
        .expect_error(404, "not_found", None);
    let one = admin
        .get("/portal/v1/customers/cust-south-1")
        .await
        .expect(200);
    assert_eq!(one["name"], "Harbour Supplies");
    assert_eq!(one["segment_id"], "seg-export");
    admin
        .get("/portal/v1/customers/cust-nope")
        .await
        .expect_error(404, "not_found", None);
}

#[tokio::test]
async fn customers_are_created_and_edited_in_the_push_field_form() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    let created = manager
        .post(
            "/portal/v1/customers",
            json!({"name": " Slagerij Smit ", "segment_id": "seg-retail", "status_id": "status-prospect",
                   "last_visit": "2026-11-01"}),
        )
        .await
        .expect(201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "Slagerij Smit");
    assert_eq!(created["organization_id"], "org-north");
    assert_eq!(created["version"], 1);
    assert_eq!(created["last_visit"], "2026-11-01");

    let edited = manager
        .put(
            &format!("/portal/v1/customers/{id}"),
            json!({"segment_id": "seg-wholesale", "status_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(edited["segment_id"], "seg-wholesale");
    assert_eq!(edited["status_id"], Value::Null);
    assert_eq!(edited["name"], "Slagerij Smit", "partial update");
    assert_eq!(edited["version"], 2);
    // The same values again: no new version.
    let same = manager
        .put(
            &format!("/portal/v1/customers/{id}"),
            json!({"segment_id": "seg-wholesale"}),
        )
        .await
        .expect(200);
    assert_eq!(same["version"], 2);
    assert_eq!(
        manager
            .get(&format!("/portal/v1/customers/{id}"))
            .await
            .expect(200),
        same
    );

    // A chosen id, and an id that is taken.
    let admin = api.login("admin").await;
    let chosen = admin
        .post(
            "/portal/v1/customers",
            json!({"id": "cust-chosen", "name": "Chosen", "organization_id": "org-south"}),
        )
        .await
        .expect(201);
    assert_eq!(chosen["organization_id"], "org-south");
    admin
        .post(
            "/portal/v1/customers",
            json!({"id": "cust-chosen", "name": "Again"}),
        )
        .await
        .expect_error(422, "validation", Some("id"));
    manager
        .post(
            "/portal/v1/customers",
            json!({"name": "Elsewhere", "organization_id": "org-south"}),
        )
        .await
        .expect_error(403, "forbidden", None);
}

#[tokio::test]
async fn customer_validation_matches_core() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let cases = [
        (json!({}), "name", "must not be blank"),
        (json!({"name": "  "}), "name", "must not be blank"),
        (
            json!({"name": "x".repeat(201)}),
            "name",
            "must be at most 200 characters",
        ),
        (
            json!({"name": "A", "colour": "red"}),
            "changes.colour",
            "is not one of the allowed codes",
        ),
        (
            json!({"name": "A", "last_visit": "yesterday"}),
            "last_visit",
            "is malformed",
        ),
        (
            json!({"name": "A", "segment_id": 7}),
            "segment_id",
            "is malformed",
        ),
        (
            json!({"name": "A", "channel_id": ""}),
            "channel_id",
            "must not be blank",
        ),
        (
            json!({"name": "A", "organization_id": "org-west"}),
            "organization_id",
            "organization org-west does not exist",
        ),
        (json!({"name": "A", "id": "a b"}), "id", "is malformed"),
        (json!({"name": "A", "id": 5}), "id", "is malformed"),
    ];
    for (body, field, reason) in cases {
        let err = admin
            .post("/portal/v1/customers", body.clone())
            .await
            .expect_error(422, "validation", Some(field));
        assert_eq!(err["reason"], reason, "{body}");
    }
    let updates = [
        (json!({"name": null}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"colour": "red"}), "changes.colour"),
        (json!({"last_visit": "2026-13-01"}), "last_visit"),
        (json!({"organization_id": "org-west"}), "organization_id"),
        (json!({"organization_id": 7}), "organization_id"),
    ];
    for (body, field) in updates {
        admin
            .put("/portal/v1/customers/cust-north-1", body)
            .await
            .expect_error(422, "validation", Some(field));
    }
    let unchanged = admin
        .get("/portal/v1/customers/cust-north-1")
        .await
        .expect(200);
    assert_eq!(unchanged["version"], 1);
}

#[tokio::test]
async fn references_must_exist_be_alive_and_in_scope() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    admin
        .delete("/portal/v1/marketing-segments/seg-wholesale")
        .await
        .expect(200);
    let cases = [
        (
            json!({"segment_id": "seg-nope"}),
            "segment_id",
            "segment_id seg-nope does not exist",
        ),
        (
            json!({"segment_id": "seg-wholesale"}),
            "segment_id",
            "segment_id seg-wholesale has been deleted",
        ),
        (
            json!({"segment_id": "seg-export"}),
            "segment_id",
            "segment_id seg-export is not available to this organization",
        ),
        (
            json!({"status_id": "source-web"}),
            "status_id",
            "status_id source-web does not exist",
        ),
        (
            json!({"industry_id": "industry-nope"}),
            "industry_id",
            "industry_id industry-nope does not exist",
        ),
    ];
    for (changes, field, reason) in cases {
        let err = admin
            .put("/portal/v1/customers/cust-north-3", changes.clone())
            .await
            .expect_error(422, "unknown_reference", Some(field));
        assert_eq!(err["reason"], reason);
        let mut create = changes.as_object().unwrap().clone();
        create.insert("name".into(), json!("New"));
        admin
            .post("/portal/v1/customers", Value::Object(create))
            .await
            .expect_error(422, "unknown_reference", Some(field));
    }
    // A customer keeps a reference that was deleted after it was assigned:
    // only changed references are checked.
    let kept = admin
        .put(
            "/portal/v1/customers/cust-south-2",
            json!({"name": "Southside Builders Ltd"}),
        )
        .await
        .expect(200);
    assert_eq!(kept["segment_id"], "seg-wholesale");
    // Moving a customer checks its references against the new organization.
    admin
        .put(
            "/portal/v1/customers/cust-south-1",
            json!({"organization_id": "org-north"}),
        )
        .await
        .expect_error(422, "unknown_reference", Some("segment_id"));
    let moved = admin
        .put(
            "/portal/v1/customers/cust-south-1",
            json!({"organization_id": "org-north", "segment_id": "seg-retail"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["organization_id"], "org-north");
    assert_eq!(moved["version"], 2);
}
