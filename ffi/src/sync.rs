//! `SyncClient`: sync with the server, on demand (async) and in the
//! background, and the app callbacks it uses.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use fieldsync_client::{BackgroundSync, HttpConfig};

use crate::transport::{AppExchange, HttpTransport};
use fieldsync_core::ValidationReason;
use fieldsync_core::store::SignOut;
use fieldsync_core::sync::{self as core, Credentials, RetryPolicy, SyncSettings, TokenProvider};

use crate::error::{FieldSyncError, Result};
use crate::runtime::{Runs, panic_message, run, runtime};
use crate::store::FieldStore;
use crate::types::{CustomerSegmentRefresh, Session};

pub use fieldsync_core::sync::{SyncReport, SyncState};

/// Core's `Collection`, named apart from Kotlin's and Swift's own
/// `Collection` types.
pub type SyncCollection = fieldsync_core::sync::Collection;

/// What sync is doing.
#[uniffi::remote(Enum)]
pub enum SyncState {
    /// Not running; the last run (if any) succeeded.
    Idle,
    /// A run is in progress (`SyncStatus.progress` says how far).
    Syncing,
    /// The last run could not reach the server.
    Offline,
    /// The last run failed for another reason (`SyncStatus.last_error`).
    Error,
}

/// The kinds of synced data.
#[uniffi::remote(Enum)]
pub enum SyncCollection {
    /// Marketing segments (the segment dropdown).
    Segments,
    /// The four classification picklists.
    PicklistValues,
    /// Customer accounts.
    Customers,
    /// Organizations (their default language).
    Organizations,
    /// The signed-in user's own profile (role, organization).
    UserProfile,
    /// Customer segment definitions (`FieldStore.customer_segments`).
    CustomerSegments,
    /// Members of static customer segments.
    CustomerSegmentMembers,
    /// Customer profiles (`FieldStore.customer_profile`).
    CustomerProfiles,
    /// Purchase transactions (`FieldStore.purchase_summary`).
    Transactions,
    /// Open shopping carts (tested by customer segment criteria).
    Carts,
    /// A collection this build does not know (from a newer server).
    Unknown,
}

/// What one sync run did.
#[uniffi::remote(Record)]
pub struct SyncReport {
    /// Local changes the server applied (fully or with conflicts).
    pub uploaded: u64,
    /// Local changes the server refused (see `FieldStore.pending_changes`).
    pub rejected: u64,
    /// Local changes with fields that lost to office edits
    /// (see `FieldStore.sync_conflicts`).
    pub conflicts: u64,
    /// Changes received from the server.
    pub downloaded: u64,
    /// Download requests made.
    pub pull_requests: u64,
    /// Upload requests made.
    pub push_requests: u64,
    /// Received records this build could not read and skipped.
    pub skipped: u64,
    /// Requests retried within the run.
    pub retries: u64,
    /// The collections whose data changed: refresh the screens showing them.
    pub changed: Vec<SyncCollection>,
    /// Time spent uploading.
    pub push_duration: Duration,
    /// Time spent downloading.
    pub pull_duration: Duration,
    /// What evaluating the conditional customer segments after the run did.
    pub customer_segment_refresh: CustomerSegmentRefresh,
}

/// Progress of one collection in the current download.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CollectionProgress {
    /// Which collection.
    pub collection: SyncCollection,
    /// Changes received so far.
    pub done: u64,
    /// All changes of this run, when the server said.
    pub total: Option<u64>,
}

/// Progress of the current download.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PullProgress {
    /// Changes received so far.
    pub done: u64,
    /// All changes of this run, when known.
    pub total: Option<u64>,
    /// The same per collection.
    pub collections: Vec<CollectionProgress>,
}

/// What the app can show about sync at any time.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncStatus {
    /// Idle, syncing, offline or error.
    pub state: SyncState,
    /// When a run last finished without error.
    pub last_success: Option<SystemTime>,
    /// Local changes waiting for upload.
    pub pending_uploads: u64,
    /// Local changes the server refused, set aside with its reason.
    pub set_aside: u64,
    /// The current download, while syncing.
    pub progress: Option<PullProgress>,
    /// Why the last run failed, for logs.
    pub last_error: Option<String>,
}

impl From<core::SyncStatus> for SyncStatus {
    fn from(s: core::SyncStatus) -> Self {
        SyncStatus {
            state: s.state,
            last_success: s.last_success.map(SystemTime::from),
            pending_uploads: s.pending_uploads,
            set_aside: s.set_aside,
            progress: s.progress.map(|p| PullProgress {
                done: p.done,
                total: p.total,
                collections: p
                    .collections
                    .into_iter()
                    .map(|(collection, c)| CollectionProgress {
                        collection,
                        done: c.done,
                        total: c.total,
                    })
                    .collect(),
            }),
            last_error: s.last_error,
        }
    }
}

/// Where the server is, and how to talk to it. Only `server_url` is
/// required.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncConfig {
    /// `https://portal.example.com` (no path).
    pub server_url: String,
    /// Seconds to wait for a connection.
    #[uniffi(default = 10)]
    pub connect_timeout_seconds: u32,
    /// Seconds one request may take, body included.
    #[uniffi(default = 60)]
    pub request_timeout_seconds: u32,
    /// Changes asked for per download page, 1 to 1000 (core's
    /// `MAX_PULL_PAGE_SIZE`); the most by default (fewer, larger
    /// transactions make a first sync faster).
    #[uniffi(default = 1000)]
    pub pull_page_size: u32,
    /// Local changes uploaded per request, 1 to 500 (core's
    /// `MAX_PUSH_BATCH_SIZE`).
    #[uniffi(default = 100)]
    pub push_batch_size: u32,
    /// Tries of one request within a run before the run gives up (and
    /// leaves the rest to the next run), 1 to 100.
    #[uniffi(default = 5)]
    pub attempts_per_run: u32,
}

impl SyncConfig {
    fn http(&self) -> Result<HttpConfig> {
        let url = self.server_url.trim();
        if url.is_empty() {
            return Err(FieldSyncError::invalid(
                "server_url",
                ValidationReason::Blank,
            ));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(FieldSyncError::invalid(
                "server_url",
                ValidationReason::Malformed,
            ));
        }
        let mut http = HttpConfig::new(url);
        http.connect_timeout = Duration::from_secs(in_range(
            "connect_timeout_seconds",
            self.connect_timeout_seconds,
            1,
            600,
        )?);
        http.request_timeout = Duration::from_secs(in_range(
            "request_timeout_seconds",
            self.request_timeout_seconds,
            1,
            3600,
        )?);
        Ok(http)
    }

    /// The engine's settings; core checks their bounds (the error names
    /// the field).
    fn settings(&self) -> Result<SyncSettings> {
        let settings = SyncSettings {
            pull_page_size: self.pull_page_size,
            push_batch_size: self.push_batch_size as usize,
            retry: RetryPolicy {
                attempts_per_run: self.attempts_per_run,
                ..RetryPolicy::default()
            },
        };
        settings.validate()?;
        Ok(settings)
    }
}

fn in_range(field: &str, value: u32, min: u32, max: u32) -> Result<u64> {
    if (min..=max).contains(&value) {
        Ok(value.into())
    } else {
        Err(FieldSyncError::invalid(
            field,
            ValidationReason::OutOfRange {
                min: min.into(),
                max: max.into(),
            },
        ))
    }
}

/// Gives the sync client bearer tokens, for apps that sign in on their own
/// (single sign-on, a token from the app's backend). Implemented by the app.
#[uniffi::export(with_foreign)]
pub trait CredentialsProvider: Send + Sync {
    /// A bearer token for the server. `refresh` is true when the server
    /// refused the last one (expired): get a new one. Throw
    /// `FieldSyncError.Unauthorized` when there is none (signed out); the
    /// run then fails with `Unauthorized`. Called on a fieldsync thread.
    fn token(&self, refresh: bool) -> Result<String>;
}

/// Told what sync does. Implemented by the app; called on a fieldsync
/// thread, so hop to the UI thread before touching views. Whatever these
/// methods throw is ignored (and logged): a failing observer never fails a
/// sync.
#[uniffi::export(with_foreign)]
pub trait SyncObserver: Send + Sync {
    /// The sync status changed (a run started, progressed or ended).
    fn status_changed(&self, status: SyncStatus) -> Result<()>;
    /// Synced data of these collections changed: refresh what shows them.
    fn collections_changed(&self, collections: Vec<SyncCollection>) -> Result<()>;
}

/// Core's view of the app's `CredentialsProvider`.
struct AppCredentials(Arc<dyn CredentialsProvider>);

impl TokenProvider for AppCredentials {
    fn token(&self, refresh: bool) -> std::result::Result<String, String> {
        match catch_unwind(AssertUnwindSafe(|| self.0.token(refresh))) {
            Ok(Ok(token)) => Ok(token),
            Ok(Err(err)) => Err(err.to_string()),
            Err(panic) => Err(panic_message(panic)),
        }
    }
}

/// Core's view of the app's `SyncObserver`: a failing observer must not
/// fail the sync.
struct AppObserver(Arc<dyn SyncObserver>);

impl AppObserver {
    fn call(&self, what: &str, f: impl FnOnce(&dyn SyncObserver) -> Result<()>) {
        let error = match catch_unwind(AssertUnwindSafe(|| f(&*self.0))) {
            Ok(Ok(())) => return,
            Ok(Err(err)) => err.to_string(),
            Err(panic) => panic_message(panic),
        };
        tracing::warn!(callback = what, %error, "a SyncObserver callback failed");
    }
}

impl core::SyncObserver for AppObserver {
    fn status_changed(&self, status: &core::SyncStatus) {
        let status = SyncStatus::from(status.clone());
        self.call("status_changed", |o| o.status_changed(status));
    }

    fn collections_changed(&self, collections: &[SyncCollection]) {
        let collections = collections.to_vec();
        self.call("collections_changed", |o| {
            o.collections_changed(collections)
        });
    }
}

/// A store's sync with one server: sign in, sync now (async), sync in the
/// background, and the status to show. One run at a time: a run asked for
/// while another is going waits for it.
#[derive(uniffi::Object)]
pub struct SyncClient {
    inner: Arc<fieldsync_client::SyncClient>,
    /// The loop `start` made, while the app holds its handle.
    background: Mutex<Weak<BackgroundSyncHandle>>,
    /// The runs `sync()` started, for `cancel_sync()`.
    runs: Arc<Runs>,
}

#[uniffi::export]
impl SyncClient {
    /// A client for `store` and the server in `config`. With `credentials`
    /// the app supplies tokens; without, call `login` first (the password
    /// is then kept in memory to renew the token). With `transport` the
    /// app's own HTTP stack carries the requests (its proxy, trust store
    /// and pinning); without, the built-in one does (rustls). The lean
    /// flavour has no built-in stack: there `transport` is required
    /// (`Unsupported` without it).
    #[uniffi::constructor(default(transport = None))]
    pub fn new(
        store: Arc<FieldStore>,
        config: SyncConfig,
        credentials: Option<Arc<dyn CredentialsProvider>>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>> {
        let http = config.http()?;
        let settings = config.settings()?;
        let credentials = match credentials {
            Some(provider) => Credentials::Provider(Arc::new(AppCredentials(provider))),
            None => Credentials::None,
        };
        let store = store.core().clone();
        let inner = match transport {
            Some(app) => fieldsync_client::SyncClient::with_exchange(
                store,
                &http,
                Arc::new(AppExchange(app)),
                credentials,
                settings,
            )?,
            #[cfg(feature = "builtin-http")]
            None => fieldsync_client::SyncClient::new(store, &http, credentials, settings)?,
            #[cfg(not(feature = "builtin-http"))]
            None => {
                let _ = (store, credentials, settings);
                return Err(FieldSyncError::Unsupported {
                    feature: "a built-in HTTP stack (lean flavour): pass a transport".into(),
                });
            }
        };
        Ok(Arc::new(SyncClient {
            inner: Arc::new(inner),
            background: Mutex::new(Weak::new()),
            runs: Arc::default(),
        }))
    }

    /// Signs in with a user name and password and stores the session (role
    /// and organization). `Unauthorized` for wrong credentials, `Network`
    /// when the server cannot be reached, `PendingChanges`: see the README.
    pub async fn login(&self, username: String, password: String) -> Result<Session> {
        let client = self.inner.clone();
        Ok(run(async move { client.login(&username, &password).await }).await??)
    }

    /// Signs out, cancelling a sync in progress and the background loop;
    /// `clear_data` also deletes the synced data. `PendingChanges` while
    /// changes wait for upload. Blocks: call it off the UI thread.
    pub fn sign_out(&self, clear_data: bool) -> Result<()> {
        let mode = if clear_data {
            SignOut::ClearData
        } else {
            SignOut::KeepData
        };
        self.sign_out_with(mode)
    }

    /// `sign_out(true)` that also deletes the changes waiting for upload.
    pub fn sign_out_discarding_changes(&self) -> Result<()> {
        self.sign_out_with(SignOut::DiscardChanges)
    }

    /// One sync run now: upload local changes, then download until the
    /// server has nothing more. Waits for a run in progress first.
    /// Cancelling the call stops the run safely (what was applied stays
    /// applied, the rest comes with the next run): cancel the Kotlin
    /// coroutine or the Python task, or call `cancel_sync()` (Swift: its task
    /// cancellation does not reach Rust, see `cancel_sync`).
    pub async fn sync(&self) -> Result<SyncReport> {
        let client = self.inner.clone();
        Ok(run(async move { client.sync().await })
            .tracked_in(&self.runs)
            .await??)
    }

    /// Stops the runs `sync()` is doing now; those calls fail with
    /// `Cancelled`. Safe at any point: what a run applied stays applied.
    /// In Swift, call it from `withTaskCancellationHandler`'s `onCancel` to
    /// cancel a sync with its task. The background loop has `stop()`.
    pub fn cancel_sync(&self) {
        self.runs.cancel_all();
    }

    /// The current status (also sent to observers when it changes).
    pub fn status(&self) -> SyncStatus {
        self.inner.status().into()
    }

    /// Adds an observer of status changes and data changes. Observers stay
    /// for the client's lifetime.
    pub fn add_observer(&self, observer: Arc<dyn SyncObserver>) {
        self.inner.add_observer(Arc::new(AppObserver(observer)));
    }

    /// Starts syncing every `interval_seconds` (and at once) in the
    /// background; a failed run is retried sooner, with backoff. Keep the
    /// returned handle: the loop stops when it is closed or garbage
    /// collected, or on `stop()`. A loop already started is stopped first.
    pub fn start(&self, interval_seconds: u32) -> Result<Arc<BackgroundSyncHandle>> {
        let interval = in_range("interval_seconds", interval_seconds, 1, 7 * 24 * 3600)?;
        let mut current = self
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(previous) = current.upgrade() {
            previous.stop();
        }
        let task = {
            let _in_runtime = runtime().enter();
            self.inner.start(Duration::from_secs(interval))
        };
        let handle = Arc::new(BackgroundSyncHandle { task });
        *current = Arc::downgrade(&handle);
        Ok(handle)
    }

    /// Stops the background loop `start` made, if it runs. A run in
    /// progress is stopped safely.
    pub fn stop(&self) {
        let current = self
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .upgrade();
        if let Some(handle) = current {
            handle.stop();
        }
    }
}

impl SyncClient {
    /// Blocking, not async: no task, future or lock type of its own in the
    /// shipped library, and the compaction runs on the caller's thread.
    fn sign_out_with(&self, mode: SignOut) -> Result<()> {
        // Cancelled, not waited for: a sign-out is not held up by a long
        // first sync, and an upload whose answer is lost stays in the
        // outbox (so `PendingChanges`, never a silent loss).
        self.stop();
        self.runs.cancel_all();
        loop {
            match self.inner.engine().sign_out(mode) {
                // A cancelled run ends at its next await; a login finishes.
                Err(fieldsync_core::Error::SyncInProgress) => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => return Ok(other?),
            }
        }
    }
}

/// A background sync loop (`SyncClient.start`). It stops when stopped,
/// closed (Kotlin `close()`, Swift release) or garbage collected.
#[derive(uniffi::Object)]
pub struct BackgroundSyncHandle {
    task: BackgroundSync,
}

#[uniffi::export]
impl BackgroundSyncHandle {
    /// Stops the loop; a run in progress is stopped safely.
    pub fn stop(&self) {
        self.task.stop();
    }

    /// Runs a sync as soon as possible (after a local change the user wants
    /// uploaded now) instead of waiting for the interval.
    pub fn sync_now(&self) {
        self.task.sync_now();
    }

    /// Whether the loop still runs.
    pub fn is_running(&self) -> bool {
        self.task.is_running()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SyncConfig {
        SyncConfig {
            server_url: "http://127.0.0.1:1".into(),
            connect_timeout_seconds: 10,
            request_timeout_seconds: 60,
            pull_page_size: 500,
            push_batch_size: 100,
            attempts_per_run: 5,
        }
    }

    #[test]
    fn the_config_is_checked() {
        assert!(config().http().is_ok());
        assert_eq!(config().settings().unwrap().retry.attempts_per_run, 5);
        let bad = |c: SyncConfig| c.http().and(c.settings().map(|_| ())).unwrap_err();
        assert_eq!(
            bad(SyncConfig {
                server_url: " ".into(),
                ..config()
            }),
            FieldSyncError::Validation {
                field: "server_url".into(),
                reason: "must not be blank".into()
            }
        );
        assert_eq!(
            bad(SyncConfig {
                server_url: "ftp://x".into(),
                ..config()
            }),
            FieldSyncError::Validation {
                field: "server_url".into(),
                reason: "is malformed".into()
            }
        );
        assert_eq!(
            bad(SyncConfig {
                pull_page_size: 0,
                ..config()
            }),
            FieldSyncError::Validation {
                field: "pull_page_size".into(),
                reason: "must be between 1 and 1000".into()
            }
        );
        assert_eq!(
            bad(SyncConfig {
                request_timeout_seconds: 0,
                ..config()
            }),
            FieldSyncError::Validation {
                field: "request_timeout_seconds".into(),
                reason: "must be between 1 and 3600".into()
            }
        );
    }

    struct Failing;
    impl CredentialsProvider for Failing {
        fn token(&self, refresh: bool) -> Result<String> {
            if refresh {
                panic!("app bug");
            }
            Err(FieldSyncError::Unauthorized)
        }
    }

    #[test]
    fn app_credentials_failures_become_reasons() {
        let provider = AppCredentials(Arc::new(Failing));
        assert_eq!(
            provider.token(false),
            Err("the server refused the credentials".into())
        );
        assert_eq!(provider.token(true), Err("app bug".into()));
    }

    /// Fails every call (one way or the other) and counts them.
    #[derive(Default)]
    struct FailingObserver {
        calls: std::sync::atomic::AtomicUsize,
    }
    impl FailingObserver {
        fn called(&self) {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    impl SyncObserver for FailingObserver {
        fn status_changed(&self, _: SyncStatus) -> Result<()> {
            self.called();
            panic!("observer bug");
        }
        fn collections_changed(&self, _: Vec<SyncCollection>) -> Result<()> {
            self.called();
            Err(FieldSyncError::Internal {
                reason: "observer bug".into(),
            })
        }
    }

    #[test]
    fn a_failing_observer_does_not_fail_sync() {
        use fieldsync_core::sync::SyncObserver as _;
        let app = Arc::new(FailingObserver::default());
        let observer = AppObserver(app.clone());
        // Neither the error nor the panic escapes to the sync engine.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            observer.collections_changed(&[SyncCollection::Customers]);
            observer.status_changed(&core::SyncStatus {
                state: SyncState::Idle,
                last_success: None,
                pending_uploads: 0,
                set_aside: 0,
                progress: None,
                last_error: None,
            });
        }));
        assert!(outcome.is_ok());
        assert_eq!(app.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
