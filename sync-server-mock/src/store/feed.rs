//! The change feed: a latest-state feed over the `seq` column of every
//! entity, filtered to what one user may see.
//!
//! A user sees the segments, picklist values and customer segments of scope
//! `ALL` or of their organization, their organization, their own profile,
//! and the customers of their organization with their profiles,
//! transactions, open carts and static segment memberships. Entities they could see and no longer can come as
//! deletes (from `visibility_losses`). After the user moved to another
//! organization the feed restarts from the beginning for the new one and
//! also deletes what only the previous organization saw (`prev_org`).
//!
//! Progress counts are computed once per pull, not per page: a COUNT over
//! the rest of the feed after every page would make a pull of N rows in
//! pages of P cost O(N²/P). The first page of a pull counts what is visible
//! up to the head seq, and that [`Window`] travels in the cursor; later pages
//! subtract their own rows. The counts are exact when a window starts and at
//! the end (zero); in between, rows changed during the pull may still be
//! counted (they moved past the window's head and come again) and rows
//! written during the pull are not yet (the next window counts them).

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
    /// The window carried from the previous page of this pull, if any.
    pub window: Option<Window>,
}

/// What one pull had left when it last counted: the rows visible after the
/// cursor with seq up to `head`, per collection (every known collection),
/// less those sent since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub head: i64,
    pub counts: BTreeMap<Collection, u64>,
}

#[derive(Debug)]
pub struct FeedPage {
    pub changes: Vec<FeedChange>,
    /// Changes after this page, per collection: every known collection,
    /// zero included, so a device can tell "done" from "cannot say". All
    /// zero exactly when `has_more` is false.
    pub remaining: BTreeMap<Collection, u64>,
    /// Whether any change follows this page: exact, whatever the counts say.
    pub has_more: bool,
    /// The window the next page carries on with; `None` when nothing follows.
    pub window: Option<Window>,
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
        "'carts'",
        "carts",
        "customer_id",
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
    (
        "'carts'",
        "carts",
        "customer_id",
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

/// What remains after a page up to the head seq `?5`, per collection: the
/// arms select no other column, so the customers' arm is read from its
/// (organization_id, seq) index alone.
static REMAINING_SQL: LazyLock<String> = LazyLock::new(|| {
    let arms: Vec<_> = ARMS
        .iter()
        .map(|(collection, table, _, _, condition)| {
            format!(
                "SELECT {collection} AS collection FROM {table} WHERE {condition} AND seq <= ?5"
            )
        })
        .collect();
    format!(
        "SELECT collection, COUNT(*) FROM ({}) GROUP BY collection",
        arms.join(" UNION ALL ")
    )
});

#[cfg(test)]
thread_local! {
    /// How many times REMAINING_SQL ran on this thread.
    static COUNTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Reads one page of the feed; seqs are unique across it (every change
/// takes its own), so paging by seq has neither gaps nor duplicates.
pub fn page(conn: &Connection, q: &FeedQuery) -> Result<FeedPage> {
    debug_assert_ne!(q.prev_org.as_deref(), Some(q.organization_id.as_str()));
    // One row past the page tells, exactly and cheaply, whether more follow.
    let mut keys: Vec<(i64, String, String, bool)> = all_rows(
        conn,
        &PAGE_SQL,
        params![
            q.after,
            q.organization_id,
            q.user_id,
            q.prev_org,
            q.limit as i64 + 1
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let has_more = keys.len() > q.limit;
    keys.truncate(q.limit);
    let mut changes = Vec::with_capacity(keys.len());
    for (seq, collection, id, lost) in keys {
        changes.push(render(conn, seq, &collection, id, lost)?);
    }
    let last = changes.last().map_or(q.after, |c| c.seq);
    let head = super::current_seq(conn)?;
    let window = if has_more {
        let carried = q.window.as_ref().and_then(|w| carry(w, &changes, last));
        Some(match carried {
            Some(w) => w,
            None => count(conn, q, last, head)?,
        })
    } else {
        None
    };
    let remaining = match &window {
        Some(w) => w.counts.clone(),
        None => zeros(),
    };
    Ok(FeedPage {
        changes,
        remaining,
        has_more,
        window,
        head,
    })
}

/// The window after this page: the carried counts less the page's rows,
/// or `None` when it is used up and a new one must be counted (the page
/// reached its head, or nothing counted is left while more follows).
fn carry(w: &Window, changes: &[FeedChange], last: i64) -> Option<Window> {
    if last >= w.head {
        return None;
    }
    let mut counts = w.counts.clone();
    for c in changes {
        // Saturating: within a pull the rows up to the head only ever leave
        // (a write moves a row past it), so the counts run high, not low;
        // but a cursor is the client's, and one not issued for this pull
        // must not make them wrap.
        if let Some(n) = counts.get_mut(&c.collection) {
            *n = n.saturating_sub(1);
        }
    }
    counts.values().any(|n| *n > 0).then_some(Window {
        head: w.head,
        counts,
    })
}

/// Counts what is visible after `last` up to `head`: a new window.
fn count(conn: &Connection, q: &FeedQuery, last: i64, head: i64) -> Result<Window> {
    #[cfg(test)]
    COUNTED.with(|n| n.set(n.get() + 1));
    let rows: Vec<(String, i64)> = all_rows(
        conn,
        &REMAINING_SQL,
        params![last, q.organization_id, q.user_id, q.prev_org, head],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut counts = zeros();
    for (collection, n) in rows {
        *counts.entry(collection_of(&collection)?).or_default() += n as u64;
    }
    Ok(Window { head, counts })
}

fn zeros() -> BTreeMap<Collection, u64> {
    Collection::KNOWN.into_iter().map(|c| (c, 0)).collect()
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
            (s.version, s.deleted, serde_json::value::to_raw_value(&s)?)
        }
        Collection::PicklistValues => {
            let v = get_picklist_value(conn, &id)?.ok_or_else(missing)?;
            (v.version, v.deleted, serde_json::value::to_raw_value(&v)?)
        }
        Collection::Customers => {
            let c = get_customer(conn, &id)?.ok_or_else(missing)?;
            (c.version, c.deleted, serde_json::value::to_raw_value(&c)?)
        }
        Collection::Organizations => {
            let (org, version) = organization(conn, &id)?.ok_or_else(missing)?;
            (version, false, serde_json::value::to_raw_value(&org)?)
        }
        Collection::UserProfile => {
            let (session, version) = profile(conn, &id)?.ok_or_else(missing)?;
            let profile = UserProfile {
                user_id: session.user_id,
                organization_id: session.organization_id,
                role: session.role,
            };
            (version, false, serde_json::value::to_raw_value(&profile)?)
        }
        Collection::CustomerSegments => {
            let s = customer_segments::get(conn, &id)?.ok_or_else(missing)?;
            (
                s.segment.version,
                s.deleted,
                serde_json::value::to_raw_value(&s.segment)?,
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
                data: Some(serde_json::value::to_raw_value(&m)?),
            });
        }
        Collection::CustomerProfiles => {
            let p = profiles::get_profile(conn, &id)?.ok_or_else(missing)?;
            (p.version, false, serde_json::value::to_raw_value(&p)?)
        }
        Collection::Transactions => {
            let (t, deleted, _) = profiles::get_transaction(conn, &id)?.ok_or_else(missing)?;
            (t.version, deleted, serde_json::value::to_raw_value(&t)?)
        }
        Collection::Carts => {
            let (c, deleted, _) = profiles::get_cart(conn, &id)?.ok_or_else(missing)?;
            (c.version, deleted, serde_json::value::to_raw_value(&c)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{self, SeedPlan};
    use crate::store::Db;

    fn seeded() -> Db {
        let db = Db::open(None).unwrap();
        let plan = SeedPlan {
            demo: true,
            customers: 300,
            segments: 20,
            seed: 3,
            ..SeedPlan::default()
        };
        seed::run(&db, &plan).unwrap();
        db
    }

    fn query(after: i64, window: Option<Window>, limit: usize) -> FeedQuery {
        FeedQuery {
            user_id: "user-tech".into(),
            organization_id: "org-north".into(),
            after,
            prev_org: None,
            limit,
            window,
        }
    }

    /// Pulls from `after` to the end in pages of `limit`, running `between`
    /// after each page; the pages, and how many times the COUNT ran.
    fn pull(
        db: &Db,
        limit: usize,
        mut between: impl FnMut(&FeedPage, &Connection),
    ) -> (Vec<FeedPage>, usize) {
        COUNTED.with(|n| n.set(0));
        let (mut after, mut window) = (0, None);
        let mut pages = Vec::new();
        loop {
            let page = db
                .write_blocking(|tx| page(tx, &query(after, window.take(), limit)))
                .unwrap();
            after = page.changes.last().map_or(after, |c| c.seq);
            window = page.window.clone();
            let more = page.has_more;
            db.write_blocking(|tx| {
                between(&page, tx);
                Ok(())
            })
            .unwrap();
            pages.push(page);
            if !more {
                return (pages, COUNTED.with(|n| n.get()));
            }
        }
    }

    #[test]
    fn a_quiet_pull_counts_once_and_its_counts_are_exact() {
        let db = seeded();
        let (pages, counted) = pull(&db, 7, |_, _| {});
        assert!(pages.len() > 20, "{}", pages.len());
        assert_eq!(counted, 1, "one COUNT for {} pages", pages.len());
        // Every page's counts are what the later pages hold.
        for (i, page) in pages.iter().enumerate() {
            let mut rest = zeros();
            for c in pages[i + 1..].iter().flat_map(|p| &p.changes) {
                *rest.get_mut(&c.collection).unwrap() += 1;
            }
            assert_eq!(page.remaining, rest, "page {i}");
            assert_eq!(page.has_more, i + 1 < pages.len());
        }
        assert!(pages.last().unwrap().window.is_none());
    }

    #[test]
    fn writes_during_a_pull_open_one_more_window() {
        let db = seeded();
        // Customers are edited as they are sent: their rows move past the
        // window's head, to be sent again once the window is done. More of
        // them than a page holds, so the new window is not the last page.
        let mut edited = Vec::new();
        let (pages, counted) = pull(&db, 7, |page, tx| {
            for c in &page.changes {
                if c.collection == Collection::Customers && edited.len() < 10 {
                    let seq = super::super::next_seq(tx).unwrap();
                    tx.execute(
                        "UPDATE customers SET seq = ?1, version = version + 1 WHERE id = ?2",
                        params![seq, c.id],
                    )
                    .unwrap();
                    edited.push((c.id.clone(), c.version));
                }
            }
        });
        assert_eq!(
            counted, 2,
            "the window of the pull's start, then the edits'"
        );
        for (id, version) in edited {
            let sent: Vec<_> = pages
                .iter()
                .flat_map(|p| &p.changes)
                .filter(|c| c.collection == Collection::Customers && c.id == id)
                .map(|c| c.version)
                .collect();
            assert_eq!(sent, [version, version + 1], "{id}");
        }
        let last = pages.last().unwrap();
        assert!(!last.has_more);
        assert!(last.remaining.values().all(|n| *n == 0));
        for page in &pages {
            assert_eq!(page.has_more, page.remaining.values().any(|n| *n > 0));
        }
    }
}
