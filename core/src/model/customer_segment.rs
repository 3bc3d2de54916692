//! Customer segments in the marketing sense: groups of customers, either
//! static (members put in and taken out explicitly) or defined by
//! conditions (criteria evaluated on the device). Not to be confused with
//! the marketing segment, the one dropdown value of a customer.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::criteria::Criteria;
use super::{OrgScope, optional_text, required_text, validate_id};
use crate::error::{Error, Result, ValidationReason};

pub const MAX_CUSTOMER_SEGMENT_NAME_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
/// Priorities run from 0 to this; higher wins the primary segment.
pub const MAX_PRIORITY: i64 = 1_000;

/// How a customer segment gets its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerSegmentKind {
    /// An empty segment: members are put in and taken out explicitly (by
    /// marketing automation, or by a manager on the device).
    Static,
    /// Defined by criteria, evaluated on the device.
    Conditional,
}

impl CustomerSegmentKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Conditional => "conditional",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "static" => Some(Self::Static),
            "conditional" => Some(Self::Conditional),
            _ => None,
        }
    }
}

/// A customer segment's definition, as the feed's `customer_segments`
/// record and the Portal's API answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerSegment {
    pub id: String,
    #[serde(rename = "organization", default)]
    pub scope: OrgScope,
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub priority: i64,
    pub kind: CustomerSegmentKind,
    /// Conditional only: membership follows the data (re-evaluated as it
    /// changes). Otherwise it is a snapshot taken when the definition
    /// arrives or is explicitly refreshed.
    #[serde(default)]
    pub flexi: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Conditional only: the criteria tree (see `docs/criteria.md`).
    #[serde(default)]
    pub criteria: Option<Value>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// The Portal's form, before validation: every field optional so that a
/// missing one is reported by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerSegmentDraft {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    /// `static` or `conditional`; defaults to `conditional` when criteria
    /// are given, `static` otherwise.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub flexi: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub criteria: Option<Value>,
}

/// A validated definition: what a segment is, without id and version.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerSegmentDefinition {
    pub scope: OrgScope,
    pub name: String,
    pub note: Option<String>,
    pub priority: i64,
    pub kind: CustomerSegmentKind,
    pub flexi: bool,
    pub tags: Vec<String>,
    pub criteria: Option<Criteria>,
}

impl CustomerSegmentDraft {
    pub fn validate(&self) -> Result<CustomerSegmentDefinition> {
        let scope = OrgScope::parse(self.organization.as_deref())?;
        let name = required_text(
            "name",
            self.name.as_deref().unwrap_or(""),
            MAX_CUSTOMER_SEGMENT_NAME_CHARS,
        )?;
        let note = optional_text("note", self.note.as_deref(), MAX_NOTE_CHARS)?;
        let priority = self.priority.unwrap_or(0);
        if !(0..=MAX_PRIORITY).contains(&priority) {
            return Err(Error::invalid(
                "priority",
                ValidationReason::OutOfRange {
                    min: 0,
                    max: MAX_PRIORITY,
                },
            ));
        }
        let kind = match self.kind.as_deref() {
            Some(code) => CustomerSegmentKind::from_code(code)
                .ok_or_else(|| Error::invalid("kind", ValidationReason::UnknownCode))?,
            None if self.criteria.is_some() => CustomerSegmentKind::Conditional,
            None => CustomerSegmentKind::Static,
        };
        let tags = validate_tags(self.tags.as_deref().unwrap_or_default())?;
        let flexi = self.flexi.unwrap_or(false);
        let criteria = match kind {
            CustomerSegmentKind::Static => {
                if self.criteria.is_some() {
                    return Err(Error::invalid("criteria", ValidationReason::UnknownCode));
                }
                if flexi {
                    return Err(Error::invalid("flexi", ValidationReason::UnknownCode));
                }
                None
            }
            CustomerSegmentKind::Conditional => {
                Some(Criteria::parse(self.criteria.as_ref().ok_or_else(
                    || Error::invalid("criteria", ValidationReason::Blank),
                )?)?)
            }
        };
        Ok(CustomerSegmentDefinition {
            scope,
            name,
            note,
            priority,
            kind,
            flexi,
            tags,
            criteria,
        })
    }
}

fn validate_tags(tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "tags",
            ValidationReason::OutOfRange {
                min: 0,
                max: MAX_TAGS as i64,
            },
        ));
    }
    let mut seen = BTreeSet::new();
    tags.iter()
        .enumerate()
        .map(|(i, tag)| {
            let field = format!("tags[{i}]");
            let tag = required_text(&field, tag, MAX_TAG_CHARS)?;
            if !seen.insert(tag.to_lowercase()) {
                return Err(Error::invalid(field, ValidationReason::Duplicate));
            }
            Ok(tag)
        })
        .collect()
}

impl CustomerSegment {
    pub fn new(
        id: impl Into<String>,
        definition: CustomerSegmentDefinition,
        version: i64,
        updated_at: DateTime<Utc>,
    ) -> Self {
        CustomerSegment {
            id: id.into(),
            scope: definition.scope,
            name: definition.name,
            note: definition.note,
            priority: definition.priority,
            kind: definition.kind,
            flexi: definition.flexi,
            tags: definition.tags,
            criteria: definition.criteria.as_ref().map(Criteria::to_json),
            version,
            updated_at,
        }
    }

    /// Validates a record from the feed and returns its parsed criteria.
    pub fn validate(&self) -> Result<Option<Criteria>> {
        validate_id("id", &self.id)?;
        let draft = CustomerSegmentDraft {
            organization: Some(self.scope.to_string()),
            name: Some(self.name.clone()),
            note: self.note.clone(),
            priority: Some(self.priority),
            kind: Some(self.kind.code().to_owned()),
            flexi: Some(self.flexi),
            tags: Some(self.tags.clone()),
            criteria: self.criteria.clone(),
        };
        Ok(draft.validate()?.criteria)
    }

    pub fn is_static(&self) -> bool {
        self.kind == CustomerSegmentKind::Static
    }
}

/// Finds a cycle of segment inclusions that would pass through `start`
/// if it referenced `start_refs`: `graph` maps every other segment to the
/// segments its criteria reference. Returns the cycle (`[A, B, A]`).
pub fn inclusion_cycle(
    start: &str,
    start_refs: &BTreeSet<String>,
    graph: &BTreeMap<String, BTreeSet<String>>,
) -> Option<Vec<String>> {
    // Depth-first search from each of start's references back to start.
    fn walk(
        node: &str,
        start: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        path.push(node.to_owned());
        if node == start {
            return true;
        }
        if seen.insert(node.to_owned()) {
            for next in graph.get(node).into_iter().flatten() {
                if walk(next, start, graph, path, seen) {
                    return true;
                }
            }
        }
        path.pop();
        false
    }
    let mut seen = BTreeSet::new();
    for first in start_refs {
        let mut path = vec![start.to_owned()];
        if walk(first, start, graph, &mut path, &mut seen) {
            return Some(path);
        }
    }
    None
}

/// The error for a definition that would include itself: names the path of
/// the `in_segment` node that closes the cycle.
pub fn cycle_error(criteria: &Criteria, cycle: &[String]) -> Error {
    let first_step = cycle.get(1).map(String::as_str).unwrap_or_default();
    let path = criteria
        .segment_reference_paths("criteria")
        .into_iter()
        .find(|(_, id)| id == first_step)
        .map_or_else(|| "criteria".to_owned(), |(path, _)| path);
    Error::invalid(path, ValidationReason::Cycle)
}

impl Criteria {
    /// Every `in_segment` node with its path.
    pub fn segment_reference_paths(&self, root: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        fn walk(c: &Criteria, path: String, out: &mut Vec<(String, String)>) {
            match c {
                Criteria::All(children) | Criteria::Any(children) => {
                    let key = if matches!(c, Criteria::All(_)) {
                        "all"
                    } else {
                        "any"
                    };
                    for (i, child) in children.iter().enumerate() {
                        walk(child, format!("{path}.{key}[{i}]"), out);
                    }
                }
                Criteria::Not(child) => walk(child, format!("{path}.not"), out),
                Criteria::InSegment(id) => out.push((format!("{path}.in_segment"), id.clone())),
                _ => {}
            }
        }
        walk(self, root.to_owned(), &mut out);
        out
    }
}
