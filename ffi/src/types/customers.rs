//! Customers as apps see them, and the drafts, updates and queries they send.

use std::time::SystemTime;

use fieldsync_core::model::{self as core};

use super::*;
use crate::error::{FieldSyncError, Result};

// ---------------------------------------------------------------------
// Customers.

/// A customer as the app shows it, for the current session and locale.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CustomerView {
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

impl From<core::CustomerView> for CustomerView {
    fn from(view: core::CustomerView) -> Self {
        let c = view.customer;
        CustomerView {
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
    pub customers: Vec<CustomerView>,
    /// Matches over all pages.
    pub total: u64,
}

impl From<fieldsync_core::store::CustomerPage> for CustomerPage {
    fn from(page: fieldsync_core::store::CustomerPage) -> Self {
        CustomerPage {
            customers: page.customers.into_iter().map(CustomerView::from).collect(),
            total: page.total,
        }
    }
}

/// A customer due for a visit.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DueVisit {
    /// The customer to visit.
    pub customer: CustomerView,
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
