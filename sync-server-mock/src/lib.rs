//! sync-server-mock: a stand-in for the fieldsync server, for client tests,
//! demos and benchmarks.
//!
//! It serves the Portal admin API, the sync protocol (change feed and
//! mutation push) and fault injection, over axum on 127.0.0.1. Domain types,
//! validation and the sync protocol's messages
//! (`fieldsync_core::protocol`) are fieldsync-core's, so the server
//! and the device agree on every rule and every message.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sync_server_mock::ServerError> {
//! let server = sync_server_mock::spawn(sync_server_mock::ServerConfig::demo()).await?;
//! println!("{}", server.url());
//! # Ok(()) }
//! ```

pub mod auth;
pub mod error;
pub mod fault_plan;
pub mod faults;
pub mod json_errors;
pub mod passwords;
pub mod portal;
pub mod routes;
pub mod screens;
pub mod seed;
pub mod state;
pub mod store;
pub mod sync;
pub mod throttle;
pub mod tokens;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

pub use fault_plan::{FaultConfig, FaultConfigError};
pub use routes::{OPENAPI_JSON, router, routes};

use crate::fault_plan::FaultState;
use crate::seed::SeedPlan;
use crate::state::AppState;
use crate::store::Db;
use crate::throttle::LoginThrottle;
use crate::tokens::TokenStore;

/// How to run a server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Keep the state in this SQLite file across restarts; `None`: memory.
    pub db_path: Option<PathBuf>,
    /// Seed the demo organizations, users, picklists, segments, customers.
    pub seed_demo: bool,
    /// Synthetic customers to add (benchmarks).
    pub generate_customers: usize,
    /// Synthetic segments to add, named in five languages.
    pub generate_segments: usize,
    /// Synthetic transactions, spread over the generated customers (or
    /// every customer when none are generated); generated customers then
    /// get a profile each too.
    pub generate_transactions: usize,
    /// Seed of the synthetic data's RNG.
    pub seed: u64,
    /// How long an access token lives.
    pub token_ttl: Duration,
    /// Consecutive failed logins for one username before it is locked out
    /// (429 with `Retry-After`); 0: never.
    pub login_max_failures: u32,
    /// How long a locked-out username waits.
    pub login_lockout: Duration,
    pub faults: FaultConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 0,
            db_path: None,
            seed_demo: false,
            generate_customers: 0,
            generate_segments: 0,
            generate_transactions: 0,
            seed: 0,
            token_ttl: Duration::from_secs(3600),
            login_max_failures: 5,
            login_lockout: Duration::from_secs(60),
            faults: FaultConfig::default(),
        }
    }
}

impl ServerConfig {
    /// In memory, any free port, the demo data.
    pub fn demo() -> Self {
        ServerConfig {
            seed_demo: true,
            ..Default::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("seeding failed: {0}")]
    Seed(#[from] error::ApiError),
    #[error("faults: {0}")]
    Faults(#[from] FaultConfigError),
    #[error("the server thread stopped before it was ready")]
    ThreadGone,
}

/// A server running on the caller's tokio runtime; stopped on drop.
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets open requests finish, and closes the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Opens the database, seeds it, and builds the shared state.
fn prepare(config: &ServerConfig) -> Result<AppState, ServerError> {
    config.faults.validate()?;
    passwords::warm_up();
    let db = Db::open(config.db_path.as_deref())?;
    seed::run(
        &db,
        &SeedPlan {
            demo: config.seed_demo,
            customers: config.generate_customers,
            segments: config.generate_segments,
            transactions: config.generate_transactions,
            seed: config.seed,
        },
    )?;
    Ok(AppState {
        db,
        tokens: Arc::new(TokenStore::new(config.token_ttl)),
        faults: Arc::new(FaultState::new(config.faults.clone())),
        throttle: Arc::new(LoginThrottle::new(
            config.login_max_failures,
            config.login_lockout,
        )),
    })
}

/// Starts a server on 127.0.0.1 on the current tokio runtime. Many can run
/// at once; each has its own state.
pub async fn spawn(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let port = config.port;
    // Seeding may write 100,000 rows: keep it off the async workers.
    let state = tokio::task::spawn_blocking(move || prepare(&config))
        .await
        .map_err(|_| ServerError::ThreadGone)??;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "sync-server-mock listening");
    Ok(RunningServer {
        addr,
        shutdown: Some(shutdown),
        task: Some(task),
    })
}

/// A server on its own thread and tokio runtime, for callers without one
/// (a CLI demo, binding tests). Stopped, and its thread joined, on drop.
pub struct BlockingServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BlockingServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for its thread.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a server on a thread of its own with its own tokio runtime.
pub fn spawn_blocking_server(config: ServerConfig) -> Result<BlockingServer, ServerError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<SocketAddr, ServerError>>();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("sync-server-mock".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                match spawn(config).await {
                    Ok(server) => {
                        let _ = ready_tx.send(Ok(server.addr()));
                        let _ = stopped.await;
                        // Open connections get a moment to finish.
                        let _ = tokio::time::timeout(Duration::from_secs(5), server.stop()).await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            // Connections still open (a client that never reads) must not
            // keep the caller's drop waiting.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
    let addr = ready_rx.recv().map_err(|_| ServerError::ThreadGone)??;
    Ok(BlockingServer {
        addr,
        shutdown: Some(shutdown),
        thread: Some(thread),
    })
}
