//! What the customer segment definition form needs besides the segments
//! themselves:
//! - `POST /portal/v1/customer-segments/preview`: the member count of a
//!   definition before it is saved;
//! - `GET /portal/v1/criteria-values`: the badges, audiences, campaigns,
//!   business units and partners the customers have, for the builder's
//!   pickers.
//!
//! The count is core's, not the Portal's: the organizations' feeds are
//! applied to an in-memory device store, as a device applies them, and core
//! evaluates the criteria there (`Store::count_customers_matching`). So the
//! number shown before saving is the number of members devices evaluate
//! after the save, by the same code.

use axum::Json;
use axum::extract::State;
use fieldsync_core::model::criteria::Criteria;
use fieldsync_core::model::{OrgScope, Role, Session};
use fieldsync_core::protocol::ChangePage;
use fieldsync_core::sync::apply::apply_pull_page;
use fieldsync_core::{Store, ValidationReason};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::customers::visible_to;
use super::may_scope;
use crate::auth::{AuthUser, Office};
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::catalogue::check_scope;
use crate::store::feed::{self, FeedQuery};
use crate::store::{all_rows, organizations};

/// The definition to count: its scope and criteria (the other fields of a
/// draft do not change who is a member).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub criteria: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct Preview {
    /// Customers the criteria select today.
    pub member_count: u64,
    /// The organizations whose customers were counted, in id order.
    pub organizations: Vec<String>,
}

/// A user id no profile has: the preview's feed carries no profile record,
/// so the scratch store's session stays the one it is given.
const PREVIEW_USER: &str = "portal-preview";

/// `POST /portal/v1/customer-segments/preview`: the member count of the
/// definition (admins: of every organization its scope covers; managers:
/// of their own organization), validated as a save validates it.
pub async fn preview(
    State(state): State<AppState>,
    Office(user): Office,
    JsonBody(request): JsonBody<PreviewRequest>,
) -> Result<Json<Preview>> {
    let scope = OrgScope::parse(request.organization.as_deref())?;
    may_scope(&user, &scope)?;
    let value = request.criteria.ok_or_else(|| {
        ApiError::from(fieldsync_core::Error::invalid(
            "criteria",
            ValidationReason::Blank,
        ))
    })?;
    let criteria = Criteria::parse(&value)?;
    let own = visible_to(&user);
    let counted = state
        .db
        .read(move |tx| {
            check_scope(tx, &scope)?;
            let orgs: Vec<String> = match (own, scope) {
                (Some(own), _) => vec![own],
                (None, OrgScope::Organization(org)) => vec![org],
                (None, OrgScope::All) => organizations(tx)?.into_iter().map(|(id, _)| id).collect(),
            };
            let mut member_count = 0;
            for org in &orgs {
                member_count += count_in(tx, org, &criteria)?;
            }
            Ok(Preview {
                member_count,
                organizations: orgs,
            })
        })
        .await?;
    Ok(Json(counted))
}

/// Applies organization `org`'s whole feed to a scratch device store and
/// counts there.
fn count_in(conn: &Connection, org: &str, criteria: &Criteria) -> Result<u64> {
    let device = Store::open_in_memory()?;
    device.set_session(&Session::new(PREVIEW_USER, org, Role::Admin))?;
    let mut query = FeedQuery {
        user_id: PREVIEW_USER.to_owned(),
        organization_id: org.to_owned(),
        after: 0,
        prev_org: None,
        limit: 1000,
        window: None,
    };
    loop {
        let page = feed::page(conn, &query)?;
        query.after = page.changes.last().map_or(query.after, |c| c.seq);
        query.window = page.window;
        let has_more = page.has_more;
        let page = ChangePage {
            changes: page.changes,
            cursor: String::new(),
            has_more,
            remaining: 0,
            remaining_by_collection: page.remaining,
        };
        device.write(|tx| apply_pull_page(tx, &page))?;
        if !has_more {
            break;
        }
    }
    Ok(device.count_customers_matching(criteria, Some(org))?)
}

/// Values the builder's pickers offer, each list sorted and without
/// repeats.
#[derive(Debug, Serialize)]
pub struct CriteriaValues {
    pub badges: Vec<String>,
    pub audiences: Vec<String>,
    pub campaigns: Vec<String>,
    pub business_units: Vec<String>,
    pub partners: Vec<String>,
}

/// `GET /portal/v1/criteria-values`: what the customers the user sees
/// have (admins: every organization's).
pub async fn values(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<CriteriaValues>> {
    let org = visible_to(&user);
    let values = state
        .db
        .read(move |tx| {
            let list = |sql: &str| -> Result<Vec<String>> {
                all_rows(tx, sql, [org.as_deref()], |r| r.get(0))
            };
            Ok(CriteriaValues {
                badges: list(&in_profiles("$.badges", "v.value"))?,
                audiences: list(&in_profiles("$.audiences", "v.value"))?,
                campaigns: list(&in_profiles(
                    "$.campaigns",
                    "json_extract(v.value, '$.campaign_id')",
                ))?,
                business_units: list(&profile_or_transaction("business_unit_id"))?,
                partners: list(&profile_or_transaction("partner_id"))?,
            })
        })
        .await?;
    Ok(Json(values))
}

/// The distinct `value` of the entries of the list at `path` in the
/// profiles of organization `?1` (all when NULL).
fn in_profiles(path: &str, value: &str) -> String {
    format!(
        "SELECT DISTINCT {value} AS x FROM customer_profiles p, json_each(p.data, '{path}') v
         WHERE (?1 IS NULL OR p.organization_id = ?1) AND x IS NOT NULL ORDER BY x"
    )
}

/// The distinct home `column` of the profiles and `column` of the live
/// transactions of organization `?1` (all when NULL).
fn profile_or_transaction(column: &str) -> String {
    format!(
        "SELECT x FROM (
             SELECT json_extract(data, '$.{column}') AS x FROM customer_profiles
             WHERE ?1 IS NULL OR organization_id = ?1
             UNION
             SELECT {column} FROM transactions
             WHERE deleted = 0 AND (?1 IS NULL OR organization_id = ?1))
         WHERE x IS NOT NULL ORDER BY x"
    )
}
