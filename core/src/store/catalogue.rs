//! The catalogue the Portal configures: marketing segments, picklist values
//! and organizations. The device only reads it and applies server changes.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::session::{load_session, require_session};
use super::{Store, query_all};
use crate::error::Result;
use crate::model::fold_for_search;
use crate::model::{
    LanguageTag, LocalizedText, OrgScope, Organization, PicklistKind, PicklistOption,
    PicklistValue, Segment, SegmentOption, VisitFrequency,
};

/// One change from the server: a new or edited entry, or a deletion.
/// Applying a change whose version is not newer than the stored one does
/// nothing, so applying the same batch twice changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change<T> {
    Upsert(T),
    Delete { id: String, version: i64 },
}

/// Resolves stored multi-language text for one locale and organization.
pub(crate) struct Labels {
    locale: LanguageTag,
    org_default: Option<LanguageTag>,
}

impl Labels {
    pub fn new(
        conn: &Connection,
        locale: &LanguageTag,
        organization_id: Option<&str>,
    ) -> Result<Self> {
        let org_default = match organization_id {
            None => None,
            Some(org) => conn
                .prepare_cached("SELECT default_language FROM organizations WHERE id = ?1")?
                .query_row([org], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten()
                .and_then(|tag| LanguageTag::parse(&tag).ok()),
        };
        Ok(Labels {
            locale: locale.clone(),
            org_default,
        })
    }

    pub fn for_session(conn: &Connection, locale: &LanguageTag) -> Result<Self> {
        let org = load_session(conn)?.map(|s| s.organization_id);
        Self::new(conn, locale, org.as_deref())
    }

    pub fn resolve(&self, text: &LocalizedText) -> String {
        text.resolve(&self.locale, self.org_default.as_ref())
            .to_owned()
    }

    pub fn resolve_json(&self, json: &str) -> Result<String> {
        Ok(self.resolve(&LocalizedText::from_stored_json(json)?))
    }
}

/// Sorts dropdown entries by label, case-insensitively (and ignoring
/// accents), then by id so the order is stable.
fn sort_by_label<T>(items: &mut [T], label: impl Fn(&T) -> (&str, &str)) {
    items.sort_by_cached_key(|item| {
        let (label, id) = label(item);
        (fold_for_search(label), id.to_owned())
    });
}

pub fn apply_segment_changes(conn: &Connection, changes: &[Change<Segment>]) -> Result<usize> {
    let mut applied = 0;
    for change in changes {
        applied += match change {
            Change::Upsert(s) => {
                s.validate()?;
                conn.prepare_cached(
                    "INSERT INTO segments (id, organization_id, name, visit_frequency, description, version, updated_at, deleted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (id) DO UPDATE SET
                        organization_id = excluded.organization_id, name = excluded.name,
                        visit_frequency = excluded.visit_frequency, description = excluded.description,
                        version = excluded.version, updated_at = excluded.updated_at, deleted = excluded.deleted
                     WHERE excluded.version > segments.version",
                )?
                .execute(params![
                    s.id,
                    s.scope.organization_id(),
                    s.name.to_json(),
                    s.visit_frequency.code(),
                    s.description,
                    s.version,
                    s.updated_at,
                    s.deleted
                ])?
            }
            Change::Delete { id, version } => conn
                .prepare_cached(
                    "UPDATE segments SET deleted = 1, version = ?2 WHERE id = ?1 AND version < ?2",
                )?
                .execute(params![id, version])?,
        };
    }
    Ok(applied)
}

pub fn apply_picklist_changes(
    conn: &Connection,
    changes: &[Change<PicklistValue>],
) -> Result<usize> {
    let mut applied = 0;
    for change in changes {
        applied += match change {
            Change::Upsert(v) => {
                v.validate()?;
                conn.prepare_cached(
                    "INSERT INTO picklist_values (id, kind, organization_id, label, sort_order, version, updated_at, deleted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (id) DO UPDATE SET
                        kind = excluded.kind, organization_id = excluded.organization_id, label = excluded.label,
                        sort_order = excluded.sort_order, version = excluded.version,
                        updated_at = excluded.updated_at, deleted = excluded.deleted
                     WHERE excluded.version > picklist_values.version",
                )?
                .execute(params![
                    v.id,
                    v.kind.code(),
                    v.scope.organization_id(),
                    v.label.to_json(),
                    v.sort_order,
                    v.version,
                    v.updated_at,
                    v.deleted
                ])?
            }
            Change::Delete { id, version } => conn
                .prepare_cached("UPDATE picklist_values SET deleted = 1, version = ?2 WHERE id = ?1 AND version < ?2")?
                .execute(params![id, version])?,
        };
    }
    Ok(applied)
}

pub fn apply_organizations(conn: &Connection, organizations: &[Organization]) -> Result<()> {
    for org in organizations {
        crate::model::validate_id("organization.id", &org.id)?;
        conn.prepare_cached(
            "INSERT INTO organizations (id, default_language) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET default_language = excluded.default_language",
        )?
        .execute(params![
            org.id,
            org.default_language.as_ref().map(LanguageTag::as_str)
        ])?;
    }
    Ok(())
}

/// Builds the segment dropdown for the session's organization (see
/// `Store::segment_options`, which keeps it).
pub(crate) fn build_segment_options(
    conn: &Connection,
    locale: &LanguageTag,
) -> Result<Vec<SegmentOption>> {
    let session = require_session(conn)?;
    let labels = Labels::new(conn, locale, Some(&session.organization_id))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, visit_frequency FROM segments
         WHERE deleted = 0 AND (organization_id IS NULL OR organization_id = ?1)",
    )?;
    let mut options = query_all(&mut stmt, [&session.organization_id], |r| {
        Ok(SegmentOption {
            id: r.get(0)?,
            label: labels.resolve_json(&r.get::<_, String>(1)?)?,
            visit_frequency: VisitFrequency::from_code(&r.get::<_, String>(2)?)?,
        })
    })?;
    sort_by_label(&mut options, |o| (&o.label, &o.id));
    Ok(options)
}

/// Builds a classification dropdown for the session's organization (see
/// `Store::picklist_options`).
pub(crate) fn build_picklist_options(
    conn: &Connection,
    kind: PicklistKind,
    locale: &LanguageTag,
) -> Result<Vec<PicklistOption>> {
    let session = require_session(conn)?;
    let labels = Labels::new(conn, locale, Some(&session.organization_id))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, label, sort_order FROM picklist_values
         WHERE kind = ?1 AND deleted = 0 AND (organization_id IS NULL OR organization_id = ?2)",
    )?;
    let mut options = query_all(
        &mut stmt,
        params![kind.code(), session.organization_id],
        |r| {
            Ok(PicklistOption {
                id: r.get(0)?,
                label: labels.resolve_json(&r.get::<_, String>(1)?)?,
                sort_order: r.get(2)?,
            })
        },
    )?;
    sort_by_label(&mut options, |o| (&o.label, &o.id));
    options.sort_by_key(|o| o.sort_order); // stable: label order within equal sort orders
    Ok(options)
}

fn read_segment(r: &Row<'_>) -> Result<Segment> {
    Ok(Segment {
        id: r.get("id")?,
        scope: OrgScope::from_organization_id(r.get("organization_id")?),
        name: LocalizedText::from_stored_json(&r.get::<_, String>("name")?)?,
        visit_frequency: VisitFrequency::from_code(&r.get::<_, String>("visit_frequency")?)?,
        description: r.get("description")?,
        version: r.get("version")?,
        updated_at: r.get("updated_at")?,
        deleted: r.get("deleted")?,
    })
}

impl Store {
    /// Applies a batch of segment changes from the server in one transaction.
    /// Returns how many rows changed.
    pub fn apply_segment_changes(&self, changes: &[Change<Segment>]) -> Result<usize> {
        self.write(|tx| apply_segment_changes(tx, changes))
    }

    /// Applies a batch of picklist changes (any of the four lists).
    pub fn apply_picklist_changes(&self, changes: &[Change<PicklistValue>]) -> Result<usize> {
        self.write(|tx| apply_picklist_changes(tx, changes))
    }

    /// Stores organizations (their default language is a label fallback).
    pub fn apply_organizations(&self, organizations: &[Organization]) -> Result<()> {
        self.write(|tx| apply_organizations(tx, organizations))
    }

    /// Every stored segment (all organizations), optionally with tombstones.
    pub fn segments(&self, include_deleted: bool) -> Result<Vec<Segment>> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT * FROM segments WHERE deleted = 0 OR ?1 ORDER BY id")?;
            query_all(&mut stmt, [include_deleted], read_segment)
        })
    }

    /// One stored segment, deleted or not.
    pub fn segment(&self, id: &str) -> Result<Option<Segment>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT * FROM segments WHERE id = ?1")?;
            Ok(query_all(&mut stmt, [id], read_segment)?.pop())
        })
    }
}
