//! Login throttling: after `max_failures` consecutive failed logins for one
//! username (known or not, so the answer does not tell whether a user
//! exists), logins for it are refused with 429 and `Retry-After` until the
//! lockout ends, whatever the password. A successful login resets the count.
//! `auth::login` counts an attempt before its hash check and clears the
//! count on success, so concurrent guesses cannot exceed the limit; an
//! attempt that gets no verdict (the client went away) is taken back
//! ([`Attempt`]). In memory, like the tokens.

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

    /// Takes back an attempt `failed` counted that got no verdict: the
    /// client went away during the hash check (its request was cancelled)
    /// or the server failed. It learnt nothing, so it neither counts nor
    /// locks: a device whose syncs are cut off mid-login is not locked out.
    pub fn abandoned(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(username) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures < self.max_failures {
                entry.locked_until = None;
            }
        }
    }

    /// A successful login: the count starts again.
    pub fn succeeded(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(username);
    }
}

/// A login attempt counted before its hash check; dropped without a
/// verdict (the handler cancelled, an error), it is taken back.
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    username: &'a str,
    settled: bool,
}

impl<'a> Attempt<'a> {
    /// Counts the attempt as failed until a verdict says otherwise.
    pub fn begin(throttle: &'a LoginThrottle, username: &'a str) -> Self {
        throttle.failed(username);
        Attempt {
            throttle,
            username,
            settled: false,
        }
    }

    /// The password was wrong: the attempt stays counted.
    pub fn failed(mut self) {
        self.settled = true;
    }

    /// The password was right: the count starts again.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle.succeeded(self.username);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle.abandoned(self.username);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_without_a_verdict_are_taken_back() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        Attempt::begin(&t, "a").failed();
        Attempt::begin(&t, "a").failed();
        // The third would lock; cancelled mid-check, it is taken back.
        for _ in 0..10 {
            drop(Attempt::begin(&t, "a"));
            assert!(t.check("a").is_ok(), "abandoned attempts do not lock");
        }
        Attempt::begin(&t, "a").failed();
        assert!(
            t.check("a").is_err(),
            "the third failure with a verdict locks"
        );
        let other = Attempt::begin(&t, "b");
        other.succeeded();
        assert!(t.check("b").is_ok());
        assert!(
            t.entries.lock().unwrap().get("b").is_none(),
            "a success resets"
        );
    }

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
