//! Keeping the members of conditional segments current.
//!
//! - A new or edited definition (or an explicit refresh) is evaluated in
//!   full: one SQL statement over all customers.
//! - A flexi segment follows the data: after a change to some customers
//!   (their ids wait in `segment_dirty_customers`) only those customers are
//!   re-evaluated, one indexed query per segment and customer. It is also
//!   re-evaluated in full when what it depends on moved for everyone: RFM
//!   scores, the date (for "last N days" and ages), or a segment it
//!   includes that was evaluated in full.
//! - A snapshot (non-flexi) segment keeps its members until its definition
//!   changes or the app refreshes it.
//!
//! Segments are evaluated in dependency order (a segment after those it
//! includes); segments caught in an inclusion cycle get no members, so
//! evaluation always terminates.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params, params_from_iter};

use super::compile::{EVALUATION_FROM, Shape, compile};
use super::customer_segment_kind;
use crate::error::{Entity, Error, Result, ValidationReason};
use crate::model::CustomerSegmentKind;
use crate::model::criteria::Criteria;
use crate::store::journal::{ChangedCustomers, INCREMENTAL_LIMIT};
use crate::store::purchases::refresh_rfm_if_stale;
use crate::store::{Store, journal, query_all};

/// What a refresh does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// After a sync (or when the app asks): everything that is stale.
    Stale,
    /// After a local write: only these customers, in flexi segments that
    /// are otherwise current; the rest waits for the next refresh.
    Customers(Vec<String>),
    /// Also re-evaluate this segment in full (a snapshot refresh).
    Force(String),
}

/// What one refresh did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerSegmentRefresh {
    /// Segments evaluated over all customers.
    pub full_evaluations: u32,
    /// (segment, customer) pairs evaluated one by one.
    pub customer_evaluations: u64,
    /// Memberships that appeared or disappeared.
    pub membership_changes: u64,
    /// Segments left without members because they include themselves
    /// through others.
    pub cyclic: Vec<String>,
}

struct Definition {
    id: String,
    organization_id: Option<String>,
    flexi: bool,
    version: i64,
    evaluated_version: Option<i64>,
    evaluated_on: Option<NaiveDate>,
    criteria: Option<Criteria>,
}

fn load_conditional(conn: &Connection) -> Result<Vec<Definition>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, organization_id, flexi, version, evaluated_version, evaluated_on, criteria
         FROM customer_segments WHERE kind = 'conditional' ORDER BY id",
    )?;
    query_all(&mut stmt, [], |r| {
        let criteria = r
            .get::<_, Option<String>>(6)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .and_then(|value| Criteria::parse(&value).ok());
        Ok(Definition {
            id: r.get(0)?,
            organization_id: r.get(1)?,
            flexi: r.get(2)?,
            version: r.get(3)?,
            evaluated_version: r.get(4)?,
            evaluated_on: r.get(5)?,
            criteria,
        })
    })
}

/// Dependency order (Kahn): a segment comes after the conditional segments
/// it includes. Returns the order and the segments left in cycles.
fn evaluation_order(defs: &[Definition]) -> (Vec<usize>, Vec<usize>) {
    let index: BTreeMap<&str, usize> = defs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let deps: Vec<BTreeSet<usize>> = defs
        .iter()
        .map(|d| {
            d.criteria
                .iter()
                .flat_map(Criteria::segment_references)
                .filter_map(|r| index.get(r.as_str()).copied())
                .collect()
        })
        .collect();
    let mut remaining: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut ready: Vec<usize> = (0..defs.len()).filter(|i| remaining[*i] == 0).collect();
    let mut order = Vec::with_capacity(defs.len());
    while let Some(i) = ready.pop() {
        order.push(i);
        for (j, d) in deps.iter().enumerate() {
            if d.contains(&i) {
                remaining[j] -= 1;
                if remaining[j] == 0 {
                    ready.push(j);
                }
            }
        }
    }
    let cyclic = (0..defs.len()).filter(|i| !order.contains(i)).collect();
    (order, cyclic)
}

/// The WHERE clause selecting the customers of `organization` (all when
/// `None`) that `criteria` selects (with `c.id = ?` first when `customer`
/// is given) and its parameters.
fn member_filter(
    organization: Option<&str>,
    criteria: &Criteria,
    customer: Option<&str>,
    today: NaiveDate,
) -> (String, Vec<SqlValue>) {
    let shape = if customer.is_some() {
        Shape::Row
    } else {
        Shape::Set
    };
    let compiled = compile(criteria, today, shape);
    // `+`: no index for this term, so the plan starts from the criteria.
    let mut sql = String::from("+c.deleted = 0");
    let mut args = Vec::new();
    if let Some(id) = customer {
        sql.push_str(" AND c.id = ?");
        args.push(SqlValue::Text(id.to_owned()));
    }
    if let Some(org) = organization {
        sql.push_str(" AND c.organization_id = ?");
        args.push(SqlValue::Text(org.to_owned()));
    }
    sql.push_str(" AND ");
    sql.push_str(&compiled.sql);
    args.extend(compiled.params);
    (sql, args)
}

/// Evaluates `def` for every customer; returns how many memberships
/// changed. The new members go to a scratch table first so that only the
/// difference is written (and reported). The scratch table holds rowids,
/// not ids: temporary tables live in memory (Android has no temp
/// directory SQLite can use), and a million members take about 10 MiB as
/// integers where their UUIDs took 60.
fn evaluate_all(conn: &Connection, def: &Definition, today: NaiveDate) -> Result<u64> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS evaluated_members (customer_rowid INTEGER PRIMARY KEY);
         DELETE FROM temp.evaluated_members;",
    )?;
    if let Some(criteria) = &def.criteria {
        let (filter, args) = member_filter(def.organization_id.as_deref(), criteria, None, today);
        conn.execute(
            &format!(
                "INSERT INTO temp.evaluated_members (customer_rowid)
                 SELECT c.rowid FROM {EVALUATION_FROM} WHERE {filter}"
            ),
            params_from_iter(args),
        )?;
    }
    // Correlated lookups (a member's id to its rowid, then the scratch
    // table), so no statement lists every member in memory.
    let removed = conn
        .prepare_cached(
            "DELETE FROM customer_segment_members AS m WHERE m.segment_id = ?1
             AND NOT EXISTS (SELECT 1 FROM customers c JOIN temp.evaluated_members e ON e.customer_rowid = c.rowid
                             WHERE c.id = m.customer_id)",
        )?
        .execute([&def.id])?;
    let added = conn
        .prepare_cached(
            // In id order, walking the id index: the members' two indexes
            // then grow at their ends instead of at random places.
            "INSERT OR IGNORE INTO customer_segment_members (segment_id, customer_id)
             SELECT ?1, c.id FROM customers c
             WHERE EXISTS (SELECT 1 FROM temp.evaluated_members e WHERE e.customer_rowid = c.rowid)
             ORDER BY c.id",
        )?
        .execute([&def.id])?;
    conn.execute_batch("DELETE FROM temp.evaluated_members")?;
    conn.prepare_cached(
        "UPDATE customer_segments SET evaluated_version = version, evaluated_on = ?2 WHERE id = ?1",
    )?
    .execute(params![def.id, today])?;
    Ok((removed + added) as u64)
}

fn evaluate_customer(
    conn: &Connection,
    def: &Definition,
    customer_id: &str,
    today: NaiveDate,
) -> Result<u64> {
    let member = match &def.criteria {
        None => false,
        Some(criteria) => {
            let (filter, args) = member_filter(
                def.organization_id.as_deref(),
                criteria,
                Some(customer_id),
                today,
            );
            conn.prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM {EVALUATION_FROM} WHERE {filter})"
            ))?
            .query_row(params_from_iter(args), |r| r.get(0))?
        }
    };
    let sql = if member {
        "INSERT OR IGNORE INTO customer_segment_members (segment_id, customer_id) VALUES (?1, ?2)"
    } else {
        "DELETE FROM customer_segment_members WHERE segment_id = ?1 AND customer_id = ?2"
    };
    Ok(conn.prepare_cached(sql)?.execute([&def.id, customer_id])? as u64)
}

/// Brings conditional segments up to date (see the module comment).
pub(crate) fn refresh(
    conn: &Connection,
    today: NaiveDate,
    mode: &Mode,
) -> Result<CustomerSegmentRefresh> {
    let mut outcome = CustomerSegmentRefresh::default();
    let local = matches!(mode, Mode::Customers(_));
    let rfm_changed = !local && refresh_rfm_if_stale(conn)?;
    // After a large pull the changed customers are not loaded: flexi
    // segments are then evaluated in full (memory stays flat).
    let (dirty, many): (Vec<String>, bool) = match mode {
        Mode::Customers(ids) => (ids.clone(), ids.len() > INCREMENTAL_LIMIT),
        _ => match journal::changed_customers(conn)? {
            ChangedCustomers::Few(ids) => (ids, false),
            ChangedCustomers::Many => (Vec::new(), true),
        },
    };
    let defs = load_conditional(conn)?;
    let (order, cyclic) = evaluation_order(&defs);
    for i in cyclic {
        outcome.membership_changes += conn
            .prepare_cached("DELETE FROM customer_segment_members WHERE segment_id = ?1")?
            .execute([&defs[i].id])? as u64;
        outcome.cyclic.push(defs[i].id.clone());
    }
    let mut evaluated_in_full: BTreeSet<&str> = BTreeSet::new();
    for i in order {
        let def = &defs[i];
        let current = def.evaluated_version == Some(def.version);
        let full = match mode {
            Mode::Customers(_) => false,
            Mode::Force(id) if *id == def.id => true,
            _ => {
                let criteria = def.criteria.as_ref();
                let moved = def.flexi
                    && (criteria.is_some_and(|c| {
                        c.segment_references()
                            .iter()
                            .any(|r| evaluated_in_full.contains(r.as_str()))
                    }) || (rfm_changed && criteria.is_some_and(Criteria::uses_rfm))
                        || (def.evaluated_on != Some(today)
                            && criteria.is_some_and(Criteria::uses_today)));
                !current || moved
            }
        };
        if full {
            outcome.membership_changes += evaluate_all(conn, def, today)?;
            evaluated_in_full.insert(&def.id);
            outcome.full_evaluations += 1;
        } else if def.flexi && current && (many || !dirty.is_empty()) {
            if many {
                outcome.membership_changes += evaluate_all(conn, def, today)?;
                evaluated_in_full.insert(&def.id);
                outcome.full_evaluations += 1;
            } else {
                for customer_id in &dirty {
                    outcome.membership_changes += evaluate_customer(conn, def, customer_id, today)?;
                }
                outcome.customer_evaluations += dirty.len() as u64;
            }
        }
    }
    if local {
        journal::forget_customers(conn, &dirty)?;
    } else {
        journal::forget_all_customers(conn)?;
    }
    Ok(outcome)
}

impl Store {
    /// Brings every conditional segment up to date: definitions that
    /// changed, flexi segments after data changes, RFM scores. The sync
    /// engine runs this after each run; apps may call it when the day
    /// changes.
    pub fn refresh_customer_segments(&self) -> Result<CustomerSegmentRefresh> {
        self.write(|tx| refresh(tx, self.clock().today(), &Mode::Stale))
    }

    /// How many customers `criteria` selects today among those of
    /// `organization` (every organization's when `None`): the member count
    /// of a definition before it is saved. The segments it includes are
    /// brought up to date first, as [`Store::refresh_customer_segments`]
    /// does, so the count is the one a saved segment would get.
    pub fn count_customers_matching(
        &self,
        criteria: &Criteria,
        organization: Option<&str>,
    ) -> Result<u64> {
        let today = self.clock().today();
        self.write(|tx| {
            refresh(tx, today, &Mode::Stale)?;
            let (filter, args) = member_filter(organization, criteria, None, today);
            let count: i64 = tx
                .prepare(&format!(
                    "SELECT count(*) FROM {EVALUATION_FROM} WHERE {filter}"
                ))?
                .query_row(params_from_iter(args), |r| r.get(0))?;
            Ok(count as u64)
        })
    }

    /// Takes a new snapshot of a conditional segment (or re-evaluates a
    /// flexi one in full), and brings the others up to date.
    pub fn refresh_customer_segment(&self, id: &str) -> Result<CustomerSegmentRefresh> {
        self.write(|tx| {
            match customer_segment_kind(tx, id)? {
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
            refresh(tx, self.clock().today(), &Mode::Force(id.to_owned()))
        })
    }
}
