//! Flexi and snapshot segments, priorities, cycles, tags, managers' edits
//! of static segments and their upload.

use serde_json::json;

use super::*;
use crate::error::{Error, ValidationReason};
use crate::protocol::{
    CustomerSegmentMembership, EntityKind, MutationOperation, MutationResult, RejectionCode,
};
use crate::sync::apply::{apply_pull_page, apply_push_results};

fn retail() -> serde_json::Value {
    json!({"attribute": "segment_id", "op": "equals", "value": "seg-retail"})
}

fn seed_catalogue(store: &Store) {
    let seg = |id: &str| Segment {
        id: id.into(),
        scope: OrgScope::All,
        name: LocalizedText::single("en", id).unwrap(),
        visit_frequency: VisitFrequency::None,
        description: None,
        version: 1,
        updated_at: now(),
        deleted: false,
    };
    store
        .apply_segment_changes(&[
            Change::Upsert(seg("seg-retail")),
            Change::Upsert(seg("seg-wholesale")),
        ])
        .unwrap();
}

fn membership(segment: &str, customer: &str, member: bool) -> CustomerSegmentMembership {
    CustomerSegmentMembership {
        segment_id: segment.into(),
        customer_id: customer.into(),
        member,
    }
}

#[test]
fn flexi_follows_local_changes_and_snapshots_wait_for_a_refresh() {
    let store = store_with(&fixture(), Role::Manager);
    seed_catalogue(&store);
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(conditional("cs-flexi", 1, true, retail())),
            Change::Upsert(conditional("cs-snap", 1, false, retail())),
        ])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    assert_eq!(members(&store, "cs-flexi"), ids(&["a"]));
    assert_eq!(members(&store, "cs-snap"), ids(&["a"]));

    // A manager moves Bob to retail, offline: the flexi segment follows at
    // once, the snapshot does not.
    store
        .update_customer(
            "b",
            &CustomerUpdate {
                segment_id: Some(Some("seg-retail".into())),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(members(&store, "cs-flexi"), ids(&["a", "b"]));
    assert_eq!(members(&store, "cs-snap"), ids(&["a"]));

    // A customer created offline joins the flexi segment too.
    let new = store
        .create_customer(CustomerDraft {
            name: "Eve".into(),
            segment_id: Some("seg-retail".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(members(&store, "cs-flexi"), ids(&["a", "b", &new.id]));
    assert_eq!(members(&store, "cs-snap"), ids(&["a"]));

    // A refresh does not retake the snapshot; an explicit one does.
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(refresh.full_evaluations, 0);
    assert_eq!(members(&store, "cs-snap"), ids(&["a"]));
    store.refresh_customer_segment("cs-snap").unwrap();
    assert_eq!(members(&store, "cs-snap"), ids(&["a", "b", &new.id]));

    // A new version of the snapshot's definition is a new snapshot.
    let mut wholesale = conditional(
        "cs-snap",
        1,
        false,
        json!({"attribute": "segment_id", "op": "equals", "value": "seg-wholesale"}),
    );
    wholesale.version = 2;
    store
        .apply_customer_segment_changes(&[Change::Upsert(wholesale)])
        .unwrap();
    assert!(
        !store
            .customer_segment("cs-snap")
            .unwrap()
            .unwrap()
            .evaluated
    );
    store.refresh_customer_segments().unwrap();
    assert!(
        store
            .customer_segment("cs-snap")
            .unwrap()
            .unwrap()
            .evaluated
    );
    assert_eq!(members(&store, "cs-snap"), ids(&[]));
}

#[test]
fn one_changed_customer_is_evaluated_alone() {
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(conditional("cs-1", 1, true, retail())),
            Change::Upsert(conditional(
                "cs-2",
                1,
                true,
                json!({"attribute": "city", "op": "equals", "value": "Brno"}),
            )),
        ])
        .unwrap();
    let first = store.refresh_customer_segments().unwrap();
    assert_eq!(first.full_evaluations, 2);
    // A server change to one profile: the next refresh evaluates that
    // customer in each flexi segment, nothing else.
    let mut bob = fixture().profiles["b"].clone();
    bob.city = Some("Brno".into());
    bob.version = 2;
    store.apply_profile_changes(&[Change::Upsert(bob)]).unwrap();
    let second = store.refresh_customer_segments().unwrap();
    assert_eq!(
        (second.full_evaluations, second.customer_evaluations),
        (0, 2)
    );
    assert_eq!(members(&store, "cs-2"), ids(&["a", "b", "d"]));
    // Nothing changed: nothing evaluated.
    let third = store.refresh_customer_segments().unwrap();
    assert_eq!((third.full_evaluations, third.customer_evaluations), (0, 0));
}

/// (listed customers, all noted as changed) in the journal.
fn journal_state(store: &Store) -> (i64, bool) {
    store
        .read(|conn| {
            Ok((
                conn.query_row("SELECT count(*) FROM segment_dirty_customers", [], |r| {
                    r.get(0)
                })?,
                conn.query_row(
                    "SELECT all_customers_changed FROM segment_evaluation_state",
                    [],
                    |r| r.get(0),
                )?,
            ))
        })
        .unwrap()
}

#[test]
fn a_pull_past_the_journal_bound_notes_everyone_and_evaluates_in_full() {
    use crate::protocol::{ChangeOp, ChangePage, Collection, FeedChange};
    use crate::store::journal::INCREMENTAL_LIMIT;
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[Change::Upsert(conditional("cs-1", 1, true, retail()))])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    assert_eq!(journal_state(&store), (0, false));
    let page = |from: usize, to: usize| ChangePage {
        changes: (from..to)
            .map(|i| {
                let c = customer(&format!("pulled-{i:05}"), "Pulled", Some("seg-retail"));
                FeedChange {
                    seq: i as i64 + 1,
                    collection: Collection::Customers,
                    op: ChangeOp::Upsert,
                    id: c.id.clone(),
                    version: c.version,
                    data: FeedChange::record(&c).unwrap(),
                }
            })
            .collect(),
        cursor: format!("c-{to}"),
        has_more: false,
        remaining: 0,
        remaining_by_collection: Default::default(),
    };
    // Up to the bound, each changed customer is listed (across pages).
    let half = INCREMENTAL_LIMIT / 2;
    store
        .write(|tx| apply_pull_page(tx, &page(0, half)))
        .unwrap();
    store
        .write(|tx| apply_pull_page(tx, &page(half, INCREMENTAL_LIMIT)))
        .unwrap();
    assert_eq!(journal_state(&store), (INCREMENTAL_LIMIT as i64, false));
    // One more: the list gives way to "all changed".
    store
        .write(|tx| apply_pull_page(tx, &page(INCREMENTAL_LIMIT, INCREMENTAL_LIMIT + 1)))
        .unwrap();
    assert_eq!(journal_state(&store), (0, true));
    // A local note meanwhile adds nothing to the list.
    store
        .write(|tx| crate::store::journal::customer_changed(tx, "a"))
        .unwrap();
    assert_eq!(journal_state(&store), (0, true));
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(
        (refresh.full_evaluations, refresh.customer_evaluations),
        (1, 0)
    );
    let in_cs1: i64 = store
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM customer_segment_members WHERE segment_id = 'cs-1'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    let before = members(&store, "cs-1")
        .iter()
        .filter(|id| !id.starts_with("pulled"))
        .count();
    assert_eq!(
        in_cs1 as usize,
        INCREMENTAL_LIMIT + 1 + before,
        "every pulled customer is in"
    );
    assert_eq!(journal_state(&store), (0, false));
    let again = store.refresh_customer_segments().unwrap();
    assert_eq!((again.full_evaluations, again.customer_evaluations), (0, 0));
}

#[test]
fn new_transactions_move_rfm_segments_for_everyone() {
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[Change::Upsert(conditional(
            "cs-big",
            1,
            true,
            json!({"attribute": "rfm_monetary", "op": "equals", "value": 4}),
        ))])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    assert_eq!(members(&store, "cs-big"), ids(&["b"]));
    // Cecil buys more than anyone: Bob is no longer on top, though only
    // Cecil's data changed.
    store
        .apply_transaction_changes(&[Change::Upsert(purchase(
            "t-c",
            "c",
            ago(1),
            5000.0,
            TransactionKind::Online,
        ))])
        .unwrap();
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(refresh.full_evaluations, 1);
    // 4 ranked: Dana 1, Anna 2, Bob 3 -> 1 + 5*2/4 = 3, Cecil 4 -> 4
    assert_eq!(members(&store, "cs-big"), ids(&["c"]));
    assert_eq!(store.purchase_summary("b").unwrap().rfm_monetary, Some(3));
    // Deleting the transaction brings the old scores back.
    store
        .apply_transaction_changes(&[Change::Delete {
            id: "t-c".into(),
            version: 2,
        }])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    assert_eq!(members(&store, "cs-big"), ids(&["b"]));
    assert_eq!(store.purchase_summary("c").unwrap().count, 0);
}

#[test]
fn segments_of_a_customer_come_by_priority_and_the_first_is_primary() {
    let store = store_with(&fixture(), Role::Manager);
    let everyone = json!({"attribute": "name", "op": "exists"});
    let mut tagged = conditional("cs-mid", 20, true, everyone.clone());
    tagged.tags = vec!["loyalty".into(), "city".into()];
    let mut other = conditional("cs-low", 5, false, everyone.clone());
    other.tags = vec!["city".into()];
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(other),
            Change::Upsert(conditional("cs-high", 90, true, retail())),
            Change::Upsert(tagged),
            Change::Upsert(static_segment("cs-empty", 100)),
        ])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    let of_anna: Vec<_> = store
        .customer_segments_of("a")
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(of_anna, ["cs-high", "cs-mid", "cs-low"]);
    assert_eq!(
        store.primary_customer_segment("b").unwrap().unwrap().id,
        "cs-mid"
    );
    assert_eq!(store.primary_customer_segment("zz").unwrap(), None);
    let all: Vec<_> = store
        .customer_segments(None)
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.member_count))
        .collect();
    assert_eq!(
        all,
        [
            ("cs-empty".to_string(), 0),
            ("cs-high".into(), 1),
            ("cs-mid".into(), 4),
            ("cs-low".into(), 4)
        ]
    );
    let city: Vec<_> = store
        .customer_segments(Some("city"))
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(city, ["cs-mid", "cs-low"]);
    let tags: Vec<_> = store
        .customer_segment_tags()
        .unwrap()
        .into_iter()
        .map(|t| (t.tag, t.segments))
        .collect();
    assert_eq!(tags, [("city".to_string(), 2), ("loyalty".into(), 1)]);
    // Members page by name.
    let page = store.customer_segment_members("cs-mid", 2, 1).unwrap();
    assert_eq!(page.total, 4);
    let names: Vec<_> = page.members.into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["Bob", "Cecil"]);
    assert!(matches!(
        store.customer_segment_members("cs-mid", 0, 0),
        Err(Error::Validation { .. })
    ));
    assert!(matches!(
        store.customer_segment_members("cs-nope", 10, 0),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn a_cycle_from_the_feed_gets_no_members_and_evaluation_ends() {
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(conditional("cs-a", 1, true, json!({"in_segment": "cs-b"}))),
            Change::Upsert(conditional(
                "cs-b",
                1,
                true,
                json!({"any": [{"in_segment": "cs-a"}, retail()]}),
            )),
            Change::Upsert(conditional(
                "cs-c",
                1,
                true,
                json!({"not": {"in_segment": "cs-d"}}),
            )),
            Change::Upsert(conditional("cs-d", 1, true, retail())),
        ])
        .unwrap();
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(refresh.cyclic, ["cs-a", "cs-b"]);
    assert!(members(&store, "cs-a").is_empty() && members(&store, "cs-b").is_empty());
    // Dependencies are evaluated first, whatever the order they came in.
    assert_eq!(members(&store, "cs-d"), ids(&["a"]));
    assert_eq!(members(&store, "cs-c"), ids(&["b", "c", "d"]));
}

#[test]
fn a_deleted_segment_leaves_its_dependents_evaluated_again() {
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(conditional("cs-base", 1, true, retail())),
            Change::Upsert(conditional(
                "cs-rest",
                1,
                false,
                json!({"not": {"in_segment": "cs-base"}}),
            )),
        ])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    assert_eq!(members(&store, "cs-rest"), ids(&["b", "c", "d"]));
    store
        .apply_customer_segment_changes(&[Change::Delete {
            id: "cs-base".into(),
            version: 2,
        }])
        .unwrap();
    assert_eq!(store.customer_segment("cs-base").unwrap(), None);
    store.refresh_customer_segments().unwrap();
    assert_eq!(members(&store, "cs-rest"), ids(&["a", "b", "c", "d"]));
}

#[test]
fn managers_edit_static_segments_through_the_outbox() {
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(static_segment("cs-vip", 50)),
            Change::Upsert(conditional(
                "cs-not-vip",
                5,
                true,
                json!({"not": {"in_segment": "cs-vip"}}),
            )),
            Change::Upsert(conditional("cs-cond", 1, true, retail())),
        ])
        .unwrap();
    store
        .apply_customer_segment_memberships(&[membership("cs-vip", "a", true)])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    assert_eq!(members(&store, "cs-not-vip"), ids(&["b", "c", "d"]));

    assert!(store.add_to_customer_segment("cs-vip", "b").unwrap());
    assert!(
        !store.add_to_customer_segment("cs-vip", "b").unwrap(),
        "already in"
    );
    assert_eq!(members(&store, "cs-vip"), ids(&["a", "b"]));
    assert_eq!(
        members(&store, "cs-not-vip"),
        ids(&["c", "d"]),
        "flexi follows at once"
    );
    let pending = store.pending_changes(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].entity, EntityKind::CustomerSegmentMember);
    assert_eq!(pending[0].entity_id, "cs-vip/b");
    assert_eq!(pending[0].operation, MutationOperation::AddMember);
    assert_eq!(pending[0].changes["customer_id"], "b");

    // The server's older state does not undo the pending edit.
    store
        .apply_customer_segment_memberships(&[membership("cs-vip", "b", false)])
        .unwrap();
    assert_eq!(members(&store, "cs-vip"), ids(&["a", "b"]));

    // Refused by the server: back to its state.
    store
        .write(|tx| {
            apply_push_results(
                tx,
                &pending,
                &[MutationResult::Rejected {
                    mutation_id: pending[0].mutation_id.clone(),
                    rejection: crate::protocol::Rejection {
                        code: RejectionCode::Permission,
                        field: Some("segment_id".into()),
                        reason: "no".into(),
                    },
                    current: None,
                }],
                store.clock(),
            )
        })
        .unwrap();
    assert_eq!(members(&store, "cs-vip"), ids(&["a"]));
    assert_eq!(members(&store, "cs-not-vip"), ids(&["b", "c", "d"]));
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(store.set_aside_count().unwrap(), 1);

    // Removing, accepted by the server.
    assert!(store.remove_from_customer_segment("cs-vip", "a").unwrap());
    let pending = store.pending_changes(10).unwrap();
    let removal = pending
        .iter()
        .find(|e| e.rejection.is_none())
        .unwrap()
        .clone();
    assert_eq!(removal.operation, MutationOperation::RemoveMember);
    store
        .write(|tx| {
            apply_push_results(
                tx,
                std::slice::from_ref(&removal),
                &[MutationResult::Applied {
                    mutation_id: removal.mutation_id.clone(),
                    version: 3,
                }],
                store.clock(),
            )
        })
        .unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(members(&store, "cs-vip"), ids(&[]));
    assert_eq!(members(&store, "cs-not-vip"), ids(&["a", "b", "c", "d"]));

    // Conditional segments follow their criteria only.
    let err = store.add_to_customer_segment("cs-cond", "b").unwrap_err();
    assert!(matches!(
        err,
        Error::Validation { ref field, reason: ValidationReason::DefinedByConditions } if field == "segment_id"
    ));
    assert!(matches!(
        store.add_to_customer_segment("cs-nope", "b"),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.add_to_customer_segment("cs-vip", "nobody"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn technicians_may_not_edit_static_segments_and_nothing_is_written() {
    let store = store_with(&fixture(), Role::Technician);
    store
        .apply_customer_segment_changes(&[Change::Upsert(static_segment("cs-vip", 50))])
        .unwrap();
    let err = store.add_to_customer_segment("cs-vip", "a").unwrap_err();
    assert!(matches!(err, Error::NotPermitted { .. }));
    assert_eq!(err.code(), "permission");
    assert!(matches!(
        store.remove_from_customer_segment("cs-vip", "a"),
        Err(Error::NotPermitted { .. })
    ));
    assert_eq!(store.pending_count().unwrap(), 0);
    assert!(members(&store, "cs-vip").is_empty());
}

#[test]
fn feed_records_apply_once_and_stay_idempotent() {
    let store = store_with(&fixture(), Role::Manager);
    let seg = conditional("cs-x", 1, true, retail());
    assert_eq!(
        store
            .apply_customer_segment_changes(&[Change::Upsert(seg.clone())])
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .apply_customer_segment_changes(&[Change::Upsert(seg)])
            .unwrap(),
        0
    );
    let profile = fixture().profiles["a"].clone();
    assert_eq!(
        store
            .apply_profile_changes(&[Change::Upsert(profile.clone())])
            .unwrap(),
        0
    );
    assert_eq!(store.customer_profile("a").unwrap(), Some(profile));
    assert_eq!(store.customer_profile("c").unwrap(), None);
    // A bad record is refused as a whole.
    let mut bad = conditional(
        "cs-bad",
        1,
        true,
        json!({"attribute": "shoe", "op": "exists"}),
    );
    bad.version = 1;
    let err = store
        .apply_customer_segment_changes(&[Change::Upsert(bad)])
        .unwrap_err();
    assert!(matches!(err, Error::Validation { ref field, .. } if field == "criteria.attribute"));
    assert_eq!(store.customer_segment("cs-bad").unwrap(), None);
}

#[test]
fn a_large_pull_evaluates_flexi_segments_in_full_without_loading_every_change() {
    let store = store_with(&fixture(), Role::Manager);
    store
        .apply_customer_segment_changes(&[Change::Upsert(conditional(
            "cs-retail",
            1,
            true,
            retail(),
        ))])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    let arriving: Vec<_> = (0..2_100)
        .map(|i| {
            let segment = (i % 3 == 0).then_some("seg-retail");
            Change::Upsert(customer(&format!("n{i:04}"), &format!("New {i}"), segment))
        })
        .collect();
    store.apply_customer_changes(&arriving).unwrap();
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(
        (refresh.full_evaluations, refresh.customer_evaluations),
        (1, 0)
    );
    assert_eq!(refresh.membership_changes, 700);
    let page = store.customer_segment_members("cs-retail", 500, 0).unwrap();
    assert_eq!(page.total, 701);
}

#[test]
fn another_organizations_segment_is_not_shown_and_statics_are_not_refreshed() {
    let store = store_with(&fixture(), Role::Manager);
    let mut south = conditional("cs-south", 1, true, retail());
    south.scope = OrgScope::Organization("org-south".into());
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(south),
            Change::Upsert(static_segment("cs-vip", 1)),
        ])
        .unwrap();
    assert_eq!(store.customer_segment("cs-south").unwrap(), None);
    assert!(
        store
            .customer_segments(None)
            .unwrap()
            .iter()
            .all(|s| s.id != "cs-south")
    );
    let err = store.refresh_customer_segment("cs-vip").unwrap_err();
    assert!(matches!(
        err,
        Error::Validation {
            reason: ValidationReason::NotConditional,
            ..
        }
    ));
    assert!(matches!(
        store.refresh_customer_segment("cs-nope"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn dates_are_the_store_clocks_not_the_machines() {
    // "Visited in the last 30 days", the same data on two dates: Anna's
    // visit (10 days before the tests' date) counts on that date and no
    // longer 30 days later, whatever the machine's clock says.
    let visited = json!({"attribute": "last_visit", "op": "within_last_days", "days": 30});
    let on = |store: Store| {
        store
            .apply_customer_segment_changes(&[Change::Upsert(conditional(
                "cs-recent",
                1,
                true,
                visited.clone(),
            ))])
            .unwrap();
        store.refresh_customer_segments().unwrap();
        members(&store, "cs-recent")
    };
    assert_eq!(on(store_with(&fixture(), Role::Manager)), ids(&["a"]));
    let later = today().checked_add_days(chrono::Days::new(30)).unwrap();
    let store = store_with(&fixture(), Role::Manager).with_clock(std::sync::Arc::new(
        crate::clock::FixedDateClock::new(later),
    ));
    assert_eq!(on(store), ids(&[]));
}

#[test]
fn carts_move_flexi_segments_per_customer_and_their_age_moves_with_the_day() {
    let store = store_with(&fixture(), Role::Manager);
    let stale = json!({"all": [
        {"attribute": "cart.abandoned", "op": "equals", "value": true},
        {"attribute": "cart.age", "op": "between", "min": 21}
    ]});
    store
        .apply_customer_segment_changes(&[
            Change::Upsert(conditional("cs-stale-carts", 2, true, stale)),
            Change::Upsert(conditional(
                "cs-carts",
                1,
                false,
                json!({"attribute": "cart.open", "op": "equals", "value": true}),
            )),
        ])
        .unwrap();
    assert_eq!(
        store.refresh_customer_segments().unwrap().full_evaluations,
        2
    );
    // Bob's abandoned cart is 20 days old.
    assert_eq!(members(&store, "cs-stale-carts"), ids(&[]));
    assert_eq!(members(&store, "cs-carts"), ids(&["a", "b", "d"]));

    // The Portal: Cecil's month-old cart arrives abandoned, Dana checks out.
    store
        .apply_cart_changes(&[
            Change::Upsert(open_cart("c", 80.0, 2, 30, true)),
            Change::Delete {
                id: "d".into(),
                version: 2,
            },
        ])
        .unwrap();
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(
        (refresh.full_evaluations, refresh.customer_evaluations),
        (0, 2),
        "the flexi segment, for Cecil and Dana only"
    );
    assert_eq!(members(&store, "cs-stale-carts"), ids(&["c"]));
    assert_eq!(
        members(&store, "cs-carts"),
        ids(&["a", "b", "d"]),
        "a snapshot waits"
    );
    store.refresh_customer_segment("cs-carts").unwrap();
    assert_eq!(members(&store, "cs-carts"), ids(&["a", "b", "c"]));

    // A day later Bob's cart is 21 days old: the flexi segment is evaluated
    // again in full, though no data changed.
    let tomorrow = today().checked_add_days(chrono::Days::new(1)).unwrap();
    let store = store.with_clock(std::sync::Arc::new(crate::clock::FixedDateClock::new(
        tomorrow,
    )));
    let refresh = store.refresh_customer_segments().unwrap();
    assert_eq!(refresh.full_evaluations, 1, "{refresh:?}");
    assert_eq!(members(&store, "cs-stale-carts"), ids(&["b", "c"]));
}

#[test]
fn a_definition_is_counted_before_it_is_saved() {
    let store = store_with(&fixture(), Role::Manager);
    seed_catalogue(&store);
    let criteria = |value: serde_json::Value| Criteria::parse(&value).unwrap();
    // What a saved segment would get, and nothing is saved.
    let open_carts = json!({"attribute": "cart.open", "op": "equals", "value": true});
    assert_eq!(
        store
            .count_customers_matching(&criteria(open_carts.clone()), None)
            .unwrap(),
        3
    );
    assert!(store.customer_segments(None).unwrap().is_empty());
    store
        .apply_customer_segment_changes(&[Change::Upsert(conditional(
            "cs-carts", 1, true, open_carts,
        ))])
        .unwrap();

    // A definition that includes a segment not yet evaluated counts that
    // segment's members as a refresh would make them.
    let both = criteria(json!({"all": [
        {"in_segment": "cs-carts"},
        {"not": {"attribute": "segment_id", "op": "equals", "value": "seg-retail"}}
    ]}));
    assert_eq!(store.count_customers_matching(&both, None).unwrap(), 2);
    assert_eq!(members(&store, "cs-carts"), ids(&["a", "b", "d"]));

    // Only the customers of the organization asked for.
    assert_eq!(
        store
            .count_customers_matching(&both, Some("org-north"))
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_customers_matching(&both, Some("org-south"))
            .unwrap(),
        0
    );
}
