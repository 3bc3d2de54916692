//! The Portal admin API (`/portal/v1`): what the office uses to configure
//! the catalogue and edit customers. Admins and managers change; every
//! signed-in user reads what they reach (the Portal's screens show a
//! technician the same lists, read-only).
//!
//! Organizations: an admin works on every organization's data; a manager
//! on their own organization's and on the entries shared by all (scope
//! `ALL`), never on another organization's. Entries of another
//! organization are not found (404) for a manager, and a manager may not
//! scope an entry to another organization (403).

use fieldsync_core::model::{OrgScope, Role, Session};

use crate::error::{ApiError, Result};

pub mod catalogue;
pub mod criteria;
pub mod customer_segments;
pub mod customers;
pub mod organizations;
pub mod profiles;
pub mod users;

/// A new server-made id: a prefix saying what it is, and a UUID.
fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

/// Whether `user` may see and change an entry of `scope` (see the module
/// doc).
pub(crate) fn reaches(user: &Session, scope: &OrgScope) -> bool {
    user.role == Role::Admin || scope.covers(&user.organization_id)
}

/// 403 unless `user` may give an entry `scope`.
pub(crate) fn may_scope(user: &Session, scope: &OrgScope) -> Result<()> {
    if reaches(user, scope) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a {} works on their own organization's entries only",
            user.role
        )))
    }
}
