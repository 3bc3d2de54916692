//! The records and enums of the store's API as apps see them.
//!
//! Core's plain types whose fields uniffi can already carry are declared
//! here as *remote* types (`#[uniffi::remote(..)]` mirrors the definition
//! in core, so both sides use core's type itself). Core's types with
//! chrono dates, JSON or multi-language text get their own FFI records
//! with `From` conversions: calendar dates cross as ISO-8601 strings
//! (`2026-11-23`), timestamps as `SystemTime` (Kotlin `java.time.Instant`,
//! Swift `Date`, Python `datetime`).

use std::collections::HashMap;
use std::time::SystemTime;

use chrono::NaiveDate;
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{self as core, LanguageTag};
use fieldsync_core::store::outbox::Rejection;
use serde_json::Value;

use crate::error::{FieldSyncError, Result};

// ---------------------------------------------------------------------
// Core's own types, carried as they are.

pub use fieldsync_core::model::{
    PicklistKind, PicklistOption, Role, SegmentLabel, SegmentOption, Session, VisitFrequency,
};
pub use fieldsync_core::store::OutboxOperation;

/// How often customers of a segment are visited: one of the Portal's 14
/// codes.
#[uniffi::remote(Enum)]
pub enum VisitFrequency {
    /// No scheduled visits (`none`).
    None,
    /// Every day (`daily`).
    Daily,
    /// Every 2 days (`every_2_days`).
    Every2Days,
    /// Every 3 days (`every_3_days`).
    Every3Days,
    /// Every 4 days (`every_4_days`).
    Every4Days,
    /// Every week (`weekly`).
    Weekly,
    /// Every 2 weeks (`every_2_weeks`).
    Every2Weeks,
    /// Every 3 weeks (`every_3_weeks`).
    Every3Weeks,
    /// Every month, on the same day or the month's last (`monthly`).
    Monthly,
    /// Every 2 months (`every_2_months`).
    Every2Months,
    /// Every 3 months (`every_3_months`).
    Every3Months,
    /// Every 4 months (`every_4_months`).
    Every4Months,
    /// Every 6 months (`every_6_months`).
    Every6Months,
    /// Every year (`once_a_year`).
    OnceAYear,
}

/// The four classification lists besides the segment.
#[uniffi::remote(Enum)]
pub enum PicklistKind {
    /// The account status (active, prospect, ...): `Customer.status_id`.
    Status,
    /// Where the account came from: `Customer.source_id`.
    Source,
    /// The account's industry: `Customer.industry_id`.
    Industry,
    /// The sales channel: `Customer.channel_id`.
    Channel,
}

/// What the signed-in user may do. Technicians cannot change the segment
/// of a customer the server has accepted; managers and admins can.
#[uniffi::remote(Enum)]
pub enum Role {
    /// Works in the field; sees but cannot change the segment of existing customers.
    Technician,
    /// Manages an organization's accounts.
    Manager,
    /// Administers the Portal.
    Admin,
}

/// Who is working on this device: kept in the database so the segment rule
/// holds offline and after a restart.
#[uniffi::remote(Record)]
pub struct Session {
    /// The user's id on the server (`user-tech`).
    pub user_id: String,
    /// The organization whose customers and catalogue the device holds.
    pub organization_id: String,
    /// The user's role.
    pub role: Role,
}

/// One entry of the segment dropdown.
#[uniffi::remote(Record)]
pub struct SegmentOption {
    /// The segment's id, to store in `CustomerDraft.segment_id`.
    pub id: String,
    /// The name in the store's locale (with the fallback chain).
    pub label: String,
    /// How often its customers are visited.
    pub visit_frequency: VisitFrequency,
}

/// One entry of a classification dropdown.
#[uniffi::remote(Record)]
pub struct PicklistOption {
    /// The value's id, to store in the customer's `status_id` and so on.
    pub id: String,
    /// The label in the store's locale.
    pub label: String,
    /// The Portal's order (the list comes sorted by it, then by label).
    pub sort_order: i64,
}

/// A customer's segment as the screen shows it.
#[uniffi::remote(Record)]
pub struct SegmentLabel {
    /// The segment's id.
    pub id: String,
    /// Its name in the store's locale; `null` when the segment has not
    /// reached this device (yet).
    pub label: Option<String>,
    /// Deleted in the Portal since it was assigned: the customer keeps it
    /// and shows it, but the dropdown no longer offers it.
    pub deleted: bool,
}

/// Whether a local change created a customer or updated one.
#[uniffi::remote(Enum)]
pub enum OutboxOperation {
    /// A customer made on the device.
    Create,
    /// Changed fields of a customer.
    Update,
}

/// Why the server refused a local change for good.
#[uniffi::remote(Record)]
pub struct Rejection {
    /// `permission`, `validation`, `unknown_reference`, `not_found`, ...
    pub code: String,
    /// The field at fault, when there is one.
    pub field: Option<String>,
    /// The server's reason, in words.
    pub reason: String,
}

// ---------------------------------------------------------------------
// Dates and locales.

/// Reads a calendar date in ISO-8601 form (`2026-11-23`).
pub(crate) fn parse_date(field: &str, text: &str) -> Result<NaiveDate> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldSyncError::invalid(field, ValidationReason::Malformed))
}

pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_locale(text: &str) -> Result<LanguageTag> {
    LanguageTag::parse(text).map_err(|reason| FieldSyncError::invalid("locale", reason))
}

/// A stored JSON value of a customer field as text: strings as they are,
/// `null` as `None`, anything else as JSON.
fn json_text(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

// ---------------------------------------------------------------------
// The catalogue.

/// A marketing segment as stored on the device, deleted ones included
/// (`FieldStore.segments`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Segment {
    /// The server's id.
    pub id: String,
    /// The one organization it is limited to; `null` for all organizations.
    pub organization_id: Option<String>,
    /// Its name in the store's locale.
    pub label: String,
    /// Its name in every language the Portal gave, by language tag.
    pub names: HashMap<String, String>,
    /// How often its customers are visited.
    pub visit_frequency: VisitFrequency,
    /// The Portal's description.
    pub description: Option<String>,
    /// The server's version.
    pub version: i64,
    /// When the Portal last changed it.
    pub updated_at: SystemTime,
    /// Deleted in the Portal (a tombstone).
    pub deleted: bool,
}

impl Segment {
    pub(crate) fn new(segment: core::Segment, locale: &LanguageTag) -> Self {
        Segment {
            label: segment.name.resolve(locale, None).to_owned(),
            names: segment
                .name
                .entries()
                .map(|(tag, text)| (tag.as_str().to_owned(), text.to_owned()))
                .collect(),
            organization_id: segment.scope.organization_id().map(str::to_owned),
            id: segment.id,
            visit_frequency: segment.visit_frequency,
            description: segment.description,
            version: segment.version,
            updated_at: segment.updated_at.into(),
            deleted: segment.deleted,
        }
    }
}

// ---------------------------------------------------------------------
// Customers.

/// A customer as the app shows it, for the current session and locale.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Customer {
    /// A UUID made on the device.
    pub id: String,
    /// Its organization (the session's when it was created).
    pub organization_id: String,
    /// The account's name.
    pub name: String,
    /// The status picklist value's id (`PicklistKind.STATUS`).
    pub status_id: Option<String>,
    /// The source picklist value's id.
    pub source_id: Option<String>,
    /// The industry picklist value's id.
    pub industry_id: Option<String>,
    /// The channel picklist value's id.
    pub channel_id: Option<String>,
    /// Its segment, with the label resolved in the store's locale and
    /// whether the Portal has deleted it; `null` without a segment.
    pub segment: Option<SegmentLabel>,
    /// Whether the current session may change the segment: always on a new
    /// customer, only for managers and admins on an existing one. Render the
    /// field read-only when false.
    pub segment_editable: bool,
    /// The last visit, `2026-11-23`.
    pub last_visit: Option<String>,
    /// When it was created (on the device, or in the Portal).
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// The server's version; `null` while the server has not accepted the
    /// customer.
    pub version: Option<i64>,
    /// New on the device: the server has not accepted it yet.
    pub is_new: bool,
}

impl From<core::CustomerView> for Customer {
    fn from(view: core::CustomerView) -> Self {
        let c = view.customer;
        Customer {
            is_new: c.is_new(),
            id: c.id,
            organization_id: c.organization_id,
            name: c.name,
            status_id: c.status_id,
            source_id: c.source_id,
            industry_id: c.industry_id,
            channel_id: c.channel_id,
            segment: view.segment,
            segment_editable: view.segment_editable,
            last_visit: c.last_visit.map(format_date),
            created_at: c.created_at.into(),
            updated_at: c.updated_at.into(),
            version: c.version,
        }
    }
}

/// What the app fills in to create a customer. The organization is the
/// session's; the id and timestamps are made by the store. Any role may set
/// the segment of a new customer.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct CustomerDraft {
    /// Required: at most 200 characters, trimmed.
    pub name: String,
    /// An id from `FieldStore.picklist_options(STATUS)`.
    #[uniffi(default = None)]
    pub status_id: Option<String>,
    /// An id from `FieldStore.picklist_options(SOURCE)`.
    #[uniffi(default = None)]
    pub source_id: Option<String>,
    /// An id from `FieldStore.picklist_options(INDUSTRY)`.
    #[uniffi(default = None)]
    pub industry_id: Option<String>,
    /// An id from `FieldStore.picklist_options(CHANNEL)`.
    #[uniffi(default = None)]
    pub channel_id: Option<String>,
    /// An id from `FieldStore.segment_options()`.
    #[uniffi(default = None)]
    pub segment_id: Option<String>,
    /// `2026-11-23`.
    #[uniffi(default = None)]
    pub last_visit: Option<String>,
}

impl TryFrom<CustomerDraft> for core::CustomerDraft {
    type Error = FieldSyncError;

    fn try_from(d: CustomerDraft) -> Result<Self> {
        Ok(core::CustomerDraft {
            last_visit: d
                .last_visit
                .as_deref()
                .map(|date| parse_date("last_visit", date))
                .transpose()?,
            name: d.name,
            status_id: d.status_id,
            source_id: d.source_id,
            industry_id: d.industry_id,
            channel_id: d.channel_id,
            segment_id: d.segment_id,
        })
    }
}

/// A change to one optional field in a `CustomerUpdate`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum FieldChange {
    /// Give the field this value (an id, or a date as `2026-11-23`).
    Set {
        /// The new value.
        value: String,
    },
    /// Empty the field.
    Clear,
}

/// A partial update of a customer. Every field is optional: `null` (the
/// default) leaves it as it is. Optional fields take a `FieldChange`:
/// `Set(value)` or `Clear`. The name can be set but not cleared.
///
/// Kotlin: `CustomerUpdate(segmentId = FieldChange.Set("seg-retail"))`,
/// Swift: `CustomerUpdate(segmentId: .set(value: "seg-retail"))`.
///
/// Sending the value a field already has is not a change, so a form can
/// send every field it shows.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct CustomerUpdate {
    /// A new name (it cannot be cleared).
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// A status picklist value id, or `Clear`.
    #[uniffi(default = None)]
    pub status_id: Option<FieldChange>,
    /// A source picklist value id, or `Clear`.
    #[uniffi(default = None)]
    pub source_id: Option<FieldChange>,
    /// An industry picklist value id, or `Clear`.
    #[uniffi(default = None)]
    pub industry_id: Option<FieldChange>,
    /// A channel picklist value id, or `Clear`.
    #[uniffi(default = None)]
    pub channel_id: Option<FieldChange>,
    /// Technicians get `SegmentReadOnly` for a change on an existing customer.
    #[uniffi(default = None)]
    pub segment_id: Option<FieldChange>,
    /// `Set("2026-11-23")` or `Clear`.
    #[uniffi(default = None)]
    pub last_visit: Option<FieldChange>,
}

fn text_change(change: Option<FieldChange>) -> Option<Option<String>> {
    change.map(|c| match c {
        FieldChange::Set { value } => Some(value),
        FieldChange::Clear => None,
    })
}

impl TryFrom<CustomerUpdate> for core::CustomerUpdate {
    type Error = FieldSyncError;

    fn try_from(u: CustomerUpdate) -> Result<Self> {
        Ok(core::CustomerUpdate {
            last_visit: text_change(u.last_visit)
                .map(|date| {
                    date.as_deref()
                        .map(|d| parse_date("last_visit", d))
                        .transpose()
                })
                .transpose()?,
            name: u.name,
            status_id: text_change(u.status_id),
            source_id: text_change(u.source_id),
            industry_id: text_change(u.industry_id),
            channel_id: text_change(u.channel_id),
            segment_id: text_change(u.segment_id),
        })
    }
}

/// Which customers a list shows, by segment (`CustomerQuery.segment`; no
/// filter shows every customer).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SegmentFilter {
    /// Customers without a segment.
    WithoutSegment,
    /// Customers of one segment.
    InSegment {
        /// The segment's id.
        segment_id: String,
    },
}

/// A customer list request: search by name (ignoring case and accents),
/// filter by segment, one page at a time, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CustomerQuery {
    /// Part of the name (`bak` finds `Bakkerij`, `ecole` finds `École`).
    #[uniffi(default = None)]
    pub search: Option<String>,
    /// `null` (the default): customers of every segment and none.
    #[uniffi(default = None)]
    pub segment: Option<SegmentFilter>,
    /// Page size, 1 to 500.
    #[uniffi(default = 50)]
    pub limit: u32,
    /// Customers to skip.
    #[uniffi(default = 0)]
    pub offset: u32,
}

impl From<CustomerQuery> for fieldsync_core::store::CustomerQuery {
    fn from(q: CustomerQuery) -> Self {
        fieldsync_core::store::CustomerQuery {
            search: q.search,
            segment: match q.segment {
                None => fieldsync_core::store::SegmentFilter::Any,
                Some(SegmentFilter::WithoutSegment) => {
                    fieldsync_core::store::SegmentFilter::Without
                }
                Some(SegmentFilter::InSegment { segment_id }) => {
                    fieldsync_core::store::SegmentFilter::Is(segment_id)
                }
            },
            limit: q.limit,
            offset: q.offset,
        }
    }
}

/// One page of customers, and how many match in all.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CustomerPage {
    /// This page, sorted by name.
    pub customers: Vec<Customer>,
    /// Matches over all pages.
    pub total: u64,
}

impl From<fieldsync_core::store::CustomerPage> for CustomerPage {
    fn from(page: fieldsync_core::store::CustomerPage) -> Self {
        CustomerPage {
            customers: page.customers.into_iter().map(Customer::from).collect(),
            total: page.total,
        }
    }
}

/// A customer due for a visit.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DueVisit {
    /// The customer to visit.
    pub customer: Customer,
    /// Its segment's visit frequency.
    pub visit_frequency: VisitFrequency,
    /// Last visit plus the frequency (`2026-11-23`); `null` when never
    /// visited.
    pub due_on: Option<String>,
}

impl From<core::DueVisit> for DueVisit {
    fn from(d: core::DueVisit) -> Self {
        DueVisit {
            customer: d.customer.into(),
            visit_frequency: d.visit_frequency,
            due_on: d.due_on.map(format_date),
        }
    }
}

/// How many customers carry a segment.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SegmentCount {
    /// `null`: customers without a segment.
    pub segment: Option<SegmentLabel>,
    /// How many customers (not deleted) carry it.
    pub count: u64,
}

impl From<core::SegmentCount> for SegmentCount {
    fn from(c: core::SegmentCount) -> Self {
        SegmentCount {
            segment: c.segment,
            count: c.count,
        }
    }
}

// ---------------------------------------------------------------------
// Local changes and conflicts.

/// A local change the server has not accepted: waiting for upload, or set
/// aside because the server refused it (then `rejection` says why).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PendingChange {
    /// Position in the upload queue.
    pub seq: i64,
    /// The change's unique id (the server's idempotency key).
    pub mutation_id: String,
    /// What it changes (`customer`).
    pub entity: String,
    /// The id of the customer it changes.
    pub entity_id: String,
    /// Create or update.
    pub operation: OutboxOperation,
    /// The changed fields and their new values (`null`: cleared).
    pub changes: HashMap<String, Option<String>>,
    /// The server version the change was made on; `null` for a customer
    /// the server had not accepted yet.
    pub base_version: Option<i64>,
    /// When the change was made.
    pub created_at: SystemTime,
    /// Upload attempts that got no answer.
    pub attempts: u32,
    /// Set aside: the server refused the change for good, for this reason.
    /// The customer shows the server's values again.
    pub rejection: Option<Rejection>,
}

impl From<fieldsync_core::store::OutboxEntry> for PendingChange {
    fn from(e: fieldsync_core::store::OutboxEntry) -> Self {
        PendingChange {
            seq: e.seq,
            mutation_id: e.mutation_id,
            entity: e.entity,
            entity_id: e.entity_id,
            operation: e.operation,
            changes: e
                .changes
                .into_iter()
                .map(|(field, value)| (field, json_text(value)))
                .collect(),
            base_version: e.base_version,
            created_at: e.created_at.into(),
            attempts: e.attempts,
            rejection: e.rejection,
        }
    }
}

/// A field of a local change that lost to an office edit of the same field:
/// the server kept its value and the device shows it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncConflict {
    /// The local change that lost the field.
    pub mutation_id: String,
    /// The customer it changed.
    pub customer_id: String,
    /// The field (`segment_id`, `name`, ...).
    pub field: String,
    /// What the device had sent.
    pub local_value: Option<String>,
    /// What the server kept.
    pub server_value: Option<String>,
    /// When the device learnt of it.
    pub resolved_at: SystemTime,
}

impl From<fieldsync_core::sync::state::ConflictRecord> for SyncConflict {
    fn from(c: fieldsync_core::sync::state::ConflictRecord) -> Self {
        SyncConflict {
            mutation_id: c.mutation_id,
            customer_id: c.customer_id,
            field: c.field,
            local_value: json_text(c.local_value),
            server_value: json_text(c.server_value),
            resolved_at: c.resolved_at.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_8601_only() {
        assert_eq!(
            parse_date("d", "2026-11-23").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        for bad in [
            "2026-1-23",
            "23/11/2026",
            "2026-02-30",
            "2026-11-23T10:00",
            "",
            "+2026-11-2",
            "２０２６-11-23",
        ] {
            assert_eq!(
                parse_date("last_visit", bad),
                Err(FieldSyncError::Validation {
                    field: "last_visit".into(),
                    reason: "is malformed".into()
                }),
                "{bad}"
            );
        }
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()),
            "2026-01-05"
        );
    }

    #[test]
    fn locales_are_checked() {
        assert_eq!(parse_locale("nl_be").unwrap().as_str(), "nl-BE");
        assert_eq!(
            parse_locale(" "),
            Err(FieldSyncError::Validation {
                field: "locale".into(),
                reason: "must not be blank".into()
            })
        );
    }

    #[test]
    fn an_update_keeps_sets_and_clears() {
        let update = CustomerUpdate {
            name: Some("New".into()),
            segment_id: Some(FieldChange::Set {
                value: "seg-retail".into(),
            }),
            channel_id: Some(FieldChange::Clear),
            last_visit: Some(FieldChange::Set {
                value: "2026-11-01".into(),
            }),
            ..Default::default()
        };
        let core: core::CustomerUpdate = update.try_into().unwrap();
        assert_eq!(
            core,
            core::CustomerUpdate {
                name: Some("New".into()),
                segment_id: Some(Some("seg-retail".into())),
                channel_id: Some(None),
                last_visit: Some(Some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())),
                ..Default::default()
            }
        );
        let cleared: core::CustomerUpdate = CustomerUpdate {
            last_visit: Some(FieldChange::Clear),
            ..Default::default()
        }
        .try_into()
        .unwrap();
        assert_eq!(cleared.last_visit, Some(None));
        assert_eq!(cleared.status_id, None, "absent fields are kept");

        let bad = core::CustomerUpdate::try_from(CustomerUpdate {
            last_visit: Some(FieldChange::Set {
                value: "yesterday".into(),
            }),
            ..Default::default()
        });
        assert_eq!(
            bad,
            Err(FieldSyncError::Validation {
                field: "last_visit".into(),
                reason: "is malformed".into()
            })
        );
    }

    #[test]
    fn a_draft_reads_its_date() {
        let draft: core::CustomerDraft = CustomerDraft {
            name: "Bakery".into(),
            segment_id: Some("seg-retail".into()),
            last_visit: Some("2026-11-23".into()),
            ..Default::default()
        }
        .try_into()
        .unwrap();
        assert_eq!(draft.last_visit, NaiveDate::from_ymd_opt(2026, 11, 23));
        assert_eq!(draft.segment_id.as_deref(), Some("seg-retail"));
    }

    #[test]
    fn json_values_become_text() {
        assert_eq!(json_text(Value::Null), None);
        assert_eq!(json_text(Value::String("a".into())), Some("a".into()));
        assert_eq!(json_text(serde_json::json!(3)), Some("3".into()));
    }
}
