//! Valid inputs to start each target's corpus from (`tests/replay.rs`
//! replays them too; the `write_seeds` example writes them into
//! `corpus/`).

use serde_json::{Value, json};

const T: &str = "2026-11-20T08:00:00Z";

/// One valid record of every collection the feed carries.
pub fn records() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "organizations",
            "org-north",
            json!({"id": "org-north", "default_language": "nl-BE"}),
        ),
        (
            "profile",
            "user-manager",
            json!({"user_id": "user-manager", "organization_id": "org-north", "role": "manager"}),
        ),
        (
            "segments",
            "seg-a",
            json!({"id": "seg-a", "organization": "ALL", "name": {"en": "Key accounts", "nl": "Sleutelklanten"},
                   "visit_frequency": "weekly", "description": "big", "version": 1, "updated_at": T, "deleted": false}),
        ),
        (
            "picklist_values",
            "st-1",
            json!({"id": "st-1", "kind": "status", "organization": "org-north", "label": {"en": "Active"},
                   "sort_order": 1, "version": 1, "updated_at": T, "deleted": false}),
        ),
        (
            "customers",
            "c1",
            json!({"id": "c1", "organization_id": "org-north", "name": "Anna", "status_id": "st-1",
                   "segment_id": "seg-a", "last_visit": "2026-11-01", "created_at": T, "updated_at": T,
                   "version": 1, "deleted": false}),
        ),
        (
            "customers",
            "c2",
            json!({"id": "c2", "organization_id": "org-north", "name": "Bert",
                   "created_at": T, "updated_at": T, "version": 3}),
        ),
        (
            "customers",
            "c3",
            json!({"id": "c3", "organization_id": "org-north", "name": "Cora", "segment_id": "seg-a",
                   "last_visit": "2025-01-31", "created_at": T, "updated_at": T, "version": 2}),
        ),
        (
            "customer_profiles",
            "c1",
            json!({"customer_id": "c1", "birth_date": "1980-02-29", "gender": "f", "city": "Brno",
                   "postal_code": "60200", "language": "cs", "contact_source": "fair", "parent_id": "c2",
                   "consents": [{"kind": "email", "given_on": "2026-01-05"}],
                   "loyalty": {"member": true, "tier": "gold", "points": 1200}, "active_vouchers": 2,
                   "badges": ["vip"], "attributes": [{"key": "fleet", "type": "number", "value": 12.5},
                   {"key": "since", "type": "date", "value": "2020-01-01"}, {"key": "note", "type": "text", "value": "x"},
                   {"key": "ok", "type": "boolean", "value": true}],
                   "events": [{"kind": "visit", "on": "2026-11-02"}], "audiences": ["aud-1"],
                   "campaigns": [], "business_unit_id": "bu-brno", "partner_id": "pt-acme",
                   "version": 1, "updated_at": T}),
        ),
        (
            "customer_profiles",
            "c3",
            json!({"customer_id": "c3", "birth_date": "2001-11-23", "city": "Gent",
                   "loyalty": {"member": false, "points": 0}, "version": 1, "updated_at": T}),
        ),
        (
            "transactions",
            "t1",
            json!({"id": "t1", "customer_id": "c1", "date": "2026-11-10", "amount": 99.95, "kind": "online",
                   "business_unit_id": "bu-web", "partner_id": "pt-acme", "version": 1}),
        ),
        (
            "transactions",
            "t2",
            json!({"id": "t2", "customer_id": "c1", "date": "2025-06-01", "amount": -10.0, "kind": "in_store", "version": 1}),
        ),
        (
            "transactions",
            "t3",
            json!({"id": "t3", "customer_id": "c3", "date": "2026-10-01", "amount": 1000, "kind": "click_and_collect",
                   "business_unit_id": "bu-brno", "version": 1}),
        ),
        (
            "carts",
            "c1",
            json!({"customer_id": "c1", "value": 59.9, "items": 3, "updated_on": "2026-11-18", "abandoned": true, "version": 1}),
        ),
        (
            "carts",
            "c3",
            json!({"customer_id": "c3", "value": 0, "items": 0, "updated_on": "2026-11-23", "version": 2}),
        ),
        (
            "customer_segments",
            "cs-static",
            json!({"id": "cs-static", "organization": "org-north", "name": "Picked", "kind": "static",
                   "version": 1, "updated_at": T}),
        ),
        (
            "customer_segments",
            "cs-brno",
            json!({"id": "cs-brno", "organization": "ALL", "name": "Brno", "kind": "conditional", "priority": 2,
                   "flexi": true, "tags": ["city"],
                   "criteria": {"all": [{"attribute": "city", "op": "equals", "value": "Brno"},
                                        {"not": {"in_segment": "cs-static"}}]},
                   "version": 1, "updated_at": T}),
        ),
        (
            "customer_segment_members",
            "cs-static:c2",
            json!({"segment_id": "cs-static", "customer_id": "c2", "member": true}),
        ),
    ]
}

/// A page of the feed with `records` (upserts, `seq` from 1).
pub fn page(records: &[(&str, &str, Value)], cursor: &str) -> Value {
    let changes: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(i, (collection, id, data))| {
            json!({"seq": i + 1, "collection": collection, "op": "upsert", "id": id,
                   "version": data.get("version").cloned().unwrap_or(json!(1)), "data": data})
        })
        .collect();
    json!({"changes": changes, "cursor": cursor, "has_more": false, "remaining": 0})
}

/// The customers, profiles, purchases and segments criteria run against.
pub fn criteria_world() -> Vec<u8> {
    page(&records(), "world").to_string().into_bytes()
}

/// Criteria trees: every kind of node and test once.
pub fn criteria_trees() -> Vec<Value> {
    vec![
        json!({"attribute": "city", "op": "equals", "value": "Brno"}),
        json!({"attribute": "name", "op": "in", "values": ["Anna", "Bert"]}),
        json!({"attribute": "segment_id", "op": "exists"}),
        json!({"attribute": "last_visit", "op": "within_last_days", "days": 30}),
        json!({"attribute": "birth_date", "op": "between", "from": "1970-01-01", "to": "1990-12-31"}),
        json!({"attribute": "age", "op": "between", "min": 18, "max": 65}),
        json!({"attribute": "loyalty_member", "op": "equals", "value": true}),
        json!({"attribute": "loyalty_points", "op": "in", "values": [0, 1200]}),
        json!({"attribute": "consent.email", "op": "before", "value": "2026-06-01"}),
        json!({"attribute": "total_spend", "op": "equals", "value": 89.95}),
        json!({"attribute": "purchase_count", "op": "equals", "value": 2}),
        json!({"attribute": "last_purchase", "op": "after", "value": "2026-01-01"}),
        json!({"attribute": "rfm_recency", "op": "between", "min": 4}),
        json!({"custom": "fleet", "type": "number", "op": "between", "min": 10}),
        json!({"custom": "note", "type": "text", "op": "exists"}),
        json!({"custom": "since", "type": "date", "op": "before", "value": "2021-01-01"}),
        json!({"custom": "ok", "type": "boolean", "op": "equals", "value": false}),
        json!({"in_segment": "cs-static"}),
        json!({"has_badge": "vip"}),
        json!({"in_audience": "aud-1"}),
        json!({"campaign": "camp-1", "action": "opened"}),
        json!({"purchases": "count", "window": {"last_days": 365}, "op": "between", "min": 1}),
        json!({"purchases": "sum", "kinds": ["online"], "op": "between", "min": 50, "max": 100}),
        json!({"event": "visit", "window": {"last_days": 30}}),
        json!({"purchases": "last_date", "window": {"from": "2026-01-01", "to": "2026-12-31"}, "op": "within_last_days", "days": 60}),
        json!({"attribute": "cart.open", "op": "equals", "value": false}),
        json!({"attribute": "cart.value", "op": "between", "min": 50, "max": 59.9}),
        json!({"attribute": "cart.items", "op": "in", "values": [0, 3]}),
        json!({"attribute": "cart.age", "op": "between", "min": 3}),
        json!({"not": {"attribute": "cart.abandoned", "op": "equals", "value": true}}),
        json!({"attribute": "cart.updated_on", "op": "within_last_days", "days": 2}),
        json!({"attribute": "business_unit_id", "op": "in", "values": ["bu-brno", "bu-praha"]}),
        json!({"attribute": "partner_id", "op": "equals", "value": "pt-acme"}),
        json!({"purchases": "count", "business_units": ["bu-brno"], "op": "between", "min": 1}),
        json!({"purchases": "sum", "window": {"last_days": 30}, "business_units": ["bu-web"], "partners": ["pt-acme"],
               "op": "between", "min": 50}),
        json!({"any": [{"not": {"attribute": "gender", "op": "equals", "value": "f"}},
                       {"all": [{"attribute": "age", "op": "exists"}, {"not": {"has_badge": "vip"}}]}]}),
    ]
}

/// The seeds of `target`.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "feed_page" => {
            let all = records();
            let mut pages = vec![page(&all, "c-1")];
            for record in &all {
                pages.push(page(std::slice::from_ref(record), "c-2"));
            }
            pages.push(json!({"changes": [
                {"seq": 1, "collection": "customers", "op": "delete", "id": "c1", "version": 9, "data": null},
                {"seq": 2, "collection": "new_things", "op": "upsert", "id": "n1", "version": 1, "data": {}}],
                "cursor": "c-3", "has_more": true, "remaining": 5,
                "remaining_by_collection": {"customers": 5}}));
            pages
                .into_iter()
                .map(|p| p.to_string().into_bytes())
                .collect()
        }
        "feed_page_structured" => (0u8..32)
            .map(|i| {
                (0u8..64)
                    .map(|j| i.wrapping_mul(37).wrapping_add(j.wrapping_mul(11)))
                    .collect()
            })
            .collect(),
        "criteria" => criteria_trees()
            .into_iter()
            .map(|c| c.to_string().into_bytes())
            .collect(),
        "language_tag" => [
            "nl",
            "nl-BE",
            "nl_be",
            "zh-Hant-TW",
            "sr-Latn-RS",
            "en-US-x-private",
            " de ",
            "EN",
        ]
        .into_iter()
        .map(|t| t.as_bytes().to_vec())
        .collect(),
        "mock_bodies" => crate::mock::seeds(),
        other => panic!("no target {other}"),
    }
}
