//! The Portal admin API (`/portal/v1`): what the office uses to configure
//! the catalogue and edit customers. Admins and managers only.

pub mod catalogue;
pub mod customer_segments;
pub mod customers;
pub mod profiles;
pub mod users;

/// A new server-made id: a prefix saying what it is, and a UUID.
fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}
