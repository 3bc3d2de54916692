//! Marketing segments (`/portal/v1/marketing-segments`) and picklists
//! (`/portal/v1/picklists/{kind}`): the Portal forms, validated by core's
//! drafts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use fieldsync_core::model::{PicklistDraft, PicklistKind, PicklistValue, Segment, SegmentDraft};

use fieldsync_core::model::Session;

use super::{may_scope, new_id, reaches};
use crate::auth::{AuthUser, Office};
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::catalogue as store;

/// `GET /portal/v1/marketing-segments`: the live segments of every scope
/// the user reaches (a manager: `ALL` and their own organization's).
pub async fn list_segments(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Segment>>> {
    let mut list = state.db.read(|tx| store::list_segments(tx)).await?;
    list.retain(|s| reaches(&user, &s.scope));
    Ok(Json(list))
}

/// 404 unless segment `id` exists and `user` reaches it.
fn reached_segment(tx: &rusqlite::Connection, user: &Session, id: &str) -> Result<()> {
    match store::get_segment(tx, id)? {
        Some(s) if !reaches(user, &s.scope) => Err(ApiError::NotFound(format!("segment {id}"))),
        _ => Ok(()),
    }
}

/// 404 unless picklist value `id` exists and `user` reaches it.
fn reached_value(
    tx: &rusqlite::Connection,
    user: &Session,
    kind: PicklistKind,
    id: &str,
) -> Result<()> {
    match store::get_picklist_value(tx, id)? {
        Some(v) if !reaches(user, &v.scope) => {
            Err(ApiError::NotFound(format!("{kind} value {id}")))
        }
        _ => Ok(()),
    }
}

/// `POST /portal/v1/marketing-segments`
pub async fn create_segment(
    State(state): State<AppState>,
    Office(user): Office,
    JsonBody(draft): JsonBody<SegmentDraft>,
) -> Result<(StatusCode, Json<Segment>)> {
    let def = draft.validate()?;
    may_scope(&user, &def.scope)?;
    let id = new_id("seg");
    let segment = state
        .db
        .write(move |tx| store::create_segment(tx, &id, def, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(segment)))
}

/// `PUT /portal/v1/marketing-segments/{id}`: replaces the form's fields.
pub async fn update_segment(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<SegmentDraft>,
) -> Result<Json<Segment>> {
    let def = draft.validate()?;
    Ok(Json(
        state
            .db
            .write(move |tx| {
                reached_segment(tx, &user, &id)?;
                may_scope(&user, &def.scope)?;
                store::update_segment(tx, &id, def, Utc::now())
            })
            .await?,
    ))
}

/// `DELETE /portal/v1/marketing-segments/{id}`: answers the tombstone.
pub async fn delete_segment(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
) -> Result<Json<Segment>> {
    Ok(Json(
        state
            .db
            .write(move |tx| {
                reached_segment(tx, &user, &id)?;
                store::delete_segment(tx, &id, Utc::now())
            })
            .await?,
    ))
}

/// The list named in the path; an unknown one is a missing resource.
fn kind(code: &str) -> Result<PicklistKind> {
    PicklistKind::from_code(code).map_err(|_| ApiError::NotFound(format!("picklist {code}")))
}

/// `GET /portal/v1/picklists/{kind}`
pub async fn list_picklist(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<PicklistValue>>> {
    let kind = kind(&code)?;
    let mut list = state
        .db
        .read(move |tx| store::list_picklist(tx, kind))
        .await?;
    list.retain(|v| reaches(&user, &v.scope));
    Ok(Json(list))
}

/// `POST /portal/v1/picklists/{kind}`
pub async fn create_picklist_value(
    State(state): State<AppState>,
    Office(user): Office,
    Path(code): Path<String>,
    JsonBody(draft): JsonBody<PicklistDraft>,
) -> Result<(StatusCode, Json<PicklistValue>)> {
    let kind = kind(&code)?;
    let def = draft.validate()?;
    may_scope(&user, &def.0)?;
    let id = new_id(kind.code());
    let value = state
        .db
        .write(move |tx| store::create_picklist_value(tx, kind, &id, def, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(value)))
}

/// `PUT /portal/v1/picklists/{kind}/{id}`
pub async fn update_picklist_value(
    State(state): State<AppState>,
    Office(user): Office,
    Path((code, id)): Path<(String, String)>,
    JsonBody(draft): JsonBody<PicklistDraft>,
) -> Result<Json<PicklistValue>> {
    let kind = kind(&code)?;
    let def = draft.validate()?;
    Ok(Json(
        state
            .db
            .write(move |tx| {
                reached_value(tx, &user, kind, &id)?;
                may_scope(&user, &def.0)?;
                store::update_picklist_value(tx, kind, &id, def, Utc::now())
            })
            .await?,
    ))
}

/// `DELETE /portal/v1/picklists/{kind}/{id}`: answers the tombstone.
pub async fn delete_picklist_value(
    State(state): State<AppState>,
    Office(user): Office,
    Path((code, id)): Path<(String, String)>,
) -> Result<Json<PicklistValue>> {
    let kind = kind(&code)?;
    Ok(Json(
        state
            .db
            .write(move |tx| {
                reached_value(tx, &user, kind, &id)?;
                store::delete_picklist_value(tx, kind, &id, Utc::now())
            })
            .await?,
    ))
}
