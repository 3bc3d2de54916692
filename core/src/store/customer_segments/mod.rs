//! Customer segments on the device: definitions from the Portal, members
//! (static ones from the server and managers' edits, conditional ones
//! evaluated here, offline), and the queries the app's screens need.

mod compile;
mod evaluate;
mod members;
mod profiles;
#[cfg(test)]
mod tests;

use chrono::{Local, NaiveDate};
use rusqlite::{Connection, OptionalExtension, Row, params};

pub use evaluate::SegmentRefresh;
use evaluate::{Mode, refresh};
pub use members::apply_segment_memberships;
pub(crate) use members::restore_membership;
use members::restore_static_members;
pub(crate) use profiles::load_profile;
pub use profiles::{apply_profile_changes, apply_transaction_changes};

use super::catalogue::Change;
use super::customers::MAX_PAGE_SIZE;
use super::session::load_session;
use super::{Store, query_all};
use crate::error::{Entity, Error, Result, ValidationReason};
use crate::model::criteria::Criteria;
use crate::model::profile::{CustomerProfile, Transaction};
use crate::model::{CustomerSegment, CustomerSegmentKind, OrgScope};
use crate::sync::protocol::SegmentMembership;

/// The device's date: "last N days" and ages count from it.
pub(crate) fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// Notes that a customer's data changed, for the next evaluation of flexi
/// segments.
pub(crate) fn mark_dirty(conn: &Connection, customer_id: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO segment_dirty_customers (customer_id) VALUES (?1)")?
        .execute([customer_id])?;
    Ok(())
}

/// Notes that the RFM scores must be computed again (customers or
/// transactions changed).
pub(crate) fn mark_rfm_dirty(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE segment_evaluation_state SET rfm_dirty = 1")?
        .execute([])?;
    Ok(())
}

/// Re-evaluates flexi segments for customers just written on the device,
/// in the same transaction as the write.
pub(crate) fn after_local_change(conn: &Connection, customer_id: &str) -> Result<()> {
    after_local_changes(conn, vec![customer_id.to_owned()])
}

pub(crate) fn after_local_changes(conn: &Connection, customer_ids: Vec<String>) -> Result<()> {
    refresh(conn, today(), &Mode::Customers(customer_ids))?;
    Ok(())
}

/// A customer segment as the app shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerSegmentInfo {
    pub id: String,
    pub scope: OrgScope,
    pub name: String,
    pub note: Option<String>,
    /// Higher first; the highest a customer belongs to is their primary
    /// segment.
    pub priority: i64,
    pub kind: CustomerSegmentKind,
    pub flexi: bool,
    pub tags: Vec<String>,
    /// The criteria's JSON (conditional segments).
    pub criteria: Option<String>,
    pub member_count: u64,
    /// Whether the members reflect the current definition (false until the
    /// first evaluation after a change arrives; always true for static).
    pub evaluated: bool,
    pub evaluated_on: Option<NaiveDate>,
}

/// One member of a customer segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentMember {
    pub customer_id: String,
    pub name: String,
}

/// One page of members, sorted by name, and how many there are in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentMemberPage {
    pub members: Vec<SegmentMember>,
    pub total: u64,
}

/// A tag and how many customer segments carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagCount {
    pub tag: String,
    pub segments: u64,
}

/// The purchase figures derived from a customer's transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseSummary {
    pub count: u64,
    /// In minor units (cents).
    pub total_spend_minor: i64,
    pub last_purchase: Option<NaiveDate>,
    /// RFM scores 1–5, `None` without transactions (or before the first
    /// evaluation after they arrived).
    pub rfm_recency: Option<u8>,
    pub rfm_frequency: Option<u8>,
    pub rfm_monetary: Option<u8>,
}

const INFO_COLUMNS: &str =
    "cs.id, cs.organization_id, cs.name, cs.note, cs.priority, cs.kind, cs.flexi,
     cs.criteria, cs.version, cs.evaluated_version, cs.evaluated_on,
     (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM customer_segment_tags t
         WHERE t.segment_id = cs.id ORDER BY tag)) AS tags,
     (SELECT count(*) FROM customer_segment_members m JOIN customers c ON c.id = m.customer_id
         WHERE m.segment_id = cs.id AND c.deleted = 0) AS member_count";

fn read_info(r: &Row<'_>) -> Result<CustomerSegmentInfo> {
    let kind =
        CustomerSegmentKind::from_code(&r.get::<_, String>("kind")?).ok_or(Error::CorruptData {
            what: "customer segment kind",
        })?;
    let version: i64 = r.get("version")?;
    Ok(CustomerSegmentInfo {
        id: r.get("id")?,
        scope: OrgScope::from_organization_id(r.get("organization_id")?),
        name: r.get("name")?,
        note: r.get("note")?,
        priority: r.get("priority")?,
        kind,
        flexi: r.get("flexi")?,
        tags: r
            .get::<_, Option<String>>("tags")?
            .map(|t| t.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
        criteria: r.get("criteria")?,
        member_count: r.get::<_, i64>("member_count")? as u64,
        evaluated: kind == CustomerSegmentKind::Static
            || r.get::<_, Option<i64>>("evaluated_version")? == Some(version),
        evaluated_on: r.get("evaluated_on")?,
    })
}

/// The segments a session sees: those for all organizations and its own
/// (`?1` is the session's organization; all segments without a session).
const SCOPE_FILTER: &str = "(cs.organization_id IS NULL OR cs.organization_id = ?1 OR ?1 IS NULL)";

fn session_organization(conn: &Connection) -> Result<Option<String>> {
    Ok(load_session(conn)?.map(|s| s.organization_id))
}

fn segment_kind(
    conn: &Connection,
    id: &str,
) -> Result<Option<(CustomerSegmentKind, Option<String>)>> {
    conn.prepare_cached("SELECT kind, organization_id FROM customer_segments WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))
        .optional()?
        .map(|(kind, org)| {
            CustomerSegmentKind::from_code(&kind)
                .map(|k| (k, org))
                .ok_or(Error::CorruptData {
                    what: "customer segment kind",
                })
        })
        .transpose()
}

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

/// Runs the stale evaluations after a sync run (or when the app asks).
pub fn refresh_stale(conn: &Connection) -> Result<SegmentRefresh> {
    refresh(conn, today(), &Mode::Stale)
}

impl Store {
    /// The customer segments of the session's organization (and those for
    /// all organizations), highest priority first, optionally only those
    /// with `tag`.
    pub fn customer_segments(&self, tag: Option<&str>) -> Result<Vec<CustomerSegmentInfo>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let tag_filter = if tag.is_some() {
                "AND EXISTS (SELECT 1 FROM customer_segment_tags t WHERE t.segment_id = cs.id AND t.tag = ?2)"
            } else {
                "AND ?2 IS NULL"
            };
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {INFO_COLUMNS} FROM customer_segments cs
                 WHERE {SCOPE_FILTER} {tag_filter} ORDER BY cs.priority DESC, cs.name, cs.id"
            ))?;
            query_all(&mut stmt, params![org, tag], read_info)
        })
    }

    /// One customer segment, `None` if this device does not have it or it
    /// belongs to another organization than the session's.
    pub fn customer_segment(&self, id: &str) -> Result<Option<CustomerSegmentInfo>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {INFO_COLUMNS} FROM customer_segments cs WHERE cs.id = ?2 AND {SCOPE_FILTER}"
            ))?;
            Ok(query_all(&mut stmt, params![org, id], read_info)?
                .into_iter()
                .next())
        })
    }

    /// The segments `customer_id` belongs to, highest priority first (then
    /// by name): the first is the customer's primary segment.
    pub fn segments_of_customer(&self, customer_id: &str) -> Result<Vec<CustomerSegmentInfo>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {INFO_COLUMNS} FROM customer_segment_members mm
                 JOIN customer_segments cs ON cs.id = mm.segment_id
                 WHERE mm.customer_id = ?2 AND {SCOPE_FILTER}
                 ORDER BY cs.priority DESC, cs.name, cs.id"
            ))?;
            query_all(&mut stmt, params![org, customer_id], read_info)
        })
    }

    /// The customer's primary segment: the highest-priority one they
    /// belong to.
    pub fn primary_customer_segment(
        &self,
        customer_id: &str,
    ) -> Result<Option<CustomerSegmentInfo>> {
        Ok(self.segments_of_customer(customer_id)?.into_iter().next())
    }

    /// A page of a segment's members, sorted by name.
    pub fn customer_segment_members(
        &self,
        segment_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<SegmentMemberPage> {
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                ValidationReason::OutOfRange {
                    min: 1,
                    max: MAX_PAGE_SIZE.into(),
                },
            ));
        }
        self.read(|conn| {
            if segment_kind(conn, segment_id)?.is_none() {
                return Err(Error::NotFound {
                    entity: Entity::CustomerSegment,
                    id: segment_id.to_owned(),
                });
            }
            let total: i64 = conn
                .prepare_cached(
                    "SELECT count(*) FROM customer_segment_members m JOIN customers c ON c.id = m.customer_id
                     WHERE m.segment_id = ?1 AND c.deleted = 0",
                )?
                .query_row([segment_id], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(
                "SELECT c.id, c.name FROM customer_segment_members m JOIN customers c ON c.id = m.customer_id
                 WHERE m.segment_id = ?1 AND c.deleted = 0 ORDER BY c.name_key, c.id LIMIT ?2 OFFSET ?3",
            )?;
            let members = query_all(&mut stmt, params![segment_id, limit, offset], |r| {
                Ok(SegmentMember {
                    customer_id: r.get(0)?,
                    name: r.get(1)?,
                })
            })?;
            Ok(SegmentMemberPage {
                members,
                total: total as u64,
            })
        })
    }

    /// The tags of the session's customer segments, with how many segments
    /// carry each, alphabetically.
    pub fn customer_segment_tags(&self) -> Result<Vec<TagCount>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT t.tag, count(*) FROM customer_segment_tags t JOIN customer_segments cs ON cs.id = t.segment_id
                 WHERE {SCOPE_FILTER} GROUP BY t.tag ORDER BY lower(t.tag), t.tag"
            ))?;
            query_all(&mut stmt, [org], |r| {
                Ok(TagCount {
                    tag: r.get(0)?,
                    segments: r.get::<_, i64>(1)? as u64,
                })
            })
        })
    }

    /// Brings every conditional segment up to date: definitions that
    /// changed, flexi segments after data changes, RFM scores. The sync
    /// engine runs this after each run; apps may call it when the day
    /// changes.
    pub fn refresh_customer_segments(&self) -> Result<SegmentRefresh> {
        self.write(|tx| refresh_stale(tx))
    }

    /// Takes a new snapshot of a conditional segment (or re-evaluates a
    /// flexi one in full), and brings the others up to date.
    pub fn refresh_customer_segment(&self, id: &str) -> Result<SegmentRefresh> {
        self.write(|tx| {
            match segment_kind(tx, id)? {
                None => {
                    return Err(Error::NotFound {
                        entity: Entity::CustomerSegment,
                        id: id.to_owned(),
                    });
                }
                Some((CustomerSegmentKind::Static, _)) => {
                    return Err(Error::invalid(
                        "segment_id",
                        ValidationReason::NotConditional,
                    ));
                }
                Some(_) => {}
            }
            refresh(tx, today(), &Mode::Force(id.to_owned()))
        })
    }

    /// The profile the Portal keeps for a customer, if it has reached this
    /// device.
    pub fn customer_profile(&self, customer_id: &str) -> Result<Option<CustomerProfile>> {
        self.read(|conn| load_profile(conn, customer_id))
    }

    /// A customer's purchase figures and RFM scores.
    pub fn purchase_summary(&self, customer_id: &str) -> Result<PurchaseSummary> {
        self.read(|conn| {
            let row = conn
                .prepare_cached(
                    "SELECT purchase_count, total_spend_minor, last_purchase, rfm_recency, rfm_frequency, rfm_monetary
                     FROM customer_stats WHERE customer_id = ?1",
                )?
                .query_row([customer_id], |r| {
                    Ok(PurchaseSummary {
                        count: r.get::<_, i64>(0)? as u64,
                        total_spend_minor: r.get(1)?,
                        last_purchase: r.get(2)?,
                        rfm_recency: r.get(3)?,
                        rfm_frequency: r.get(4)?,
                        rfm_monetary: r.get(5)?,
                    })
                })
                .optional()?;
            Ok(row.unwrap_or(PurchaseSummary {
                count: 0,
                total_spend_minor: 0,
                last_purchase: None,
                rfm_recency: None,
                rfm_frequency: None,
                rfm_monetary: None,
            }))
        })
    }

    /// Applies server definitions (the sync engine does this from the
    /// feed; exposed for tests, tools and benchmarks).
    pub fn apply_customer_segment_changes(
        &self,
        changes: &[Change<CustomerSegment>],
    ) -> Result<usize> {
        self.write(|tx| apply_customer_segment_changes(tx, changes))
    }

    /// Applies server profiles.
    pub fn apply_profile_changes(&self, changes: &[Change<CustomerProfile>]) -> Result<usize> {
        self.write(|tx| apply_profile_changes(tx, changes))
    }

    /// Applies server transactions.
    pub fn apply_transaction_changes(&self, changes: &[Change<Transaction>]) -> Result<usize> {
        self.write(|tx| apply_transaction_changes(tx, changes))
    }

    /// Applies static memberships from the server.
    pub fn apply_segment_memberships(&self, memberships: &[SegmentMembership]) -> Result<usize> {
        self.write(|tx| apply_segment_memberships(tx, memberships))
    }
}
