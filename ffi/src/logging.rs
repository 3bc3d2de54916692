//! The app's logger: the library's `tracing` events (core, client and this
//! crate all log with `tracing`) forwarded to a [`Logger`] the app sets with
//! [`set_logger`].
//!
//! A `Subscriber` of our own rather than `tracing-subscriber`, whose size
//! the library's budget cannot take. It is installed as the global default
//! on the first `set_logger` and records events only, no spans. Off costs
//! nothing beyond tracing's own checks: the app's level is the subscriber's
//! `max_level_hint` and decides each callsite's `Interest`, both rebuilt on
//! every change, so with no logger an event stops at tracing's global
//! `LevelFilter` (one relaxed atomic load), as before any logger was set.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Once, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::error::Result;

/// How much the library logs, from least to most. Release builds of the
/// library contain no `Debug` and `Trace` events (compiled out for size and
/// speed), so there `Debug` and `Trace` forward what `Info` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// A failure the library could not work around.
    Error,
    /// A failure the library worked around (a failing app callback, a
    /// record this build cannot read, a failed customer segment
    /// evaluation).
    Warn,
    /// What the library did: schema upgrades, retries.
    Info,
    /// Details for developers (debug builds only).
    Debug,
    /// Every detail (debug builds only).
    Trace,
}

impl From<LogLevel> for LevelFilter {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

impl From<Level> for LogLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// One event the library logged. It never holds customer data, tokens or
/// passwords: messages name ids, counts, fields and error kinds.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LogRecord {
    /// How severe (or how detailed) it is.
    pub level: LogLevel,
    /// Where in the library it comes from, a Rust module path such as
    /// `fieldsync_core::sync::engine`: a tag for Logcat or a category for
    /// `os.Logger`.
    pub target: String,
    /// The message, then its fields as `key=value`, e.g.
    /// `sync request failed; retrying error=HTTP 503 attempt=0`.
    pub message: String,
}

/// Receives the library's log records, to forward them to Logcat, `os_log`,
/// Timber or a file. Implemented by the app and set with `set_logger`.
// A callback interface, not `with_foreign` like `SyncObserver`: the library
// never hands a logger back, and the object scaffolding costs 1.8 KB.
#[uniffi::export(callback_interface)]
pub trait Logger: Send + Sync {
    /// One record. Called on the thread that logged (a fieldsync thread or
    /// the app's own, inside a library call): return quickly, and do not
    /// call fieldsync from here (what it would log is dropped, and it may
    /// wait on a lock the logging call holds). Whatever it throws is
    /// ignored.
    fn log(&self, record: LogRecord) -> Result<()>;
}

/// Sends the library's log records of `level` and more severe to `logger`,
/// in place of any logger set before; `clear_logger` stops them. Logging is
/// off until this is called. Release builds of the library (what apps
/// ship) forward `Error`, `Warn` and `Info` records only: `Debug` and
/// `Trace` events are compiled out of them; debug builds forward every
/// level. Records never hold customer data, tokens or passwords.
#[uniffi::export]
pub fn set_logger(logger: Box<dyn Logger>, level: LogLevel) {
    replace_logger(Some((logger.into(), level.into())));
}

/// Stops sending log records to the logger `set_logger` set (it is
/// released). Logging is then off: an event costs one atomic load.
#[uniffi::export]
pub fn clear_logger() {
    replace_logger(None);
}

/// The app's logger and the most verbose level it takes; `None`: off.
static LOGGER: RwLock<Option<(Arc<dyn Logger>, LevelFilter)>> = RwLock::new(None);

fn replace_logger(new: Option<(Arc<dyn Logger>, LevelFilter)>) {
    let old = std::mem::replace(
        &mut *LOGGER.write().unwrap_or_else(PoisonError::into_inner),
        new,
    );
    // Released outside the lock: releasing a foreign object calls the app.
    drop(old);
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Fails only if a global subscriber is set already, which nothing
        // else in this library does; the app's own tracing (if any) is
        // another copy of the crate and not affected.
        let _ = tracing::subscriber::set_global_default(Forwarder);
        // A panic (a bug in fieldsync) reaches the app's logger too, at
        // `Error`, before Rust's own report on stderr, which Android sends
        // nowhere: in the lean flavour's shipped library a panic aborts the
        // app, and this record is what the app's log keeps of it. The hook
        // is this library's own std's: panics elsewhere in the app are not
        // seen.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            tracing::error!(target: "fieldsync::panic", "{info}");
            previous(info);
        }));
    });
    // Callsites cache their interest and tracing its global level: both
    // follow the new level from now on.
    tracing::callsite::rebuild_interest_cache();
}

fn max_level() -> LevelFilter {
    LOGGER
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map_or(LevelFilter::OFF, |(_, level)| *level)
}

thread_local! {
    /// Set while this thread is in the app's logger: an event logged from
    /// inside it (by a fieldsync call the logger makes) is dropped rather
    /// than sent back to the logger.
    static IN_LOGGER: Cell<bool> = const { Cell::new(false) };
}

/// The global subscriber: events at the app's level go to its logger.
struct Forwarder;

impl Subscriber for Forwarder {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && *metadata.level() <= max_level()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(max_level())
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Spans are never enabled (`enabled`); tracing still wants an id.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let logger = match &*LOGGER.read().unwrap_or_else(PoisonError::into_inner) {
            Some((logger, level)) if *metadata.level() <= *level => logger.clone(),
            _ => return,
        };
        // `try_with`: a thread being torn down has no thread-locals left.
        if IN_LOGGER.try_with(|flag| flag.replace(true)) != Ok(false) {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let record = LogRecord {
            level: (*metadata.level()).into(),
            target: metadata.target().to_owned(),
            message: message.into_text(),
        };
        // An app logger that throws or panics must not fail the call that
        // logged; nothing is logged about it (that would call it again).
        let _ = catch_unwind(AssertUnwindSafe(|| logger.log(record)));
        let _ = IN_LOGGER.try_with(|flag| flag.set(false));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// An event's text: its `message` field, then the others as `key=value`.
#[derive(Default)]
struct Message {
    text: String,
    fields: String,
}

impl Message {
    fn into_text(mut self) -> String {
        if self.text.is_empty() {
            return self.fields;
        }
        if !self.fields.is_empty() {
            self.text.push(' ');
            self.text.push_str(&self.fields);
        }
        self.text
    }

    fn field(&mut self, field: &Field) -> &mut String {
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        self.fields.push_str(field.name());
        self.fields.push('=');
        &mut self.fields
    }
}

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.push_str(value);
        } else {
            self.field(field).push_str(value);
        }
    }

    // No event of the library records 128-bit integers or bytes: the
    // default methods would link their formatting code (about 2 KB).
    fn record_i128(&mut self, field: &Field, value: i128) {
        match i64::try_from(value) {
            Ok(value) => self.record_i64(field, value),
            Err(_) => self.record_str(field, "(out of range)"),
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        match u64::try_from(value) {
            Ok(value) => self.record_u64(field, value),
            Err(_) => self.record_str(field, "(out of range)"),
        }
    }

    fn record_bytes(&mut self, field: &Field, _: &[u8]) {
        self.record_str(field, "(bytes)");
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.text, "{value:?}");
        } else {
            let _ = write!(self.field(field), "{value:?}");
        }
    }
}
