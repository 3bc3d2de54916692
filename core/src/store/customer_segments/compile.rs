//! Criteria compiled into one SQL condition over a customer row `c`, so that
//! SQLite evaluates a segment for every customer in one statement, or for
//! one customer with `c.id = ?`.
//!
//! Tests of the other tables take one of two shapes:
//! - [`Shape::Set`] (all customers): `c.id IN (SELECT customer_id FROM ..
//!   WHERE ..)`. SQLite builds each set once per statement and probes it
//!   per customer, so a segment costs a few table scans, not a join per
//!   customer.
//! - [`Shape::Row`] (one customer): `EXISTS (SELECT 1 FROM .. WHERE
//!   customer_id = c.id AND ..)`, a primary-key lookup, so re-evaluating
//!   one changed customer touches only that customer's rows.
//!
//! Aggregates over a window of transactions are correlated subqueries in
//! both shapes (one indexed range per customer), ordered last in an `all`
//! so that they run only for customers that passed the rest.
//!
//! A test of a missing value is false. SQL makes it NULL, which a WHERE
//! clause, `AND` and `OR` already treat as false; only under a `not` must
//! it be exactly false, so leaves there are wrapped in `coalesce(.., 0)`
//! and `not` follows two-valued logic as the reference evaluator does.
//! Leaves outside any `not` stay bare, so SQLite can use indexes for them
//! and turn the profile and stats joins into inner joins.

use chrono::{Days, NaiveDate};
use rusqlite::types::Value as SqlValue;

use crate::model::criteria::{
    Attribute, Criteria, DateTest, Measure, NumberTest, Test, TextTest, ValueType, Window,
};
use crate::model::profile::to_minor;

/// The table a compiled condition reads.
pub(crate) const EVALUATION_FROM: &str = "customers c";

/// How tests of other tables are written (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// For evaluating every customer.
    Set,
    /// For evaluating one customer.
    Row,
}

/// A compiled condition and its parameters, in order.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

pub(crate) fn compile(criteria: &Criteria, today: NaiveDate, shape: Shape) -> Compiled {
    let mut out = Compiled::default();
    Compiler {
        today,
        shape,
        negated: false,
        out: &mut out,
    }
    .node(criteria);
    out
}

struct Compiler<'a> {
    today: NaiveDate,
    shape: Shape,
    /// Inside a `not`: leaves must be exactly 0 or 1.
    negated: bool,
    out: &'a mut Compiled,
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The tables with at most one row per customer that attributes live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowTable {
    Profile,
    Stats,
    /// The open shopping cart.
    Cart,
}

impl RowTable {
    const ALL: [RowTable; 3] = [RowTable::Profile, RowTable::Stats, RowTable::Cart];

    fn sql(self) -> &'static str {
        match self {
            RowTable::Profile => "customer_profiles p",
            RowTable::Stats => "customer_stats s",
            RowTable::Cart => "carts ct",
        }
    }
}

fn row_table_of(attribute: Attribute) -> Option<RowTable> {
    match attribute {
        Attribute::LastPurchase
        | Attribute::RfmRecency
        | Attribute::RfmFrequency
        | Attribute::RfmMonetary => Some(RowTable::Stats),
        Attribute::Age
        | Attribute::Gender
        | Attribute::City
        | Attribute::PostalCode
        | Attribute::Language
        | Attribute::ContactSource
        | Attribute::ParentId
        | Attribute::LoyaltyTier
        | Attribute::BirthDate
        | Attribute::LoyaltyMember
        | Attribute::LoyaltyPoints
        | Attribute::ActiveVouchers
        | Attribute::BusinessUnitId
        | Attribute::PartnerId => Some(RowTable::Profile),
        Attribute::CartValue
        | Attribute::CartItems
        | Attribute::CartAge
        | Attribute::CartAbandoned
        | Attribute::CartUpdatedOn => Some(RowTable::Cart),
        _ => None,
    }
}

/// The row table a leaf tests, if it tests one.
fn row_table(c: &Criteria) -> Option<(RowTable, Attribute, &Test)> {
    match c {
        Criteria::Attribute { attribute, test } => {
            row_table_of(*attribute).map(|t| (t, *attribute, test))
        }
        _ => None,
    }
}

/// The column of an attribute kept on the customer row itself.
fn attribute_column(attribute: Attribute) -> Option<&'static str> {
    Some(match attribute {
        Attribute::Name => "c.name",
        Attribute::SegmentId => "c.segment_id",
        Attribute::StatusId => "c.status_id",
        Attribute::SourceId => "c.source_id",
        Attribute::IndustryId => "c.industry_id",
        Attribute::ChannelId => "c.channel_id",
        Attribute::LastVisit => "c.last_visit",
        _ => return None,
    })
}

/// `today - days`, clamped at the calendar's start.
pub(crate) fn days_before(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MIN)
}

/// Cheap tests first: SQLite stops at the first false term of an `AND`, so
/// correlated subqueries run only for customers that passed the rest.
fn cost(c: &Criteria) -> u32 {
    match c {
        Criteria::All(children) | Criteria::Any(children) => children.iter().map(cost).sum(),
        Criteria::Not(child) => cost(child),
        Criteria::Attribute { attribute, .. } if attribute_column(*attribute).is_some() => 1,
        Criteria::Attribute {
            attribute: Attribute::PurchaseCount | Attribute::TotalSpend,
            ..
        } => 4,
        Criteria::Purchases {
            window: Window::AllTime,
            kinds,
            business_units,
            partners,
            measure: Measure::Count | Measure::Sum | Measure::LastDate,
            ..
        } if kinds.is_empty() && business_units.is_empty() && partners.is_empty() => 4,
        Criteria::Purchases { .. } => 8,
        _ => 2,
    }
}

impl Compiler<'_> {
    fn push(&mut self, sql: &str) {
        self.out.sql.push_str(sql);
    }

    fn param(&mut self, value: impl Into<SqlValue>) {
        self.out.sql.push('?');
        self.out.params.push(value.into());
    }

    fn node(&mut self, c: &Criteria) {
        match c {
            Criteria::All(children) | Criteria::Any(children) => {
                let joiner = if matches!(c, Criteria::All(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let mut ordered: Vec<&Criteria> = children.iter().collect();
                ordered.sort_by_key(|c| cost(c));
                self.push("(");
                let mut first = true;
                if matches!(c, Criteria::All(_)) {
                    // Tests of the same one-row-per-customer table become
                    // one set: one scan, and the same answer, as each
                    // customer has at most one such row.
                    for table in RowTable::ALL {
                        let group: Vec<_> = ordered
                            .iter()
                            .filter_map(|c| row_table(c))
                            .filter(|(t, _, _)| *t == table)
                            .map(|(_, a, test)| (a, test))
                            .collect();
                        if group.len() < 2 {
                            continue;
                        }
                        ordered.retain(|c| !row_table(c).is_some_and(|(t, _, _)| t == table));
                        if !first {
                            self.push(joiner);
                        }
                        first = false;
                        self.related(table.sql(), |this| {
                            for (i, (attribute, test)) in group.into_iter().enumerate() {
                                if i > 0 {
                                    this.push(" AND ");
                                }
                                this.push("(");
                                this.row_test(attribute, test);
                                this.push(")");
                            }
                        });
                    }
                }
                for child in ordered {
                    if !first {
                        self.push(joiner);
                    }
                    first = false;
                    self.node(child);
                }
                self.push(")");
            }
            Criteria::Not(child) => {
                let outer = std::mem::replace(&mut self.negated, true);
                self.push("(NOT ");
                self.node(child);
                self.push(")");
                self.negated = outer;
            }
            leaf if self.negated => {
                self.push("coalesce((");
                self.leaf(leaf);
                self.push("), 0)");
            }
            leaf => {
                self.push("(");
                self.leaf(leaf);
                self.push(")");
            }
        }
    }

    fn leaf(&mut self, c: &Criteria) {
        match c {
            Criteria::Attribute { attribute, test } => self.attribute(*attribute, test),
            Criteria::Custom { key, kind, test } => {
                self.related("customer_attributes a", |this| {
                    this.push("a.key = ");
                    this.param(key.clone());
                    this.push(" AND a.kind = ");
                    this.param(kind.code().to_owned());
                    if !matches!(test, Test::Exists) {
                        this.push(" AND ");
                        let column = match kind {
                            ValueType::Text | ValueType::Date => "a.text_value",
                            ValueType::Number | ValueType::Boolean => "a.number_value",
                        };
                        this.test(column, test, false);
                    }
                });
            }
            Criteria::Purchases {
                measure,
                window,
                kinds,
                business_units,
                partners,
                test,
            } => self.purchases(*measure, window, kinds, business_units, partners, test),
            Criteria::Event { kind, window } => {
                self.related("customer_events e", |this| {
                    this.push("e.kind = ");
                    this.param(kind.code().to_owned());
                    this.window("e.on_date", window);
                });
            }
            Criteria::InSegment(id) => {
                self.related("customer_segment_members m", |this| {
                    this.push("m.segment_id = ");
                    this.param(id.clone());
                });
            }
            Criteria::HasBadge(badge) => {
                self.related("customer_badges b", |this| {
                    this.push("b.badge = ");
                    this.param(badge.clone());
                });
            }
            Criteria::InAudience(id) => {
                self.related("customer_audiences au", |this| {
                    this.push("au.audience_id = ");
                    this.param(id.clone());
                });
            }
            Criteria::Campaign {
                campaign_id,
                action,
            } => {
                self.related("customer_campaigns cp", |this| {
                    this.push("cp.campaign_id = ");
                    this.param(campaign_id.clone());
                    this.push(&format!(" AND cp.{} = 1", action.code()));
                });
            }
            Criteria::All(_) | Criteria::Any(_) | Criteria::Not(_) => {
                unreachable!("handled by node()")
            }
        }
    }

    /// A test of rows of another table keyed by customer (`table` is
    /// `name alias`; `condition` writes the rest of its WHERE clause).
    fn related(&mut self, table: &str, condition: impl FnOnce(&mut Self)) {
        let alias = table.rsplit(' ').next().unwrap_or(table);
        match self.shape {
            Shape::Set => self.push(&format!(
                "c.id IN (SELECT {alias}.customer_id FROM {table} WHERE "
            )),
            Shape::Row => self.push(&format!(
                "EXISTS (SELECT 1 FROM {table} WHERE {alias}.customer_id = c.id AND "
            )),
        }
        condition(self);
        self.push(")");
    }

    fn attribute(&mut self, attribute: Attribute, test: &Test) {
        let minor_units = attribute.is_money();
        if let Some(column) = attribute_column(attribute) {
            return self.test(column, test, minor_units);
        }
        match attribute {
            // Every customer has a count and a spend (0 without purchases).
            Attribute::PurchaseCount | Attribute::TotalSpend => {
                let column = if minor_units {
                    "total_spend_minor"
                } else {
                    "purchase_count"
                };
                let value = format!(
                    "coalesce((SELECT s.{column} FROM customer_stats s WHERE s.customer_id = c.id), 0)"
                );
                self.test(&value, test, minor_units);
            }
            Attribute::Consent(kind) => self.related("customer_consents k", |this| {
                this.push(&format!("k.kind = '{}' AND ", kind.code()));
                this.test("k.given_on", test, false);
            }),
            // Every customer has it: whether a cart row exists, 0 or 1.
            Attribute::CartOpen => {
                let value = match self.shape {
                    Shape::Set => "(c.id IN (SELECT ct.customer_id FROM carts ct))",
                    Shape::Row => "EXISTS (SELECT 1 FROM carts ct WHERE ct.customer_id = c.id)",
                };
                self.test(value, test, false);
            }
            other => {
                let table = row_table_of(other).expect("the remaining attributes have a row table");
                self.related(table.sql(), |this| this.row_test(other, test));
            }
        }
    }

    /// A test of one column of the customer's profile or stats row.
    fn row_test(&mut self, attribute: Attribute, test: &Test) {
        let column = match attribute {
            Attribute::Age => {
                // Whole years: the year difference, less one before this
                // year's birthday.
                let today = date_text(self.today);
                self.push("p.birth_date IS NOT NULL AND ");
                format!(
                    "(CAST(substr('{today}', 1, 4) AS INTEGER) - CAST(substr(p.birth_date, 1, 4) AS INTEGER) \
                     - (substr('{today}', 6, 5) < substr(p.birth_date, 6, 5)))"
                )
            }
            Attribute::LastPurchase => "s.last_purchase".into(),
            Attribute::RfmRecency => "s.rfm_recency".into(),
            Attribute::RfmFrequency => "s.rfm_frequency".into(),
            Attribute::RfmMonetary => "s.rfm_monetary".into(),
            Attribute::Gender => "p.gender".into(),
            Attribute::City => "p.city".into(),
            Attribute::PostalCode => "p.postal_code".into(),
            Attribute::Language => "p.language".into(),
            Attribute::ContactSource => "p.contact_source".into(),
            Attribute::ParentId => "p.parent_id".into(),
            Attribute::LoyaltyTier => "p.loyalty_tier".into(),
            Attribute::BirthDate => "p.birth_date".into(),
            Attribute::LoyaltyMember => "p.loyalty_member".into(),
            Attribute::LoyaltyPoints => "p.loyalty_points".into(),
            Attribute::ActiveVouchers => "p.active_vouchers".into(),
            Attribute::BusinessUnitId => "p.business_unit_id".into(),
            Attribute::PartnerId => "p.partner_id".into(),
            Attribute::CartValue => "ct.value_minor".into(),
            Attribute::CartItems => "ct.items".into(),
            // Whole days: both are dates at midnight, so the difference of
            // their Julian days is exact.
            Attribute::CartAge => format!(
                "CAST(julianday('{}') - julianday(ct.updated_on) AS INTEGER)",
                date_text(self.today)
            ),
            Attribute::CartAbandoned => "ct.abandoned".into(),
            Attribute::CartUpdatedOn => "ct.updated_on".into(),
            other => unreachable!("{other:?} has no row table"),
        };
        self.test(&column, test, attribute.is_money());
    }

    fn purchases(
        &mut self,
        measure: Measure,
        window: &Window,
        kinds: &[crate::model::profile::TransactionKind],
        business_units: &[String],
        partners: &[String],
        test: &Test,
    ) {
        let all_time = matches!(window, Window::AllTime)
            && kinds.is_empty()
            && business_units.is_empty()
            && partners.is_empty();
        let stats = |column: &str| {
            format!("(SELECT s.{column} FROM customer_stats s WHERE s.customer_id = c.id)")
        };
        let column = match (measure, all_time) {
            (Measure::Count, true) => format!("coalesce({}, 0)", stats("purchase_count")),
            (Measure::Sum, true) => format!("coalesce({}, 0)", stats("total_spend_minor")),
            (Measure::LastDate, true) => stats("last_purchase"),
            (_, false) => {
                let aggregate = match measure {
                    Measure::Count => "count(*)",
                    Measure::Sum => "coalesce(sum(t.amount_minor), 0)",
                    Measure::LastDate => "max(t.on_date)",
                };
                let mut sub = Compiled::default();
                {
                    let mut inner = Compiler {
                        today: self.today,
                        shape: self.shape,
                        negated: self.negated,
                        out: &mut sub,
                    };
                    inner.push(&format!(
                        "(SELECT {aggregate} FROM transactions t WHERE t.customer_id = c.id"
                    ));
                    inner.window("t.on_date", window);
                    let kinds: Vec<String> = kinds.iter().map(|k| k.code().to_owned()).collect();
                    for (column, values) in [
                        ("t.kind", &kinds[..]),
                        ("t.business_unit_id", business_units),
                        ("t.partner_id", partners),
                    ] {
                        if values.is_empty() {
                            continue;
                        }
                        inner.push(&format!(" AND {column} IN ("));
                        for (i, v) in values.iter().enumerate() {
                            if i > 0 {
                                inner.push(", ");
                            }
                            inner.param(v.clone());
                        }
                        inner.push(")");
                    }
                    inner.push(")");
                }
                self.out.params.extend(sub.params);
                sub.sql
            }
        };
        // The subquery's parameters come before the test's, as in the SQL.
        self.test(&column, test, measure == Measure::Sum);
    }

    fn window(&mut self, column: &str, window: &Window) {
        match window {
            Window::AllTime => {}
            Window::LastDays(days) => {
                self.push(&format!(" AND {column} >= "));
                self.param(date_text(days_before(self.today, *days)));
                self.push(&format!(" AND {column} <= "));
                self.param(date_text(self.today));
            }
            Window::Between { from, to } => {
                self.push(&format!(" AND {column} >= "));
                self.param(date_text(*from));
                self.push(&format!(" AND {column} <= "));
                self.param(date_text(*to));
            }
        }
    }

    /// `column` compared by `test`; `minor_units` converts number operands
    /// from major to minor currency units.
    fn test(&mut self, column: &str, test: &Test, minor_units: bool) {
        let number = |v: f64| -> SqlValue {
            if minor_units {
                SqlValue::Integer(to_minor(v))
            } else {
                SqlValue::Real(v)
            }
        };
        match test {
            Test::Exists => self.push(&format!("{column} IS NOT NULL")),
            Test::Text(TextTest::Equals(v)) => {
                self.push(&format!("{column} = "));
                self.param(v.clone());
            }
            Test::Text(TextTest::In(vs)) => {
                self.push(&format!("{column} IN ("));
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.param(v.clone());
                }
                self.push(")");
            }
            Test::Number(NumberTest::Equals(v)) => {
                self.push(&format!("{column} = "));
                self.param(number(*v));
            }
            Test::Number(NumberTest::In(vs)) => {
                self.push(&format!("{column} IN ("));
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.param(number(*v));
                }
                self.push(")");
            }
            // The column appears once in every test: it may be a subquery
            // with parameters of its own.
            Test::Number(NumberTest::Between { min, max }) => match (min, max) {
                (Some(min), Some(max)) => {
                    self.push(&format!("{column} BETWEEN "));
                    self.param(number(*min));
                    self.push(" AND ");
                    self.param(number(*max));
                }
                (Some(min), None) => {
                    self.push(&format!("{column} >= "));
                    self.param(number(*min));
                }
                (None, Some(max)) => {
                    self.push(&format!("{column} <= "));
                    self.param(number(*max));
                }
                (None, None) => self.push("0"),
            },
            Test::Date(test) => {
                let (op, from, to) = match test {
                    DateTest::Equals(d) => ("=", *d, None),
                    DateTest::Before(d) => ("<", *d, None),
                    DateTest::After(d) => (">", *d, None),
                    DateTest::Between { from, to } => ("BETWEEN", *from, Some(*to)),
                    DateTest::WithinLastDays(days) => {
                        ("BETWEEN", days_before(self.today, *days), Some(self.today))
                    }
                };
                self.push(&format!("{column} {op} "));
                self.param(date_text(from));
                if let Some(to) = to {
                    self.push(" AND ");
                    self.param(date_text(to));
                }
            }
            Test::Boolean(b) => {
                self.push(&format!("{column} = "));
                self.param(i64::from(*b));
            }
        }
    }
}
