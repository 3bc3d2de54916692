//! Customers as the server sends them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::customer::{MAX_CUSTOMER_NAME_CHARS, validate_reference_ids};
use super::{Customer, required_text, validate_id};
use crate::error::Result;

/// A customer as the server sends it (the change feed's record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCustomer {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    #[serde(default)]
    pub status_id: Option<String>,
    #[serde(default)]
    pub source_id: Option<String>,
    #[serde(default)]
    pub industry_id: Option<String>,
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub segment_id: Option<String>,
    #[serde(default)]
    pub last_visit: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    #[serde(default)]
    pub deleted: bool,
}

impl RemoteCustomer {
    /// The wire form of a customer at server version `version`.
    pub fn from_customer(c: &Customer, version: i64, deleted: bool) -> Self {
        RemoteCustomer {
            id: c.id.clone(),
            organization_id: c.organization_id.clone(),
            name: c.name.clone(),
            status_id: c.status_id.clone(),
            source_id: c.source_id.clone(),
            industry_id: c.industry_id.clone(),
            channel_id: c.channel_id.clone(),
            segment_id: c.segment_id.clone(),
            last_visit: c.last_visit,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version,
            deleted,
        }
    }

    pub fn into_customer(self) -> Customer {
        Customer {
            id: self.id,
            organization_id: self.organization_id,
            name: self.name,
            status_id: self.status_id,
            source_id: self.source_id,
            industry_id: self.industry_id,
            channel_id: self.channel_id,
            segment_id: self.segment_id,
            last_visit: self.last_visit,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: Some(self.version),
        }
    }

    pub fn validate(&self) -> Result<()> {
        validate_id("id", &self.id)?;
        validate_id("organization_id", &self.organization_id)?;
        required_text("name", &self.name, MAX_CUSTOMER_NAME_CHARS)?;
        validate_reference_ids([
            ("status_id", &self.status_id),
            ("source_id", &self.source_id),
            ("industry_id", &self.industry_id),
            ("channel_id", &self.channel_id),
            ("segment_id", &self.segment_id),
        ])
    }
}
