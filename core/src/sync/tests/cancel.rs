//! Runs cut off mid-way, and one run at a time.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::error::Error;
use crate::model::LanguageTag;

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
    )
    .unwrap();
    let run = tokio::time::timeout(Duration::from_millis(50), stalling.sync()).await;
    assert!(run.is_err(), "the run was cut off");
    assert_eq!(
        stalling.status().state,
        SyncState::Idle,
        "no stale 'syncing'"
    );
    assert_eq!(
        store
            .read(crate::store::sync_state::cursor)
            .unwrap()
            .as_deref(),
        Some("c1")
    );

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
    )
    .unwrap();
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
