//! Reading criteria from JSON, with the path of the first problem.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::{
    Attribute, CampaignAction, Criteria, DateTest, MAX_CRITERIA_DEPTH, MAX_CRITERIA_NODES,
    MAX_DAYS, MAX_IN_VALUES, Measure, NumberTest, Test, TextTest, ValueType, Window,
};
use crate::error::{Error, Result, ValidationReason};
use crate::model::profile::{EventKind, TransactionKind};
use crate::model::validate_id;

/// The keys that say what a node is; a node has exactly one of them.
const NODE_KINDS: [&str; 11] = [
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
];

impl Criteria {
    /// Parses and validates a criteria tree; errors name the path from
    /// `criteria`, e.g. `criteria.all[1].not.value`.
    pub fn parse(value: &Value) -> Result<Criteria> {
        Self::parse_at(value, "criteria")
    }

    /// As [`Criteria::parse`], with paths starting at `root`.
    pub fn parse_at(value: &Value, root: &str) -> Result<Criteria> {
        Parser { nodes: 0 }.node(value, root, 0)
    }
}

fn invalid(path: impl Into<String>, reason: ValidationReason) -> Error {
    Error::invalid(path, reason)
}

struct Parser {
    nodes: usize,
}

impl Parser {
    fn node(&mut self, value: &Value, path: &str, depth: usize) -> Result<Criteria> {
        self.nodes += 1;
        if self.nodes > MAX_CRITERIA_NODES {
            return Err(invalid(
                path,
                ValidationReason::OutOfRange {
                    min: 1,
                    max: MAX_CRITERIA_NODES as i64,
                },
            ));
        }
        if depth > MAX_CRITERIA_DEPTH {
            return Err(invalid(
                path,
                ValidationReason::OutOfRange {
                    min: 0,
                    max: MAX_CRITERIA_DEPTH as i64,
                },
            ));
        }
        let obj = value
            .as_object()
            .ok_or_else(|| invalid(path, ValidationReason::Malformed))?;
        let kinds: Vec<&str> = NODE_KINDS
            .into_iter()
            .filter(|k| obj.contains_key(*k))
            .collect();
        let kind = match kinds.as_slice() {
            [kind] => *kind,
            [] => return Err(invalid(path, ValidationReason::Malformed)),
            [_, second, ..] => {
                return Err(invalid(
                    format!("{path}.{second}"),
                    ValidationReason::UnknownCode,
                ));
            }
        };
        let mut node = Node {
            obj,
            path,
            used: vec![kind],
        };
        let criteria = match kind {
            "all" | "any" => {
                let list_path = format!("{path}.{kind}");
                let list = obj[kind]
                    .as_array()
                    .ok_or_else(|| invalid(&list_path, ValidationReason::Malformed))?;
                if list.is_empty() {
                    return Err(invalid(list_path, ValidationReason::Blank));
                }
                let children = list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.node(v, &format!("{list_path}[{i}]"), depth + 1))
                    .collect::<Result<Vec<_>>>()?;
                if kind == "all" {
                    Criteria::All(children)
                } else {
                    Criteria::Any(children)
                }
            }
            "not" => Criteria::Not(Box::new(self.node(
                &obj["not"],
                &format!("{path}.not"),
                depth + 1,
            )?)),
            "attribute" => {
                let attribute = node.code("attribute", Attribute::from_code)?;
                let test = node.test(attribute.value_type())?;
                if let Some((min, max)) = attribute.number_range() {
                    node.check_range(&test, min, max)?;
                }
                Criteria::Attribute { attribute, test }
            }
            "custom" => {
                let key = node.id("custom")?;
                let kind = node.code("type", ValueType::from_code)?;
                let test = node.test(kind)?;
                Criteria::Custom { key, kind, test }
            }
            "purchases" => {
                let measure = node.code("purchases", |c| {
                    Measure::ALL.into_iter().find(|m| m.code() == c)
                })?;
                let window = node.window()?;
                let kinds = node.transaction_kinds()?;
                let business_units = node.ids("business_units")?;
                let partners = node.ids("partners")?;
                let test = node.test(measure.value_type())?;
                Criteria::Purchases {
                    measure,
                    window,
                    kinds,
                    business_units,
                    partners,
                    test,
                }
            }
            "event" => {
                let kind = node.code("event", EventKind::from_code)?;
                let window = node.window()?;
                Criteria::Event { kind, window }
            }
            "in_segment" => Criteria::InSegment(node.id("in_segment")?),
            "has_badge" => Criteria::HasBadge(node.id("has_badge")?),
            "in_audience" => Criteria::InAudience(node.id("in_audience")?),
            "campaign" => {
                let campaign_id = node.id("campaign")?;
                let action = node.code("action", |c| {
                    CampaignAction::ALL.into_iter().find(|a| a.code() == c)
                })?;
                Criteria::Campaign {
                    campaign_id,
                    action,
                }
            }
            _ => unreachable!("one of NODE_KINDS"),
        };
        node.finish()?;
        Ok(criteria)
    }
}

/// One node's object, remembering which keys were read so that the rest
/// can be refused.
struct Node<'a> {
    obj: &'a Map<String, Value>,
    path: &'a str,
    used: Vec<&'static str>,
}

impl Node<'_> {
    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn get(&mut self, key: &'static str) -> Option<&Value> {
        self.used.push(key);
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn required(&mut self, key: &'static str) -> Result<&Value> {
        let path = self.at(key);
        self.get(key)
            .ok_or_else(|| invalid(path, ValidationReason::Blank))
    }

    fn text(&mut self, key: &'static str) -> Result<String> {
        let path = self.at(key);
        text_value(self.required(key)?, &path)
    }

    fn id(&mut self, key: &'static str) -> Result<String> {
        let path = self.at(key);
        let id = self.text(key)?;
        validate_id(&path, &id)?;
        Ok(id)
    }

    fn code<T>(&mut self, key: &'static str, lookup: impl Fn(&str) -> Option<T>) -> Result<T> {
        let path = self.at(key);
        let code = self.text(key)?;
        lookup(&code).ok_or_else(|| invalid(path, ValidationReason::UnknownCode))
    }

    fn days(&mut self, key: &'static str) -> Result<u32> {
        let path = self.at(key);
        let value = self.required(key)?;
        let out_of_range = || {
            invalid(
                &path,
                ValidationReason::OutOfRange {
                    min: 1,
                    max: i64::from(MAX_DAYS),
                },
            )
        };
        let days = value
            .as_i64()
            .ok_or_else(|| invalid(&path, ValidationReason::Malformed))?;
        u32::try_from(days)
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(out_of_range)
    }

    fn window(&mut self) -> Result<Window> {
        let path = self.at("window");
        let Some(value) = self.get("window") else {
            return Ok(Window::AllTime);
        };
        let obj = value
            .as_object()
            .ok_or_else(|| invalid(&path, ValidationReason::Malformed))?;
        let mut inner = Node {
            obj,
            path: &path,
            used: Vec::new(),
        };
        let window = if obj.contains_key("last_days") {
            Window::LastDays(inner.days("last_days")?)
        } else {
            let (from, to) = inner.date_range()?;
            Window::Between { from, to }
        };
        inner.finish()?;
        Ok(window)
    }

    fn date_range(&mut self) -> Result<(NaiveDate, NaiveDate)> {
        let from_path = self.at("from");
        let from = date_value(self.required("from")?, &from_path)?;
        let to_path = self.at("to");
        let to = date_value(self.required("to")?, &to_path)?;
        if to < from {
            return Err(invalid(to_path, ValidationReason::Malformed));
        }
        Ok((from, to))
    }

    fn transaction_kinds(&mut self) -> Result<Vec<TransactionKind>> {
        let path = self.at("kinds");
        let Some(value) = self.get("kinds") else {
            return Ok(Vec::new());
        };
        let list = value
            .as_array()
            .ok_or_else(|| invalid(&path, ValidationReason::Malformed))?;
        let mut kinds = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let kind = TransactionKind::from_code(&text_value(v, &item_path)?)
                .ok_or_else(|| invalid(&item_path, ValidationReason::UnknownCode))?;
            if kinds.contains(&kind) {
                return Err(invalid(item_path, ValidationReason::Duplicate));
            }
            kinds.push(kind);
        }
        Ok(kinds)
    }

    /// An optional list of ids (absent: empty), each an id, without
    /// duplicates, at most [`MAX_IN_VALUES`]; present but empty is refused
    /// (it would match nothing, surely a mistake).
    fn ids(&mut self, key: &'static str) -> Result<Vec<String>> {
        let path = self.at(key);
        if self.get(key).is_none() {
            return Ok(Vec::new());
        }
        let ids = self.list(key, |v, item_path| {
            let id = text_value(v, item_path)?;
            validate_id(item_path, &id)?;
            Ok(id)
        })?;
        if let Some(i) = (1..ids.len()).find(|&i| ids[..i].contains(&ids[i])) {
            return Err(invalid(format!("{path}[{i}]"), ValidationReason::Duplicate));
        }
        Ok(ids)
    }

    /// The comparison of this node (`op` and its operands) for values of
    /// type `ty`.
    fn test(&mut self, ty: ValueType) -> Result<Test> {
        let op_path = self.at("op");
        let op = self.text("op")?;
        let value_path = self.at("value");
        let test = match (ty, op.as_str()) {
            (_, "exists") => Test::Exists,
            (ValueType::Text, "equals") => Test::Text(TextTest::Equals(text_value(
                self.required("value")?,
                &value_path,
            )?)),
            (ValueType::Text, "in") => Test::Text(TextTest::In(self.list("values", text_value)?)),
            (ValueType::Number, "equals") => Test::Number(NumberTest::Equals(number_value(
                self.required("value")?,
                &value_path,
            )?)),
            (ValueType::Number, "in") => {
                Test::Number(NumberTest::In(self.list("values", number_value)?))
            }
            (ValueType::Number, "between") => {
                let min_path = self.at("min");
                let min = self
                    .get("min")
                    .map(|v| number_value(v, &min_path))
                    .transpose()?;
                let max_path = self.at("max");
                let max = self
                    .get("max")
                    .map(|v| number_value(v, &max_path))
                    .transpose()?;
                match (min, max) {
                    (None, None) => return Err(invalid(min_path, ValidationReason::Blank)),
                    (Some(lo), Some(hi)) if hi < lo => {
                        return Err(invalid(max_path, ValidationReason::Malformed));
                    }
                    _ => Test::Number(NumberTest::Between { min, max }),
                }
            }
            (ValueType::Date, "equals") => Test::Date(DateTest::Equals(date_value(
                self.required("value")?,
                &value_path,
            )?)),
            (ValueType::Date, "before") => Test::Date(DateTest::Before(date_value(
                self.required("value")?,
                &value_path,
            )?)),
            (ValueType::Date, "after") => Test::Date(DateTest::After(date_value(
                self.required("value")?,
                &value_path,
            )?)),
            (ValueType::Date, "between") => {
                let (from, to) = self.date_range()?;
                Test::Date(DateTest::Between { from, to })
            }
            (ValueType::Date, "within_last_days") => {
                Test::Date(DateTest::WithinLastDays(self.days("days")?))
            }
            (ValueType::Boolean, "equals") => Test::Boolean(
                self.required("value")?
                    .as_bool()
                    .ok_or_else(|| invalid(&value_path, ValidationReason::Malformed))?,
            ),
            _ => return Err(invalid(op_path, ValidationReason::UnknownCode)),
        };
        Ok(test)
    }

    fn list<T>(
        &mut self,
        key: &'static str,
        item: impl Fn(&Value, &str) -> Result<T>,
    ) -> Result<Vec<T>> {
        let path = self.at(key);
        let list = self
            .required(key)?
            .as_array()
            .ok_or_else(|| invalid(&path, ValidationReason::Malformed))?;
        if list.is_empty() {
            return Err(invalid(path, ValidationReason::Blank));
        }
        if list.len() > MAX_IN_VALUES {
            return Err(invalid(
                path,
                ValidationReason::OutOfRange {
                    min: 1,
                    max: MAX_IN_VALUES as i64,
                },
            ));
        }
        list.iter()
            .enumerate()
            .map(|(i, v)| item(v, &format!("{path}[{i}]")))
            .collect()
    }

    /// Number operands within `min..=max` (see `Attribute::number_range`):
    /// a bound outside can never match, or matches everyone, and is a
    /// mistake in the definition.
    fn check_range(&self, test: &Test, min: i64, max: i64) -> Result<()> {
        let in_range = |v: f64| (min as f64..=max as f64).contains(&v);
        let bad = match test {
            Test::Number(NumberTest::Equals(v)) => (!in_range(*v)).then(|| self.at("value")),
            Test::Number(NumberTest::In(vs)) => vs
                .iter()
                .position(|v| !in_range(*v))
                .map(|i| format!("{}[{i}]", self.at("values"))),
            Test::Number(NumberTest::Between { min, max }) => {
                if min.is_some_and(|v| !in_range(v)) {
                    Some(self.at("min"))
                } else if max.is_some_and(|v| !in_range(v)) {
                    Some(self.at("max"))
                } else {
                    None
                }
            }
            _ => None,
        };
        match bad {
            Some(path) => Err(invalid(path, ValidationReason::OutOfRange { min, max })),
            None => Ok(()),
        }
    }

    /// Refuses keys this node does not use (typos must not silently widen
    /// a segment).
    fn finish(self) -> Result<()> {
        match self.obj.keys().find(|k| !self.used.contains(&k.as_str())) {
            Some(unknown) => Err(invalid(self.at(unknown), ValidationReason::UnknownCode)),
            None => Ok(()),
        }
    }
}

fn text_value(value: &Value, path: &str) -> Result<String> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid(path, ValidationReason::Malformed))?;
    if text.trim().is_empty() {
        return Err(invalid(path, ValidationReason::Blank));
    }
    Ok(text.to_owned())
}

fn number_value(value: &Value, path: &str) -> Result<f64> {
    value
        .as_f64()
        .filter(|v| v.is_finite())
        .ok_or_else(|| invalid(path, ValidationReason::Malformed))
}

/// A date as `YYYY-MM-DD` exactly: chrono's `%Y-%m-%d` also reads
/// `2024-1-5`, ` 2024-01-05` or `+10000-01-01`, which would be stored and
/// sent back in another form than the one given (and than the document's
/// `format: date`).
fn date_value(value: &Value, path: &str) -> Result<NaiveDate> {
    let plain = |s: &&str| {
        s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    value
        .as_str()
        .filter(plain)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or_else(|| invalid(path, ValidationReason::Malformed))
}
