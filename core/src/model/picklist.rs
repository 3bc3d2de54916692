//! The other account classifications: status, source, industry and channel.
//! One generic type for the four lists.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{LocalizedText, MAX_LABEL_CHARS, OrgScope, validate_id};
use crate::error::{Error, Result, ValidationReason};

/// Which classification list a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum PicklistKind {
    Status,
    Source,
    Industry,
    Channel,
}

impl PicklistKind {
    pub const ALL: [PicklistKind; 4] = [Self::Status, Self::Source, Self::Industry, Self::Channel];

    pub fn code(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Source => "source",
            Self::Industry => "industry",
            Self::Channel => "channel",
        }
    }

    pub fn from_code(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| Error::invalid("kind", ValidationReason::UnknownCode))
    }

    /// The customer field that holds a value of this list.
    pub fn customer_field(self) -> &'static str {
        match self {
            Self::Status => "status_id",
            Self::Source => "source_id",
            Self::Industry => "industry_id",
            Self::Channel => "channel_id",
        }
    }
}

impl fmt::Display for PicklistKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for PicklistKind {
    type Error = Error;
    fn try_from(code: String) -> Result<Self> {
        Self::from_code(&code)
    }
}

impl From<PicklistKind> for &'static str {
    fn from(k: PicklistKind) -> Self {
        k.code()
    }
}

/// One value of a classification list, deleted ones included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistValue {
    pub id: String,
    pub kind: PicklistKind,
    #[serde(rename = "organization", default)]
    pub scope: OrgScope,
    pub label: LocalizedText,
    #[serde(default)]
    pub sort_order: i64,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub deleted: bool,
}

impl PicklistValue {
    pub fn validate(&self) -> Result<()> {
        validate_id("id", &self.id)?;
        if let OrgScope::Organization(org) = &self.scope {
            validate_id("organization", org)?;
        }
        Ok(())
    }
}

/// The Portal's picklist form as it arrives, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistDraft {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub label: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub sort_order: Option<i64>,
}

impl PicklistDraft {
    /// Validates the form: (scope, label, sort order).
    pub fn validate(&self) -> Result<(OrgScope, LocalizedText, i64)> {
        let scope = OrgScope::parse(self.organization.as_deref())?;
        let label = LocalizedText::new("label", self.label.iter().flatten(), MAX_LABEL_CHARS)?;
        Ok((scope, label, self.sort_order.unwrap_or(0)))
    }
}

/// One entry of a classification dropdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PicklistOption {
    pub id: String,
    pub label: String,
    pub sort_order: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_stable_codes() {
        for kind in PicklistKind::ALL {
            assert_eq!(PicklistKind::from_code(kind.code()).unwrap(), kind);
        }
        assert!(matches!(
            PicklistKind::from_code("segment"),
            Err(Error::Validation {
                reason: ValidationReason::UnknownCode,
                ..
            })
        ));
        assert_eq!(PicklistKind::Channel.customer_field(), "channel_id");
    }

    #[test]
    fn drafts_validate_like_segments() {
        let d: PicklistDraft =
            serde_json::from_str(r#"{"label":{"en":"Active","nl":"Actief"},"sort_order":2}"#)
                .unwrap();
        let (scope, label, order) = d.validate().unwrap();
        assert_eq!(scope, OrgScope::All);
        assert_eq!(label.entries().count(), 2);
        assert_eq!(order, 2);
        let bad: PicklistDraft = serde_json::from_str(r#"{"label":{"en":""}}"#).unwrap();
        assert!(
            matches!(bad.validate(), Err(Error::Validation { ref field, reason: ValidationReason::NoText }) if field == "label")
        );
    }
}
