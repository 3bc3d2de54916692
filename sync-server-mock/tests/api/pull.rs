//! The change feed: contents, paging, cursors, tombstones, visibility.

use std::collections::HashSet;

use serde_json::{Value, json};
use sync_server_mock::ServerConfig;

use crate::support::{demo, of, update, with_config};

fn ids<'a>(changes: &'a [Value], collection: &str) -> HashSet<&'a str> {
    of(changes, collection, None)
        .into_iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_first_pull_holds_what_the_user_may_see() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let page = tech.pull(None, None).await;
    assert_eq!(page["has_more"], false);
    assert_eq!(page["remaining"], 0);
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(ids(changes, "organizations"), HashSet::from(["org-north"]));
    let org = &of(changes, "organizations", None)[0]["data"];
    assert_eq!(*org, json!({"id": "org-north", "default_language": "nl"}));
    assert_eq!(ids(changes, "profile"), HashSet::from(["user-tech"]));
    assert_eq!(
        of(changes, "profile", None)[0]["data"],
        json!({"user_id": "user-tech", "organization_id": "org-north", "role": "technician"})
    );
    // seg-export is org-south's only.
    assert_eq!(
        ids(changes, "segments"),
        HashSet::from(["seg-wholesale", "seg-retail"])
    );
    let retail = &of(changes, "segments", Some("seg-retail"))[0]["data"];
    assert_eq!(
        retail["name"],
        json!({"en": "Retail", "nl": "Detailhandel"})
    );
    assert_eq!(retail["visit_frequency"], "monthly");
    assert_eq!(ids(changes, "picklist_values").len(), 11);
    assert_eq!(
        ids(changes, "customers"),
        HashSet::from([
            "cust-north-1",
            "cust-north-2",
            "cust-north-3",
            "cust-north-4"
        ])
    );
    for c in changes {
        assert_eq!(c["op"], "upsert");
        assert_eq!(c["version"], 1);
    }
    // The other organization's technician sees the other side.
    let tech2 = api.login("tech2").await;
    let (south, _) = tech2.pull_all(None, 500).await;
    assert_eq!(
        ids(&south, "segments"),
        HashSet::from(["seg-wholesale", "seg-retail", "seg-export"])
    );
    assert_eq!(
        ids(&south, "customers"),
        HashSet::from(["cust-south-1", "cust-south-2"])
    );
    assert_eq!(ids(&south, "organizations"), HashSet::from(["org-south"]));
}

#[tokio::test]
async fn the_first_page_counts_what_remains_per_collection() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    // The organization, the profile, then the first three picklist values.
    let page = tech.pull(None, Some(5)).await;
    let first: Vec<&str> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["collection"].as_str().unwrap())
        .collect();
    assert_eq!(
        first,
        [
            "organizations",
            "profile",
            "picklist_values",
            "picklist_values",
            "picklist_values"
        ]
    );
    assert_eq!(page["remaining"], 41);
    assert_eq!(
        page["remaining_by_collection"],
        json!({"segments": 2, "picklist_values": 8, "customers": 4,
               "organizations": 0, "profile": 0, "customer_segments": 4,
               "customer_segment_members": 1, "customer_profiles": 4, "transactions": 16,
               "carts": 2})
    );
    let cursor = page["cursor"].as_str().unwrap();
    let (rest, _) = tech.pull_all(Some(cursor), 500).await;
    for (collection, n) in page["remaining_by_collection"].as_object().unwrap() {
        assert_eq!(
            of(&rest, collection, None).len() as u64,
            n.as_u64().unwrap(),
            "{collection}"
        );
    }
    // Caught up: every collection at zero.
    let done = tech.pull(None, None).await;
    assert_eq!(done["remaining"], 0);
    assert!(
        done["remaining_by_collection"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| *n == 0)
    );
}

#[tokio::test]
async fn pages_have_no_gaps_or_duplicates_and_count_what_remains() {
    let (_server, api) = with_config(ServerConfig {
        generate_customers: 300,
        generate_segments: 20,
        seed: 3,
        ..ServerConfig::demo()
    })
    .await;
    let tech = api.login("tech").await;
    let everything = tech.pull(None, Some(1000)).await;
    let total = everything["changes"].as_array().unwrap().len();
    assert!(total > 150, "{total}");
    assert_eq!(everything["has_more"], false);

    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = tech.pull(cursor.as_deref(), Some(7)).await;
        let changes = page["changes"].as_array().unwrap();
        assert!(changes.len() <= 7);
        seen.extend(changes.iter().cloned());
        pages += 1;
        assert_eq!(
            page["remaining"].as_u64().unwrap() as usize,
            total - seen.len()
        );
        assert_eq!(page["has_more"], seen.len() < total);
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(pages, total.div_ceil(7));
    let by_collection = |changes: &[Value]| {
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for c in changes {
            *counts
                .entry(c["collection"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        counts
    };
    // Pulled again page by page, each page's counts are what follows it.
    let all = everything["changes"].as_array().unwrap();
    let mut cursor: Option<String> = None;
    let mut done = 0;
    loop {
        let page = tech.pull(cursor.as_deref(), Some(50)).await;
        done += page["changes"].as_array().unwrap().len();
        let mut expected = by_collection(&all[done..]);
        for c in [
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
            expected.entry(c.to_owned()).or_default();
        }
        assert_eq!(
            page["remaining_by_collection"],
            json!(expected),
            "after {done}"
        );
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, everything["changes"].as_array().unwrap().clone());
    let seqs: Vec<i64> = seen.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "ordered by seq, unique"
    );
    let keys: HashSet<(String, String)> = seen
        .iter()
        .map(|c| (c["collection"].to_string(), c["id"].to_string()))
        .collect();
    assert_eq!(keys.len(), total, "one entry per entity");

    // An unchanged device: an empty page, in one request, same cursor.
    let cursor = cursor.unwrap();
    let idle = tech.pull(Some(&cursor), Some(7)).await;
    assert_eq!(idle["changes"], json!([]));
    assert_eq!(idle["has_more"], false);
    assert_eq!(idle["remaining"], 0);
    assert_eq!(idle["cursor"], cursor.as_str());
}

#[tokio::test]
async fn a_returning_device_gets_each_changed_entity_once_at_its_latest_state() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    let (_, cursor) = tech.pull_all(None, 500).await;

    for name in ["One", "Two", "Three"] {
        admin
            .put("/portal/v1/customers/cust-north-1", json!({"name": name}))
            .await
            .expect(200);
    }
    admin
        .put(
            "/portal/v1/marketing-segments/seg-retail",
            json!({"name": {"en": "Shops"}}),
        )
        .await
        .expect(200);
    // Changes elsewhere are not this device's business.
    admin
        .put(
            "/portal/v1/customers/cust-south-1",
            json!({"name": "Far away"}),
        )
        .await
        .expect(200);
    admin
        .put(
            "/portal/v1/marketing-segments/seg-export",
            json!({"organization": "org-south", "name": {"en": "Exports"}}),
        )
        .await
        .expect(200);

    let page = tech.pull(Some(&cursor), None).await;
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{page:#}");
    assert_eq!(changes[0]["id"], "cust-north-1");
    assert_eq!(changes[0]["version"], 4);
    assert_eq!(changes[0]["data"]["name"], "Three");
    assert_eq!(changes[1]["id"], "seg-retail");
    assert_eq!(changes[1]["data"]["name"], json!({"en": "Shops"}));
    assert_eq!(page["has_more"], false);
    assert_ne!(page["cursor"], cursor.as_str());
}

#[tokio::test]
async fn deletions_are_tombstones_with_the_new_version() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    let (_, cursor) = tech.pull_all(None, 500).await;
    admin
        .delete("/portal/v1/marketing-segments/seg-wholesale")
        .await
        .expect(200);
    admin
        .delete("/portal/v1/picklists/channel/channel-partner")
        .await
        .expect(200);
    let (changes, _) = tech.pull_all(Some(&cursor), 500).await;
    assert_eq!(
        changes,
        vec![
            json!({"seq": changes[0]["seq"], "collection": "segments", "op": "delete",
                   "id": "seg-wholesale", "version": 2, "data": null}),
            json!({"seq": changes[1]["seq"], "collection": "picklist_values", "op": "delete",
                   "id": "channel-partner", "version": 2, "data": null}),
        ]
    );
    // A new device gets the tombstones too (it may hold customers using them).
    let (fresh, _) = tech.pull_all(None, 500).await;
    let tomb = of(&fresh, "segments", Some("seg-wholesale"));
    assert_eq!(tomb[0]["op"], "delete");
}

#[tokio::test]
async fn entities_out_of_sight_come_as_deletes_and_back_as_upserts() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let tech2 = api.login("tech2").await;
    let admin = api.login("admin").await;
    let (_, north) = tech.pull_all(None, 500).await;
    let (_, south) = tech2.pull_all(None, 500).await;

    // A segment limited to the other organization.
    admin
        .put(
            "/portal/v1/marketing-segments/seg-retail",
            json!({"organization": "org-south", "name": {"en": "Retail"}}),
        )
        .await
        .expect(200);
    // A customer moved to the other organization.
    admin
        .put(
            "/portal/v1/customers/cust-north-3",
            json!({"organization_id": "org-south"}),
        )
        .await
        .expect(200);
    let (n, north) = tech.pull_all(Some(&north), 500).await;
    let ops: Vec<(&str, &str, &str)> = n
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap(),
                c["id"].as_str().unwrap(),
                c["op"].as_str().unwrap(),
            )
        })
        .collect();
    // The customer's profile, cart and transactions go with it.
    assert_eq!(
        ops,
        [
            ("segments", "seg-retail", "delete"),
            ("customers", "cust-north-3", "delete"),
            ("customer_profiles", "cust-north-3", "delete"),
            ("carts", "cust-north-3", "delete"),
            ("transactions", "tx-demo-11", "delete"),
        ]
    );
    assert_eq!(n[0]["version"], 2);
    assert_eq!(n[0]["data"], Value::Null);
    let (s, _) = tech2.pull_all(Some(&south), 500).await;
    let ops: Vec<(&str, &str)> = s
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["op"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        [
            ("seg-retail", "upsert"),
            ("cust-north-3", "upsert"),
            ("cust-north-3", "upsert"),
            ("cust-north-3", "upsert"),
            ("tx-demo-11", "upsert"),
        ]
    );
    assert_eq!(s[1]["data"]["organization_id"], "org-south");
    assert_eq!(s[2]["collection"], "customer_profiles");
    assert_eq!(s[3]["collection"], "carts");
    assert_eq!(s[3]["data"]["abandoned"], true);
    assert_eq!(s[4]["data"]["customer_id"], "cust-north-3");

    // Back to everyone: an upsert, and no stale delete alongside it.
    admin
        .put(
            "/portal/v1/marketing-segments/seg-retail",
            json!({"name": {"en": "Retail"}}),
        )
        .await
        .expect(200);
    let (n, _) = tech.pull_all(Some(&north), 500).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0]["op"], "upsert");
    assert_eq!(n[0]["version"], 3);
    let (fresh, _) = tech.pull_all(None, 500).await;
    assert_eq!(
        of(&fresh, "customers", Some("cust-north-3"))[0]["op"],
        "delete"
    );
    assert_eq!(of(&fresh, "segments", Some("seg-retail")).len(), 1);
}

#[tokio::test]
async fn a_user_moved_to_another_organization_starts_over() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    let (_, cursor) = tech.pull_all(None, 500).await;
    admin
        .put(
            "/portal/v1/users/user-tech",
            json!({"role": "technician", "organization_id": "org-south"}),
        )
        .await
        .expect(200);
    // Small pages: the restart spans several.
    let (changes, cursor) = tech.pull_all(Some(&cursor), 3).await;
    let by = |collection: &str, op: &str| -> HashSet<&str> {
        of(&changes, collection, None)
            .into_iter()
            .filter(|c| c["op"] == op)
            .map(|c| c["id"].as_str().unwrap())
            .collect()
    };
    assert_eq!(by("profile", "upsert"), HashSet::from(["user-tech"]));
    assert_eq!(
        of(&changes, "profile", None)[0]["data"]["organization_id"],
        "org-south"
    );
    assert_eq!(by("organizations", "upsert"), HashSet::from(["org-south"]));
    assert_eq!(by("organizations", "delete"), HashSet::from(["org-north"]));
    assert_eq!(
        by("customers", "upsert"),
        HashSet::from(["cust-south-1", "cust-south-2"])
    );
    assert_eq!(
        by("customers", "delete"),
        HashSet::from([
            "cust-north-1",
            "cust-north-2",
            "cust-north-3",
            "cust-north-4"
        ])
    );
    assert!(by("segments", "upsert").contains("seg-export"));
    let keys: HashSet<_> = changes
        .iter()
        .map(|c| (c["collection"].to_string(), c["id"].to_string()))
        .collect();
    assert_eq!(keys.len(), changes.len(), "one entry per entity");
    let idle = tech.pull(Some(&cursor), None).await;
    assert_eq!(idle["changes"], json!([]));
    assert_eq!(idle["cursor"], cursor.as_str());
}

#[tokio::test]
async fn device_pushes_reach_other_devices_of_the_organization() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let manager = api.login("manager").await;
    let (_, cursor) = manager.pull_all(None, 500).await;
    let results = tech
        .push(json!([update(
            "cust-north-2",
            1,
            json!({"last_visit": "2026-11-20"})
        )]))
        .await;
    assert_eq!(results[0]["status"], "applied");
    let (changes, _) = manager.pull_all(Some(&cursor), 500).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["data"]["last_visit"], "2026-11-20");
    assert_eq!(changes[0]["version"], 2);
}

#[tokio::test]
async fn bad_limits_and_cursors_are_400() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    for limit in ["0", "1001", "-1", "ten"] {
        tech.get(&format!("/sync/v1/changes?limit={limit}"))
            .await
            .expect_error(400, "bad_request", Some("limit"));
    }
    let err = tech.get("/sync/v1/changes?limit=1001").await.expect_error(
        400,
        "bad_request",
        Some("limit"),
    );
    assert_eq!(err["reason"], "must be between 1 and 1000");
    // A c2 cursor naming a collection this server does not know.
    let unknown: String = "1\norg-north\n\n5\nwidgets=3"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    for cursor in [
        "nonsense",
        "c1zz",
        "c1",
        "c2",
        "c2zz",
        "c3",
        &format!("c2{unknown}"),
    ] {
        tech.get(&format!("/sync/v1/changes?cursor={cursor}"))
            .await
            .expect_error(400, "bad_request", Some("cursor"));
    }
    let page = tech.pull(None, Some(1000)).await;
    assert_eq!(page["has_more"], false);
}

#[tokio::test]
async fn answers_are_gzipped_for_clients_that_ask() {
    let (server, api) = demo().await;
    let token = api.login("tech").await.token.unwrap();
    let plain = reqwest::Client::builder().no_gzip().build().unwrap();
    let resp = plain
        .get(format!("{}/sync/v1/changes", server.url()))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip magic");
    // Without asking: plain JSON.
    let resp = plain
        .get(format!("{}/sync/v1/changes", server.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("content-encoding").is_none());
    let body: Value = resp.json().await.unwrap();
    assert!(body["changes"].is_array());
    // reqwest's gzip support decodes it transparently.
    let page = api.login("tech").await.pull(None, None).await;
    assert!(!page["changes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_cursor_naming_the_current_organization_as_previous_is_harmless() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let (all, _) = tech.pull_all(None, 500).await;
    // Hex of "0\norg-north\norg-north": what a garbled cursor could hold.
    let raw = "0\norg-north\norg-north";
    let cursor: String = format!(
        "c1{}",
        raw.bytes().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let (again, _) = tech.pull_all(Some(&cursor), 500).await;
    assert_eq!(again, all);
}

#[tokio::test]
async fn writes_between_pages_are_delivered_and_the_pull_ends_at_zero() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let admin = api.login("admin").await;
    // The organization, the profile and three picklist values.
    let first = tech.pull(None, Some(5)).await;
    assert_eq!(first["has_more"], true);
    // Mid-pull: a Portal edit of a customer still to come, and a new one.
    admin
        .put(
            "/portal/v1/customers/cust-north-1",
            json!({"name": "Edited mid-pull"}),
        )
        .await
        .expect(200);
    admin
        .post(
            "/portal/v1/customers",
            json!({"id": "cust-mid-pull", "name": "New mid-pull", "organization_id": "org-north"}),
        )
        .await
        .expect(201);
    let mut cursor = first["cursor"].as_str().unwrap().to_owned();
    let mut changes = first["changes"].as_array().unwrap().clone();
    loop {
        let page = tech.pull(Some(&cursor), Some(5)).await;
        changes.extend(page["changes"].as_array().unwrap().iter().cloned());
        // The counts may be high mid-pull, never zero while more follows.
        assert_eq!(
            page["has_more"],
            page["remaining"].as_u64().unwrap() > 0,
            "{page:#}"
        );
        cursor = page["cursor"].as_str().unwrap().to_owned();
        if page["has_more"] == false {
            assert!(
                page["remaining_by_collection"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|n| *n == 0),
                "{page:#}"
            );
            break;
        }
    }
    let edited = of(&changes, "customers", Some("cust-north-1"));
    assert_eq!(edited.len(), 1, "once, at its latest state");
    assert_eq!(edited[0]["data"]["name"], "Edited mid-pull");
    assert_eq!(of(&changes, "customers", Some("cust-mid-pull")).len(), 1);
    // Caught up: an idle cursor, back as it was.
    let idle = tech.pull(Some(&cursor), Some(5)).await;
    assert_eq!(idle["changes"], json!([]));
    assert_eq!(idle["remaining"], 0);
    assert_eq!(idle["cursor"], cursor.as_str());
}

#[tokio::test]
async fn an_old_c1_cursor_still_pages_and_gets_counts() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let first = tech.pull(None, Some(5)).await;
    let carried = first["cursor"].as_str().unwrap();
    assert!(carried.starts_with("c2"), "mid-pull cursors carry counts");
    // What an earlier server issued for the same place: no counts.
    let last = first["changes"][4]["seq"].as_i64().unwrap();
    let raw = format!("{last}\norg-north\n");
    let old: String = format!(
        "c1{}",
        raw.bytes().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let from_old = tech.pull(Some(&old), Some(5)).await;
    let from_new = tech.pull(Some(carried), Some(5)).await;
    // Nothing changed: counting afresh and carrying the counts agree, to
    // the cursor.
    assert_eq!(from_old, from_new);
    assert_eq!(from_old["has_more"], true);
    let (rest, end) = tech.pull_all(Some(&old), 5).await;
    assert_eq!(rest.len() as u64, first["remaining"].as_u64().unwrap());
    assert!(
        end.starts_with("c1"),
        "a caught-up cursor carries no counts"
    );
}

#[tokio::test]
async fn query_strings_that_do_not_parse_are_400_in_the_json_error_shape() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let manager = api.login("manager").await;
    // Each was axum's plain-text 400 before (found by schemathesis).
    tech.get("/sync/v1/changes?limit=1&limit=2")
        .await
        .expect_error(400, "bad_request", Some("query"));
    manager
        .get("/portal/v1/customer-segments/cs-vip/members?limit=x1")
        .await
        .expect_error(400, "bad_request", Some("query"));
    manager
        .get("/portal/v1/customers?organization_id=a&organization_id=b")
        .await
        .expect_error(400, "bad_request", Some("query"));
}
