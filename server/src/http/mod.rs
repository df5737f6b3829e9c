//! The HTTP surface: one `router()` per resource merged here, the view
//! enforcement layer, security headers, and the SPA's static files.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod blocked;
pub mod error;
pub mod extractor;
pub mod impersonations;
pub mod portal;
pub mod users;
pub mod view;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::store::Store;
pub use error::AppError;

/// Who may call a route: one cell per route of the authorisation matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Anyone,
    /// Any sign-in token (admin, partner, user); impersonation tokens → 403.
    Signed,
    /// Administrators and partners (partners within their scope).
    Staff,
    /// Administrators only.
    Admin,
    /// The session's impersonator with either token; administrators may read.
    SessionOwner,
    /// Impersonation token of an active session, GET only (the view gate).
    View,
}

#[derive(Debug, Clone, Copy)]
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> ApiRoute {
    ApiRoute {
        method,
        path,
        access,
    }
}

/// Every non-view API route and who may call it, for reviewers and for
/// table-driven tests (view routes are `viewas_api::VIEW_ROUTES`, all
/// [`Access::View`]). A test checks that each of these is routed.
pub const API_ROUTES: &[ApiRoute] = &[
    r("GET", "/api/health", Access::Anyone),
    r("GET", "/api/config", Access::Anyone),
    r("POST", "/api/auth/login", Access::Anyone),
    r("POST", "/api/auth/logout", Access::Signed),
    r("GET", "/api/me", Access::Signed),
    r("GET", "/api/me/access-history", Access::Signed),
    r("GET", "/api/users", Access::Staff),
    r("POST", "/api/impersonations", Access::Staff),
    r("GET", "/api/impersonations/{id}", Access::SessionOwner),
    r("POST", "/api/impersonations/{id}/end", Access::SessionOwner),
    r(
        "POST",
        "/api/impersonations/{id}/notes",
        Access::SessionOwner,
    ),
    r(
        "POST",
        "/api/impersonations/{id}/export",
        Access::SessionOwner,
    ),
    r("GET", "/api/audit/sessions", Access::Staff),
    r("GET", "/api/audit/events", Access::Staff),
    r("GET", "/api/audit/verify", Access::Admin),
    r("POST", "/api/admin/users/{id}/disable", Access::Admin),
    r("POST", "/api/admin/users/{id}/enable", Access::Admin),
    r("POST", "/api/admin/users/{id}/role", Access::Admin),
];

/// Largest request body accepted (DESIGN: 64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Session limits and the embedding policy.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_session_secs: i64,
    pub idle_timeout_secs: i64,
    /// Origins allowed to frame the console (CSP frame-ancestors).
    pub partner_origins: Vec<String>,
    /// The built SPA.
    pub dist: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_session_secs: 30 * 60,
            idle_timeout_secs: 10 * 60,
            partner_origins: Vec::new(),
            dist: PathBuf::from("dist"),
        }
    }
}

/// Everything a handler needs. Cheap to clone. Holds no session state of its
/// own: that lives in the database (DESIGN, "Beyond one machine").
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        AppState(Arc::new(Inner {
            store,
            clock,
            settings,
        }))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// The whole application; tests drive it with `oneshot`.
pub fn app(state: AppState) -> Router {
    let csp = web::content_security_policy(&state.settings);
    let api = Router::new()
        .route("/api/health", get(health))
        .route("/api/config", get(public_config))
        .merge(auth::router())
        .merge(users::router())
        .merge(impersonations::router())
        .merge(view::router())
        .merge(audit::router())
        .merge(admin::router())
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    let spa = web::spa(&state.settings.dist);
    let routed = api
        .fallback(move |req: Request| web::fallback(spa.clone(), req))
        .with_state(state.clone());
    // The layers wrap the whole router once, outermost first. Given to
    // `Router::layer` instead, each layer was applied to every route on its
    // own and boxed there, so every request cloned a chain of a dozen boxed
    // services (~7.5k instructions and ~76 allocations under callgrind).
    // The order of the gates is the same as it was.
    let layered = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        // The wasm bundle is megabytes; gzip it for tablets on slow links.
        // No brotli on the fly: it costs too much CPU for that bundle (the
        // build's .br files are served as they are), and with tower-http's
        // `compression-br` feature every answer's body, compressed or not,
        // was an enum as large as a brotli encoder (~11.7 KB), copied
        // several times per request on its way out (perf: 7% of an audited
        // request's CPU in memcpy). Everything but JSON (the layer below
        // has that) at the default level.
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new(JSON))),
        )
        // The API's JSON at the fastest level: gzip at the default level
        // was two thirds of an audited runs page's CPU for any client that
        // accepts it (every browser): ~190 us instead of ~55 us per request
        // under bench/server.sh's load with `Accept-Encoding: gzip`, ~90 us
        // at this level, for a page of 2.5 KB instead of 1.9 KB (13 KB
        // plain).
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(is_json)),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(no_store))
        // The one enforcement layer for /api/view/*: it wraps the whole
        // router (every route and the fallback), so no view path is
        // reachable around it.
        .layer(middleware::from_fn_with_state(state.clone(), view::enforce))
        // Writes with an impersonation token outside the view routes.
        .layer(middleware::from_fn_with_state(state, blocked::record))
        // Inside the gates above, so a write refused for its size is still
        // refused (and recorded) as a write first.
        .layer(middleware::from_fn(refuse_oversized))
        // A panicking handler answers 500 in the error shape; inside the
        // view gate, so even that answer gets its audit row.
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                AppError::Internal("a handler panicked".into()).into_response()
            },
        ))
        .service(routed);
    Router::new().fallback_service(layered)
}

/// The content type of the API's answers.
const JSON: &str = "application/json";

/// Whether an answer is JSON (compressed by the faster of the two layers).
fn is_json(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(JSON.as_bytes()))
}

/// The ceiling of the benchmarks: no state, no database, no allocation
/// beyond the static body.
async fn health() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        r#"{"status":"ok"}"#,
    )
}

/// Public: which parent origins the SPA may post session messages to. The
/// same list as `frame-ancestors` (minus 'self'), so a frame the browser
/// allowed is always one the SPA may talk to, and no other.
async fn public_config(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<viewas_api::PublicConfig> {
    axum::Json(viewas_api::PublicConfig {
        partner_origins: state.settings.partner_origins.clone(),
    })
}

/// Refuses declared oversized bodies before anything reads them (chunked
/// bodies are caught by `DefaultBodyLimit` in the JSON extractor).
async fn refuse_oversized(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    next.run(req).await
}

/// Keeps API answers — impersonated data above all, and every refusal —
/// out of every cache.
async fn no_store(req: Request, next: Next) -> Response {
    let is_api = web::is_api_path(req.uri().path());
    let mut res = next.run(req).await;
    if is_api {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
