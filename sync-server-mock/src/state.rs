//! What every handler shares.

use std::sync::Arc;

use crate::auth::TokenStore;
use crate::faults::FaultState;
use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: Arc<TokenStore>,
    pub faults: Arc<FaultState>,
}
