//! Customer profiles and purchase transactions from the server, and the
//! statistics derived from them (all-time aggregates, RFM scores).

use std::collections::BTreeSet;

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
/// organization: `1 + 5 × (rank − 1) / n`, with ties sharing the lowest
/// rank (see `docs/criteria.md`). Ranked in memory (three sorts of one
/// organization's figures) and written only where a score moved, so the
/// pass after a few new transactions writes a few rows.
pub(crate) fn refresh_rfm_if_dirty(conn: &Connection) -> Result<bool> {
    let dirty: bool = conn.query_row(
        "SELECT rfm_dirty FROM segment_evaluation_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    if !dirty {
        return Ok(false);
    }
    struct Row {
        customer_id: String,
        organization_id: Option<String>,
        figures: [Option<String>; 1],
        count: i64,
        spend: i64,
        stored: [Option<u8>; 3],
    }
    let mut stmt = conn.prepare_cached(
        "SELECT s.customer_id, c.organization_id, s.last_purchase, s.purchase_count, s.total_spend_minor,
                s.rfm_recency, s.rfm_frequency, s.rfm_monetary
         FROM customer_stats s LEFT JOIN customers c ON c.id = s.customer_id AND c.deleted = 0",
    )?;
    let rows = crate::store::query_all(&mut stmt, [], |r| {
        Ok(Row {
            customer_id: r.get(0)?,
            organization_id: r.get(1)?,
            figures: [r.get(2)?],
            count: r.get(3)?,
            spend: r.get(4)?,
            stored: [r.get(5)?, r.get(6)?, r.get(7)?],
        })
    })?;
    // Ranked: customers that exist here and bought something, per organization.
    let mut by_org: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, row) in rows.iter().enumerate() {
        if let Some(org) = &row.organization_id
            && row.count > 0
        {
            by_org.entry(org).or_default().push(i);
        }
    }
    let mut scores: Vec<[Option<u8>; 3]> = vec![[None; 3]; rows.len()];
    for members in by_org.values() {
        let n = members.len() as i64;
        let score = |below: usize| (1 + 5 * below as i64 / n) as u8;
        let mut last: Vec<&str> = members
            .iter()
            .map(|i| rows[*i].figures[0].as_deref().unwrap_or(""))
            .collect();
        let mut count: Vec<i64> = members.iter().map(|i| rows[*i].count).collect();
        let mut spend: Vec<i64> = members.iter().map(|i| rows[*i].spend).collect();
        last.sort_unstable();
        count.sort_unstable();
        spend.sort_unstable();
        for i in members {
            let row = &rows[*i];
            let l = row.figures[0].as_deref().unwrap_or("");
            scores[*i] = [
                Some(score(last.partition_point(|v| *v < l))),
                Some(score(count.partition_point(|v| *v < row.count))),
                Some(score(spend.partition_point(|v| *v < row.spend))),
            ];
        }
    }
    let mut update = conn.prepare_cached(
        "UPDATE customer_stats SET rfm_recency = ?2, rfm_frequency = ?3, rfm_monetary = ?4
         WHERE customer_id = ?1",
    )?;
    for (row, new) in rows.iter().zip(&scores) {
        if row.stored != *new {
            update.execute(params![row.customer_id, new[0], new[1], new[2]])?;
        }
    }
    conn.execute("UPDATE segment_evaluation_state SET rfm_dirty = 0", [])?;
    Ok(true)
}
