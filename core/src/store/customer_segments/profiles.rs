//! Customer profiles and purchase transactions from the server, and the
//! statistics derived from them (all-time aggregates, RFM scores).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use super::mark_dirty;
use crate::error::Result;
use crate::model::profile::{AttributeValue, CustomerProfile, Transaction};
use crate::store::catalogue::Change;

/// Applies server profiles (latest state per customer; older versions are
/// ignored, so a page applied twice changes nothing).
pub fn apply_profile_changes(
    conn: &Connection,
    changes: &[Change<CustomerProfile>],
) -> Result<usize> {
    let mut applied = 0;
    for change in changes {
        let (customer_id, version) = match change {
            Change::Upsert(p) => (p.customer_id.as_str(), p.version),
            Change::Delete { id, version } => (id.as_str(), *version),
        };
        let stored: Option<i64> = conn
            .prepare_cached("SELECT version FROM customer_profiles WHERE customer_id = ?1")?
            .query_row([customer_id], |r| r.get(0))
            .optional()?;
        if stored.is_some_and(|v| v >= version) && matches!(change, Change::Upsert(_)) {
            continue;
        }
        clear_profile(conn, customer_id)?;
        if let Change::Upsert(p) = change {
            p.validate()?;
            write_profile(conn, p)?;
        }
        mark_dirty(conn, customer_id)?;
        applied += 1;
    }
    Ok(applied)
}

fn clear_profile(conn: &Connection, customer_id: &str) -> Result<()> {
    for table in [
        "customer_profiles",
        "customer_profile_records",
        "customer_consents",
        "customer_badges",
        "customer_attributes",
        "customer_events",
        "customer_audiences",
        "customer_campaigns",
    ] {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE customer_id = ?1"))?
            .execute([customer_id])?;
    }
    Ok(())
}

fn write_profile(conn: &Connection, p: &CustomerProfile) -> Result<()> {
    let id = &p.customer_id;
    conn.prepare_cached(
        "INSERT INTO customer_profiles (customer_id, birth_date, gender, city, postal_code, language,
             contact_source, parent_id, loyalty_member, loyalty_tier, loyalty_points, active_vouchers,
             version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        id,
        p.birth_date,
        p.gender,
        p.city,
        p.postal_code,
        p.language,
        p.contact_source,
        p.parent_id,
        p.loyalty.as_ref().map(|l| l.member),
        p.loyalty.as_ref().and_then(|l| l.tier.as_deref()),
        p.loyalty.as_ref().map(|l| l.points),
        p.active_vouchers,
        p.version,
    ])?;
    conn.prepare_cached(
        "INSERT INTO customer_profile_records (customer_id, record) VALUES (?1, ?2)",
    )?
    .execute(params![id, serde_json::to_string(p)?])?;
    let mut consent = conn.prepare_cached(
        "INSERT INTO customer_consents (customer_id, kind, given_on) VALUES (?1, ?2, ?3)",
    )?;
    for c in &p.consents {
        consent.execute(params![id, c.kind.code(), c.given_on])?;
    }
    let mut badge =
        conn.prepare_cached("INSERT INTO customer_badges (customer_id, badge) VALUES (?1, ?2)")?;
    for b in &p.badges {
        badge.execute(params![id, b])?;
    }
    let mut attribute = conn.prepare_cached(
        "INSERT INTO customer_attributes (customer_id, key, kind, text_value, number_value)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for a in &p.attributes {
        let (kind, text, number) = match &a.value {
            AttributeValue::Text(t) => ("text", Some(t.clone()), None),
            AttributeValue::Number(n) => ("number", None, Some(*n)),
            AttributeValue::Date(d) => ("date", Some(d.format("%Y-%m-%d").to_string()), None),
            AttributeValue::Boolean(b) => ("boolean", None, Some(if *b { 1.0 } else { 0.0 })),
        };
        attribute.execute(params![id, a.key, kind, text, number])?;
    }
    let mut event = conn.prepare_cached(
        "INSERT INTO customer_events (customer_id, kind, on_date) VALUES (?1, ?2, ?3)",
    )?;
    for e in &p.events {
        event.execute(params![id, e.kind.code(), e.on])?;
    }
    let mut audience = conn.prepare_cached(
        "INSERT INTO customer_audiences (customer_id, audience_id) VALUES (?1, ?2)",
    )?;
    for a in &p.audiences {
        audience.execute(params![id, a])?;
    }
    let mut campaign = conn.prepare_cached(
        "INSERT INTO customer_campaigns (customer_id, campaign_id, received, opened, clicked)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &p.campaigns {
        campaign.execute(params![id, c.campaign_id, c.received, c.opened, c.clicked])?;
    }
    Ok(())
}

pub(crate) fn load_profile(
    conn: &Connection,
    customer_id: &str,
) -> Result<Option<CustomerProfile>> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM customer_profile_records WHERE customer_id = ?1")?
        .query_row([customer_id], |r| r.get(0))
        .optional()?;
    Ok(record.map(|r| serde_json::from_str(&r)).transpose()?)
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
                    "INSERT OR REPLACE INTO transactions (id, customer_id, on_date, amount_minor, kind, version)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    t.id,
                    t.customer_id,
                    t.date,
                    t.amount_minor(),
                    t.kind.code(),
                    t.version
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
        mark_dirty(conn, customer_id)?;
    }
    if !touched.is_empty() {
        super::mark_rfm_dirty(conn)?;
    }
    Ok(touched.len())
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
pub(crate) fn refresh_rfm_if_dirty(conn: &Connection) -> Result<bool> {
    let dirty: bool = conn.query_row(
        "SELECT rfm_dirty FROM segment_evaluation_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    if !dirty {
        return Ok(false);
    }
    let organizations: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT c.organization_id FROM customer_stats s JOIN customers c ON c.id = s.customer_id
             WHERE c.deleted = 0",
        )?;
        crate::store::query_all(&mut stmt, [], |r| Ok(r.get(0)?))?
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
               AND customer_id IN (SELECT id FROM customers WHERE organization_id = ?1 AND deleted = 0)
               AND (rfm_recency IS NOT {r} OR rfm_frequency IS NOT {f} OR rfm_monetary IS NOT {m})"
        ))?
        .execute(rusqlite::params_from_iter(args))?;
    }
    // Not ranked: no purchases, or no such customer here (yet).
    conn.execute(
        "UPDATE customer_stats SET rfm_recency = NULL, rfm_frequency = NULL, rfm_monetary = NULL
         WHERE rfm_recency IS NOT NULL
           AND (purchase_count = 0 OR customer_id NOT IN (SELECT id FROM customers WHERE deleted = 0))",
        [],
    )?;
    conn.execute("UPDATE segment_evaluation_state SET rfm_dirty = 0", [])?;
    Ok(true)
}
