//! `fieldsync`: the demo, syncing a device database with a server, and
//! looking inside one.

mod customer_segments;
mod demo;
mod inspect;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fieldsync_core::model::LanguageTag;

#[derive(Parser)]
#[command(
    name = "fieldsync",
    version,
    about = "Offline-first sync for field-service apps"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole story against an in-process mock Portal: sync, the
    /// dropdown in two languages, the segment rule, a Portal delete, and
    /// customer segments (a flexi one following a manager's edit offline).
    Demo {
        /// Keep the device database here (default: a temporary folder).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Keep the mock Portal running after the demo, until Ctrl-C, so
        /// a person can click through its screens (the URL is printed).
        #[arg(long)]
        keep_portal: bool,
    },
    /// Logs in and syncs a device database with a server.
    Sync {
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        db: PathBuf,
        /// Feed entries per page.
        #[arg(long, default_value_t = 1000)]
        page_size: u32,
    },
    /// Prints the segment dropdown of the signed-in user.
    Segments {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value = "en")]
        locale: String,
    },
    /// Lists customers.
    Customers {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value = "en")]
        locale: String,
        /// Only names containing this (case and accents ignored).
        #[arg(long)]
        search: Option<String>,
        /// Only customers of this segment id.
        #[arg(long)]
        segment: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Sync state: session, last sync, pending and set-aside changes.
    Status {
        #[arg(long)]
        db: PathBuf,
    },
    /// Lists the customer segments of the signed-in user, highest priority
    /// first (kind: static, flexi or snapshot); `members` and `of` list a
    /// segment's members and a customer's segments.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    CustomerSegments {
        #[command(subcommand)]
        command: Option<CustomerSegmentsCommand>,
        #[arg(long, required = true)]
        db: Option<PathBuf>,
        /// Only segments with this tag.
        #[arg(long)]
        tag: Option<String>,
    },
}

#[derive(Subcommand)]
enum CustomerSegmentsCommand {
    /// Lists a customer segment's members, sorted by name.
    Members {
        segment_id: String,
        #[arg(long)]
        db: PathBuf,
        /// Members per page, 1 to 500.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Members to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Lists the customer segments a customer belongs to, highest priority
    /// first; the first (marked) is the primary one.
    Of {
        customer_id: String,
        #[arg(long)]
        db: PathBuf,
    },
}

/// A CLI error: one line for the user.
pub type CliResult<T = ()> = Result<T, String>;

pub fn locale(tag: &str) -> CliResult<LanguageTag> {
    LanguageTag::parse(tag).map_err(|reason| format!("invalid --locale '{tag}': {reason}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo { db, keep_portal } => demo::run(db, keep_portal).await,
            Command::Sync {
                server,
                user,
                password,
                db,
                page_size,
            } => inspect::sync(&server, &user, &password, &db, page_size).await,
            Command::Segments { db, locale } => inspect::segments(&db, &locale),
            Command::Customers {
                db,
                locale,
                search,
                segment,
                limit,
            } => inspect::customers(&db, &locale, search, segment, limit),
            Command::Status { db } => inspect::status(&db),
            Command::CustomerSegments { command, db, tag } => match command {
                Some(CustomerSegmentsCommand::Members {
                    segment_id,
                    db,
                    limit,
                    offset,
                }) => customer_segments::members(&db, &segment_id, limit, offset),
                Some(CustomerSegmentsCommand::Of { customer_id, db }) => {
                    customer_segments::of_customer(&db, &customer_id)
                }
                None => match db {
                    Some(db) => customer_segments::list(&db, tag.as_deref()),
                    None => Err("--db is required".into()),
                },
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
