//! Marketing segments and picklist values: what the Portal configures.
//!
//! Rows are core's wire types (`Segment`, `PicklistValue`); edits are
//! validated by core's drafts before they get here. Deleting keeps a
//! tombstone with a new version, so devices learn about it.

use chrono::{DateTime, Utc};
use fieldsync_core::model::{
    CustomerField, LocalizedText, OrgScope, PicklistKind, PicklistValue, Segment,
    SegmentDefinition, VisitFrequency,
};
use fieldsync_core::rules::CatalogueEntryState;
use fieldsync_core::sync::Collection;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{all_rows, next_seq, organization_ids, record_visibility, require_organization};
use crate::error::{ApiError, Result};

const SEGMENT_COLUMNS: &str =
    "id, organization, name, visit_frequency, description, version, updated_at, deleted";
const PICKLIST_COLUMNS: &str =
    "id, kind, organization, label, sort_order, version, updated_at, deleted";

fn corrupt(what: &'static str) -> impl Fn(fieldsync_core::Error) -> rusqlite::Error {
    move |e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, {
            format!("stored {what} is invalid: {e}").into()
        })
    }
}

fn segment_from_row(row: &Row<'_>) -> rusqlite::Result<Segment> {
    Ok(Segment {
        id: row.get(0)?,
        scope: OrgScope::from_organization_id(row.get(1)?),
        name: LocalizedText::from_json(&row.get::<_, String>(2)?).map_err(corrupt("name"))?,
        visit_frequency: VisitFrequency::from_code(&row.get::<_, String>(3)?)
            .map_err(corrupt("visit frequency"))?,
        description: row.get(4)?,
        version: row.get(5)?,
        updated_at: row.get(6)?,
        deleted: row.get(7)?,
    })
}

fn picklist_from_row(row: &Row<'_>) -> rusqlite::Result<PicklistValue> {
    Ok(PicklistValue {
        id: row.get(0)?,
        kind: PicklistKind::from_code(&row.get::<_, String>(1)?).map_err(corrupt("kind"))?,
        scope: OrgScope::from_organization_id(row.get(2)?),
        label: LocalizedText::from_json(&row.get::<_, String>(3)?).map_err(corrupt("label"))?,
        sort_order: row.get(4)?,
        version: row.get(5)?,
        updated_at: row.get(6)?,
        deleted: row.get(7)?,
    })
}

/// Refuses a scope naming an organization the server does not know.
pub(crate) fn check_scope(conn: &Connection, scope: &OrgScope) -> Result<()> {
    match scope.organization_id() {
        Some(org) => require_organization(conn, "organization", org),
        None => Ok(()),
    }
}

/// Records which organizations lose or regain sight of an entry whose scope
/// went from `old` to `new`.
pub(crate) fn record_scope_change(
    conn: &Connection,
    collection: Collection,
    id: &str,
    seq: i64,
    old: &OrgScope,
    new: &OrgScope,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let orgs = organization_ids(conn)?;
    let lost: Vec<_> = orgs
        .iter()
        .filter(|o| old.covers(o) && !new.covers(o))
        .cloned()
        .collect();
    let regained: Vec<_> = orgs
        .iter()
        .filter(|o| new.covers(o) && !old.covers(o))
        .cloned()
        .collect();
    record_visibility(conn, collection, id, seq, &lost, &regained)
}

/// What segments and picklist values share as entries of the catalogue.
trait Entry: Clone {
    const COLLECTION: Collection;
    fn id(&self) -> &str;
    fn scope(&self) -> &OrgScope;
    /// Inserts or replaces the row, at `seq`.
    fn write(&self, conn: &Connection, seq: i64) -> Result<()>;
    /// The tombstone of this entry: deleted, in a new version.
    fn buried(self, now: DateTime<Utc>) -> Self;
}

/// Stores `next`, a new entry or the next version of `current`, at a new
/// seq, and records who lost or regained sight of it.
fn store<T: Entry>(conn: &Connection, current: Option<&T>, next: T) -> Result<T> {
    check_scope(conn, next.scope())?;
    let seq = next_seq(conn)?;
    next.write(conn, seq)?;
    if let Some(current) = current {
        record_scope_change(
            conn,
            T::COLLECTION,
            next.id(),
            seq,
            current.scope(),
            next.scope(),
        )?;
    }
    Ok(next)
}

/// Deletes `current`, keeping its tombstone for devices to learn of it.
fn delete<T: Entry>(conn: &Connection, current: T, now: DateTime<Utc>) -> Result<T> {
    store(conn, Some(&current), current.clone().buried(now))
}

/// Segments and picklist values are entries alike: `$write` stores one.
macro_rules! entry {
    ($type:ident, $collection:expr, $write:ident) => {
        impl Entry for $type {
            const COLLECTION: Collection = $collection;

            fn id(&self) -> &str {
                &self.id
            }

            fn scope(&self) -> &OrgScope {
                &self.scope
            }

            fn write(&self, conn: &Connection, seq: i64) -> Result<()> {
                $write(conn, self, seq)
            }

            fn buried(self, now: DateTime<Utc>) -> Self {
                $type {
                    deleted: true,
                    version: self.version + 1,
                    updated_at: now,
                    ..self
                }
            }
        }
    };
}

entry!(Segment, Collection::Segments, write_segment);
entry!(
    PicklistValue,
    Collection::PicklistValues,
    write_picklist_value
);

pub fn get_segment(conn: &Connection, id: &str) -> Result<Option<Segment>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segments WHERE id = ?1"
        ))?
        .query_row([id], segment_from_row)
        .optional()?)
}

/// The live segments, of every scope, oldest first.
pub fn list_segments(conn: &Connection) -> Result<Vec<Segment>> {
    all_rows(
        conn,
        &format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE deleted = 0 ORDER BY seq"),
        [],
        segment_from_row,
    )
}

fn live_segment(conn: &Connection, id: &str) -> Result<Segment> {
    get_segment(conn, id)?
        .filter(|s| !s.deleted)
        .ok_or_else(|| ApiError::NotFound(format!("segment {id}")))
}

fn write_segment(conn: &Connection, s: &Segment, seq: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO segments (id, organization, name, visit_frequency, description, version,
                               updated_at, deleted, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET organization = excluded.organization,
             name = excluded.name, visit_frequency = excluded.visit_frequency,
             description = excluded.description, version = excluded.version,
             updated_at = excluded.updated_at, deleted = excluded.deleted, seq = excluded.seq",
    )?
    .execute(params![
        s.id,
        s.scope.organization_id(),
        s.name.to_json(),
        s.visit_frequency.code(),
        s.description,
        s.version,
        s.updated_at,
        s.deleted,
        seq
    ])?;
    Ok(())
}

pub fn create_segment(
    conn: &Connection,
    id: &str,
    def: SegmentDefinition,
    now: DateTime<Utc>,
) -> Result<Segment> {
    if get_segment(conn, id)?.is_some() {
        return Err(ApiError::validation("id", "already exists"));
    }
    store(conn, None, Segment::new(id, def, 1, now))
}

pub fn update_segment(
    conn: &Connection,
    id: &str,
    def: SegmentDefinition,
    now: DateTime<Utc>,
) -> Result<Segment> {
    let current = live_segment(conn, id)?;
    let next = Segment::new(id, def, current.version + 1, now);
    store(conn, Some(&current), next)
}

pub fn delete_segment(conn: &Connection, id: &str, now: DateTime<Utc>) -> Result<Segment> {
    delete(conn, live_segment(conn, id)?, now)
}

pub fn get_picklist_value(conn: &Connection, id: &str) -> Result<Option<PicklistValue>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PICKLIST_COLUMNS} FROM picklist_values WHERE id = ?1"
        ))?
        .query_row([id], picklist_from_row)
        .optional()?)
}

/// The live values of one list, in display order.
pub fn list_picklist(conn: &Connection, kind: PicklistKind) -> Result<Vec<PicklistValue>> {
    all_rows(
        conn,
        &format!(
            "SELECT {PICKLIST_COLUMNS} FROM picklist_values
             WHERE kind = ?1 AND deleted = 0 ORDER BY sort_order, id"
        ),
        [kind.code()],
        picklist_from_row,
    )
}

fn live_picklist_value(conn: &Connection, kind: PicklistKind, id: &str) -> Result<PicklistValue> {
    get_picklist_value(conn, id)?
        .filter(|v| !v.deleted && v.kind == kind)
        .ok_or_else(|| ApiError::NotFound(format!("{kind} value {id}")))
}

fn write_picklist_value(conn: &Connection, v: &PicklistValue, seq: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO picklist_values (id, kind, organization, label, sort_order, version,
                                      updated_at, deleted, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET organization = excluded.organization,
             label = excluded.label, sort_order = excluded.sort_order,
             version = excluded.version, updated_at = excluded.updated_at,
             deleted = excluded.deleted, seq = excluded.seq",
    )?
    .execute(params![
        v.id,
        v.kind.code(),
        v.scope.organization_id(),
        v.label.to_json(),
        v.sort_order,
        v.version,
        v.updated_at,
        v.deleted,
        seq
    ])?;
    Ok(())
}

/// A picklist form after core's validation: (scope, label, sort order).
pub type PicklistDefinition = (OrgScope, LocalizedText, i64);

pub fn create_picklist_value(
    conn: &Connection,
    kind: PicklistKind,
    id: &str,
    (scope, label, sort_order): PicklistDefinition,
    now: DateTime<Utc>,
) -> Result<PicklistValue> {
    if get_picklist_value(conn, id)?.is_some() {
        return Err(ApiError::validation("id", "already exists"));
    }
    let value = PicklistValue {
        id: id.to_owned(),
        kind,
        scope,
        label,
        sort_order,
        version: 1,
        updated_at: now,
        deleted: false,
    };
    store(conn, None, value)
}

pub fn update_picklist_value(
    conn: &Connection,
    kind: PicklistKind,
    id: &str,
    (scope, label, sort_order): PicklistDefinition,
    now: DateTime<Utc>,
) -> Result<PicklistValue> {
    let current = live_picklist_value(conn, kind, id)?;
    let next = PicklistValue {
        scope,
        label,
        sort_order,
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    store(conn, Some(&current), next)
}

pub fn delete_picklist_value(
    conn: &Connection,
    kind: PicklistKind,
    id: &str,
    now: DateTime<Utc>,
) -> Result<PicklistValue> {
    delete(conn, live_picklist_value(conn, kind, id)?, now)
}

/// What the segment rule needs to know of the segment or picklist value a
/// customer reference field refers to; `None` when there is no such entry
/// (a picklist value of another list counts as unknown).
pub fn entry_state(
    conn: &Connection,
    field: CustomerField,
    id: &str,
) -> Result<Option<CatalogueEntryState>> {
    let state = |scope: OrgScope, deleted: bool| CatalogueEntryState { scope, deleted };
    if field == CustomerField::SegmentId {
        return Ok(get_segment(conn, id)?.map(|s| state(s.scope, s.deleted)));
    }
    let kind = field.picklist_kind();
    Ok(get_picklist_value(conn, id)?
        .filter(|v| Some(v.kind) == kind)
        .map(|v| state(v.scope, v.deleted)))
}
