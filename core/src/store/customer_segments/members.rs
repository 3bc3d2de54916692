//! Static segments' members: the server's memberships, managers' edits on
//! the device (uploaded through the outbox), and the return to the
//! server's state when it refuses an edit.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::{customer_segment_kind, follow_local_edits};
use crate::error::{Entity, Error, Result};
use crate::model::CustomerSegmentKind;
use crate::protocol::{CustomerSegmentMembership, EntityKind, MutationOperation};
use crate::rules;
use crate::store::outbox::{self, NewEntry};
use crate::store::session::require_session;
use crate::store::{Store, journal};

/// Rebuilds a static segment's members from the server's, replaying the
/// pending local edits in order.
pub(super) fn restore_static_members(conn: &Connection, segment_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM customer_segment_members WHERE segment_id = ?1")?
        .execute([segment_id])?;
    conn.prepare_cached(
        "INSERT INTO customer_segment_members (segment_id, customer_id)
         SELECT segment_id, customer_id FROM customer_segment_server_members WHERE segment_id = ?1",
    )?
    .execute([segment_id])?;
    let prefix = format!("{segment_id}/");
    for edit in outbox::pending_with_prefix(conn, EntityKind::CustomerSegmentMember, &prefix)? {
        let Some(customer_id) = edit.changes.get("customer_id").and_then(Value::as_str) else {
            continue;
        };
        let member = match edit.operation {
            MutationOperation::AddMember => true,
            MutationOperation::RemoveMember => false,
            _ => {
                return Err(Error::CorruptData {
                    what: "outbox operation",
                });
            }
        };
        set_member(conn, segment_id, customer_id, member)?;
    }
    Ok(())
}

fn set_member(
    conn: &Connection,
    segment_id: &str,
    customer_id: &str,
    member: bool,
) -> Result<bool> {
    let sql = if member {
        "INSERT OR IGNORE INTO customer_segment_members (segment_id, customer_id) VALUES (?1, ?2)"
    } else {
        "DELETE FROM customer_segment_members WHERE segment_id = ?1 AND customer_id = ?2"
    };
    Ok(conn
        .prepare_cached(sql)?
        .execute([segment_id, customer_id])?
        > 0)
}

/// Applies static memberships from the server. A membership with a local
/// edit waiting for upload keeps the local state until the server answers.
pub fn apply_customer_segment_memberships(
    conn: &Connection,
    memberships: &[CustomerSegmentMembership],
) -> Result<usize> {
    let mut changed = 0;
    for m in memberships {
        let sql = if m.member {
            "INSERT OR IGNORE INTO customer_segment_server_members (segment_id, customer_id) VALUES (?1, ?2)"
        } else {
            "DELETE FROM customer_segment_server_members WHERE segment_id = ?1 AND customer_id = ?2"
        };
        conn.prepare_cached(sql)?
            .execute([&m.segment_id, &m.customer_id])?;
        let key = CustomerSegmentMembership::key(&m.segment_id, &m.customer_id);
        if outbox::has_pending(conn, EntityKind::CustomerSegmentMember, &key)? {
            continue;
        }
        let is_static = matches!(
            customer_segment_kind(conn, &m.segment_id)?,
            None | Some((CustomerSegmentKind::Static, _))
        );
        if is_static && set_member(conn, &m.segment_id, &m.customer_id, m.member)? {
            journal::customer_changed(conn, &m.customer_id)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// After the server refused a membership edit: back to the server's state
/// (with the other pending edits replayed).
pub(crate) fn restore_membership(conn: &Connection, key: &str, today: NaiveDate) -> Result<()> {
    let Some((segment_id, customer_id)) = CustomerSegmentMembership::split_key(key) else {
        return Err(Error::CorruptData {
            what: "membership key",
        });
    };
    restore_static_members(conn, segment_id)?;
    follow_local_edits(conn, vec![customer_id.to_owned()], today)
}

impl Store {
    /// A manager or admin puts a customer in a static segment (offline; the
    /// change is uploaded through the outbox). `Ok(false)`: already a
    /// member, nothing written. Technicians get `NotPermitted`.
    pub fn add_to_customer_segment(&self, segment_id: &str, customer_id: &str) -> Result<bool> {
        self.edit_membership(segment_id, customer_id, true)
    }

    /// A manager or admin takes a customer out of a static segment.
    /// `Ok(false)`: not a member, nothing written.
    pub fn remove_from_customer_segment(
        &self,
        segment_id: &str,
        customer_id: &str,
    ) -> Result<bool> {
        self.edit_membership(segment_id, customer_id, false)
    }

    fn edit_membership(&self, segment_id: &str, customer_id: &str, member: bool) -> Result<bool> {
        let now = self.clock().now();
        self.edit_customers(|tx| {
            let session = require_session(tx)?;
            let Some((kind, org)) = customer_segment_kind(tx, segment_id)? else {
                return Err(Error::NotFound {
                    entity: Entity::CustomerSegment,
                    id: segment_id.to_owned(),
                });
            };
            if org.as_ref().is_some_and(|o| *o != session.organization_id) {
                return Err(Error::NotFound {
                    entity: Entity::CustomerSegment,
                    id: segment_id.to_owned(),
                });
            }
            rules::check_static_membership_edit(session.role, kind)?;
            let customer_org: Option<String> = tx
                .prepare_cached(
                    "SELECT organization_id FROM customers WHERE id = ?1 AND deleted = 0",
                )?
                .query_row([customer_id], |r| r.get(0))
                .optional()?;
            if customer_org.as_deref() != Some(session.organization_id.as_str()) {
                return Err(Error::NotFound {
                    entity: Entity::Customer,
                    id: customer_id.to_owned(),
                });
            }
            if !set_member(tx, segment_id, customer_id, member)? {
                return Ok((false, Vec::new()));
            }
            let changes: Map<String, Value> = [
                ("segment_id".to_owned(), Value::from(segment_id)),
                ("customer_id".to_owned(), Value::from(customer_id)),
            ]
            .into_iter()
            .collect();
            let previous: Map<String, Value> = [("member".to_owned(), Value::Bool(!member))]
                .into_iter()
                .collect();
            let operation = if member {
                MutationOperation::AddMember
            } else {
                MutationOperation::RemoveMember
            };
            outbox::append(
                tx,
                &NewEntry {
                    entity: EntityKind::CustomerSegmentMember,
                    entity_id: &CustomerSegmentMembership::key(segment_id, customer_id),
                    operation,
                    changes,
                    previous,
                    base_version: None,
                    created_at: now,
                },
            )?;
            Ok((true, vec![customer_id.to_owned()]))
        })
    }

    /// Applies static memberships from the server.
    pub fn apply_customer_segment_memberships(
        &self,
        memberships: &[CustomerSegmentMembership],
    ) -> Result<usize> {
        self.write(|tx| apply_customer_segment_memberships(tx, memberships))
    }
}
