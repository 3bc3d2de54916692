//! The Portal's screens (`/portal/`): one small page over the JSON API,
//! served by the same process. The page, its script and its style sheet are
//! compiled in (`screens/`): no front-end build step, nothing to install.
//! The page carries what its dropdowns offer from core (the visit
//! frequencies in the Portal's order and words), so no list is restated in
//! the script.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use fieldsync_core::model::VisitFrequency;

const INDEX: &str = include_str!("../screens/index.html");
const SCRIPT: &str = include_str!("../screens/portal.js");
const STYLE: &str = include_str!("../screens/portal.css");

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
            "/portal/portal.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/portal/portal.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
}

/// The page's configuration, embedded as JSON (`<script type="application/json">`).
pub fn page_config() -> serde_json::Value {
    serde_json::json!({
        "visit_frequencies": VisitFrequency::ALL
            .iter()
            .map(|f| serde_json::json!({"code": f.code(), "label": f.label()}))
            .collect::<Vec<_>>(),
        "languages": LANGUAGES,
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
