//! Criteria of customer segments defined by conditions: a tree of `all`,
//! `any` and `not` over tests of the customer's attributes, purchases,
//! events, badges, audiences, campaigns and other customer segments.
//!
//! The JSON form is documented in `docs/criteria.md`. [`Criteria::parse`]
//! validates it and names the path of the first problem
//! (`criteria.all[2].value`); [`Criteria::to_json`] writes it back.

mod json;
mod parse;

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::profile::{ConsentKind, EventKind, MAX_CART_ITEMS, TransactionKind};

/// Deepest nesting of `all`/`any`/`not` accepted.
pub const MAX_CRITERIA_DEPTH: usize = 12;
/// Most nodes in one tree: keeps evaluation and its SQL bounded.
pub const MAX_CRITERIA_NODES: usize = 200;
/// Most values of one `in` test.
pub const MAX_IN_VALUES: usize = 500;
/// Longest "within the last N days" window (about 100 years).
pub const MAX_DAYS: u32 = 36_600;
/// Largest cart value a criterion may name, in major units (a cart's value
/// is at most `profile::MAX_TRANSACTION_AMOUNT`).
pub const MAX_CART_VALUE: i64 = 1_000_000_000_000;

/// A criteria tree, validated.
#[derive(Clone, Debug, PartialEq)]
pub enum Criteria {
    /// Every child holds (at least one child).
    All(Vec<Criteria>),
    /// At least one child holds (at least one child).
    Any(Vec<Criteria>),
    Not(Box<Criteria>),
    /// A built-in attribute of the customer.
    Attribute {
        attribute: Attribute,
        test: Test,
    },
    /// A custom attribute ("additional details"); only values of `kind` match.
    Custom {
        key: String,
        kind: ValueType,
        test: Test,
    },
    /// An aggregate over the customer's purchase transactions in a window,
    /// optionally of some transaction types only, and optionally only those
    /// made at some business units or partners (empty: any).
    Purchases {
        measure: Measure,
        window: Window,
        kinds: Vec<TransactionKind>,
        business_units: Vec<String>,
        partners: Vec<String>,
        test: Test,
    },
    /// The customer has an event of this kind in the window.
    Event {
        kind: EventKind,
        window: Window,
    },
    /// Member of another customer segment.
    InSegment(String),
    HasBadge(String),
    /// Was in the audience of an earlier campaign.
    InAudience(String),
    /// Received, opened or clicked an earlier e-mail campaign.
    Campaign {
        campaign_id: String,
        action: CampaignAction,
    },
}

/// The type of an attribute's values, which decides the tests it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    Text,
    Number,
    Date,
    Boolean,
}

impl ValueType {
    pub const ALL: [ValueType; 4] = [Self::Text, Self::Number, Self::Date, Self::Boolean];

    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::Boolean => "boolean",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The comparisons (`op` codes) values of this type take, as the
    /// parser accepts them: what a criteria builder offers.
    pub fn ops(self) -> &'static [&'static str] {
        match self {
            Self::Text => &["equals", "in", "exists"],
            Self::Number => &["equals", "in", "between", "exists"],
            Self::Date => &[
                "equals",
                "before",
                "after",
                "between",
                "within_last_days",
                "exists",
            ],
            Self::Boolean => &["equals", "exists"],
        }
    }
}

/// The built-in attributes criteria can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attribute {
    Name,
    Gender,
    City,
    PostalCode,
    Language,
    ContactSource,
    ParentId,
    LoyaltyTier,
    /// The marketing segment (the dropdown field).
    SegmentId,
    StatusId,
    SourceId,
    IndustryId,
    ChannelId,
    BirthDate,
    LastVisit,
    LastPurchase,
    /// Whole years since the birth date.
    Age,
    LoyaltyPoints,
    ActiveVouchers,
    PurchaseCount,
    /// All-time spend, in the currency's major unit.
    TotalSpend,
    RfmRecency,
    RfmFrequency,
    RfmMonetary,
    LoyaltyMember,
    /// The date the consent was given; `exists` means granted.
    Consent(ConsentKind),
    /// The customer's home business unit (profile).
    BusinessUnitId,
    /// The customer's home partner (profile).
    PartnerId,
    /// Whether the customer has an open shopping cart (every customer has
    /// this value: false without a cart).
    CartOpen,
    /// The open cart's value, in the currency's major unit.
    CartValue,
    /// The number of items in the open cart.
    CartItems,
    /// Whole days since the open cart was last changed.
    CartAge,
    /// Whether the open cart is abandoned (the Portal decides).
    CartAbandoned,
    /// The day the open cart was last changed.
    CartUpdatedOn,
}

impl Attribute {
    pub const ALL: [Attribute; 37] = [
        Self::Name,
        Self::Gender,
        Self::City,
        Self::PostalCode,
        Self::Language,
        Self::ContactSource,
        Self::ParentId,
        Self::LoyaltyTier,
        Self::SegmentId,
        Self::StatusId,
        Self::SourceId,
        Self::IndustryId,
        Self::ChannelId,
        Self::BirthDate,
        Self::LastVisit,
        Self::LastPurchase,
        Self::Age,
        Self::LoyaltyPoints,
        Self::ActiveVouchers,
        Self::PurchaseCount,
        Self::TotalSpend,
        Self::RfmRecency,
        Self::RfmFrequency,
        Self::RfmMonetary,
        Self::LoyaltyMember,
        Self::Consent(ConsentKind::Email),
        Self::Consent(ConsentKind::Sms),
        Self::Consent(ConsentKind::Phone),
        Self::Consent(ConsentKind::Post),
        Self::BusinessUnitId,
        Self::PartnerId,
        Self::CartOpen,
        Self::CartValue,
        Self::CartItems,
        Self::CartAge,
        Self::CartAbandoned,
        Self::CartUpdatedOn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Gender => "gender",
            Self::City => "city",
            Self::PostalCode => "postal_code",
            Self::Language => "language",
            Self::ContactSource => "contact_source",
            Self::ParentId => "parent_id",
            Self::LoyaltyTier => "loyalty_tier",
            Self::SegmentId => "segment_id",
            Self::StatusId => "status_id",
            Self::SourceId => "source_id",
            Self::IndustryId => "industry_id",
            Self::ChannelId => "channel_id",
            Self::BirthDate => "birth_date",
            Self::LastVisit => "last_visit",
            Self::LastPurchase => "last_purchase",
            Self::Age => "age",
            Self::LoyaltyPoints => "loyalty_points",
            Self::ActiveVouchers => "active_vouchers",
            Self::PurchaseCount => "purchase_count",
            Self::TotalSpend => "total_spend",
            Self::RfmRecency => "rfm_recency",
            Self::RfmFrequency => "rfm_frequency",
            Self::RfmMonetary => "rfm_monetary",
            Self::LoyaltyMember => "loyalty_member",
            Self::Consent(ConsentKind::Email) => "consent.email",
            Self::Consent(ConsentKind::Sms) => "consent.sms",
            Self::Consent(ConsentKind::Phone) => "consent.phone",
            Self::Consent(ConsentKind::Post) => "consent.post",
            Self::BusinessUnitId => "business_unit_id",
            Self::PartnerId => "partner_id",
            Self::CartOpen => "cart.open",
            Self::CartValue => "cart.value",
            Self::CartItems => "cart.items",
            Self::CartAge => "cart.age",
            Self::CartAbandoned => "cart.abandoned",
            Self::CartUpdatedOn => "cart.updated_on",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn value_type(self) -> ValueType {
        match self {
            Self::Name
            | Self::Gender
            | Self::City
            | Self::PostalCode
            | Self::Language
            | Self::ContactSource
            | Self::ParentId
            | Self::LoyaltyTier
            | Self::SegmentId
            | Self::StatusId
            | Self::SourceId
            | Self::IndustryId
            | Self::ChannelId
            | Self::BusinessUnitId
            | Self::PartnerId => ValueType::Text,
            Self::BirthDate
            | Self::LastVisit
            | Self::LastPurchase
            | Self::Consent(_)
            | Self::CartUpdatedOn => ValueType::Date,
            Self::Age
            | Self::LoyaltyPoints
            | Self::ActiveVouchers
            | Self::PurchaseCount
            | Self::TotalSpend
            | Self::RfmRecency
            | Self::RfmFrequency
            | Self::RfmMonetary
            | Self::CartValue
            | Self::CartItems
            | Self::CartAge => ValueType::Number,
            Self::LoyaltyMember | Self::CartOpen | Self::CartAbandoned => ValueType::Boolean,
        }
    }

    /// The bounds a number operand of this attribute must keep: a value
    /// outside can never match and is a mistake in the definition (RFM
    /// scores run from 1 to 5; cart figures are never negative).
    pub fn number_range(self) -> Option<(i64, i64)> {
        match self {
            Self::RfmRecency | Self::RfmFrequency | Self::RfmMonetary => Some((1, 5)),
            Self::CartValue => Some((0, MAX_CART_VALUE)),
            Self::CartItems => Some((0, MAX_CART_ITEMS)),
            Self::CartAge => Some((0, i64::from(MAX_DAYS))),
            _ => None,
        }
    }

    /// Compared in minor currency units (operands are in major units and
    /// compared to the cent).
    pub fn is_money(self) -> bool {
        matches!(self, Self::TotalSpend | Self::CartValue)
    }

    /// RFM scores run from 1 to 5.
    pub fn is_rfm(self) -> bool {
        matches!(
            self,
            Self::RfmRecency | Self::RfmFrequency | Self::RfmMonetary
        )
    }
}

/// One comparison, typed by the value it compares.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The value is present (for consents: granted).
    Exists,
    Text(TextTest),
    Number(NumberTest),
    Date(DateTest),
    Boolean(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TextTest {
    Equals(String),
    In(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum NumberTest {
    Equals(f64),
    In(Vec<f64>),
    /// Inclusive; at least one bound.
    Between {
        min: Option<f64>,
        max: Option<f64>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum DateTest {
    Equals(NaiveDate),
    /// Strictly before.
    Before(NaiveDate),
    /// Strictly after.
    After(NaiveDate),
    /// Inclusive.
    Between {
        from: NaiveDate,
        to: NaiveDate,
    },
    /// From `today - days` to today, inclusive.
    WithinLastDays(u32),
}

/// What a purchases test aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Number of transactions (a number test).
    Count,
    /// Sum of amounts, major currency unit (a number test).
    Sum,
    /// Date of the latest transaction (a date test).
    LastDate,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Self::Count, Self::Sum, Self::LastDate];

    pub fn code(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::LastDate => "last_date",
        }
    }

    pub fn value_type(self) -> ValueType {
        match self {
            Self::Count | Self::Sum => ValueType::Number,
            Self::LastDate => ValueType::Date,
        }
    }
}

/// Which transactions or events count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    AllTime,
    /// From `today - days` to today, inclusive.
    LastDays(u32),
    /// Inclusive.
    Between {
        from: NaiveDate,
        to: NaiveDate,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignAction {
    Received,
    Opened,
    Clicked,
}

impl CampaignAction {
    pub const ALL: [CampaignAction; 3] = [Self::Received, Self::Opened, Self::Clicked];

    pub fn code(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Opened => "opened",
            Self::Clicked => "clicked",
        }
    }
}

impl Criteria {
    /// The customer segments this tree includes or excludes.
    pub fn segment_references(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit(&mut |c| {
            if let Criteria::InSegment(id) = c {
                out.insert(id.clone());
            }
        });
        out
    }

    /// Whether the answer depends on RFM scores, which move whenever any
    /// customer of the organization buys something.
    pub fn uses_rfm(&self) -> bool {
        let mut found = false;
        self.visit(&mut |c| {
            if let Criteria::Attribute { attribute, .. } = c {
                found |= attribute.is_rfm();
            }
        });
        found
    }

    /// Whether the answer depends on today's date (ages, "last N days").
    pub fn uses_today(&self) -> bool {
        let relative_test = |t: &Test| matches!(t, Test::Date(DateTest::WithinLastDays(_)));
        let relative_window = |w: &Window| matches!(w, Window::LastDays(_));
        let mut found = false;
        self.visit(&mut |c| {
            found |= match c {
                Criteria::Attribute { attribute, test } => {
                    matches!(attribute, Attribute::Age | Attribute::CartAge) || relative_test(test)
                }
                Criteria::Custom { test, .. } => relative_test(test),
                Criteria::Purchases { window, test, .. } => {
                    relative_window(window) || relative_test(test)
                }
                Criteria::Event { window, .. } => relative_window(window),
                _ => false,
            }
        });
        found
    }

    fn visit(&self, f: &mut impl FnMut(&Criteria)) {
        f(self);
        match self {
            Criteria::All(children) | Criteria::Any(children) => {
                children.iter().for_each(|c| c.visit(f))
            }
            Criteria::Not(child) => child.visit(f),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
