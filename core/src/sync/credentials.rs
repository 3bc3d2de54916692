//! How the sync engine gets a bearer token.

use std::sync::Arc;

/// Gives bearer tokens for apps that sign in on their own.
pub trait TokenProvider: Send + Sync {
    /// A token; `refresh` is true after the server refused the last one.
    fn token(&self, refresh: bool) -> std::result::Result<String, String>;
}

/// How the engine gets a token.
#[derive(Clone, Default)]
pub enum Credentials {
    /// Not signed in: a run fails with `Unauthorized`.
    #[default]
    None,
    /// Logs in with these, and again when the token expires.
    Password {
        username: String,
        password: String,
    },
    Provider(Arc<dyn TokenProvider>),
}
