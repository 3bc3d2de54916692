//! Engine tests over a scripted transport: no server, no network, no real
//! waiting (sleeps are recorded, not slept).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::model::{Role, Session};
use crate::protocol::*;
use crate::store::Store;

pub(super) type PullFn =
    dyn Fn(Option<&str>, usize) -> Result<ChangePage, TransportError> + Send + Sync;
pub(super) type PushFn =
    dyn Fn(&PushRequest, usize) -> Result<PushResponse, TransportError> + Send + Sync;

/// A transport answering from closures, recording what it was asked.
pub(super) struct Scripted {
    pub(super) pull: Box<PullFn>,
    pub(super) push: Box<PushFn>,
    pub(super) login_failures: Mutex<VecDeque<TransportError>>,
    pub(super) logins: Mutex<u32>,
    pub(super) pulls: Mutex<Vec<Option<String>>>,
    pub(super) pushes: Mutex<Vec<PushRequest>>,
    pub(super) tokens_seen: Mutex<Vec<String>>,
    pub(super) sleeps: Mutex<Vec<Duration>>,
}

impl Scripted {
    pub(super) fn new(
        pull: impl Fn(Option<&str>, usize) -> Result<ChangePage, TransportError> + Send + Sync + 'static,
        push: impl Fn(&PushRequest, usize) -> Result<PushResponse, TransportError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Scripted {
            pull: Box::new(pull),
            push: Box::new(push),
            login_failures: Mutex::new(VecDeque::new()),
            logins: Mutex::new(0),
            pulls: Mutex::new(Vec::new()),
            pushes: Mutex::new(Vec::new()),
            tokens_seen: Mutex::new(Vec::new()),
            sleeps: Mutex::new(Vec::new()),
        }
    }
}

impl Transport for Arc<Scripted> {
    async fn login(&self, request: &LoginRequest) -> Result<LoginResponse, TransportError> {
        if let Some(err) = self.login_failures.lock().unwrap().pop_front() {
            return Err(err);
        }
        if request.password != "secret" {
            return Err(status(401));
        }
        let mut n = self.logins.lock().unwrap();
        *n += 1;
        Ok(LoginResponse {
            access_token: format!("token-{n}"),
            expires_in: 3600,
            user: LoginUser {
                id: "tech".into(),
                organization_id: "org-north".into(),
                role: Role::Technician,
            },
        })
    }

    async fn pull(
        &self,
        token: &str,
        cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ChangePage, TransportError> {
        self.tokens_seen.lock().unwrap().push(token.to_owned());
        let n = {
            let mut pulls = self.pulls.lock().unwrap();
            pulls.push(cursor.map(str::to_owned));
            pulls.len() - 1
        };
        (self.pull)(cursor, n)
    }

    async fn push(
        &self,
        token: &str,
        request: &PushRequest,
    ) -> Result<PushResponse, TransportError> {
        self.tokens_seen.lock().unwrap().push(token.to_owned());
        let n = {
            let mut pushes = self.pushes.lock().unwrap();
            pushes.push(request.clone());
            pushes.len() - 1
        };
        (self.push)(request, n)
    }

    async fn sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
    }
}

pub(super) fn status(status: u16) -> TransportError {
    TransportError::Status {
        status,
        retry_after: None,
        body: None,
    }
}

pub(super) fn segment_change(seq: i64, id: &str, en: &str) -> FeedChange {
    FeedChange {
        seq,
        collection: Collection::Segments,
        op: ChangeOp::Upsert,
        id: id.into(),
        version: seq,
        data: FeedChange::record(&json!({
            "id": id, "organization": "ALL", "name": {"en": en, "nl": format!("{en} NL")},
            "visit_frequency": "weekly", "version": seq, "updated_at": "2026-11-23T10:00:00Z"
        }))
        .unwrap(),
    }
}

pub(super) fn page(
    changes: Vec<FeedChange>,
    cursor: &str,
    has_more: bool,
    remaining: u64,
) -> ChangePage {
    ChangePage {
        changes,
        cursor: cursor.into(),
        has_more,
        remaining,
        remaining_by_collection: Default::default(),
    }
}

pub(super) fn empty_page(cursor: Option<&str>) -> ChangePage {
    page(vec![], cursor.unwrap_or("c0"), false, 0)
}

pub(super) fn apply_all(request: &PushRequest, version: i64) -> PushResponse {
    PushResponse {
        results: request
            .mutations
            .iter()
            .map(|m| MutationResult::Applied {
                mutation_id: m.mutation_id.clone(),
                version,
            })
            .collect(),
    }
}

pub(super) fn store() -> Arc<Store> {
    let store = Arc::new(Store::open_in_memory().unwrap());
    store
        .set_session(&Session::new("tech", "org-north", Role::Technician))
        .unwrap();
    store
}

pub(super) fn password() -> Credentials {
    Credentials::Password {
        username: "tech".into(),
        password: "secret".into(),
    }
}

pub(super) fn engine(store: &Arc<Store>, transport: &Arc<Scripted>) -> SyncEngine<Arc<Scripted>> {
    SyncEngine::new(
        store.clone(),
        transport.clone(),
        password(),
        SyncSettings::default(),
    )
    .unwrap()
}

#[derive(Default)]
pub(super) struct Recorder {
    pub(super) statuses: Mutex<Vec<SyncStatus>>,
    pub(super) changed: Mutex<Vec<Vec<Collection>>>,
}

impl SyncObserver for Recorder {
    fn status_changed(&self, status: &SyncStatus) {
        self.statuses.lock().unwrap().push(status.clone());
    }
    fn collections_changed(&self, collections: &[Collection]) {
        self.changed.lock().unwrap().push(collections.to_vec());
    }
}

mod cancel;
mod outcomes;
mod pipeline;
mod runs;
mod sign_out;
