//! What every handler shares. Depends only on leaves (tokens, the fault
//! plan, the database), so the modules that use it import no circle.

use std::sync::Arc;

use crate::fault_plan::FaultState;
use crate::store::Db;
use crate::throttle::LoginThrottle;
use crate::tokens::TokenStore;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: Arc<TokenStore>,
    pub faults: Arc<FaultState>,
    pub throttle: Arc<LoginThrottle>,
}
