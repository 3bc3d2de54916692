//! Bearer tokens: random and opaque, kept in memory with their expiry. A
//! restarted server forgets them and clients sign in again, which is what a
//! client must cope with anyway. Logout revokes a token at once. A leaf: `auth` issues and checks them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

/// Live tokens of one server.
pub struct TokenStore {
    ttl: Duration,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl TokenStore {
    pub fn new(ttl: Duration) -> Self {
        TokenStore {
            ttl,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// A new token for `user_id`.
    pub fn issue(&self, user_id: &str) -> String {
        let bytes: [u8; 32] = rand::rng().random();
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        // Forget expired tokens here so the map cannot grow without bound.
        tokens.retain(|_, (_, expiry)| *expiry > now);
        tokens.insert(token.clone(), (user_id.to_owned(), now + self.ttl));
        token
    }

    /// The user of a live token.
    pub fn user_of(&self, token: &str) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(token)
            .filter(|(_, expiry)| *expiry > Instant::now())
            .map(|(user, _)| user.clone())
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
