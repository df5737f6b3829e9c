//! The demo partner portal: a static page on a second origin that embeds the
//! console in an `<iframe>`. It is a stand-in for a partner's own
//! site, so it shares nothing with the console but the address it is told
//! to frame: its own router, its own CSP, its own listener.

use std::path::PathBuf;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// What the portal needs to know.
#[derive(Debug, Clone)]
pub struct Portal {
    /// Static files: index.html, portal.js, portal.css.
    pub dir: PathBuf,
    /// The console's origin, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub console_origin: String,
}

/// `/config.json`, read by portal.js.
#[derive(Debug, Clone, Serialize)]
pub struct PortalConfig {
    /// Where the console is, with a trailing slash.
    pub console_url: String,
}

/// The portal's router. `/config.json` tells portal.js where the console is;
/// everything else is a file from `dir` (404 when missing).
pub fn portal_app(portal: Portal) -> Router {
    let csp = portal_csp(&portal.console_origin);
    let config = PortalConfig {
        console_url: format!("{}/", portal.console_origin),
    };
    let files = ServeDir::new(&portal.dir);
    Router::new()
        .route(
            "/config.json",
            get(move || {
                let config = config.clone();
                async move { ([(header::CACHE_CONTROL, "no-store")], Json(config)) }
            }),
        )
        .fallback(move |req: Request| {
            let files = files.clone();
            async move {
                match files.oneshot(req).await {
                    Ok(res) => res.into_response(),
                    Err(never) => match never {},
                }
            }
        })
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Only the portal's own script and styles, and frames only from the
/// console: an injected inline script or a frame of anything else is
/// refused by the browser.
pub fn portal_csp(console_origin: &str) -> HeaderValue {
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-src {console_origin}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    // The origin comes from a bound socket address, which never holds
    // characters a header refuses; still, fail closed rather than panic.
    HeaderValue::from_str(&csp).unwrap_or_else(|_| {
        HeaderValue::from_static("default-src 'self'; frame-src 'none'; frame-ancestors 'none'")
    })
}

/// Serves the portal on `listener` until `shutdown` resolves.
pub async fn launch_portal(
    listener: tokio::net::TcpListener,
    portal: Portal,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    launch_portal_with(listener, portal, crate::serve::Limits::default(), shutdown).await
}

/// [`launch_portal`] with the given connection limits.
pub async fn launch_portal_with(
    listener: tokio::net::TcpListener,
    portal: Portal,
    limits: crate::serve::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if !portal.dir.join("index.html").is_file() {
        tracing::warn!(
            "{} has no index.html: the demo partner portal will answer 404",
            portal.dir.display()
        );
    }
    crate::serve::serve(listener, portal_app(portal), limits, shutdown).await
}
