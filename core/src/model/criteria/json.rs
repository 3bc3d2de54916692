//! Writing criteria back to their JSON form (the inverse of parsing).

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::{Criteria, DateTest, NumberTest, Test, TextTest, Window};

/// Whole numbers are written without a fraction (`42`, not `42.0`).
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

fn date(d: &NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

impl Criteria {
    /// The JSON form, as stored and synced.
    pub fn to_json(&self) -> Value {
        match self {
            Criteria::All(children) => {
                json!({ "all": children.iter().map(Criteria::to_json).collect::<Vec<_>>() })
            }
            Criteria::Any(children) => {
                json!({ "any": children.iter().map(Criteria::to_json).collect::<Vec<_>>() })
            }
            Criteria::Not(child) => json!({ "not": child.to_json() }),
            Criteria::Attribute { attribute, test } => {
                let mut obj = test_json(test);
                obj.insert("attribute".into(), attribute.code().into());
                Value::Object(obj)
            }
            Criteria::Custom { key, kind, test } => {
                let mut obj = test_json(test);
                obj.insert("custom".into(), key.as_str().into());
                obj.insert("type".into(), kind.code().into());
                Value::Object(obj)
            }
            Criteria::Purchases {
                measure,
                window,
                kinds,
                business_units,
                partners,
                test,
            } => {
                let mut obj = test_json(test);
                obj.insert("purchases".into(), measure.code().into());
                if let Some(w) = window_json(window) {
                    obj.insert("window".into(), w);
                }
                if !kinds.is_empty() {
                    obj.insert(
                        "kinds".into(),
                        kinds.iter().map(|k| Value::from(k.code())).collect(),
                    );
                }
                if !business_units.is_empty() {
                    obj.insert("business_units".into(), json!(business_units));
                }
                if !partners.is_empty() {
                    obj.insert("partners".into(), json!(partners));
                }
                Value::Object(obj)
            }
            Criteria::Event { kind, window } => {
                let mut obj = Map::new();
                obj.insert("event".into(), kind.code().into());
                if let Some(w) = window_json(window) {
                    obj.insert("window".into(), w);
                }
                Value::Object(obj)
            }
            Criteria::InSegment(id) => json!({ "in_segment": id }),
            Criteria::HasBadge(id) => json!({ "has_badge": id }),
            Criteria::InAudience(id) => json!({ "in_audience": id }),
            Criteria::Campaign {
                campaign_id,
                action,
            } => json!({ "campaign": campaign_id, "action": action.code() }),
        }
    }
}

fn window_json(window: &Window) -> Option<Value> {
    match window {
        Window::AllTime => None,
        Window::LastDays(days) => Some(json!({ "last_days": days })),
        Window::Between { from, to } => Some(json!({ "from": date(from), "to": date(to) })),
    }
}

fn test_json(test: &Test) -> Map<String, Value> {
    let value = match test {
        Test::Exists => json!({ "op": "exists" }),
        Test::Text(TextTest::Equals(v)) => json!({ "op": "equals", "value": v }),
        Test::Text(TextTest::In(vs)) => json!({ "op": "in", "values": vs }),
        Test::Number(NumberTest::Equals(v)) => json!({ "op": "equals", "value": number(*v) }),
        Test::Number(NumberTest::In(vs)) => {
            json!({ "op": "in", "values": vs.iter().map(|v| number(*v)).collect::<Vec<_>>() })
        }
        Test::Number(NumberTest::Between { min, max }) => {
            let mut obj = json!({ "op": "between" });
            if let Some(min) = min {
                obj["min"] = number(*min);
            }
            if let Some(max) = max {
                obj["max"] = number(*max);
            }
            obj
        }
        Test::Date(DateTest::Equals(d)) => json!({ "op": "equals", "value": date(d) }),
        Test::Date(DateTest::Before(d)) => json!({ "op": "before", "value": date(d) }),
        Test::Date(DateTest::After(d)) => json!({ "op": "after", "value": date(d) }),
        Test::Date(DateTest::Between { from, to }) => {
            json!({ "op": "between", "from": date(from), "to": date(to) })
        }
        Test::Date(DateTest::WithinLastDays(days)) => {
            json!({ "op": "within_last_days", "days": days })
        }
        Test::Boolean(b) => json!({ "op": "equals", "value": b }),
    };
    match value {
        Value::Object(obj) => obj,
        _ => unreachable!("json! of an object"),
    }
}
