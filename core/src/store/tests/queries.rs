//! Customer lists, counts and due visits.

use chrono::NaiveDate;

use super::*;
use crate::error::{Error, ValidationReason};

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
