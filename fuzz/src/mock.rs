//! `mock_bodies`: any bytes as the JSON body of one of the mock server's
//! requests, through its real router (in process, no socket), as an admin,
//! a manager or a technician of the demo data. The mock may refuse the body
//! (4xx); it may not panic or fail inside (5xx).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use sync_server_mock::fault_plan::{FaultConfig, FaultState};
use sync_server_mock::seed::{self, SeedPlan};
use sync_server_mock::state::AppState;
use sync_server_mock::store::Db;
use sync_server_mock::throttle::LoginThrottle;
use sync_server_mock::tokens::TokenStore;
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// The requests with a body (and the feed's cursor): method and path,
/// `{customer}`, `{segment}`, `{customer_segment}` replaced by ids of the
/// demo data.
const ROUTES: [(&str, &str); 15] = [
    ("POST", "/auth/v1/login"),
    ("POST", "/sync/v1/mutations"),
    ("POST", "/portal/v1/customers"),
    ("PUT", "/portal/v1/customers/{customer}"),
    ("PUT", "/portal/v1/customers/{customer}/profile"),
    ("POST", "/portal/v1/transactions"),
    ("POST", "/portal/v1/customer-segments"),
    ("PUT", "/portal/v1/customer-segments/{customer_segment}"),
    (
        "PUT",
        "/portal/v1/customer-segments/{customer_segment}/members/{customer}",
    ),
    ("POST", "/portal/v1/marketing-segments"),
    ("PUT", "/portal/v1/marketing-segments/{segment}"),
    ("POST", "/portal/v1/picklists/status"),
    ("PUT", "/portal/v1/picklists/channel/{segment}"),
    ("PUT", "/portal/v1/users/{user}"),
    // The body is the cursor here (query string).
    ("GET", "/sync/v1/changes"),
];

const USERS: [&str; 3] = ["admin", "manager", "tech"];

struct Mock {
    runtime: Runtime,
    router: Router,
    /// Bearer tokens of [`USERS`].
    tokens: Vec<String>,
    customer: String,
    segment: String,
    customer_segment: String,
}

thread_local! {
    /// The mock and how many inputs it has served.
    static MOCK: RefCell<Option<(Mock, u32)>> = const { RefCell::new(None) };
}

/// Inputs one mock serves before a fresh one replaces it: every accepted
/// create stays in its in-memory database, which would otherwise grow for
/// the whole run (1.9 GB after 4 million inputs).
const INPUTS_PER_MOCK: u32 = 20_000;

fn request(method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("a method"))
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    req.body(Body::from(body)).expect("a request")
}

async fn send(router: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router.clone().oneshot(req).await.expect("infallible");
    let status = response.status();
    let body = to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("a response body");
    (status, body.to_vec())
}

/// The first `id` in a JSON answer.
fn first_id(body: &[u8]) -> Option<String> {
    fn find(v: &Value) -> Option<String> {
        match v {
            Value::Object(map) => map
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| map.values().find_map(find)),
            Value::Array(items) => items.iter().find_map(find),
            _ => None,
        }
    }
    find(&serde_json::from_slice(body).ok()?)
}

impl Mock {
    fn start() -> Mock {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let db = Db::open(None).expect("the mock's database");
        seed::run(
            &db,
            &SeedPlan {
                demo: true,
                customers: 0,
                segments: 0,
                transactions: 0,
                seed: 0,
            },
        )
        .expect("the demo data");
        let state = AppState {
            db,
            tokens: Arc::new(TokenStore::new(Duration::from_secs(86_400))),
            faults: Arc::new(FaultState::new(FaultConfig::default())),
            // Off: a fuzzed login must not lock the demo users out.
            throttle: Arc::new(LoginThrottle::new(0, Duration::from_secs(60))),
        };
        let router = sync_server_mock::router(state);
        let (tokens, ids) = runtime.block_on(async {
            let mut tokens = Vec::new();
            for user in USERS {
                let body = json!({"username": user, "password": user}).to_string();
                let (status, answer) = send(
                    &router,
                    request("POST", "/auth/v1/login", None, body.into_bytes()),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "the demo user {user} signs in");
                let answer: Value = serde_json::from_slice(&answer).expect("a login answer");
                tokens.push(answer["access_token"].as_str().expect("a token").to_owned());
            }
            let mut ids = Vec::new();
            for path in [
                "/portal/v1/customers",
                "/portal/v1/marketing-segments",
                "/portal/v1/customer-segments",
            ] {
                let (_, answer) =
                    send(&router, request("GET", path, Some(&tokens[0]), Vec::new())).await;
                ids.push(first_id(&answer).unwrap_or_else(|| "missing".to_owned()));
            }
            (tokens, ids)
        });
        let [customer, segment, customer_segment] =
            <[String; 3]>::try_from(ids).expect("three ids");
        Mock {
            runtime,
            router,
            tokens,
            customer,
            segment,
            customer_segment,
        }
    }
}

/// Percent-encodes every byte (a query value).
fn query_value(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

pub fn mock_bodies(data: &[u8]) {
    let [route, user, body @ ..] = data else {
        return;
    };
    MOCK.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell
            .as_ref()
            .is_some_and(|(_, served)| *served >= INPUTS_PER_MOCK)
        {
            *cell = None;
        }
        let (mock, served) = cell.get_or_insert_with(|| (Mock::start(), 0));
        *served += 1;
        let mock = &*mock;
        let (method, template) = ROUTES[usize::from(*route) % ROUTES.len()];
        let user_name = USERS[usize::from(*user) % USERS.len()];
        let path = template
            .replace("{customer}", &mock.customer)
            .replace("{segment}", &mock.segment)
            .replace("{customer_segment}", &mock.customer_segment)
            .replace("{user}", &format!("user-{user_name}"));
        let (uri, body) = if method == "GET" {
            (
                format!("{path}?cursor={}&limit={}", query_value(body), user),
                Vec::new(),
            )
        } else {
            (path, body.to_vec())
        };
        let token = mock.tokens[usize::from(*user) % USERS.len()].clone();
        let req = request(method, &uri, Some(&token), body);
        let (status, answer) = mock.runtime.block_on(send(&mock.router, req));
        assert!(
            !status.is_server_error(),
            "{method} {uri} as {user_name}: {status} {}",
            String::from_utf8_lossy(&answer)
        );
    });
}

/// Valid bodies of every route, as the demo users.
pub fn seeds() -> Vec<Vec<u8>> {
    let t = "2026-11-20T08:00:00Z";
    let bodies: Vec<(u8, Value)> = vec![
        (0, json!({"username": "tech", "password": "tech"})),
        (
            1,
            json!({"mutations": [{"mutation_id": "m-1", "entity": "customer", "operation": "create",
                "entity_id": "c-new-1", "base_version": null,
                "data": {"name": "New", "organization_id": "org-north"}, "created_at": t}]}),
        ),
        (
            2,
            json!({"name": "Portal customer", "organization_id": "org-north"}),
        ),
        (3, json!({"name": "Renamed", "version": 1})),
        (
            4,
            json!({"birth_date": "1990-01-01", "city": "Brno", "badges": ["vip"],
                "loyalty": {"member": true, "points": 10}}),
        ),
        (
            5,
            json!({"transactions": [{"id": "t-new", "customer_id": "c1", "date": "2026-11-01",
                "amount": 12.5, "kind": "online"}]}),
        ),
        (
            6,
            json!({"name": "Brno", "criteria": {"attribute": "city", "op": "equals", "value": "Brno"}}),
        ),
        (7, json!({"name": "Static", "kind": "static"})),
        (8, json!({})),
        (
            9,
            json!({"name": {"en": "New segment"}, "visit_frequency": "weekly"}),
        ),
        (
            10,
            json!({"name": {"en": "Renamed", "nl": "Hernoemd"}, "version": 1}),
        ),
        (11, json!({"label": {"en": "Dormant"}, "sort_order": 5})),
        (12, json!({"label": {"en": "Web"}, "version": 1})),
        (13, json!({"role": "manager", "version": 1})),
        (14, json!("c-0")),
    ];
    let mut seeds = Vec::new();
    for (route, body) in bodies {
        for user in 0..USERS.len() as u8 {
            let mut input = vec![route, user];
            match &body {
                Value::String(cursor) => input.extend_from_slice(cursor.as_bytes()),
                other => input.extend_from_slice(other.to_string().as_bytes()),
            }
            seeds.push(input);
        }
    }
    seeds
}
