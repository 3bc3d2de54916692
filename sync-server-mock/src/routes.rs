//! The route table: one place that builds the router and lists its routes,
//! so a test can check that every route is in the OpenAPI document.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Json, middleware};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::faults::{self, FAULT_HEADER};
use crate::state::AppState;
use crate::{auth, portal, sync};

/// The OpenAPI document, kept in the repository next to this crate.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// The largest request body of most routes (1 MiB): a Portal form or a
/// login is far smaller. Larger bodies answer 413 with the JSON error.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The largest body of `POST /sync/v1/mutations`: 500 mutations of
/// customers at their longest fields.
pub const PUSH_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Routes and the (method, path) pairs they serve.
struct Table {
    routes: BTreeMap<&'static str, MethodRouter<AppState>>,
    listed: Vec<(&'static str, &'static str)>,
}

impl Table {
    fn on<H, T>(mut self, method: &'static str, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "DELETE" => MethodFilter::DELETE,
            other => unreachable!("no route uses {other}"),
        };
        let entry = self.routes.remove(path).unwrap_or_default();
        self.routes.insert(path, entry.on(filter, handler));
        self.listed.push((method, path));
        self
    }
}

fn table() -> Table {
    use portal::customer_segments as cs;
    use portal::{catalogue as cat, customers, organizations, profiles, users};
    Table {
        routes: BTreeMap::new(),
        listed: Vec::new(),
    }
    .on("GET", "/health", health)
    .on("GET", "/openapi.json", openapi)
    .on("POST", "/auth/v1/login", auth::login)
    .on("POST", "/auth/v1/logout", auth::logout)
    .on("GET", "/portal/v1/organizations", organizations::list)
    .on("GET", "/portal/v1/marketing-segments", cat::list_segments)
    .on("POST", "/portal/v1/marketing-segments", cat::create_segment)
    .on(
        "PUT",
        "/portal/v1/marketing-segments/{id}",
        cat::update_segment,
    )
    .on(
        "DELETE",
        "/portal/v1/marketing-segments/{id}",
        cat::delete_segment,
    )
    .on("GET", "/portal/v1/picklists/{kind}", cat::list_picklist)
    .on(
        "POST",
        "/portal/v1/picklists/{kind}",
        cat::create_picklist_value,
    )
    .on(
        "PUT",
        "/portal/v1/picklists/{kind}/{id}",
        cat::update_picklist_value,
    )
    .on(
        "DELETE",
        "/portal/v1/picklists/{kind}/{id}",
        cat::delete_picklist_value,
    )
    .on("GET", "/portal/v1/customers", customers::list)
    .on("POST", "/portal/v1/customers", customers::create)
    .on("GET", "/portal/v1/customers/{id}", customers::get)
    .on("PUT", "/portal/v1/customers/{id}", customers::update)
    .on(
        "GET",
        "/portal/v1/customers/{id}/profile",
        profiles::get_profile,
    )
    .on(
        "PUT",
        "/portal/v1/customers/{id}/profile",
        profiles::put_profile,
    )
    .on("GET", "/portal/v1/customers/{id}/cart", profiles::get_cart)
    .on("PUT", "/portal/v1/customers/{id}/cart", profiles::put_cart)
    .on(
        "DELETE",
        "/portal/v1/customers/{id}/cart",
        profiles::delete_cart,
    )
    .on(
        "POST",
        "/portal/v1/transactions",
        profiles::post_transactions.layer(DefaultBodyLimit::max(profiles::TRANSACTIONS_BODY_LIMIT)),
    )
    .on(
        "DELETE",
        "/portal/v1/transactions/{id}",
        profiles::delete_transaction,
    )
    .on("GET", "/portal/v1/customer-segments", cs::list)
    .on("POST", "/portal/v1/customer-segments", cs::create)
    .on(
        "POST",
        "/portal/v1/customer-segments/preview",
        portal::criteria::preview,
    )
    .on(
        "GET",
        "/portal/v1/criteria-values",
        portal::criteria::values,
    )
    .on("GET", "/portal/v1/customer-segments/{id}", cs::get)
    .on("PUT", "/portal/v1/customer-segments/{id}", cs::update)
    .on("DELETE", "/portal/v1/customer-segments/{id}", cs::delete)
    .on(
        "GET",
        "/portal/v1/customer-segments/{id}/members",
        cs::members,
    )
    .on(
        "PUT",
        "/portal/v1/customer-segments/{id}/members/{customer_id}",
        cs::add_member,
    )
    .on(
        "DELETE",
        "/portal/v1/customer-segments/{id}/members/{customer_id}",
        cs::remove_member,
    )
    .on("PUT", "/portal/v1/users/{id}", users::update)
    .on("GET", "/sync/v1/changes", sync::pull::changes)
    .on(
        "POST",
        "/sync/v1/mutations",
        sync::push::mutations.layer(DefaultBodyLimit::max(PUSH_BODY_LIMIT)),
    )
    .on("GET", "/admin/v1/faults", faults::get_faults)
    .on("PUT", "/admin/v1/faults", faults::put_faults)
}

/// Every (method, path) the router serves, paths in OpenAPI template form.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    table().listed
}

/// The whole application: routes, fault injection, compression, tracing.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, methods) in table().routes {
        router = router.route(path, methods);
    }
    // Faulted responses are sent as damaged, never re-encoded.
    let compress_when = DefaultPredicate::new()
        .and(|_: StatusCode, _, headers: &HeaderMap, _: &_| !headers.contains_key(FAULT_HEADER));
    router
        // The Portal's screens: not API, so neither listed nor documented.
        .merge(crate::screens::router())
        .fallback(not_found)
        // Layers wrap what is above them: every error the routes (and
        // axum's own rejections) answer is JSON by here; faults see those
        // answers, compression sees the faults' output.
        .layer(middleware::from_fn(crate::json_errors::json_error_bodies))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        // The fastest gzip level: a feed page shrinks about as much (JSON
        // repeats itself) for a fraction of the CPU, which on a phone's
        // network matters less than the server's time per page.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(compress_when),
        )
        // Bodies are limited everywhere; the routes above that take more
        // set their own, larger limit (an inner layer wins).
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Request spans name the method and the path only: a query string
        // may hold a search text, and headers hold the bearer token.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// `GET /health`: no auth, no faults.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /openapi.json`
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route".into())
}
