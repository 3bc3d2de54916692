//! The change feed: a latest-state feed over the `seq` column of every
//! entity, filtered to what one user may see.
//!
//! A user sees the segments, picklist values and customer segments of scope
//! `ALL` or of their organization, their organization, their own profile,
//! and the customers of their organization with their profiles,
//! transactions and static segment memberships. Entities they could see and no longer can come as
//! deletes (from `visibility_losses`). After the user moved to another
//! organization the feed restarts from the beginning for the new one and
//! also deletes what only the previous organization saw (`prev_org`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use fieldsync_core::model::{LanguageTag, Organization};
use fieldsync_core::protocol::{ChangeOp, FeedChange, UserProfile};
use fieldsync_core::sync::Collection;
use rusqlite::{Connection, OptionalExtension, params};

use super::all_rows;
use super::catalogue::{get_picklist_value, get_segment};
use super::customers::get_customer;
use super::users::profile;
use super::{customer_segments, profiles};
use crate::error::{ApiError, Result};

/// One page request.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    pub user_id: String,
    pub organization_id: String,
    /// Only changes with a larger seq.
    pub after: i64,
    /// Set while catching up after a move from this organization.
    pub prev_org: Option<String>,
    pub limit: usize,
}

#[derive(Debug)]
pub struct FeedPage {
    pub changes: Vec<FeedChange>,
    /// Changes after this page, per collection: every known collection,
    /// zero included, so a device can tell "done" from "cannot say".
    pub remaining: BTreeMap<Collection, u64>,
    /// The latest seq the server has handed out, for advancing an idle
    /// cursor past changes this user cannot see.
    pub head: i64,
}

/// The feed's arms: every change visible to the user after `?1`; `?2`
/// organization, `?3` user, `?4` previous organization or NULL. Each is
/// (collection, table, id column, lost, condition); `lost` rows become
/// deletes.
const ARMS: &[(&str, &str, &str, u8, &str)] = &[
    (
        "'segments'",
        "segments",
        "id",
        0,
        "seq > ?1 AND (organization IS NULL OR organization = ?2)",
    ),
    (
        "'picklist_values'",
        "picklist_values",
        "id",
        0,
        "seq > ?1 AND (organization IS NULL OR organization = ?2)",
    ),
    (
        "'customers'",
        "customers",
        "id",
        0,
        "seq > ?1 AND organization_id = ?2",
    ),
    (
        "'organizations'",
        "organizations",
        "id",
        0,
        "seq > ?1 AND id = ?2",
    ),
    ("'profile'", "users", "id", 0, "seq > ?1 AND id = ?3"),
    (
        "'customer_segments'",
        "customer_segments",
        "id",
        0,
        "seq > ?1 AND (organization IS NULL OR organization = ?2)",
    ),
    (
        "'customer_segment_members'",
        "customer_segment_members",
        "segment_id || '/' || customer_id",
        0,
        "seq > ?1 AND organization_id = ?2",
    ),
    (
        "'customer_profiles'",
        "customer_profiles",
        "customer_id",
        0,
        "seq > ?1 AND organization_id = ?2",
    ),
    (
        "'transactions'",
        "transactions",
        "id",
        0,
        "seq > ?1 AND organization_id = ?2",
    ),
    (
        "collection",
        "visibility_losses",
        "entity_id",
        1,
        "?4 IS NULL AND seq > ?1 AND organization_id = ?2",
    ),
    (
        "'segments'",
        "segments",
        "id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization = ?4",
    ),
    (
        "'picklist_values'",
        "picklist_values",
        "id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization = ?4",
    ),
    (
        "'customers'",
        "customers",
        "id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization_id = ?4",
    ),
    (
        "'organizations'",
        "organizations",
        "id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND id = ?4",
    ),
    (
        "'customer_segments'",
        "customer_segments",
        "id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization = ?4",
    ),
    (
        "'customer_segment_members'",
        "customer_segment_members",
        "segment_id || '/' || customer_id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization_id = ?4",
    ),
    (
        "'customer_profiles'",
        "customer_profiles",
        "customer_id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization_id = ?4",
    ),
    (
        "'transactions'",
        "transactions",
        "id",
        1,
        "?4 IS NOT NULL AND seq > ?1 AND organization_id = ?4",
    ),
];

/// One page: a compound SELECT ordered at the top, so SQLite merges the
/// arms, each read in seq order from its index, and stops at the limit
/// (`?5`) instead of sorting everything after the cursor.
static PAGE_SQL: LazyLock<String> = LazyLock::new(|| {
    let arms: Vec<_> = ARMS
        .iter()
        .map(|(collection, table, id, lost, condition)| {
            format!("SELECT seq, {collection} AS collection, {id} AS id, {lost} AS lost FROM {table} WHERE {condition}")
        })
        .collect();
    format!("{} ORDER BY seq LIMIT ?5", arms.join(" UNION ALL "))
});

/// What remains after a page, per collection: the arms select no other
/// column, so the customers' arm is read from its (organization_id, seq)
/// index alone.
static REMAINING_SQL: LazyLock<String> = LazyLock::new(|| {
    let arms: Vec<_> = ARMS
        .iter()
        .map(|(collection, table, _, _, condition)| {
            format!("SELECT {collection} AS collection FROM {table} WHERE {condition}")
        })
        .collect();
    format!(
        "SELECT collection, COUNT(*) FROM ({}) GROUP BY collection",
        arms.join(" UNION ALL ")
    )
});

/// Reads one page of the feed; seqs are unique across it (every change
/// takes its own), so paging by seq has neither gaps nor duplicates.
pub fn page(conn: &Connection, q: &FeedQuery) -> Result<FeedPage> {
    debug_assert_ne!(q.prev_org.as_deref(), Some(q.organization_id.as_str()));
    let keys: Vec<(i64, String, String, bool)> = all_rows(
        conn,
        &PAGE_SQL,
        params![
            q.after,
            q.organization_id,
            q.user_id,
            q.prev_org,
            q.limit as i64
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut changes = Vec::with_capacity(keys.len());
    for (seq, collection, id, lost) in keys {
        changes.push(render(conn, seq, &collection, id, lost)?);
    }
    let last = changes.last().map_or(q.after, |c| c.seq);
    let counts: Vec<(String, i64)> = all_rows(
        conn,
        &REMAINING_SQL,
        params![last, q.organization_id, q.user_id, q.prev_org],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut remaining: BTreeMap<Collection, u64> =
        Collection::KNOWN.into_iter().map(|c| (c, 0)).collect();
    for (collection, n) in counts {
        *remaining.entry(collection_of(&collection)?).or_default() += n as u64;
    }
    Ok(FeedPage {
        changes,
        remaining,
        head: super::current_seq(conn)?,
    })
}

/// The collection a row of the feed's query names.
fn collection_of(code: &str) -> Result<Collection> {
    Collection::KNOWN
        .into_iter()
        .find(|c| c.code() == code)
        .ok_or_else(|| ApiError::Internal(format!("unknown collection {code}")))
}

/// Loads the current state of one entity as a change.
fn render(
    conn: &Connection,
    seq: i64,
    collection: &str,
    id: String,
    lost: bool,
) -> Result<FeedChange> {
    let collection = collection_of(collection)?;
    let missing = || ApiError::Internal(format!("feed names missing {collection:?} {id}"));
    let (version, deleted, data) = match collection {
        Collection::Segments => {
            let s = get_segment(conn, &id)?.ok_or_else(missing)?;
            (s.version, s.deleted, serde_json::to_value(&s)?)
        }
        Collection::PicklistValues => {
            let v = get_picklist_value(conn, &id)?.ok_or_else(missing)?;
            (v.version, v.deleted, serde_json::to_value(&v)?)
        }
        Collection::Customers => {
            let c = get_customer(conn, &id)?.ok_or_else(missing)?;
            (c.version, c.deleted, serde_json::to_value(&c)?)
        }
        Collection::Organizations => {
            let (org, version) = organization(conn, &id)?.ok_or_else(missing)?;
            (version, false, serde_json::to_value(&org)?)
        }
        Collection::UserProfile => {
            let (session, version) = profile(conn, &id)?.ok_or_else(missing)?;
            let profile = UserProfile {
                user_id: session.user_id,
                organization_id: session.organization_id,
                role: session.role,
            };
            (version, false, serde_json::to_value(&profile)?)
        }
        Collection::CustomerSegments => {
            let s = customer_segments::get(conn, &id)?.ok_or_else(missing)?;
            (
                s.segment.version,
                s.deleted,
                serde_json::to_value(&s.segment)?,
            )
        }
        Collection::CustomerSegmentMembers => {
            // Always an upsert: out of sight reads as taken out.
            let (mut m, version) =
                customer_segments::membership_by_key(conn, &id)?.ok_or_else(missing)?;
            m.member &= !lost;
            return Ok(FeedChange {
                seq,
                collection,
                op: ChangeOp::Upsert,
                id,
                version,
                data: Some(serde_json::to_value(&m)?),
            });
        }
        Collection::CustomerProfiles => {
            let p = profiles::get_profile(conn, &id)?.ok_or_else(missing)?;
            (p.version, false, serde_json::to_value(&p)?)
        }
        Collection::Transactions => {
            let (t, deleted, _) = profiles::get_transaction(conn, &id)?.ok_or_else(missing)?;
            (t.version, deleted, serde_json::to_value(&t)?)
        }
        Collection::Unknown => return Err(missing()),
    };
    let delete = lost || deleted;
    Ok(FeedChange {
        seq,
        collection,
        op: if delete {
            ChangeOp::Delete
        } else {
            ChangeOp::Upsert
        },
        id,
        version,
        data: (!delete).then_some(data),
    })
}

/// An organization in core's form, and its version.
pub fn organization(conn: &Connection, id: &str) -> Result<Option<(Organization, i64)>> {
    let row: Option<(Option<String>, i64)> = conn
        .prepare_cached("SELECT default_language, version FROM organizations WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(lang, version)| {
        let org = Organization {
            id: id.to_owned(),
            // Seeded tags are valid; an unreadable one is dropped rather
            // than failing the whole feed.
            default_language: lang.and_then(|l| LanguageTag::parse(&l).ok()),
        };
        (org, version)
    }))
}
