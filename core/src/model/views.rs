//! What the app's screens show: customers with their resolved segment and
//! whether the session may change it, counts and due visits.

use chrono::NaiveDate;

use super::{Customer, VisitFrequency};

/// A customer's segment as the screen shows it. `label` is `None` when the
/// segment has not reached this device (yet); `deleted` when the Portal has
/// deleted it since it was assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentLabel {
    pub id: String,
    pub label: Option<String>,
    pub deleted: bool,
}

/// A customer as the app shows it, for the current session and locale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerView {
    pub customer: Customer,
    pub segment: Option<SegmentLabel>,
    /// Whether the current session may change the segment: always on a new
    /// customer, only for managers and admins on an existing one.
    pub segment_editable: bool,
}

/// How many customers carry a segment (`segment` `None`: no segment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentCount {
    pub segment: Option<SegmentLabel>,
    pub count: u64,
}

/// A customer due for a visit: `due_on` is last visit plus the segment's
/// frequency, `None` when the customer was never visited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueVisit {
    pub customer: CustomerView,
    pub visit_frequency: VisitFrequency,
    pub due_on: Option<NaiveDate>,
}
