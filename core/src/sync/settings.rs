//! The engine's settings and their bounds.

use super::retry::RetryPolicy;
use crate::error::{Error, Result, ValidationReason};

/// How the engine syncs. Checked by [`SyncSettings::validate`] wherever
/// settings come from (the FFI, the CLI, a test): the engine refuses
/// settings out of range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncSettings {
    /// Feed entries asked for per page, 1 to [`MAX_PULL_PAGE_SIZE`] (the
    /// server caps it too). The default is the most: a page is one
    /// transaction, and a first sync's cost is mostly per transaction
    /// (each writes the index pages its rows touched).
    pub pull_page_size: u32,
    /// Outbox entries uploaded per request, 1 to [`MAX_PUSH_BATCH_SIZE`].
    pub push_batch_size: usize,
    pub retry: RetryPolicy,
}

/// Most feed entries one page may ask for.
pub const MAX_PULL_PAGE_SIZE: u32 = 1_000;
/// Most outbox entries one upload may carry (the server's limit too).
pub const MAX_PUSH_BATCH_SIZE: usize = 500;
/// Most tries of one request within a run.
pub const MAX_ATTEMPTS_PER_RUN: u32 = 100;

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            pull_page_size: MAX_PULL_PAGE_SIZE,
            push_batch_size: 100,
            retry: RetryPolicy::default(),
        }
    }
}

impl SyncSettings {
    /// Checks every bound; the error names the field
    /// (`pull_page_size`, `push_batch_size`, `attempts_per_run`).
    pub fn validate(&self) -> Result<()> {
        in_range(
            "pull_page_size",
            self.pull_page_size.into(),
            MAX_PULL_PAGE_SIZE.into(),
        )?;
        in_range(
            "push_batch_size",
            self.push_batch_size as u64,
            MAX_PUSH_BATCH_SIZE as u64,
        )?;
        in_range(
            "attempts_per_run",
            self.retry.attempts_per_run.into(),
            MAX_ATTEMPTS_PER_RUN.into(),
        )
    }
}

fn in_range(field: &str, value: u64, max: u64) -> Result<()> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            ValidationReason::OutOfRange {
                min: 1,
                max: max as i64,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bound_is_checked_and_named() {
        assert!(SyncSettings::default().validate().is_ok());
        let field = |s: SyncSettings| match s.validate() {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let d = SyncSettings::default;
        for (settings, name) in [
            (
                SyncSettings {
                    pull_page_size: 0,
                    ..d()
                },
                "pull_page_size",
            ),
            (
                SyncSettings {
                    pull_page_size: MAX_PULL_PAGE_SIZE + 1,
                    ..d()
                },
                "pull_page_size",
            ),
            (
                SyncSettings {
                    push_batch_size: 0,
                    ..d()
                },
                "push_batch_size",
            ),
            (
                SyncSettings {
                    push_batch_size: MAX_PUSH_BATCH_SIZE + 1,
                    ..d()
                },
                "push_batch_size",
            ),
            (
                SyncSettings {
                    retry: RetryPolicy {
                        attempts_per_run: 0,
                        ..RetryPolicy::default()
                    },
                    ..d()
                },
                "attempts_per_run",
            ),
        ] {
            assert_eq!(field(settings), name);
        }
        let edges = SyncSettings {
            pull_page_size: MAX_PULL_PAGE_SIZE,
            push_batch_size: 1,
            retry: RetryPolicy {
                attempts_per_run: MAX_ATTEMPTS_PER_RUN,
                ..RetryPolicy::default()
            },
        };
        assert!(edges.validate().is_ok());
    }
}
