//! The Portal's segments and picklists.

use serde_json::{Value, json};

use crate::support::demo;

#[tokio::test]
async fn segments_are_created_listed_edited_and_deleted() {
    let (_server, api) = demo().await;
    let admin = api.login("manager").await;
    let created = admin
        .post(
            "/portal/v1/marketing-segments",
            json!({"name": {"en": "Horeca", "nl": " Horeca "}, "visit_frequency": "every_2_weeks",
                   "description": "  Bars  "}),
        )
        .await
        .expect(201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("seg-"));
    assert_eq!(created["organization"], "ALL");
    assert_eq!(created["name"], json!({"en": "Horeca", "nl": "Horeca"}));
    assert_eq!(created["visit_frequency"], "every_2_weeks");
    assert_eq!(created["description"], "Bars");
    assert_eq!(created["version"], 1);
    assert_eq!(created["deleted"], false);

    let list = admin.get("/portal/v1/marketing-segments").await.expect(200);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    // seg-export is org-south's alone: not the north manager's to see.
    assert_eq!(ids, ["seg-wholesale", "seg-retail", id.as_str()]);

    let edited = admin
        .put(
            &format!("/portal/v1/marketing-segments/{id}"),
            json!({"organization": "org-north", "name": {"en": "Hospitality"}}),
        )
        .await
        .expect(200);
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["organization"], "org-north");
    assert_eq!(edited["visit_frequency"], "none", "a PUT replaces the form");
    assert_eq!(edited["description"], Value::Null);

    let tombstone = admin
        .delete(&format!("/portal/v1/marketing-segments/{id}"))
        .await
        .expect(200);
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["version"], 3);
    assert_eq!(tombstone["name"], json!({"en": "Hospitality"}));
    let list = admin.get("/portal/v1/marketing-segments").await.expect(200);
    assert_eq!(list.as_array().unwrap().len(), 2);

    // Gone: neither deleted again nor edited.
    admin
        .delete(&format!("/portal/v1/marketing-segments/{id}"))
        .await
        .expect_error(404, "not_found", None);
    admin
        .put(
            &format!("/portal/v1/marketing-segments/{id}"),
            json!({"name": {"en": "Back"}}),
        )
        .await
        .expect_error(404, "not_found", None);
    admin
        .delete("/portal/v1/marketing-segments/seg-nope")
        .await
        .expect_error(404, "not_found", None);
}

/// Each invalid segment form, and the field and reason it is refused with.
#[tokio::test]
async fn each_segment_validation_error_names_its_field() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let long = "x".repeat(201);
    let cases = [
        (
            json!({}),
            "name",
            "needs at least one non-blank translation",
        ),
        (
            json!({"name": {"en": "  "}}),
            "name",
            "needs at least one non-blank translation",
        ),
        (
            json!({"name": {"en": "A", "nl": long}}),
            "name.nl",
            "must be at most 200 characters",
        ),
        (
            json!({"name": {"e_n!": "A"}}),
            "name.language",
            "is malformed",
        ),
        (
            json!({"name": {"en": "A", "EN": "B"}}),
            "name.en",
            "has a duplicate entry",
        ),
        (
            json!({"name": {"en": "A"}, "visit_frequency": "hourly"}),
            "visit_frequency",
            "is not one of the allowed codes",
        ),
        (
            json!({"name": {"en": "A"}, "organization": "org north"}),
            "organization",
            "is malformed",
        ),
        (
            json!({"name": {"en": "A"}, "organization": "org-west"}),
            "organization",
            "organization org-west does not exist",
        ),
        (
            json!({"name": {"en": "A"}, "description": "d".repeat(2001)}),
            "description",
            "must be at most 2000 characters",
        ),
    ];
    for (body, field, reason) in cases {
        let err = admin
            .post("/portal/v1/marketing-segments", body.clone())
            .await
            .expect_error(422, "validation", Some(field));
        assert_eq!(err["reason"], reason, "{body}");
        admin
            .put("/portal/v1/marketing-segments/seg-retail", body)
            .await
            .expect_error(422, "validation", Some(field));
    }
    // Wrong JSON types are validation errors too; broken JSON is a bad request.
    admin
        .post("/portal/v1/marketing-segments", json!({"name": 5}))
        .await
        .expect_error(422, "validation", Some("body"));
    let resp = admin
        .request(reqwest::Method::POST, "/portal/v1/marketing-segments")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // Nothing was stored.
    let list = admin.get("/portal/v1/marketing-segments").await.expect(200);
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn each_picklist_has_the_same_lifecycle() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    for kind in ["status", "source", "industry", "channel"] {
        let base = format!("/portal/v1/picklists/{kind}");
        let before = admin.get(&base).await.expect(200);
        assert!(before.as_array().unwrap().len() >= 2, "{kind}");
        for v in before.as_array().unwrap() {
            assert_eq!(v["kind"], kind);
            assert!(v["label"]["nl"].is_string(), "Dutch labels: {v}");
        }
        let created = admin
            .post(&base, json!({"label": {"en": "New", "nl": "Nieuw"}, "sort_order": 9, "organization": "org-south"}))
            .await
            .expect(201);
        let id = created["id"].as_str().unwrap();
        assert_eq!(created["kind"], kind);
        assert_eq!(created["organization"], "org-south");
        assert_eq!(created["sort_order"], 9);
        assert_eq!(created["version"], 1);
        let edited = admin
            .put(&format!("{base}/{id}"), json!({"label": {"en": "Newer"}}))
            .await
            .expect(200);
        assert_eq!(edited["version"], 2);
        assert_eq!(edited["organization"], "ALL");
        assert_eq!(edited["sort_order"], 0);
        let gone = admin.delete(&format!("{base}/{id}")).await.expect(200);
        assert_eq!(gone["deleted"], true);
        assert_eq!(gone["version"], 3);
        assert_eq!(admin.get(&base).await.expect(200), before);
        admin
            .delete(&format!("{base}/{id}"))
            .await
            .expect_error(404, "not_found", None);
    }
    // A value is found under its own list only.
    admin
        .put(
            "/portal/v1/picklists/source/status-active",
            json!({"label": {"en": "X"}}),
        )
        .await
        .expect_error(404, "not_found", None);
}

#[tokio::test]
async fn unknown_picklist_kinds_are_404() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let label = json!({"label": {"en": "X"}});
    admin
        .get("/portal/v1/picklists/colour")
        .await
        .expect_error(404, "not_found", None);
    admin
        .post("/portal/v1/picklists/colour", label.clone())
        .await
        .expect_error(404, "not_found", None);
    admin
        .put("/portal/v1/picklists/colour/x", label)
        .await
        .expect_error(404, "not_found", None);
    admin
        .delete("/portal/v1/picklists/colour/x")
        .await
        .expect_error(404, "not_found", None);
}

#[tokio::test]
async fn picklist_validation_errors_name_their_field() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let cases = [
        (json!({}), "label"),
        (json!({"label": {"en": ""}}), "label"),
        (json!({"label": {"en": "x".repeat(201)}}), "label.en"),
        (
            json!({"label": {"en": "A"}, "organization": "org-west"}),
            "organization",
        ),
        (
            json!({"label": {"en": "A"}, "organization": ""}),
            "organization",
        ),
    ];
    for (body, field) in cases {
        admin
            .post("/portal/v1/picklists/industry", body.clone())
            .await
            .expect_error(422, "validation", Some(field));
        admin
            .put("/portal/v1/picklists/industry/industry-food", body)
            .await
            .expect_error(422, "validation", Some(field));
    }
}

#[tokio::test]
async fn organizations_are_listed_as_each_user_works_in_them() {
    let (_server, api) = demo().await;
    let ids = |list: Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let admin = api.login("admin").await;
    let all = admin.get("/portal/v1/organizations").await.expect(200);
    assert_eq!(ids(all.clone()), ["org-north", "org-south"]);
    assert_eq!(all[0]["default_language"], "nl");
    for (user, own) in [
        ("manager", "org-north"),
        ("tech", "org-north"),
        ("tech2", "org-south"),
    ] {
        let session = api.login(user).await;
        let list = session.get("/portal/v1/organizations").await.expect(200);
        assert_eq!(ids(list), [own], "{user}");
    }
    api.get("/portal/v1/organizations")
        .await
        .expect_error(401, "unauthorized", None);
}

#[tokio::test]
async fn technicians_read_the_catalogue_but_may_not_change_it() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let list = tech.get("/portal/v1/marketing-segments").await.expect(200);
    assert!(!list.as_array().unwrap().is_empty());
    tech.get("/portal/v1/picklists/status").await.expect(200);
    tech.post(
        "/portal/v1/marketing-segments",
        json!({"name": {"en": "X"}}),
    )
    .await
    .expect_error(403, "forbidden", None);
}
