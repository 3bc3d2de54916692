//! Dropdowns and the session they depend on.

use super::*;
use crate::error::Error;

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
