//! Fault injection: each kind as a client sees it, configuration, and
//! determinism.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sync_server_mock::{FaultConfig, RunningServer, ServerConfig};

use crate::support::{Api, demo, update, with_config};

async fn set_faults(api: &Api, faults: Value) {
    let admin = api.login("admin").await;
    admin.put("/admin/v1/faults", faults).await.expect(200);
}

/// A demo server started with `faults`, an anonymous client of it and the
/// technician's.
async fn faulted(faults: FaultConfig) -> (RunningServer, Api, Api) {
    let (server, api) = with_config(ServerConfig {
        faults,
        ..ServerConfig::demo()
    })
    .await;
    let tech = api.login("tech").await;
    (server, api, tech)
}

/// A pull read by hand: its body may be damaged.
async fn raw_pull(tech: &Api) -> reqwest::Result<reqwest::Response> {
    tech.request(reqwest::Method::GET, "/sync/v1/changes")
        .send()
        .await
}

#[tokio::test]
async fn errors_unavailability_and_rate_limits_answer_before_handling() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    for (rate, status, retry_after) in [
        ("error_rate", 500, false),
        ("unavailable_rate", 503, true),
        ("rate_limit_rate", 429, true),
    ] {
        set_faults(&api, json!({ rate: 1.0 })).await;
        let reply = tech.get("/sync/v1/changes").await;
        assert_eq!(
            reply.headers.get("retry-after").is_some(),
            retry_after,
            "{rate}"
        );
        if retry_after {
            assert_eq!(reply.headers["retry-after"], "1");
        }
        let body = reply.expect_error(status, "injected_fault", None);
        assert!(body["reason"].as_str().unwrap().contains("fault"));
        // A push is refused before it is applied.
        let reply = tech
            .post(
                "/sync/v1/mutations",
                json!({"mutations": [update("cust-north-1", 1, json!({"name": "X"}))]}),
            )
            .await;
        assert_eq!(reply.status.as_u16(), status);
        // Sign-in, the Portal and the admin API stay reliable.
        let admin = api.login("admin").await;
        let c = admin
            .get("/portal/v1/customers/cust-north-1")
            .await
            .expect(200);
        assert_eq!(c["version"], 1, "{rate}: not applied");
        admin.get("/admin/v1/faults").await.expect(200);
    }
    set_faults(&api, json!({})).await;
    tech.get("/sync/v1/changes").await.expect(200);
}

#[tokio::test]
async fn latency_is_added_to_sync_requests() {
    let (_server, _, tech) = faulted("latency_ms=150".parse().unwrap()).await;
    let started = Instant::now();
    tech.get("/sync/v1/changes").await.expect(200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_dropped_connection_sends_headers_and_part_of_the_body() {
    let (_server, _, tech) = faulted("drop_rate=1".parse().unwrap()).await;
    let resp = raw_pull(&tech)
        .await
        .expect("the status line and headers arrive");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-fault"], "drop");
    assert!(resp.bytes().await.is_err(), "the body never completes");
}

#[tokio::test]
async fn a_truncated_body_is_half_the_json_with_a_matching_length() {
    let (_server, _, tech) = faulted("truncate_rate=1".parse().unwrap()).await;
    let resp = raw_pull(&tech).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let length: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = resp.bytes().await.expect("the cut body arrives whole");
    assert_eq!(bytes.len(), length);
    assert!(length > 100);
    assert!(bytes.starts_with(b"{\"changes\":["));
    assert!(serde_json::from_slice::<Value>(&bytes).is_err(), "cut JSON");
}

#[tokio::test]
async fn a_push_applied_then_failed_is_recovered_by_replaying_it() {
    let (_server, api, tech) = faulted("applied_then_fail_rate=1".parse().unwrap()).await;
    // Pulls are not pushes: no fault.
    tech.get("/sync/v1/changes").await.expect(200);
    let m = update("cust-north-1", 1, json!({"name": "Applied once"}));
    tech.post("/sync/v1/mutations", json!({"mutations": [m.clone()]}))
        .await
        .expect_error(500, "injected_fault", None);
    set_faults(&api, json!({})).await;
    let results = tech.push(json!([m.clone()])).await;
    assert_eq!(
        results,
        [json!({"mutation_id": m["mutation_id"], "status": "applied", "version": 2})]
    );
    let admin = api.login("admin").await;
    let c = admin
        .get("/portal/v1/customers/cust-north-1")
        .await
        .expect(200);
    assert_eq!(c["name"], "Applied once");
    assert_eq!(c["version"], 2, "changed once");
}

#[tokio::test]
async fn faults_are_read_and_replaced_by_admins() {
    let (_server, api) = with_config(ServerConfig {
        faults: "error_rate=0.2,latency_ms=5,seed=7".parse().unwrap(),
        ..ServerConfig::demo()
    })
    .await;
    let admin = api.login("admin").await;
    let current = admin.get("/admin/v1/faults").await.expect(200);
    assert_eq!(current["error_rate"], 0.2);
    assert_eq!(current["latency_ms"], 5);
    assert_eq!(current["seed"], 7);
    assert_eq!(current["drop_rate"], 0.0);
    let new = json!({"truncate_rate": 0.25, "drop_rate": 0.25, "seed": 9});
    let set = admin.put("/admin/v1/faults", new).await.expect(200);
    assert_eq!(set["error_rate"], 0.0, "absent means 0");
    assert_eq!(admin.get("/admin/v1/faults").await.expect(200), set);
    for (body, field) in [
        (json!({"drop_rate": 1.5}), "drop_rate"),
        (json!({"error_rate": -0.1}), "error_rate"),
        (json!({"error_rate": 0.6, "unavailable_rate": 0.6}), "body"),
        (json!({"typo_rate": 0.1}), "body"),
    ] {
        admin
            .put("/admin/v1/faults", body)
            .await
            .expect_error(422, "validation", Some(field));
    }
    assert_eq!(admin.get("/admin/v1/faults").await.expect(200), set);
}

/// The statuses of `n` pulls against a fresh server with `faults`.
async fn statuses(faults: FaultConfig, n: usize) -> Vec<u16> {
    let (_server, _, tech) = faulted(faults).await;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(tech.get("/sync/v1/changes").await.status.as_u16());
    }
    out
}

#[tokio::test]
async fn faults_repeat_for_a_seed() {
    let config: FaultConfig = "error_rate=0.3,unavailable_rate=0.2,rate_limit_rate=0.2,seed=7"
        .parse()
        .unwrap();
    let first = statuses(config.clone(), 30).await;
    assert_eq!(first, statuses(config.clone(), 30).await);
    for status in [200, 429, 500, 503] {
        assert!(first.contains(&status), "{status} in {first:?}");
    }
    let other = statuses(FaultConfig { seed: 8, ..config }, 30).await;
    assert_ne!(first, other);
}
