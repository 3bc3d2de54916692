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

/// Shopping cart criteria and the settings of partners and business units
/// (seed 003's last two families): every form parses and writes back, and
/// every mistake is refused at its path.
#[test]
fn cart_and_business_unit_criteria() {
    let tree = json!({"all": [
        {"attribute": "cart.open", "op": "equals", "value": true},
        {"attribute": "cart.value", "op": "between", "min": 50, "max": 99.9},
        {"attribute": "cart.items", "op": "in", "values": [1, 2, 3]},
        {"attribute": "cart.age", "op": "between", "min": 3},
        {"attribute": "cart.abandoned", "op": "equals", "value": false},
        {"attribute": "cart.updated_on", "op": "within_last_days", "days": 7},
        {"attribute": "business_unit_id", "op": "in", "values": ["bu-brno", "bu-praha"]},
        {"attribute": "partner_id", "op": "equals", "value": "pt-acme"},
        {"purchases": "count", "business_units": ["bu-brno"], "op": "between", "min": 1},
        {"purchases": "sum", "window": {"last_days": 90}, "kinds": ["in_store"],
         "business_units": ["bu-brno", "bu-praha"], "partners": ["pt-acme"], "op": "between", "min": 100},
        {"not": {"purchases": "last_date", "partners": ["pt-acme"], "op": "exists"}}
    ]});
    let parsed = Criteria::parse(&tree).unwrap();
    assert_eq!(parsed.to_json(), tree);
    assert_eq!(Criteria::parse(&parsed.to_json()).unwrap(), parsed);
    // The cart's age moves with the day.
    let age =
        Criteria::parse(&json!({"attribute": "cart.age", "op": "equals", "value": 3})).unwrap();
    assert!(age.uses_today() && !age.uses_rfm());
    let home = Criteria::parse(&json!({"attribute": "business_unit_id", "op": "exists"})).unwrap();
    assert!(!home.uses_today());
    for (attribute, ty) in [
        ("cart.open", ValueType::Boolean),
        ("cart.value", ValueType::Number),
        ("cart.items", ValueType::Number),
        ("cart.age", ValueType::Number),
        ("cart.abandoned", ValueType::Boolean),
        ("cart.updated_on", ValueType::Date),
        ("business_unit_id", ValueType::Text),
        ("partner_id", ValueType::Text),
    ] {
        let a = Attribute::from_code(attribute).unwrap();
        assert_eq!((a.code(), a.value_type()), (attribute, ty));
    }

    let cases = [
        (
            json!({"attribute": "cart.value", "op": "between", "min": -1}),
            "criteria.min",
            ValidationReason::OutOfRange {
                min: 0,
                max: MAX_CART_VALUE,
            },
        ),
        (
            json!({"attribute": "cart.value", "op": "equals", "value": 2e12}),
            "criteria.value",
            ValidationReason::OutOfRange {
                min: 0,
                max: MAX_CART_VALUE,
            },
        ),
        (
            json!({"attribute": "cart.items", "op": "in", "values": [1, -2]}),
            "criteria.values[1]",
            ValidationReason::OutOfRange {
                min: 0,
                max: crate::model::profile::MAX_CART_ITEMS,
            },
        ),
        (
            json!({"attribute": "cart.age", "op": "between", "min": 1, "max": 40_000}),
            "criteria.max",
            ValidationReason::OutOfRange {
                min: 0,
                max: i64::from(MAX_DAYS),
            },
        ),
        (
            json!({"attribute": "cart.age", "op": "between", "min": 9, "max": 2}),
            "criteria.max",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "cart.items", "op": "equals", "value": "three"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "cart.abandoned", "op": "equals", "value": "yes"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "cart.open", "op": "between", "min": 1}),
            "criteria.op",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"attribute": "cart.updated_on", "op": "after", "value": "2026-13-01"}),
            "criteria.value",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "cart.colour", "op": "exists"}),
            "criteria.attribute",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"all": [{"attribute": "business_unit_id", "op": "in", "values": ["bu-1", 7]}]}),
            "criteria.all[0].values[1]",
            ValidationReason::Malformed,
        ),
        (
            json!({"attribute": "partner_id", "op": "equals", "value": " "}),
            "criteria.value",
            ValidationReason::Blank,
        ),
        (
            json!({"purchases": "count", "business_units": [], "op": "exists"}),
            "criteria.business_units",
            ValidationReason::Blank,
        ),
        (
            json!({"purchases": "count", "business_units": "bu-1", "op": "exists"}),
            "criteria.business_units",
            ValidationReason::Malformed,
        ),
        (
            json!({"purchases": "count", "business_units": ["bu-1", "bu 2"], "op": "exists"}),
            "criteria.business_units[1]",
            ValidationReason::Malformed,
        ),
        (
            json!({"purchases": "count", "partners": ["pt-1", "pt-2", "pt-1"], "op": "exists"}),
            "criteria.partners[2]",
            ValidationReason::Duplicate,
        ),
        (
            json!({"not": {"purchases": "sum", "partners": [3], "op": "exists"}}),
            "criteria.not.partners[0]",
            ValidationReason::Malformed,
        ),
        (
            json!({"purchases": "count", "partners": vec!["pt"; MAX_IN_VALUES + 1], "op": "exists"}),
            "criteria.partners",
            ValidationReason::OutOfRange {
                min: 1,
                max: MAX_IN_VALUES as i64,
            },
        ),
        (
            json!({"purchases": "count", "business_unit": ["bu-1"], "op": "exists"}),
            "criteria.business_unit",
            ValidationReason::UnknownCode,
        ),
        (
            json!({"event": "visit", "business_units": ["bu-1"]}),
            "criteria.business_units",
            ValidationReason::UnknownCode,
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

/// Every JSON example of `docs/criteria.md` is a valid tree that writes
/// back as it reads.
#[test]
fn the_documented_examples_parse() {
    let doc = include_str!("../../../../docs/criteria.md");
    let examples: Vec<&str> = doc
        .split("```json")
        .skip(1)
        .map(|block| block.split("```").next().unwrap())
        .collect();
    assert!(examples.len() >= 2, "{}", examples.len());
    for example in examples {
        let value: Value = serde_json::from_str(example).unwrap();
        let parsed = Criteria::parse(&value).unwrap_or_else(|e| panic!("{e}: {example}"));
        assert_eq!(parsed.to_json(), value);
    }
}

/// `ValueType::ops` (what the Portal's builder offers) lists exactly the
/// ops the parser accepts for each type: every listed op parses with
/// operands of its type, every other op word is `UnknownCode` at `op`.
#[test]
fn the_ops_a_builder_offers_are_the_ops_the_parser_takes() {
    const EVERY_OP: [&str; 8] = [
        "equals",
        "in",
        "between",
        "before",
        "after",
        "within_last_days",
        "exists",
        "contains",
    ];
    let attribute = |ty: ValueType| match ty {
        ValueType::Text => "city",
        ValueType::Number => "age",
        ValueType::Date => "last_visit",
        ValueType::Boolean => "loyalty_member",
    };
    let operands = |ty: ValueType, op: &str| -> Value {
        match (ty, op) {
            (ValueType::Text, "in") => json!({"values": ["Brno"]}),
            (ValueType::Text, _) => json!({"value": "Brno"}),
            (ValueType::Number, "in") => json!({"values": [30]}),
            (ValueType::Number, "between") => json!({"min": 20, "max": 30}),
            (ValueType::Number, _) => json!({"value": 30}),
            (ValueType::Date, "between") => json!({"from": "2026-01-01", "to": "2026-02-01"}),
            (ValueType::Date, "within_last_days") => json!({"days": 30}),
            (ValueType::Date, _) => json!({"value": "2026-01-01"}),
            (ValueType::Boolean, _) => json!({"value": true}),
        }
    };
    for ty in ValueType::ALL {
        for op in EVERY_OP {
            let mut node = json!({"attribute": attribute(ty), "op": op});
            if op != "exists" {
                for (k, v) in operands(ty, op).as_object().unwrap() {
                    node[k] = v.clone();
                }
            }
            let parsed = Criteria::parse(&node);
            if ty.ops().contains(&op) {
                assert!(parsed.is_ok(), "{ty:?} {op}: {parsed:?}");
            } else {
                assert_eq!(
                    refused(node),
                    ("criteria.op".to_owned(), ValidationReason::UnknownCode),
                    "{ty:?} {op}"
                );
            }
        }
    }
}
