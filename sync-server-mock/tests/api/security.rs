//! The mock as a service that is safe to run: hashed passwords, login
//! throttling, body limits, logout.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sync_server_mock::{ServerConfig, spawn};

use crate::support::{Api, demo, with_config};

fn login_body(user: &str, password: &str) -> Value {
    json!({"username": user, "password": password})
}

#[tokio::test]
async fn logout_revokes_the_token_at_once_and_is_idempotent() {
    let (_server, api) = demo().await;
    let tech = api.login("tech").await;
    let other = api.login("tech").await;
    tech.get("/sync/v1/changes").await.expect(200);
    tech.post("/auth/v1/logout", Value::Null).await.expect(204);
    tech.get("/sync/v1/changes")
        .await
        .expect_error(401, "unauthorized", None);
    // Again, and with a token that never existed: still 204.
    tech.post("/auth/v1/logout", Value::Null).await.expect(204);
    let made_up = Api {
        token: Some("0".repeat(64)),
        ..api.clone()
    };
    made_up
        .post("/auth/v1/logout", Value::Null)
        .await
        .expect(204);
    // Only that token: the user's other sessions go on.
    other.get("/sync/v1/changes").await.expect(200);
    api.post("/auth/v1/logout", Value::Null)
        .await
        .expect_error(401, "unauthorized", None);
}

#[tokio::test]
async fn failed_logins_are_throttled_with_retry_after() {
    let (_server, api) = with_config(ServerConfig {
        login_max_failures: 3,
        login_lockout: Duration::from_secs(2),
        ..ServerConfig::demo()
    })
    .await;
    // A success resets the count.
    for _ in 0..2 {
        api.post("/auth/v1/login", login_body("tech", "wrong"))
            .await
            .expect_error(401, "unauthorized", None);
    }
    api.login("tech").await;
    for _ in 0..3 {
        api.post("/auth/v1/login", login_body("tech", "wrong"))
            .await
            .expect_error(401, "unauthorized", None);
    }
    // Locked out, whatever the password.
    for password in ["wrong", "tech"] {
        let reply = api
            .post("/auth/v1/login", login_body("tech", password))
            .await;
        let retry_after: u64 = reply.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");
        reply.expect_error(429, "too_many_requests", None);
    }
    // Per username: others sign in; unknown users are throttled alike, so
    // the answers do not tell who exists.
    api.login("tech2").await;
    for _ in 0..3 {
        api.post("/auth/v1/login", login_body("nobody", "x"))
            .await
            .expect_error(401, "unauthorized", None);
    }
    api.post("/auth/v1/login", login_body("nobody", "x"))
        .await
        .expect_error(429, "too_many_requests", None);
    // The lockout ends.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    api.login("tech").await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_with_the_json_error() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    let big = "x".repeat(sync_server_mock::routes::BODY_LIMIT + 1);
    manager
        .post("/portal/v1/customers", json!({"name": big}))
        .await
        .expect_error(413, "payload_too_large", None);
    api.post("/auth/v1/login", login_body("tech", &big))
        .await
        .expect_error(413, "payload_too_large", None);
    // Raw, not JSON-typed: still the JSON error.
    let admin = api.login("admin").await;
    let resp = admin
        .request(reqwest::Method::PUT, "/admin/v1/faults")
        .header("content-type", "application/json")
        .body(vec![b' '; sync_server_mock::routes::BODY_LIMIT + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
    // Under the limit of the larger routes: read (and refused for what it
    // says, not for its size).
    let tech = api.login("tech").await;
    let mutations: Vec<Value> = (0..2)
        .map(|i| {
            crate::support::create(
                &crate::support::new_id(),
                json!({"name": format!("C{i}"), "notes": "n".repeat(700 * 1024)}),
            )
        })
        .collect();
    let reply = tech
        .post("/sync/v1/mutations", json!({ "mutations": mutations }))
        .await;
    assert_ne!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn passwords_are_stored_as_salted_argon2id_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.db");
    let server = spawn(ServerConfig {
        db_path: Some(path.clone()),
        ..ServerConfig::demo()
    })
    .await
    .unwrap();
    server.stop().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT username, password_hash FROM users")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 4);
    let mut salts = std::collections::HashSet::new();
    for (user, hash) in &rows {
        assert!(hash.starts_with("$argon2id$v=19$"), "{user}: {hash}");
        assert!(!hash.contains(&format!("${user}$")));
        salts.insert(hash.split('$').nth(4).unwrap().to_owned());
    }
    assert_eq!(salts.len(), 4, "a salt per user");
}

#[tokio::test]
async fn a_db_file_of_an_older_mock_with_plain_passwords_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let config = ServerConfig {
        db_path: Some(path.clone()),
        ..ServerConfig::demo()
    };
    spawn(config.clone()).await.unwrap().stop().await;
    {
        // Make it the older mock's file: a plain-text `password` column.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "ALTER TABLE users ADD COLUMN password TEXT NOT NULL DEFAULT '';
             UPDATE users SET password = username;
             ALTER TABLE users DROP COLUMN password_hash;",
        )
        .unwrap();
    }
    let server = spawn(config).await.unwrap();
    let api = Api::new(server.url());
    api.login("manager").await;
    api.post("/auth/v1/login", login_body("manager", "wrong"))
        .await
        .expect_error(401, "unauthorized", None);
    server.stop().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('users')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(columns.contains(&"password_hash".to_owned()));
    assert!(!columns.contains(&"password".to_owned()), "{columns:?}");
}

/// An unknown user costs a hash check too: the time of a failed login
/// does not tell whether the user exists. Without the dummy check an
/// unknown user would answer about a hundred times faster (no argon2), so
/// the bound is wide: the fastest of several interleaved tries of each,
/// within a factor of 5, holds on a loaded machine and still catches it.
#[tokio::test]
async fn unknown_users_take_as_long_as_wrong_passwords() {
    let (_server, api) = with_config(ServerConfig {
        login_max_failures: 0,
        ..ServerConfig::demo()
    })
    .await;
    let once = |user: &'static str| {
        let api = api.clone();
        async move {
            let start = Instant::now();
            api.post("/auth/v1/login", login_body(user, "wrong"))
                .await
                .expect_error(401, "unauthorized", None);
            start.elapsed()
        }
    };
    let (mut known, mut unknown) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        known = known.min(once("tech").await);
        unknown = unknown.min(once("nobody-at-all").await);
    }
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!(
        (0.2..5.0).contains(&ratio),
        "fastest known {known:?}, fastest unknown {unknown:?}"
    );
}

/// Guesses sent at once are counted as they arrive, not as their (slow)
/// hash checks end: no more than the limit get an answer.
#[tokio::test]
async fn concurrent_guesses_are_throttled_too() {
    let (_server, api) = with_config(ServerConfig {
        login_max_failures: 3,
        login_lockout: Duration::from_secs(60),
        ..ServerConfig::demo()
    })
    .await;
    let guesses = (0..10).map(|i| {
        let api = api.clone();
        async move {
            api.post(
                "/auth/v1/login",
                login_body("manager", &format!("guess-{i}")),
            )
            .await
            .status
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (3, 7), "{statuses:?}");
}
