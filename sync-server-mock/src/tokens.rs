//! Bearer tokens: random and opaque, kept in memory with their expiry. A
//! restarted server forgets them and clients sign in again, which is what a
//! client must cope with anyway. Logout revokes a token at once. A leaf: `auth` issues and checks them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

/// Most live tokens one user holds: a device signs in once and keeps its
/// token, so more means a script signing in over and over; each new one
/// then revokes the user's oldest, and the map stays small.
pub const MAX_TOKENS_PER_USER: usize = 64;

/// Live tokens of one server.
pub struct TokenStore {
    ttl: Duration,
    /// token -> (user, expiry, issue number: orders tokens of one instant)
    tokens: Mutex<HashMap<String, (String, Instant, u64)>>,
    issued: std::sync::atomic::AtomicU64,
}

impl TokenStore {
    pub fn new(ttl: Duration) -> Self {
        TokenStore {
            ttl,
            tokens: Mutex::new(HashMap::new()),
            issued: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A new token for `user_id`.
    pub fn issue(&self, user_id: &str) -> String {
        let bytes: [u8; 32] = rand::rng().random();
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        // Forget expired tokens here so the map cannot grow without bound.
        tokens.retain(|_, (_, expiry, _)| *expiry > now);
        let mut own: Vec<(u64, String)> = tokens
            .iter()
            .filter(|(_, (user, _, _))| user == user_id)
            .map(|(t, (_, _, number))| (*number, t.clone()))
            .collect();
        if own.len() >= MAX_TOKENS_PER_USER {
            own.sort();
            for (_, oldest) in own.iter().take(own.len() + 1 - MAX_TOKENS_PER_USER) {
                tokens.remove(oldest);
            }
        }
        let number = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokens.insert(token.clone(), (user_id.to_owned(), now + self.ttl, number));
        token
    }

    /// The user of a live token.
    pub fn user_of(&self, token: &str) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(token)
            .filter(|(_, expiry, _)| *expiry > Instant::now())
            .map(|(user, _, _)| user.clone())
    }

    /// Forgets `token`: it stops working at once. Unknown or expired
    /// tokens are no error (logout is idempotent).
    pub fn revoke(&self, token: &str) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.remove(token);
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_a_bounded_number_of_tokens_and_loses_the_oldest() {
        let store = TokenStore::new(Duration::from_secs(3600));
        let other = store.issue("someone-else");
        let first = store.issue("tech");
        let mut last = String::new();
        for _ in 0..MAX_TOKENS_PER_USER {
            last = store.issue("tech");
        }
        assert_eq!(store.user_of(&first), None, "the oldest is revoked");
        assert_eq!(store.user_of(&last).as_deref(), Some("tech"));
        assert_eq!(store.user_of(&other).as_deref(), Some("someone-else"));
        let live = store.tokens.lock().unwrap().len();
        assert_eq!(live, MAX_TOKENS_PER_USER + 1);
    }
}
