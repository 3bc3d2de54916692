//! `sync-server-mock`: runs the mock server until killed.
//!
//! Prints exactly `listening on http://127.0.0.1:PORT` on stdout once bound
//! (scripts wait for that line); logs go to stderr.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sync_server_mock::{FaultConfig, ServerConfig, spawn};

#[derive(Debug, Parser)]
#[command(
    name = "sync-server-mock",
    version,
    about = "A mock fieldsync sync server"
)]
struct Cli {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Keep the state in this SQLite file across restarts (default: memory).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Seed demo organizations, users, picklists, segments and customers.
    #[arg(long)]
    seed_demo: bool,
    /// Add N synthetic customers (one transaction).
    #[arg(long, default_value_t = 0)]
    generate_customers: usize,
    /// Add N synthetic segments named in five languages.
    #[arg(long, default_value_t = 0)]
    generate_segments: usize,
    /// Add N synthetic transactions over the generated customers (or every
    /// customer when none are generated), and a profile per generated customer.
    #[arg(long, default_value_t = 0)]
    generate_transactions: usize,
    /// Seed of the synthetic data's RNG.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Consecutive failed logins for a username before it is locked out
    /// (429 with Retry-After); 0 never locks.
    #[arg(long, default_value_t = 5)]
    login_max_failures: u32,
    /// How long a locked-out username waits, in seconds.
    #[arg(long, default_value_t = 60)]
    login_lockout_secs: u64,
    /// Faults on /sync/v1/*, e.g. "error_rate=0.2,latency_ms=50,seed=7".
    #[arg(long, default_value = "")]
    faults: FaultConfig,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "sync_server_mock=info".into()),
        )
        .init();
    let cli = Cli::parse();
    let server = spawn(ServerConfig {
        port: cli.port,
        db_path: cli.db,
        seed_demo: cli.seed_demo,
        generate_customers: cli.generate_customers,
        generate_segments: cli.generate_segments,
        generate_transactions: cli.generate_transactions,
        seed: cli.seed,
        token_ttl: Duration::from_secs(cli.token_ttl_secs),
        login_max_failures: cli.login_max_failures,
        login_lockout: Duration::from_secs(cli.login_lockout_secs),
        faults: cli.faults,
    })
    .await?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", server.url())?;
        out.flush()?;
    }
    // Runs until the process is killed; every write is committed already.
    std::future::pending::<()>().await;
    Ok(())
}
