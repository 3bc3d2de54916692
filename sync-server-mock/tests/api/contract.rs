//! The OpenAPI document against the server: every route documented, every
//! documented operation served, and answers matching their schemas (the
//! client in `support` checks every answer of every test; the walk here
//! makes sure each operation is exercised at least once).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use sync_server_mock::{OPENAPI_JSON, routes};

use crate::support::{create, demo, new_id, openapi, update, validator_for};

fn documented() -> BTreeSet<(String, String)> {
    openapi()["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (path.clone(), m.clone()))
        })
        .collect()
}

#[test]
fn every_route_is_documented_and_every_documented_path_is_served() {
    let served: BTreeSet<(String, String)> = routes()
        .into_iter()
        .map(|(m, p)| (p.to_owned(), m.to_lowercase()))
        .collect();
    assert_eq!(served.len(), routes().len(), "no route listed twice");
    assert_eq!(served, documented());
}

#[test]
fn the_document_is_openapi_3_1_and_its_schemas_compile() {
    let doc = openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["summary"].is_string(), "{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            for (status, response) in responses {
                if status == "204" {
                    assert!(response.get("content").is_none(), "{method} {path} 204");
                    continue;
                }
                let schema = &response["content"]["application/json"]["schema"];
                assert!(
                    schema.is_object(),
                    "{method} {path} {status}: no JSON schema"
                );
                validator_for(schema);
            }
            if let Some(schema) =
                op["requestBody"]["content"]["application/json"]["schema"].as_object()
            {
                validator_for(&serde_json::Value::Object(schema.clone()));
            }
        }
    }
}

#[tokio::test]
async fn the_served_document_is_the_repository_file() {
    let (_server, api) = demo().await;
    let served = api.get("/openapi.json").await.expect(200);
    assert_eq!(
        served,
        serde_json::from_str::<serde_json::Value>(OPENAPI_JSON).unwrap()
    );
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    assert_eq!(on_disk, OPENAPI_JSON);
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let (_server, anon) = demo().await;
    let admin = anon.login("admin").await;
    let tech = anon.login("tech").await;
    anon.get("/health").await.expect(200);
    anon.get("/openapi.json").await.expect(200);
    admin.get("/portal/v1/organizations").await.expect(200);
    anon.get("/portal/v1/organizations").await.expect(401);

    let seg = admin
        .post(
            "/portal/v1/marketing-segments",
            json!({"name": {"en": "Contract"}}),
        )
        .await
        .expect(201);
    let seg_id = seg["id"].as_str().unwrap();
    admin.get("/portal/v1/marketing-segments").await.expect(200);
    admin
        .put(
            &format!("/portal/v1/marketing-segments/{seg_id}"),
            json!({"name": {"en": "C2"}, "organization": "org-north"}),
        )
        .await
        .expect(200);
    admin
        .delete(&format!("/portal/v1/marketing-segments/{seg_id}"))
        .await
        .expect(200);

    let value = admin
        .post(
            "/portal/v1/picklists/source",
            json!({"label": {"en": "Contract"}}),
        )
        .await
        .expect(201);
    let value_id = value["id"].as_str().unwrap();
    admin.get("/portal/v1/picklists/source").await.expect(200);
    admin
        .put(
            &format!("/portal/v1/picklists/source/{value_id}"),
            json!({"label": {"en": "C2"}}),
        )
        .await
        .expect(200);
    admin
        .delete(&format!("/portal/v1/picklists/source/{value_id}"))
        .await
        .expect(200);

    let customer = admin
        .post(
            "/portal/v1/customers",
            json!({"name": "Contract", "segment_id": "seg-retail", "last_visit": "2026-01-31"}),
        )
        .await
        .expect(201);
    let customer_id = customer["id"].as_str().unwrap();
    admin.get("/portal/v1/customers").await.expect(200);
    admin
        .get(&format!("/portal/v1/customers/{customer_id}"))
        .await
        .expect(200);
    admin
        .put(
            &format!("/portal/v1/customers/{customer_id}"),
            json!({"name": "Contract 2"}),
        )
        .await
        .expect(200);
    admin
        .put(
            "/portal/v1/users/user-tech2",
            json!({"role": "manager", "organization_id": "org-south"}),
        )
        .await
        .expect(200);

    // Customer segments, memberships, profiles and transactions.
    let cs = admin
        .post(
            "/portal/v1/customer-segments",
            json!({"name": "Contract", "criteria": {"attribute": "city", "op": "equals", "value": "Brno"}}),
        )
        .await
        .expect(201);
    let cs_id = cs["id"].as_str().unwrap();
    admin.get("/portal/v1/customer-segments").await.expect(200);
    admin
        .post(
            "/portal/v1/customer-segments/preview",
            json!({"criteria": {"not": {"in_segment": "cs-vip"}}}),
        )
        .await
        .expect(200);
    admin.get("/portal/v1/criteria-values").await.expect(200);
    admin
        .get(&format!("/portal/v1/customer-segments/{cs_id}"))
        .await
        .expect(200);
    admin
        .put(
            &format!("/portal/v1/customer-segments/{cs_id}"),
            json!({"name": "Contract 2", "kind": "static"}),
        )
        .await
        .expect(200);
    admin
        .put(
            &format!("/portal/v1/customer-segments/{cs_id}/members/cust-north-2"),
            json!(null),
        )
        .await
        .expect(200);
    admin
        .get(&format!("/portal/v1/customer-segments/{cs_id}/members"))
        .await
        .expect(200);
    admin
        .delete(&format!(
            "/portal/v1/customer-segments/{cs_id}/members/cust-north-2"
        ))
        .await
        .expect(200);
    admin
        .delete("/portal/v1/customer-segments/cs-vip")
        .await
        .expect_error(409, "in_use", None);
    admin
        .delete(&format!("/portal/v1/customer-segments/{cs_id}"))
        .await
        .expect(200);
    admin
        .put(
            "/portal/v1/customers/cust-north-2/profile",
            json!({"city": "Brno", "badges": ["contract"]}),
        )
        .await
        .expect(200);
    admin
        .get("/portal/v1/customers/cust-north-2/profile")
        .await
        .expect(200);
    admin
        .post(
            "/portal/v1/transactions",
            json!([{"id": "tx-contract", "customer_id": "cust-north-2", "date": "2026-01-31",
                    "amount": 12.5, "kind": "online"}]),
        )
        .await
        .expect(200);
    admin
        .delete("/portal/v1/transactions/tx-contract")
        .await
        .expect(200);
    admin
        .put(
            "/portal/v1/customers/cust-north-2/cart",
            json!({"value": 10.5, "items": 2, "updated_on": "2026-01-31", "abandoned": true}),
        )
        .await
        .expect(200);
    admin
        .get("/portal/v1/customers/cust-north-2/cart")
        .await
        .expect(200);
    admin
        .delete("/portal/v1/customers/cust-north-1/cart")
        .await
        .expect(200);
    // No open cart: `null`, not a 404 (the customer is there).
    let none = admin
        .get("/portal/v1/customers/cust-north-1/cart")
        .await
        .expect(200);
    assert_eq!(none, Value::Null);
    let manager = anon.login("manager").await;
    let results = manager
        .push(json!([{
            "mutation_id": new_id(), "entity": "customer_segment_member",
            "entity_id": "cs-vip/cust-north-3", "operation": "add_member",
            "changes": {"segment_id": "cs-vip", "customer_id": "cust-north-3"},
            "base_version": null
        }]))
        .await;
    assert_eq!(results[0]["status"], "applied");

    // Every kind of mutation result and of feed change.
    let results = tech
        .push(json!([
            create(&new_id(), json!({"name": "Device"})),
            update("cust-north-1", 1, json!({"segment_id": "seg-wholesale"})),
            update(customer_id, 1, json!({"name": "Device edit"})),
        ]))
        .await;
    let statuses: Vec<_> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "rejected", "conflict"]);
    let (changes, _) = tech.pull_all(None, 5).await;
    let kinds: BTreeSet<(String, String)> = changes
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap().into(),
                c["op"].as_str().unwrap().into(),
            )
        })
        .collect();
    for collection in [
        "segments",
        "picklist_values",
        "customers",
        "organizations",
        "profile",
        "customer_segments",
        "customer_segment_members",
        "customer_profiles",
        "transactions",
        "carts",
    ] {
        assert!(
            kinds.contains(&(collection.into(), "upsert".into())),
            "{collection}"
        );
    }
    assert!(kinds.contains(&("segments".into(), "delete".into())));
    assert!(kinds.contains(&("picklist_values".into(), "delete".into())));
    assert!(kinds.contains(&("customer_segments".into(), "delete".into())));
    assert!(kinds.contains(&("transactions".into(), "delete".into())));
    assert!(kinds.contains(&("carts".into(), "delete".into())));
    assert!(!kinds.contains(&("customer_segment_members".into(), "delete".into())));

    admin.get("/admin/v1/faults").await.expect(200);
    admin
        .put("/admin/v1/faults", json!({"latency_ms": 1}))
        .await
        .expect(200);
    admin.post("/auth/v1/logout", json!(null)).await.expect(204);
    admin
        .get("/admin/v1/faults")
        .await
        .expect_error(401, "unauthorized", None);

    let seen: BTreeSet<(String, String)> = anon
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(path, method, _)| (path.clone(), method.clone()))
        .collect();
    assert_eq!(
        seen,
        documented(),
        "every operation was exercised and checked"
    );
}

/// The schemas really constrain answers: wrong records are refused.
#[test]
fn the_response_schemas_refuse_wrong_answers() {
    let pull = validator_for(&json!({"$ref": "#/components/schemas/PullResponse"}));
    let page = |change: serde_json::Value| {
        json!({"changes": [change], "cursor": "c", "has_more": false,
                                                   "remaining": 0, "remaining_by_collection": {"segments": 0}})
    };
    let segment = json!({"id": "s", "organization": "ALL", "name": {"en": "A"}, "visit_frequency": "weekly",
                         "description": null, "version": 1, "updated_at": "2026-11-23T10:00:00Z", "deleted": false});
    let good = json!({"seq": 1, "collection": "segments", "op": "upsert", "id": "s", "version": 1, "data": segment});
    assert!(pull.is_valid(&page(good.clone())));
    let mut no_name = good.clone();
    no_name["data"].as_object_mut().unwrap().remove("name");
    let mut wrong_collection = good.clone();
    wrong_collection["collection"] = json!("customers");
    let mut delete_with_data = good.clone();
    delete_with_data["op"] = json!("delete");
    let mut bad_frequency = good.clone();
    bad_frequency["data"]["visit_frequency"] = json!("hourly");
    let mut bad_date = good.clone();
    bad_date["data"]["updated_at"] = json!("yesterday");
    for bad in [
        no_name,
        wrong_collection,
        delete_with_data,
        bad_frequency,
        bad_date,
    ] {
        assert!(!pull.is_valid(&page(bad.clone())), "{bad}");
    }
    for counts in [json!({"invoices": 1}), json!({"customers": -1}), json!([])] {
        let mut wrong = page(good.clone());
        wrong["remaining_by_collection"] = counts.clone();
        assert!(!pull.is_valid(&wrong), "{counts}");
    }
    // The new collections' records are checked too.
    let cs = json!({"id": "cs", "organization": "ALL", "name": "VIP", "note": null, "priority": 1,
                    "kind": "static", "flexi": false, "tags": [], "criteria": null, "version": 1,
                    "updated_at": "2026-11-23T10:00:00Z"});
    let change = |collection: &str, op: &str, data: serde_json::Value| json!({"seq": 1, "collection": collection, "op": op, "id": "x", "version": 1, "data": data});
    let membership = json!({"segment_id": "cs", "customer_id": "c", "member": false});
    let transaction = json!({"id": "t", "customer_id": "c", "date": "2026-01-31", "amount": 1.5,
                             "kind": "online", "version": 1});
    for ok in [
        change("customer_segments", "upsert", cs.clone()),
        change("customer_segments", "delete", json!(null)),
        change("customer_segment_members", "upsert", membership.clone()),
        change("transactions", "upsert", transaction.clone()),
    ] {
        assert!(pull.is_valid(&page(ok.clone())), "{ok}");
    }
    let mut no_kind = cs.clone();
    no_kind.as_object_mut().unwrap().remove("kind");
    let mut bad_kind = transaction.clone();
    bad_kind["kind"] = json!("barter");
    for bad in [
        change("customer_segments", "upsert", no_kind),
        change("customer_segment_members", "delete", json!(null)),
        change(
            "customer_segment_members",
            "upsert",
            json!({"segment_id": "cs"}),
        ),
        change("transactions", "upsert", bad_kind),
        change("customer_profiles", "upsert", json!({"customer_id": "c"})),
    ] {
        assert!(!pull.is_valid(&page(bad.clone())), "{bad}");
    }
    let result = validator_for(&json!({"$ref": "#/components/schemas/MutationResult"}));
    assert!(result.is_valid(&json!({"mutation_id": "m", "status": "applied", "version": 2})));
    assert!(!result.is_valid(&json!({"mutation_id": "m", "status": "applied"})));
    assert!(!result.is_valid(
        &json!({"mutation_id": "m", "status": "rejected", "code": "oops", "reason": "r"})
    ));
    assert!(!result.is_valid(
        &json!({"mutation_id": "m", "status": "conflict", "version": 2, "conflicts": []})
    ));
    assert!(!result.is_valid(
        &json!({"mutation_id": "m", "status": "rejected", "code": "permission", "reason": "r",
                "current": {"id": "c"}})
    ));
}

/// The answers no handler writes are the JSON error body too: a 405 (with
/// `Allow`), an unknown route, a path segment that is not UTF-8, a body
/// without the JSON content type (the transactions route reads raw bytes),
/// and a query string that does not parse.
#[tokio::test]
async fn errors_outside_the_handlers_are_the_json_error_body() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let error_body = |status: u16, resp: &reqwest::Response| {
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(
            resp.headers()[reqwest::header::CONTENT_TYPE],
            "application/json",
            "{status} is not JSON"
        );
    };
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            admin.request(Method::DELETE, "/portal/v1/customers"),
            405,
            "method_not_allowed",
        ),
        (
            admin.request(Method::PATCH, "/portal/v1/customers/x"),
            405,
            "method_not_allowed",
        ),
        (
            api.request(Method::POST, "/health"),
            405,
            "method_not_allowed",
        ),
        (
            admin.request(Method::GET, "/no/such/route"),
            404,
            "not_found",
        ),
        (
            admin.request(Method::GET, "/portal/v1/customers/%FF"),
            400,
            "bad_request",
        ),
        (
            admin
                .request(Method::POST, "/portal/v1/transactions")
                .header(reqwest::header::CONTENT_TYPE, "text/plain")
                .body("[]"),
            400,
            "bad_request",
        ),
        (
            admin.request(Method::GET, "/sync/v1/changes?limit=1&limit=2"),
            400,
            "bad_request",
        ),
        (
            admin
                .request(Method::POST, "/portal/v1/customers")
                .body(r#"{"name": "x"}"#),
            400,
            "bad_request",
        ),
    ];
    for (request, status, code) in cases {
        let resp = request.send().await.expect("a request");
        error_body(status, &resp);
        let allow = resp.headers().get(reqwest::header::ALLOW).cloned();
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(body["error"], code, "{body}");
        assert!(
            body["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{body}"
        );
        if status == 405 {
            assert!(allow.is_some(), "a 405 names the allowed methods");
        }
    }
}
