//! The sync run: log in when needed, push the outbox, pull until the server
//! has nothing more. Runtime-free: it awaits a [`Transport`] and does its
//! storage through the store, so any async runtime can drive it.
//!
//! Guarantees:
//! - the outbox is uploaded oldest first in batches, with the mutation ids
//!   as idempotency keys; a failed upload is retried with backoff in the
//!   same run and, past that, by the next run, never waiting for a new
//!   local write;
//! - each pulled page is applied in one transaction with its cursor, so a
//!   run stopped anywhere resumes after the last applied page;
//! - the next page downloads while the current one is applied (off the
//!   driving task, through [`Transport::run_blocking`]), so memory holds at
//!   most two pages;
//! - dropping the `sync()` future cancels the run safely between
//!   transactions.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::{Either, select};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::apply::{
    PageOutcome, apply_pull_page, apply_push_results, next_push_batch, push_request,
};
use super::credentials::Credentials;
use super::retry::{Failure, classify};
use super::settings::SyncSettings;
use super::status::{PullProgress, SyncObserver, SyncReport, SyncState, SyncStatus};
use super::transport::{Transport, TransportError};
use crate::error::{Error, Result};
use crate::model::Session;
use crate::protocol::{ChangePage, Collection, LoginRequest};
use crate::store::outbox::{self, OutboxState};
use crate::store::session::signed_out;
use crate::store::{SignOut, Store, sync_state};

pub struct SyncEngine<T: Transport> {
    store: Arc<Store>,
    transport: T,
    settings: SyncSettings,
    credentials: Mutex<Credentials>,
    token: Mutex<Option<String>>,
    status: Mutex<SyncStatus>,
    observers: Mutex<Vec<Arc<dyn SyncObserver>>>,
    running: AtomicBool,
    /// Pages handed to [`Transport::run_blocking`] and not yet committed
    /// or dropped: a cancelled run's last page may still be applying.
    applying: Arc<AtomicUsize>,
    /// Retry jitter: spreads devices out, needs no cryptographic quality.
    rng: Mutex<SmallRng>,
}

/// Counts a page as applying until the work holding it ends, whether it
/// ran, panicked or was dropped unrun.
struct Applying(Arc<AtomicUsize>);

impl Applying {
    fn start(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Applying(counter.clone())
    }
}

impl Drop for Applying {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Clears the running flag and a stale "syncing" state however the run
/// ends, including when its future is dropped.
struct RunGuard<'a, T: Transport>(&'a SyncEngine<T>);

impl<T: Transport> Drop for RunGuard<'_, T> {
    fn drop(&mut self) {
        let engine = self.0;
        let cancelled = {
            let mut status = lock(&engine.status);
            let was_syncing = status.state == SyncState::Syncing;
            if was_syncing {
                status.state = SyncState::Idle;
                status.progress = None;
            }
            was_syncing
        };
        engine.running.store(false, Ordering::SeqCst);
        if cancelled {
            engine.publish_status();
        }
    }
}

impl<T: Transport> SyncEngine<T> {
    /// An engine for `store`; fails if `settings` are out of range
    /// ([`SyncSettings::validate`]).
    pub fn new(
        store: Arc<Store>,
        transport: T,
        credentials: Credentials,
        settings: SyncSettings,
    ) -> Result<Self> {
        settings.validate()?;
        let status = SyncStatus {
            state: SyncState::Idle,
            last_success: None,
            pending_uploads: 0,
            set_aside: 0,
            progress: None,
            last_error: None,
        };
        let engine = SyncEngine {
            store,
            transport,
            settings,
            credentials: Mutex::new(credentials),
            token: Mutex::new(None),
            status: Mutex::new(status),
            observers: Mutex::new(Vec::new()),
            running: AtomicBool::new(false),
            applying: Arc::new(AtomicUsize::new(0)),
            rng: Mutex::new(SmallRng::from_os_rng()),
        };
        let _ = engine.refresh_counts();
        Ok(engine)
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.settings
    }

    pub fn add_observer(&self, observer: Arc<dyn SyncObserver>) {
        lock(&self.observers).push(observer);
    }

    pub fn status(&self) -> SyncStatus {
        let _ = self.refresh_counts();
        lock(&self.status).clone()
    }

    /// Logs in with a username and password, stores the session (role and
    /// organization) and keeps the credentials for token refreshes. Another
    /// user than the device data's owner starts from an empty device, or is
    /// refused with `PendingChanges` ([`Store::set_session`]); refused with
    /// `SyncInProgress` while a run goes.
    pub async fn login(&self, username: &str, password: &str) -> Result<Session> {
        let _no_run = self.without_run()?;
        let request = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        let session = self.login_with(&request).await?;
        *lock(&self.credentials) = Credentials::Password {
            username: request.username,
            password: request.password,
        };
        self.reload_status();
        Ok(session)
    }

    /// Signs out: forgets the token (and a password kept to renew it) and
    /// the session; `mode` says what becomes of the device's data
    /// ([`Store::sign_out`]). Refused with `SyncInProgress` while a run
    /// goes (callers cancel it first), and with `PendingChanges` while
    /// changes wait for upload, unless [`SignOut::DiscardChanges`].
    /// Blocking (the file may be compacted): not async, so the shipped
    /// library carries no future type of its own for it.
    pub fn sign_out(&self, mode: SignOut) -> Result<()> {
        let _no_run = self.without_run()?;
        self.store.sign_out(mode)?;
        *lock(&self.token) = None;
        let mut credentials = lock(&self.credentials);
        // An app's token provider stays: it answers for whoever signs in next.
        if matches!(*credentials, Credentials::Password { .. }) {
            *credentials = Credentials::None;
        }
        drop(credentials);
        self.reload_status();
        Ok(())
    }

    /// Claims the run slot for work no run may overlap (signing in or out
    /// may clear the store), and waits for a cancelled run's last page to
    /// commit on the blocking pool, so none lands after a clear. The wait
    /// (rare, a page's apply) blocks: no future type of its own.
    fn without_run(&self) -> Result<RunGuard<'_, T>> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(Error::SyncInProgress);
        }
        let guard = RunGuard(self);
        while self.applying.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(guard)
    }

    /// The status after the store's data changed hands.
    fn reload_status(&self) {
        let last_success = self.store.last_sync_success().ok().flatten();
        lock(&self.status).last_success = last_success;
        self.publish_status();
    }

    async fn login_with(&self, request: &LoginRequest) -> Result<Session> {
        let mut retries = 0;
        // A 429 to a login is a lockout after failed logins, not passing
        // trouble: retrying within the run would only wait it out (or
        // extend it), so it ends the attempt at once. A wrong password is
        // a 401: `Unauthorized`, never retried.
        let response = self
            .retrying(&mut retries, || async {
                match self.transport.login(request).await {
                    Err(err @ TransportError::Status { status: 429, .. }) => Ok(Err(err)),
                    other => other.map(Ok),
                }
            })
            .await
            .and_then(|answer| answer)
            .map_err(|err| match classify(&err) {
                Failure::Unauthorized => Error::Unauthorized,
                _ => final_error(err),
            })?;
        let session = Session::new(
            response.user.id,
            response.user.organization_id,
            response.user.role,
        );
        self.store.set_session(&session)?;
        *lock(&self.token) = Some(response.access_token);
        Ok(session)
    }

    /// A token for the next request: the current one, or a new one.
    async fn token(&self, refresh: bool) -> Result<String> {
        if !refresh && let Some(token) = lock(&self.token).clone() {
            return Ok(token);
        }
        let credentials = lock(&self.credentials).clone();
        let token = match credentials {
            Credentials::None => return Err(Error::Unauthorized),
            // Signed out with the data kept: the app's provider may already
            // answer for someone else, who must sign in first.
            Credentials::Provider(_) if self.store.read(signed_out)? => {
                return Err(Error::NoSession);
            }
            Credentials::Provider(provider) => {
                provider.token(refresh).map_err(|_| Error::Unauthorized)?
            }
            Credentials::Password { username, password } => {
                self.login_with(&LoginRequest { username, password })
                    .await?;
                lock(&self.token).clone().ok_or(Error::Unauthorized)?
            }
        };
        *lock(&self.token) = Some(token.clone());
        Ok(token)
    }

    async fn back_off(&self, attempt: u32, retry_after: Option<std::time::Duration>) {
        let delay = self
            .settings
            .retry
            .delay(attempt, retry_after, &mut *lock(&self.rng));
        tracing::debug!(?delay, attempt, "retrying after backoff");
        self.transport.sleep(delay).await;
    }

    /// Runs `request` again after transient failures (network, timeout,
    /// 5xx, 429), with backoff, up to the policy's attempts per run;
    /// answers the first success or the failure that ends the tries.
    async fn retrying<R, F, Fut>(
        &self,
        retries: &mut u64,
        mut request: F,
    ) -> std::result::Result<R, TransportError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<R, TransportError>>,
    {
        let mut attempt = 0;
        loop {
            let err = match request().await {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            match classify(&err) {
                Failure::Transient { retry_after }
                    if attempt + 1 < self.settings.retry.attempts_per_run =>
                {
                    tracing::info!(error = %err, attempt, "sync request failed; retrying");
                    self.back_off(attempt, retry_after).await;
                    attempt += 1;
                    *retries += 1;
                }
                _ => return Err(err),
            }
        }
    }

    /// One authorized request with the run's retries ([`Self::retrying`]):
    /// `request` is called with a bearer token, and once more with a fresh
    /// token after a 401.
    async fn authorized<R, F, Fut>(&self, retries: &mut u64, mut request: F) -> Result<R>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = std::result::Result<R, TransportError>>,
    {
        let mut refreshed = false;
        loop {
            let token = self.token(refreshed).await?;
            let err = match self.retrying(retries, || request(token.clone())).await {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            match classify(&err) {
                Failure::Unauthorized if !refreshed => {
                    refreshed = true;
                    *lock(&self.token) = None;
                    *retries += 1;
                }
                Failure::Unauthorized => return Err(Error::Unauthorized),
                _ => return Err(final_error(err)),
            }
        }
    }

    /// One sync run: push the outbox, then pull until the server has no
    /// more. Fails with `SyncInProgress` if a run is already going.
    pub async fn sync(&self) -> Result<SyncReport> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(Error::SyncInProgress);
        }
        let _guard = RunGuard(self);
        self.update_status(|s| {
            s.state = SyncState::Syncing;
            s.progress = None;
        });
        let mut report = SyncReport::default();
        let started = std::time::Instant::now();
        let pushed = self.push_all(&mut report).await;
        report.push_duration = started.elapsed();
        let result = match pushed {
            Ok(()) => {
                let started = std::time::Instant::now();
                let pulled = self.pull_all(&mut report).await;
                report.pull_duration = started.elapsed();
                pulled
            }
            Err(e) => Err(e),
        };
        // Whatever arrived (all of it, or the pages before a failure) is
        // consistent: bring the customer segments up to date with it.
        match self.store.after_sync_run() {
            Ok(refresh) => {
                if refresh.membership_changes > 0 {
                    report.changed(&[Collection::CustomerSegmentMembers]);
                    self.notify_changed(&[Collection::CustomerSegmentMembers]);
                }
                report.customer_segment_refresh = refresh;
            }
            Err(err) => tracing::warn!(error = %err, "customer segment evaluation failed"),
        }
        match &result {
            Ok(()) => {
                let now = self.store.clock().now();
                self.store.write(|tx| sync_state::record_success(tx, now))?;
                self.update_status(|s| {
                    s.state = SyncState::Idle;
                    s.last_success = Some(now);
                    s.last_error = None;
                    s.progress = None;
                });
            }
            Err(err) => {
                let state = match err {
                    Error::Network { .. } => SyncState::Offline,
                    _ => SyncState::Error,
                };
                self.update_status(|s| {
                    s.state = state;
                    s.last_error = Some(err.to_string());
                    s.progress = None;
                });
            }
        }
        result.map(|()| report)
    }

    async fn push_all(&self, report: &mut SyncReport) -> Result<()> {
        loop {
            let batch = self
                .store
                .read(|conn| next_push_batch(conn, self.settings.push_batch_size))?;
            if batch.is_empty() {
                return Ok(());
            }
            let request = push_request(&batch);
            report.push_requests += 1;
            let pushed = self
                .authorized(&mut report.retries, |token| {
                    let request = &request;
                    async move { self.transport.push(&token, request).await }
                })
                .await;
            let response = match pushed {
                Ok(response) => response,
                Err(err) => {
                    self.store.write(|tx| {
                        for entry in &batch {
                            outbox::record_attempt(tx, &entry.mutation_id)?;
                        }
                        Ok(())
                    })?;
                    return Err(err);
                }
            };
            let outcome = self.store.write(|tx| {
                apply_push_results(tx, &batch, &response.results, self.store.clock())
            })?;
            report.uploaded += outcome.applied + outcome.conflicts;
            report.rejected += outcome.rejected;
            report.conflicts += outcome.conflicts;
            if outcome.applied + outcome.conflicts + outcome.rejected > 0 {
                report.changed(&[Collection::Customers]);
                self.notify_changed(&[Collection::Customers]);
            }
            self.publish_status();
            if outcome.unanswered == batch.len() as u64 {
                // The server answered none of them: sending the same batch
                // again in this run would loop.
                return Err(Error::Server {
                    status: 200,
                    reason: "the server answered none of the uploaded changes".into(),
                });
            }
        }
    }

    async fn pull_all(&self, report: &mut SyncReport) -> Result<()> {
        // The last page of a cancelled run may still be applying off the
        // driving task: its cursor is the one to resume from.
        while self.applying.load(Ordering::SeqCst) > 0 {
            self.transport.sleep(Duration::from_millis(2)).await;
        }
        // The first token may sign in (a kept password), and another user
        // signing in clears the cursor: read it after.
        self.token(false).await?;
        let cursor = self.store.read(sync_state::cursor)?;
        let mut progress = PullProgress::default();
        report.pull_requests += 1;
        let mut page = self.download(&mut report.retries, cursor).await?;
        loop {
            let Some(cursor) = page.has_more.then(|| page.cursor.clone()) else {
                let applied = self.apply(page).await?;
                self.applied(report, &mut progress, applied);
                return Ok(());
            };
            // Two pages at most: the one being applied, the next arriving.
            // The download is polled first, so its request is out before
            // the apply starts even where the apply runs in place.
            report.pull_requests += 1;
            let mut retries = 0;
            let next = {
                let download = pin!(self.download(&mut retries, Some(cursor)));
                let apply = pin!(self.apply(page));
                match select(download, apply).await {
                    Either::Left((downloaded, apply)) => {
                        let applied = apply.await?;
                        self.applied(report, &mut progress, applied);
                        downloaded
                    }
                    Either::Right((applied, download)) => {
                        // Applied first: observers hear of it now, not
                        // after the download (which may be retrying).
                        self.applied(report, &mut progress, applied?);
                        download.await
                    }
                }
            };
            report.retries += retries;
            page = next?;
        }
    }

    /// Downloads the page after `cursor`, with the run's retries.
    async fn download(&self, retries: &mut u64, cursor: Option<String>) -> Result<ChangePage> {
        let limit = self.settings.pull_page_size;
        self.authorized(retries, |token| {
            let cursor = cursor.as_deref();
            async move { self.transport.pull(&token, cursor, limit).await }
        })
        .await
    }

    /// Applies `page` with its cursor in one transaction, off the driving
    /// task; the page is dropped there, only its counts come back.
    async fn apply(&self, page: ChangePage) -> Result<AppliedPage> {
        let store = self.store.clone();
        let applying = Applying::start(&self.applying);
        self.transport
            .run_blocking(move || {
                let _applying = applying;
                let outcome = store.write(|tx| apply_pull_page(tx, &page))?;
                Ok(AppliedPage {
                    outcome,
                    rows: page.changes.len() as u64,
                    remaining: page.remaining,
                    remaining_by_collection: page.remaining_by_collection,
                })
            })
            .await
    }

    /// Reports an applied page: counts, progress, observers.
    fn applied(&self, report: &mut SyncReport, progress: &mut PullProgress, page: AppliedPage) {
        let AppliedPage {
            outcome,
            rows,
            remaining,
            remaining_by_collection,
        } = page;
        report.downloaded += rows;
        report.skipped += outcome.skipped;
        report.changed(&outcome.changed);
        progress.done += rows;
        progress.total = Some(progress.done + remaining);
        for (collection, n) in &outcome.received {
            progress.collections.entry(*collection).or_default().done += n;
        }
        for (collection, p) in progress.collections.iter_mut() {
            p.total = remaining_by_collection.get(collection).map(|r| p.done + r);
        }
        let snapshot = progress.clone();
        self.update_status(|s| s.progress = Some(snapshot));
        if !outcome.changed.is_empty() {
            self.notify_changed(&outcome.changed);
        }
    }

    fn refresh_counts(&self) -> Result<()> {
        let (pending, set_aside, last_success) = self.store.read(|conn| {
            Ok((
                outbox::count(conn, OutboxState::Pending)?,
                outbox::count(conn, OutboxState::Rejected)?,
                sync_state::last_success(conn)?,
            ))
        })?;
        let mut status = lock(&self.status);
        status.pending_uploads = pending;
        status.set_aside = set_aside;
        if status.last_success.is_none() {
            status.last_success = last_success;
        }
        Ok(())
    }

    fn update_status(&self, change: impl FnOnce(&mut SyncStatus)) {
        change(&mut lock(&self.status));
        self.publish_status();
    }

    fn publish_status(&self) {
        let _ = self.refresh_counts();
        let status = lock(&self.status).clone();
        let observers = lock(&self.observers).clone();
        for observer in observers {
            observer.status_changed(&status);
        }
    }

    fn notify_changed(&self, collections: &[Collection]) {
        let observers = lock(&self.observers).clone();
        for observer in observers {
            observer.collections_changed(collections);
        }
    }
}

/// What the engine keeps of a page once it is applied.
struct AppliedPage {
    outcome: PageOutcome,
    rows: u64,
    remaining: u64,
    remaining_by_collection: BTreeMap<Collection, u64>,
}

/// The error a run ends with once retries are exhausted.
fn final_error(err: TransportError) -> Error {
    match err {
        TransportError::Network { reason } | TransportError::Decode { reason } => {
            Error::Network { reason }
        }
        TransportError::Timeout => Error::Network {
            reason: "timed out".into(),
        },
        TransportError::Status { status: 401, .. } => Error::Unauthorized,
        TransportError::Status { status, body, .. } => Error::Server {
            status,
            reason: body
                .and_then(|b| b.reason.or(Some(b.error)))
                .unwrap_or_else(|| format!("HTTP {status}")),
        },
    }
}
