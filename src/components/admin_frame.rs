//! The layout of the admin tools (outside a session): who is signed in, the
//! two tools and Sign out.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate};
use viewas_api::Role;

use crate::{client::ApiClient, session::SessionContext};

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Administrator",
        Role::Partner => "Partner admin",
        Role::User => "User",
    }
}

#[component]
pub fn AdminFrame(children: Children) -> impl IntoView {
    // The header's other page.
    crate::lazy::preload(
        &[],
        &[crate::lazy::Page::FindUser, crate::lazy::Page::Audit],
    );
    let ctx = SessionContext::expect();
    let api = ApiClient::expect();
    let navigate = use_navigate();
    let who = move || {
        ctx.auth()
            .map(|a| format!("{} · {}", a.user.name, a.user.org.name))
            .unwrap_or_default()
    };
    let sign_out = move |_| {
        let api = api.clone();
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = api.logout().await;
            ctx.sign_out_local();
            navigate("/login", Default::default());
        });
    };
    view! {
        <div class="admin-shell">
            <header class="topbar">
                <a class="brand" href="/">"viewas"</a>
                <nav class="topnav" aria-label="Tools">
                    <A href="/" exact=true>"Find a user"</A>
                    <A href="/audit">"Audit"</A>
                </nav>
                <div class="topbar-user">
                    <span class="topbar-who"><bdi>{who}</bdi></span>
                    <button type="button" class="btn btn-secondary" on:click=sign_out>
                        "Sign out"
                    </button>
                </div>
            </header>
            <main id="main" class="page">{children()}</main>
        </div>
    }
}
