//! Purchase transactions from the server and the figures derived from
//! them: per-customer aggregates (count, spend, last purchase), kept current
//! as transactions arrive, and RFM quintile scores, ranked again when
//! purchases or customers changed (see `docs/criteria.md`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use super::catalogue::Change;
use super::{Store, journal, query_all};
use crate::error::Result;
use crate::model::profile::Transaction;

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

/// Applies server transactions; the affected customers' aggregates are
/// updated at once, the RFM scores (which depend on everyone) on the next
/// evaluation.
pub fn apply_transaction_changes(
    conn: &Connection,
    changes: &[Change<Transaction>],
) -> Result<usize> {
    let mut touched = BTreeSet::new();
    for change in changes {
        match change {
            Change::Upsert(t) => {
                t.validate()?;
                let stored: Option<(i64, String)> = conn
                    .prepare_cached("SELECT version, customer_id FROM transactions WHERE id = ?1")?
                    .query_row([&t.id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if stored.as_ref().is_some_and(|(v, _)| *v >= t.version) {
                    continue;
                }
                if let Some((_, previous_customer)) = stored {
                    touched.insert(previous_customer);
                }
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO transactions (id, customer_id, on_date, amount_minor, kind, version,
                         business_unit_id, partner_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    t.id,
                    t.customer_id,
                    t.date,
                    t.amount_minor(),
                    t.kind.code(),
                    t.version,
                    t.business_unit_id,
                    t.partner_id
                ])?;
                touched.insert(t.customer_id.clone());
            }
            Change::Delete { id, .. } => {
                let customer: Option<String> = conn
                    .prepare_cached("DELETE FROM transactions WHERE id = ?1 RETURNING customer_id")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                touched.extend(customer);
            }
        }
    }
    for customer_id in &touched {
        refresh_aggregates(conn, customer_id)?;
        journal::customer_changed(conn, customer_id)?;
    }
    if !touched.is_empty() {
        journal::rankings_changed(conn)?;
    }
    Ok(touched.len())
}

/// Customers arrived or left: who is ranked changed, so RFM scores are
/// computed again before the next evaluation.
pub(crate) fn customers_ranked_again(conn: &Connection) -> Result<()> {
    journal::rankings_changed(conn)
}

/// Recomputes one customer's all-time purchase aggregates (RFM scores are
/// kept until the next full RFM pass).
fn refresh_aggregates(conn: &Connection, customer_id: &str) -> Result<()> {
    let (count, spend, last): (i64, i64, Option<String>) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(amount_minor), 0), max(on_date)
             FROM transactions WHERE customer_id = ?1",
        )?
        .query_row([customer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if count == 0 {
        conn.prepare_cached("DELETE FROM customer_stats WHERE customer_id = ?1")?
            .execute([customer_id])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO customer_stats (customer_id, purchase_count, total_spend_minor, last_purchase)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (customer_id) DO UPDATE SET purchase_count = excluded.purchase_count,
                 total_spend_minor = excluded.total_spend_minor, last_purchase = excluded.last_purchase",
        )?
        .execute(params![customer_id, count, spend, last])?;
    }
    Ok(())
}

/// Recomputes every RFM score when customers or transactions changed since
/// the last pass; returns whether it did. Scores are quintiles per
/// organization: `1 + floor(5 × (rank − 1) / n)`, ties sharing the lowest
/// rank (see `docs/criteria.md`). With `a` an organization's figures
/// sorted, that is `1 + #{k in 1..=4 : v > a[ceil(k × n / 5) − 1]}`: only
/// the figures are held in memory (no ids), four thresholds per figure are
/// bound into one UPDATE, and only rows whose score moved are written.
pub(crate) fn refresh_rfm_if_stale(conn: &Connection) -> Result<bool> {
    if !journal::rankings_stale(conn)? {
        return Ok(false);
    }
    let organizations: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT c.organization_id FROM customer_stats s JOIN customers c ON c.id = s.customer_id
             WHERE c.deleted = 0",
        )?;
        query_all(&mut stmt, [], |r| Ok(r.get(0)?))?
    };
    for org in &organizations {
        let mut last: Vec<NaiveDate> = Vec::new();
        let mut count: Vec<i64> = Vec::new();
        let mut spend: Vec<i64> = Vec::new();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT s.last_purchase, s.purchase_count, s.total_spend_minor
                 FROM customer_stats s JOIN customers c ON c.id = s.customer_id
                 WHERE c.deleted = 0 AND c.organization_id = ?1 AND s.purchase_count > 0",
            )?;
            let mut rows = stmt.query([org])?;
            while let Some(r) = rows.next()? {
                last.push(r.get(0)?);
                count.push(r.get(1)?);
                spend.push(r.get(2)?);
            }
        }
        last.sort_unstable();
        count.sort_unstable();
        spend.sort_unstable();
        let n = last.len();
        // a[ceil(k n / 5) - 1] for k = 1..=4
        let at = |k: usize| (k * n).div_ceil(5) - 1;
        let mut args: Vec<rusqlite::types::Value> = vec![org.clone().into()];
        for k in 1..=4 {
            args.push(last[at(k)].format("%Y-%m-%d").to_string().into());
        }
        for k in 1..=4 {
            args.push(count[at(k)].into());
        }
        for k in 1..=4 {
            args.push(spend[at(k)].into());
        }
        let score = |column: &str, first: usize| {
            format!(
                "(1 + ({column} > ?{}) + ({column} > ?{}) + ({column} > ?{}) + ({column} > ?{}))",
                first,
                first + 1,
                first + 2,
                first + 3
            )
        };
        let (r, f, m) = (
            score("last_purchase", 2),
            score("purchase_count", 6),
            score("total_spend_minor", 10),
        );
        conn.prepare_cached(&format!(
            "UPDATE customer_stats SET rfm_recency = {r}, rfm_frequency = {f}, rfm_monetary = {m}
             WHERE purchase_count > 0
               AND EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_stats.customer_id
                           AND c.organization_id = ?1 AND c.deleted = 0)
               AND (rfm_recency IS NOT {r} OR rfm_frequency IS NOT {f} OR rfm_monetary IS NOT {m})"
        ))?
        .execute(rusqlite::params_from_iter(args))?;
    }
    // Not ranked: no purchases, or no such customer here (yet). Both
    // statements look customers up by id (EXISTS), not list them all (IN):
    // the cost follows the purchasers, not the customers.
    conn.execute(
        "UPDATE customer_stats SET rfm_recency = NULL, rfm_frequency = NULL, rfm_monetary = NULL
         WHERE rfm_recency IS NOT NULL
           AND (purchase_count = 0 OR NOT EXISTS (SELECT 1 FROM customers c
                                                  WHERE c.id = customer_stats.customer_id AND c.deleted = 0))",
        [],
    )?;
    journal::rankings_refreshed(conn)?;
    Ok(true)
}

impl Store {
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

    /// Applies server transactions (the sync engine does this from the
    /// feed; exposed for tests, tools and benchmarks).
    pub fn apply_transaction_changes(&self, changes: &[Change<Transaction>]) -> Result<usize> {
        self.write(|tx| apply_transaction_changes(tx, changes))
    }
}
