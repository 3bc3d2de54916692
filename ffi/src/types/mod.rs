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
use fieldsync_core::protocol::Rejection;
use serde_json::Value;

use crate::error::{FieldSyncError, Result};

// ---------------------------------------------------------------------
// Core's own types, carried as they are.

pub use fieldsync_core::model::{
    PicklistKind, PicklistOption, Role, SegmentLabel, SegmentOption, Session, VisitFrequency,
};
pub use fieldsync_core::protocol::{EntityKind, MutationOperation, RejectionCode};

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

/// What a local change does: create or update a customer, or put a
/// customer in or take one out of a static customer segment.
#[uniffi::remote(Enum)]
pub enum MutationOperation {
    /// A customer made on the device.
    Create,
    /// Changed fields of a customer.
    Update,
    /// A manager or admin put a customer in a static customer segment
    /// (`FieldStore.add_to_customer_segment`).
    AddMember,
    /// A manager or admin took a customer out of a static customer segment
    /// (`FieldStore.remove_from_customer_segment`).
    RemoveMember,
    /// Never made on the device (the server's name for an operation it
    /// does not know).
    Unknown,
}

/// What a local change changes.
#[uniffi::remote(Enum)]
pub enum EntityKind {
    /// A customer account (`entity_id` is the customer's id).
    Customer,
    /// A membership of a static customer segment (`entity_id` is
    /// `<segment id>/<customer id>`).
    CustomerSegmentMember,
    /// Never made on the device (the server's name for an entity it does
    /// not know).
    Unknown,
}

/// The kind of a server's refusal, for the app to act on.
#[uniffi::remote(Enum)]
pub enum RejectionCode {
    /// The user's role may not make this change.
    Permission,
    /// A value is not valid (`Rejection.field` names it).
    Validation,
    /// A segment or picklist value that is unknown, deleted or out of scope.
    UnknownReference,
    /// The customer or customer segment does not exist for this user.
    NotFound,
    /// A kind this version does not know (from a newer server).
    Other,
}

/// Why the server refused a local change for good.
#[uniffi::remote(Record)]
pub struct Rejection {
    /// The kind of refusal.
    pub code: RejectionCode,
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
pub(super) fn json_text(value: Value) -> Option<String> {
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

mod changes;
mod customer_segments;
mod customers;

pub use changes::*;
pub use customer_segments::*;
pub use customers::*;
