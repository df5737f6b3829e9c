//! viewas: the impersonation console SPA (Leptos 0.8, client-side rendered).
//!
//! - [`session`]: the signed-in admin and the one active impersonation.
//! - [`client`]: the only way out to the network, with the request guard.
//! - [`app`]: the router; [`pages`] one file per route; [`components`] the rest.

pub mod app;
pub mod client;
pub mod components;
pub mod embed;
pub mod lazy;
pub mod message;
pub mod pages;
pub mod session;
pub mod storage;
pub mod time;

use std::sync::Arc;

use leptos::prelude::*;

use crate::{
    client::{ApiClient, FetchTransport, Transport},
    session::SessionContext,
    time::{Clock, SystemClock},
};

/// Provides the session context (restored from sessionStorage, with the
/// browser's clock and tab listener) and the API client over `transport`.
/// The app calls it with [`FetchTransport`]; tests with their own transport.
pub fn provide_app_contexts(transport: Arc<dyn Transport>) -> (SessionContext, ApiClient) {
    provide_app_contexts_with_clock(transport, Arc::new(SystemClock))
}

/// [`provide_app_contexts`] with the session counting down by `clock`.
pub fn provide_app_contexts_with_clock(
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
) -> (SessionContext, ApiClient) {
    let ctx = SessionContext::provide_with_clock(clock);
    let api = ApiClient::provide(transport, ctx);
    (ctx, api)
}

#[component]
pub fn App() -> impl IntoView {
    embed::init();
    let (_, api) = provide_app_contexts(Arc::new(FetchTransport));
    if embed::is_framed() {
        leptos::task::spawn_local(async move { load_partner_origins(&api).await });
    }
    view! { <app::AppRouter /> }
}

/// Gives [`embed`] the server's partner origins (`GET /api/config`), once;
/// a failure leaves none, so no message is posted (fail closed).
pub async fn load_partner_origins(api: &ApiClient) {
    if embed::is_configured() {
        return;
    }
    if let Ok(config) = api.public_config().await {
        embed::configure(&config);
    }
}
