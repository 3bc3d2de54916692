//! What the app sees of sync: the status at any time, the report of a run,
//! and the observer told of changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::protocol::Collection;
use crate::store::CustomerSegmentRefresh;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncState {
    Idle,
    Syncing,
    /// The last run could not reach the server.
    Offline,
    /// The last run failed for another reason (see `last_error`).
    Error,
}

/// Progress of one collection in the current pull.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CollectionProgress {
    pub done: u64,
    /// `None` when the server did not say.
    pub total: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullProgress {
    pub done: u64,
    pub total: Option<u64>,
    pub collections: BTreeMap<Collection, CollectionProgress>,
}

/// What the app can read at any time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncStatus {
    pub state: SyncState,
    pub last_success: Option<DateTime<Utc>>,
    /// Local changes waiting for upload.
    pub pending_uploads: u64,
    /// Local changes the server refused, set aside with its reason.
    pub set_aside: u64,
    /// The current pull, while syncing.
    pub progress: Option<PullProgress>,
    pub last_error: Option<String>,
}

/// Told when the status changes and when synced data changed.
pub trait SyncObserver: Send + Sync {
    fn status_changed(&self, status: &SyncStatus);
    fn collections_changed(&self, collections: &[Collection]);
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Uploads the server applied (fully or with conflicts).
    pub uploaded: u64,
    pub rejected: u64,
    pub conflicts: u64,
    /// Feed entries received.
    pub downloaded: u64,
    pub pull_requests: u64,
    pub push_requests: u64,
    /// Feed records the device could not read and skipped.
    pub skipped: u64,
    /// Requests retried within the run.
    pub retries: u64,
    pub changed: Vec<Collection>,
    /// Time spent uploading (requests and applying their answers).
    pub push_duration: std::time::Duration,
    /// Time spent pulling (requests and applying pages).
    pub pull_duration: std::time::Duration,
    /// What evaluating the customer segments after the run did.
    pub customer_segment_refresh: CustomerSegmentRefresh,
}

impl SyncReport {
    pub(super) fn changed(&mut self, collections: &[Collection]) {
        for c in collections {
            if !self.changed.contains(c) {
                self.changed.push(*c);
            }
        }
    }
}
