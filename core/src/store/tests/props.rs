//! Property test: any sequence of app operations keeps the outbox and the
//! rule consistent.

use super::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Create {
        name: String,
        segment: Option<&'static str>,
    },
    SetSegment {
        target: usize,
        segment: Option<&'static str>,
    },
    Rename {
        target: usize,
        name: String,
    },
    Accept {
        target: usize,
    },
    SwitchRole(Role),
}

fn segment_id() -> impl Strategy<Value = Option<&'static str>> {
    proptest::option::of(proptest::sample::select(vec![
        "retail",
        "wholesale",
        "gone",
        "south",
        "nope",
    ]))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        ("[ a-zA-Z]{0,6}", segment_id()).prop_map(|(name, segment)| Op::Create { name, segment }),
        (0usize..8, segment_id()).prop_map(|(target, segment)| Op::SetSegment { target, segment }),
        (0usize..8, "[ a-z]{0,6}").prop_map(|(target, name)| Op::Rename { target, name }),
        (0usize..8).prop_map(|target| Op::Accept { target }),
        proptest::sample::select(Role::ALL.to_vec()).prop_map(Op::SwitchRole),
    ]
}

fn snapshot(store: &Store) -> (Vec<Customer>, u64) {
    let page = store
        .customers(
            &CustomerQuery {
                limit: 500,
                ..Default::default()
            },
            &tag("en"),
        )
        .unwrap();
    (
        page.customers.into_iter().map(|v| v.customer).collect(),
        store.pending_count().unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the app does: a failed operation writes nothing, a
    /// successful change queues exactly one entry with a unique
    /// mutation id, and the segment rule holds against a model.
    #[test]
    fn the_outbox_and_the_rule_hold_for_any_sequence(ops in proptest::collection::vec(op(), 1..30)) {
        let store = store(Role::Technician);
        let mut role = Role::Technician;
        let mut ids: Vec<String> = Vec::new();
        let mut accepted = std::collections::HashSet::new();
        let mut expected_entries = 0u64;
        for op in ops {
            let before = snapshot(&store);
            let result: Result<bool, Error> = match &op {
                Op::Create { name, segment } => store.create_customer(draft(name, *segment)).map(|c| { ids.push(c.id); true }),
                Op::SetSegment { target, segment } if *target < ids.len() => {
                    let id = &ids[*target];
                    let current = store.customer(id, &tag("en")).unwrap().unwrap().customer.segment_id;
                    let changes = current.as_deref() != *segment;
                    let outcome = store.update_customer(id, &segment_update(*segment));
                    if changes && accepted.contains(id) && role == Role::Technician {
                        prop_assert!(matches!(outcome, Err(Error::SegmentReadOnly { .. })), "expected SegmentReadOnly");
                    }
                    outcome.map(|_| changes)
                }
                Op::Rename { target, name } if *target < ids.len() => {
                    let id = &ids[*target];
                    let current = store.customer(id, &tag("en")).unwrap().unwrap().customer.name;
                    store
                        .update_customer(id, &CustomerUpdate { name: Some(name.clone()), ..Default::default() })
                        .map(|_| current != name.trim())
                }
                Op::Accept { target } if *target < ids.len() => {
                    let c = store.customer(&ids[*target], &tag("en")).unwrap().unwrap().customer;
                    let acked = store.pending_changes(1_000).unwrap().iter().filter(|e| e.entity_id == c.id).count() as u64;
                    accept(&store, &c, c.version.unwrap_or(0) + 1);
                    accepted.insert(c.id);
                    expected_entries -= acked;
                    Ok(false)
                }
                Op::SwitchRole(r) => {
                    role = *r;
                    store.set_session(&Session::new("u1", "org-north", role)).unwrap();
                    Ok(false)
                }
                _ => Ok(false),
            };
            match result {
                Ok(true) => expected_entries += 1,
                Ok(false) => {}
                Err(_) => prop_assert_eq!(snapshot(&store), before, "a failed operation wrote something"),
            }
            prop_assert_eq!(store.pending_count().unwrap(), expected_entries);
        }
        let entries = store.pending_changes(1_000).unwrap();
        let unique: std::collections::HashSet<_> = entries.iter().map(|e| &e.mutation_id).collect();
        prop_assert_eq!(unique.len(), entries.len());
        prop_assert!(entries.windows(2).all(|w| w[0].seq < w[1].seq));
    }
}
