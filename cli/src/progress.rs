//! Pull progress: a bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;

use fieldsync_core::sync::{Collection, SyncObserver, SyncState, SyncStatus};
use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    /// Last tenth reported in plain mode, to keep the output short.
    last_line: Mutex<Option<u64>>,
}

impl Progress {
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} pulling {pos}/{len} changes [{bar:30}] {per_sec} {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            last_line: Mutex::new(None),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl SyncObserver for Progress {
    fn status_changed(&self, status: &SyncStatus) {
        let Some(progress) = &status.progress else {
            return;
        };
        let total = progress.total.unwrap_or(progress.done);
        match &self.bar {
            Some(bar) => {
                bar.set_length(total);
                bar.set_position(progress.done);
            }
            None if status.state == SyncState::Syncing && total > 0 => {
                let tenth = progress.done * 10 / total.max(1);
                let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
                if *last != Some(tenth) {
                    *last = Some(tenth);
                    println!("pulled {}/{} changes", progress.done, total);
                }
            }
            None => {}
        }
    }

    fn collections_changed(&self, _collections: &[Collection]) {}
}
