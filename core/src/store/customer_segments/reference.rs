//! A plain Rust evaluator of criteria over in-memory data: the reference
//! the SQL compilation is checked against. Written for clarity, not speed,
//! straight from `docs/criteria.md`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use crate::model::RemoteCustomer;
use crate::model::criteria::{
    Attribute, CampaignAction, Criteria, DateTest, Measure, NumberTest, Test, TextTest, ValueType,
    Window,
};
use crate::model::profile::{AttributeValue, Cart, CustomerProfile, Transaction, to_minor};
use crate::store::customer_segments::compile::days_before;

/// Everything the device knows, as plain data.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub customers: Vec<RemoteCustomer>,
    pub profiles: BTreeMap<String, CustomerProfile>,
    pub transactions: Vec<Transaction>,
    /// Open shopping carts, by customer id.
    pub carts: BTreeMap<String, Cart>,
    /// Members of segments evaluated so far (and static ones).
    pub members: BTreeMap<String, BTreeSet<String>>,
}

/// A value an attribute has for one customer.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

pub struct Rfm {
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
}

impl World {
    fn purchases<'a>(&'a self, customer: &'a str) -> impl Iterator<Item = &'a Transaction> + 'a {
        self.transactions
            .iter()
            .filter(move |t| t.customer_id == customer)
    }

    /// RFM scores per customer, by the documented formula.
    pub fn rfm(&self) -> BTreeMap<String, Rfm> {
        let mut out = BTreeMap::new();
        let orgs: BTreeSet<&str> = self
            .customers
            .iter()
            .map(|c| c.organization_id.as_str())
            .collect();
        for org in orgs {
            // (id, last purchase, count, spend) of ranked customers
            let ranked: Vec<(String, NaiveDate, i64, i64)> = self
                .customers
                .iter()
                .filter(|c| c.organization_id == org && !c.deleted)
                .filter_map(|c| {
                    let ts: Vec<_> = self.purchases(&c.id).collect();
                    let last = ts.iter().map(|t| t.date).max()?;
                    let spend = ts.iter().map(|t| t.amount_minor()).sum();
                    Some((c.id.clone(), last, ts.len() as i64, spend))
                })
                .collect();
            let n = ranked.len() as i64;
            let score = |rank: i64| (1 + 5 * (rank - 1) / n) as u8;
            for (id, last, count, spend) in &ranked {
                let rank_of = |below: usize| below as i64 + 1;
                out.insert(
                    id.clone(),
                    Rfm {
                        recency: score(rank_of(ranked.iter().filter(|r| r.1 < *last).count())),
                        frequency: score(rank_of(ranked.iter().filter(|r| r.2 < *count).count())),
                        monetary: score(rank_of(ranked.iter().filter(|r| r.3 < *spend).count())),
                    },
                );
            }
        }
        out
    }

    /// Whether `customer` matches `criteria` on `today`.
    pub fn matches(
        &self,
        criteria: &Criteria,
        customer: &RemoteCustomer,
        rfm: &BTreeMap<String, Rfm>,
        today: NaiveDate,
    ) -> bool {
        let eval = |c: &Criteria| self.matches(c, customer, rfm, today);
        let profile = self.profiles.get(&customer.id);
        let in_window = |d: NaiveDate, w: &Window| match w {
            Window::AllTime => true,
            Window::LastDays(n) => d >= days_before(today, *n) && d <= today,
            Window::Between { from, to } => d >= *from && d <= *to,
        };
        match criteria {
            Criteria::All(cs) => cs.iter().all(eval),
            Criteria::Any(cs) => cs.iter().any(eval),
            Criteria::Not(c) => !eval(c),
            Criteria::Attribute { attribute, test } => {
                let value = self.attribute(*attribute, customer, profile, rfm, today);
                passes(value.as_ref(), test, attribute.is_money(), today)
            }
            Criteria::Custom { key, kind, test } => profile
                .and_then(|p| p.attributes.iter().find(|a| &a.key == key))
                .and_then(|a| match (&a.value, kind) {
                    (AttributeValue::Text(t), ValueType::Text) => Some(Val::Text(t.clone())),
                    (AttributeValue::Number(n), ValueType::Number) => Some(Val::Number(*n)),
                    (AttributeValue::Date(d), ValueType::Date) => Some(Val::Date(*d)),
                    (AttributeValue::Boolean(b), ValueType::Boolean) => Some(Val::Bool(*b)),
                    _ => None,
                })
                .is_some_and(|v| passes(Some(&v), test, false, today)),
            Criteria::Purchases {
                measure,
                window,
                kinds,
                business_units,
                partners,
                test,
            } => {
                // An empty list admits any; a transaction without a business
                // unit (partner) is in no list.
                let admits = |list: &[String], id: &Option<String>| {
                    list.is_empty() || id.as_ref().is_some_and(|id| list.contains(id))
                };
                let ts: Vec<&Transaction> = self
                    .purchases(&customer.id)
                    .filter(|t| in_window(t.date, window))
                    .filter(|t| kinds.is_empty() || kinds.contains(&t.kind))
                    .filter(|t| admits(business_units, &t.business_unit_id))
                    .filter(|t| admits(partners, &t.partner_id))
                    .collect();
                let value = match measure {
                    Measure::Count => Some(Val::Number(ts.len() as f64)),
                    Measure::Sum => Some(Val::Number(
                        ts.iter().map(|t| t.amount_minor()).sum::<i64>() as f64,
                    )),
                    Measure::LastDate => ts.iter().map(|t| t.date).max().map(Val::Date),
                };
                passes(value.as_ref(), test, *measure == Measure::Sum, today)
            }
            Criteria::Event { kind, window } => profile.is_some_and(|p| {
                p.events
                    .iter()
                    .any(|e| e.kind == *kind && in_window(e.on, window))
            }),
            Criteria::InSegment(id) => self
                .members
                .get(id)
                .is_some_and(|m| m.contains(&customer.id)),
            Criteria::HasBadge(b) => profile.is_some_and(|p| p.badges.contains(b)),
            Criteria::InAudience(a) => profile.is_some_and(|p| p.audiences.contains(a)),
            Criteria::Campaign {
                campaign_id,
                action,
            } => profile.is_some_and(|p| {
                p.campaigns.iter().any(|c| {
                    &c.campaign_id == campaign_id
                        && match action {
                            CampaignAction::Received => c.received,
                            CampaignAction::Opened => c.opened,
                            CampaignAction::Clicked => c.clicked,
                        }
                })
            }),
        }
    }

    fn attribute(
        &self,
        attribute: Attribute,
        c: &RemoteCustomer,
        p: Option<&CustomerProfile>,
        rfm: &BTreeMap<String, Rfm>,
        today: NaiveDate,
    ) -> Option<Val> {
        let text = |v: &Option<String>| v.clone().map(Val::Text);
        let ts: Vec<&Transaction> = self.purchases(&c.id).collect();
        let scores = rfm.get(&c.id);
        let cart = self.carts.get(&c.id);
        match attribute {
            Attribute::Name => Some(Val::Text(c.name.clone())),
            Attribute::SegmentId => text(&c.segment_id),
            Attribute::StatusId => text(&c.status_id),
            Attribute::SourceId => text(&c.source_id),
            Attribute::IndustryId => text(&c.industry_id),
            Attribute::ChannelId => text(&c.channel_id),
            Attribute::LastVisit => c.last_visit.map(Val::Date),
            Attribute::Gender => p.and_then(|p| text(&p.gender)),
            Attribute::City => p.and_then(|p| text(&p.city)),
            Attribute::PostalCode => p.and_then(|p| text(&p.postal_code)),
            Attribute::Language => p.and_then(|p| text(&p.language)),
            Attribute::ContactSource => p.and_then(|p| text(&p.contact_source)),
            Attribute::ParentId => p.and_then(|p| text(&p.parent_id)),
            Attribute::LoyaltyTier => p
                .and_then(|p| p.loyalty.as_ref())
                .and_then(|l| text(&l.tier)),
            Attribute::BirthDate => p.and_then(|p| p.birth_date).map(Val::Date),
            Attribute::Age => p.and_then(|p| p.birth_date).map(|b| {
                let md = |d: NaiveDate| d.format("%m-%d").to_string();
                let before_birthday = md(today) < md(b);
                Val::Number((today.year() - b.year() - i32::from(before_birthday)) as f64)
            }),
            Attribute::LoyaltyMember => p
                .and_then(|p| p.loyalty.as_ref())
                .map(|l| Val::Bool(l.member)),
            Attribute::LoyaltyPoints => p
                .and_then(|p| p.loyalty.as_ref())
                .map(|l| Val::Number(l.points as f64)),
            Attribute::ActiveVouchers => p.map(|p| Val::Number(p.active_vouchers as f64)),
            Attribute::PurchaseCount => Some(Val::Number(ts.len() as f64)),
            Attribute::TotalSpend => Some(Val::Number(
                ts.iter().map(|t| t.amount_minor()).sum::<i64>() as f64,
            )),
            Attribute::LastPurchase => ts.iter().map(|t| t.date).max().map(Val::Date),
            Attribute::RfmRecency => scores.map(|s| Val::Number(s.recency.into())),
            Attribute::RfmFrequency => scores.map(|s| Val::Number(s.frequency.into())),
            Attribute::RfmMonetary => scores.map(|s| Val::Number(s.monetary.into())),
            Attribute::Consent(kind) => p
                .and_then(|p| p.consents.iter().find(|k| k.kind == kind))
                .map(|k| Val::Date(k.given_on)),
            Attribute::BusinessUnitId => p.and_then(|p| text(&p.business_unit_id)),
            Attribute::PartnerId => p.and_then(|p| text(&p.partner_id)),
            Attribute::CartOpen => Some(Val::Bool(cart.is_some())),
            Attribute::CartValue => cart.map(|k| Val::Number(k.value_minor() as f64)),
            Attribute::CartItems => cart.map(|k| Val::Number(k.items as f64)),
            Attribute::CartAge => {
                cart.map(|k| Val::Number((today - k.updated_on).num_days() as f64))
            }
            Attribute::CartAbandoned => cart.map(|k| Val::Bool(k.abandoned)),
            Attribute::CartUpdatedOn => cart.map(|k| Val::Date(k.updated_on)),
        }
    }
}

/// Whether `value` passes `test`; `minor` compares numbers in minor units
/// (the value already is, the operands are converted).
fn passes(value: Option<&Val>, test: &Test, minor: bool, today: NaiveDate) -> bool {
    let Some(value) = value else {
        return false;
    };
    let operand = |v: f64| if minor { to_minor(v) as f64 } else { v };
    match (test, value) {
        (Test::Exists, _) => true,
        (Test::Text(TextTest::Equals(x)), Val::Text(v)) => v == x,
        (Test::Text(TextTest::In(xs)), Val::Text(v)) => xs.contains(v),
        (Test::Number(NumberTest::Equals(x)), Val::Number(v)) => *v == operand(*x),
        (Test::Number(NumberTest::In(xs)), Val::Number(v)) => xs.iter().any(|x| *v == operand(*x)),
        (Test::Number(NumberTest::Between { min, max }), Val::Number(v)) => {
            min.is_none_or(|m| *v >= operand(m)) && max.is_none_or(|m| *v <= operand(m))
        }
        (Test::Date(t), Val::Date(d)) => match t {
            DateTest::Equals(x) => d == x,
            DateTest::Before(x) => d < x,
            DateTest::After(x) => d > x,
            DateTest::Between { from, to } => d >= from && d <= to,
            DateTest::WithinLastDays(n) => *d >= days_before(today, *n) && *d <= today,
        },
        (Test::Boolean(b), Val::Bool(v)) => b == v,
        _ => false,
    }
}
