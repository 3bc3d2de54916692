//! Applying server data: idempotent, atomic, never over pending local edits.

use super::*;
use crate::error::{Error, ValidationReason};

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
