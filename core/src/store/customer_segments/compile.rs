//! Criteria compiled into one SQL condition over a customer row `c` (with
//! its profile `p` and stats `s` joined), so that SQLite evaluates a segment
//! for every customer in one indexed query, or for one customer with the
//! same SQL and `c.id = ?`.
//!
//! Every leaf is wrapped in `coalesce(.., 0)`: a test of a missing value is
//! false, never NULL, so `not` and `any` follow two-valued logic exactly as
//! the reference evaluator does.

use chrono::{Days, NaiveDate};
use rusqlite::types::Value as SqlValue;

use crate::model::criteria::{
    Attribute, Criteria, DateTest, Measure, NumberTest, Test, TextTest, ValueType, Window,
};
use crate::model::profile::to_minor;

/// The tables a compiled condition reads, joined to `c`.
pub(crate) const EVALUATION_FROM: &str = "customers c
     LEFT JOIN customer_profiles p ON p.customer_id = c.id
     LEFT JOIN customer_stats s ON s.customer_id = c.id";

/// A compiled condition and its parameters, in order.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

pub(crate) fn compile(criteria: &Criteria, today: NaiveDate) -> Compiled {
    let mut out = Compiled::default();
    Compiler {
        today,
        out: &mut out,
    }
    .node(criteria);
    out
}

struct Compiler<'a> {
    today: NaiveDate,
    out: &'a mut Compiled,
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
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
        Criteria::Attribute {
            attribute: Attribute::Consent(_),
            ..
        } => 2,
        Criteria::Attribute { .. } => 1,
        Criteria::Purchases {
            window: Window::AllTime,
            kinds,
            measure: Measure::Count | Measure::Sum,
            ..
        } if kinds.is_empty() => 1,
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
                for (i, child) in ordered.into_iter().enumerate() {
                    if i > 0 {
                        self.push(joiner);
                    }
                    self.node(child);
                }
                self.push(")");
            }
            Criteria::Not(child) => {
                self.push("(NOT ");
                self.node(child);
                self.push(")");
            }
            leaf => {
                self.push("coalesce((");
                self.leaf(leaf);
                self.push("), 0)");
            }
        }
    }

    fn leaf(&mut self, c: &Criteria) {
        match c {
            Criteria::Attribute { attribute, test } => self.attribute(*attribute, test),
            Criteria::Custom { key, kind, test } => {
                self.push("EXISTS (SELECT 1 FROM customer_attributes a WHERE a.customer_id = c.id AND a.key = ");
                self.param(key.clone());
                self.push(" AND a.kind = ");
                self.param(kind.code().to_owned());
                if !matches!(test, Test::Exists) {
                    self.push(" AND ");
                    let column = match kind {
                        ValueType::Text | ValueType::Date => "a.text_value",
                        ValueType::Number | ValueType::Boolean => "a.number_value",
                    };
                    self.test(column, test, false);
                }
                self.push(")");
            }
            Criteria::Purchases {
                measure,
                window,
                kinds,
                test,
            } => self.purchases(*measure, window, kinds, test),
            Criteria::Event { kind, window } => {
                self.push("EXISTS (SELECT 1 FROM customer_events e WHERE e.customer_id = c.id AND e.kind = ");
                self.param(kind.code().to_owned());
                self.window("e.on_date", window);
                self.push(")");
            }
            Criteria::InSegment(id) => {
                self.push("EXISTS (SELECT 1 FROM customer_segment_members m WHERE m.segment_id = ");
                self.param(id.clone());
                self.push(" AND m.customer_id = c.id)");
            }
            Criteria::HasBadge(badge) => {
                self.push("EXISTS (SELECT 1 FROM customer_badges b WHERE b.customer_id = c.id AND b.badge = ");
                self.param(badge.clone());
                self.push(")");
            }
            Criteria::InAudience(id) => {
                self.push("EXISTS (SELECT 1 FROM customer_audiences au WHERE au.customer_id = c.id AND au.audience_id = ");
                self.param(id.clone());
                self.push(")");
            }
            Criteria::Campaign {
                campaign_id,
                action,
            } => {
                self.push("EXISTS (SELECT 1 FROM customer_campaigns cp WHERE cp.customer_id = c.id AND cp.campaign_id = ");
                self.param(campaign_id.clone());
                self.push(&format!(" AND cp.{} = 1)", action.code()));
            }
            Criteria::All(_) | Criteria::Any(_) | Criteria::Not(_) => {
                unreachable!("handled by node()")
            }
        }
    }

    fn attribute(&mut self, attribute: Attribute, test: &Test) {
        let column: String = match attribute {
            Attribute::Name => "c.name".into(),
            Attribute::SegmentId => "c.segment_id".into(),
            Attribute::StatusId => "c.status_id".into(),
            Attribute::SourceId => "c.source_id".into(),
            Attribute::IndustryId => "c.industry_id".into(),
            Attribute::ChannelId => "c.channel_id".into(),
            Attribute::LastVisit => "c.last_visit".into(),
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
            Attribute::PurchaseCount => "coalesce(s.purchase_count, 0)".into(),
            Attribute::TotalSpend => "coalesce(s.total_spend_minor, 0)".into(),
            Attribute::LastPurchase => "s.last_purchase".into(),
            Attribute::RfmRecency => "s.rfm_recency".into(),
            Attribute::RfmFrequency => "s.rfm_frequency".into(),
            Attribute::RfmMonetary => "s.rfm_monetary".into(),
            Attribute::Age => {
                // Whole years: the year difference, less one before this
                // year's birthday.
                let today = date_text(self.today);
                format!(
                    "(CAST(substr('{today}', 1, 4) AS INTEGER) - CAST(substr(p.birth_date, 1, 4) AS INTEGER) \
                     - (substr('{today}', 6, 5) < substr(p.birth_date, 6, 5)))"
                )
            }
            Attribute::Consent(kind) => format!(
                "(SELECT k.given_on FROM customer_consents k WHERE k.customer_id = c.id AND k.kind = '{}')",
                kind.code()
            ),
        };
        let minor_units = attribute == Attribute::TotalSpend;
        self.test(&column, test, minor_units);
    }

    fn purchases(
        &mut self,
        measure: Measure,
        window: &Window,
        kinds: &[crate::model::profile::TransactionKind],
        test: &Test,
    ) {
        let all_time = matches!(window, Window::AllTime) && kinds.is_empty();
        let column = match (measure, all_time) {
            (Measure::Count, true) => "coalesce(s.purchase_count, 0)".to_owned(),
            (Measure::Sum, true) => "coalesce(s.total_spend_minor, 0)".to_owned(),
            (Measure::LastDate, true) => "s.last_purchase".to_owned(),
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
                        out: &mut sub,
                    };
                    inner.push(&format!(
                        "(SELECT {aggregate} FROM transactions t WHERE t.customer_id = c.id"
                    ));
                    inner.window("t.on_date", window);
                    if !kinds.is_empty() {
                        inner.push(" AND t.kind IN (");
                        for (i, k) in kinds.iter().enumerate() {
                            if i > 0 {
                                inner.push(", ");
                            }
                            inner.param(k.code().to_owned());
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
