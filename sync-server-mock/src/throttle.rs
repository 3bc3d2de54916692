//! Login throttling: after `max_failures` consecutive failed logins for one
//! username (known or not, so the answer does not tell whether a user
//! exists), logins for it are refused with 429 and `Retry-After` until the
//! lockout ends, whatever the password. A successful login resets the count.
//! `auth::login` counts an attempt before its hash check and clears the
//! count on success, so concurrent guesses cannot exceed the limit. In
//! memory, like the tokens.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most usernames tracked; past this, entries that are neither locked nor
/// recent are dropped (an attacker cycling names cannot grow the map).
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

pub struct LoginThrottle {
    max_failures: u32,
    lockout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    /// `max_failures` 0 turns throttling off.
    pub fn new(max_failures: u32, lockout: Duration) -> Self {
        LoginThrottle {
            max_failures,
            lockout,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while `username` is locked out.
    pub fn check(&self, username: &str) -> Result<(), Duration> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match entries.get(username).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failed login; locks the username at the `max_failures`th
    /// consecutive one.
    pub fn failed(&self, username: &str) {
        if self.max_failures == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if entries.len() >= MAX_TRACKED && !entries.contains_key(username) {
            let lockout = self.lockout;
            entries
                .retain(|_, e| e.locked_until.is_some_and(|u| u > now) || now - e.last < lockout);
        }
        let entry = entries.entry(username.to_owned()).or_insert(Entry {
            failures: 0,
            last: now,
            locked_until: None,
        });
        if entry.locked_until.is_some_and(|u| u <= now) {
            // A lockout that ended starts a new count.
            entry.locked_until = None;
            entry.failures = 0;
        }
        entry.failures += 1;
        entry.last = now;
        if entry.failures >= self.max_failures {
            entry.locked_until = Some(now + self.lockout);
        }
    }

    /// A successful login: the count starts again.
    pub fn succeeded(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_consecutive_failures_and_a_success_resets() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        t.failed("a");
        t.failed("a");
        t.succeeded("a");
        t.failed("a");
        t.failed("a");
        assert!(t.check("a").is_ok());
        t.failed("a");
        let wait = t.check("a").unwrap_err();
        assert!(wait > Duration::from_secs(58) && wait <= Duration::from_secs(60));
        assert!(t.check("b").is_ok(), "per username");
    }

    #[test]
    fn a_lockout_ends() {
        let t = LoginThrottle::new(1, Duration::from_millis(20));
        t.failed("a");
        assert!(t.check("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(t.check("a").is_ok());
    }
}
