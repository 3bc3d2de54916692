//! The one tokio runtime of the library.
//!
//! Apps call in from their own threads (Kotlin dispatchers, Swift tasks,
//! Python event loops), none of which is a tokio thread. Every network run
//! (on demand or in the background) is spawned on this runtime, so the HTTP
//! client's connection pool is always driven by one runtime and the
//! background loop outlives the call that started it.
//!
//! An async export awaits the spawned task through [`run`]: the foreign
//! side's future completes with the task, and when the foreign side cancels
//! (a Kotlin coroutine cancelled, a Python task cancelled), uniffi drops our
//! future, which aborts the task. Swift's generated code does not pass task
//! cancellation on (uniffi 0.32), hence also [`Runs`], which lets
//! `SyncClient.cancel_sync()` abort runs from any language. The sync engine
//! is cancel-safe between transactions.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};

use tokio::runtime::Handle;
use tokio::task::{AbortHandle, JoinHandle};

use crate::error::FieldSyncError;

/// The shared runtime, made on first use and never shut down (it lives as
/// long as the process, like the library): a current-thread runtime that
/// one thread of its own, `fieldsync`, drives. Sync is I/O bound and runs
/// one at a time per client, so one thread serves it (phones save battery
/// on fewer threads), and tokio's multi-thread scheduler stays out of the
/// shipped library (about 40 KB, see "What the bytes go to" in
/// bindings/README.md). Two clients' runs take turns on the thread, and the
/// app's callbacks run on it: one that blocks holds up every run. Tasks are
/// spawned from any thread through the handle; blocking work (DNS lookups,
/// applying a pulled page while the next one downloads) goes to tokio's
/// blocking pool.
pub(crate) fn runtime() -> &'static Handle {
    static RUNTIME: OnceLock<Handle> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("fieldsync")
            .enable_all()
            .build()
            .expect("fieldsync: cannot start its tokio runtime");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("fieldsync".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("fieldsync: cannot start its runtime thread");
        handle
    })
}

/// Runs `future` on the shared runtime and waits for it from any executor.
/// Dropping the returned future aborts the task. A panic in the task comes
/// back as `FieldSyncError::Internal`, an abort through [`Runs::cancel_all`]
/// as `FieldSyncError::Cancelled`.
pub(crate) fn run<F, T>(future: F) -> Run<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Run {
        task: runtime().spawn(future),
        tracked: None,
    }
}

/// A task on the shared runtime that is aborted when dropped.
pub(crate) struct Run<T> {
    task: JoinHandle<T>,
    /// Where the task is listed for `Runs::cancel_all`, until it ends.
    tracked: Option<(Arc<Runs>, u64)>,
}

impl<T> Run<T> {
    /// Lists the task in `runs` while it goes.
    pub(crate) fn tracked_in(mut self, runs: &Arc<Runs>) -> Self {
        let id = runs.add(self.task.abort_handle());
        self.tracked = Some((runs.clone(), id));
        self
    }
}

impl<T> Future for Run<T> {
    type Output = Result<T, FieldSyncError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx).map(|joined| {
            joined.map_err(|err| {
                if err.is_panic() {
                    FieldSyncError::Internal {
                        reason: format!("panic in fieldsync: {}", panic_message(err.into_panic())),
                    }
                } else {
                    FieldSyncError::Cancelled
                }
            })
        })
    }
}

impl<T> Drop for Run<T> {
    fn drop(&mut self) {
        // No-op once the task has finished.
        self.task.abort();
        if let Some((runs, id)) = self.tracked.take() {
            runs.remove(id);
        }
    }
}

/// The tasks of one kind in progress (a client's sync runs), to cancel
/// them all at once.
#[derive(Default)]
pub(crate) struct Runs {
    next: AtomicU64,
    going: Mutex<HashMap<u64, AbortHandle>>,
}

impl Runs {
    fn add(&self, handle: AbortHandle) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, handle);
        id
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Aborts every task listed; their callers get `Cancelled`.
    pub(crate) fn cancel_all(&self) {
        for handle in self.lock().values() {
            handle.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, AbortHandle>> {
        self.going.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The text of a panic payload (`panic!` with a literal or a format).
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => (*text).to_owned(),
            Err(_) => "unknown panic".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn a_task_runs_on_the_shared_runtime() {
        let name = block_on(run(async {
            std::thread::current().name().map(str::to_owned)
        }));
        assert_eq!(name.unwrap().as_deref(), Some("fieldsync"));
    }

    #[test]
    fn a_panic_comes_back_as_an_internal_error() {
        let result = block_on(run(async {
            if true {
                panic!("boom {}", 42);
            }
        }));
        assert_eq!(
            result,
            Err(FieldSyncError::Internal {
                reason: "panic in fieldsync: boom 42".into()
            })
        );
    }

    #[test]
    fn dropping_the_future_aborts_the_task() {
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(dropped.clone());
        let task = run(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!dropped.load(Ordering::SeqCst));
        drop(task);
        for _ in 0..200 {
            if dropped.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the task was not aborted");
    }

    #[test]
    fn cancel_all_aborts_tracked_tasks_and_forgets_finished_ones() {
        let runs = Arc::new(Runs::default());
        assert_eq!(block_on(run(async { 7 }).tracked_in(&runs)), Ok(7));
        assert!(runs.lock().is_empty(), "a finished run is no longer listed");

        let long =
            run(async { tokio::time::sleep(Duration::from_secs(3600)).await }).tracked_in(&runs);
        assert_eq!(runs.lock().len(), 1);
        runs.cancel_all();
        assert_eq!(block_on(long), Err(FieldSyncError::Cancelled));
        assert!(runs.lock().is_empty());
    }

    /// Awaits a future on a plain thread (no tokio), as a foreign executor
    /// would.
    fn block_on<F: Future>(future: F) -> F::Output {
        use std::task::{Wake, Waker};
        struct ThreadWaker(std::thread::Thread);
        impl Wake for ThreadWaker {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(value) => return value,
                Poll::Pending => std::thread::park(),
            }
        }
    }
}
