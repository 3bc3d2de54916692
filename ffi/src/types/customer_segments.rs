//! Customer segments (groups of customers, static or defined by
//! conditions evaluated on the device) and the customer profiles and
//! purchase figures their conditions test. Read-only on the device, except
//! for managers' and admins' edits of static segments.

use std::time::SystemTime;

use fieldsync_core::model::profile as core_profile;
use fieldsync_core::store as core_store;

use super::*;

// ---------------------------------------------------------------------
// Core's own types, carried as they are.

pub use fieldsync_core::model::CustomerSegmentKind;
pub use fieldsync_core::model::profile::{CampaignReceipt, ConsentKind, EventKind, Loyalty};
pub use fieldsync_core::store::{
    CustomerSegmentMember, CustomerSegmentMemberPage, CustomerSegmentRefresh,
    CustomerSegmentTagCount,
};

/// How a customer segment gets its members.
#[uniffi::remote(Enum)]
pub enum CustomerSegmentKind {
    /// Members are put in and taken out explicitly (by marketing
    /// automation in the Portal, or by a manager or admin on the device with
    /// `FieldStore.add_to_customer_segment`).
    Static,
    /// Defined by conditions (`CustomerSegmentView.criteria`), evaluated on the
    /// device; members cannot be put in or taken out by hand.
    Conditional,
}

/// One member of a customer segment.
#[uniffi::remote(Record)]
pub struct CustomerSegmentMember {
    /// The customer's id (`FieldStore.customer(id)` gives the rest).
    pub customer_id: String,
    /// The customer's name.
    pub name: String,
}

/// One page of a customer segment's members, sorted by name, and how many
/// there are in all.
#[uniffi::remote(Record)]
pub struct CustomerSegmentMemberPage {
    /// This page, sorted by name.
    pub members: Vec<CustomerSegmentMember>,
    /// Members over all pages.
    pub total: u64,
}

/// A tag of customer segments and how many segments carry it.
#[uniffi::remote(Record)]
pub struct CustomerSegmentTagCount {
    /// The tag, as the Portal spells it.
    pub tag: String,
    /// How many of the session's customer segments carry it.
    pub segments: u64,
}

/// What an evaluation of the conditional customer segments did (also in
/// `SyncReport.customer_segment_refresh`: each sync run ends with one).
#[uniffi::remote(Record)]
pub struct CustomerSegmentRefresh {
    /// Segments evaluated over all customers (a new or changed definition,
    /// a snapshot taken again).
    pub full_evaluations: u32,
    /// (segment, customer) pairs evaluated one by one (flexi segments
    /// following changed customers).
    pub customer_evaluations: u64,
    /// Memberships that appeared or disappeared (0: no member list changed,
    /// nothing to refresh on screen).
    pub membership_changes: u64,
    /// Ids of segments left without members because their conditions
    /// include themselves through other segments.
    pub cyclic: Vec<String>,
}

/// A channel a customer can consent to being contacted through.
#[uniffi::remote(Enum)]
pub enum ConsentKind {
    /// E-mail (`email`).
    Email,
    /// Text messages (`sms`).
    Sms,
    /// Phone calls (`phone`).
    Phone,
    /// Letters (`post`).
    Post,
}

/// Something that happened with a customer.
#[uniffi::remote(Enum)]
pub enum EventKind {
    /// A visit (`visit`).
    Visit,
    /// A complaint (`complaint`).
    Complaint,
    /// The customer attended an event (`event_attended`).
    EventAttended,
}

/// The customer's membership of the loyalty programme.
#[uniffi::remote(Record)]
pub struct Loyalty {
    /// Whether the customer is a member.
    pub member: bool,
    /// The tier (`gold`, ...), when the programme has tiers.
    pub tier: Option<String>,
    /// The points balance.
    pub points: i64,
}

/// What happened with one earlier e-mail campaign.
#[uniffi::remote(Record)]
pub struct CampaignReceipt {
    /// The campaign's id in the Portal.
    pub campaign_id: String,
    /// The e-mail reached the customer.
    pub received: bool,
    /// The customer opened it.
    pub opened: bool,
    /// The customer clicked a link in it.
    pub clicked: bool,
}

// ---------------------------------------------------------------------
// Customer segments.

/// A customer segment as the app shows it (`FieldStore.customer_segments`).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CustomerSegmentView {
    /// The server's id (`cs-vip`).
    pub id: String,
    /// The one organization it is limited to; `null` for all organizations.
    pub organization_id: Option<String>,
    /// The Portal's name (one language).
    pub name: String,
    /// The Portal's note.
    pub note: Option<String>,
    /// 0 to 1000. Lists come highest first; the highest-priority segment a
    /// customer belongs to is their primary segment.
    pub priority: i64,
    /// Static or conditional.
    pub kind: CustomerSegmentKind,
    /// Conditional only: `true` when the members follow the data as it
    /// changes (re-evaluated on the device after every change); `false`
    /// for a snapshot, taken when the definition arrives or on
    /// `FieldStore.refresh_customer_segment`.
    pub flexi: bool,
    /// The Portal's tags, alphabetically.
    pub tags: Vec<String>,
    /// Conditional only: the conditions as JSON text (see the criteria
    /// documentation, `docs/criteria.md`).
    pub criteria: Option<String>,
    /// How many customers (not deleted) belong to it.
    pub member_count: u64,
    /// Whether the members reflect the current definition: false for a
    /// conditional segment whose new definition has not been evaluated
    /// yet (`FieldStore.refresh_customer_segments` does it; so does each
    /// sync). Always true for a static one.
    pub evaluated: bool,
    /// The day of the last full evaluation (`2026-11-23`); `null` for static
    /// segments and before the first one.
    pub evaluated_on: Option<String>,
}

impl From<core_store::CustomerSegmentView> for CustomerSegmentView {
    fn from(s: core_store::CustomerSegmentView) -> Self {
        CustomerSegmentView {
            organization_id: s.scope.organization_id().map(str::to_owned),
            id: s.id,
            name: s.name,
            note: s.note,
            priority: s.priority,
            kind: s.kind,
            flexi: s.flexi,
            tags: s.tags,
            criteria: s.criteria,
            member_count: s.member_count,
            evaluated: s.evaluated,
            evaluated_on: s.evaluated_on.map(format_date),
        }
    }
}

/// The purchase figures derived from a customer's transactions.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PurchaseSummary {
    /// How many purchases (refunds included).
    pub count: u64,
    /// Total spend in minor units (cents): 1250 is 12.50.
    pub total_spend_minor: i64,
    /// The day of the last purchase (`2026-11-23`).
    pub last_purchase: Option<String>,
    /// RFM recency score, 1 (long ago) to 5 (recent); `null` without
    /// transactions or before the first evaluation after they arrived.
    pub rfm_recency: Option<u8>,
    /// RFM frequency score, 1 to 5.
    pub rfm_frequency: Option<u8>,
    /// RFM monetary score, 1 to 5.
    pub rfm_monetary: Option<u8>,
}

impl From<core_store::PurchaseSummary> for PurchaseSummary {
    fn from(p: core_store::PurchaseSummary) -> Self {
        PurchaseSummary {
            count: p.count,
            total_spend_minor: p.total_spend_minor,
            last_purchase: p.last_purchase.map(format_date),
            rfm_recency: p.rfm_recency,
            rfm_frequency: p.rfm_frequency,
            rfm_monetary: p.rfm_monetary,
        }
    }
}

// ---------------------------------------------------------------------
// Customer profiles.

/// A granted consent and the day it was given.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Consent {
    /// The channel.
    pub kind: ConsentKind,
    /// When it was given (`2026-11-23`).
    pub given_on: String,
}

/// The typed value of a custom attribute.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum AttributeValue {
    /// Text.
    Text {
        /// The text.
        value: String,
    },
    /// A number.
    Number {
        /// The number.
        value: f64,
    },
    /// A calendar date.
    Date {
        /// The date, `2026-11-23`.
        value: String,
    },
    /// Yes or no.
    Boolean {
        /// The value.
        value: bool,
    },
}

/// A custom key/value attribute of a profile (the Portal's "additional
/// details").
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CustomAttribute {
    /// The attribute's key (`shop_size_m2`).
    pub key: String,
    /// Its typed value.
    pub value: AttributeValue,
}

/// Something that happened with a customer, and when.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CustomerEvent {
    /// What happened.
    pub kind: EventKind,
    /// The day (`2026-11-23`).
    pub on: String,
}

/// What the Portal knows about a customer beyond the account fields
/// (`FieldStore.customer_profile`): socio-demographics, consents, loyalty,
/// vouchers, badges, custom attributes, relations, events, audiences and
/// campaigns. Kept by the Portal and read-only on the device; conditional
/// customer segments test it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CustomerProfile {
    /// The customer it describes.
    pub customer_id: String,
    /// `1980-04-12`.
    pub birth_date: Option<String>,
    /// As the Portal records it.
    pub gender: Option<String>,
    /// The city.
    pub city: Option<String>,
    /// The postal code.
    pub postal_code: Option<String>,
    /// The preferred language, a language tag.
    pub language: Option<String>,
    /// Where the contact came from.
    pub contact_source: Option<String>,
    /// The parent account's customer id (account relations).
    pub parent_id: Option<String>,
    /// The customer's home business unit (a store, a branch), as the
    /// Portal's settings of business units name it.
    pub business_unit_id: Option<String>,
    /// The customer's home partner (a franchisee, a reseller).
    pub partner_id: Option<String>,
    /// The consents given, one per channel.
    pub consents: Vec<Consent>,
    /// Membership of the loyalty programme, when known.
    pub loyalty: Option<Loyalty>,
    /// Vouchers the customer can still use.
    pub active_vouchers: i64,
    /// Badge ids.
    pub badges: Vec<String>,
    /// Custom attributes, each key once.
    pub attributes: Vec<CustomAttribute>,
    /// Things that happened with the customer.
    pub events: Vec<CustomerEvent>,
    /// Audiences of earlier campaigns the customer was in.
    pub audiences: Vec<String>,
    /// Earlier e-mail campaigns and what the customer did with them.
    pub campaigns: Vec<CampaignReceipt>,
    /// The server's version.
    pub version: i64,
    /// When the Portal last changed it.
    pub updated_at: SystemTime,
}

impl From<core_profile::AttributeValue> for AttributeValue {
    fn from(v: core_profile::AttributeValue) -> Self {
        match v {
            core_profile::AttributeValue::Text(value) => AttributeValue::Text { value },
            core_profile::AttributeValue::Number(value) => AttributeValue::Number { value },
            core_profile::AttributeValue::Date(date) => AttributeValue::Date {
                value: format_date(date),
            },
            core_profile::AttributeValue::Boolean(value) => AttributeValue::Boolean { value },
        }
    }
}

impl From<core_profile::CustomerProfile> for CustomerProfile {
    fn from(p: core_profile::CustomerProfile) -> Self {
        CustomerProfile {
            customer_id: p.customer_id,
            birth_date: p.birth_date.map(format_date),
            gender: p.gender,
            city: p.city,
            postal_code: p.postal_code,
            language: p.language,
            contact_source: p.contact_source,
            parent_id: p.parent_id,
            business_unit_id: p.business_unit_id,
            partner_id: p.partner_id,
            consents: p
                .consents
                .into_iter()
                .map(|c| Consent {
                    kind: c.kind,
                    given_on: format_date(c.given_on),
                })
                .collect(),
            loyalty: p.loyalty,
            active_vouchers: p.active_vouchers,
            badges: p.badges,
            attributes: p
                .attributes
                .into_iter()
                .map(|a| CustomAttribute {
                    key: a.key,
                    value: a.value.into(),
                })
                .collect(),
            events: p
                .events
                .into_iter()
                .map(|e| CustomerEvent {
                    kind: e.kind,
                    on: format_date(e.on),
                })
                .collect(),
            audiences: p.audiences,
            campaigns: p.campaigns,
            version: p.version,
            updated_at: p.updated_at.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use fieldsync_core::model::OrgScope;
    use fieldsync_core::model::profile as p;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_segment_carries_its_scope_and_dates_as_text() {
        let info = core_store::CustomerSegmentView {
            id: "cs-brno".into(),
            scope: OrgScope::Organization("org-north".into()),
            name: "Buyers in Brno".into(),
            note: None,
            priority: 40,
            kind: CustomerSegmentKind::Conditional,
            flexi: true,
            tags: vec!["city".into()],
            criteria: Some(r#"{"attribute":"city","op":"equals","value":"Brno"}"#.into()),
            member_count: 3,
            evaluated: true,
            evaluated_on: Some(date(2026, 11, 23)),
        };
        let s = CustomerSegmentView::from(info);
        assert_eq!(s.organization_id.as_deref(), Some("org-north"));
        assert_eq!(s.evaluated_on.as_deref(), Some("2026-11-23"));
        assert_eq!(s.kind, CustomerSegmentKind::Conditional);
        assert_eq!(s.member_count, 3);

        let all = CustomerSegmentView::from(core_store::CustomerSegmentView {
            id: "cs-vip".into(),
            scope: OrgScope::All,
            name: "VIP".into(),
            note: Some("hand-picked".into()),
            priority: 50,
            kind: CustomerSegmentKind::Static,
            flexi: false,
            tags: vec![],
            criteria: None,
            member_count: 1,
            evaluated: true,
            evaluated_on: None,
        });
        assert_eq!(all.organization_id, None);
        assert_eq!(all.evaluated_on, None);
    }

    #[test]
    fn a_profile_converts_every_part() {
        let updated: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let profile = p::CustomerProfile {
            customer_id: "cust-1".into(),
            birth_date: Some(date(1980, 4, 12)),
            city: Some("Brno".into()),
            consents: vec![p::Consent {
                kind: ConsentKind::Email,
                given_on: date(2024, 3, 1),
            }],
            loyalty: Some(p::Loyalty {
                member: true,
                tier: Some("gold".into()),
                points: 1200,
            }),
            active_vouchers: 2,
            badges: vec!["early-adopter".into()],
            attributes: vec![
                p::CustomAttribute {
                    key: "size".into(),
                    value: p::AttributeValue::Number(120.5),
                },
                p::CustomAttribute {
                    key: "day".into(),
                    value: p::AttributeValue::Text("monday".into()),
                },
                p::CustomAttribute {
                    key: "founded".into(),
                    value: p::AttributeValue::Date(date(2019, 5, 1)),
                },
                p::CustomAttribute {
                    key: "workshop".into(),
                    value: p::AttributeValue::Boolean(true),
                },
            ],
            events: vec![p::CustomerEvent {
                kind: EventKind::EventAttended,
                on: date(2026, 11, 1),
            }],
            campaigns: vec![p::CampaignReceipt {
                campaign_id: "camp-1".into(),
                received: true,
                opened: true,
                clicked: false,
            }],
            version: 3,
            updated_at: updated,
            ..p::CustomerProfile::empty("cust-1")
        };
        let ffi = CustomerProfile::from(profile);
        assert_eq!(ffi.birth_date.as_deref(), Some("1980-04-12"));
        assert_eq!(
            ffi.consents,
            [Consent {
                kind: ConsentKind::Email,
                given_on: "2024-03-01".into()
            }]
        );
        assert_eq!(ffi.loyalty.as_ref().unwrap().tier.as_deref(), Some("gold"));
        assert_eq!(
            ffi.attributes
                .iter()
                .map(|a| a.value.clone())
                .collect::<Vec<_>>(),
            [
                AttributeValue::Number { value: 120.5 },
                AttributeValue::Text {
                    value: "monday".into()
                },
                AttributeValue::Date {
                    value: "2019-05-01".into()
                },
                AttributeValue::Boolean { value: true },
            ]
        );
        assert_eq!(ffi.events[0].on, "2026-11-01");
        assert_eq!(ffi.campaigns[0].campaign_id, "camp-1");
        assert_eq!(ffi.updated_at, SystemTime::from(updated));
        assert_eq!(ffi.version, 3);
    }

    #[test]
    fn a_purchase_summary_gives_its_day_as_text() {
        let summary = PurchaseSummary::from(core_store::PurchaseSummary {
            count: 2,
            total_spend_minor: 3825,
            last_purchase: Some(date(2026, 11, 2)),
            rfm_recency: Some(5),
            rfm_frequency: Some(3),
            rfm_monetary: None,
        });
        assert_eq!(summary.last_purchase.as_deref(), Some("2026-11-02"));
        assert_eq!(summary.total_spend_minor, 3825);
    }
}

/// A customer's open shopping cart (`FieldStore.customer_cart`), as the
/// Portal sent it; the shopping cart criteria test it. Read-only on the
/// device.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Cart {
    /// The customer whose cart it is.
    pub customer_id: String,
    /// The value of the items, in the currency's major unit (59.90).
    pub value: f64,
    /// The number of items.
    pub items: i64,
    /// The day the cart was opened or last changed (`2026-11-23`).
    pub updated_on: String,
    /// The Portal counts it abandoned.
    pub abandoned: bool,
}

impl From<core_profile::Cart> for Cart {
    fn from(c: core_profile::Cart) -> Self {
        Cart {
            customer_id: c.customer_id,
            value: c.value,
            items: c.items,
            updated_on: format_date(c.updated_on),
            abandoned: c.abandoned,
        }
    }
}
