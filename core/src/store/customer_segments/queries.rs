//! What the app's screens ask of customer segments: the list (by tag), one
//! segment, a customer's segments and primary segment, members page by
//! page, tags.

use chrono::NaiveDate;
use rusqlite::{Connection, Row, params};

use super::customer_segment_kind;
use crate::error::{Entity, Error, Result};
use crate::model::{CustomerSegmentKind, OrgScope};
use crate::store::paging::check_limit;
use crate::store::session::load_session;
use crate::store::{Store, query_all};

/// A customer segment as the app shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerSegmentView {
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
pub struct CustomerSegmentMember {
    pub customer_id: String,
    pub name: String,
}

/// One page of members, sorted by name, and how many there are in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerSegmentMemberPage {
    pub members: Vec<CustomerSegmentMember>,
    pub total: u64,
}

/// A tag and how many customer segments carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerSegmentTagCount {
    pub tag: String,
    pub segments: u64,
}

const VIEW_COLUMNS: &str =
    "cs.id, cs.organization_id, cs.name, cs.note, cs.priority, cs.kind, cs.flexi,
     cs.criteria, cs.version, cs.evaluated_version, cs.evaluated_on,
     (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM customer_segment_tags t
         WHERE t.segment_id = cs.id ORDER BY tag)) AS tags,
     (SELECT count(*) FROM customer_segment_members m JOIN customers c ON c.id = m.customer_id
         WHERE m.segment_id = cs.id AND c.deleted = 0) AS member_count";

fn read_view(r: &Row<'_>) -> Result<CustomerSegmentView> {
    let kind =
        CustomerSegmentKind::from_code(&r.get::<_, String>("kind")?).ok_or(Error::CorruptData {
            what: "customer segment kind",
        })?;
    let version: i64 = r.get("version")?;
    Ok(CustomerSegmentView {
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

impl Store {
    /// The customer segments of the session's organization (and those for
    /// all organizations), highest priority first, optionally only those
    /// with `tag`.
    pub fn customer_segments(&self, tag: Option<&str>) -> Result<Vec<CustomerSegmentView>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let tag_filter = if tag.is_some() {
                "AND EXISTS (SELECT 1 FROM customer_segment_tags t WHERE t.segment_id = cs.id AND t.tag = ?2)"
            } else {
                "AND ?2 IS NULL"
            };
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS} FROM customer_segments cs
                 WHERE {SCOPE_FILTER} {tag_filter} ORDER BY cs.priority DESC, cs.name, cs.id"
            ))?;
            query_all(&mut stmt, params![org, tag], read_view)
        })
    }

    /// One customer segment, `None` if this device does not have it or it
    /// belongs to another organization than the session's.
    pub fn customer_segment(&self, id: &str) -> Result<Option<CustomerSegmentView>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS} FROM customer_segments cs WHERE cs.id = ?2 AND {SCOPE_FILTER}"
            ))?;
            Ok(query_all(&mut stmt, params![org, id], read_view)?
                .into_iter()
                .next())
        })
    }

    /// The segments `customer_id` belongs to, highest priority first (then
    /// by name): the first is the customer's primary segment.
    pub fn customer_segments_of(&self, customer_id: &str) -> Result<Vec<CustomerSegmentView>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS} FROM customer_segment_members mm
                 JOIN customer_segments cs ON cs.id = mm.segment_id
                 WHERE mm.customer_id = ?2 AND {SCOPE_FILTER}
                 ORDER BY cs.priority DESC, cs.name, cs.id"
            ))?;
            query_all(&mut stmt, params![org, customer_id], read_view)
        })
    }

    /// The customer's primary segment: the highest-priority one they
    /// belong to.
    pub fn primary_customer_segment(
        &self,
        customer_id: &str,
    ) -> Result<Option<CustomerSegmentView>> {
        Ok(self.customer_segments_of(customer_id)?.into_iter().next())
    }

    /// A page of a segment's members, sorted by name.
    pub fn customer_segment_members(
        &self,
        segment_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<CustomerSegmentMemberPage> {
        check_limit(limit)?;
        self.read(|conn| {
            if customer_segment_kind(conn, segment_id)?.is_none() {
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
                Ok(CustomerSegmentMember {
                    customer_id: r.get(0)?,
                    name: r.get(1)?,
                })
            })?;
            Ok(CustomerSegmentMemberPage {
                members,
                total: total as u64,
            })
        })
    }

    /// The tags of the session's customer segments, with how many segments
    /// carry each, alphabetically.
    pub fn customer_segment_tags(&self) -> Result<Vec<CustomerSegmentTagCount>> {
        self.read(|conn| {
            let org = session_organization(conn)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT t.tag, count(*) FROM customer_segment_tags t JOIN customer_segments cs ON cs.id = t.segment_id
                 WHERE {SCOPE_FILTER} GROUP BY t.tag ORDER BY lower(t.tag), t.tag"
            ))?;
            query_all(&mut stmt, [org], |r| {
                Ok(CustomerSegmentTagCount {
                    tag: r.get(0)?,
                    segments: r.get::<_, i64>(1)? as u64,
                })
            })
        })
    }
}
