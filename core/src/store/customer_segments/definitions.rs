//! The Portal's customer segment definitions, applied from the feed.

use rusqlite::{Connection, OptionalExtension, params};

use super::members::restore_static_members;
use crate::error::Result;
use crate::model::CustomerSegment;
use crate::model::criteria::Criteria;
use crate::store::catalogue::Change;
use crate::store::{Store, query_all};

/// Applies server definitions. Older versions are ignored; a deleted
/// segment leaves with its members, and the segments that include it are
/// evaluated again.
pub fn apply_customer_segment_changes(
    conn: &Connection,
    changes: &[Change<CustomerSegment>],
) -> Result<usize> {
    let mut applied = 0;
    for change in changes {
        match change {
            Change::Upsert(segment) => {
                let criteria = segment.validate()?;
                let stored: Option<(i64, String)> = conn
                    .prepare_cached("SELECT version, kind FROM customer_segments WHERE id = ?1")?
                    .query_row([&segment.id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if stored.as_ref().is_some_and(|(v, _)| *v >= segment.version) {
                    continue;
                }
                if stored.is_some_and(|(_, kind)| kind != segment.kind.code()) {
                    conn.prepare_cached(
                        "DELETE FROM customer_segment_members WHERE segment_id = ?1",
                    )?
                    .execute([&segment.id])?;
                }
                conn.prepare_cached(
                    "INSERT INTO customer_segments (id, organization_id, name, note, priority, kind, flexi,
                         criteria, version, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
                         name = excluded.name, note = excluded.note, priority = excluded.priority,
                         kind = excluded.kind, flexi = excluded.flexi, criteria = excluded.criteria,
                         version = excluded.version, updated_at = excluded.updated_at",
                )?
                .execute(params![
                    segment.id,
                    segment.scope.organization_id(),
                    segment.name,
                    segment.note,
                    segment.priority,
                    segment.kind.code(),
                    segment.flexi,
                    criteria.map(|c| c.to_json().to_string()),
                    segment.version,
                    segment.updated_at,
                ])?;
                conn.prepare_cached("DELETE FROM customer_segment_tags WHERE segment_id = ?1")?
                    .execute([&segment.id])?;
                let mut tag = conn.prepare_cached(
                    "INSERT OR IGNORE INTO customer_segment_tags (segment_id, tag) VALUES (?1, ?2)",
                )?;
                for t in &segment.tags {
                    tag.execute([&segment.id, t])?;
                }
                if segment.is_static() {
                    // The server's members, with pending local edits on top.
                    restore_static_members(conn, &segment.id)?;
                }
            }
            Change::Delete { id, .. } => {
                let removed = conn
                    .prepare_cached("DELETE FROM customer_segments WHERE id = ?1")?
                    .execute([id])?;
                for table in [
                    "customer_segment_tags",
                    "customer_segment_members",
                    "customer_segment_server_members",
                ] {
                    conn.prepare_cached(&format!("DELETE FROM {table} WHERE segment_id = ?1"))?
                        .execute([id])?;
                }
                if removed == 0 {
                    continue;
                }
                invalidate_dependents(conn, id)?;
            }
        }
        applied += 1;
    }
    Ok(applied)
}

/// Marks the conditional segments that include `id` for a full evaluation.
fn invalidate_dependents(conn: &Connection, id: &str) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, criteria FROM customer_segments WHERE kind = 'conditional' AND criteria IS NOT NULL",
    )?;
    let dependents = query_all(&mut stmt, [], |r| {
        let json: String = r.get(1)?;
        let includes = serde_json::from_str(&json)
            .ok()
            .and_then(|v| Criteria::parse(&v).ok())
            .is_some_and(|c| c.segment_references().contains(id));
        Ok(includes.then(|| r.get::<_, String>(0)).transpose()?)
    })?;
    for dependent in dependents.into_iter().flatten() {
        conn.prepare_cached("UPDATE customer_segments SET evaluated_version = NULL WHERE id = ?1")?
            .execute([dependent])?;
    }
    Ok(())
}

impl Store {
    /// Applies server definitions (the sync engine does this from the
    /// feed; exposed for tests, tools and benchmarks).
    pub fn apply_customer_segment_changes(
        &self,
        changes: &[Change<CustomerSegment>],
    ) -> Result<usize> {
        self.write(|tx| apply_customer_segment_changes(tx, changes))
    }
}
