//! Marketing segments: the Portal's Marketing_Segment table.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{LocalizedText, VisitFrequency, optional_text, validate_id};
use crate::error::{Error, Result};

/// Longest segment name or picklist label, per language.
pub const MAX_LABEL_CHARS: usize = 200;
/// Longest segment description (a Portal text area).
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// Which organizations see a catalogue entry: all of them (the Portal's
/// default, `ALL` on the wire) or one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum OrgScope {
    #[default]
    All,
    Organization(String),
}

impl OrgScope {
    pub const ALL_WIRE: &'static str = "ALL";

    /// Parses the Portal's Organization field: absent or `ALL` mean all.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        match raw.map(str::trim) {
            None => Ok(OrgScope::All),
            Some(s) if s.eq_ignore_ascii_case(Self::ALL_WIRE) => Ok(OrgScope::All),
            Some(s) => {
                validate_id("organization", s)?;
                Ok(OrgScope::Organization(s.to_owned()))
            }
        }
    }

    /// Whether a customer of `organization_id` may use the entry.
    pub fn covers(&self, organization_id: &str) -> bool {
        match self {
            OrgScope::All => true,
            OrgScope::Organization(id) => id == organization_id,
        }
    }

    /// The organization id, `None` for all (how the store keeps it).
    pub fn organization_id(&self) -> Option<&str> {
        match self {
            OrgScope::All => None,
            OrgScope::Organization(id) => Some(id),
        }
    }

    pub fn from_organization_id(id: Option<String>) -> Self {
        id.map_or(OrgScope::All, OrgScope::Organization)
    }
}

impl fmt::Display for OrgScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.organization_id().unwrap_or(Self::ALL_WIRE))
    }
}

impl TryFrom<String> for OrgScope {
    type Error = Error;
    fn try_from(raw: String) -> Result<Self> {
        OrgScope::parse(Some(&raw))
    }
}

impl From<OrgScope> for String {
    fn from(scope: OrgScope) -> String {
        scope.to_string()
    }
}

/// A segment's editable fields, validated: what the Portal's form holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentDefinition {
    pub scope: OrgScope,
    pub name: LocalizedText,
    pub visit_frequency: VisitFrequency,
    pub description: Option<String>,
}

/// The Portal's form as it arrives (the admin API's request body), before
/// validation. Every field is optional here so that a missing one is reported
/// by [`SegmentDraft::validate`] with its name, not by a JSON decoder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentDraft {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub name: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub visit_frequency: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl SegmentDraft {
    pub fn validate(&self) -> Result<SegmentDefinition> {
        let scope = OrgScope::parse(self.organization.as_deref())?;
        let name = LocalizedText::new("name", self.name.iter().flatten(), MAX_LABEL_CHARS)?;
        let visit_frequency = match self.visit_frequency.as_deref() {
            None => VisitFrequency::None,
            Some(code) => VisitFrequency::from_code(code)?,
        };
        let description = optional_text(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_CHARS,
        )?;
        Ok(SegmentDefinition {
            scope,
            name,
            visit_frequency,
            description,
        })
    }
}

/// A marketing segment as the device keeps it, deleted ones included
/// (tombstones keep their labels for customers that still carry them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: String,
    #[serde(rename = "organization", default)]
    pub scope: OrgScope,
    pub name: LocalizedText,
    #[serde(default)]
    pub visit_frequency: VisitFrequency,
    #[serde(default)]
    pub description: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub deleted: bool,
}

impl Segment {
    pub fn new(
        id: impl Into<String>,
        definition: SegmentDefinition,
        version: i64,
        updated_at: DateTime<Utc>,
    ) -> Self {
        Segment {
            id: id.into(),
            scope: definition.scope,
            name: definition.name,
            visit_frequency: definition.visit_frequency,
            description: definition.description,
            version,
            updated_at,
            deleted: false,
        }
    }

    /// Checks what the types cannot: ids, description length.
    pub fn validate(&self) -> Result<()> {
        validate_id("id", &self.id)?;
        if let OrgScope::Organization(org) = &self.scope {
            validate_id("organization", org)?;
        }
        optional_text(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_CHARS,
        )?;
        Ok(())
    }
}

/// One entry of the segment dropdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentOption {
    pub id: String,
    pub label: String,
    pub visit_frequency: VisitFrequency,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationReason;

    fn draft(json: &str) -> SegmentDraft {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_minimal_draft_takes_the_portal_defaults() {
        let def = draft(r#"{"name":{"en":"Retail"}}"#).validate().unwrap();
        assert_eq!(def.scope, OrgScope::All);
        assert_eq!(def.visit_frequency, VisitFrequency::None);
        assert_eq!(def.description, None);
    }

    #[test]
    fn a_full_draft() {
        let def = draft(
            r#"{"organization":"org-north","name":{"en":"Retail","nl":"Detailhandel"},"visit_frequency":"every_2_weeks","description":"  Shops  "}"#,
        )
        .validate()
        .unwrap();
        assert_eq!(def.scope, OrgScope::Organization("org-north".into()));
        assert_eq!(def.visit_frequency, VisitFrequency::Every2Weeks);
        assert_eq!(def.description.as_deref(), Some("Shops"));
        assert!(def.scope.covers("org-north"));
        assert!(!def.scope.covers("org-south"));
        assert!(OrgScope::All.covers("anything"));
    }

    fn field_of(err: Error) -> (String, ValidationReason) {
        match err {
            Error::Validation { field, reason } => (field, reason),
            other => panic!("not a validation error: {other}"),
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (r#"{}"#, "name", ValidationReason::NoText),
            (r#"{"name":{"en":"  "}}"#, "name", ValidationReason::NoText),
            (
                r#"{"name":{"en":"A"},"visit_frequency":"hourly"}"#,
                "visit_frequency",
                ValidationReason::UnknownCode,
            ),
            (
                r#"{"name":{"en":"A"},"organization":"  "}"#,
                "organization",
                ValidationReason::Blank,
            ),
            (
                r#"{"name":{"en":"A"},"organization":"org north"}"#,
                "organization",
                ValidationReason::Malformed,
            ),
            (
                r#"{"name":{"e_n!":"A"}}"#,
                "name.language",
                ValidationReason::Malformed,
            ),
        ];
        for (json, field, reason) in cases {
            assert_eq!(
                field_of(draft(json).validate().unwrap_err()),
                (field.to_string(), reason),
                "{json}"
            );
        }
        let long = SegmentDraft {
            name: Some([("en".to_string(), "A".to_string())].into()),
            description: Some("x".repeat(2_001)),
            ..Default::default()
        };
        assert_eq!(
            field_of(long.validate().unwrap_err()),
            (
                "description".into(),
                ValidationReason::TooLong { max_chars: 2_000 }
            )
        );
        let long_name = SegmentDraft {
            name: Some([("nl".to_string(), "A".repeat(201))].into()),
            ..Default::default()
        };
        assert_eq!(
            field_of(long_name.validate().unwrap_err()),
            (
                "name.nl".into(),
                ValidationReason::TooLong { max_chars: 200 }
            )
        );
    }

    #[test]
    fn the_wire_form_writes_all_as_all() {
        let seg = Segment::new(
            "seg-1",
            draft(r#"{"name":{"en":"Retail"},"visit_frequency":"weekly"}"#)
                .validate()
                .unwrap(),
            3,
            "2026-11-23T10:00:00Z".parse().unwrap(),
        );
        let json = serde_json::to_value(&seg).unwrap();
        assert_eq!(json["organization"], "ALL");
        assert_eq!(json["visit_frequency"], "weekly");
        let back: Segment = serde_json::from_value(json).unwrap();
        assert_eq!(back, seg);
    }
}
