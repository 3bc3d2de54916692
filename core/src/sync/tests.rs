//! Engine tests over a scripted transport: no server, no network, no real
//! waiting (sleeps are recorded, not slept).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::protocol::*;
use super::*;
use crate::error::Error;
use crate::model::{CustomerDraft, CustomerUpdate, LanguageTag, Role, Session};
use crate::store::Store;
use crate::store::outbox::Rejection;

type PullFn = dyn Fn(Option<&str>, usize) -> Result<ChangePage, TransportError> + Send + Sync;
type PushFn = dyn Fn(&PushRequest, usize) -> Result<PushResponse, TransportError> + Send + Sync;

/// A transport answering from closures, recording what it was asked.
struct Scripted {
    pull: Box<PullFn>,
    push: Box<PushFn>,
    login_failures: Mutex<VecDeque<TransportError>>,
    logins: Mutex<u32>,
    pulls: Mutex<Vec<Option<String>>>,
    pushes: Mutex<Vec<PushRequest>>,
    tokens_seen: Mutex<Vec<String>>,
    sleeps: Mutex<Vec<Duration>>,
}

impl Scripted {
    fn new(
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

fn status(status: u16) -> TransportError {
    TransportError::Status {
        status,
        retry_after: None,
        body: None,
    }
}

fn segment_change(seq: i64, id: &str, en: &str) -> FeedChange {
    FeedChange {
        seq,
        collection: Collection::Segments,
        op: ChangeOp::Upsert,
        id: id.into(),
        version: seq,
        data: Some(json!({
            "id": id, "organization": "ALL", "name": {"en": en, "nl": format!("{en} NL")},
            "visit_frequency": "weekly", "version": seq, "updated_at": "2026-11-23T10:00:00Z"
        })),
    }
}

fn page(changes: Vec<FeedChange>, cursor: &str, has_more: bool, remaining: u64) -> ChangePage {
    ChangePage {
        changes,
        cursor: cursor.into(),
        has_more,
        remaining,
        remaining_by_collection: Default::default(),
    }
}

fn empty_page(cursor: Option<&str>) -> ChangePage {
    page(vec![], cursor.unwrap_or("c0"), false, 0)
}

fn apply_all(request: &PushRequest, version: i64) -> PushResponse {
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

fn store() -> Arc<Store> {
    let store = Arc::new(Store::open_in_memory().unwrap());
    store
        .set_session(&Session::new("tech", "org-north", Role::Technician))
        .unwrap();
    store
}

fn password() -> Credentials {
    Credentials::Password {
        username: "tech".into(),
        password: "secret".into(),
    }
}

fn engine(store: &Arc<Store>, transport: &Arc<Scripted>) -> SyncEngine<Arc<Scripted>> {
    SyncEngine::new(
        store.clone(),
        transport.clone(),
        password(),
        SyncSettings::default(),
    )
}

#[derive(Default)]
struct Recorder {
    statuses: Mutex<Vec<SyncStatus>>,
    changed: Mutex<Vec<Vec<Collection>>>,
}

impl SyncObserver for Recorder {
    fn status_changed(&self, status: &SyncStatus) {
        self.statuses.lock().unwrap().push(status.clone());
    }
    fn collections_changed(&self, collections: &[Collection]) {
        self.changed.lock().unwrap().push(collections.to_vec());
    }
}

#[tokio::test]
async fn a_run_pushes_then_pulls_every_page_and_stores_the_cursor() {
    let store = store();
    let transport = Arc::new(Scripted::new(
        |cursor, _| match cursor {
            None => Ok(page(
                vec![segment_change(1, "retail", "Retail")],
                "c1",
                true,
                1,
            )),
            Some("c1") => Ok(page(
                vec![segment_change(2, "wholesale", "Wholesale")],
                "c2",
                false,
                0,
            )),
            Some(other) => Ok(empty_page(Some(other))),
        },
        |req, _| Ok(apply_all(req, 1)),
    ));
    let engine = engine(&store, &transport);
    let recorder = Arc::new(Recorder::default());
    engine.add_observer(recorder.clone());

    // A customer waits in the outbox; the segment it uses is not yet on the
    // device, so create it as a manager through a page first.
    store.apply_segment_changes(&[]).unwrap();
    let report = engine.sync().await.unwrap();
    assert_eq!(
        (
            report.pull_requests,
            report.downloaded,
            report.push_requests
        ),
        (2, 2, 0)
    );
    assert_eq!(store.read(state::cursor).unwrap().as_deref(), Some("c2"));
    let en = LanguageTag::parse("en").unwrap();
    assert_eq!(store.segment_options(&en).unwrap().len(), 2);

    let c = store
        .create_customer(CustomerDraft {
            segment_id: Some("retail".into()),
            ..CustomerDraft::named("Shop")
        })
        .unwrap();
    let report = engine.sync().await.unwrap();
    assert_eq!(report.uploaded, 1);
    assert_eq!(
        report.pull_requests, 1,
        "an unchanged device makes one pull request"
    );
    assert_eq!(
        transport.pulls.lock().unwrap().last().unwrap().as_deref(),
        Some("c2")
    );
    assert_eq!(store.pending_count().unwrap(), 0);
    let view = store.customer(&c.id, &en).unwrap().unwrap();
    assert_eq!(view.customer.version, Some(1));
    assert!(
        !view.segment_editable,
        "accepted: read-only for the technician now"
    );

    let status = engine.status();
    assert_eq!(status.state, SyncState::Idle);
    assert!(status.last_success.is_some());
    let statuses = recorder.statuses.lock().unwrap();
    assert!(statuses.iter().any(|s| s.state == SyncState::Syncing));
    let progress = statuses
        .iter()
        .filter_map(|s| s.progress.clone())
        .next()
        .unwrap();
    assert_eq!((progress.done, progress.total), (1, Some(2)));
    assert!(
        recorder
            .changed
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.contains(&Collection::Segments))
    );
    assert!(
        recorder
            .changed
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.contains(&Collection::Customers))
    );
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_and_retry_after() {
    let store = store();
    store.create_customer(CustomerDraft::named("Shop")).unwrap();
    let transport = Arc::new(Scripted::new(
        |cursor, n| match n {
            0 => Err(TransportError::Decode {
                reason: "truncated".into(),
            }),
            1 => Err(TransportError::Network {
                reason: "reset".into(),
            }),
            _ => Ok(empty_page(cursor)),
        },
        |req, n| match n {
            0 => Err(TransportError::Status {
                status: 503,
                retry_after: Some(Duration::from_secs(3)),
                body: None,
            }),
            1 => Err(status(429)),
            2 => Err(TransportError::Timeout),
            _ => Ok(apply_all(req, 1)),
        },
    ));
    let report = engine(&store, &transport).sync().await.unwrap();
    assert_eq!(report.retries, 5);
    assert_eq!(report.uploaded, 1);
    let sleeps = transport.sleeps.lock().unwrap().clone();
    assert_eq!(sleeps.len(), 5);
    assert!(
        sleeps[0] >= Duration::from_secs(3),
        "Retry-After honoured: {sleeps:?}"
    );
    // the same mutation id every time: the server's idempotency key
    let pushes = transport.pushes.lock().unwrap();
    let ids: std::collections::HashSet<_> = pushes
        .iter()
        .map(|p| p.mutations[0].mutation_id.clone())
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn an_exhausted_run_leaves_the_outbox_for_the_next_run_and_reports_offline() {
    let store = store();
    store.create_customer(CustomerDraft::named("Shop")).unwrap();
    let online = Arc::new(Mutex::new(false));
    let flag = online.clone();
    let transport = Arc::new(Scripted::new(
        |cursor, _| Ok(empty_page(cursor)),
        move |req, _| {
            if *flag.lock().unwrap() {
                Ok(apply_all(req, 1))
            } else {
                Err(TransportError::Network {
                    reason: "no route".into(),
                })
            }
        },
    ));
    let engine = engine(&store, &transport);
    let err = engine.sync().await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }));
    let status = engine.status();
    assert_eq!(status.state, SyncState::Offline);
    assert_eq!(status.pending_uploads, 1);
    assert_eq!(
        transport.pushes.lock().unwrap().len(),
        5,
        "attempts_per_run"
    );
    assert_eq!(store.pending_changes(10).unwrap()[0].attempts, 1);

    // No new local write: the next run uploads on its own.
    *online.lock().unwrap() = true;
    engine.sync().await.unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(engine.status().state, SyncState::Idle);
}

#[tokio::test]
async fn a_401_asks_for_a_fresh_token_once() {
    let store = store();
    let transport = Arc::new(Scripted::new(
        |cursor, n| {
            if n == 0 {
                Err(status(401))
            } else {
                Ok(empty_page(cursor))
            }
        },
        |req, _| Ok(apply_all(req, 1)),
    ));
    engine(&store, &transport).sync().await.unwrap();
    assert_eq!(*transport.logins.lock().unwrap(), 2);
    assert_eq!(
        *transport.tokens_seen.lock().unwrap(),
        ["token-1", "token-2"]
    );

    let always = Arc::new(Scripted::new(
        |_, _| Err(status(401)),
        |req, _| Ok(apply_all(req, 1)),
    ));
    let engine = engine(&store, &always);
    assert!(matches!(engine.sync().await, Err(Error::Unauthorized)));
    assert_eq!(
        always.pulls.lock().unwrap().len(),
        2,
        "one refresh, then give up"
    );
    assert_eq!(engine.status().state, SyncState::Error);
}

#[tokio::test]
async fn wrong_credentials_and_no_credentials_are_unauthorized() {
    let store = store();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |r, _| Ok(apply_all(r, 1)),
    ));
    let engine = SyncEngine::new(
        store.clone(),
        transport.clone(),
        Credentials::None,
        SyncSettings::default(),
    );
    assert!(matches!(engine.sync().await, Err(Error::Unauthorized)));
    assert!(matches!(
        engine.login("tech", "wrong").await,
        Err(Error::Unauthorized)
    ));
    let session = engine.login("tech", "secret").await.unwrap();
    assert_eq!(session.role, Role::Technician);
    assert_eq!(store.session().unwrap(), Some(session));
    engine.sync().await.unwrap();
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let store = store();
    let transport = Arc::new(Scripted::new(
        |_, _| {
            Err(TransportError::Status {
                status: 400,
                retry_after: None,
                body: Some(ErrorBody {
                    error: "bad_request".into(),
                    field: Some("cursor".into()),
                    reason: Some("is not a cursor".into()),
                }),
            })
        },
        |r, _| Ok(apply_all(r, 1)),
    ));
    let err = engine(&store, &transport).sync().await.unwrap_err();
    assert!(
        matches!(err, Error::Server { status: 400, ref reason } if reason == "is not a cursor")
    );
    assert_eq!(transport.pulls.lock().unwrap().len(), 1);
    assert!(transport.sleeps.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_rejected_change_is_set_aside_without_blocking_the_ones_behind_it() {
    let store = store();
    let en = LanguageTag::parse("en").unwrap();
    let first = store
        .create_customer(CustomerDraft::named("First"))
        .unwrap();
    let second = store
        .create_customer(CustomerDraft::named("Second"))
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |req, _| {
            Ok(PushResponse {
                results: req
                    .mutations
                    .iter()
                    .map(|m| {
                        if m.changes["name"] == "First" {
                            MutationResult::Rejected {
                                mutation_id: m.mutation_id.clone(),
                                rejection: Rejection {
                                    code: "validation".into(),
                                    field: Some("name".into()),
                                    reason: "is taken".into(),
                                },
                                current: None,
                            }
                        } else {
                            MutationResult::Applied {
                                mutation_id: m.mutation_id.clone(),
                                version: 1,
                            }
                        }
                    })
                    .collect(),
            })
        },
    ));
    let engine = engine(&store, &transport);
    let report = engine.sync().await.unwrap();
    assert_eq!((report.uploaded, report.rejected), (1, 1));
    let status = engine.status();
    assert_eq!((status.pending_uploads, status.set_aside), (0, 1));
    let aside = store.pending_changes(10).unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].entity_id, first.id);
    assert_eq!(aside[0].rejection.as_ref().unwrap().reason, "is taken");
    assert_eq!(
        aside[0].changes["name"], "First",
        "the refused data is kept"
    );
    // the refused create leaves the lists; the accepted one stays
    assert_eq!(store.customer(&first.id, &en).unwrap(), None);
    assert!(store.customer(&second.id, &en).unwrap().is_some());
    // the set-aside entry is not sent again
    engine.sync().await.unwrap();
    assert_eq!(transport.pushes.lock().unwrap().len(), 1);
}

fn remote_customer(
    id: &str,
    name: &str,
    segment: Option<&str>,
    version: i64,
) -> crate::model::RemoteCustomer {
    serde_json::from_value(json!({
        "id": id, "organization_id": "org-north", "name": name, "segment_id": segment,
        "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z", "version": version
    }))
    .unwrap()
}

/// A store holding one customer the server has accepted at version 1.
fn store_with_existing(role: Role) -> (Arc<Store>, String) {
    let store = store();
    store
        .set_session(&Session::new("u", "org-north", role))
        .unwrap();
    store
        .apply_segment_changes(&[
            crate::store::Change::Upsert(
                serde_json::from_value(segment_change(1, "retail", "Retail").data.unwrap())
                    .unwrap(),
            ),
            crate::store::Change::Upsert(
                serde_json::from_value(segment_change(2, "wholesale", "Wholesale").data.unwrap())
                    .unwrap(),
            ),
        ])
        .unwrap();
    store
        .apply_customer_changes(&[crate::store::Change::Upsert(remote_customer(
            "c1",
            "Shop",
            Some("retail"),
            1,
        ))])
        .unwrap();
    (store, "c1".into())
}

#[tokio::test]
async fn a_rejected_update_returns_the_customer_to_the_servers_state() {
    let (store, id) = store_with_existing(Role::Manager);
    store
        .update_customer(
            &id,
            &CustomerUpdate {
                segment_id: Some(Some("wholesale".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |req, _| {
            Ok(PushResponse {
                results: vec![MutationResult::Rejected {
                    mutation_id: req.mutations[0].mutation_id.clone(),
                    rejection: Rejection {
                        code: "permission".into(),
                        field: Some("segment_id".into()),
                        reason: "role changed".into(),
                    },
                    current: Some(remote_customer("c1", "Shop (office)", Some("retail"), 3)),
                }],
            })
        },
    ));
    engine(&store, &transport).sync().await.unwrap();
    let c = store
        .customer(&id, &LanguageTag::parse("en").unwrap())
        .unwrap()
        .unwrap()
        .customer;
    assert_eq!(c.segment_id.as_deref(), Some("retail"));
    assert_eq!(c.name, "Shop (office)");
    assert_eq!(c.version, Some(3));
    assert_eq!(store.set_aside_count().unwrap(), 1);
}

#[tokio::test]
async fn a_rejected_update_without_the_servers_record_restores_the_previous_values() {
    let (store, id) = store_with_existing(Role::Manager);
    store
        .update_customer(
            &id,
            &CustomerUpdate {
                segment_id: Some(Some("wholesale".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |req, _| {
            Ok(PushResponse {
                results: vec![MutationResult::Rejected {
                    mutation_id: req.mutations[0].mutation_id.clone(),
                    rejection: Rejection {
                        code: "unknown_reference".into(),
                        field: Some("segment_id".into()),
                        reason: "deleted".into(),
                    },
                    current: None,
                }],
            })
        },
    ));
    engine(&store, &transport).sync().await.unwrap();
    let c = store
        .customer(&id, &LanguageTag::parse("en").unwrap())
        .unwrap()
        .unwrap()
        .customer;
    assert_eq!(c.segment_id.as_deref(), Some("retail"));
}

#[tokio::test]
async fn a_conflict_logs_the_losing_field_and_shows_the_servers_value() {
    let (store, id) = store_with_existing(Role::Manager);
    store
        .update_customer(
            &id,
            &CustomerUpdate {
                name: Some("Device name".into()),
                segment_id: Some(Some("wholesale".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |req, _| {
            Ok(PushResponse {
                results: vec![MutationResult::Conflict {
                    mutation_id: req.mutations[0].mutation_id.clone(),
                    version: 4,
                    conflicts: vec![FieldConflict {
                        field: "segment_id".into(),
                        server_value: json!("retail"),
                    }],
                    current: None,
                }],
            })
        },
    ));
    let report = engine(&store, &transport).sync().await.unwrap();
    assert_eq!((report.uploaded, report.conflicts), (1, 1));
    let c = store
        .customer(&id, &LanguageTag::parse("en").unwrap())
        .unwrap()
        .unwrap()
        .customer;
    assert_eq!(
        c.name, "Device name",
        "the field that did not conflict was applied"
    );
    assert_eq!(
        c.segment_id.as_deref(),
        Some("retail"),
        "the office's value won"
    );
    assert_eq!(
        c.version,
        Some(1),
        "the next pull brings version 4 with everything in it"
    );
    let conflicts = store.sync_conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].field.as_str(), &conflicts[0].local_value),
        ("segment_id", &json!("wholesale"))
    );
    assert_eq!(store.pending_count().unwrap(), 0);
}

#[tokio::test]
async fn unanswered_uploads_stay_pending_and_do_not_loop() {
    let store = store();
    store.create_customer(CustomerDraft::named("Shop")).unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |_, _| Ok(PushResponse { results: vec![] }),
    ));
    let err = engine(&store, &transport).sync().await.unwrap_err();
    assert!(matches!(err, Error::Server { .. }));
    assert_eq!(transport.pushes.lock().unwrap().len(), 1);
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[tokio::test]
async fn unreadable_records_are_skipped_not_fatal() {
    let store = store();
    let bad = FeedChange {
        seq: 1,
        collection: Collection::Segments,
        op: ChangeOp::Upsert,
        id: "bad".into(),
        version: 1,
        data: Some(
            json!({"id": "bad", "name": {"en": "  "}, "version": 1, "updated_at": "2026-11-23T10:00:00Z"}),
        ),
    };
    let unknown = FeedChange {
        collection: Collection::Unknown,
        ..segment_change(2, "x", "X")
    };
    let transport = Arc::new(Scripted::new(
        move |_, _| {
            Ok(page(
                vec![
                    bad.clone(),
                    unknown.clone(),
                    segment_change(3, "retail", "Retail"),
                ],
                "c3",
                false,
                0,
            ))
        },
        |r, _| Ok(apply_all(r, 1)),
    ));
    let report = engine(&store, &transport).sync().await.unwrap();
    assert_eq!((report.downloaded, report.skipped), (3, 2));
    assert_eq!(
        store
            .segment_options(&LanguageTag::parse("en").unwrap())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.read(state::cursor).unwrap().as_deref(), Some("c3"));
}

#[tokio::test]
async fn the_profile_in_the_feed_updates_the_session() {
    let store = store();
    let profile = FeedChange {
        seq: 5,
        collection: Collection::Profile,
        op: ChangeOp::Upsert,
        id: "tech".into(),
        version: 2,
        data: Some(json!({"user_id": "tech", "organization_id": "org-north", "role": "manager"})),
    };
    let transport = Arc::new(Scripted::new(
        move |_, _| Ok(page(vec![profile.clone()], "c5", false, 0)),
        |r, _| Ok(apply_all(r, 1)),
    ));
    engine(&store, &transport).sync().await.unwrap();
    assert_eq!(store.session().unwrap().unwrap().role, Role::Manager);
}

/// A transport whose second pull never answers, to stop a run mid-way.
struct Stalling(Arc<Scripted>);

impl Transport for Stalling {
    async fn login(&self, r: &LoginRequest) -> Result<LoginResponse, TransportError> {
        self.0.login(r).await
    }
    async fn pull(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ChangePage, TransportError> {
        if cursor.is_some() {
            std::future::pending::<()>().await;
        }
        self.0.pull(token, cursor, limit).await
    }
    async fn push(&self, token: &str, r: &PushRequest) -> Result<PushResponse, TransportError> {
        self.0.push(token, r).await
    }
    async fn sleep(&self, d: Duration) {
        self.0.sleep(d).await
    }
}

#[tokio::test]
async fn a_cancelled_run_keeps_the_applied_pages_and_the_next_run_resumes() {
    let store = store();
    let scripted = Arc::new(Scripted::new(
        |cursor, _| match cursor {
            None => Ok(page(
                vec![segment_change(1, "retail", "Retail")],
                "c1",
                true,
                1,
            )),
            _ => Ok(page(
                vec![segment_change(2, "wholesale", "Wholesale")],
                "c2",
                false,
                0,
            )),
        },
        |r, _| Ok(apply_all(r, 1)),
    ));
    let stalling = SyncEngine::new(
        store.clone(),
        Stalling(scripted.clone()),
        password(),
        SyncSettings::default(),
    );
    let run = tokio::time::timeout(Duration::from_millis(50), stalling.sync()).await;
    assert!(run.is_err(), "the run was cut off");
    assert_eq!(
        stalling.status().state,
        SyncState::Idle,
        "no stale 'syncing'"
    );
    assert_eq!(store.read(state::cursor).unwrap().as_deref(), Some("c1"));

    let resumed = engine(&store, &scripted);
    resumed.sync().await.unwrap();
    let pulls = scripted.pulls.lock().unwrap().clone();
    assert_eq!(
        pulls.last().unwrap().as_deref(),
        Some("c1"),
        "resumed after the applied page"
    );
    assert_eq!(
        store
            .segment_options(&LanguageTag::parse("en").unwrap())
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn only_one_run_at_a_time() {
    let store = store();
    let scripted = Arc::new(Scripted::new(
        |c, _| Ok(page(vec![], c.unwrap_or("c1"), true, 0)),
        |r, _| Ok(apply_all(r, 1)),
    ));
    let engine = SyncEngine::new(
        store.clone(),
        Stalling(scripted),
        password(),
        SyncSettings::default(),
    );
    let first = engine.sync();
    tokio::pin!(first);
    assert!(
        tokio::time::timeout(Duration::from_millis(20), &mut first)
            .await
            .is_err()
    );
    // `first` is parked inside its run (not dropped): a second run is refused
    assert!(matches!(engine.sync().await, Err(Error::SyncInProgress)));
}
