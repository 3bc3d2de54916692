//! Creating and updating customers under the segment rule.

use super::*;
use crate::error::{Entity, Error, ReferenceProblem, ValidationReason};

#[test]
fn any_role_creates_a_customer_with_a_segment() {
    for role in Role::ALL {
        let store = store(role);
        let c = store
            .create_customer(draft("Bakery", Some("retail")))
            .unwrap();
        assert!(c.is_new());
        assert_eq!(c.organization_id, "org-north");
        assert!(
            uuid::Uuid::parse_str(&c.id).is_ok(),
            "ids are device-made UUIDs"
        );
        let view = store.customer(&c.id, &tag("nl")).unwrap().unwrap();
        assert_eq!(view.segment.unwrap().label.as_deref(), Some("Detailhandel"));
        assert!(
            view.segment_editable,
            "a new customer's segment is editable for {role}"
        );
    }
}

#[test]
fn creating_queues_the_set_fields_only() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(CustomerDraft {
            status_id: Some("st-active".into()),
            ..draft("Bakery", Some("retail"))
        })
        .unwrap();
    let entries = store.pending_changes(10).unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.operation, crate::protocol::MutationOperation::Create);
    assert_eq!(e.entity_id, c.id);
    assert_eq!(e.base_version, None);
    assert_eq!(
        serde_json::Value::Object(e.changes.clone()),
        serde_json::json!({"organization_id": "org-north", "name": "Bakery", "status_id": "st-active", "segment_id": "retail"})
    );
}

#[test]
fn unusable_segments_are_refused_on_create_and_nothing_is_written() {
    let store = store(Role::Admin);
    let cases = [
        ("nope", ReferenceProblem::Unknown),
        ("gone", ReferenceProblem::Deleted),
        ("south", ReferenceProblem::OutOfScope),
    ];
    for (segment, problem) in cases {
        let err = store
            .create_customer(draft("Bakery", Some(segment)))
            .unwrap_err();
        assert_eq!(unavailable(err), ("segment_id", problem), "{segment}");
    }
    assert_eq!(count(&store, "customers"), 0);
    assert_eq!(count(&store, "outbox"), 0);
}

#[test]
fn picklist_references_are_checked_by_kind_scope_and_tombstone() {
    let store = store(Role::Technician);
    let with = |kind: PicklistKind, id: &str| {
        let mut d = draft("A", None);
        match kind {
            PicklistKind::Status => d.status_id = Some(id.into()),
            PicklistKind::Channel => d.channel_id = Some(id.into()),
            _ => unreachable!(),
        }
        store.create_customer(d)
    };
    assert!(with(PicklistKind::Status, "st-active").is_ok());
    assert_eq!(
        unavailable(with(PicklistKind::Channel, "st-active").unwrap_err()),
        ("channel_id", ReferenceProblem::Unknown)
    );
    assert_eq!(
        unavailable(with(PicklistKind::Status, "st-south").unwrap_err()),
        ("status_id", ReferenceProblem::OutOfScope)
    );
    store
        .apply_picklist_changes(&[Change::Delete {
            id: "ch-web".into(),
            version: 5,
        }])
        .unwrap();
    assert_eq!(
        unavailable(with(PicklistKind::Channel, "ch-web").unwrap_err()),
        ("channel_id", ReferenceProblem::Deleted)
    );
    assert_eq!(count(&store, "customers"), 1);
}

#[test]
fn bad_drafts_are_refused_with_the_field_named() {
    let store = store(Role::Technician);
    let field = |d: CustomerDraft| match store.create_customer(d).unwrap_err() {
        Error::Validation { field, reason } => (field, reason),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(draft("   ", None)),
        ("name".into(), ValidationReason::Blank)
    );
    assert_eq!(
        field(draft(&"n".repeat(201), None)),
        ("name".into(), ValidationReason::TooLong { max_chars: 200 })
    );
    assert_eq!(
        field(draft("A", Some(""))),
        ("segment_id".into(), ValidationReason::Blank)
    );
    assert_eq!(count(&store, "customers"), 0);
    assert_eq!(count(&store, "outbox"), 0);
}

#[test]
fn a_batch_is_all_or_nothing_and_names_the_bad_draft() {
    let store = store(Role::Manager);
    let ok = store
        .create_customers(vec![draft("A", Some("retail")), draft("B", None)])
        .unwrap();
    assert_eq!(ok.len(), 2);
    let err = store
        .create_customers(vec![draft("C", None), draft("D", None), draft(" ", None)])
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation { ref field, .. } if field == "[2].name"),
        "{err:?}"
    );
    let err = store
        .create_customers(vec![draft("C", None), draft("D", Some("gone"))])
        .unwrap_err();
    assert_eq!(unavailable(err), ("segment_id", ReferenceProblem::Deleted));
    assert_eq!(count(&store, "customers"), 2);
    assert_eq!(count(&store, "outbox"), 2);
}

// ---- the rule on updates ----

#[test]
fn a_technician_may_change_the_segment_of_a_customer_the_server_has_not_accepted() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(draft("Bakery", Some("retail")))
        .unwrap();
    let c = store
        .update_customer(&c.id, &segment_update(Some("wholesale")))
        .unwrap();
    assert_eq!(c.segment_id.as_deref(), Some("wholesale"));
    let c = store.update_customer(&c.id, &segment_update(None)).unwrap();
    assert_eq!(c.segment_id, None);
    assert_eq!(store.pending_count().unwrap(), 3);
}

#[test]
fn a_technician_cannot_change_the_segment_of_an_existing_customer() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(draft("Bakery", Some("retail")))
        .unwrap();
    accept(&store, &c, 1);

    for requested in [Some("wholesale"), None, Some("gone"), Some("nope")] {
        let err = store
            .update_customer(&c.id, &segment_update(requested))
            .unwrap_err();
        assert!(
            matches!(err, Error::SegmentReadOnly { ref customer_id } if *customer_id == c.id),
            "{requested:?}"
        );
    }
    // nothing written, not even the other fields of a refused update
    let refused = CustomerUpdate {
        name: Some("Renamed".into()),
        ..segment_update(Some("wholesale"))
    };
    assert!(store.update_customer(&c.id, &refused).is_err());
    let view = store.customer(&c.id, &tag("en")).unwrap().unwrap();
    assert_eq!(view.customer.name, "Bakery");
    assert_eq!(view.customer.segment_id.as_deref(), Some("retail"));
    assert!(!view.segment_editable);
    assert_eq!(store.pending_count().unwrap(), 0);
}

#[test]
fn sending_the_segment_a_customer_has_is_not_a_change() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(draft("Bakery", Some("retail")))
        .unwrap();
    accept(&store, &c, 1);
    let same = CustomerUpdate {
        name: Some("Bakery".into()),
        ..segment_update(Some("retail"))
    };
    assert_eq!(
        store
            .update_customer(&c.id, &same)
            .unwrap()
            .segment_id
            .as_deref(),
        Some("retail")
    );
    assert_eq!(
        store.pending_count().unwrap(),
        0,
        "no change, nothing queued"
    );
}

#[test]
fn a_technician_edits_the_other_fields_of_an_existing_customer() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(draft("Bakery", Some("retail")))
        .unwrap();
    accept(&store, &c, 7);
    let update = CustomerUpdate {
        name: Some("Bakery Janssens".into()),
        status_id: Some(Some("st-active".into())),
        last_visit: Some(Some(date("2026-11-20"))),
        segment_id: Some(Some("retail".into())),
        ..Default::default()
    };
    store.update_customer(&c.id, &update).unwrap();
    let entries = store.pending_changes(10).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].operation,
        crate::protocol::MutationOperation::Update
    );
    assert_eq!(entries[0].base_version, Some(7));
    assert_eq!(
        serde_json::Value::Object(entries[0].changes.clone()),
        serde_json::json!({"name": "Bakery Janssens", "status_id": "st-active", "last_visit": "2026-11-20"})
    );
    assert_eq!(
        serde_json::Value::Object(entries[0].previous.clone()),
        serde_json::json!({"name": "Bakery", "status_id": null, "last_visit": null})
    );
}

#[test]
fn managers_and_admins_change_existing_segments_with_the_same_checks() {
    for role in [Role::Manager, Role::Admin] {
        let store = store(role);
        let c = store
            .create_customer(draft("Bakery", Some("retail")))
            .unwrap();
        accept(&store, &c, 1);
        assert!(
            store
                .customer(&c.id, &tag("en"))
                .unwrap()
                .unwrap()
                .segment_editable
        );
        let updated = store
            .update_customer(&c.id, &segment_update(Some("wholesale")))
            .unwrap();
        assert_eq!(updated.segment_id.as_deref(), Some("wholesale"));
        let entry = store.pending_changes(10).unwrap().pop().unwrap();
        assert_eq!(
            serde_json::Value::Object(entry.changes),
            serde_json::json!({"segment_id": "wholesale"})
        );
        assert_eq!(entry.base_version, Some(1));

        assert_eq!(
            unavailable(
                store
                    .update_customer(&c.id, &segment_update(Some("gone")))
                    .unwrap_err()
            )
            .1,
            ReferenceProblem::Deleted
        );
        assert_eq!(
            unavailable(
                store
                    .update_customer(&c.id, &segment_update(Some("south")))
                    .unwrap_err()
            )
            .1,
            ReferenceProblem::OutOfScope
        );
        assert_eq!(
            unavailable(
                store
                    .update_customer(&c.id, &segment_update(Some("nope")))
                    .unwrap_err()
            )
            .1,
            ReferenceProblem::Unknown
        );
        assert!(store.update_customer(&c.id, &segment_update(None)).is_ok());
    }
}

#[test]
fn the_rule_follows_the_stored_session_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let id = {
        let store = Store::open(&path).unwrap();
        seed(&store);
        store
            .set_session(&Session::new("u1", "org-north", Role::Technician))
            .unwrap();
        let c = store
            .create_customer(draft("Bakery", Some("retail")))
            .unwrap();
        accept(&store, &c, 1);
        c.id
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.session().unwrap().unwrap().role, Role::Technician);
    assert!(matches!(
        store.update_customer(&id, &segment_update(Some("wholesale"))),
        Err(Error::SegmentReadOnly { .. })
    ));
}

#[test]
fn updating_an_unknown_or_deleted_customer_is_not_found() {
    let store = store(Role::Admin);
    let err = store
        .update_customer("missing", &CustomerUpdate::default())
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: Entity::Customer, ref id } if id == "missing"));
    let c = store.create_customer(draft("Bakery", None)).unwrap();
    accept(&store, &c, 1);
    store
        .apply_customer_changes(&[Change::Delete {
            id: c.id.clone(),
            version: 2,
        }])
        .unwrap();
    assert!(matches!(
        store.update_customer(&c.id, &CustomerUpdate::default()),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(store.customer(&c.id, &tag("en")).unwrap(), None);
}

#[test]
fn a_deleted_segment_keeps_its_label_on_customers_but_leaves_the_dropdown() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(draft("Bakery", Some("wholesale")))
        .unwrap();
    store
        .apply_segment_changes(&[Change::Delete {
            id: "wholesale".into(),
            version: 2,
        }])
        .unwrap();
    assert!(
        store
            .segment_options(&tag("en"))
            .unwrap()
            .iter()
            .all(|o| o.id != "wholesale")
    );
    let seg = store
        .customer(&c.id, &tag("nl"))
        .unwrap()
        .unwrap()
        .segment
        .unwrap();
    assert_eq!(
        seg,
        SegmentLabel {
            id: "wholesale".into(),
            label: Some("Groothandel".into()),
            deleted: true
        }
    );
    assert!(store.segment("wholesale").unwrap().unwrap().deleted);
    assert_eq!(store.segments(false).unwrap().len(), 4);
    assert_eq!(store.segments(true).unwrap().len(), 6);
}
