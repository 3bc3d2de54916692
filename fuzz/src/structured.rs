//! `feed_page_structured`: pages that always decode (the bytes drive
//! `arbitrary`), with hostile values: huge, negative and zero versions and
//! sequence numbers, empty, very long and odd ids, unknown collections,
//! deletes where only upserts go, and valid records with fields replaced
//! by values of the wrong type, out of range, or absurdly long.

use arbitrary::{Arbitrary, Unstructured};
use fieldsync_core::protocol::{ChangeOp, ChangePage, Collection, FeedChange};
use serde_json::{Map, Value};

use crate::checks::apply_page;
use crate::seeds::records;

#[derive(Arbitrary, Debug)]
struct HostilePage {
    changes: Vec<HostileChange>,
    cursor: Text,
    has_more: bool,
    remaining: u64,
}

#[derive(Arbitrary, Debug)]
struct HostileChange {
    seq: Number,
    /// Index into the known collections; past them, an unknown one.
    collection: u8,
    delete: bool,
    id: Text,
    version: Number,
    data: Data,
}

#[derive(Arbitrary, Debug)]
enum Number {
    Small(i8),
    Any(i64),
    Max,
    Min,
    Zero,
    MinusOne,
}

impl Number {
    fn get(&self) -> i64 {
        match *self {
            Number::Small(n) => i64::from(n),
            Number::Any(n) => n,
            Number::Max => i64::MAX,
            Number::Min => i64::MIN,
            Number::Zero => 0,
            Number::MinusOne => -1,
        }
    }
}

/// Text: ids the seed records use, empty, long, with spaces or control
/// characters, or anything.
#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Empty,
    Long(u16, char),
    Padded(u8),
    Control(char),
    Any(String),
}

const KNOWN_TEXT: [&str; 12] = [
    "c1",
    "c2",
    "c3",
    "seg-a",
    "st-1",
    "org-north",
    "user-manager",
    "cs-static",
    "cs-brno",
    "t1",
    "en",
    "nl-BE",
];

impl Text {
    fn get(&self) -> String {
        match self {
            Text::Known(i) => KNOWN_TEXT[usize::from(*i) % KNOWN_TEXT.len()].to_owned(),
            Text::Empty => String::new(),
            Text::Long(n, c) => std::iter::repeat_n(*c, usize::from(*n)).collect(),
            Text::Padded(i) => format!(" {} ", KNOWN_TEXT[usize::from(*i) % KNOWN_TEXT.len()]),
            Text::Control(c) => format!("c1{c}\u{0}"),
            Text::Any(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Data {
    Absent,
    Null,
    /// The collection's valid record with fields replaced or added.
    Record(Vec<Override>),
    /// Any JSON value instead of a record.
    Value(Hostile),
}

#[derive(Arbitrary, Debug)]
struct Override {
    /// Index into the record's fields; past them, a new field.
    field: u8,
    value: Hostile,
}

#[derive(Arbitrary, Debug)]
enum Hostile {
    Null,
    Bool(bool),
    Int(i64),
    U64Max,
    Float(f64),
    Huge,
    Text(Text),
    Date(i32, u8, u8),
    DateTime(i64),
    Array(Vec<Hostile>),
    Object(Vec<(Text, Hostile)>),
}

impl Hostile {
    fn get(&self) -> Value {
        match self {
            Hostile::Null => Value::Null,
            Hostile::Bool(b) => Value::Bool(*b),
            Hostile::Int(n) => Value::from(*n),
            Hostile::U64Max => Value::from(u64::MAX),
            Hostile::Float(f) => Value::from(*f),
            Hostile::Huge => Value::from(1e300),
            Hostile::Text(t) => Value::String(t.get()),
            Hostile::Date(y, m, d) => Value::String(format!("{y:04}-{m:02}-{d:02}")),
            Hostile::DateTime(secs) => Value::String(
                chrono::DateTime::from_timestamp(*secs, 0)
                    .map_or_else(|| format!("{secs}"), |t| t.to_rfc3339()),
            ),
            Hostile::Array(items) => Value::Array(items.iter().map(Hostile::get).collect()),
            Hostile::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.get(), v.get()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

fn collection(index: u8) -> Collection {
    Collection::KNOWN
        .get(usize::from(index))
        .copied()
        .unwrap_or(Collection::Unknown)
}

fn record(collection: Collection, overrides: &[Override]) -> Value {
    let mut record = records()
        .into_iter()
        .find(|(code, _, _)| *code == collection.code())
        .map_or_else(|| Value::Object(Map::new()), |(_, _, data)| data);
    if let Value::Object(fields) = &mut record {
        for o in overrides {
            let keys: Vec<String> = fields.keys().cloned().collect();
            let key = keys
                .get(usize::from(o.field) % (keys.len() + 1))
                .cloned()
                .unwrap_or_else(|| format!("extra_{}", o.field));
            fields.insert(key, o.value.get());
        }
    }
    record
}

fn build(page: &HostilePage) -> ChangePage {
    let changes = page
        .changes
        .iter()
        .map(|c| {
            let collection = collection(c.collection);
            let data = match &c.data {
                Data::Absent => None,
                Data::Null => Some(Value::Null),
                Data::Record(overrides) => Some(record(collection, overrides)),
                Data::Value(v) => Some(v.get()),
            };
            FeedChange {
                seq: c.seq.get(),
                collection,
                op: if c.delete {
                    ChangeOp::Delete
                } else {
                    ChangeOp::Upsert
                },
                id: c.id.get(),
                version: c.version.get(),
                data: data.map(|d| serde_json::value::to_raw_value(&d).expect("JSON text")),
            }
        })
        .collect();
    ChangePage {
        changes,
        cursor: page.cursor.get(),
        has_more: page.has_more,
        remaining: page.remaining,
        remaining_by_collection: Default::default(),
    }
}

pub fn feed_page_structured(data: &[u8]) {
    let Ok(hostile) = HostilePage::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let page = build(&hostile);
    // What the server sends is what the device reads.
    let wire = serde_json::to_string(&page).expect("a page encodes");
    let read: ChangePage = serde_json::from_str(&wire).expect("an encoded page decodes");
    // No record and `null` are the same on the wire (and to `decode`).
    assert_eq!(normalized(read), normalized(page.clone()));
    apply_page(&page);
}

fn normalized(mut page: ChangePage) -> ChangePage {
    for change in &mut page.changes {
        if change.data.as_deref().is_some_and(|d| d.get() == "null") {
            change.data = None;
        }
    }
    page
}
