use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::*;
use crate::error::{Error, ValidationReason};
use crate::model::{CustomerSegmentDraft, cycle_error, inclusion_cycle};

fn refused(value: Value) -> (String, ValidationReason) {
    match Criteria::parse(&value) {
        Err(Error::Validation { field, reason }) => (field, reason),
        other => panic!("{value} was not refused: {other:?}"),
    }
}

#[test]
fn every_kind_of_node_parses_and_writes_back() {
    let tree = json!({"all": [
        {"attribute": "city", "op": "in", "values": ["Brno", "Praha"]},
        {"attribute": "age", "op": "between", "min": 25, "max": 60},
        {"attribute": "rfm_monetary", "op": "between", "min": 4},
        {"attribute": "consent.email", "op": "within_last_days", "days": 365},
        {"attribute": "loyalty_member", "op": "equals", "value": true},
        {"attribute": "birth_date", "op": "between", "from": "1960-01-01", "to": "1990-12-31"},
        {"custom": "shoe_size", "type": "number", "op": "equals", "value": 42},
        {"purchases": "sum", "window": {"last_days": 365}, "kinds": ["online", "click_and_collect"], "op": "between", "min": 500},
        {"purchases": "last_date", "window": {"from": "2026-01-01", "to": "2026-06-30"}, "op": "exists"},
        {"event": "complaint", "window": {"last_days": 30}},
        {"any": [{"has_badge": "gold"}, {"in_audience": "aud-1"}, {"campaign": "cmp-1", "action": "clicked"}]},
        {"not": {"in_segment": "cs-churned"}}
    ]});
    let parsed = Criteria::parse(&tree).unwrap();
    assert_eq!(parsed.to_json(), tree);
    assert_eq!(Criteria::parse(&parsed.to_json()).unwrap(), parsed);
    assert!(parsed.uses_rfm());
    assert!(parsed.uses_today());
    assert_eq!(
        parsed.segment_references(),
        BTreeSet::from(["cs-churned".to_string()])
    );
    let plain = Criteria::parse(&json!({"attribute": "city", "op": "exists"})).unwrap();
    assert!(!plain.uses_rfm() && !plain.uses_today());
}

#[test]
fn bad_input_names_the_path() {
    let cases = [
        // Dates are `YYYY-MM-DD` exactly: chrono alone reads these too.
        (
            json!({"attribute": "birth_date", "op": "equals", "value": "2024-1-5"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "birth_date", "op": "after", "value": " 2024-01-05"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"purchases": "count", "window": {"from": "+10000-01-01", "to": "2026-01-01"}, "op": "exists"}),
            "criteria.window.from",
            ValidationReason::Malformed,
        ),
        (json!([]), "criteria", ValidationReason::Malformed),
        (json!({}), "criteria", ValidationReason::Malformed),
        (json!({"all": []}), "criteria.all", ValidationReason::Blank),
        (
            json!({"any": {}}),
            "criteria.any",
            ValidationReason::Malformed,
        ),
        (
            json!({"all": [{"attribute": "shoe", "op": "exists"}]}),
            "criteria.all[0].attribute",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"all": [{"attribute": "city", "op": "exists"}, {"not": {"attribute": "age", "op": "equals", "value": "old"}}]}),
            "criteria.all[1].not.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "city", "op": "before", "value": "2020-01-01"}),
            "criteria.op",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"attribute": "city", "op": "equals", "value": "Brno", "typo": 1}),
            "criteria.typo",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"attribute": "city", "has_badge": "x"}),
            "criteria.has_badge",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"attribute": "city", "op": "equals", "value": "  "}),
            "criteria.value",
            ValidationReason::Blank,
        ),
        (
            json!({"attribute": "city", "op": "in", "values": []}),
            "criteria.values",
            ValidationReason::Blank,
        ),
        (
            json!({"attribute": "city", "op": "in", "values": ["a", 3]}),
            "criteria.values[1]",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "age", "op": "between"}),
            "criteria.min",
            ValidationReason::Blank,
        ),
        (
            json!({"attribute": "age", "op": "between", "min": 5, "max": 1}),
            "criteria.max",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "rfm_recency", "op": "between", "min": 0}),
            "criteria.min",
            ValidationReason::OutOfRange { min: 1, max: 5 },
        ),
        (
            json!({"attribute": "rfm_frequency", "op": "in", "values": [3, 6]}),
            "criteria.values[1]",
            ValidationReason::OutOfRange { min: 1, max: 5 },
        ),
        (
            json!({"attribute": "birth_date", "op": "after", "value": "23.11.2026"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "birth_date", "op": "between", "from": "2026-02-01", "to": "2026-01-01"}),
            "criteria.to",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "last_visit", "op": "within_last_days", "days": 0}),
            "criteria.days",
            ValidationReason::OutOfRange {
                min: 1,
                max: 36_600,
            },
        ),
        (
            json!({"attribute": "loyalty_member", "op": "equals", "value": "yes"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"custom": "k", "type": "money", "op": "exists"}),
            "criteria.type",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"custom": "k", "type": "boolean", "op": "between", "min": 1}),
            "criteria.op",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"purchases": "average", "op": "exists"}),
            "criteria.purchases",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"purchases": "count", "kinds": ["barter"], "op": "exists"}),
            "criteria.kinds[0]",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"purchases": "count", "kinds": ["online", "online"], "op": "exists"}),
            "criteria.kinds[1]",
            ValidationReason::Duplicate,
        ),
        (
            json!({"purchases": "count", "window": {"last_days": 3, "from": "2026-01-01"}, "op": "exists"}),
            "criteria.window.from",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"purchases": "last_date", "op": "between", "min": 1}),
            "criteria.from",
            ValidationReason::Blank,
        ),
        (
            json!({"event": "party"}),
            "criteria.event",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"in_segment": "with space"}),
            "criteria.in_segment",
            ValidationReason::Malformed,
        ),
        (
            json!({"campaign": "cmp-1", "action": "forwarded"}),
            "criteria.action",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"campaign": "cmp-1"}),
            "criteria.action",
            ValidationReason::Blank,
        ),
    ];
    for (value, path, reason) in cases {
        assert_eq!(
            refused(value.clone()),
            (path.to_string(), reason),
            "{value}"
        );
    }
}

#[test]
fn trees_are_bounded() {
    let mut deep = json!({"has_badge": "x"});
    for _ in 0..=MAX_CRITERIA_DEPTH {
        deep = json!({ "not": deep });
    }
    let (path, reason) = refused(deep);
    assert!(path.starts_with("criteria.not.not"), "{path}");
    assert!(matches!(reason, ValidationReason::OutOfRange { .. }));
    let wide = json!({"any": vec![json!({"has_badge": "x"}); MAX_CRITERIA_NODES]});
    assert_eq!(
        refused(wide).0,
        format!("criteria.any[{}]", MAX_CRITERIA_NODES - 1)
    );
}

#[test]
fn cycles_between_segments_are_found_and_named() {
    let a = Criteria::parse(&json!({"all": [{"has_badge": "x"}, {"not": {"in_segment": "cs-b"}}]}))
        .unwrap();
    // cs-b includes cs-c, which includes cs-a: saving cs-a closes the loop.
    let graph = BTreeMap::from([
        ("cs-b".to_string(), BTreeSet::from(["cs-c".to_string()])),
        ("cs-c".to_string(), BTreeSet::from(["cs-a".to_string()])),
    ]);
    let cycle = inclusion_cycle("cs-a", &a.segment_references(), &graph).unwrap();
    assert_eq!(cycle, ["cs-a", "cs-b", "cs-c", "cs-a"]);
    match cycle_error(&a, &cycle) {
        Error::Validation { field, reason } => {
            assert_eq!(field, "criteria.all[1].not.in_segment");
            assert_eq!(reason, ValidationReason::Cycle);
        }
        other => panic!("{other}"),
    }
    // Including itself directly.
    let own = Criteria::parse(&json!({"in_segment": "cs-a"})).unwrap();
    assert!(inclusion_cycle("cs-a", &own.segment_references(), &BTreeMap::new()).is_some());
    // No loop.
    let graph = BTreeMap::from([("cs-b".to_string(), BTreeSet::from(["cs-c".to_string()]))]);
    assert_eq!(
        inclusion_cycle("cs-a", &a.segment_references(), &graph),
        None
    );
}

#[test]
fn segment_drafts_are_validated() {
    let draft = |v: Value| serde_json::from_value::<CustomerSegmentDraft>(v).unwrap();
    let def = draft(json!({"name": "VIP", "priority": 50}))
        .validate()
        .unwrap();
    assert_eq!(def.kind, crate::model::CustomerSegmentKind::Static);
    let def = draft(json!({"name": "Brno", "flexi": true, "tags": ["city"], "criteria": {"attribute": "city", "op": "equals", "value": "Brno"}}))
        .validate()
        .unwrap();
    assert_eq!(def.kind, crate::model::CustomerSegmentKind::Conditional);
    assert!(def.flexi);
    let field = |v: Value| match draft(v).validate() {
        Err(Error::Validation { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(json!({})), "name");
    assert_eq!(field(json!({"name": "A", "priority": 1001})), "priority");
    assert_eq!(field(json!({"name": "A", "kind": "dynamic"})), "kind");
    assert_eq!(
        field(json!({"name": "A", "kind": "conditional"})),
        "criteria"
    );
    assert_eq!(
        field(json!({"name": "A", "kind": "static", "criteria": {"has_badge": "x"}})),
        "criteria"
    );
    assert_eq!(field(json!({"name": "A", "flexi": true})), "flexi");
    assert_eq!(field(json!({"name": "A", "tags": ["a", "A"]})), "tags[1]");
    assert_eq!(
        field(json!({"name": "A", "criteria": {"has_badge": 3}})),
        "criteria.has_badge"
    );
}
