//! Store tests: the rule end to end through SQLite, queries, batches,
//! idempotent server applies, atomicity and concurrency. Shared fixtures
//! here; one file per concern.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::error::{Error, ReferenceProblem};
use crate::model::*;

pub(super) fn now() -> DateTime<Utc> {
    "2026-11-23T08:00:00Z".parse().unwrap()
}

pub(super) fn tag(s: &str) -> LanguageTag {
    LanguageTag::parse(s).unwrap()
}

pub(super) fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(super) fn segment(
    id: &str,
    org: Option<&str>,
    names: &[(&str, &str)],
    freq: VisitFrequency,
) -> Segment {
    Segment {
        id: id.into(),
        scope: OrgScope::from_organization_id(org.map(Into::into)),
        name: LocalizedText::new("name", names.iter().copied(), 200).unwrap(),
        visit_frequency: freq,
        description: None,
        version: 1,
        updated_at: now(),
        deleted: false,
    }
}

pub(super) fn picklist(
    id: &str,
    kind: PicklistKind,
    org: Option<&str>,
    label: &str,
    order: i64,
) -> PicklistValue {
    PicklistValue {
        id: id.into(),
        kind,
        scope: OrgScope::from_organization_id(org.map(Into::into)),
        label: LocalizedText::single("en", label).unwrap(),
        sort_order: order,
        version: 1,
        updated_at: now(),
        deleted: false,
    }
}

/// A store with the demo catalogue and a session in org-north.
pub(super) fn store(role: Role) -> Store {
    let store = Store::open_in_memory().unwrap();
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", role))
        .unwrap();
    store
}

pub(super) fn seed(store: &Store) {
    use VisitFrequency as F;
    let segments = [
        segment(
            "retail",
            None,
            &[("en", "Retail"), ("nl", "Detailhandel")],
            F::Monthly,
        ),
        segment(
            "wholesale",
            None,
            &[("en", "Wholesale"), ("nl", "Groothandel")],
            F::Weekly,
        ),
        segment(
            "agri",
            Some("org-north"),
            &[("en", "agriculture"), ("nl", "Landbouw")],
            F::Every2Weeks,
        ),
        segment(
            "south",
            Some("org-south"),
            &[("en", "South only")],
            F::Daily,
        ),
        segment("none-freq", None, &[("en", "Prospects")], F::None),
    ];
    store
        .apply_segment_changes(&segments.map(Change::Upsert))
        .unwrap();
    store
        .apply_segment_changes(&[
            Change::Upsert(segment("gone", None, &[("en", "Gone")], F::Weekly)),
            Change::Delete {
                id: "gone".into(),
                version: 2,
            },
        ])
        .unwrap();
    let values = [
        picklist("st-active", PicklistKind::Status, None, "Active", 1),
        picklist("st-lead", PicklistKind::Status, None, "Lead", 0),
        picklist(
            "st-south",
            PicklistKind::Status,
            Some("org-south"),
            "South",
            0,
        ),
        picklist("ch-web", PicklistKind::Channel, None, "Web", 0),
    ];
    store
        .apply_picklist_changes(&values.map(Change::Upsert))
        .unwrap();
}

pub(super) fn count(store: &Store, table: &str) -> i64 {
    store
        .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
        .unwrap()
}

pub(super) fn draft(name: &str, segment: Option<&str>) -> CustomerDraft {
    CustomerDraft {
        name: name.into(),
        segment_id: segment.map(Into::into),
        ..Default::default()
    }
}

/// What the server sends back once it has accepted a customer.
pub(super) fn remote(c: &Customer, version: i64) -> RemoteCustomer {
    RemoteCustomer::from_customer(c, version, false)
}

/// Marks a customer accepted by the server, the way a sync would: the
/// upload is acknowledged (its outbox entries leave) and the server's
/// version is applied.
pub(super) fn accept(store: &Store, c: &Customer, version: i64) {
    store
        .write(|tx| {
            tx.execute("DELETE FROM outbox WHERE entity_id = ?1", [&c.id])?;
            Ok(())
        })
        .unwrap();
    store
        .apply_customer_changes(&[Change::Upsert(remote(c, version))])
        .unwrap();
}

pub(super) fn segment_update(segment: Option<&str>) -> CustomerUpdate {
    CustomerUpdate {
        segment_id: Some(segment.map(Into::into)),
        ..Default::default()
    }
}

pub(super) fn unavailable(err: Error) -> (&'static str, ReferenceProblem) {
    match err {
        Error::UnavailableReference { field, problem, .. } => (field, problem),
        other => panic!("expected an unavailable reference, got {other:?}"),
    }
}

mod apply;
mod catalogue;
mod customers;
#[cfg(feature = "encryption")]
mod encryption;
mod live;
mod props;
mod queries;
mod sign_out;
mod storage;
