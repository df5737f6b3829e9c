//! The HTTP surface: the routes of the one route table (`routes.rs`), the
//! view enforcement layer, security headers, and the SPA's static files.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod blocked;
pub mod error;
pub mod extractor;
pub mod impersonations;
pub mod portal;
pub mod routes;
pub mod users;
pub mod view;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{BoxError, Json, Router};
use serde::Serialize;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::store::Store;
pub use error::AppError;
pub use routes::{api_routes, Access, ApiRoute};

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
    /// Peers whose `X-Forwarded-For` names the client (sign-in throttling).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_session_secs: 30 * 60,
            idle_timeout_secs: 10 * 60,
            partner_origins: Vec::new(),
            dist: PathBuf::from("dist"),
            trusted_proxies: Vec::new(),
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
    let api = routes::api_router()
        .merge(view::router())
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    let spa = web::spa(&state.settings.dist);
    let routed = api
        .fallback(move |req: Request| web::fallback(spa.clone(), req))
        .with_state(state.clone());
    // Outermost first; wrapping the router once keeps one chain of layers
    // per request rather than one per route.
    let layered = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        // The wasm bundle is megabytes: gzip it for tablets on slow links
        // (the build's .br twins are served as they are).
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new(JSON))),
        )
        // The API's JSON at the fastest level: small answers, one per
        // request, where the default level cost more CPU than it saved.
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
        .layer(middleware::from_fn(no_store))
        // The one enforcement layer for /api/view/*: it wraps the whole
        // router (every route and the fallback), so no view path is
        // reachable around it.
        .layer(middleware::from_fn_with_state(state.clone(), view::enforce))
        // Writes with an impersonation token outside the view routes.
        .layer(middleware::from_fn_with_state(state, blocked::record))
        // Inside the gates above, so a write refused for its size is still
        // refused (and recorded) as a write first.
        .layer(middleware::map_response(too_large_in_error_shape))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
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

/// `200` answer of `GET /api/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
}

/// Answers once the server serves; touches no state.
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Public: which parent origins the SPA may post session messages to. The
/// same list as `frame-ancestors` (minus 'self'), so a frame the browser
/// allowed is always one the SPA may talk to, and no other.
pub(crate) async fn public_config(State(state): State<AppState>) -> Json<viewas_api::PublicConfig> {
    Json(viewas_api::PublicConfig {
        partner_origins: state.settings.partner_origins.clone(),
    })
}

/// `RequestBodyLimitLayer` refuses a declared oversized body in plain text
/// (a streamed one reaches the JSON extractor, which answers in shape);
/// the contract wants every 413 in the error shape.
async fn too_large_in_error_shape<B>(res: Response<B>) -> Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge.into_response();
    }
    res.into_response()
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
