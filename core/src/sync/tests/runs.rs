//! Whole runs: order, paging, retries, tokens, failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::error::Error;
use crate::model::{CustomerDraft, LanguageTag, Role};

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
    assert_eq!(
        store
            .read(crate::store::sync_state::cursor)
            .unwrap()
            .as_deref(),
        Some("c2")
    );
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
    )
    .unwrap();
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
