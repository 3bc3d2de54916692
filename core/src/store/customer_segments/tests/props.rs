//! Property test: on random customers and random criteria, the members the
//! store computes in SQL (in full, and incrementally after a local change)
//! are exactly those of the reference evaluator; and criteria survive a
//! round trip through their JSON form.

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use super::*;
use crate::model::criteria::{
    Attribute, CampaignAction, DateTest, Measure, NumberTest, Test, TextTest, ValueType, Window,
};
use crate::protocol::CustomerSegmentMembership;

const CITIES: [&str; 3] = ["Brno", "Praha", "Ostrava"];
const WORDS: [&str; 3] = ["x", "y", "seg-retail"];
const BADGES: [&str; 3] = ["gold", "silver", "bronze"];
const AUDIENCES: [&str; 2] = ["aud-1", "aud-2"];
const CAMPAIGNS: [&str; 2] = ["cmp-1", "cmp-2"];
const KEYS: [&str; 2] = ["k1", "k2"];
const NUMBERS: [f64; 6] = [0.0, 1.0, 2.0, 5.0, 10.0, 99.99];
const BUSINESS_UNITS: [&str; 3] = ["bu-brno", "bu-praha", "bu-web"];
const PARTNERS: [&str; 2] = ["pt-acme", "pt-bolt"];

fn day() -> impl Strategy<Value = NaiveDate> {
    (0u64..500).prop_map(ago)
}

fn opt_text(pool: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(select(pool).prop_map(str::to_owned))
}

fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        select(&WORDS[..]).prop_map(|w| AttributeValue::Text(w.into())),
        select(&NUMBERS[..]).prop_map(AttributeValue::Number),
        day().prop_map(AttributeValue::Date),
        any::<bool>().prop_map(AttributeValue::Boolean),
    ]
}

fn profile(id: String) -> impl Strategy<Value = CustomerProfile> {
    (
        (
            proptest::option::of((0i32..80, -3i64..3).prop_map(|(y, d)| years_ago(y, d))),
            opt_text(&CITIES),
            opt_text(&WORDS),
            proptest::option::of((any::<bool>(), opt_text(&WORDS), 0i64..3).prop_map(
                |(member, tier, p)| Loyalty {
                    member,
                    tier,
                    points: p * 500,
                },
            )),
            0i64..3,
        ),
        (
            subsequence(ConsentKind::ALL.to_vec(), 0..=4),
            proptest::collection::vec(day(), 4),
            subsequence(BADGES.to_vec(), 0..=3),
            subsequence(KEYS.to_vec(), 0..=2),
            proptest::collection::vec(attribute_value(), 2),
            proptest::collection::vec((select(EventKind::ALL), day()), 0..3),
            subsequence(AUDIENCES.to_vec(), 0..=2),
            subsequence(CAMPAIGNS.to_vec(), 0..=2),
            proptest::collection::vec(any::<(bool, bool, bool)>(), 2),
            (opt_text(&BUSINESS_UNITS), opt_text(&PARTNERS)),
        ),
    )
        .prop_map(
            move |(
                (birth_date, city, gender, loyalty, active_vouchers),
                (
                    consents,
                    dates,
                    badges,
                    keys,
                    values,
                    events,
                    audiences,
                    campaigns,
                    flags,
                    (business_unit_id, partner_id),
                ),
            )| CustomerProfile {
                business_unit_id,
                partner_id,
                birth_date,
                city,
                gender: gender.clone(),
                postal_code: gender.clone(),
                language: gender.clone(),
                contact_source: gender.clone(),
                parent_id: gender,
                consents: consents
                    .into_iter()
                    .zip(dates)
                    .map(|(kind, given_on)| Consent { kind, given_on })
                    .collect(),
                loyalty,
                active_vouchers,
                badges: badges.into_iter().map(Into::into).collect(),
                attributes: keys
                    .into_iter()
                    .zip(values)
                    .map(|(key, value)| CustomAttribute {
                        key: key.into(),
                        value,
                    })
                    .collect(),
                events: events
                    .into_iter()
                    .map(|(kind, on)| CustomerEvent { kind, on })
                    .collect(),
                audiences: audiences.into_iter().map(Into::into).collect(),
                campaigns: campaigns
                    .into_iter()
                    .zip(flags)
                    .map(|(id, (received, opened, clicked))| CampaignReceipt {
                        campaign_id: id.into(),
                        received,
                        opened,
                        clicked,
                    })
                    .collect(),
                version: 1,
                ..CustomerProfile::empty(id.clone())
            },
        )
}

/// An open cart of `customer_id`, some days old (a few in the future: the
/// Portal's clock is not the device's).
fn cart(customer_id: String) -> impl Strategy<Value = Cart> {
    (
        select(&NUMBERS[..]),
        0i64..4,
        (0u64..40).prop_map(ago),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(value, items, updated_on, abandoned, future)| Cart {
            customer_id: customer_id.clone(),
            value,
            items,
            updated_on: if future {
                updated_on.max(today() + chrono::Days::new(1))
            } else {
                updated_on
            },
            abandoned,
            version: 1,
        })
}

fn world() -> impl Strategy<Value = World> {
    let one_customer = (
        select(vec![None, Some("seg-retail"), Some("seg-wholesale")]),
        proptest::option::of(day()),
        any::<bool>(),
        proptest::collection::vec(
            (
                day(),
                select(&NUMBERS[..]),
                select(TransactionKind::ALL),
                opt_text(&BUSINESS_UNITS),
                opt_text(&PARTNERS),
            ),
            0..4,
        ),
        proptest::option::of(cart(String::new())),
    );
    let profiles: Vec<_> = (0..9)
        .map(|i| proptest::option::of(profile(format!("c{i}"))))
        .collect();
    (
        proptest::collection::vec(one_customer, 1..10),
        profiles,
        subsequence((0..9).collect::<Vec<usize>>(), 0..=9),
    )
        .prop_map(|(customers, profiles, static_members)| {
            let mut world = World::default();
            for (i, (segment, last_visit, active, purchases, open_cart)) in
                customers.into_iter().enumerate()
            {
                let id = format!("c{i}");
                let mut c = customer(&id, &format!("Customer {i}"), segment);
                c.last_visit = last_visit;
                c.status_id = active.then(|| "st-active".into());
                for (j, (date, amount, kind, business_unit_id, partner_id)) in
                    purchases.into_iter().enumerate()
                {
                    world.transactions.push(Transaction {
                        business_unit_id,
                        partner_id,
                        ..purchase(&format!("t{i}-{j}"), &id, date, amount, kind)
                    });
                }
                if let Some(cart) = open_cart {
                    world.carts.insert(
                        id.clone(),
                        Cart {
                            customer_id: id.clone(),
                            ..cart
                        },
                    );
                }
                world.customers.push(c);
            }
            let n = world.customers.len();
            for p in profiles.into_iter().take(n).flatten() {
                world.profiles.insert(p.customer_id.clone(), p);
            }
            world.members.insert(
                "cs-static".into(),
                static_members
                    .into_iter()
                    .filter(|i| *i < n)
                    .map(|i| format!("c{i}"))
                    .collect(),
            );
            world
        })
}

fn text_test() -> impl Strategy<Value = Test> {
    prop_oneof![
        Just(Test::Exists),
        select(&WORDS[..]).prop_map(|w| Test::Text(TextTest::Equals(w.into()))),
        select(&CITIES[..]).prop_map(|w| Test::Text(TextTest::Equals(w.into()))),
        subsequence([&WORDS[..], &CITIES[..]].concat(), 1..=3)
            .prop_map(|ws| Test::Text(TextTest::In(ws.into_iter().map(Into::into).collect()))),
    ]
}

fn number_test(pool: Vec<f64>) -> impl Strategy<Value = Test> {
    let one = select(pool.clone());
    prop_oneof![
        Just(Test::Exists),
        one.clone()
            .prop_map(|v| Test::Number(NumberTest::Equals(v))),
        subsequence(pool, 1..=2).prop_map(|vs| Test::Number(NumberTest::In(vs))),
        (proptest::option::of(one.clone()), proptest::option::of(one))
            .prop_filter("a bound", |(a, b)| a.is_some() || b.is_some())
            .prop_map(|(a, b)| {
                let (min, max) = match (a, b) {
                    (Some(a), Some(b)) if b < a => (Some(b), Some(a)),
                    other => other,
                };
                Test::Number(NumberTest::Between { min, max })
            }),
    ]
}

fn date_test() -> impl Strategy<Value = Test> {
    prop_oneof![
        Just(Test::Exists),
        day().prop_map(|d| Test::Date(DateTest::Equals(d))),
        day().prop_map(|d| Test::Date(DateTest::Before(d))),
        day().prop_map(|d| Test::Date(DateTest::After(d))),
        (day(), day()).prop_map(|(a, b)| Test::Date(DateTest::Between {
            from: a.min(b),
            to: a.max(b)
        })),
        (1u32..400).prop_map(|n| Test::Date(DateTest::WithinLastDays(n))),
    ]
}

fn test_for(ty: ValueType, rfm: bool) -> BoxedStrategy<Test> {
    match ty {
        ValueType::Text => prop_oneof![
            text_test(),
            // Home business units and partners.
            select([&BUSINESS_UNITS[..], &PARTNERS[..]].concat())
                .prop_map(|w| Test::Text(TextTest::Equals(w.into()))),
            subsequence([&BUSINESS_UNITS[..], &PARTNERS[..]].concat(), 1..=3)
                .prop_map(|ws| Test::Text(TextTest::In(ws.into_iter().map(Into::into).collect()))),
        ]
        .boxed(),
        ValueType::Number if rfm => number_test(vec![1.0, 2.0, 3.0, 4.0, 5.0]).boxed(),
        ValueType::Number => {
            number_test([&NUMBERS[..], &[17.0, 30.0, 500.0, 1000.0]].concat()).boxed()
        }
        ValueType::Date => date_test().boxed(),
        ValueType::Boolean => {
            prop_oneof![Just(Test::Exists), any::<bool>().prop_map(Test::Boolean)].boxed()
        }
    }
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        Just(Window::AllTime),
        (1u32..400).prop_map(Window::LastDays),
        (day(), day()).prop_map(|(a, b)| Window::Between {
            from: a.min(b),
            to: a.max(b)
        }),
    ]
}

fn leaf(segments: Vec<&'static str>) -> impl Strategy<Value = Criteria> {
    prop_oneof![
        select(Attribute::ALL.to_vec()).prop_flat_map(|attribute| {
            test_for(attribute.value_type(), attribute.is_rfm())
                .prop_map(move |test| Criteria::Attribute { attribute, test })
        }),
        (select(&KEYS[..]), select(ValueType::ALL.to_vec())).prop_flat_map(|(key, kind)| {
            test_for(kind, false).prop_map(move |test| Criteria::Custom {
                key: key.into(),
                kind,
                test,
            })
        }),
        (
            select(Measure::ALL.to_vec()),
            window(),
            subsequence(TransactionKind::ALL.to_vec(), 0..=2),
            subsequence(BUSINESS_UNITS.to_vec(), 0..=2),
            subsequence(PARTNERS.to_vec(), 0..=1),
        )
            .prop_flat_map(|(measure, window, kinds, business_units, partners)| {
                let business_units: Vec<String> =
                    business_units.into_iter().map(Into::into).collect();
                let partners: Vec<String> = partners.into_iter().map(Into::into).collect();
                test_for(measure.value_type(), false).prop_map(move |test| Criteria::Purchases {
                    measure,
                    window,
                    kinds: kinds.clone(),
                    business_units: business_units.clone(),
                    partners: partners.clone(),
                    test,
                })
            }),
        (select(EventKind::ALL), window())
            .prop_map(|(kind, window)| Criteria::Event { kind, window }),
        select(&BADGES[..]).prop_map(|b| Criteria::HasBadge(b.into())),
        select(&AUDIENCES[..]).prop_map(|a| Criteria::InAudience(a.into())),
        (select(&CAMPAIGNS[..]), select(CampaignAction::ALL.to_vec())).prop_map(|(c, action)| {
            Criteria::Campaign {
                campaign_id: c.into(),
                action,
            }
        }),
        select(segments).prop_map(|s| Criteria::InSegment(s.into())),
    ]
}

fn criteria(segments: Vec<&'static str>) -> impl Strategy<Value = Criteria> {
    leaf(segments).prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Criteria::All),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Criteria::Any),
            inner.prop_map(|c| Criteria::Not(Box::new(c))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_store_agrees_with_the_reference(
        mut world in world(),
        first in criteria(vec!["cs-static"]),
        second in criteria(vec!["cs-static", "cs-first"]),
        moved in 0usize..10,
        to_retail in any::<bool>(),
        carted in 0usize..10,
        new_cart in proptest::option::of(cart(String::new())),
    ) {
        for c in [&first, &second] {
            prop_assert_eq!(&Criteria::parse(&c.to_json()).unwrap(), c, "JSON round trip");
        }
        let store = store_with(&world, Role::Manager);
        let retail = Segment {
            id: "seg-retail".into(),
            scope: OrgScope::All,
            name: LocalizedText::single("en", "Retail").unwrap(),
            visit_frequency: VisitFrequency::None,
            description: None,
            version: 1,
            updated_at: now(),
            deleted: false,
        };
        store.apply_segment_changes(&[Change::Upsert(retail)]).unwrap();
        store.apply_customer_segment_changes(&[
            Change::Upsert(static_segment("cs-static", 0)),
            Change::Upsert(conditional("cs-second", 1, true, second.to_json())),
            Change::Upsert(conditional("cs-first", 2, true, first.to_json())),
        ]).unwrap();
        let static_members: Vec<_> = world.members["cs-static"]
            .iter()
            .map(|c| CustomerSegmentMembership { segment_id: "cs-static".into(), customer_id: c.clone(), member: true })
            .collect();
        store.apply_customer_segment_memberships(&static_members).unwrap();
        store.refresh_customer_segments().unwrap();

        let check = |world: &mut World, store: &Store| -> Result<(), TestCaseError> {
            let rfm = world.rfm();
            for (id, c) in [("cs-first", &first), ("cs-second", &second)] {
                let expected: BTreeSet<String> = world
                    .customers
                    .iter()
                    .filter(|x| world.matches(c, x, &rfm, today()))
                    .map(|x| x.id.clone())
                    .collect();
                prop_assert_eq!(members(store, id), expected.clone(), "{} = {}", id, c.to_json());
                world.members.insert(id.into(), expected);
            }
            Ok(())
        };
        check(&mut world, &store)?;

        // One local change, evaluated incrementally.
        let i = moved % world.customers.len();
        let segment = to_retail.then(|| "seg-retail".to_string());
        store.update_customer(&format!("c{i}"), &CustomerUpdate {
            segment_id: Some(segment.clone()),
            ..Default::default()
        }).unwrap();
        world.customers[i].segment_id = segment;
        check(&mut world, &store)?;

        // A cart opened, changed or checked out on the Portal: the flexi
        // segments follow that customer alone.
        let id = format!("c{}", carted % world.customers.len());
        let change = match new_cart {
            Some(cart) => Change::Upsert(Cart { customer_id: id.clone(), version: 2, ..cart }),
            None => Change::Delete { id: id.clone(), version: 2 },
        };
        store.apply_cart_changes(std::slice::from_ref(&change)).unwrap();
        match change {
            Change::Upsert(cart) => world.carts.insert(id, cart),
            Change::Delete { .. } => world.carts.remove(&id),
        };
        let refresh = store.refresh_customer_segments().unwrap();
        prop_assert_eq!(refresh.full_evaluations, 0, "one customer changed: {:?}", refresh);
        check(&mut world, &store)?;
    }
}
