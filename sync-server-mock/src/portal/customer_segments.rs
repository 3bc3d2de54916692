//! Customer segments (`/portal/v1/customer-segments`): the marketing
//! groups of customers, static or defined by criteria, validated by core's
//! `CustomerSegmentDraft`; and the members of static ones, which marketing
//! automation puts in and takes out
//! (`/portal/v1/customer-segments/{id}/members[/{customer_id}]`).
//!
//! Role rules are the marketing segments': admins and managers; a manager
//! only segments scoped to all organizations or to their own (others are
//! not found, `portal` module doc). Members are customers, so a manager
//! sees and changes only their own organization's (others are not found),
//! as with customers.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use fieldsync_core::ValidationReason;
use fieldsync_core::model::{CustomerSegment, CustomerSegmentDraft, RemoteCustomer, Session};
use fieldsync_core::protocol::CustomerSegmentMembership;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::customers::visible_to;
use super::{may_scope, new_id, reaches};
use crate::auth::{AuthUser, Office};
use crate::error::{ApiError, JsonBody, QueryParams, Result};
use crate::state::AppState;
use crate::store::customer_segments as store;
use crate::store::customers::get_customer;

/// `GET /portal/v1/customer-segments`: the live ones of every scope the
/// user reaches, highest priority first.
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<CustomerSegment>>> {
    let mut list = state.db.read(|tx| store::list(tx)).await?;
    list.retain(|s| reaches(&user, &s.scope));
    Ok(Json(list))
}

/// The live segment `id` if `user` reaches it, else 404.
fn live_for(conn: &Connection, user: &Session, id: &str) -> Result<CustomerSegment> {
    let segment = store::live(conn, id)?;
    if reaches(user, &segment.scope) {
        Ok(segment)
    } else {
        Err(ApiError::NotFound(format!("customer segment {id}")))
    }
}

/// 404 if segment `id` exists (deleted or not) and `user` does not reach it.
fn require_reach(conn: &Connection, user: &Session, id: &str) -> Result<()> {
    match store::get(conn, id)? {
        Some(s) if !reaches(user, &s.segment.scope) => {
            Err(ApiError::NotFound(format!("customer segment {id}")))
        }
        _ => Ok(()),
    }
}

/// `GET /portal/v1/customer-segments/{id}`
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CustomerSegment>> {
    Ok(Json(
        state.db.read(move |tx| live_for(tx, &user, &id)).await?,
    ))
}

/// `POST /portal/v1/customer-segments`: the server makes the id (`cs-…`).
pub async fn create(
    State(state): State<AppState>,
    Office(user): Office,
    JsonBody(draft): JsonBody<CustomerSegmentDraft>,
) -> Result<(StatusCode, Json<CustomerSegment>)> {
    let def = draft.validate()?;
    may_scope(&user, &def.scope)?;
    let id = new_id("cs");
    let segment = state
        .db
        .write(move |tx| store::create(tx, &id, def, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(segment)))
}

/// `PUT /portal/v1/customer-segments/{id}`: replaces the definition.
pub async fn update(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<CustomerSegmentDraft>,
) -> Result<Json<CustomerSegment>> {
    let def = draft.validate()?;
    Ok(Json(
        state
            .db
            .write(move |tx| {
                require_reach(tx, &user, &id)?;
                may_scope(&user, &def.scope)?;
                store::update(tx, &id, def, Utc::now())
            })
            .await?,
    ))
}

/// `DELETE /portal/v1/customer-segments/{id}`: answers the segment at its
/// tombstone's version; 409 `in_use` while other segments include it.
pub async fn delete(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
) -> Result<Json<CustomerSegment>> {
    Ok(Json(
        state
            .db
            .write(move |tx| {
                require_reach(tx, &user, &id)?;
                store::delete(tx, &id, Utc::now())
            })
            .await?,
    ))
}

/// Most member ids on one page, and the default.
pub const MAX_MEMBERS_PAGE: i64 = 1000;

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    /// Only ids after this one (the previous page's `next_after`).
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// One page of a static segment's members.
#[derive(Debug, Serialize)]
pub struct MembersPage {
    pub customer_ids: Vec<String>,
    /// Send as `after` for the next page; `null` on the last one.
    pub next_after: Option<String>,
}

/// `GET /portal/v1/customer-segments/{id}/members[?after=..&limit=..]`:
/// the member customers' ids in id order (managers: of their own
/// organization). A conditional segment has no stored members: 422.
pub async fn members(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<MembersQuery>,
) -> Result<Json<MembersPage>> {
    let limit = q.limit.unwrap_or(MAX_MEMBERS_PAGE);
    if !(1..=MAX_MEMBERS_PAGE).contains(&limit) {
        let reason = ValidationReason::OutOfRange {
            min: 1,
            max: MAX_MEMBERS_PAGE,
        };
        return Err(ApiError::bad_request(Some("limit"), reason.to_string()));
    }
    let org = visible_to(&user);
    let ids = state
        .db
        .read(move |tx| {
            let segment = live_for(tx, &user, &id)?;
            store::require_static(&segment, "id")?;
            store::members(tx, &id, org.as_deref(), q.after.as_deref(), limit + 1)
        })
        .await?;
    let mut customer_ids = ids;
    let next_after = if customer_ids.len() as i64 > limit {
        customer_ids.truncate(limit as usize);
        customer_ids.last().cloned()
    } else {
        None
    };
    Ok(Json(MembersPage {
        customer_ids,
        next_after,
    }))
}

/// The customer `id` if `user` may work on it, else 404.
pub(crate) fn visible_customer(
    conn: &Connection,
    user: &Session,
    id: &str,
) -> Result<RemoteCustomer> {
    let org = visible_to(user);
    get_customer(conn, id)?
        .filter(|c| !c.deleted && org.as_deref().is_none_or(|o| o == c.organization_id))
        .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))
}

async fn set_member(
    state: AppState,
    user: Session,
    segment_id: String,
    customer_id: String,
    member: bool,
) -> Result<Json<CustomerSegmentMembership>> {
    let (membership, _) = state
        .db
        .write(move |tx| {
            let segment = live_for(tx, &user, &segment_id)?;
            store::require_static(&segment, "id")?;
            let customer = visible_customer(tx, &user, &customer_id)?;
            store::require_in_scope(&segment, &customer)?;
            store::set_member(tx, &segment_id, &customer, member)
        })
        .await?;
    Ok(Json(membership))
}

/// `PUT /portal/v1/customer-segments/{id}/members/{customer_id}`: puts the
/// customer into the static segment (nothing changes if it is in already).
pub async fn add_member(
    State(state): State<AppState>,
    Office(user): Office,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<CustomerSegmentMembership>> {
    set_member(state, user, id, customer_id, true).await
}

/// `DELETE /portal/v1/customer-segments/{id}/members/{customer_id}`: takes
/// the customer out (the feed says `member: false`).
pub async fn remove_member(
    State(state): State<AppState>,
    Office(user): Office,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<CustomerSegmentMembership>> {
    set_member(state, user, id, customer_id, false).await
}
