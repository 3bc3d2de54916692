//! What the Portal (CRM, loyalty, POS, web shop) knows of customers beyond
//! the account fields: profiles (core's `CustomerProfile`), purchase
//! transactions (core's `Transaction`) and open shopping carts (core's
//! `Cart`). Read-only for devices; the feed carries them to
//! the devices of the customer's organization.
//!
//! Rows carry the customer's organization so the feed reads them from an
//! `(organization_id, seq)` index like customers; when a customer moves,
//! [`follow_customer`] moves its profile, transactions and memberships too.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use fieldsync_core::model::RemoteCustomer;
use fieldsync_core::model::profile::{Cart, CustomerProfile, Transaction, TransactionKind};
use fieldsync_core::protocol::CustomerSegmentMembership;
use fieldsync_core::sync::Collection;
use rusqlite::{Connection, OptionalExtension, params};

use super::{all_rows, next_seq, record_visibility, reserve_seq};
use crate::error::{ApiError, Result};

/// A profile and its organization's id.
pub fn get_profile(conn: &Connection, customer_id: &str) -> Result<Option<CustomerProfile>> {
    let row: Option<(String, i64, DateTime<Utc>)> = conn
        .prepare_cached(
            "SELECT data, version, updated_at FROM customer_profiles WHERE customer_id = ?1",
        )?
        .query_row([customer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(data, version, updated_at)| {
        let profile: CustomerProfile = serde_json::from_str(&data)?;
        Ok(CustomerProfile {
            version,
            updated_at,
            ..profile
        })
    })
    .transpose()
}

/// Replaces the profile of `customer` (validated by the caller) in a new
/// version; `seq` is taken here unless given (bulk seeding).
pub fn put_profile(
    conn: &Connection,
    customer: &RemoteCustomer,
    profile: CustomerProfile,
    now: DateTime<Utc>,
    seq: Option<i64>,
) -> Result<CustomerProfile> {
    let version: i64 = conn
        .prepare_cached("SELECT version FROM customer_profiles WHERE customer_id = ?1")?
        .query_row([&customer.id], |r| r.get(0))
        .optional()?
        .map_or(1, |v: i64| v + 1);
    let stored = CustomerProfile {
        customer_id: customer.id.clone(),
        version,
        updated_at: now,
        ..profile
    };
    let seq = match seq {
        Some(s) => s,
        None => next_seq(conn)?,
    };
    conn.prepare_cached(
        "INSERT INTO customer_profiles (customer_id, organization_id, data, version, updated_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(customer_id) DO UPDATE SET organization_id = excluded.organization_id,
             data = excluded.data, version = excluded.version,
             updated_at = excluded.updated_at, seq = excluded.seq",
    )?
    .execute(params![
        customer.id,
        customer.organization_id,
        serde_json::to_string(&stored)?,
        version,
        now,
        seq
    ])?;
    Ok(stored)
}

/// A stored transaction and whether it is a tombstone.
pub fn get_transaction(conn: &Connection, id: &str) -> Result<Option<(Transaction, bool, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT customer_id, date, amount, kind, version, deleted, organization_id,
                    business_unit_id, partner_id
             FROM transactions WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let kind: String = r.get(3)?;
            Ok((
                Transaction {
                    id: id.to_owned(),
                    customer_id: r.get(0)?,
                    date: r.get::<_, NaiveDate>(1)?,
                    amount: r.get(2)?,
                    kind: TransactionKind::from_code(&kind).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            3,
                            rusqlite::types::Type::Text,
                            format!("stored transaction kind {kind} is invalid").into(),
                        )
                    })?,
                    business_unit_id: r.get(7)?,
                    partner_id: r.get(8)?,
                    version: r.get(4)?,
                },
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?)
}

/// How a batch of transactions went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BatchOutcome {
    /// New ids.
    pub created: u64,
    /// Ids the server had (live or deleted): replaced in a new version.
    pub updated: u64,
}

/// Stores validated transactions, each with its customer's organization:
/// new ids at version 1, known ones (even deleted) replaced in a new
/// version. One reserved block of seqs and one prepared statement, so a
/// million rows take seconds.
pub fn put_transactions(conn: &Connection, batch: &[(&Transaction, &str)]) -> Result<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    if batch.is_empty() {
        return Ok(outcome);
    }
    let first = reserve_seq(conn, batch.len() as i64)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO transactions (id, customer_id, organization_id, date, amount, kind,
             version, deleted, seq, business_unit_id, partner_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, 0, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET customer_id = excluded.customer_id,
             organization_id = excluded.organization_id, date = excluded.date,
             amount = excluded.amount, kind = excluded.kind, version = version + 1,
             deleted = 0, seq = excluded.seq, business_unit_id = excluded.business_unit_id,
             partner_id = excluded.partner_id
         RETURNING version",
    )?;
    for (i, (t, org)) in batch.iter().enumerate() {
        let version: i64 = stmt.query_row(
            params![
                t.id,
                t.customer_id,
                org,
                t.date,
                t.amount,
                t.kind.code(),
                first + i as i64,
                t.business_unit_id,
                t.partner_id
            ],
            |r| r.get(0),
        )?;
        if version == 1 {
            outcome.created += 1;
        } else {
            outcome.updated += 1;
        }
    }
    Ok(outcome)
}

/// Rows per statement of [`insert_new_transactions`].
const ROWS_PER_INSERT: usize = 100;

/// Inserts transactions whose ids are new (bulk generation), at version 1,
/// many rows per statement: faster than [`put_transactions`], and fails on
/// a known id.
pub fn insert_new_transactions(conn: &Connection, batch: &[(&Transaction, &str)]) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let first = reserve_seq(conn, batch.len() as i64)?;
    let sql = |rows: usize| {
        let values = vec!["(?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?)"; rows].join(", ");
        format!(
            "INSERT INTO transactions (id, customer_id, organization_id, date, amount, kind,
                 version, deleted, seq, business_unit_id, partner_id) VALUES {values}"
        )
    };
    let full = sql(ROWS_PER_INSERT);
    for (c, chunk) in batch.chunks(ROWS_PER_INSERT).enumerate() {
        let mut stmt = if chunk.len() == ROWS_PER_INSERT {
            conn.prepare_cached(&full)?
        } else {
            conn.prepare_cached(&sql(chunk.len()))?
        };
        let dates: Vec<String> = chunk.iter().map(|(t, _)| t.date.to_string()).collect();
        let kinds: Vec<&str> = chunk.iter().map(|(t, _)| t.kind.code()).collect();
        let seqs: Vec<i64> = (0..chunk.len())
            .map(|i| first + (c * ROWS_PER_INSERT + i) as i64)
            .collect();
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 9);
        for (i, (t, org)) in chunk.iter().enumerate() {
            values.push(&t.id);
            values.push(&t.customer_id);
            values.push(org);
            values.push(&dates[i]);
            values.push(&t.amount);
            values.push(&kinds[i]);
            values.push(&seqs[i]);
            values.push(&t.business_unit_id);
            values.push(&t.partner_id);
        }
        stmt.execute(values.as_slice())?;
    }
    Ok(())
}

/// Deletes a live transaction of a customer of `visible_to` (any when
/// `None`), keeping a tombstone in a new version, which it answers.
pub fn delete_transaction(
    conn: &Connection,
    id: &str,
    visible_to: Option<&str>,
) -> Result<Transaction> {
    let (t, _, _) = get_transaction(conn, id)?
        .filter(|(_, deleted, org)| !deleted && visible_to.is_none_or(|v| v == org))
        .ok_or_else(|| ApiError::NotFound(format!("transaction {id}")))?;
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "UPDATE transactions SET deleted = 1, version = version + 1, seq = ?2 WHERE id = ?1",
    )?
    .execute(params![id, seq])?;
    Ok(Transaction {
        version: t.version + 1,
        ..t
    })
}

/// A stored cart, whether it is a tombstone, and its organization.
pub fn get_cart(conn: &Connection, customer_id: &str) -> Result<Option<(Cart, bool, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT value, items, updated_on, abandoned, version, deleted, organization_id
             FROM carts WHERE customer_id = ?1",
        )?
        .query_row([customer_id], |r| {
            Ok((
                Cart {
                    customer_id: customer_id.to_owned(),
                    value: r.get(0)?,
                    items: r.get(1)?,
                    updated_on: r.get(2)?,
                    abandoned: r.get(3)?,
                    version: r.get(4)?,
                },
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?)
}

/// Replaces the open cart of `customer` (validated by the caller) in a new
/// version (a checked-out one reopens); `seq` is taken here unless given.
pub fn put_cart(
    conn: &Connection,
    customer: &RemoteCustomer,
    cart: Cart,
    seq: Option<i64>,
) -> Result<Cart> {
    let seq = match seq {
        Some(s) => s,
        None => next_seq(conn)?,
    };
    let version: i64 = conn
        .prepare_cached(
            "INSERT INTO carts (customer_id, organization_id, value, items, updated_on, abandoned,
                 version, deleted, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, 0, ?7)
             ON CONFLICT(customer_id) DO UPDATE SET organization_id = excluded.organization_id,
                 value = excluded.value, items = excluded.items, updated_on = excluded.updated_on,
                 abandoned = excluded.abandoned, version = version + 1, deleted = 0,
                 seq = excluded.seq
             RETURNING version",
        )?
        .query_row(
            params![
                customer.id,
                customer.organization_id,
                cart.value,
                cart.items,
                cart.updated_on,
                cart.abandoned,
                seq
            ],
            |r| r.get(0),
        )?;
    Ok(Cart {
        customer_id: customer.id.clone(),
        version,
        ..cart
    })
}

/// Closes the open cart of a customer of `visible_to` (any when `None`):
/// checked out or emptied. Keeps a tombstone in a new version, which it
/// answers.
pub fn delete_cart(conn: &Connection, customer_id: &str, visible_to: Option<&str>) -> Result<Cart> {
    let (cart, _, _) = get_cart(conn, customer_id)?
        .filter(|(_, deleted, org)| !deleted && visible_to.is_none_or(|v| v == org))
        .ok_or_else(|| ApiError::NotFound(format!("cart of customer {customer_id}")))?;
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "UPDATE carts SET deleted = 1, version = version + 1, seq = ?2 WHERE customer_id = ?1",
    )?
    .execute(params![customer_id, seq])?;
    Ok(Cart {
        version: cart.version + 1,
        ..cart
    })
}

/// The organization of every customer of `ids`, `None` for unknown ones,
/// looked up once per id.
pub fn customer_orgs<'a>(
    conn: &Connection,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<&'a str, Option<String>>> {
    let mut stmt = conn.prepare_cached("SELECT organization_id FROM customers WHERE id = ?1")?;
    let mut out = HashMap::new();
    for id in ids {
        if !out.contains_key(id) {
            let org: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
            out.insert(id, org);
        }
    }
    Ok(out)
}

/// Moves what belongs to a customer (profile, transactions, cart, memberships)
/// along with it from organization `old` to `new`: each takes a new seq so
/// the new organization's devices get it, and `old`'s get deletes (for
/// memberships: `member: false` upserts).
pub fn follow_customer(conn: &Connection, customer_id: &str, old: &str, new: &str) -> Result<()> {
    let lost = [old.to_owned()];
    let regained = [new.to_owned()];
    let touch = |collection: Collection, id: &str, sql: &str, p: &[&str]| -> Result<()> {
        let seq = next_seq(conn)?;
        let mut stmt = conn.prepare_cached(sql)?;
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&new, &seq];
        values.extend(p.iter().map(|v| v as &dyn rusqlite::ToSql));
        stmt.execute(values.as_slice())?;
        record_visibility(conn, collection, id, seq, &lost, &regained)
    };
    if get_profile(conn, customer_id)?.is_some() {
        touch(
            Collection::CustomerProfiles,
            customer_id,
            "UPDATE customer_profiles SET organization_id = ?1, seq = ?2 WHERE customer_id = ?3",
            &[customer_id],
        )?;
    }
    if get_cart(conn, customer_id)?.is_some() {
        touch(
            Collection::Carts,
            customer_id,
            "UPDATE carts SET organization_id = ?1, seq = ?2 WHERE customer_id = ?3",
            &[customer_id],
        )?;
    }
    let transactions = all_rows(
        conn,
        "SELECT id FROM transactions WHERE customer_id = ?1",
        [customer_id],
        |r| r.get::<_, String>(0),
    )?;
    for id in &transactions {
        touch(
            Collection::Transactions,
            id,
            "UPDATE transactions SET organization_id = ?1, seq = ?2 WHERE id = ?3",
            &[id],
        )?;
    }
    let segments = all_rows(
        conn,
        "SELECT segment_id FROM customer_segment_members WHERE customer_id = ?1",
        [customer_id],
        |r| r.get::<_, String>(0),
    )?;
    for segment in &segments {
        touch(
            Collection::CustomerSegmentMembers,
            &CustomerSegmentMembership::key(segment, customer_id),
            "UPDATE customer_segment_members SET organization_id = ?1, seq = ?2
             WHERE segment_id = ?3 AND customer_id = ?4",
            &[segment, customer_id],
        )?;
    }
    Ok(())
}
