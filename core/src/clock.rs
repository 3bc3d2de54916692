//! Time as the store sees it. Injected, so that date-dependent behaviour
//! ("purchases in the last 30 days", ages, visits due) is tested on a fixed
//! date and never depends on the machine's clock or time zone.

use std::fmt;

use chrono::{DateTime, Local, NaiveDate, Utc};

/// Gives the current instant and the device's calendar date.
pub trait Clock: Send + Sync {
    /// Now, for timestamps (`created_at`, `updated_at`, sync bookkeeping).
    fn now(&self) -> DateTime<Utc>;
    /// The date on the device's calendar (its time zone): "last N days" and
    /// ages count from it.
    fn today(&self) -> NaiveDate;
}

/// The system clock, with the device's local time zone for dates.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        Local::now().date_naive()
    }
}

/// A clock that always answers the same date, for tests and tools. `now`
/// still moves (timestamps must stay distinct and ordered); `today` is the
/// given date.
#[derive(Clone, Copy)]
pub struct FixedDateClock {
    today: NaiveDate,
}

impl FixedDateClock {
    pub fn new(today: NaiveDate) -> Self {
        FixedDateClock { today }
    }
}

impl fmt::Debug for FixedDateClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FixedDateClock({})", self.today)
    }
}

impl Clock for FixedDateClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        self.today
    }
}
