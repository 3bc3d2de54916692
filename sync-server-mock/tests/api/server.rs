//! How the server runs: persistence, the binary, the blocking helper, many
//! servers at once, generated data.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use sync_server_mock::{ServerConfig, spawn, spawn_blocking_server};

use crate::support::{Api, create, new_id, with_config};

#[tokio::test]
async fn a_db_file_keeps_the_state_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        db_path: Some(dir.path().join("mock.db")),
        ..ServerConfig::demo()
    };
    let server = spawn(config.clone()).await.unwrap();
    let api = Api::new(server.url());
    let admin = api.login("admin").await;
    let segment = admin
        .post(
            "/portal/v1/marketing-segments",
            json!({"name": {"en": "Kept"}}),
        )
        .await
        .expect(201);
    let tech = api.login("tech").await;
    let id = new_id();
    let m = create(&id, json!({"name": "Survivor"}));
    assert_eq!(tech.push(json!([m.clone()])).await[0]["status"], "applied");
    let (before, cursor) = tech.pull_all(None, 500).await;
    server.stop().await;

    // Same flags again: the demo data is not seeded twice.
    let server = spawn(config).await.unwrap();
    let api = Api::new(server.url());
    let admin = api.login("admin").await;
    let segments = admin.get("/portal/v1/marketing-segments").await.expect(200);
    assert!(segments.as_array().unwrap().contains(&segment));
    assert_eq!(segments.as_array().unwrap().len(), 4);
    let c = admin
        .get(&format!("/portal/v1/customers/{id}"))
        .await
        .expect(200);
    assert_eq!(c["name"], "Survivor");
    // Mutation outcomes survive too: the replay is not applied again.
    let tech = api.login("tech").await;
    assert_eq!(
        tech.push(json!([m.clone()])).await[0],
        json!({"mutation_id": m["mutation_id"], "status": "applied", "version": 1})
    );
    // The old cursor still works: nothing new.
    let idle = tech.pull(Some(&cursor), None).await;
    assert_eq!(idle["changes"], json!([]));
    let (after, _) = tech.pull_all(None, 500).await;
    assert_eq!(before, after);
    // And the sequence goes on from where it was.
    admin
        .put(
            "/portal/v1/customers/cust-north-1",
            json!({"name": "Later"}),
        )
        .await
        .expect(200);
    let page = tech.pull(Some(&cursor), None).await;
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    let last_before = before
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(changes[0]["seq"].as_i64().unwrap() > last_before);
}

#[test]
fn the_binary_prints_its_address_once_bound() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sync-server-mock"))
        .args([
            "--port",
            "0",
            "--seed-demo",
            "--faults",
            "latency_ms=1,seed=3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .map(|port| port.parse::<u16>().expect("a port"))
        .map(|port| format!("127.0.0.1:{port}"));
    let health = url.as_deref().map(http_get_health);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(url.is_some(), "first line: {line:?}");
    assert!(health.unwrap().contains("\"ok\""));
}

#[test]
fn the_binary_refuses_bad_fault_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_sync-server-mock"))
        .args(["--port", "0", "--faults", "error_rate=2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error_rate must be between 0 and 1"));
}

/// A plain HTTP/1.1 GET of /health, for tests without a runtime.
fn http_get_health(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
}

#[test]
fn the_blocking_helper_runs_a_server_without_a_runtime() {
    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert!(http_get_health(&server.addr().to_string()).contains("\"ok\""));
    let addr = server.addr();
    server.stop();
    assert!(TcpStream::connect(addr).is_err(), "stopped");
}

#[tokio::test]
async fn servers_in_one_process_are_independent() {
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(with_config(ServerConfig::demo()).await);
    }
    let ports: HashSet<u16> = servers.iter().map(|(s, _)| s.addr().port()).collect();
    assert_eq!(ports.len(), 3);
    let admin = servers[0].1.login("admin").await;
    admin
        .post(
            "/portal/v1/marketing-segments",
            json!({"name": {"en": "Only here"}}),
        )
        .await
        .expect(201);
    for (i, (_, api)) in servers.iter().enumerate() {
        let list = api
            .login("admin")
            .await
            .get("/portal/v1/marketing-segments")
            .await
            .expect(200);
        assert_eq!(list.as_array().unwrap().len(), if i == 0 { 4 } else { 3 });
    }
    // A token of one server means nothing to another.
    let other = Api {
        base: servers[1].1.base.clone(),
        ..admin
    };
    other
        .get("/portal/v1/customers")
        .await
        .expect_error(401, "unauthorized", None);
}

#[tokio::test]
async fn synthetic_data_is_deterministic_for_a_seed() {
    let load = |seed: u64| async move {
        let (_server, api) = with_config(ServerConfig {
            generate_customers: 2_000,
            generate_segments: 30,
            seed,
            ..ServerConfig::demo()
        })
        .await;
        let admin = api.login("admin").await;
        let customers = admin.get("/portal/v1/customers").await.expect(200);
        let segments = admin.get("/portal/v1/marketing-segments").await.expect(200);
        let strip = |v: &Value| -> Vec<Value> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    // Timestamps are the seeding time.
                    for key in ["created_at", "updated_at"] {
                        c.as_object_mut().unwrap().remove(key);
                    }
                    c
                })
                .collect()
        };
        (strip(&customers), strip(&segments))
    };
    let (customers, segments) = load(11).await;
    assert_eq!(customers.len(), 2_006);
    assert_eq!(segments.len(), 33);
    let generated_segment = segments
        .iter()
        .find(|s| s["id"] != "seg-wholesale" && s["id"] != "seg-retail" && s["id"] != "seg-export")
        .unwrap();
    let languages: Vec<&String> = generated_segment["name"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(languages, ["de", "en", "es", "fr", "nl"]);
    assert_eq!(load(11).await, (customers.clone(), segments.clone()));
    assert_ne!(load(12).await.0, customers);
}

#[tokio::test]
async fn a_hundred_thousand_customers_page_through_the_feed() {
    let (_server, api) = with_config(ServerConfig {
        generate_customers: 100_000,
        seed: 1,
        ..ServerConfig::demo()
    })
    .await;
    let tech = api.login("tech").await;
    let first = tech.pull(None, Some(1000)).await;
    let remaining = first["remaining"].as_u64().unwrap();
    // About half the customers are org-north's.
    assert!((40_000..60_000).contains(&remaining), "{remaining}");
    assert_eq!(first["has_more"], true);
    let second = tech.pull(first["cursor"].as_str(), Some(1000)).await;
    assert_eq!(second["changes"].as_array().unwrap().len(), 1000);
    assert_eq!(second["remaining"].as_u64().unwrap(), remaining - 1000);
}
