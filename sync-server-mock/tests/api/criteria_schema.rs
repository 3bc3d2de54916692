//! openapi.json's `Criteria` schema against the parser it documents: for
//! every JSON file of the criteria fuzz corpus and thousands of generated
//! criteria-shaped values, `Criteria::parse` accepts exactly what the schema
//! accepts, except where parse refuses for a constraint the schema cannot
//! state (those the description of `Criteria` lists).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use fieldsync_core::error::{Error, ValidationReason};
use fieldsync_core::model::criteria::Criteria;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::support::validator_for;

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| validator_for(&json!({"$ref": "#/components/schemas/Criteria"})))
}

/// Why parse and the schema may answer differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Exception {
    /// More than 12 levels below the root (`OutOfRange` 0..12).
    TooDeep,
    /// More than 200 nodes (`OutOfRange` 1..200).
    TooManyNodes,
    /// A number `between` with `max` below `min` (`Malformed` at `.max`).
    MaxBelowMin,
    /// A date `between` or a window with `to` before `from` (`Malformed` at `.to`).
    ToBeforeFrom,
    /// `days` / `last_days` of integral value written as a float (`30.0`,
    /// `3e1`): serde_json has no i64 for it, JSON Schema sees an integer.
    DaysAsFloat,
}

/// What one value taught: whether parse accepted it, and the exception
/// that explains a difference; `Err` with the details when they disagree
/// for no listed reason.
fn judge(v: &Value) -> Result<(bool, Option<Exception>), String> {
    let parsed = Criteria::parse(v);
    let errors: Vec<String> = validator()
        .iter_errors(v)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect();
    let explained = match (&parsed, errors.is_empty()) {
        (Ok(_), true) | (Err(_), false) => return Ok((parsed.is_ok(), None)),
        (Err(e), true) => unstated(v, e),
        (Ok(_), false) => None,
    };
    match explained {
        Some(exception) => Ok((parsed.is_ok(), Some(exception))),
        None => Err(format!(
            "Criteria::parse and the Criteria schema disagree on\n{v:#}\nparse: {}\nschema: {}",
            match &parsed {
                Ok(_) => "accepted".to_owned(),
                Err(e) => format!("refused: {e} ({e:?})"),
            },
            if errors.is_empty() {
                "accepted".to_owned()
            } else {
                format!("refused: {errors:#?}")
            }
        )),
    }
}

/// One step of an error path: a key or an index.
#[derive(Debug)]
enum Step {
    Key(String),
    At(usize),
}

/// `criteria.all[1].not.max` as steps (the keys on such paths hold no `.`
/// or `[`, except perhaps the last, which only has to be told apart).
fn steps(field: &str) -> Option<Vec<Step>> {
    let mut rest = field.strip_prefix("criteria")?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out.push(Step::Key(r[..end].to_owned()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Step::At(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(out)
}

fn lookup<'a>(v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get(k),
        Step::At(i) => v.get(i),
    })
}

fn nodes(v: &Value) -> usize {
    1 + match v {
        Value::Object(m) => ["all", "any"]
            .iter()
            .filter_map(|k| m.get(*k).and_then(Value::as_array))
            .flatten()
            .chain(m.get("not"))
            .map(nodes)
            .sum(),
        _ => 0,
    }
}

fn date(v: Option<&Value>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v?.as_str()?, "%Y-%m-%d").ok()
}

/// The constraint the schema cannot state that explains parse's refusal,
/// checked on the value (not taken from the error alone).
fn unstated(v: &Value, e: &Error) -> Option<Exception> {
    let Error::Validation { field, reason } = e else {
        return None;
    };
    let steps = steps(field)?;
    let (last, parent) = steps.split_last()?;
    let node = lookup(v, parent)?;
    let key = match last {
        Step::Key(k) => k.as_str(),
        Step::At(_) => "",
    };
    match reason {
        ValidationReason::OutOfRange { min: 0, max: 12 } => {
            let depth = steps
                .iter()
                .filter(
                    |s| matches!(s, Step::Key(k) if ["all", "any", "not"].contains(&k.as_str())),
                )
                .count();
            (depth > 12).then_some(Exception::TooDeep)
        }
        ValidationReason::OutOfRange { min: 1, max: 200 } => {
            (nodes(v) > 200).then_some(Exception::TooManyNodes)
        }
        ValidationReason::Malformed if key == "max" => {
            let (min, max) = (node.get("min")?.as_f64()?, node.get("max")?.as_f64()?);
            (max < min).then_some(Exception::MaxBelowMin)
        }
        ValidationReason::Malformed if key == "to" => {
            (date(node.get("to"))? < date(node.get("from"))?).then_some(Exception::ToBeforeFrom)
        }
        ValidationReason::Malformed if key == "days" || key == "last_days" => {
            let days = node.get(key)?;
            let f = days.as_f64()?;
            (days.is_f64() && f.fract() == 0.0 && (1.0..=36_600.0).contains(&f))
                .then_some(Exception::DaysAsFloat)
        }
        _ => None,
    }
}

/// Counts of what a run saw.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    accepted: usize,
    exceptions: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, (accepted, exception): (bool, Option<Exception>)) {
        self.cases += 1;
        self.accepted += usize::from(accepted);
        if let Some(e) = exception {
            *self.exceptions.entry(format!("{e:?}")).or_default() += 1;
        }
    }
}

#[test]
fn the_schema_agrees_with_parse_on_the_fuzz_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/criteria");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for file in &files {
        let Ok(v) = serde_json::from_slice::<Value>(&fs::read(file).unwrap()) else {
            continue;
        };
        match judge(&v) {
            Ok(outcome) => tally.add(outcome),
            Err(msg) => failures.push(format!("{}: {msg}", file.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus files:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("fuzz corpus: {} files, {tally:?}", files.len());
    assert!(tally.cases >= 150, "only {} JSON files", tally.cases);
}

/// The limits and cross-field rules the schema cannot state, each once, and
/// values at the edges of those it states.
#[test]
fn the_schema_agrees_with_parse_at_the_edges() {
    let leaf = json!({"in_segment": "cs-1"});
    let nest = |n: usize| (0..n).fold(leaf.clone(), |c, _| json!({"not": c}));
    let wide = |n: usize| json!({"all": vec![leaf.clone(); n]});
    let age = |extra: Value| {
        let mut v = json!({"attribute": "age", "op": "between"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let cases = [
        (nest(12), None, true),
        (nest(13), Some(Exception::TooDeep), false),
        (wide(199), None, true),
        (wide(200), Some(Exception::TooManyNodes), false),
        (age(json!({"min": 5, "max": 5})), None, true),
        (
            age(json!({"min": 6, "max": 5})),
            Some(Exception::MaxBelowMin),
            false,
        ),
        (age(json!({"min": null, "max": 5})), None, true),
        (age(json!({"min": null, "max": null})), None, false),
        (age(json!({})), None, false),
        (
            json!({"attribute": "birth_date", "op": "between", "from": "2024-01-02", "to": "2024-01-01"}),
            Some(Exception::ToBeforeFrom),
            false,
        ),
        (
            json!({"event": "visit", "window": {"from": "2024-01-02", "to": "2024-01-01"}}),
            Some(Exception::ToBeforeFrom),
            false,
        ),
        (
            json!({"attribute": "last_visit", "op": "within_last_days", "days": 30.0}),
            Some(Exception::DaysAsFloat),
            false,
        ),
        (
            json!({"event": "visit", "window": {"last_days": 36600}}),
            None,
            true,
        ),
        (
            json!({"event": "visit", "window": {"last_days": 36601}}),
            None,
            false,
        ),
        (
            json!({"attribute": "rfm_recency", "op": "in", "values": [1, 5.0, 2.5]}),
            None,
            true,
        ),
        (
            json!({"attribute": "rfm_recency", "op": "in", "values": [0.5]}),
            None,
            false,
        ),
        (
            json!({"attribute": "city", "op": "in", "values": vec!["Brno"; 500]}),
            None,
            true,
        ),
        (
            json!({"attribute": "city", "op": "in", "values": vec!["Brno"; 501]}),
            None,
            false,
        ),
        (
            json!({"purchases": "count", "kinds": ["online", "online"], "op": "exists"}),
            None,
            false,
        ),
        (
            json!({"purchases": "sum", "window": null, "kinds": null, "op": "equals", "value": 1e300}),
            None,
            true,
        ),
        (
            json!({"attribute": "name", "op": "exists", "value": null}),
            None,
            false,
        ),
        (json!({"in_segment": "x".repeat(128)}), None, true),
        (json!({"in_segment": "x".repeat(129)}), None, false),
        (
            json!({"in_segment": "cs-1", "has_badge": null}),
            None,
            false,
        ),
        (
            json!({"attribute": "birth_date", "op": "equals", "value": "2024-1-5"}),
            None,
            false,
        ),
        // The last criteria families: carts, business units and partners.
        (
            json!({"attribute": "cart.value", "op": "between", "min": 0, "max": 1e12}),
            None,
            true,
        ),
        (
            json!({"attribute": "cart.value", "op": "between", "min": -0.01}),
            None,
            false,
        ),
        (
            json!({"attribute": "cart.items", "op": "in", "values": [0, 100000]}),
            None,
            true,
        ),
        (
            json!({"attribute": "cart.items", "op": "equals", "value": 100001}),
            None,
            false,
        ),
        (
            json!({"attribute": "cart.age", "op": "between", "max": 36601}),
            None,
            false,
        ),
        (
            json!({"attribute": "cart.age", "op": "between", "min": 9, "max": 3}),
            Some(Exception::MaxBelowMin),
            false,
        ),
        (
            json!({"attribute": "cart.open", "op": "equals", "value": false}),
            None,
            true,
        ),
        (
            json!({"attribute": "cart.abandoned", "op": "in", "values": [true]}),
            None,
            false,
        ),
        (
            json!({"attribute": "cart.updated_on", "op": "within_last_days", "days": 3}),
            None,
            true,
        ),
        (
            json!({"attribute": "business_unit_id", "op": "in", "values": ["bu-1", "bu-2"]}),
            None,
            true,
        ),
        (
            json!({"purchases": "sum", "business_units": ["bu-1"], "partners": null, "op": "exists"}),
            None,
            true,
        ),
        (
            json!({"purchases": "count", "business_units": [], "op": "exists"}),
            None,
            false,
        ),
        (
            json!({"purchases": "count", "partners": ["pt-1", "pt-1"], "op": "exists"}),
            None,
            false,
        ),
        (
            json!({"purchases": "last_date", "partners": ["pt 1"], "op": "exists"}),
            None,
            false,
        ),
        (
            json!({"purchases": "count", "business_units": vec!["bu"; 501], "op": "exists"}),
            None,
            false,
        ),
        (json!({"event": "visit", "partners": ["pt-1"]}), None, false),
    ];
    for (v, exception, accepted) in cases {
        let outcome = judge(&v).unwrap_or_else(|msg| panic!("{msg}"));
        assert_eq!(outcome, (accepted, exception), "{v:#}");
    }
}

/// Text operands: right ones, blank ones and white space of every kind.
fn text() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => "[a-zA-Z ]{1,6}".prop_map(Value::from),
        1 => select(vec![
            "", " ", "\t\n", "\u{3000}", "\u{85}", "\u{a0}x", "\u{feff}", "\u{200b}",
            "a b", "Brno", "2024-01-05", "héllo",
        ])
        .prop_map(Value::from),
    ]
    .boxed()
}

fn id() -> BoxedStrategy<Value> {
    let x128 = "x".repeat(128);
    let e128 = "é".repeat(128);
    prop_oneof![
        3 => "[a-z0-9-]{1,8}".prop_map(Value::from),
        1 => select(vec![
            String::new(),
            " ".into(),
            "a b".into(),
            "a\u{7f}".into(),
            "a\u{9f}".into(),
            "\u{a0}".into(),
            "a\u{2028}b".into(),
            "a\u{200b}b".into(),
            "cs\u{feff}".into(),
            x128.clone(),
            format!("{x128}x"),
            e128.clone(),
            format!("{e128}é"),
        ])
        .prop_map(Value::from),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => (-3i64..8).prop_map(Value::from),
        1 => select(vec![
            json!(0), json!(36600), json!(36601), json!(-1), json!(i64::MAX), json!(i64::MIN),
            json!(u64::MAX), json!(4_294_967_296u64), json!(4_294_967_297u64),
        ]),
        2 => select(vec![2.5, 5.0, 1.0, 0.999, 5.0001, -0.0, 1e300, -1e300, 30.0, 36600.0, 1e2, 4.5]).prop_map(Value::from),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
    ]
    .boxed()
}

fn score() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => select(vec![json!(1), json!(3), json!(5), json!(1.5), json!(4.99), json!(5.0)]),
        1 => number(),
    ]
    .boxed()
}

/// Numbers at and around the bounds 0 and `max` of a cart figure.
fn bounded(max: f64) -> BoxedStrategy<Value> {
    prop_oneof![
        3 => select(vec![
            json!(0), json!(-0.0), json!(-1), json!(-0.001), json!(1), json!(2.5), json!(max),
            json!(max + 1.0), json!(max as i64), json!(max as i64 + 1), json!(max - 0.5),
        ]),
        1 => number(),
    ]
    .boxed()
}

fn days() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => (1u32..=36_600).prop_map(Value::from),
        1 => select(vec![
            json!(0), json!(1), json!(36600), json!(36601), json!(-1), json!(30.0), json!(36600.0),
            json!(36601.0), json!(1e2), json!(30.5), json!(u64::MAX), json!(i64::MIN),
        ]),
        1 => number(),
        1 => any_value(),
    ]
    .boxed()
}

fn day() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => (1990i32..2031, 1u32..13, 1u32..32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => select(vec![
            "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "9999-12-31",
            "2024/01/05", "20240105", "2024-01-05T00:00:00", "2024-01-05 ", " 2024-01-05",
            "2024-1-5", "24-01-05", "+2024-01-05", "-0001-01-01", "+10000-01-01", "2024- 1-05", "",
        ])
        .prop_map(String::from),
    ]
    .prop_map(Value::from)
    .boxed()
}

/// Any operand, mostly of a wrong type somewhere.
fn any_value() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        text(),
        (-3i64..8).prop_map(Value::from),
        Just(json!(2.5)),
        day(),
        Just(json!([])),
        Just(json!({})),
        vec(text(), 1..3).prop_map(Value::Array),
        Just(json!([1, 2])),
    ]
    .boxed()
}

#[derive(Clone, Copy, Debug)]
enum Ty {
    Text,
    Number,
    Score,
    /// Cart figures, each with its own bounds.
    CartValue,
    CartItems,
    CartAge,
    Date,
    Boolean,
}

fn attributes(ty: Ty) -> Vec<&'static str> {
    match ty {
        Ty::Text => vec![
            "name",
            "gender",
            "city",
            "postal_code",
            "language",
            "contact_source",
            "parent_id",
            "loyalty_tier",
            "segment_id",
            "status_id",
            "source_id",
            "industry_id",
            "channel_id",
            "business_unit_id",
            "partner_id",
        ],
        Ty::Number => vec![
            "age",
            "loyalty_points",
            "active_vouchers",
            "purchase_count",
            "total_spend",
        ],
        Ty::Score => vec!["rfm_recency", "rfm_frequency", "rfm_monetary"],
        Ty::CartValue => vec!["cart.value"],
        Ty::CartItems => vec!["cart.items"],
        Ty::CartAge => vec!["cart.age"],
        Ty::Date => vec![
            "birth_date",
            "last_visit",
            "last_purchase",
            "consent.email",
            "consent.sms",
            "consent.phone",
            "consent.post",
            "cart.updated_on",
        ],
        Ty::Boolean => vec!["loyalty_member", "cart.open", "cart.abandoned"],
    }
}

fn object(pairs: impl IntoIterator<Item = (&'static str, Option<Value>)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect()
}

fn op(op: &'static str) -> Option<Value> {
    Some(Value::from(op))
}

/// An optional operand: absent, null or a value.
fn maybe(s: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
    prop_oneof![2 => s.prop_map(Some), 1 => Just(None), 1 => Just(Some(Value::Null))].boxed()
}

/// `op` and operands of a comparison of type `ty`, right for that op.
fn comparison(ty: Ty) -> BoxedStrategy<Map<String, Value>> {
    let exists = Just(object([("op", op("exists"))]));
    match ty {
        Ty::Text => prop_oneof![
            1 => exists,
            3 => text().prop_map(|v| object([("op", op("equals")), ("value", Some(v))])),
            3 => vec(text(), 1..4).prop_map(|vs| object([("op", op("in")), ("values", Some(Value::Array(vs)))])),
            1 => (select(vec![0usize, 499, 500, 501]), text()).prop_map(|(n, v)| {
                object([("op", op("in")), ("values", Some(Value::Array(vec![v; n])))])
            }),
        ]
        .boxed(),
        Ty::Number | Ty::Score | Ty::CartValue | Ty::CartItems | Ty::CartAge => {
            let num = match ty {
                Ty::Score => score(),
                Ty::CartValue => bounded(1e12),
                Ty::CartItems => bounded(100_000.0),
                Ty::CartAge => bounded(36_600.0),
                _ => number(),
            };
            prop_oneof![
                1 => exists,
                3 => num.clone().prop_map(|v| object([("op", op("equals")), ("value", Some(v))])),
                3 => vec(num.clone(), 1..4).prop_map(|vs| object([("op", op("in")), ("values", Some(Value::Array(vs)))])),
                4 => (maybe(num.clone()), maybe(num)).prop_map(|(min, max)| {
                    object([("op", op("between")), ("min", min), ("max", max)])
                }),
            ]
            .boxed()
        }
        Ty::Date => prop_oneof![
            1 => exists,
            3 => (select(vec!["equals", "before", "after"]), day())
                .prop_map(|(o, v)| object([("op", op(o)), ("value", Some(v))])),
            3 => (day(), day()).prop_map(|(from, to)| {
                object([("op", op("between")), ("from", Some(from)), ("to", Some(to))])
            }),
            2 => days().prop_map(|d| object([("op", op("within_last_days")), ("days", Some(d))])),
        ]
        .boxed(),
        Ty::Boolean => prop_oneof![
            1 => exists,
            3 => prop_oneof![3 => any::<bool>().prop_map(Value::from), 1 => any_value()]
                .prop_map(|v| object([("op", op("equals")), ("value", Some(v))])),
        ]
        .boxed(),
    }
}

fn window() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        2 => days().prop_map(|d| Some(json!({"last_days": d}))),
        2 => (day(), day()).prop_map(|(from, to)| Some(json!({"from": from, "to": to}))),
        1 => select(vec![
            json!({}),
            json!("30"),
            json!({"last_days": 30, "from": "2024-01-01"}),
            json!({"last_days": null, "from": "2024-01-01", "to": "2024-02-01"}),
            json!({"from": "2024-01-01"}),
            json!({"from": "2024-01-01", "to": "2024-02-01", "x": 1}),
            json!({"last_days": 30, "to": null}),
            json!({"from": null, "to": "2024-02-01"}),
        ])
        .prop_map(Some),
    ]
    .boxed()
}

fn kinds() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        2 => vec(select(vec!["in_store", "online", "click_and_collect", "In_store", ""]), 0..4)
            .prop_map(|ks| Some(json!(ks))),
        1 => any_value().prop_map(Some),
    ]
    .boxed()
}

/// `business_units` / `partners` of a purchases node.
fn ids() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Value::Null)),
        3 => vec(id(), 0..4).prop_map(|ids| Some(Value::Array(ids))),
        1 => vec(select(vec!["bu-1", "bu-2"]), 1..4).prop_map(|ids| Some(json!(ids))),
        1 => select(vec![0usize, 500, 501]).prop_map(|n| {
            Some(Value::Array((0..n).map(|i| json!(format!("bu-{i}"))).collect()))
        }),
        1 => any_value().prop_map(Some),
    ]
    .boxed()
}

/// A leaf node, right in shape (its operands may still be wrong).
fn leaf() -> BoxedStrategy<Value> {
    let attribute = select(vec![
        Ty::Text,
        Ty::Number,
        Ty::Score,
        Ty::CartValue,
        Ty::CartItems,
        Ty::CartAge,
        Ty::Date,
        Ty::Boolean,
    ])
    .prop_flat_map(|ty| (select(attributes(ty)), comparison(ty)))
    .prop_map(|(code, mut m)| {
        m.insert("attribute".into(), code.into());
        Value::Object(m)
    });
    let custom = select(vec![
        (Ty::Text, "text"),
        (Ty::Number, "number"),
        (Ty::Date, "date"),
        (Ty::Boolean, "boolean"),
    ])
    .prop_flat_map(|(ty, code)| (id(), Just(code), comparison(ty)))
    .prop_map(|(key, code, mut m)| {
        m.insert("custom".into(), key);
        m.insert("type".into(), code.into());
        Value::Object(m)
    });
    let purchases = select(vec![
        ("count", Ty::Number),
        ("sum", Ty::Number),
        ("last_date", Ty::Date),
    ])
    .prop_flat_map(|(measure, ty)| {
        (
            Just(measure),
            window(),
            kinds(),
            ids(),
            ids(),
            comparison(ty),
        )
    })
    .prop_map(
        |(measure, window, kinds, business_units, partners, mut m)| {
            m.extend(object([
                ("purchases", Some(measure.into())),
                ("window", window),
                ("kinds", kinds),
                ("business_units", business_units),
                ("partners", partners),
            ]));
            Value::Object(m)
        },
    );
    let event = (
        select(vec!["visit", "complaint", "event_attended", "click"]),
        window(),
    )
        .prop_map(|(kind, window)| {
            Value::Object(object([("event", Some(kind.into())), ("window", window)]))
        });
    let reference = (select(vec!["in_segment", "has_badge", "in_audience"]), id())
        .prop_map(|(k, id)| Value::Object(object([(k, Some(id))])));
    let campaign = (
        id(),
        select(vec!["received", "opened", "clicked", "bounced"]),
    )
        .prop_map(|(id, action)| json!({"campaign": id, "action": action}));
    prop_oneof![
        4 => attribute,
        2 => custom,
        2 => purchases,
        1 => event,
        1 => reference,
        1 => campaign,
    ]
    .boxed()
}

/// One slip in a node: a key added, removed or given another value.
#[derive(Clone, Debug)]
enum Slip {
    Add(&'static str, Value),
    Remove(Index),
    Replace(Index, Value),
}

const KEYS: [&str; 27] = [
    "all",
    "any",
    "not",
    "attribute",
    "custom",
    "purchases",
    "event",
    "in_segment",
    "has_badge",
    "in_audience",
    "campaign",
    "op",
    "value",
    "values",
    "min",
    "max",
    "from",
    "to",
    "days",
    "window",
    "kinds",
    "type",
    "action",
    "last_days",
    "Value",
    "business_units",
    "partners",
];

fn slip() -> BoxedStrategy<Slip> {
    prop_oneof![
        (select(KEYS.to_vec()), any_value()).prop_map(|(k, v)| Slip::Add(k, v)),
        any::<Index>().prop_map(Slip::Remove),
        (any::<Index>(), any_value()).prop_map(|(i, v)| Slip::Replace(i, v)),
    ]
    .boxed()
}

fn slipped(node: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    (node, prop_oneof![5 => Just(vec![]), 2 => vec(slip(), 1..3)])
        .prop_map(|(mut v, slips)| {
            let Value::Object(m) = &mut v else {
                return v;
            };
            for s in slips {
                match s {
                    Slip::Add(k, x) => {
                        m.insert(k.into(), x);
                    }
                    Slip::Remove(i) if !m.is_empty() => {
                        let k = m.keys().nth(i.index(m.len())).unwrap().clone();
                        m.remove(&k);
                    }
                    Slip::Replace(i, x) if !m.is_empty() => {
                        let k = m.keys().nth(i.index(m.len())).unwrap().clone();
                        m.insert(k, x);
                    }
                    _ => {}
                }
            }
            v
        })
        .boxed()
}

fn tree() -> BoxedStrategy<Value> {
    slipped(leaf())
        .prop_recursive(5, 48, 4, |inner| {
            let list = prop_oneof![8 => vec(inner.clone(), 1..4), 1 => Just(vec![])];
            slipped(
                prop_oneof![
                    list.clone().prop_map(|c| json!({"all": c})),
                    list.prop_map(|c| json!({"any": c})),
                    inner.prop_map(|c| json!({"not": c})),
                ]
                .boxed(),
            )
        })
        .boxed()
}

#[test]
fn the_schema_agrees_with_parse_on_generated_criteria() {
    const CASES: u32 = 6000;
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let tally = RefCell::new(Tally::default());
    let values = prop_oneof![4 => slipped(leaf()), 4 => tree(), 1 => any_value()];
    let result = runner.run(&values, |v| {
        let outcome = judge(&v).map_err(TestCaseError::fail)?;
        tally.borrow_mut().add(outcome);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = tally.into_inner();
    eprintln!("generated: {tally:?}");
    assert!(
        tally.accepted >= tally.cases / 5 && tally.cases - tally.accepted >= tally.cases / 5,
        "too one-sided to tell much: {tally:?}"
    );
}
