//! Customer accounts, created and edited on the device.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PicklistKind, required_text, validate_id};
use crate::error::{Error, Result, ValidationReason};

pub const MAX_CUSTOMER_NAME_CHARS: usize = 200;

/// A customer account. `id` is a UUID made on the device, so customers can be
/// created offline; `version` is the server's and stays `None` until the
/// server has accepted the customer. Until then the customer is *new*.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub status_id: Option<String>,
    pub source_id: Option<String>,
    pub industry_id: Option<String>,
    pub channel_id: Option<String>,
    pub segment_id: Option<String>,
    pub last_visit: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: Option<i64>,
}

/// The fields of a customer that can be edited, and travel in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CustomerField {
    OrganizationId,
    Name,
    StatusId,
    SourceId,
    IndustryId,
    ChannelId,
    SegmentId,
    LastVisit,
}

impl CustomerField {
    pub const ALL: [CustomerField; 8] = [
        Self::OrganizationId,
        Self::Name,
        Self::StatusId,
        Self::SourceId,
        Self::IndustryId,
        Self::ChannelId,
        Self::SegmentId,
        Self::LastVisit,
    ];

    /// The field's name on the wire and in the outbox.
    pub fn code(self) -> &'static str {
        match self {
            Self::OrganizationId => "organization_id",
            Self::Name => "name",
            Self::StatusId => "status_id",
            Self::SourceId => "source_id",
            Self::IndustryId => "industry_id",
            Self::ChannelId => "channel_id",
            Self::SegmentId => "segment_id",
            Self::LastVisit => "last_visit",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The picklist a reference field points into (`None` for the segment
    /// and non-reference fields).
    pub fn picklist_kind(self) -> Option<PicklistKind> {
        PicklistKind::ALL
            .into_iter()
            .find(|k| Self::for_picklist(*k) == self)
    }

    /// The fields that reference the catalogue.
    pub const REFERENCES: [CustomerField; 5] = [
        Self::SegmentId,
        Self::StatusId,
        Self::SourceId,
        Self::IndustryId,
        Self::ChannelId,
    ];

    pub fn for_picklist(kind: PicklistKind) -> Self {
        match kind {
            PicklistKind::Status => Self::StatusId,
            PicklistKind::Source => Self::SourceId,
            PicklistKind::Industry => Self::IndustryId,
            PicklistKind::Channel => Self::ChannelId,
        }
    }
}

impl Customer {
    /// New on the device: the server has not accepted it yet.
    pub fn is_new(&self) -> bool {
        self.version.is_none()
    }

    pub fn classification(&self, kind: PicklistKind) -> Option<&str> {
        match kind {
            PicklistKind::Status => self.status_id.as_deref(),
            PicklistKind::Source => self.source_id.as_deref(),
            PicklistKind::Industry => self.industry_id.as_deref(),
            PicklistKind::Channel => self.channel_id.as_deref(),
        }
    }

    /// A field's value as it travels in the outbox.
    pub fn field_value(&self, field: CustomerField) -> Value {
        let opt = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()));
        match field {
            CustomerField::OrganizationId => Value::String(self.organization_id.clone()),
            CustomerField::Name => Value::String(self.name.clone()),
            CustomerField::StatusId => opt(&self.status_id),
            CustomerField::SourceId => opt(&self.source_id),
            CustomerField::IndustryId => opt(&self.industry_id),
            CustomerField::ChannelId => opt(&self.channel_id),
            CustomerField::SegmentId => opt(&self.segment_id),
            CustomerField::LastVisit => self.last_visit.map_or(Value::Null, |d| {
                Value::String(d.format("%Y-%m-%d").to_string())
            }),
        }
    }

    /// Copies one field's value from `other`.
    pub fn copy_field(&mut self, other: &Customer, field: CustomerField) {
        match field {
            CustomerField::OrganizationId => {
                self.organization_id.clone_from(&other.organization_id)
            }
            CustomerField::Name => self.name.clone_from(&other.name),
            CustomerField::StatusId => self.status_id.clone_from(&other.status_id),
            CustomerField::SourceId => self.source_id.clone_from(&other.source_id),
            CustomerField::IndustryId => self.industry_id.clone_from(&other.industry_id),
            CustomerField::ChannelId => self.channel_id.clone_from(&other.channel_id),
            CustomerField::SegmentId => self.segment_id.clone_from(&other.segment_id),
            CustomerField::LastVisit => self.last_visit = other.last_visit,
        }
    }

    /// The given fields and their values, as a JSON object.
    pub fn changes(&self, fields: &[CustomerField]) -> serde_json::Map<String, Value> {
        fields
            .iter()
            .map(|f| (f.code().to_owned(), self.field_value(*f)))
            .collect()
    }
}

/// What the app fills in to create a customer. The organization is the
/// session's; the id and timestamps are made by the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerDraft {
    pub name: String,
    pub status_id: Option<String>,
    pub source_id: Option<String>,
    pub industry_id: Option<String>,
    pub channel_id: Option<String>,
    pub segment_id: Option<String>,
    pub last_visit: Option<NaiveDate>,
}

impl CustomerDraft {
    pub fn named(name: impl Into<String>) -> Self {
        CustomerDraft {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The customer this draft describes, validated for shape (references
    /// are checked by the store, which knows the catalogue).
    pub fn into_customer(
        self,
        id: String,
        organization_id: String,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let customer = Customer {
            id,
            organization_id,
            name: required_text("name", &self.name, MAX_CUSTOMER_NAME_CHARS)?,
            status_id: self.status_id,
            source_id: self.source_id,
            industry_id: self.industry_id,
            channel_id: self.channel_id,
            segment_id: self.segment_id,
            last_visit: self.last_visit,
            created_at: now,
            updated_at: now,
            version: None,
        };
        validate_references(&customer)?;
        Ok(customer)
    }
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears an
/// optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerUpdate {
    pub name: Option<String>,
    pub status_id: Option<Option<String>>,
    pub source_id: Option<Option<String>>,
    pub industry_id: Option<Option<String>>,
    pub channel_id: Option<Option<String>>,
    pub segment_id: Option<Option<String>>,
    pub last_visit: Option<Option<NaiveDate>>,
}

impl CustomerUpdate {
    /// The customer after this update, and the fields whose value actually
    /// changed (sending the value a field already has is not a change).
    pub fn apply_to(
        &self,
        current: &Customer,
        now: DateTime<Utc>,
    ) -> Result<(Customer, Vec<CustomerField>)> {
        let mut next = current.clone();
        if let Some(name) = &self.name {
            next.name = required_text("name", name, MAX_CUSTOMER_NAME_CHARS)?;
        }
        let set = |slot: &mut Option<String>, value: &Option<Option<String>>| {
            if let Some(v) = value {
                slot.clone_from(v);
            }
        };
        set(&mut next.status_id, &self.status_id);
        set(&mut next.source_id, &self.source_id);
        set(&mut next.industry_id, &self.industry_id);
        set(&mut next.channel_id, &self.channel_id);
        set(&mut next.segment_id, &self.segment_id);
        if let Some(v) = self.last_visit {
            next.last_visit = v;
        }
        validate_references(&next)?;
        let changed: Vec<_> = CustomerField::ALL
            .into_iter()
            .filter(|f| next.field_value(*f) != current.field_value(*f))
            .collect();
        if !changed.is_empty() {
            next.updated_at = now;
        }
        Ok((next, changed))
    }
}

impl CustomerUpdate {
    /// Reads an update from the outbox/wire form: a JSON object of field
    /// codes to values (`null` clears). Unknown fields and values of the
    /// wrong type are validation errors naming the field. `organization_id`
    /// is not editable and is refused.
    pub fn from_changes(changes: &serde_json::Map<String, Value>) -> Result<Self> {
        let mut update = CustomerUpdate::default();
        for (code, value) in changes {
            let field = CustomerField::from_code(code)
                .filter(|f| *f != CustomerField::OrganizationId)
                .ok_or_else(|| {
                    Error::invalid(format!("changes.{code}"), ValidationReason::UnknownCode)
                })?;
            let text = || -> Result<Option<String>> {
                match value {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s.clone())),
                    _ => Err(Error::invalid(code.as_str(), ValidationReason::Malformed)),
                }
            };
            match field {
                CustomerField::OrganizationId => unreachable!("filtered above"),
                CustomerField::Name => {
                    update.name = Some(
                        text()?.ok_or_else(|| Error::invalid("name", ValidationReason::Blank))?,
                    )
                }
                CustomerField::StatusId => update.status_id = Some(text()?),
                CustomerField::SourceId => update.source_id = Some(text()?),
                CustomerField::IndustryId => update.industry_id = Some(text()?),
                CustomerField::ChannelId => update.channel_id = Some(text()?),
                CustomerField::SegmentId => update.segment_id = Some(text()?),
                CustomerField::LastVisit => {
                    update.last_visit = Some(
                        text()?
                            .map(|d| d.parse::<NaiveDate>())
                            .transpose()
                            .map_err(|_| {
                                Error::invalid("last_visit", ValidationReason::Malformed)
                            })?,
                    )
                }
            }
        }
        Ok(update)
    }
}

impl CustomerDraft {
    /// Reads a create from the outbox/wire form (see
    /// [`CustomerUpdate::from_changes`]); `organization_id` is returned
    /// apart, as the server decides whether it may be used.
    pub fn from_changes(
        changes: &serde_json::Map<String, Value>,
    ) -> Result<(Self, Option<String>)> {
        let mut rest = changes.clone();
        let organization_id = match rest.remove("organization_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                return Err(Error::invalid(
                    "organization_id",
                    ValidationReason::Malformed,
                ));
            }
        };
        let u = CustomerUpdate::from_changes(&rest)?;
        let draft = CustomerDraft {
            name: u.name.unwrap_or_default(),
            status_id: u.status_id.flatten(),
            source_id: u.source_id.flatten(),
            industry_id: u.industry_id.flatten(),
            channel_id: u.channel_id.flatten(),
            segment_id: u.segment_id.flatten(),
            last_visit: u.last_visit.flatten(),
        };
        Ok((draft, organization_id))
    }
}

fn validate_references(c: &Customer) -> Result<()> {
    validate_reference_ids([
        ("status_id", &c.status_id),
        ("source_id", &c.source_id),
        ("industry_id", &c.industry_id),
        ("channel_id", &c.channel_id),
        ("segment_id", &c.segment_id),
    ])
}

pub(super) fn validate_reference_ids(ids: [(&str, &Option<String>); 5]) -> Result<()> {
    for (field, id) in ids {
        if let Some(id) = id {
            validate_id(field, id)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RemoteCustomer;

    fn now() -> DateTime<Utc> {
        "2026-11-23T10:00:00Z".parse().unwrap()
    }

    fn customer() -> Customer {
        CustomerDraft {
            name: " Bakery Janssens ".into(),
            segment_id: Some("seg-retail".into()),
            ..Default::default()
        }
        .into_customer("c1".into(), "org-north".into(), now())
        .unwrap()
    }

    #[test]
    fn drafts_are_trimmed_and_new() {
        let c = customer();
        assert_eq!(c.name, "Bakery Janssens");
        assert!(c.is_new());
    }

    #[test]
    fn drafts_reject_blank_names_and_bad_ids() {
        let err = CustomerDraft::named("  ")
            .into_customer("c".into(), "o".into(), now())
            .unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, reason: ValidationReason::Blank } if field == "name")
        );
        let err = CustomerDraft {
            name: "A".into(),
            channel_id: Some("".into()),
            ..Default::default()
        }
        .into_customer("c".into(), "o".into(), now())
        .unwrap_err();
        assert!(matches!(err, Error::Validation { ref field, .. } if field == "channel_id"));
        let err = CustomerDraft::named("x".repeat(201))
            .into_customer("c".into(), "o".into(), now())
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Validation {
                reason: ValidationReason::TooLong { max_chars: 200 },
                ..
            }
        ));
    }

    #[test]
    fn an_update_reports_only_real_changes() {
        let c = customer();
        let later: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        let same = CustomerUpdate {
            name: Some("Bakery Janssens  ".into()),
            segment_id: Some(Some("seg-retail".into())),
            ..Default::default()
        };
        let (next, changed) = same.apply_to(&c, later).unwrap();
        assert!(changed.is_empty());
        assert_eq!(next, c, "no change, no new timestamp");

        let real = CustomerUpdate {
            segment_id: Some(None),
            last_visit: Some(Some("2026-11-01".parse().unwrap())),
            ..Default::default()
        };
        let (next, changed) = real.apply_to(&c, later).unwrap();
        assert_eq!(
            changed,
            [CustomerField::SegmentId, CustomerField::LastVisit]
        );
        assert_eq!(next.updated_at, later);
        let changes = next.changes(&changed);
        assert_eq!(
            serde_json::Value::Object(changes),
            serde_json::json!({"segment_id": null, "last_visit": "2026-11-01"})
        );
    }

    #[test]
    fn changes_round_trip_through_the_wire_form() {
        let c = customer();
        let (draft, org) = CustomerDraft::from_changes(&c.changes(&CustomerField::ALL)).unwrap();
        assert_eq!(org.as_deref(), Some("org-north"));
        let again = draft
            .into_customer(c.id.clone(), "org-north".into(), now())
            .unwrap();
        assert_eq!(again, c);

        let json =
            serde_json::json!({"segment_id": null, "last_visit": "2026-11-01", "name": "New"});
        let u = CustomerUpdate::from_changes(json.as_object().unwrap()).unwrap();
        assert_eq!(u.segment_id, Some(None));
        assert_eq!(u.last_visit, Some(Some("2026-11-01".parse().unwrap())));
        assert_eq!(u.name.as_deref(), Some("New"));
        assert_eq!(u.status_id, None);
    }

    #[test]
    fn bad_wire_changes_name_the_field() {
        let field =
            |json: serde_json::Value| match CustomerUpdate::from_changes(json.as_object().unwrap())
            {
                Err(Error::Validation { field, reason }) => (field, reason),
                other => panic!("{other:?}"),
            };
        assert_eq!(
            field(serde_json::json!({"password": "x"})),
            ("changes.password".into(), ValidationReason::UnknownCode)
        );
        assert_eq!(
            field(serde_json::json!({"organization_id": "o"})),
            (
                "changes.organization_id".into(),
                ValidationReason::UnknownCode
            )
        );
        assert_eq!(
            field(serde_json::json!({"segment_id": 3})),
            ("segment_id".into(), ValidationReason::Malformed)
        );
        assert_eq!(
            field(serde_json::json!({"last_visit": "23/11/2026"})),
            ("last_visit".into(), ValidationReason::Malformed)
        );
        assert_eq!(
            field(serde_json::json!({"name": null})),
            ("name".into(), ValidationReason::Blank)
        );
    }

    #[test]
    fn reference_fields_know_their_list() {
        assert_eq!(
            CustomerField::StatusId.picklist_kind(),
            Some(PicklistKind::Status)
        );
        assert_eq!(
            CustomerField::ChannelId.picklist_kind(),
            Some(PicklistKind::Channel)
        );
        assert_eq!(CustomerField::SegmentId.picklist_kind(), None);
        assert_eq!(CustomerField::Name.picklist_kind(), None);
        let c = customer();
        assert_eq!(
            RemoteCustomer::from_customer(&c, 3, false).into_customer(),
            Customer {
                version: Some(3),
                ..c
            }
        );
    }

    #[test]
    fn field_codes_round_trip() {
        for f in CustomerField::ALL {
            assert_eq!(CustomerField::from_code(f.code()), Some(f));
        }
        assert_eq!(CustomerField::from_code("password"), None);
    }
}
