//! Customers: creation and field-level updates, shared by the Portal API
//! (office edits) and sync pushes (device edits), with core's validation and
//! segment rule.
//!
//! Conflicts are field-level: per customer field the server keeps the
//! version at which it last changed and who changed it. A change to field
//! `f` based on version `b` is applied unless another actor changed `f` in a
//! version after `b`; then the server keeps its value and reports `f`.

use chrono::{DateTime, Utc};
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{
    Customer, CustomerDraft, CustomerField, CustomerUpdate, RemoteCustomer, Session, validate_id,
};
use fieldsync_core::protocol::FieldConflict;
use fieldsync_core::rules::{check_reference, check_segment_change};
use fieldsync_core::sync::Collection;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value};

use super::catalogue::entry_state;
use super::{all_rows, next_seq, record_visibility, require_organization};
use crate::error::{ApiError, Result};

const COLUMNS: &str = "id, organization_id, name, status_id, source_id, industry_id, channel_id,
     segment_id, last_visit, created_at, updated_at, version, deleted, created_by";

/// A customer row: the wire form plus who created it.
struct StoredCustomer {
    customer: RemoteCustomer,
    created_by: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredCustomer> {
    Ok(StoredCustomer {
        customer: RemoteCustomer {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            name: row.get(2)?,
            status_id: row.get(3)?,
            source_id: row.get(4)?,
            industry_id: row.get(5)?,
            channel_id: row.get(6)?,
            segment_id: row.get(7)?,
            last_visit: row.get(8)?,
            created_at: row.get(9)?,
            updated_at: row.get(10)?,
            version: row.get(11)?,
            deleted: row.get(12)?,
        },
        created_by: row.get(13)?,
    })
}

fn load(conn: &Connection, id: &str) -> Result<Option<StoredCustomer>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM customers WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn get_customer(conn: &Connection, id: &str) -> Result<Option<RemoteCustomer>> {
    Ok(load(conn, id)?.map(|r| r.customer))
}

/// The customer `id` if users of `organization_id` may see it (`None`
/// for a customer of another organization, or none at all).
pub fn visible_customer(
    conn: &Connection,
    id: &str,
    organization_id: &str,
) -> Result<Option<RemoteCustomer>> {
    Ok(get_customer(conn, id)?.filter(|c| c.organization_id == organization_id))
}

/// Live customers, of one organization or all, in creation order.
pub fn list_customers(conn: &Connection, org: Option<&str>) -> Result<Vec<RemoteCustomer>> {
    all_rows(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM customers
             WHERE deleted = 0 AND (?1 IS NULL OR organization_id = ?1) ORDER BY created_at, id"
        ),
        [org],
        |r| from_row(r).map(|r| r.customer),
    )
}

/// Writes a customer row at `seq`: inserted as created by `created_by`, or
/// updated (its creation is kept).
pub(crate) fn write(
    conn: &Connection,
    c: &RemoteCustomer,
    created_by: &str,
    seq: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO customers (id, organization_id, name, status_id, source_id, industry_id,
             channel_id, segment_id, last_visit, created_at, updated_at, version, deleted,
             created_by, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT(id) DO UPDATE SET organization_id = excluded.organization_id,
             name = excluded.name, status_id = excluded.status_id,
             source_id = excluded.source_id, industry_id = excluded.industry_id,
             channel_id = excluded.channel_id, segment_id = excluded.segment_id,
             last_visit = excluded.last_visit, updated_at = excluded.updated_at,
             version = excluded.version, deleted = excluded.deleted, seq = excluded.seq",
    )?
    .execute(params![
        c.id,
        c.organization_id,
        c.name,
        c.status_id,
        c.source_id,
        c.industry_id,
        c.channel_id,
        c.segment_id,
        c.last_visit,
        c.created_at,
        c.updated_at,
        c.version,
        c.deleted,
        created_by,
        seq
    ])?;
    Ok(())
}

/// Checks with core's rule that the references among `fields` can be
/// assigned to `customer` (exist, alive, in scope of its organization).
fn check_references(
    conn: &Connection,
    customer: &Customer,
    fields: &[CustomerField],
) -> Result<()> {
    for field in CustomerField::REFERENCES
        .into_iter()
        .filter(|f| fields.contains(f))
    {
        if let Value::String(id) = customer.field_value(field) {
            let state = entry_state(conn, field, &id)?;
            check_reference(field.code(), &id, state.as_ref(), &customer.organization_id)?;
        }
    }
    Ok(())
}

/// Creates a customer of `organization_id` from a validated draft, as
/// `actor`. `id_field` names the id in errors (`entity_id` for a push, `id`
/// for the Portal).
pub fn create_customer(
    conn: &Connection,
    actor: &Session,
    id_field: &str,
    id: &str,
    draft: CustomerDraft,
    organization_id: &str,
    now: DateTime<Utc>,
) -> Result<RemoteCustomer> {
    validate_id(id_field, id)?;
    require_organization(conn, "organization_id", organization_id)?;
    if load(conn, id)?.is_some() {
        return Err(ApiError::validation(
            id_field,
            "a customer with this id already exists",
        ));
    }
    let customer = draft.into_customer(id.to_owned(), organization_id.to_owned(), now)?;
    // A new customer: any role picks its segment (the rule says so; asking
    // it keeps the server in step if the rule ever changes).
    check_segment_change(actor.role, &customer, customer.segment_id.as_deref())?;
    check_references(conn, &customer, &CustomerField::REFERENCES)?;
    let remote = RemoteCustomer::from_customer(&customer, 1, false);
    write(conn, &remote, &actor.user_id, next_seq(conn)?)?;
    Ok(remote)
}

/// How an update went: the customer afterwards and the fields not applied.
#[derive(Debug)]
pub struct UpdateOutcome {
    pub customer: RemoteCustomer,
    pub conflicts: Vec<FieldConflict>,
}

/// What an update is and who may see the customer.
pub struct UpdateRequest<'a> {
    pub id: &'a str,
    /// Field codes to values, as in a sync push (`organization_id` excluded).
    pub changes: Map<String, Value>,
    /// The version the change was made on; `None` for office edits, which
    /// win over everything (last writer wins).
    pub base_version: Option<i64>,
    /// Only a customer of this organization is found (`None`: any).
    pub visible_to: Option<&'a str>,
    /// Moves the customer to another organization (office edits only).
    pub move_to: Option<String>,
    /// A device change made on top of its own create before it heard the
    /// create was accepted (sent with `base_version: null`). For the segment
    /// rule the customer still counts as new, as it did on the device, but
    /// only while nobody but its creator has touched it; otherwise it is
    /// refused (validation, field `base_version`).
    pub made_while_new: bool,
}

/// Whether `actor` created the customer and is the only one who changed it.
fn untouched_by_others(
    conn: &Connection,
    customer_id: &str,
    created_by: &str,
    actor: &str,
) -> Result<bool> {
    if created_by != actor {
        return Ok(false);
    }
    let others: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM customer_fields WHERE customer_id = ?1 AND actor <> ?2",
        )?
        .query_row([customer_id, actor], |r| r.get(0))?;
    Ok(others == 0)
}

/// The version at which `field` of a customer last changed, and by whom.
fn field_state(
    conn: &Connection,
    customer_id: &str,
    field: CustomerField,
    created_by: &str,
) -> Result<(i64, String)> {
    Ok(conn
        .prepare_cached(
            "SELECT version, actor FROM customer_fields WHERE customer_id = ?1 AND field = ?2",
        )?
        .query_row([customer_id, field.code()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_else(|| (1, created_by.to_owned())))
}

/// Applies a partial update as `actor` (see the module docs for conflicts).
pub fn update_customer(
    conn: &Connection,
    actor: &Session,
    req: UpdateRequest<'_>,
    now: DateTime<Utc>,
) -> Result<UpdateOutcome> {
    let not_found = || ApiError::NotFound(format!("customer {}", req.id));
    let row = load(conn, req.id)?
        .filter(|r| !r.customer.deleted)
        .ok_or_else(not_found)?;
    if req
        .visible_to
        .is_some_and(|org| org != row.customer.organization_id)
    {
        return Err(not_found());
    }
    let version = row.customer.version;
    let current = row.customer.into_customer();

    // Validate everything sent, conflicting or not, so a bad value is
    // reported whatever else happened to the customer.
    let full = CustomerUpdate::from_changes(&req.changes)?;
    if req.made_while_new && !untouched_by_others(conn, req.id, &row.created_by, &actor.user_id)? {
        return Err(ApiError::invalid("base_version", ValidationReason::Blank));
    }
    if let Some(requested) = &full.segment_id {
        // As the device saw it when the change was made.
        let as_seen = Customer {
            version: if req.made_while_new {
                None
            } else {
                current.version
            },
            ..current.clone()
        };
        check_segment_change(actor.role, &as_seen, requested.as_deref())?;
    }
    let (wanted, _) = full.apply_to(&current, now)?;

    let mut changes = req.changes;
    let mut conflicts = Vec::new();
    if let Some(base) = req.base_version {
        for code in changes.keys().cloned().collect::<Vec<_>>() {
            // from_changes accepted every code, so each names a field.
            let Some(field) = CustomerField::from_code(&code) else {
                continue;
            };
            if wanted.field_value(field) == current.field_value(field) {
                continue; // the value it already has: nothing to decide
            }
            let (changed_in, by) = field_state(conn, req.id, field, &row.created_by)?;
            if changed_in > base && by != actor.user_id {
                changes.remove(&code);
                conflicts.push(FieldConflict {
                    field: code,
                    server_value: current.field_value(field),
                });
            }
        }
    }

    let (mut next, mut changed) =
        CustomerUpdate::from_changes(&changes)?.apply_to(&current, now)?;
    let moved_from = match req.move_to {
        Some(org) if org != current.organization_id => {
            require_organization(conn, "organization_id", &org)?;
            next.organization_id = org;
            next.updated_at = now;
            changed.push(CustomerField::OrganizationId);
            Some(current.organization_id.clone())
        }
        _ => None,
    };
    // After a move every reference must suit the new organization.
    let to_check = if moved_from.is_some() {
        CustomerField::REFERENCES.to_vec()
    } else {
        changed.clone()
    };
    check_references(conn, &next, &to_check)?;

    if changed.is_empty() {
        return Ok(UpdateOutcome {
            customer: RemoteCustomer::from_customer(&next, version, false),
            conflicts,
        });
    }
    let seq = next_seq(conn)?;
    let customer = RemoteCustomer::from_customer(&next, version + 1, false);
    write(conn, &customer, &row.created_by, seq)?;
    let mut remember = conn.prepare_cached(
        "INSERT INTO customer_fields (customer_id, field, version, actor) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(customer_id, field) DO UPDATE SET version = excluded.version,
             actor = excluded.actor",
    )?;
    for field in &changed {
        remember.execute(params![
            req.id,
            field.code(),
            customer.version,
            actor.user_id
        ])?;
    }
    if let Some(old) = moved_from {
        record_visibility(
            conn,
            Collection::Customers,
            req.id,
            seq,
            std::slice::from_ref(&old),
            std::slice::from_ref(&customer.organization_id),
        )?;
        // Its profile, transactions and memberships go with it.
        super::profiles::follow_customer(conn, req.id, &old, &customer.organization_id)?;
    }
    Ok(UpdateOutcome {
        customer,
        conflicts,
    })
}
