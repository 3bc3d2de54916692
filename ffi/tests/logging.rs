//! `set_logger` and `clear_logger`: the library's `tracing` events reach
//! the app's logger at its level, formatted, until cleared; a failing
//! logger fails nothing. A test binary of its own: the logger is global.

use std::sync::{Arc, Mutex};

use fieldsync::{FieldSyncError, LogLevel, LogRecord, Logger, clear_logger, set_logger};
use tracing::level_filters::LevelFilter;

type Result<T> = std::result::Result<T, FieldSyncError>;

/// Keeps the records of this file's events (the library logs too).
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<LogRecord>>>);

impl Recording {
    fn take(&self) -> Vec<LogRecord> {
        let mut records = self.0.lock().unwrap();
        let mine = records
            .iter()
            .filter(|r| r.target == module_path!())
            .cloned()
            .collect();
        records.clear();
        mine
    }
}

impl Logger for Recording {
    fn log(&self, record: LogRecord) -> Result<()> {
        // Logged from inside the logger: dropped, not recursed into.
        tracing::error!("from inside the logger");
        self.0.lock().unwrap().push(record);
        Ok(())
    }
}

struct Failing;

impl Logger for Failing {
    fn log(&self, record: LogRecord) -> Result<()> {
        if record.message.contains("panic") {
            panic!("logger bug");
        }
        Err(FieldSyncError::Internal {
            reason: "logger bug".into(),
        })
    }
}

fn record(level: LogLevel, message: &str) -> LogRecord {
    LogRecord {
        level,
        target: module_path!().into(),
        message: message.into(),
    }
}

#[test]
fn events_reach_the_logger_at_its_level_until_cleared() {
    let logger = Recording::default();
    set_logger(Box::new(logger.clone()), LogLevel::Trace);
    let error = std::io::Error::other("disk full");
    tracing::info!(attempt = 2, name = "x", error = %error, "retrying");
    tracing::trace!(elapsed = ?std::time::Duration::from_millis(5), "no message fields");
    tracing::debug!(done = true, big = u128::MAX, small = 7_u128);
    assert_eq!(
        logger.take(),
        [
            record(LogLevel::Info, "retrying attempt=2 name=x error=disk full"),
            record(LogLevel::Trace, "no message fields elapsed=5ms"),
            record(LogLevel::Debug, "done=true big=(out of range) small=7"),
        ]
    );

    set_logger(Box::new(logger.clone()), LogLevel::Warn);
    tracing::error!("an error");
    tracing::warn!("a warning");
    tracing::info!("some information");
    tracing::debug!("a detail");
    assert_eq!(
        logger.take(),
        [
            record(LogLevel::Error, "an error"),
            record(LogLevel::Warn, "a warning")
        ]
    );

    // Throwing or panicking, the logger fails nothing.
    set_logger(Box::new(Failing), LogLevel::Info);
    tracing::info!("an error from the logger");
    tracing::info!("a panic in the logger");
    set_logger(Box::new(logger.clone()), LogLevel::Info);
    tracing::info!("after the failing logger");
    assert_eq!(
        logger.take(),
        [record(LogLevel::Info, "after the failing logger")]
    );

    // A panic reaches the logger at Error before it unwinds (or, in the
    // lean flavour's shipped library, aborts), under its own target.
    let panicked = std::panic::catch_unwind(|| fieldsync::panic_for_tests("boom 7".into()));
    assert!(panicked.is_err());
    let records = std::mem::take(&mut *logger.0.lock().unwrap());
    let panics: Vec<_> = records
        .iter()
        .filter(|r| r.target == "fieldsync::panic")
        .collect();
    assert_eq!(panics.len(), 1, "{records:?}");
    assert_eq!(panics[0].level, LogLevel::Error);
    assert!(panics[0].message.ends_with("boom 7"), "{:?}", panics[0]);
    assert!(panics[0].message.contains("panicked at"), "{:?}", panics[0]);

    clear_logger();
    assert_eq!(LevelFilter::current(), LevelFilter::OFF);
    tracing::error!("after clear_logger");
    assert_eq!(logger.take(), []);
    assert_eq!(Arc::strong_count(&logger.0), 1, "released");
}
