//! Test support: a server per test and an HTTP client that checks every
//! JSON answer against the response schema openapi.json gives for its
//! path, method and status (and fails on an undocumented status). Sync
//! requests are built from fieldsync-core's protocol types, and sync
//! answers must read back as them, unchanged.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use fieldsync_core::protocol::{
    ChangePage, LoginRequest, LoginResponse, Mutation, PushRequest, PushResponse,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sync_server_mock::{OPENAPI_JSON, RunningServer, ServerConfig, spawn};

/// The parsed OpenAPI document.
pub fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON"))
}

/// The documented path template `path` matches, e.g.
/// `/portal/v1/customers/{id}` for `/portal/v1/customers/c1`.
pub fn template_of(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let actual: Vec<_> = path.split('/').collect();
    openapi()["paths"]
        .as_object()?
        .keys()
        .filter(|t| {
            let parts: Vec<_> = t.split('/').collect();
            parts.len() == actual.len()
                && parts.iter().zip(&actual).all(|(t, a)| {
                    (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a
                })
        })
        // A literal segment beats a parameter: fewer braces first.
        .min_by_key(|t| t.matches('{').count())
        .cloned()
}

/// A validator for a schema of the document, with `#/components/schemas`
/// references resolved by embedding the components as `$defs`.
pub fn validator_for(schema: &Value) -> jsonschema::Validator {
    let rewrite = |v: &Value| -> Value {
        let text = serde_json::to_string(v)
            .unwrap()
            .replace("#/components/schemas/", "#/$defs/");
        serde_json::from_str(&text).unwrap()
    };
    let mut root = rewrite(schema);
    if !root.is_object() {
        root = json!({ "allOf": [root] });
    }
    root["$defs"] = rewrite(&openapi()["components"]["schemas"]);
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("bad schema {schema}: {e}"))
}

type Key = (String, String, u16);

/// Validators by (template, method, status), built once per process.
fn validators() -> &'static Mutex<HashMap<Key, Option<Arc<jsonschema::Validator>>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Option<Arc<jsonschema::Validator>>>>> =
        OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Checks an answer against the document; returns the (template, method,
/// status) it was checked as.
pub fn check_against_openapi(method: &Method, path: &str, status: StatusCode, body: &Value) -> Key {
    let template =
        template_of(path).unwrap_or_else(|| panic!("{method} {path} is not in openapi.json"));
    let m = method.as_str().to_lowercase();
    let key = (template.clone(), m.clone(), status.as_u16());
    let validator = {
        let mut cache = validators().lock().unwrap();
        cache
            .entry(key.clone())
            .or_insert_with(|| {
                let op = &openapi()["paths"][&template][&m];
                assert!(op.is_object(), "{method} {template} is not documented");
                let response = op["responses"]
                    .get(status.as_str())
                    .unwrap_or_else(|| panic!("{method} {template}: status {status} undocumented"));
                let schema = &response["content"]["application/json"]["schema"];
                (!schema.is_null()).then(|| Arc::new(validator_for(schema)))
            })
            .clone()
    };
    if let Some(v) = validator {
        let errors: Vec<String> = v.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {path} -> {status}: body does not match openapi.json: {errors:?}\n{body:#}"
        );
    }
    key
}

/// One answer: status, headers, and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status, body: {:#}",
            self.body
        );
        self.body
    }

    /// Asserts an error answer: status, `error` code and (if given) field.
    #[track_caller]
    pub fn expect_error(self, status: u16, error: &str, field: Option<&str>) -> Value {
        let body = self.expect(status);
        assert_eq!(body["error"], error, "{body:#}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{body:#}");
        }
        body
    }
}

/// A client of one server, signed in as one user (or not at all).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
    /// Every (template, method, status) checked through this client.
    pub seen: Arc<Mutex<BTreeSet<Key>>>,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Self {
        Api {
            base: base.into(),
            client: reqwest::Client::new(),
            token: None,
            seen: Default::default(),
        }
    }

    /// The same server and record of seen operations, signed in as `user`
    /// (whose password is their name in the demo data).
    pub async fn login(&self, user: &str) -> Api {
        let request = LoginRequest {
            username: user.into(),
            password: user.into(),
        };
        let body = self
            .post("/auth/v1/login", to_json(&request))
            .await
            .expect(200);
        let answer: LoginResponse = read_as(&body);
        Api {
            token: Some(answer.access_token),
            ..self.clone()
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        req
    }

    /// Sends a request and checks the answer against openapi.json.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.request(method.clone(), path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body failed");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{method} {path} -> {status}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        let key = check_against_openapi(&method, path, status, &body);
        self.seen.lock().unwrap().insert(key);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Pushes mutations and returns the results (each a core
    /// `MutationResult` on the wire).
    pub async fn push(&self, mutations: Value) -> Vec<Value> {
        let body = self
            .post("/sync/v1/mutations", json!({ "mutations": mutations }))
            .await
            .expect(200);
        let _: PushResponse = read_as(&body);
        body["results"].as_array().unwrap().clone()
    }

    /// Pushes well-formed mutations, as a device would.
    pub async fn push_typed(&self, request: &PushRequest) -> PushResponse {
        let body = self
            .post("/sync/v1/mutations", to_json(request))
            .await
            .expect(200);
        read_as(&body)
    }

    /// Pulls one page.
    pub async fn pull(&self, cursor: Option<&str>, limit: Option<u32>) -> Value {
        let mut path = "/sync/v1/changes".to_owned();
        let mut sep = '?';
        if let Some(c) = cursor {
            path.push_str(&format!("{sep}cursor={c}"));
            sep = '&';
        }
        if let Some(l) = limit {
            path.push_str(&format!("{sep}limit={l}"));
        }
        let body = self.get(&path).await.expect(200);
        let page: ChangePage = read_as(&body);
        assert_eq!(
            page.remaining_by_collection.values().sum::<u64>(),
            page.remaining,
            "the counts per collection add up to `remaining`"
        );
        body
    }

    /// Pulls until `has_more` is false; returns every change and the last
    /// cursor.
    pub async fn pull_all(&self, cursor: Option<&str>, limit: u32) -> (Vec<Value>, String) {
        let mut cursor = cursor.map(str::to_owned);
        let mut all = Vec::new();
        loop {
            let page = self.pull(cursor.as_deref(), Some(limit)).await;
            all.extend(page["changes"].as_array().unwrap().iter().cloned());
            cursor = Some(page["cursor"].as_str().unwrap().to_owned());
            if !page["has_more"].as_bool().unwrap() {
                return (all, cursor.unwrap());
            }
        }
    }
}

/// A demo server and an anonymous client of it.
pub async fn demo() -> (RunningServer, Api) {
    with_config(ServerConfig::demo()).await
}

pub async fn with_config(config: ServerConfig) -> (RunningServer, Api) {
    let server = spawn(config).await.expect("server starts");
    let api = Api::new(server.url());
    (server, api)
}

/// A new device-style customer id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `value` serialized.
pub fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("serializable")
}

/// `body` read as a protocol type, which must hold all of it: written back
/// it is `body` again.
#[track_caller]
pub fn read_as<T: Serialize + DeserializeOwned>(body: &Value) -> T {
    let typed: T = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not a {}: {e}\n{body:#}", std::any::type_name::<T>()));
    assert_eq!(&to_json(&typed), body, "read and written back");
    typed
}

/// A customer mutation as a device makes it.
pub fn mutation(id: &str, operation: &str, changes: Value, base_version: Option<i64>) -> Mutation {
    let Value::Object(changes) = changes else {
        panic!("changes are an object: {changes}");
    };
    Mutation {
        mutation_id: new_id(),
        entity: fieldsync_core::protocol::EntityKind::Customer,
        entity_id: id.into(),
        operation: serde_json::from_value(serde_json::Value::from(operation)).unwrap(),
        changes,
        base_version,
    }
}

/// A create mutation.
pub fn create(id: &str, changes: Value) -> Value {
    to_json(&mutation(id, "create", changes, None))
}

/// An update mutation.
pub fn update(id: &str, base_version: i64, changes: Value) -> Value {
    to_json(&mutation(id, "update", changes, Some(base_version)))
}

/// The changes of one collection (and, if given, one id) in `changes`.
pub fn of<'a>(changes: &'a [Value], collection: &str, id: Option<&str>) -> Vec<&'a Value> {
    changes
        .iter()
        .filter(|c| c["collection"] == collection && id.is_none_or(|id| c["id"] == id))
        .collect()
}
