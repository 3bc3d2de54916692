//! The Portal's screens (`/portal/`): one small page over the JSON API,
//! served by the same process. The page, its script modules and its style
//! sheet are compiled in (`screens/`): no front-end build step, nothing to
//! install. The page carries what its dropdowns offer from core (the visit
//! frequencies in the Portal's order and words, the criteria builder's
//! attributes, types and operators), so no list is restated in the scripts.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use fieldsync_core::model::VisitFrequency;
use fieldsync_core::model::criteria::{Attribute, CampaignAction, Measure, ValueType};
use fieldsync_core::model::profile::{EventKind, TransactionKind};

use crate::error::ApiError;

const INDEX: &str = include_str!("../screens/index.html");
const STYLE: &str = include_str!("../screens/portal.css");

/// The page's script modules (plain ES modules: no bundler), by file name.
const SCRIPTS: [(&str, &str); 6] = [
    ("portal.js", include_str!("../screens/portal.js")),
    ("common.js", include_str!("../screens/common.js")),
    (
        "marketing-segments.js",
        include_str!("../screens/marketing-segments.js"),
    ),
    ("accounts.js", include_str!("../screens/accounts.js")),
    (
        "customer-segments.js",
        include_str!("../screens/customer-segments.js"),
    ),
    (
        "criteria-builder.js",
        include_str!("../screens/criteria-builder.js"),
    ),
];

/// Languages the forms offer to add and the screens to show labels in.
const LANGUAGES: [&str; 8] = ["en", "nl", "fr", "de", "cs", "es", "it", "pl"];

/// Scripts and styles from this server only; the page calls only its API.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                      img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/// The routes of the screens, for the application's router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/portal", get(|| async { Redirect::permanent("/portal/") }))
        .route("/portal/", get(index))
        .route(
            "/portal/portal.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/portal/{script}", get(script))
}

async fn script(Path(name): Path<String>) -> Response {
    match SCRIPTS.iter().find(|(file, _)| *file == name) {
        Some((_, body)) => asset("text/javascript; charset=utf-8", body).into_response(),
        None => ApiError::NotFound(format!("screen file {name}")).into_response(),
    }
}

/// The page's configuration, embedded as JSON (`<script type="application/json">`).
pub fn page_config() -> serde_json::Value {
    serde_json::json!({
        "visit_frequencies": VisitFrequency::ALL
            .iter()
            .map(|f| serde_json::json!({"code": f.code(), "label": f.label()}))
            .collect::<Vec<_>>(),
        "languages": LANGUAGES,
        "criteria": criteria_vocabulary(),
    })
}

/// What the criteria builder offers, from core: the attributes with their
/// types (and the bounds of their numbers), the ops each type takes, the
/// purchase measures, event kinds, transaction kinds and campaign actions.
fn criteria_vocabulary() -> serde_json::Value {
    use serde_json::json;
    json!({
        "attributes": Attribute::ALL.iter().map(|a| {
            let mut entry = json!({"code": a.code(), "type": a.value_type().code()});
            if let Some((min, max)) = a.number_range() {
                entry["min"] = json!(min);
                entry["max"] = json!(max);
            }
            entry
        }).collect::<Vec<_>>(),
        "types": ValueType::ALL.iter().map(|t| t.code()).collect::<Vec<_>>(),
        "ops": ValueType::ALL.iter().map(|t| (t.code().to_owned(), json!(t.ops()))).collect::<serde_json::Map<_, _>>(),
        "measures": Measure::ALL.iter().map(|m| json!({"code": m.code(), "type": m.value_type().code()})).collect::<Vec<_>>(),
        "event_kinds": EventKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
        "transaction_kinds": TransactionKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
        "campaign_actions": CampaignAction::ALL.iter().map(|a| a.code()).collect::<Vec<_>>(),
    })
}

async fn index() -> impl IntoResponse {
    // `</` cannot occur in serde's output of these values, so the JSON
    // cannot end the script element early.
    let config = format!(
        r#"<script id="fs-config" type="application/json">{}</script>"#,
        page_config()
    );
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CONTENT_SECURITY_POLICY, POLICY),
            (CACHE_CONTROL, "no-cache"),
        ],
        INDEX.replace("<!--FIELDSYNC_CONFIG-->", &config),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
}
