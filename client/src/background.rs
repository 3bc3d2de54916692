//! The sync client apps hold: on-demand runs (one at a time) and a
//! background loop on an interval that retries failed runs with backoff on
//! its own, never waiting for a new local write.

use std::sync::Arc;
use std::time::Duration;

use fieldsync_core::Store;
use fieldsync_core::model::Session;
use fieldsync_core::store::SignOut;
use fieldsync_core::sync::{
    Credentials, SyncEngine, SyncObserver, SyncReport, SyncSettings, SyncStatus,
};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;

use crate::exchange::{ExchangeTransport, HttpConfig, HttpExchange};

/// A store's sync with one server.
#[derive(Clone)]
pub struct SyncClient {
    engine: Arc<SyncEngine<ExchangeTransport>>,
    /// Runs wait for each other instead of failing with `SyncInProgress`.
    run_lock: Arc<Mutex<()>>,
}

impl SyncClient {
    /// A client on the built-in HTTP stack (reqwest with rustls).
    #[cfg(feature = "builtin-http")]
    pub fn new(
        store: Arc<Store>,
        http: &HttpConfig,
        credentials: Credentials,
        settings: SyncSettings,
    ) -> fieldsync_core::Result<Self> {
        let exchange = crate::http::ReqwestExchange::new(http).map_err(|e| {
            fieldsync_core::Error::Network {
                reason: e.to_string(),
            }
        })?;
        Self::with_exchange(store, http, Arc::new(exchange), credentials, settings)
    }

    /// A client whose requests go through `exchange` (the app's own HTTP
    /// stack); `http`'s timeouts are then the exchange's business.
    pub fn with_exchange(
        store: Arc<Store>,
        http: &HttpConfig,
        exchange: Arc<dyn HttpExchange>,
        credentials: Credentials,
        settings: SyncSettings,
    ) -> fieldsync_core::Result<Self> {
        let transport = ExchangeTransport::new(exchange, http);
        Ok(SyncClient {
            engine: Arc::new(SyncEngine::new(store, transport, credentials, settings)?),
            run_lock: Arc::new(Mutex::new(())),
        })
    }

    pub fn engine(&self) -> &Arc<SyncEngine<ExchangeTransport>> {
        &self.engine
    }

    /// Signs in; waits for a run in progress to finish first.
    pub async fn login(&self, username: &str, password: &str) -> fieldsync_core::Result<Session> {
        let _no_run = self.run_lock.lock().await;
        self.engine.login(username, password).await
    }

    /// Signs out ([`SyncEngine::sign_out`]); waits for a run in progress to
    /// finish first (cancel it to sign out at once).
    pub async fn sign_out(&self, mode: SignOut) -> fieldsync_core::Result<()> {
        let _no_run = self.run_lock.lock().await;
        self.engine.sign_out(mode)
    }

    /// One run now; waits for a run already in progress to finish first.
    pub async fn sync(&self) -> fieldsync_core::Result<SyncReport> {
        let _one_at_a_time = self.run_lock.lock().await;
        self.engine.sync().await
    }

    pub fn status(&self) -> SyncStatus {
        self.engine.status()
    }

    pub fn add_observer(&self, observer: Arc<dyn SyncObserver>) {
        self.engine.add_observer(observer);
    }

    /// Starts syncing every `interval` (and at once), on the current tokio
    /// runtime. A failed run is retried with backoff (jittered, growing to
    /// the policy's cap, never later than `interval`). Dropping or stopping
    /// the handle ends the loop.
    pub fn start(&self, interval: Duration) -> BackgroundSync {
        let wake = Arc::new(Notify::new());
        let client = self.clone();
        let waker = wake.clone();
        let task = tokio::spawn(async move {
            let mut failures: u32 = 0;
            let mut rng = SmallRng::from_os_rng();
            loop {
                let delay = match client.sync().await {
                    Ok(_) => {
                        failures = 0;
                        interval
                    }
                    Err(err) => {
                        tracing::info!(error = %err, failures, "background sync failed; backing off");
                        let policy = client.engine.settings().retry;
                        let delay = policy.delay(failures, None, &mut rng);
                        failures = failures.saturating_add(1);
                        delay.min(interval)
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = waker.notified() => {}
                }
            }
        });
        BackgroundSync { task, wake }
    }
}

/// A running background sync. Stops when stopped or dropped.
pub struct BackgroundSync {
    task: JoinHandle<()>,
    wake: Arc<Notify>,
}

impl BackgroundSync {
    /// Runs a sync as soon as the current one (if any) ends.
    pub fn sync_now(&self) {
        self.wake.notify_one();
    }

    pub fn stop(&self) {
        self.task.abort();
    }

    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        self.task.abort();
    }
}
