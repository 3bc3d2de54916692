//! Sign-in, tokens and roles.

use std::time::Duration;

use serde_json::json;
use sync_server_mock::ServerConfig;

use crate::support::{Api, demo, with_config};

#[tokio::test]
async fn demo_users_sign_in_with_their_role_and_organization() {
    let (_server, api) = demo().await;
    for (user, org, role) in [
        ("admin", "org-north", "admin"),
        ("manager", "org-north", "manager"),
        ("tech", "org-north", "technician"),
        ("tech2", "org-south", "technician"),
    ] {
        let body = api
            .post(
                "/auth/v1/login",
                json!({"username": user, "password": user}),
            )
            .await
            .expect(200);
        assert_eq!(body["user"]["id"], format!("user-{user}"));
        assert_eq!(body["user"]["organization_id"], org);
        assert_eq!(body["user"]["role"], role);
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["access_token"].as_str().unwrap().len(), 64);
    }
}

#[tokio::test]
async fn bad_credentials_are_401() {
    let (_server, api) = demo().await;
    for (user, password) in [("tech", "wrong"), ("nobody", "nobody"), ("", "")] {
        api.post(
            "/auth/v1/login",
            json!({"username": user, "password": password}),
        )
        .await
        .expect_error(401, "unauthorized", None);
    }
    api.post("/auth/v1/login", json!({"username": "tech"}))
        .await
        .expect_error(422, "validation", Some("body"));
    let resp = api
        .request(reqwest::Method::POST, "/auth/v1/login")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn endpoints_need_a_valid_bearer_token() {
    let (_server, api) = demo().await;
    for path in [
        "/portal/v1/marketing-segments",
        "/portal/v1/picklists/status",
        "/portal/v1/customers",
        "/sync/v1/changes",
        "/admin/v1/faults",
    ] {
        let reply = api.get(path).await;
        assert_eq!(reply.headers["www-authenticate"], "Bearer");
        reply.expect_error(401, "unauthorized", None);
        let forged = Api {
            token: Some("0".repeat(64)),
            ..api.clone()
        };
        forged
            .get(path)
            .await
            .expect_error(401, "unauthorized", None);
    }
    // A token in another scheme is no bearer token.
    let resp = api
        .request(reqwest::Method::GET, "/sync/v1/changes")
        .header("authorization", "Basic dGVjaDp0ZWNo")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Health and the document are open.
    assert_eq!(api.get("/health").await.expect(200)["status"], "ok");
    api.get("/openapi.json").await.expect(200);
}

#[tokio::test]
async fn tokens_expire() {
    let (_server, api) = with_config(ServerConfig {
        token_ttl: Duration::from_secs(1),
        ..ServerConfig::demo()
    })
    .await;
    let tech = api.login("tech").await;
    tech.get("/sync/v1/changes").await.expect(200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    tech.get("/sync/v1/changes")
        .await
        .expect_error(401, "unauthorized", None);
    // Signing in again gives a fresh token.
    let again = api.login("tech").await;
    again.get("/sync/v1/changes").await.expect(200);
}

#[tokio::test]
async fn technicians_may_read_but_not_change_the_portal_nor_use_the_admin_api() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    // The Portal's lists, read-only (its screens show them to technicians).
    for path in [
        "/portal/v1/organizations",
        "/portal/v1/marketing-segments",
        "/portal/v1/picklists/status",
        "/portal/v1/customers",
        "/portal/v1/customers/cust-north-1",
        "/portal/v1/customers/cust-north-1/profile",
        "/portal/v1/customer-segments",
        "/portal/v1/customer-segments/cs-vip",
        "/portal/v1/customer-segments/cs-vip/members",
    ] {
        tech.get(path).await.expect(200);
    }
    let seg = json!({"name": {"en": "X"}});
    let pick = json!({"label": {"en": "X"}});
    let replies = [
        tech.post("/portal/v1/marketing-segments", seg.clone())
            .await,
        tech.put("/portal/v1/marketing-segments/seg-retail", seg)
            .await,
        tech.delete("/portal/v1/marketing-segments/seg-retail")
            .await,
        tech.post("/portal/v1/picklists/status", pick.clone()).await,
        tech.put("/portal/v1/picklists/status/status-active", pick)
            .await,
        tech.delete("/portal/v1/picklists/status/status-active")
            .await,
        tech.post("/portal/v1/customers", json!({"name": "X"}))
            .await,
        tech.put("/portal/v1/customers/cust-north-1", json!({"name": "X"}))
            .await,
        tech.put(
            "/portal/v1/users/user-tech",
            json!({"role": "admin", "organization_id": "org-north"}),
        )
        .await,
        tech.get("/admin/v1/faults").await,
        tech.put("/admin/v1/faults", json!({})).await,
    ];
    for reply in replies {
        reply.expect_error(403, "forbidden", None);
    }
    // The role is checked before the body is read.
    tech.post("/portal/v1/marketing-segments", json!({"name": 5}))
        .await
        .expect_error(403, "forbidden", None);
    // Nothing was changed by the refused requests.
    let admin = api.login("admin").await;
    let seg = admin.get("/portal/v1/marketing-segments").await.expect(200);
    assert_eq!(seg.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn managers_use_the_portal_but_not_admin_endpoints() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    manager
        .get("/portal/v1/marketing-segments")
        .await
        .expect(200);
    manager
        .get("/portal/v1/picklists/channel")
        .await
        .expect(200);
    manager.get("/portal/v1/customers").await.expect(200);
    manager
        .put(
            "/portal/v1/users/user-tech",
            json!({"role": "manager", "organization_id": "org-north"}),
        )
        .await
        .expect_error(403, "forbidden", None);
    manager
        .get("/admin/v1/faults")
        .await
        .expect_error(403, "forbidden", None);
    // Every role pulls and pushes.
    for user in ["admin", "manager", "tech", "tech2"] {
        let api = api.login(user).await;
        api.get("/sync/v1/changes").await.expect(200);
        assert!(api.push(json!([])).await.is_empty());
    }
}

#[tokio::test]
async fn a_role_change_takes_effect_at_once_and_reaches_the_feed() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let tech = api.login("tech").await;
    let (_, cursor) = tech.pull_all(None, 500).await;
    // A body without a name: refused for the role first, for the name once
    // the role may create (nothing is created either way).
    tech.post("/portal/v1/customers", json!({}))
        .await
        .expect_error(403, "forbidden", None);

    let profile = admin
        .put(
            "/portal/v1/users/user-tech",
            json!({"role": "manager", "organization_id": "org-north"}),
        )
        .await
        .expect(200);
    assert_eq!(
        profile,
        json!({"user_id": "user-tech", "organization_id": "org-north", "role": "manager"})
    );
    // Same token, new role.
    tech.post("/portal/v1/customers", json!({}))
        .await
        .expect(422);
    let page = tech.pull(Some(&cursor), None).await;
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{page:#}");
    assert_eq!(changes[0]["collection"], "profile");
    assert_eq!(changes[0]["id"], "user-tech");
    assert_eq!(changes[0]["version"], 2);
    assert_eq!(changes[0]["data"]["role"], "manager");

    // The same profile again is no change.
    admin
        .put(
            "/portal/v1/users/user-tech",
            json!({"role": "manager", "organization_id": "org-north"}),
        )
        .await
        .expect(200);
    let again = tech.pull(page["cursor"].as_str(), None).await;
    assert!(again["changes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn profile_changes_are_validated() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let cases = [
        (
            json!({"role": "owner", "organization_id": "org-north"}),
            "role",
        ),
        (json!({"organization_id": "org-north"}), "role"),
        (json!({"role": "admin"}), "organization_id"),
        (
            json!({"role": "admin", "organization_id": "org-west"}),
            "organization_id",
        ),
        (
            json!({"role": "admin", "organization_id": "org west"}),
            "organization_id",
        ),
    ];
    for (body, field) in cases {
        admin
            .put("/portal/v1/users/user-tech", body)
            .await
            .expect_error(422, "validation", Some(field));
    }
    admin
        .put(
            "/portal/v1/users/user-nobody",
            json!({"role": "admin", "organization_id": "org-north"}),
        )
        .await
        .expect_error(404, "not_found", None);
}
