//! Store tests: the rule end to end through SQLite, queries, batches,
//! idempotent server applies, atomicity and concurrency.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::error::{Entity, Error, ReferenceProblem, ValidationReason};
use crate::model::*;

fn now() -> DateTime<Utc> {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

fn tag(s: &str) -> LanguageTag {
    LanguageTag::parse(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn segment(
    id: &str,
    org: Option<&str>,
    names: &[(&str, &str)],
    freq: VisitFrequency,
) -> Segment {
    Segment {
        id: id.into(),
        scope: OrgScope::from_organization_id(org.map(Into::into)),
        name: LocalizedText::new("name", names.iter().copied(), 200).unwrap(),
        visit_frequency: freq,
        description: None,
        version: 1,
        updated_at: now(),
        deleted: false,
    }
}

fn picklist(
    id: &str,
    kind: PicklistKind,
    org: Option<&str>,
    label: &str,
    order: i64,
) -> PicklistValue {
    PicklistValue {
        id: id.into(),
        kind,
        scope: OrgScope::from_organization_id(org.map(Into::into)),
        label: LocalizedText::single("en", label).unwrap(),
        sort_order: order,
        version: 1,
        updated_at: now(),
        deleted: false,
    }
}

/// A store with the demo catalogue and a session in org-north.
fn store(role: Role) -> Store {
    let store = Store::open_in_memory().unwrap();
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", role))
        .unwrap();
    store
}

fn seed(store: &Store) {
    use VisitFrequency as F;
    let segments = [
        segment(
            "retail",
            None,
            &[("en", "Retail"), ("nl", "Detailhandel")],
            F::Monthly,
        ),
        segment(
            "wholesale",
            None,
            &[("en", "Wholesale"), ("nl", "Groothandel")],
            F::Weekly,
        ),
        segment(
            "agri",
            Some("org-north"),
            &[("en", "agriculture"), ("nl", "Landbouw")],
            F::Every2Weeks,
        ),
        segment(
            "south",
            Some("org-south"),
            &[("en", "South only")],
            F::Daily,
        ),
        segment("none-freq", None, &[("en", "Prospects")], F::None),
    ];
    store
        .apply_segment_changes(&segments.map(Change::Upsert))
        .unwrap();
    store
        .apply_segment_changes(&[
            Change::Upsert(segment("gone", None, &[("en", "Gone")], F::Weekly)),
            Change::Delete {
                id: "gone".into(),
                version: 2,
            },
        ])
        .unwrap();
    let values = [
        picklist("st-active", PicklistKind::Status, None, "Active", 1),
        picklist("st-lead", PicklistKind::Status, None, "Lead", 0),
        picklist(
            "st-south",
            PicklistKind::Status,
            Some("org-south"),
            "South",
            0,
        ),
        picklist("ch-web", PicklistKind::Channel, None, "Web", 0),
    ];
    store
        .apply_picklist_changes(&values.map(Change::Upsert))
        .unwrap();
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
        .unwrap()
}

fn draft(name: &str, segment: Option<&str>) -> CustomerDraft {
    CustomerDraft {
        name: name.into(),
        segment_id: segment.map(Into::into),
        ..Default::default()
    }
}

/// What the server sends back once it has accepted a customer.
fn remote(c: &Customer, version: i64) -> RemoteCustomer {
    RemoteCustomer::from_customer(c, version, false)
}

/// Marks a customer accepted by the server, the way a sync would: the
/// upload is acknowledged (its outbox entries leave) and the server's
/// version is applied.
fn accept(store: &Store, c: &Customer, version: i64) {
    store
        .write(|tx| {
            tx.execute("DELETE FROM outbox WHERE entity_id = ?1", [&c.id])?;
            Ok(())
        })
        .unwrap();
    store
        .apply_customer_changes(&[Change::Upsert(remote(c, version))])
        .unwrap();
}

fn segment_update(segment: Option<&str>) -> CustomerUpdate {
    CustomerUpdate {
        segment_id: Some(segment.map(Into::into)),
        ..Default::default()
    }
}

fn unavailable(err: Error) -> (&'static str, ReferenceProblem) {
    match err {
        Error::UnavailableReference { field, problem, .. } => (field, problem),
        other => panic!("expected an unavailable reference, got {other:?}"),
    }
}

// ---- dropdowns ----

#[test]
fn segment_options_are_scoped_sorted_and_localised() {
    let store = store(Role::Technician);
    let labels = |locale: &str| -> Vec<String> {
        store
            .segment_options(&tag(locale))
            .unwrap()
            .into_iter()
            .map(|o| o.label)
            .collect()
    };
    // case-insensitive: "agriculture" sorts before "Prospects"; no deleted, no org-south
    assert_eq!(
        labels("en"),
        ["agriculture", "Prospects", "Retail", "Wholesale"]
    );
    assert_eq!(
        labels("nl-BE"),
        ["Detailhandel", "Groothandel", "Landbouw", "Prospects"]
    );
    let retail = store
        .segment_options(&tag("en"))
        .unwrap()
        .into_iter()
        .find(|o| o.id == "retail")
        .unwrap();
    assert_eq!(retail.visit_frequency, VisitFrequency::Monthly);

    store
        .set_session(&Session::new("u2", "org-south", Role::Technician))
        .unwrap();
    assert_eq!(
        labels("en"),
        ["Prospects", "Retail", "South only", "Wholesale"]
    );
}

#[test]
fn the_organization_default_language_is_a_fallback() {
    let store = store(Role::Technician);
    store
        .apply_organizations(&[Organization {
            id: "org-north".into(),
            default_language: Some(tag("nl")),
        }])
        .unwrap();
    let labels: Vec<_> = store
        .segment_options(&tag("de"))
        .unwrap()
        .into_iter()
        .map(|o| o.label)
        .collect();
    assert_eq!(
        labels,
        ["Detailhandel", "Groothandel", "Landbouw", "Prospects"]
    );
}

#[test]
fn picklist_options_follow_sort_order_kind_and_scope() {
    let store = store(Role::Technician);
    let status: Vec<_> = store
        .picklist_options(PicklistKind::Status, &tag("en"))
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(status, ["st-lead", "st-active"]);
    let channel = store
        .picklist_options(PicklistKind::Channel, &tag("en"))
        .unwrap();
    assert_eq!(channel.len(), 1);
    assert!(
        store
            .picklist_options(PicklistKind::Industry, &tag("en"))
            .unwrap()
            .is_empty()
    );
    store
        .apply_picklist_changes(&[Change::Delete {
            id: "st-lead".into(),
            version: 2,
        }])
        .unwrap();
    assert_eq!(
        store
            .picklist_options(PicklistKind::Status, &tag("en"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn operations_that_need_a_role_fail_without_a_session() {
    let store = Store::open_in_memory().unwrap();
    seed(&store);
    assert!(matches!(
        store.segment_options(&tag("en")),
        Err(Error::NoSession)
    ));
    assert!(matches!(
        store.picklist_options(PicklistKind::Status, &tag("en")),
        Err(Error::NoSession)
    ));
    assert!(matches!(
        store.create_customer(draft("A", None)),
        Err(Error::NoSession)
    ));
    assert!(matches!(
        store.update_customer("x", &CustomerUpdate::default()),
        Err(Error::NoSession)
    ));
    assert!(matches!(
        store.customer("x", &tag("en")),
        Err(Error::NoSession)
    ));
    assert!(matches!(
        store.customers(&CustomerQuery::default(), &tag("en")),
        Err(Error::NoSession)
    ));
    assert!(matches!(
        store.due_visits(date("2026-11-23"), &tag("en")),
        Err(Error::NoSession)
    ));
    assert_eq!(count(&store, "customers"), 0);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    store.clear_session().unwrap();
    assert_eq!(store.session().unwrap(), None);
}

// ---- creating ----

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
    assert_eq!(e.operation, OutboxOperation::Create);
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
    assert_eq!(entries[0].operation, OutboxOperation::Update);
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

// ---- applying server data ----

#[test]
fn applying_the_same_batch_twice_changes_nothing() {
    let store = store(Role::Technician);
    let batch = [
        Change::Upsert(Segment {
            version: 3,
            ..segment(
                "retail",
                None,
                &[("en", "Retail shops")],
                VisitFrequency::Weekly,
            )
        }),
        Change::Delete {
            id: "agri".into(),
            version: 4,
        },
    ];
    assert_eq!(store.apply_segment_changes(&batch).unwrap(), 2);
    let before = store.segments(true).unwrap();
    assert_eq!(store.apply_segment_changes(&batch).unwrap(), 0);
    assert_eq!(store.segments(true).unwrap(), before);
    // an older version never wins, a tombstone is not undone by an old upsert
    let stale = [
        Change::Upsert(Segment {
            version: 2,
            ..segment("retail", None, &[("en", "Old")], VisitFrequency::Daily)
        }),
        Change::Upsert(segment(
            "agri",
            None,
            &[("en", "Back")],
            VisitFrequency::Daily,
        )),
    ];
    assert_eq!(store.apply_segment_changes(&stale).unwrap(), 0);
    assert_eq!(
        store
            .segment("retail")
            .unwrap()
            .unwrap()
            .name
            .get(&tag("en")),
        Some("Retail shops")
    );
    assert!(store.segment("agri").unwrap().unwrap().deleted);

    let customer = RemoteCustomer {
        id: "srv-1".into(),
        organization_id: "org-north".into(),
        name: "Office customer".into(),
        status_id: None,
        source_id: None,
        industry_id: None,
        channel_id: None,
        segment_id: Some("retail".into()),
        last_visit: None,
        created_at: now(),
        updated_at: now(),
        version: 5,
        deleted: false,
    };
    let batch = [Change::Upsert(customer.clone())];
    assert_eq!(store.apply_customer_changes(&batch).unwrap(), 1);
    assert_eq!(store.apply_customer_changes(&batch).unwrap(), 0);
    let stale = RemoteCustomer {
        version: 4,
        name: "Stale".into(),
        ..customer
    };
    assert_eq!(
        store
            .apply_customer_changes(&[Change::Upsert(stale)])
            .unwrap(),
        0
    );
    let view = store.customer("srv-1", &tag("en")).unwrap().unwrap();
    assert_eq!(view.customer.name, "Office customer");
    assert!(
        !view.segment_editable,
        "a customer from the server is existing"
    );
    assert_eq!(
        count(&store, "outbox"),
        0,
        "server data is not queued for upload"
    );
}

#[test]
fn a_bad_server_batch_is_refused_whole() {
    let store = store(Role::Technician);
    let bad = [
        Change::Upsert(segment(
            "new-1",
            None,
            &[("en", "New")],
            VisitFrequency::Daily,
        )),
        Change::Upsert(Segment {
            description: Some("d".repeat(2_001)),
            ..segment("new-2", None, &[("en", "B")], VisitFrequency::Daily)
        }),
    ];
    assert!(matches!(
        store.apply_segment_changes(&bad),
        Err(Error::Validation { ref field, reason: ValidationReason::TooLong { .. } }) if field == "description"
    ));
    assert_eq!(
        store.segment("new-1").unwrap(),
        None,
        "the good half was rolled back"
    );
}

#[test]
fn a_pull_never_overwrites_fields_with_pending_local_changes() {
    let store = store(Role::Technician);
    let c = store
        .create_customer(draft("Bakery", Some("retail")))
        .unwrap();
    accept(&store, &c, 1);
    store
        .update_customer(
            &c.id,
            &CustomerUpdate {
                name: Some("Local name".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let office = RemoteCustomer {
        name: "Office name".into(),
        segment_id: Some("wholesale".into()),
        ..remote(&c, 2)
    };
    store
        .apply_customer_changes(&[Change::Upsert(office)])
        .unwrap();
    let now = store.customer(&c.id, &tag("en")).unwrap().unwrap().customer;
    assert_eq!(now.name, "Local name", "pending local edit kept");
    assert_eq!(
        now.segment_id.as_deref(),
        Some("wholesale"),
        "untouched field follows the server"
    );
    assert_eq!(now.version, Some(2));
}

// ---- queries ----

#[test]
fn customer_lists_search_filter_and_page() {
    let store = store(Role::Manager);
    let names = [
        "Écoles Dupont",
        "bakery north",
        "Bakery South",
        "Garage",
        "École Martin",
    ];
    for (i, name) in names.iter().enumerate() {
        let segment = if i % 2 == 0 { Some("retail") } else { None };
        store.create_customer(draft(name, segment)).unwrap();
    }
    let query = |q: CustomerQuery| -> (Vec<String>, u64) {
        let page = store.customers(&q, &tag("en")).unwrap();
        (
            page.customers
                .into_iter()
                .map(|v| v.customer.name)
                .collect(),
            page.total,
        )
    };
    let all = query(CustomerQuery::default());
    assert_eq!(
        all.0,
        [
            "bakery north",
            "Bakery South",
            "École Martin",
            "Écoles Dupont",
            "Garage"
        ]
    );
    assert_eq!(all.1, 5);
    let search = |s: &str| {
        query(CustomerQuery {
            search: Some(s.into()),
            ..Default::default()
        })
    };
    assert_eq!(search("BAKERY").0, ["bakery north", "Bakery South"]);
    assert_eq!(search("écol").1, 2, "case-insensitive beyond ASCII");
    assert_eq!(search("ECOLE").1, 2, "accents are optional");
    assert_eq!(search("%").1, 0, "no wildcards");
    assert_eq!(search("  ").1, 5, "blank search is no search");
    let retail = query(CustomerQuery {
        segment: SegmentFilter::Is("retail".into()),
        ..Default::default()
    });
    assert_eq!(retail.0, ["Bakery South", "École Martin", "Écoles Dupont"]);
    let without = query(CustomerQuery {
        segment: SegmentFilter::Without,
        ..Default::default()
    });
    assert_eq!(without.1, 2);
    let page2 = query(CustomerQuery {
        limit: 2,
        offset: 2,
        ..Default::default()
    });
    assert_eq!(
        page2,
        (
            vec!["École Martin".to_string(), "Écoles Dupont".to_string()],
            5
        )
    );
    let past = query(CustomerQuery {
        limit: 2,
        offset: 10,
        ..Default::default()
    });
    assert_eq!(past, (vec![], 5));

    for limit in [0, MAX_PAGE_SIZE + 1] {
        let err = store
            .customers(
                &CustomerQuery {
                    limit,
                    ..Default::default()
                },
                &tag("en"),
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, reason: ValidationReason::OutOfRange { .. } } if field == "limit")
        );
    }
    let err = store
        .customers(
            &CustomerQuery {
                search: Some("x".repeat(201)),
                ..Default::default()
            },
            &tag("en"),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Validation { ref field, .. } if field == "search"));
}

#[test]
fn segment_counts_report_every_group() {
    let store = store(Role::Manager);
    for (name, segment) in [
        ("A", Some("retail")),
        ("B", Some("retail")),
        ("C", None),
        ("D", Some("wholesale")),
    ] {
        store.create_customer(draft(name, segment)).unwrap();
    }
    store
        .apply_segment_changes(&[Change::Delete {
            id: "wholesale".into(),
            version: 9,
        }])
        .unwrap();
    let counts = store.segment_counts(&tag("nl")).unwrap();
    let summary: Vec<_> = counts
        .iter()
        .map(|c| {
            (
                c.segment.as_ref().and_then(|s| s.label.clone()),
                c.segment.as_ref().is_some_and(|s| s.deleted),
                c.count,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some("Detailhandel".into()), false, 2),
            (None, false, 1),
            (Some("Groothandel".into()), true, 1)
        ]
    );
}

#[test]
fn due_visits_add_the_segment_frequency_to_the_last_visit() {
    let store = store(Role::Manager);
    let mk = |name: &str, segment: &str, last: Option<&str>| {
        store
            .create_customer(CustomerDraft {
                last_visit: last.map(date),
                ..draft(name, Some(segment))
            })
            .unwrap()
    };
    mk("Monthly due", "retail", Some("2026-10-31")); // +1 month = 2026-11-30
    mk("Monthly clamped", "retail", Some("2026-01-31")); // = 2026-02-28
    mk("Weekly due today", "wholesale", Some("2026-11-16")); // = 2026-11-23
    mk("Weekly not yet", "wholesale", Some("2026-11-17")); // = 2026-11-24
    mk("Never visited", "agri", None);
    mk("No frequency", "none-freq", None);
    store.create_customer(draft("No segment", None)).unwrap();

    let due = |on: &str| -> Vec<(String, Option<NaiveDate>)> {
        store
            .due_visits(date(on), &tag("en"))
            .unwrap()
            .into_iter()
            .map(|d| (d.customer.customer.name, d.due_on))
            .collect()
    };
    assert_eq!(
        due("2026-11-23"),
        [
            ("Never visited".to_string(), None),
            ("Monthly clamped".to_string(), Some(date("2026-02-28"))),
            ("Weekly due today".to_string(), Some(date("2026-11-23"))),
        ]
    );
    assert_eq!(due("2026-11-30").len(), 5);

    store
        .apply_segment_changes(&[Change::Delete {
            id: "agri".into(),
            version: 2,
        }])
        .unwrap();
    assert!(
        due("2026-11-23").iter().all(|(n, _)| n != "Never visited"),
        "deleted segments schedule nothing"
    );
}

// ---- storage guarantees ----

#[test]
fn a_panic_inside_a_write_rolls_it_back_and_the_store_lives_on() {
    let store = store(Role::Technician);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = store.write(|tx| -> crate::Result<()> {
            tx.execute("DELETE FROM segments", [])?;
            panic!("boom");
        });
    }));
    assert!(result.is_err());
    assert_eq!(count(&store, "segments"), 6);
    assert!(store.create_customer(draft("After", None)).is_ok());
}

#[test]
fn readers_do_not_wait_for_an_open_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let (inside, wait_inside) = std::sync::mpsc::channel();
    let (release, wait_release) = std::sync::mpsc::channel::<()>();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(|tx| {
                tx.execute("DELETE FROM segments", [])?;
                inside.send(()).unwrap();
                wait_release.recv().unwrap();
                Ok(())
            })
        })
    };
    wait_inside.recv().unwrap();
    // The write transaction is open and holds the writer: a read still
    // answers, from the last committed state.
    assert_eq!(store.segment_options(&tag("en")).unwrap().len(), 4);
    release.send(()).unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(store.segment_options(&tag("en")).unwrap().len(), 0);
}

#[test]
fn many_threads_write_and_read_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    store
                        .create_customer(draft(&format!("T{t} C{i}"), Some("retail")))
                        .unwrap();
                    store
                        .customers(&CustomerQuery::default(), &tag("en"))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count(&store, "customers"), 100);
    assert_eq!(store.pending_count().unwrap(), 100);
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    match Store::open(&path) {
        Err(Error::IncompatibleSchema { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected IncompatibleSchema, got {:?}", other.map(|_| ())),
    }
}

mod props {
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
            ("[ a-zA-Z]{0,6}", segment_id())
                .prop_map(|(name, segment)| Op::Create { name, segment }),
            (0usize..8, segment_id())
                .prop_map(|(target, segment)| Op::SetSegment { target, segment }),
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
}
