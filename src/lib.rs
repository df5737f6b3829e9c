//! viewas: the impersonation console SPA (Leptos 0.8, client-side rendered).
//!
//! - [`session`]: the signed-in admin and the one active impersonation.
//! - [`api`]: the only way out to the network, with the request guard.
//! - [`app`]: the router; [`pages`] one file per route; [`components`] the rest.

pub mod api;
pub mod app;
pub mod components;
pub mod embed;
pub mod erase;
pub mod json;
pub mod lazy;
pub mod pages;
pub mod session;
pub mod storage;
pub mod time;

use std::sync::Arc;

use leptos::prelude::*;

use crate::{
    api::{ApiClient, FetchTransport, Transport},
    session::SessionContext,
};

/// Provides the session context (restored from sessionStorage, with its
/// clock and tab listener) and the API client over `transport`. The app
/// calls it with [`FetchTransport`]; tests with their own transport.
pub fn provide_app_contexts(transport: Arc<dyn Transport>) -> (SessionContext, ApiClient) {
    let ctx = SessionContext::provide();
    let api = ApiClient::provide(transport, ctx);
    (ctx, api)
}

#[component]
pub fn App() -> impl IntoView {
    embed::init();
    let (_, api) = provide_app_contexts(Arc::new(FetchTransport));
    if embed::is_framed() {
        leptos::task::spawn_local(embed::load_server_origins(api));
    }
    view! { <app::AppRouter /> }
}
