//! Who is working: the session and the roles the rule depends on.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{LanguageTag, validate_id};
use crate::error::{Error, Result, ValidationReason};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Role {
    Technician,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Technician, Role::Manager, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| Error::invalid("role", ValidationReason::UnknownCode))
    }

    /// Whether this role may change the segment of a customer the server has
    /// already accepted. Technicians may not: they ask a manager or an admin.
    pub fn may_change_existing_segment(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Role {
    type Error = Error;
    fn try_from(code: String) -> Result<Self> {
        Self::from_code(&code)
    }
}

impl From<Role> for &'static str {
    fn from(r: Role) -> Self {
        r.code()
    }
}

/// The signed-in user, kept in the database so the rule holds offline and
/// after an app restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    pub organization_id: String,
    pub role: Role,
}

impl Session {
    pub fn new(user_id: impl Into<String>, organization_id: impl Into<String>, role: Role) -> Self {
        Session {
            user_id: user_id.into(),
            organization_id: organization_id.into(),
            role,
        }
    }

    pub fn validate(&self) -> Result<()> {
        validate_id("user_id", &self.user_id)?;
        validate_id("organization_id", &self.organization_id)
    }
}

/// An organization as far as the device needs it: its default language is
/// one step of the label fallback chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub default_language: Option<LanguageTag>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_managers_and_admins_change_existing_segments() {
        assert!(!Role::Technician.may_change_existing_segment());
        assert!(Role::Manager.may_change_existing_segment());
        assert!(Role::Admin.may_change_existing_segment());
    }

    #[test]
    fn roles_round_trip_and_reject_unknown_codes() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()).unwrap(), role);
        }
        assert!(Role::from_code("Technician").is_err());
        assert!(serde_json::from_str::<Role>("\"owner\"").is_err());
    }

    #[test]
    fn sessions_need_ids() {
        assert!(
            Session::new("u1", "org-north", Role::Technician)
                .validate()
                .is_ok()
        );
        assert!(matches!(
            Session::new("", "org-north", Role::Technician).validate(),
            Err(Error::Validation { ref field, .. }) if field == "user_id"
        ));
    }
}
