//! Dropdowns and the session they depend on.

use super::*;
use crate::error::Error;

#[test]
fn segment_options_are_scoped_sorted_and_localised() {
    let store = store(Role::Technician);
    let labels = |locale: &str| segment_labels(&store, locale);
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
        .set_session(&Session::new("u1", "org-south", Role::Technician))
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

fn segment_labels(store: &Store, locale: &str) -> Vec<String> {
    store
        .segment_options(&tag(locale))
        .unwrap()
        .into_iter()
        .map(|o| o.label)
        .collect()
}

fn dropdown_generation(store: &Store) -> i64 {
    store
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT generation FROM dropdown_state WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap()
}

#[test]
fn a_kept_dropdown_is_never_stale() {
    let store = store(Role::Technician);
    let before = ["agriculture", "Prospects", "Retail", "Wholesale"];
    assert_eq!(segment_labels(&store, "en"), before);
    assert_eq!(segment_labels(&store, "en"), before, "kept");

    // A new segment, an edited label, a deletion: each shows at once.
    let mut fresh = segment("fresh", None, &[("en", "Fresh")], VisitFrequency::Weekly);
    store
        .apply_segment_changes(&[Change::Upsert(fresh.clone())])
        .unwrap();
    assert!(segment_labels(&store, "en").contains(&"Fresh".to_owned()));
    fresh.name = LocalizedText::single("en", "Fresher").unwrap();
    fresh.version = 2;
    store
        .apply_segment_changes(&[Change::Upsert(fresh)])
        .unwrap();
    assert!(segment_labels(&store, "en").contains(&"Fresher".to_owned()));
    store
        .apply_segment_changes(&[Change::Delete {
            id: "fresh".into(),
            version: 3,
        }])
        .unwrap();
    assert_eq!(segment_labels(&store, "en"), before);

    // Picklists and the organization's default language too.
    let statuses = |store: &Store| -> Vec<String> {
        store
            .picklist_options(PicklistKind::Status, &tag("en"))
            .unwrap()
            .into_iter()
            .map(|o| o.label)
            .collect()
    };
    let kept = statuses(&store);
    store
        .apply_picklist_changes(&[Change::Upsert(picklist(
            "st-new",
            PicklistKind::Status,
            None,
            "Brand new",
            0,
        ))])
        .unwrap();
    assert_eq!(statuses(&store).len(), kept.len() + 1);
    assert_eq!(segment_labels(&store, "de"), before, "English fallback");
    store
        .apply_organizations(&[Organization {
            id: "org-north".into(),
            default_language: Some(tag("nl")),
        }])
        .unwrap();
    assert_eq!(
        segment_labels(&store, "de"),
        ["Detailhandel", "Groothandel", "Landbouw", "Prospects"]
    );

    // Applying the same change again changes nothing, so the kept lists
    // stay valid.
    let generation = dropdown_generation(&store);
    store
        .apply_segment_changes(&[Change::Upsert(segment(
            "retail",
            None,
            &[("en", "Retail"), ("nl", "Detailhandel")],
            VisitFrequency::Monthly,
        ))])
        .unwrap();
    assert_eq!(dropdown_generation(&store), generation);
}

#[test]
fn a_change_made_through_another_connection_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let first = Store::open(&path).unwrap();
    seed(&first);
    first
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    assert_eq!(segment_labels(&first, "en").len(), 4);
    // Another process (or store handle) on the same file.
    let second = Store::open(&path).unwrap();
    second
        .apply_segment_changes(&[Change::Upsert(segment(
            "other",
            None,
            &[("en", "Other handle")],
            VisitFrequency::None,
        ))])
        .unwrap();
    assert!(segment_labels(&first, "en").contains(&"Other handle".to_owned()));
}
