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
//! (a Kotlin coroutine cancelled, a Python task cancelled, a Swift task
//! cancelled), uniffi drops our future, which aborts the task. The sync
//! engine is cancel-safe between transactions.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::FieldSyncError;

/// Worker threads: sync is I/O bound and phones save battery on fewer
/// threads.
const WORKER_THREADS: usize = 2;

/// The shared runtime, made on first use and never shut down (it lives as
/// long as the process, like the library).
pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("fieldsync")
            .enable_all()
            .build()
            .expect("fieldsync: cannot start its tokio runtime")
    })
}

/// Runs `future` on the shared runtime and waits for it from any executor.
/// Dropping the returned future aborts the task. A panic in the task comes
/// back as `FieldSyncError::Internal`.
pub(crate) fn run<F, T>(future: F) -> Run<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Run(runtime().spawn(future))
}

/// A task on the shared runtime that is aborted when dropped.
pub(crate) struct Run<T>(JoinHandle<T>);

impl<T> Future for Run<T> {
    type Output = Result<T, FieldSyncError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.map_err(|err| FieldSyncError::Internal {
                reason: if err.is_panic() {
                    format!("panic in fieldsync: {}", panic_message(err.into_panic()))
                } else {
                    "the task was cancelled".to_owned()
                },
            })
        })
    }
}

impl<T> Drop for Run<T> {
    fn drop(&mut self) {
        // No-op once the task has finished.
        self.0.abort();
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
