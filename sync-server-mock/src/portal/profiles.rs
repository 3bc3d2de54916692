//! What the CRM, loyalty, POS and web shop systems tell the Portal about
//! customers: profiles (`/portal/v1/customers/{id}/profile`), purchase
//! transactions (`/portal/v1/transactions`) and open shopping carts
//! (`/portal/v1/customers/{id}/cart`), validated by core's
//! `CustomerProfile`, `Transaction` and `Cart`. Admins work on every organization's customers, managers
//! on their own (others are not found).

use std::collections::HashSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use fieldsync_core::model::profile::{Cart, CustomerProfile, Transaction};
use fieldsync_core::{Error as CoreError, ValidationReason};
use serde_json::{Map, Value};

use super::customer_segments::visible_customer;
use super::customers::visible_to;
use crate::auth::{AuthUser, Office};
use crate::error::{ApiError, JsonBody, Result};
use crate::state::AppState;
use crate::store::profiles::{self as store, BatchOutcome};

/// Most transactions one `POST /portal/v1/transactions` takes.
pub const MAX_TRANSACTIONS_PER_REQUEST: usize = 1_000_000;
/// The body limit of that request (a million transactions fit).
pub const TRANSACTIONS_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// A core validation error of the `i`-th entry, its field prefixed `[i].`.
fn at_index(i: usize, err: CoreError) -> ApiError {
    match err {
        CoreError::Validation { field, reason } => {
            ApiError::invalid(format!("[{i}].{field}"), reason)
        }
        other => other.into(),
    }
}

/// `GET /portal/v1/customers/{id}/profile`: the profile, or `null` for a
/// customer the Portal has no profile of yet (a state of the customer, not
/// a missing resource, as with the cart; 404 is for an unknown customer).
pub async fn get_profile(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Option<CustomerProfile>>> {
    state
        .db
        .read(move |tx| {
            visible_customer(tx, &user, &id)?;
            store::get_profile(tx, &id)
        })
        .await
        .map(Json)
}

/// `PUT /portal/v1/customers/{id}/profile`: replaces the profile. The
/// body's `customer_id` may be left out; when given it must be the path's.
/// `version` and `updated_at` are the server's.
pub async fn put_profile(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
    JsonBody(mut body): JsonBody<Map<String, Value>>,
) -> Result<Json<CustomerProfile>> {
    match body.get("customer_id") {
        None | Some(Value::Null) => {
            body.insert("customer_id".into(), Value::String(id.clone()));
        }
        Some(Value::String(given)) if *given == id => {}
        Some(_) => {
            return Err(ApiError::validation(
                "customer_id",
                "must be the customer id of the path",
            ));
        }
    }
    // The server sets these.
    body.remove("version");
    body.remove("updated_at");
    let profile: CustomerProfile = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::validation("body", e.to_string()))?;
    profile.validate()?;
    let stored = state
        .db
        .write(move |tx| {
            let customer = visible_customer(tx, &user, &id)?;
            store::put_profile(tx, &customer, profile, Utc::now(), None)
        })
        .await?;
    Ok(Json(stored))
}

/// The body with the path's customer id (it may be left out; when given it
/// must be the path's) and without the fields the server sets.
fn with_customer_id(id: &str, mut body: Map<String, Value>) -> Result<Value> {
    match body.get("customer_id") {
        None | Some(Value::Null) => {
            body.insert("customer_id".into(), Value::String(id.to_owned()));
        }
        Some(Value::String(given)) if given == id => {}
        Some(_) => {
            return Err(ApiError::validation(
                "customer_id",
                "must be the customer id of the path",
            ));
        }
    }
    body.remove("version");
    Ok(Value::Object(body))
}

/// `GET /portal/v1/customers/{id}/cart`: the open cart.
pub async fn get_cart(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
) -> Result<Json<Option<Cart>>> {
    // A customer without an open cart is a state, not a missing resource:
    // `null`, as the device's `cart.open` is false.
    state
        .db
        .read(move |tx| {
            visible_customer(tx, &user, &id)?;
            Ok(store::get_cart(tx, &id)?
                .filter(|(_, deleted, _)| !deleted)
                .map(|(cart, _, _)| cart))
        })
        .await
        .map(Json)
}

/// `PUT /portal/v1/customers/{id}/cart`: opens or replaces the customer's
/// open cart (core's `Cart::validate`); `version` is the server's.
pub async fn put_cart(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Json<Cart>> {
    let cart: Cart = serde_json::from_value(with_customer_id(&id, body)?)
        .map_err(|e| ApiError::validation("body", e.to_string()))?;
    cart.validate()?;
    let stored = state
        .db
        .write(move |tx| {
            let customer = visible_customer(tx, &user, &id)?;
            store::put_cart(tx, &customer, cart, None)
        })
        .await?;
    Ok(Json(stored))
}

/// `DELETE /portal/v1/customers/{id}/cart`: the cart was checked out or
/// emptied; answers it at its tombstone's version, the feed says `op:
/// delete`.
pub async fn delete_cart(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
) -> Result<Json<Cart>> {
    Ok(Json(
        state
            .db
            .write(move |tx| {
                let customer = visible_customer(tx, &user, &id)?;
                store::delete_cart(tx, &customer.id, None)
            })
            .await?,
    ))
}

/// Reads the batch; a shape error names the entry (`[3]`) it is in.
fn parse_batch(body: &[u8]) -> Result<Vec<Transaction>> {
    match serde_json::from_slice::<Vec<Transaction>>(body) {
        Ok(batch) => Ok(batch),
        Err(whole) => {
            let values: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
                if e.is_data() {
                    ApiError::validation("body", "must be a JSON array of transactions")
                } else {
                    ApiError::bad_request(Some("body"), e.to_string())
                }
            })?;
            for (i, v) in values.into_iter().enumerate() {
                if let Err(e) = serde_json::from_value::<Transaction>(v) {
                    return Err(ApiError::validation(format!("[{i}]"), e.to_string()));
                }
            }
            Err(ApiError::validation("body", whole.to_string()))
        }
    }
}

/// `POST /portal/v1/transactions`: a JSON array of transactions, stored in
/// one database transaction (all or nothing). New ids are created at
/// version 1; known ones (deleted ones too) are replaced in a new version.
/// Errors name the entry: `[3].amount`, `[0].customer_id`.
pub async fn post_transactions(
    State(state): State<AppState>,
    Office(user): Office,
    headers: axum::http::HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<BatchOutcome>> {
    // Read as raw bytes (to name the entry of a shape error), but held to
    // the same content type as every other JSON body.
    if !is_json_content_type(&headers) {
        return Err(ApiError::bad_request(
            Some("body"),
            "Expected request with `Content-Type: application/json`",
        ));
    }
    // Above the route's body limit: the JSON error, not axum's text.
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(e.body_text()),
        _ => ApiError::bad_request(Some("body"), e.body_text()),
    })?;
    let batch = parse_batch(&body)?;
    drop(body);
    if batch.len() > MAX_TRANSACTIONS_PER_REQUEST {
        return Err(ApiError::PayloadTooLarge(format!(
            "at most {MAX_TRANSACTIONS_PER_REQUEST} transactions per request"
        )));
    }
    let mut ids = HashSet::with_capacity(batch.len());
    for (i, t) in batch.iter().enumerate() {
        t.validate().map_err(|e| at_index(i, e))?;
        if !ids.insert(t.id.as_str()) {
            return Err(ApiError::invalid(
                format!("[{i}].id"),
                ValidationReason::Duplicate,
            ));
        }
    }
    drop(ids);
    let outcome = state
        .db
        .write(move |tx| {
            let own = visible_to(&user);
            let orgs = store::customer_orgs(tx, batch.iter().map(|t| t.customer_id.as_str()))?;
            let mut rows = Vec::with_capacity(batch.len());
            for (i, t) in batch.iter().enumerate() {
                let org = orgs[t.customer_id.as_str()]
                    .as_deref()
                    .filter(|o| own.as_deref().is_none_or(|own| own == *o))
                    .ok_or_else(|| {
                        ApiError::validation(
                            format!("[{i}].customer_id"),
                            format!("customer {} does not exist", t.customer_id),
                        )
                    })?;
                // A known id is replaced: a manager may replace only
                // their own organization's transactions.
                if let Some(own) = own.as_deref()
                    && let Some((_, _, held_by)) = store::get_transaction(tx, &t.id)?
                    && held_by != own
                {
                    return Err(ApiError::Forbidden(format!(
                        "[{i}].id is a transaction of another organization"
                    )));
                }
                rows.push((t, org));
            }
            store::put_transactions(tx, &rows)
        })
        .await?;
    Ok(Json(outcome))
}

/// `DELETE /portal/v1/transactions/{id}`: answers the transaction at its
/// tombstone's version; the feed says `op: delete`.
pub async fn delete_transaction(
    State(state): State<AppState>,
    Office(user): Office,
    Path(id): Path<String>,
) -> Result<Json<Transaction>> {
    let org = visible_to(&user);
    Ok(Json(
        state
            .db
            .write(move |tx| store::delete_transaction(tx, &id, org.as_deref()))
            .await?,
    ))
}

/// `application/json` or any `application/*+json`, as axum's `Json` reads.
fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
