//! The feed page, criteria and language tag checks.

use std::cell::RefCell;
use std::sync::Arc;

use chrono::NaiveDate;
use fieldsync_core::Store;
use fieldsync_core::clock::FixedDateClock;
use fieldsync_core::fuzzing::{
    CompiledCriteria, EVALUATION_FROM, ReferenceWorld, compile_criteria, reference_members,
};
use fieldsync_core::model::criteria::Criteria;
use fieldsync_core::model::{LanguageTag, LocalizedText, Role, Session};
use fieldsync_core::protocol::{ChangePage, Collection};
use fieldsync_core::sync::apply::apply_pull_page;
use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use crate::seeds;

/// The date every store here evaluates on.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("a valid date")
}

/// A fresh in-memory store on [`today`], signed in as a manager of
/// `org-north`.
pub fn session_store() -> Store {
    let store = Store::open_in_memory()
        .expect("an in-memory store")
        .with_clock(Arc::new(FixedDateClock::new(today())));
    store
        .set_session(&Session::new("user-manager", "org-north", Role::Manager))
        .expect("a session");
    store
}

/// Applies `page` (twice: the second time must change nothing), then
/// evaluates the customer segments it brought. Errors are fine; panics
/// are not.
pub fn apply_page(page: &ChangePage) {
    let store = session_store();
    let Ok(first) = store.write(|tx| apply_pull_page(tx, page)) else {
        return;
    };
    let _ = store.after_sync_run();
    // A feed carries the latest state of each entity once: a page with an
    // entity twice (upsert v5 after delete v10, or two profiles, which
    // carry no version) ends on its last entry, and applying it again
    // passes through the others. Idempotence is checked on the rest.
    let mut keys = std::collections::BTreeSet::new();
    let duplicates = page.changes.iter().any(|c| {
        // An upsert's entity is its record's id (a delete's, the entry's).
        let record = c
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d.get()).ok());
        let id = record
            .as_ref()
            .and_then(|r| r.get("id").or_else(|| r.get("customer_id")))
            .and_then(Value::as_str)
            .unwrap_or(&c.id)
            .to_owned();
        !keys.insert((c.collection, id))
    });
    let unversioned = page
        .changes
        .iter()
        .filter(|c| {
            matches!(
                c.collection,
                Collection::UserProfile | Collection::CustomerSegmentMembers
            )
        })
        .count();
    if duplicates || unversioned > 1 {
        let _ = store.refresh_customer_segments();
        return;
    }
    if let Ok(again) = store.write(|tx| apply_pull_page(tx, page)) {
        // Organizations are written again and reported as changed every
        // time (sync/apply.rs): harmless, not checked here.
        let changed: Vec<_> = again
            .changed
            .iter()
            .filter(|c| **c != Collection::Organizations)
            .collect();
        assert!(
            changed.is_empty(),
            "applying a page again changed {changed:?} (first time: {first:?})"
        );
    }
    let _ = store.refresh_customer_segments();
}

/// `feed_page`: any bytes as the body of `GET /sync/v1/changes`.
pub fn feed_page(data: &[u8]) {
    if let Ok(page) = serde_json::from_slice::<ChangePage>(data) {
        apply_page(&page);
    }
}

/// `language_tag`: any text as a language tag, alone and in a
/// multi-language text.
pub fn language_tag(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    if let Ok(tag) = LanguageTag::parse(&raw) {
        // Canonical: parsing the canonical form gives it back, and case
        // does not matter.
        assert_eq!(LanguageTag::parse(tag.as_str()).as_ref(), Ok(&tag));
        assert_eq!(
            LanguageTag::parse(&raw.to_ascii_uppercase()).as_ref(),
            Ok(&tag)
        );
        assert_eq!(
            LanguageTag::parse(&raw.to_ascii_lowercase()).as_ref(),
            Ok(&tag)
        );
        assert!(!tag.language().is_empty());
        if let Ok(text) = LocalizedText::single(tag.as_str(), "x") {
            assert_eq!(text.get(&tag), Some("x"));
            assert_eq!(text.resolve(&tag, None), "x");
        }
    }
    // The same text as a JSON string and as a key of a localized text.
    let _ = serde_json::from_value::<LanguageTag>(Value::String(raw.to_string()));
    let mut map = serde_json::Map::new();
    map.insert(raw.to_string(), Value::String("label".into()));
    if let Ok(text) = serde_json::from_value::<LocalizedText>(Value::Object(map)) {
        let _ = text.resolve(&LanguageTag::english(), None);
    }
}

thread_local! {
    /// The store criteria are evaluated in: built once (only read).
    static CRITERIA_STORE: RefCell<Option<(Store, Vec<String>, ReferenceWorld)>> = const { RefCell::new(None) };
}

/// `criteria`: any bytes as a criteria tree. What parses must write back
/// to the same tree and compile, for every customer and for one, to SQL
/// that takes every value as a `?` parameter, runs, and selects the same
/// customers in both forms, the same customers the reference evaluator
/// (core's plain Rust reading of docs/criteria.md) selects.
pub fn criteria(data: &[u8]) {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(criteria) = Criteria::parse(&json) else {
        return;
    };
    match Criteria::parse(&criteria.to_json()) {
        Ok(again) => assert_eq!(again, criteria, "the criteria read back differently"),
        Err(e) => panic!("the criteria do not read back as written: {e}"),
    }
    let (set, row) = compile_criteria(&criteria, today());
    check_parameterised(&set, today());
    check_parameterised(&row, today());
    CRITERIA_STORE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (store, customers, world) = cell.get_or_insert_with(|| {
            let store = session_store();
            let page: ChangePage =
                serde_json::from_slice(&seeds::criteria_world()).expect("the world's page");
            let outcome = store
                .write(|tx| apply_pull_page(tx, &page))
                .expect("the world applies");
            assert_eq!(outcome.skipped, 0, "the world's records are all valid");
            store
                .after_sync_run()
                .expect("the world's segments evaluate");
            let customers = store
                .read(|conn| {
                    let mut stmt = conn.prepare("SELECT id FROM customers ORDER BY id")?;
                    let ids = stmt
                        .query_map([], |r| r.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(ids)
                })
                .expect("the world's customers");
            let world = reference_world(&store);
            (store, customers, world)
        });
        let members = store
            .read(|conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT c.id FROM {EVALUATION_FROM} WHERE {} ORDER BY c.id",
                    set.sql
                ))?;
                let ids = stmt
                    .query_map(params_from_iter(set.params.iter()), |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(ids)
            })
            .unwrap_or_else(|e| panic!("the compiled SQL fails: {e}\n{}", set.sql));
        let one_by_one = store
            .read(|conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT EXISTS (SELECT 1 FROM {EVALUATION_FROM} WHERE c.id = ? AND {})",
                    row.sql
                ))?;
                let mut ids = Vec::new();
                for id in customers.iter() {
                    let args = std::iter::once(SqlValue::Text(id.clone()))
                        .chain(row.params.iter().cloned());
                    if stmt.query_row(params_from_iter(args), |r| r.get::<_, bool>(0))? {
                        ids.push(id.clone());
                    }
                }
                Ok(ids)
            })
            .unwrap_or_else(|e| panic!("the compiled SQL (one customer) fails: {e}\n{}", row.sql));
        assert_eq!(
            members,
            one_by_one,
            "all customers at once and one by one disagree: {}",
            criteria.to_json()
        );
        assert_eq!(
            members,
            reference_members(world, &criteria, today()),
            "the SQL and the reference evaluator disagree: {}",
            criteria.to_json()
        );
    });
}

/// The criteria world (`seeds::criteria_world`) as the reference evaluator
/// reads it: its customers, profiles and purchases from the same records,
/// and the members of its customer segments as `store` evaluated them
/// (criteria may test membership of another segment).
fn reference_world(store: &Store) -> ReferenceWorld {
    let mut world = ReferenceWorld::default();
    for (collection, id, data) in seeds::records() {
        match collection {
            "customers" => world
                .customers
                .push(serde_json::from_value(data).expect("a customer")),
            "customer_profiles" => {
                world.profiles.insert(
                    id.to_owned(),
                    serde_json::from_value(data).expect("a profile"),
                );
            }
            "transactions" => world
                .transactions
                .push(serde_json::from_value(data).expect("a purchase")),
            "carts" => {
                world
                    .carts
                    .insert(id.to_owned(), serde_json::from_value(data).expect("a cart"));
            }
            "customer_segments" => {
                let page = store
                    .customer_segment_members(id, 500, 0)
                    .expect("the world's members");
                world.members.insert(
                    id.to_owned(),
                    page.members.into_iter().map(|m| m.customer_id).collect(),
                );
            }
            _ => {}
        }
    }
    world
}

/// Every value of the criteria is a parameter: as many `?` as parameters,
/// and the only quoted literals in the SQL are the compiler's own: the
/// evaluation day (age tests) and codes of closed enums (`'email'`, a
/// consent kind), never text from the criteria.
fn check_parameterised(compiled: &CompiledCriteria, today: NaiveDate) {
    let sql = &compiled.sql;
    assert_eq!(
        sql.matches('?').count(),
        compiled.params.len(),
        "placeholders and parameters differ: {sql}"
    );
    assert!(!sql.contains('"'), "a quoted name in the SQL: {sql}");
    let today = today.format("%Y-%m-%d").to_string();
    let mut quoted = sql.split('\'');
    assert!(
        quoted.clone().count() % 2 == 1,
        "an unterminated literal: {sql}"
    );
    quoted.next();
    while let Some(literal) = quoted.next() {
        assert!(
            literal == today
                || (!literal.is_empty()
                    && literal.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
            "a literal from the criteria in the SQL: '{literal}' in {sql}"
        );
        quoted.next();
    }
}
