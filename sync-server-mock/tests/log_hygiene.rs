//! No token, password or customer data in any log line: a full story runs
//! against the mock with every log line captured at TRACE level (the
//! mock's, tower-http's and axum's), and the captured text is searched for
//! each secret and each customer value of the run.
//!
//! A test binary of its own: the capturing subscriber is process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sync_server_mock::{ServerConfig, spawn};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const PASSWORD: &str = "Correct-Horse-Battery-Staple-91";
const WRONG_PASSWORD: &str = "Wrong-Guess-Pa55word-17";
const CUSTOMER_NAME: &str = "Zyxwvut Quillfeather Bakery";
const DEVICE_CUSTOMER: &str = "Plumbeus Device-Made Garage";
const RENAMED: &str = "Xanthippe Renamed Shop";
const CITY: &str = "Quuxborough";
const SEGMENT_NAME: &str = "Ultraviolet Buyers Segment";
const BAD_FIELD: &str = "Gribbleflax not-a-date";

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn login(&self, user: &str, password: &str) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            "/auth/v1/login",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_password_or_customer_data_in_any_log_line() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "sync_server_mock=trace,tower_http=trace,axum=trace",
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    // A db file whose manager has a password no other text contains.
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        db_path: Some(dir.path().join("mock.db")),
        login_max_failures: 3,
        login_lockout: Duration::from_secs(60),
        ..ServerConfig::demo()
    };
    spawn(config.clone()).await.unwrap().stop().await;
    {
        let conn = rusqlite::Connection::open(dir.path().join("mock.db")).unwrap();
        let hash = sync_server_mock::passwords::hash(PASSWORD).unwrap();
        conn.execute(
            "UPDATE users SET password_hash = ?1 WHERE username = 'manager'",
            [hash],
        )
        .unwrap();
    }
    let server = spawn(config).await.unwrap();
    let c = Client {
        http: reqwest::Client::new(),
        base: server.url(),
    };
    use reqwest::Method as M;

    // Failed logins up to the lockout of another user, then the manager.
    for _ in 0..4 {
        c.login("tech2", WRONG_PASSWORD).await;
    }
    let (status, body) = c.login("manager", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let manager = body["access_token"].as_str().unwrap().to_owned();
    let (_, body) = c.login("tech", "tech").await;
    let tech = body["access_token"].as_str().unwrap().to_owned();
    let mut tokens = vec![manager.clone(), tech.clone()];

    // The Portal: a customer, its profile and a transaction, a segment.
    let (status, customer) = c
        .send(
            M::POST,
            "/portal/v1/customers",
            Some(&manager),
            Some(json!({"name": CUSTOMER_NAME})),
        )
        .await;
    assert_eq!(status, 201, "{customer}");
    let id = customer["id"].as_str().unwrap().to_owned();
    c.send(
        M::PUT,
        &format!("/portal/v1/customers/{id}"),
        Some(&manager),
        Some(json!({"name": RENAMED})),
    )
    .await;
    c.send(
        M::PUT,
        &format!("/portal/v1/customers/{id}/profile"),
        Some(&manager),
        Some(json!({"city": CITY})),
    )
    .await;
    c.send(
        M::POST,
        "/portal/v1/transactions",
        Some(&manager),
        Some(json!([{"id": "tx-log", "customer_id": id, "date": "2026-01-31", "amount": 987.65, "kind": "online"}])),
    )
    .await;
    c.send(
        M::POST,
        "/portal/v1/customer-segments",
        Some(&manager),
        Some(json!({"name": SEGMENT_NAME, "kind": "static"})),
    )
    .await;
    // Refused input that quotes the data.
    c.send(
        M::PUT,
        &format!("/portal/v1/customers/{id}"),
        Some(&manager),
        Some(json!({"last_visit": BAD_FIELD})),
    )
    .await;
    c.send(
        M::POST,
        "/portal/v1/customers",
        Some(&manager),
        Some(json!({"name": 5, "x": BAD_FIELD})),
    )
    .await;
    c.send(
        M::GET,
        &format!("/portal/v1/customers?organization_id={CITY}"),
        Some(&manager),
        None,
    )
    .await;
    // A device: push and pull.
    let device_id = uuid::Uuid::new_v4().to_string();
    c.send(
        M::POST,
        "/sync/v1/mutations",
        Some(&tech),
        Some(json!({"mutations": [{
            "mutation_id": uuid::Uuid::new_v4().to_string(), "entity": "customer",
            "entity_id": device_id, "operation": "create",
            "changes": {"name": DEVICE_CUSTOMER}, "base_version": null
        }]})),
    )
    .await;
    let (status, _) = c
        .send(M::GET, "/sync/v1/changes?limit=1000", Some(&tech), None)
        .await;
    assert_eq!(status, 200);
    // Too large, a bad token, logout.
    c.send(
        M::POST,
        "/portal/v1/customers",
        Some(&manager),
        Some(json!({"name": CUSTOMER_NAME.repeat(40_000)})),
    )
    .await;
    c.send(
        M::GET,
        "/sync/v1/changes",
        Some("f00dfeed".repeat(8).as_str()),
        None,
    )
    .await;
    let (status, _) = c.send(M::POST, "/auth/v1/logout", Some(&tech), None).await;
    assert_eq!(status, 204);
    let (_, body) = c.login("tech", "tech").await;
    tokens.push(body["access_token"].as_str().unwrap().to_owned());
    server.stop().await;

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("/portal/v1/customers"),
        "the capture works:\n{log}"
    );
    assert!(log.lines().count() > 50, "a TRACE-level log:\n{log}");
    let mut secrets: Vec<String> = tokens;
    secrets.push("f00dfeed".into());
    for s in [
        PASSWORD,
        WRONG_PASSWORD,
        CUSTOMER_NAME,
        DEVICE_CUSTOMER,
        RENAMED,
        CITY,
        SEGMENT_NAME,
        BAD_FIELD,
        "987.65",
    ] {
        secrets.push(s.to_owned());
    }
    secrets.push("Gribbleflax".into());
    secrets.push("Quuxborough".into());
    for secret in &secrets {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(secret.as_str()))
            .collect();
        assert!(
            lines.is_empty(),
            "{secret:?} is logged:\n{}",
            lines.join("\n")
        );
    }
    for word in ["password", "Bearer", "authorization"] {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.to_lowercase().contains(&word.to_lowercase()))
            .collect();
        assert!(lines.is_empty(), "{word} in the log:\n{}", lines.join("\n"));
    }
}
