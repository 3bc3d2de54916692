//! The end-to-end harness: a mock Portal on 127.0.0.1 (port 0), an office
//! user driving its admin API, and devices (a store and a sync client each)
//! syncing with it over real HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fieldsync_client::{HttpConfig, SyncClient};
use fieldsync_core::Store;
use fieldsync_core::model::{Customer, LanguageTag, RemoteCustomer};
use fieldsync_core::store::CustomerQuery;
use fieldsync_core::sync::{Credentials, RetryPolicy, SyncReport, SyncSettings};
use serde_json::{Value, json};
use sync_server_mock::{RunningServer, ServerConfig, spawn};

pub mod soak;

/// Retries short enough for tests (Retry-After is still honoured).
pub fn fast_settings() -> SyncSettings {
    SyncSettings {
        retry: RetryPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(1),
            attempts_per_run: 6,
        },
        ..Default::default()
    }
}

pub fn en() -> LanguageTag {
    LanguageTag::english()
}

/// The mock Portal and an admin session on it.
pub struct Portal {
    server: RunningServer,
    http: reqwest::Client,
    admin_token: String,
}

impl Portal {
    pub async fn start(config: ServerConfig) -> Portal {
        let server = spawn(config).await.expect("the mock Portal starts");
        let http = reqwest::Client::new();
        let admin_token = token(&http, &server.url(), "admin").await;
        Portal {
            server,
            http,
            admin_token,
        }
    }

    pub async fn demo() -> Portal {
        Self::start(ServerConfig::demo()).await
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A Portal admin API call as the admin: status and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the Portal answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete_segment(&self, id: &str) {
        let (status, body) = self
            .call(
                reqwest::Method::DELETE,
                &format!("/portal/v1/marketing-segments/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// An office edit of a customer (same field form as a push's changes).
    pub async fn edit_customer(&self, id: &str, changes: Value) -> Value {
        let (status, body) = self
            .call(
                reqwest::Method::PUT,
                &format!("/portal/v1/customers/{id}"),
                Some(changes),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn customer(&self, id: &str) -> Option<RemoteCustomer> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/portal/v1/customers/{id}"),
                None,
            )
            .await;
        (status == 200).then(|| serde_json::from_value(body).expect("a customer"))
    }

    /// Every customer of an organization, as the server has them.
    pub async fn customers_of(&self, organization_id: &str) -> Vec<RemoteCustomer> {
        let (status, body) = self
            .call(reqwest::Method::GET, "/portal/v1/customers", None)
            .await;
        assert_eq!(status, 200, "{body}");
        let all: Vec<RemoteCustomer> = serde_json::from_value(body).expect("customers");
        let mut of: Vec<_> = all
            .into_iter()
            .filter(|c| c.organization_id == organization_id && !c.deleted)
            .collect();
        of.sort_by(|a, b| a.id.cmp(&b.id));
        of
    }

    pub async fn set_faults(&self, faults: Value) {
        let (status, body) = self
            .call(reqwest::Method::PUT, "/admin/v1/faults", Some(faults))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn clear_faults(&self) {
        self.set_faults(json!({})).await;
    }

    /// A raw push as `user`, bypassing the device's own rule.
    pub async fn push_as(&self, user: &str, mutations: Value) -> Value {
        let token = token(&self.http, &self.url(), user).await;
        let response = self
            .http
            .post(format!("{}/sync/v1/mutations", self.url()))
            .bearer_auth(token)
            .json(&json!({ "mutations": mutations }))
            .send()
            .await
            .expect("the Portal answers");
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.expect("push results")
    }
}

/// A bearer token for a demo user (password = user name).
pub async fn token(http: &reqwest::Client, url: &str, user: &str) -> String {
    let body: Value = http
        .post(format!("{url}/auth/v1/login"))
        .json(&json!({"username": user, "password": user}))
        .send()
        .await
        .expect("login answers")
        .json()
        .await
        .expect("login body");
    body["access_token"].as_str().expect("a token").to_owned()
}

/// A phone or tablet: its database file and its sync client.
pub struct Device {
    pub path: PathBuf,
    pub store: Arc<Store>,
    pub client: SyncClient,
}

impl Device {
    /// Opens (or reopens, as after an app restart) the device at `path`,
    /// signed in as `user` (password = user name in the demo data).
    pub fn open(path: &Path, url: &str, user: &str, settings: SyncSettings) -> Device {
        let store = Arc::new(Store::open(path).expect("the device database opens"));
        let credentials = Credentials::Password {
            username: user.into(),
            password: user.into(),
        };
        let client = SyncClient::new(store.clone(), &HttpConfig::new(url), credentials, settings)
            .expect("a client");
        Device {
            path: path.to_owned(),
            store,
            client,
        }
    }

    /// A device of `user` at `<dir>/<user>.db`, with its first sync done.
    pub async fn synced(dir: &Path, portal: &Portal, user: &str) -> Device {
        let device = Device::open(
            &dir.join(format!("{user}.db")),
            &portal.url(),
            user,
            fast_settings(),
        );
        device.sync().await;
        device
    }

    pub async fn sync(&self) -> SyncReport {
        self.client.sync().await.expect("sync succeeds")
    }

    /// Syncs until a run succeeds (for runs under injected faults).
    pub async fn sync_until_success(&self, max_runs: usize) -> SyncReport {
        let mut last = None;
        for _ in 0..max_runs {
            match self.client.sync().await {
                Ok(report) => return report,
                Err(e) => last = Some(e),
            }
        }
        panic!("no successful sync in {max_runs} runs: {last:?}");
    }

    /// Every customer on the device, sorted by id.
    pub fn customers(&self) -> Vec<Customer> {
        all_customers(&self.store)
    }
}

/// Every customer in `store`, sorted by id.
pub fn all_customers(store: &Store) -> Vec<Customer> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let query = CustomerQuery {
            limit: 500,
            offset,
            ..Default::default()
        };
        let page = store.customers(&query, &en()).expect("customers");
        let n = page.customers.len() as u32;
        all.extend(page.customers.into_iter().map(|v| v.customer));
        if n < 500 {
            break;
        }
        offset += n;
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

/// Asserts each customer made on a device is on the server once per local
/// change: created (version 1) plus `edits` uploaded updates. `run` names
/// the run (its seed) in the message.
pub fn assert_each_change_once<'a>(
    server: &[RemoteCustomer],
    edits: impl IntoIterator<Item = (&'a String, &'a i64)>,
    run: &str,
) {
    for (id, edits) in edits {
        let on_server = server
            .iter()
            .find(|c| &c.id == id)
            .unwrap_or_else(|| panic!("{run}: customer {id} lost"));
        assert_eq!(
            on_server.version,
            1 + edits,
            "{run}: customer {id} applied once per change"
        );
    }
}

/// The fields both sides must agree on, ignoring timestamps the device may
/// render differently.
fn comparable(c: &Customer) -> Value {
    json!({
        "id": c.id, "organization_id": c.organization_id, "name": c.name, "status_id": c.status_id,
        "source_id": c.source_id, "industry_id": c.industry_id, "channel_id": c.channel_id,
        "segment_id": c.segment_id, "last_visit": c.last_visit, "version": c.version,
    })
}

/// Asserts the device holds exactly the server's customers of its
/// organization, field for field and version for version.
pub fn assert_same_customers(device: &[Customer], server: &[RemoteCustomer]) {
    let device: Vec<_> = device.iter().map(comparable).collect();
    let server: Vec<_> = server
        .iter()
        .map(|r| comparable(&r.clone().into_customer()))
        .collect();
    assert_eq!(device, server, "device and server disagree");
}
