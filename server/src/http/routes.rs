//! The API's route table: every non-view route, who may call it, and its
//! handler. [`api_router`] registers exactly these, and the authorisation
//! matrix (tests/matrix.rs) iterates the same [`api_routes`], so no route
//! can be served without being in the matrix. The view routes are
//! `viewas_api::VIEW_ROUTES`, shared with the SPA's guard (see `view.rs`).

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use axum::Router;

use super::{admin, audit, auth, impersonations, users, AppState};

/// Who may call a route: one cell per route of the authorisation matrix.
/// The handler's extractor enforces it; the matrix checks the two agree.
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

/// One row of the table.
#[derive(Debug, Clone)]
pub struct ApiRoute {
    pub method: Method,
    /// axum 0.8 syntax: `{id}` is one path segment.
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

fn get<H, T>(path: &'static str, access: Access, handler: H) -> ApiRoute
where
    H: Handler<T, AppState>,
    T: 'static,
{
    ApiRoute {
        method: Method::GET,
        path,
        access,
        handler: routing::get(handler),
    }
}

fn post<H, T>(path: &'static str, access: Access, handler: H) -> ApiRoute
where
    H: Handler<T, AppState>,
    T: 'static,
{
    ApiRoute {
        method: Method::POST,
        path,
        access,
        handler: routing::post(handler),
    }
}

/// Every non-view API route, in the contract's order.
pub fn api_routes() -> Vec<ApiRoute> {
    use Access::*;
    vec![
        get("/api/health", Anyone, super::health),
        get("/api/config", Anyone, super::public_config),
        post("/api/auth/login", Anyone, auth::login),
        post("/api/auth/logout", Signed, auth::logout),
        get("/api/me", Signed, auth::me),
        get("/api/me/access-history", Signed, auth::access_history),
        get("/api/users", Staff, users::search),
        post("/api/impersonations", Staff, impersonations::start),
        get(
            "/api/impersonations/{id}",
            SessionOwner,
            impersonations::show,
        ),
        post(
            "/api/impersonations/{id}/end",
            SessionOwner,
            impersonations::end,
        ),
        post(
            "/api/impersonations/{id}/notes",
            SessionOwner,
            impersonations::add_note,
        ),
        post(
            "/api/impersonations/{id}/export",
            SessionOwner,
            impersonations::export,
        ),
        get("/api/audit/sessions", Staff, audit::list_sessions),
        get("/api/audit/events", Staff, audit::list_events),
        get("/api/audit/verify", Admin, audit::verify),
        post("/api/admin/users/{id}/disable", Admin, admin::disable),
        post("/api/admin/users/{id}/enable", Admin, admin::enable),
        post("/api/admin/users/{id}/role", Admin, admin::set_role),
    ]
}

/// A router with every route of [`api_routes`] and nothing else; two rows
/// on one path (different methods) share it.
pub fn api_router() -> Router<AppState> {
    api_routes()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
}
