//! The pipelined pull: the next page downloads while the current one is
//! applied off the driving task, two pages at most, and a run cancelled
//! during an apply loses nothing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::model::LanguageTag;

/// A transport over [`Scripted`] that applies on tokio's blocking pool,
/// as the HTTP transport does, logging what happens when.
struct Offloading {
    scripted: Arc<Scripted>,
    events: Arc<Mutex<Vec<String>>>,
    /// The first apply waits this long first (a slow device).
    apply_delay: Duration,
    slowed: Arc<std::sync::atomic::AtomicBool>,
    /// Pages handed out and not yet applied, and the most there were.
    in_flight: Arc<Mutex<(usize, usize)>>,
}

impl Offloading {
    fn new(scripted: &Arc<Scripted>, apply_delay: Duration) -> Self {
        Offloading {
            scripted: scripted.clone(),
            events: Default::default(),
            apply_delay,
            slowed: Default::default(),
            in_flight: Default::default(),
        }
    }
}

impl Transport for Offloading {
    async fn login(&self, r: &LoginRequest) -> Result<LoginResponse, TransportError> {
        self.scripted.login(r).await
    }
    async fn pull(
        &self,
        token: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ChangePage, TransportError> {
        let name = cursor.unwrap_or("start").to_owned();
        self.events.lock().unwrap().push(format!("pull {name}"));
        let page = self.scripted.pull(token, cursor, limit).await?;
        let mut in_flight = self.in_flight.lock().unwrap();
        in_flight.0 += 1;
        in_flight.1 = in_flight.1.max(in_flight.0);
        Ok(page)
    }
    async fn push(&self, token: &str, r: &PushRequest) -> Result<PushResponse, TransportError> {
        self.scripted.push(token, r).await
    }
    async fn sleep(&self, d: Duration) {
        self.scripted.sleep(d).await
    }
    fn run_blocking<R, F>(&self, work: F) -> impl Future<Output = R> + Send
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let events = self.events.clone();
        let in_flight = self.in_flight.clone();
        let first = !self.slowed.swap(true, std::sync::atomic::Ordering::SeqCst);
        let delay = if first {
            self.apply_delay
        } else {
            Duration::ZERO
        };
        let task = tokio::task::spawn_blocking(move || {
            let n = events
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.starts_with("apply start"))
                .count();
            events.lock().unwrap().push(format!("apply start {n}"));
            std::thread::sleep(delay);
            let value = work();
            in_flight.lock().unwrap().0 -= 1;
            events.lock().unwrap().push(format!("apply end {n}"));
            value
        });
        async move { task.await.unwrap() }
    }
}

/// Five pages of one segment each, cursors c1..c5.
fn five_pages() -> Arc<Scripted> {
    Arc::new(Scripted::new(
        |cursor, _| {
            let n = cursor.map_or(0, |c| c[1..].parse::<i64>().unwrap());
            let next = n + 1;
            Ok(page(
                vec![segment_change(next, &format!("seg-{next}"), "S")],
                &format!("c{next}"),
                next < 5,
                (5 - next) as u64,
            ))
        },
        |r, _| Ok(apply_all(r, 1)),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_page_downloads_while_the_current_one_is_applied() {
    let store = store();
    let scripted = five_pages();
    let transport = Offloading::new(&scripted, Duration::ZERO);
    let events = transport.events.clone();
    let in_flight = transport.in_flight.clone();
    let engine = SyncEngine::new(
        store.clone(),
        transport,
        password(),
        SyncSettings::default(),
    )
    .unwrap();
    let report = engine.sync().await.unwrap();
    assert_eq!(report.downloaded, 5);
    assert_eq!(report.pull_requests, 5);
    // A pull that applied before downloading would log each page's
    // request after the previous page's apply.
    let events = events.lock().unwrap().clone();
    for n in 1..5 {
        let requested = events
            .iter()
            .position(|e| *e == format!("pull c{n}"))
            .unwrap();
        let applied = events
            .iter()
            .position(|e| *e == format!("apply end {}", n - 1))
            .unwrap();
        assert!(
            requested < applied,
            "page {} downloaded during the apply of page {n}: {events:?}",
            n + 1
        );
    }
    let (left, most) = *in_flight.lock().unwrap();
    assert_eq!(left, 0);
    assert_eq!(most, 2, "two pages at most, and two at once: {events:?}");
    assert_eq!(
        store
            .read(crate::store::sync_state::cursor)
            .unwrap()
            .as_deref(),
        Some("c5")
    );
    assert_eq!(
        store
            .segment_options(&LanguageTag::parse("en").unwrap())
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cancelled_during_an_apply_commits_that_page_and_the_next_run_resumes_after_it() {
    let store = store();
    let scripted = five_pages();
    let engine = SyncEngine::new(
        store.clone(),
        Offloading::new(&scripted, Duration::from_millis(300)),
        password(),
        SyncSettings::default(),
    )
    .unwrap();
    // Cut off while page 1 is being applied on the blocking pool.
    let run = tokio::time::timeout(Duration::from_millis(100), engine.sync()).await;
    assert!(run.is_err(), "the run was cut off");
    assert_eq!(engine.status().state, SyncState::Idle);
    // The next run starts at once: it waits for that page's commit and
    // resumes after it, without pulling it again.
    let before = scripted.pulls.lock().unwrap().len();
    let report = engine.sync().await.unwrap();
    let pulls = scripted.pulls.lock().unwrap()[before..].to_vec();
    assert_eq!(pulls.first().unwrap().as_deref(), Some("c1"), "{pulls:?}");
    assert_eq!(report.downloaded, 4);
    assert_eq!(
        store
            .segment_options(&LanguageTag::parse("en").unwrap())
            .unwrap()
            .len(),
        5
    );
}
