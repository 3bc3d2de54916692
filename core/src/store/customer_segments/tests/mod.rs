//! Customer segment tests: every attribute and operator against a fixed
//! set of customers (checked by hand and by the reference evaluator), the
//! behaviours (flexi, snapshot, priorities, cycles, managers' edits), and a
//! property test of the SQL evaluation against the reference.

mod behaviour;
mod props;

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde_json::{Value, json};

use std::sync::Arc;

use super::reference::World;
use crate::clock::FixedDateClock;
use crate::model::criteria::Criteria;
use crate::model::profile::*;
use crate::model::*;
use crate::store::{Change, Store};

pub(super) fn now() -> DateTime<Utc> {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

/// The date every test store evaluates on (its clock is fixed), so no test
/// depends on the machine's date or time zone.
pub(super) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// An empty store on the tests' date.
pub(super) fn dated_store() -> Store {
    Store::open_in_memory()
        .unwrap()
        .with_clock(Arc::new(FixedDateClock::new(today())))
}

pub(super) fn ago(days: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(days)).unwrap()
}

pub(super) fn text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn years_ago(years: i32, plus_days: i64) -> NaiveDate {
    let t = today();
    let base = t
        .with_year(t.year() - years)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(t.year() - years, 2, 28).unwrap());
    base + chrono::Duration::days(plus_days)
}

pub(super) fn customer(id: &str, name: &str, segment: Option<&str>) -> RemoteCustomer {
    RemoteCustomer {
        id: id.into(),
        organization_id: "org-north".into(),
        name: name.into(),
        status_id: None,
        source_id: None,
        industry_id: None,
        channel_id: None,
        segment_id: segment.map(Into::into),
        last_visit: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
        deleted: false,
    }
}

pub(super) fn purchase(
    id: &str,
    customer: &str,
    date: NaiveDate,
    amount: f64,
    kind: TransactionKind,
) -> Transaction {
    Transaction {
        id: id.into(),
        customer_id: customer.into(),
        date,
        amount,
        kind,
        business_unit_id: None,
        partner_id: None,
        version: 1,
    }
}

pub(super) fn at(
    t: Transaction,
    business_unit_id: Option<&str>,
    partner_id: Option<&str>,
) -> Transaction {
    Transaction {
        business_unit_id: business_unit_id.map(Into::into),
        partner_id: partner_id.map(Into::into),
        ..t
    }
}

pub(super) fn open_cart(
    customer_id: &str,
    value: f64,
    items: i64,
    days_old: u64,
    abandoned: bool,
) -> Cart {
    Cart {
        customer_id: customer_id.into(),
        value,
        items,
        updated_on: ago(days_old),
        abandoned,
        version: 1,
    }
}

pub(super) fn conditional(
    id: &str,
    priority: i64,
    flexi: bool,
    criteria: Value,
) -> CustomerSegment {
    CustomerSegment {
        id: id.into(),
        scope: OrgScope::All,
        name: id.to_uppercase(),
        note: None,
        priority,
        kind: CustomerSegmentKind::Conditional,
        flexi,
        tags: Vec::new(),
        criteria: Some(criteria),
        version: 1,
        updated_at: now(),
    }
}

pub(super) fn static_segment(id: &str, priority: i64) -> CustomerSegment {
    CustomerSegment {
        kind: CustomerSegmentKind::Static,
        flexi: false,
        criteria: None,
        ..conditional(id, priority, false, json!(null))
    }
}

/// A store holding `world`, signed in as `role` in org-north.
pub(super) fn store_with(world: &World, role: Role) -> Store {
    let store = dated_store();
    store
        .set_session(&Session::new("u1", "org-north", role))
        .unwrap();
    let customers: Vec<_> = world
        .customers
        .iter()
        .cloned()
        .map(Change::Upsert)
        .collect();
    store.apply_customer_changes(&customers).unwrap();
    let profiles: Vec<_> = world
        .profiles
        .values()
        .cloned()
        .map(Change::Upsert)
        .collect();
    store.apply_profile_changes(&profiles).unwrap();
    let transactions: Vec<_> = world
        .transactions
        .iter()
        .cloned()
        .map(Change::Upsert)
        .collect();
    store.apply_transaction_changes(&transactions).unwrap();
    let carts: Vec<_> = world.carts.values().cloned().map(Change::Upsert).collect();
    store.apply_cart_changes(&carts).unwrap();
    store
}

pub(super) fn members(store: &Store, segment: &str) -> BTreeSet<String> {
    store
        .customer_segment_members(segment, 500, 0)
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.customer_id)
        .collect()
}

pub(super) fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Four customers with varied data (see the table test for who matches
/// what): `a` Anna has everything, `b` Bob some, `c` Cecil nothing, `d`
/// Dana turns 18 tomorrow and buys often.
pub(super) fn fixture() -> World {
    let mut world = World::default();
    let mut anna = customer("a", "Anna", Some("seg-retail"));
    anna.status_id = Some("st-active".into());
    anna.last_visit = Some(ago(10));
    world.customers = vec![
        anna,
        customer("b", "Bob", Some("seg-wholesale")),
        customer("c", "Cecil", None),
        customer("d", "Dana", None),
    ];
    let anna = CustomerProfile {
        birth_date: Some(years_ago(30, -3)),
        gender: Some("f".into()),
        city: Some("Brno".into()),
        postal_code: Some("60200".into()),
        language: Some("cs".into()),
        contact_source: Some("web".into()),
        parent_id: Some("acc-parent".into()),
        consents: vec![
            Consent {
                kind: ConsentKind::Email,
                given_on: "2026-01-10".parse().unwrap(),
            },
            Consent {
                kind: ConsentKind::Sms,
                given_on: "2026-03-01".parse().unwrap(),
            },
        ],
        loyalty: Some(Loyalty {
            member: true,
            tier: Some("gold".into()),
            points: 1200,
        }),
        active_vouchers: 2,
        badges: vec!["gold".into()],
        attributes: vec![
            CustomAttribute {
                key: "shoe_size".into(),
                value: AttributeValue::Number(42.0),
            },
            CustomAttribute {
                key: "vip".into(),
                value: AttributeValue::Text("yes".into()),
            },
            CustomAttribute {
                key: "since".into(),
                value: AttributeValue::Date("2020-01-01".parse().unwrap()),
            },
            CustomAttribute {
                key: "newsletter".into(),
                value: AttributeValue::Boolean(true),
            },
        ],
        events: vec![
            CustomerEvent {
                kind: EventKind::Visit,
                on: ago(5),
            },
            CustomerEvent {
                kind: EventKind::Complaint,
                on: ago(100),
            },
        ],
        audiences: vec!["aud-spring".into()],
        campaigns: vec![CampaignReceipt {
            campaign_id: "cmp-1".into(),
            received: true,
            opened: true,
            clicked: false,
        }],
        business_unit_id: Some("bu-brno".into()),
        partner_id: Some("pt-acme".into()),
        version: 1,
        ..CustomerProfile::empty("a")
    };
    let bob = CustomerProfile {
        birth_date: Some(years_ago(60, 0)),
        city: Some("Praha".into()),
        consents: vec![Consent {
            kind: ConsentKind::Post,
            given_on: "2025-05-05".parse().unwrap(),
        }],
        loyalty: Some(Loyalty {
            member: false,
            tier: None,
            points: 0,
        }),
        badges: vec!["silver".into()],
        events: vec![CustomerEvent {
            kind: EventKind::EventAttended,
            on: ago(20),
        }],
        campaigns: vec![CampaignReceipt {
            campaign_id: "cmp-1".into(),
            received: true,
            opened: false,
            clicked: false,
        }],
        business_unit_id: Some("bu-praha".into()),
        version: 1,
        ..CustomerProfile::empty("b")
    };
    let dana = CustomerProfile {
        birth_date: Some(years_ago(18, 1)),
        city: Some("Brno".into()),
        version: 1,
        ..CustomerProfile::empty("d")
    };
    for p in [anna, bob, dana] {
        world.profiles.insert(p.customer_id.clone(), p);
    }
    world.transactions = vec![
        at(
            purchase("t1", "a", ago(10), 100.0, TransactionKind::InStore),
            Some("bu-brno"),
            None,
        ),
        at(
            purchase("t2", "a", ago(40), 50.5, TransactionKind::Online),
            Some("bu-web"),
            Some("pt-acme"),
        ),
        purchase("t3", "a", ago(400), 20.0, TransactionKind::ClickAndCollect),
        at(
            purchase("t4", "b", ago(200), 1000.0, TransactionKind::InStore),
            Some("bu-brno"),
            None,
        ),
    ];
    // Anna's cart is fresh, Bob's abandoned, Dana's empty; Cecil has none.
    for cart in [
        open_cart("a", 59.9, 3, 1, false),
        open_cart("b", 250.0, 12, 20, true),
        open_cart("d", 0.0, 0, 0, false),
    ] {
        world.carts.insert(cart.customer_id.clone(), cart);
    }
    for i in 1..=5 {
        world.transactions.push(purchase(
            &format!("t-d{i}"),
            "d",
            ago(i),
            5.0,
            TransactionKind::Online,
        ));
    }
    world.members.insert("cs-static".into(), ids(&["b"]));
    world
}

/// Every attribute and operator, and an example of each criteria family:
/// members by hand, by the store's SQL and by the reference evaluator.
#[test]
fn every_attribute_and_operator() {
    let world = fixture();
    let d = |days: u64| text(ago(days));
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"attribute": "name", "op": "equals", "value": "Anna"}),
            &["a"],
        ),
        (
            json!({"attribute": "city", "op": "in", "values": ["Brno"]}),
            &["a", "d"],
        ),
        (
            json!({"not": {"attribute": "city", "op": "equals", "value": "Brno"}}),
            &["b", "c"],
        ),
        (json!({"attribute": "gender", "op": "exists"}), &["a"]),
        (
            json!({"attribute": "postal_code", "op": "equals", "value": "60200"}),
            &["a"],
        ),
        (
            json!({"attribute": "language", "op": "equals", "value": "cs"}),
            &["a"],
        ),
        (
            json!({"attribute": "contact_source", "op": "in", "values": ["web", "fair"]}),
            &["a"],
        ),
        (
            json!({"attribute": "parent_id", "op": "equals", "value": "acc-parent"}),
            &["a"],
        ),
        (
            json!({"attribute": "loyalty_tier", "op": "equals", "value": "gold"}),
            &["a"],
        ),
        (
            json!({"attribute": "segment_id", "op": "equals", "value": "seg-retail"}),
            &["a"],
        ),
        (
            json!({"attribute": "segment_id", "op": "exists"}),
            &["a", "b"],
        ),
        (
            json!({"attribute": "status_id", "op": "in", "values": ["st-active"]}),
            &["a"],
        ),
        (json!({"attribute": "source_id", "op": "exists"}), &[]),
        (json!({"attribute": "industry_id", "op": "exists"}), &[]),
        (json!({"attribute": "channel_id", "op": "exists"}), &[]),
        (
            json!({"attribute": "last_visit", "op": "within_last_days", "days": 30}),
            &["a"],
        ),
        (
            json!({"attribute": "birth_date", "op": "before", "value": text(years_ago(50, 0))}),
            &["b"],
        ),
        (
            json!({"attribute": "birth_date", "op": "after", "value": text(years_ago(20, 0))}),
            &["d"],
        ),
        (
            json!({"attribute": "birth_date", "op": "equals", "value": text(years_ago(60, 0))}),
            &["b"],
        ),
        (
            json!({"attribute": "birth_date", "op": "between", "from": text(years_ago(31, 0)), "to": text(years_ago(29, 0))}),
            &["a"],
        ),
        (
            json!({"attribute": "age", "op": "between", "min": 18, "max": 40}),
            &["a"],
        ),
        (
            json!({"attribute": "age", "op": "equals", "value": 17}),
            &["d"],
        ),
        (
            json!({"attribute": "age", "op": "in", "values": [17, 60]}),
            &["b", "d"],
        ),
        (
            json!({"attribute": "loyalty_member", "op": "equals", "value": true}),
            &["a"],
        ),
        (
            json!({"attribute": "loyalty_member", "op": "equals", "value": false}),
            &["b"],
        ),
        (
            json!({"attribute": "loyalty_points", "op": "between", "min": 1000}),
            &["a"],
        ),
        (
            json!({"attribute": "active_vouchers", "op": "equals", "value": 2}),
            &["a"],
        ),
        (
            json!({"attribute": "active_vouchers", "op": "equals", "value": 0}),
            &["b", "d"],
        ),
        (
            json!({"attribute": "purchase_count", "op": "equals", "value": 0}),
            &["c"],
        ),
        (
            json!({"attribute": "purchase_count", "op": "between", "min": 3}),
            &["a", "d"],
        ),
        (
            json!({"attribute": "total_spend", "op": "between", "min": 170.5, "max": 170.5}),
            &["a"],
        ),
        (
            json!({"attribute": "last_purchase", "op": "after", "value": d(15)}),
            &["a", "d"],
        ),
        (
            json!({"attribute": "rfm_recency", "op": "between", "min": 4, "max": 5}),
            &["d"],
        ),
        (
            json!({"attribute": "rfm_monetary", "op": "equals", "value": 4}),
            &["b"],
        ),
        (
            json!({"attribute": "rfm_frequency", "op": "in", "values": [1, 2]}),
            &["a", "b"],
        ),
        (
            json!({"attribute": "consent.email", "op": "exists"}),
            &["a"],
        ),
        (
            json!({"attribute": "consent.sms", "op": "after", "value": "2026-02-01"}),
            &["a"],
        ),
        (json!({"attribute": "consent.post", "op": "exists"}), &["b"]),
        (json!({"attribute": "consent.phone", "op": "exists"}), &[]),
        (
            json!({"attribute": "consent.email", "op": "before", "value": "2026-02-01"}),
            &["a"],
        ),
        (
            json!({"custom": "shoe_size", "type": "number", "op": "between", "min": 40, "max": 44}),
            &["a"],
        ),
        (
            json!({"custom": "shoe_size", "type": "text", "op": "equals", "value": "42"}),
            &[],
        ),
        (
            json!({"custom": "newsletter", "type": "boolean", "op": "equals", "value": true}),
            &["a"],
        ),
        (
            json!({"custom": "since", "type": "date", "op": "before", "value": "2021-01-01"}),
            &["a"],
        ),
        (
            json!({"custom": "vip", "type": "text", "op": "in", "values": ["yes"]}),
            &["a"],
        ),
        (
            json!({"custom": "vip", "type": "text", "op": "exists"}),
            &["a"],
        ),
        (
            json!({"purchases": "count", "window": {"last_days": 30}, "op": "between", "min": 1}),
            &["a", "d"],
        ),
        (
            json!({"purchases": "sum", "window": {"last_days": 60}, "kinds": ["online"], "op": "between", "min": 50.5}),
            &["a"],
        ),
        (
            json!({"purchases": "last_date", "window": {"from": d(500), "to": d(300)}, "op": "exists"}),
            &["a"],
        ),
        (
            json!({"purchases": "count", "kinds": ["click_and_collect"], "op": "between", "min": 1}),
            &["a"],
        ),
        (
            json!({"purchases": "sum", "op": "between", "min": 1000}),
            &["b"],
        ),
        (
            json!({"purchases": "count", "op": "equals", "value": 5}),
            &["d"],
        ),
        (
            json!({"purchases": "last_date", "op": "within_last_days", "days": 3}),
            &["d"],
        ),
        (
            json!({"event": "visit", "window": {"last_days": 7}}),
            &["a"],
        ),
        (json!({"event": "complaint"}), &["a"]),
        (
            json!({"event": "event_attended", "window": {"last_days": 30}}),
            &["b"],
        ),
        (json!({"has_badge": "gold"}), &["a"]),
        (json!({"not": {"has_badge": "gold"}}), &["b", "c", "d"]),
        (json!({"in_audience": "aud-spring"}), &["a"]),
        (json!({"campaign": "cmp-1", "action": "opened"}), &["a"]),
        (
            json!({"campaign": "cmp-1", "action": "received"}),
            &["a", "b"],
        ),
        (json!({"campaign": "cmp-1", "action": "clicked"}), &[]),
        (
            json!({"any": [{"attribute": "city", "op": "equals", "value": "Praha"}, {"attribute": "age", "op": "equals", "value": 17}]}),
            &["b", "d"],
        ),
        (
            json!({"all": [{"attribute": "city", "op": "equals", "value": "Brno"}, {"attribute": "rfm_recency", "op": "between", "min": 4}]}),
            &["d"],
        ),
        (json!({"in_segment": "cs-static"}), &["b"]),
        (
            json!({"not": {"in_segment": "cs-static"}}),
            &["a", "c", "d"],
        ),
        (json!({"in_segment": "cs-unknown"}), &[]),
        // Shopping cart criteria.
        (
            json!({"attribute": "cart.open", "op": "equals", "value": true}),
            &["a", "b", "d"],
        ),
        (
            json!({"attribute": "cart.open", "op": "equals", "value": false}),
            &["c"],
        ),
        (
            json!({"attribute": "cart.value", "op": "between", "min": 59.9, "max": 59.9}),
            &["a"],
        ),
        (
            json!({"attribute": "cart.value", "op": "between", "min": 50}),
            &["a", "b"],
        ),
        (
            json!({"attribute": "cart.value", "op": "equals", "value": 0}),
            &["d"],
        ),
        (
            json!({"attribute": "cart.items", "op": "between", "min": 1, "max": 5}),
            &["a"],
        ),
        (
            json!({"attribute": "cart.items", "op": "in", "values": [0, 12]}),
            &["b", "d"],
        ),
        (
            json!({"attribute": "cart.age", "op": "between", "min": 7}),
            &["b"],
        ),
        (
            json!({"attribute": "cart.age", "op": "equals", "value": 0}),
            &["d"],
        ),
        (
            json!({"attribute": "cart.abandoned", "op": "equals", "value": true}),
            &["b"],
        ),
        (
            json!({"not": {"attribute": "cart.abandoned", "op": "equals", "value": true}}),
            &["a", "c", "d"],
        ),
        (
            json!({"attribute": "cart.updated_on", "op": "within_last_days", "days": 2}),
            &["a", "d"],
        ),
        (
            json!({"attribute": "cart.items", "op": "exists"}),
            &["a", "b", "d"],
        ),
        (
            json!({"all": [{"attribute": "cart.abandoned", "op": "equals", "value": true},
                           {"attribute": "cart.age", "op": "between", "min": 3},
                           {"attribute": "cart.value", "op": "between", "min": 100}]}),
            &["b"],
        ),
        // Settings of partners and business units.
        (
            json!({"attribute": "business_unit_id", "op": "equals", "value": "bu-brno"}),
            &["a"],
        ),
        (
            json!({"attribute": "business_unit_id", "op": "in", "values": ["bu-brno", "bu-praha"]}),
            &["a", "b"],
        ),
        (
            json!({"attribute": "partner_id", "op": "equals", "value": "pt-acme"}),
            &["a"],
        ),
        (
            json!({"not": {"attribute": "partner_id", "op": "exists"}}),
            &["b", "c", "d"],
        ),
        (
            json!({"purchases": "count", "business_units": ["bu-brno"], "op": "between", "min": 1}),
            &["a", "b"],
        ),
        (
            json!({"purchases": "count", "business_units": ["bu-brno"], "window": {"last_days": 30}, "op": "between", "min": 1}),
            &["a"],
        ),
        (
            json!({"purchases": "sum", "business_units": ["bu-brno", "bu-web"], "op": "between", "min": 150.5}),
            &["a", "b"],
        ),
        (
            json!({"purchases": "sum", "business_units": ["bu-brno"], "kinds": ["in_store"], "op": "between", "min": 500}),
            &["b"],
        ),
        (
            json!({"purchases": "count", "partners": ["pt-acme"], "op": "between", "min": 1}),
            &["a"],
        ),
        (
            json!({"purchases": "count", "partners": ["pt-acme"], "op": "equals", "value": 0}),
            &["b", "c", "d"],
        ),
        (
            json!({"purchases": "last_date", "business_units": ["bu-web"], "partners": ["pt-acme"], "op": "equals", "value": d(40)}),
            &["a"],
        ),
    ];
    let store = store_with(&world, Role::Manager);
    store
        .apply_customer_segment_changes(&[Change::Upsert(static_segment("cs-static", 0))])
        .unwrap();
    store
        .apply_customer_segment_memberships(&[crate::protocol::CustomerSegmentMembership {
            segment_id: "cs-static".into(),
            customer_id: "b".into(),
            member: true,
        }])
        .unwrap();
    let segments: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (criteria, _))| {
            Change::Upsert(conditional(&format!("cs-{i}"), 0, true, criteria.clone()))
        })
        .collect();
    store.apply_customer_segment_changes(&segments).unwrap();
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(refresh.full_evaluations as usize, cases.len());
    let rfm = world.rfm();
    for (i, (criteria, expected)) in cases.iter().enumerate() {
        let parsed = Criteria::parse(criteria).unwrap();
        let by_reference: BTreeSet<String> = world
            .customers
            .iter()
            .filter(|c| world.matches(&parsed, c, &rfm, today()))
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(by_reference, ids(expected), "reference: {criteria}");
        assert_eq!(
            members(&store, &format!("cs-{i}")),
            ids(expected),
            "store: {criteria}"
        );
    }
    let summary = store.purchase_summary("d").unwrap();
    assert_eq!(
        (
            summary.count,
            summary.total_spend_minor,
            summary.rfm_recency
        ),
        (5, 2_500, Some(4))
    );
}
