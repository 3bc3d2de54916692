//! What the Portal knows about a customer beyond the account fields the
//! device edits: socio-demographics, consents, loyalty, vouchers, badges,
//! custom attributes, relations, events, audiences, campaigns, and the
//! purchase transactions. Kept by the Portal (CRM, loyalty, POS, marketing
//! automation) and synced to the device, where customer segment criteria
//! test them. Read-only on the device.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::validate_id;
use crate::error::{Error, Result, ValidationReason};

/// Most entries of one list of a profile (badges, events, ...).
pub const MAX_PROFILE_ENTRIES: usize = 1_000;
/// Longest free-text value of a profile (city, custom text, ...).
pub const MAX_PROFILE_TEXT_CHARS: usize = 200;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

code_enum!(
    /// The channels a customer can consent to being contacted through.
    ConsentKind { Email => "email", Sms => "sms", Phone => "phone", Post => "post" }
);
code_enum!(
    /// Where a purchase happened.
    TransactionKind { InStore => "in_store", Online => "online", ClickAndCollect => "click_and_collect" }
);
code_enum!(
    /// Things that happened with a customer.
    EventKind { Visit => "visit", Complaint => "complaint", EventAttended => "event_attended" }
);

/// A granted consent and the day it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub kind: ConsentKind,
    pub given_on: NaiveDate,
}

/// Membership of the loyalty programme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loyalty {
    pub member: bool,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub points: i64,
}

/// A typed value of a custom attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum AttributeValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Boolean(bool),
}

/// A custom key/value attribute ("additional details").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomAttribute {
    pub key: String,
    #[serde(flatten)]
    pub value: AttributeValue,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEvent {
    pub kind: EventKind,
    pub on: NaiveDate,
}

/// What happened with one earlier e-mail campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignReceipt {
    pub campaign_id: String,
    #[serde(default)]
    pub received: bool,
    #[serde(default)]
    pub opened: bool,
    #[serde(default)]
    pub clicked: bool,
}

/// A customer's profile, as the change feed's `customer_profiles` record
/// (keyed by the customer id). Every part is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub customer_id: String,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Preferred language, a language tag.
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub contact_source: Option<String>,
    /// The parent account (account relations).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// The customer's home business unit (a store, a branch), as the
    /// Portal's settings of business units name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit_id: Option<String>,
    /// The customer's home partner (a franchisee, a reseller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    #[serde(default)]
    pub consents: Vec<Consent>,
    #[serde(default)]
    pub loyalty: Option<Loyalty>,
    #[serde(default)]
    pub active_vouchers: i64,
    #[serde(default)]
    pub badges: Vec<String>,
    #[serde(default)]
    pub attributes: Vec<CustomAttribute>,
    #[serde(default)]
    pub events: Vec<CustomerEvent>,
    /// Audiences of earlier campaigns the customer was in.
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default)]
    pub campaigns: Vec<CampaignReceipt>,
    #[serde(default)]
    pub version: i64,
    #[serde(default = "epoch")]
    pub updated_at: DateTime<Utc>,
}

fn epoch() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

fn bounded_text(field: &str, value: &Option<String>) -> Result<()> {
    match value {
        Some(v) if v.trim().is_empty() => Err(Error::invalid(field, ValidationReason::Blank)),
        Some(v) if v.chars().count() > MAX_PROFILE_TEXT_CHARS => Err(Error::invalid(
            field,
            ValidationReason::TooLong {
                max_chars: MAX_PROFILE_TEXT_CHARS,
            },
        )),
        _ => Ok(()),
    }
}

fn bounded_list<T>(field: &str, list: &[T]) -> Result<()> {
    if list.len() > MAX_PROFILE_ENTRIES {
        return Err(Error::invalid(
            field,
            ValidationReason::OutOfRange {
                min: 0,
                max: MAX_PROFILE_ENTRIES as i64,
            },
        ));
    }
    Ok(())
}

fn no_duplicates<'a>(field: &str, keys: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(Error::invalid(field, ValidationReason::Duplicate));
        }
    }
    Ok(())
}

impl CustomerProfile {
    /// An empty profile of `customer_id`.
    pub fn empty(customer_id: impl Into<String>) -> Self {
        CustomerProfile {
            customer_id: customer_id.into(),
            updated_at: epoch(),
            ..Default::default()
        }
    }

    pub fn validate(&self) -> Result<()> {
        validate_id("customer_id", &self.customer_id)?;
        for (field, value) in [
            ("gender", &self.gender),
            ("city", &self.city),
            ("postal_code", &self.postal_code),
            ("language", &self.language),
            ("contact_source", &self.contact_source),
        ] {
            bounded_text(field, value)?;
        }
        for (field, id) in [
            ("parent_id", &self.parent_id),
            ("business_unit_id", &self.business_unit_id),
            ("partner_id", &self.partner_id),
        ] {
            if let Some(id) = id {
                validate_id(field, id)?;
            }
        }
        if let Some(tier) = self.loyalty.as_ref().and_then(|l| l.tier.as_ref()) {
            bounded_text("loyalty.tier", &Some(tier.clone()))?;
        }
        if self.active_vouchers < 0 {
            return Err(Error::invalid(
                "active_vouchers",
                ValidationReason::OutOfRange {
                    min: 0,
                    max: i64::MAX,
                },
            ));
        }
        bounded_list("consents", &self.consents)?;
        no_duplicates("consents", self.consents.iter().map(|c| c.kind.code()))?;
        bounded_list("badges", &self.badges)?;
        for (i, b) in self.badges.iter().enumerate() {
            validate_id(&format!("badges[{i}]"), b)?;
        }
        no_duplicates("badges", self.badges.iter().map(String::as_str))?;
        bounded_list("attributes", &self.attributes)?;
        for (i, a) in self.attributes.iter().enumerate() {
            validate_id(&format!("attributes[{i}].key"), &a.key)?;
            match &a.value {
                AttributeValue::Text(t) => {
                    bounded_text(&format!("attributes[{i}].value"), &Some(t.clone()))?
                }
                AttributeValue::Number(n) if !n.is_finite() => {
                    return Err(Error::invalid(
                        format!("attributes[{i}].value"),
                        ValidationReason::Malformed,
                    ));
                }
                _ => {}
            }
        }
        no_duplicates("attributes", self.attributes.iter().map(|a| a.key.as_str()))?;
        bounded_list("events", &self.events)?;
        bounded_list("audiences", &self.audiences)?;
        for (i, a) in self.audiences.iter().enumerate() {
            validate_id(&format!("audiences[{i}]"), a)?;
        }
        no_duplicates("audiences", self.audiences.iter().map(String::as_str))?;
        bounded_list("campaigns", &self.campaigns)?;
        for (i, c) in self.campaigns.iter().enumerate() {
            validate_id(&format!("campaigns[{i}].campaign_id"), &c.campaign_id)?;
        }
        no_duplicates(
            "campaigns",
            self.campaigns.iter().map(|c| c.campaign_id.as_str()),
        )?;
        Ok(())
    }
}

/// One purchase transaction, as the change feed's `transactions` record.
/// Amounts travel as decimal numbers and are kept in minor units (cents),
/// so that sums are exact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: String,
    pub customer_id: String,
    pub date: NaiveDate,
    /// In the currency's major unit (e.g. 12.50).
    pub amount: f64,
    pub kind: TransactionKind,
    /// The business unit the purchase was made at, if the Portal knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit_id: Option<String>,
    /// The partner the purchase was made at, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    #[serde(default)]
    pub version: i64,
}

/// Largest transaction amount accepted, in major units.
pub const MAX_TRANSACTION_AMOUNT: f64 = 1e12;

impl Transaction {
    pub fn validate(&self) -> Result<()> {
        validate_id("id", &self.id)?;
        validate_id("customer_id", &self.customer_id)?;
        if !self.amount.is_finite() || self.amount.abs() > MAX_TRANSACTION_AMOUNT {
            return Err(Error::invalid("amount", ValidationReason::Malformed));
        }
        for (field, id) in [
            ("business_unit_id", &self.business_unit_id),
            ("partner_id", &self.partner_id),
        ] {
            if let Some(id) = id {
                validate_id(field, id)?;
            }
        }
        Ok(())
    }

    /// The amount in minor units (refunds are negative).
    pub fn amount_minor(&self) -> i64 {
        to_minor(self.amount)
    }
}

/// A major-unit amount in minor units, rounded to the nearest cent.
pub fn to_minor(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// Most items one cart may hold.
pub const MAX_CART_ITEMS: i64 = 100_000;

/// A customer's open shopping cart, as the change feed's `carts` record
/// (keyed by the customer id: one open cart per customer). The Portal (the
/// web shop) sends it when the cart changes and deletes it when it is
/// checked out or emptied; it decides when a cart counts as abandoned. The
/// value travels in major units like transaction amounts and is kept in
/// minor units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub customer_id: String,
    /// The value of the items, in the currency's major unit (e.g. 59.90).
    pub value: f64,
    /// The number of items.
    pub items: i64,
    /// The day the cart was opened or last changed: its age counts from here.
    pub updated_on: NaiveDate,
    #[serde(default)]
    pub abandoned: bool,
    #[serde(default)]
    pub version: i64,
}

impl Cart {
    pub fn validate(&self) -> Result<()> {
        validate_id("customer_id", &self.customer_id)?;
        if !self.value.is_finite() || !(0.0..=MAX_TRANSACTION_AMOUNT).contains(&self.value) {
            return Err(Error::invalid("value", ValidationReason::Malformed));
        }
        if !(0..=MAX_CART_ITEMS).contains(&self.items) {
            return Err(Error::invalid(
                "items",
                ValidationReason::OutOfRange {
                    min: 0,
                    max: MAX_CART_ITEMS,
                },
            ));
        }
        Ok(())
    }

    /// The value in minor units.
    pub fn value_minor(&self) -> i64 {
        to_minor(self.value)
    }
}
