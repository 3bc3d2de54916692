//! `fieldsync sync | segments | customers | status`.

use std::path::Path;
use std::sync::Arc;

use fieldsync_client::{HttpConfig, SyncClient};
use fieldsync_core::Store;
use fieldsync_core::store::{CustomerQuery, SegmentFilter};
use fieldsync_core::sync::{Credentials, SyncReport, SyncSettings};

use crate::progress::Progress;
use crate::{CliResult, locale};

/// Opens an existing device database (inspection never creates one).
pub fn open_existing(db: &Path) -> CliResult<Store> {
    if !db.exists() {
        return Err(format!(
            "no database at {}; run `fieldsync sync` first",
            db.display()
        ));
    }
    Store::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))
}

pub async fn sync(
    server: &str,
    user: &str,
    password: &str,
    db: &Path,
    page_size: u32,
) -> CliResult {
    let settings = SyncSettings {
        pull_page_size: page_size,
        ..Default::default()
    };
    // Checked before the database is touched: bad input writes nothing.
    settings.validate().map_err(|e| match e {
        fieldsync_core::Error::Validation { reason, .. } => format!("--page-size {reason}"),
        other => other.to_string(),
    })?;
    let store =
        Arc::new(Store::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))?);
    let credentials = Credentials::Password {
        username: user.to_owned(),
        password: password.to_owned(),
    };
    let client = SyncClient::new(store, &HttpConfig::new(server), credentials, settings)
        .map_err(|e| e.to_string())?;
    let report = sync_with_progress(&client).await?;
    println!("{}", describe(&report));
    Ok(())
}

/// One sync run with a progress bar (or plain lines off a terminal).
pub async fn sync_with_progress(client: &SyncClient) -> CliResult<SyncReport> {
    let progress = Arc::new(Progress::new());
    client.add_observer(progress.clone());
    let result = client.sync().await;
    progress.finish();
    result.map_err(|e| format!("sync failed: {e}"))
}

pub fn describe(r: &SyncReport) -> String {
    format!(
        "synced: {} uploaded ({} with conflicts), {} refused, {} downloaded in {} page(s)",
        r.uploaded, r.conflicts, r.rejected, r.downloaded, r.pull_requests
    )
}

pub fn segments(db: &Path, tag: &str) -> CliResult {
    let store = open_existing(db)?;
    let options = store
        .segment_options(&locale(tag)?)
        .map_err(|e| e.to_string())?;
    for o in &options {
        println!("{:<24} {:<30} {}", o.id, o.label, o.visit_frequency.label());
    }
    println!("{} segment(s)", options.len());
    Ok(())
}

pub fn customers(
    db: &Path,
    tag: &str,
    search: Option<String>,
    segment: Option<String>,
    limit: u32,
) -> CliResult {
    let store = open_existing(db)?;
    let query = CustomerQuery {
        search,
        segment: segment.map_or(SegmentFilter::Any, SegmentFilter::Is),
        limit,
        offset: 0,
    };
    let page = store
        .customers(&query, &locale(tag)?)
        .map_err(|e| e.to_string())?;
    for view in &page.customers {
        let c = &view.customer;
        let segment = match &view.segment {
            None => "-".to_owned(),
            Some(s) => {
                let label = s.label.clone().unwrap_or_else(|| s.id.clone());
                if s.deleted {
                    format!("{label} (deleted)")
                } else {
                    label
                }
            }
        };
        let state = if c.is_new() { "new" } else { "synced" };
        println!("{:<38} {:<30} {:<24} {}", c.id, c.name, segment, state);
    }
    println!("{} of {} customer(s)", page.customers.len(), page.total);
    Ok(())
}

pub fn status(db: &Path) -> CliResult {
    let store = open_existing(db)?;
    let err = |e: fieldsync_core::Error| e.to_string();
    match store.session().map_err(err)? {
        Some(s) => println!("session: {} ({}, {})", s.user_id, s.role, s.organization_id),
        None => println!("session: none"),
    }
    match store.last_sync_success().map_err(err)? {
        Some(at) => println!(
            "last successful sync: {}",
            at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => println!("last successful sync: never"),
    }
    println!(
        "waiting for upload: {}",
        store.pending_count().map_err(err)?
    );
    println!(
        "set aside by the server: {}",
        store.set_aside_count().map_err(err)?
    );
    for entry in store.pending_changes(100).map_err(err)? {
        if let Some(r) = &entry.rejection {
            let field = r
                .field
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            println!(
                "  {} {} {}: {}{field}: {}",
                entry.operation.code(),
                entry.entity.code(),
                entry.entity_id,
                r.code.code(),
                r.reason
            );
        }
    }
    let conflicts = store.sync_conflicts(20).map_err(err)?;
    if !conflicts.is_empty() {
        println!("fields that lost to office edits:");
        for c in conflicts {
            println!(
                "  customer {} {}: kept {} (device had {})",
                c.customer_id, c.field, c.server_value, c.local_value
            );
        }
    }
    Ok(())
}
