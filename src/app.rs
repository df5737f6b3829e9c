//! The router. Outside a session: sign in, Find a user, audit, summaries.
//! During a session only the view routes exist: every admin route redirects
//! into the session, and an unknown path shows Not found inside the banner
//! layout (guarantee 2a of DESIGN.md).

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, ParentRoute, Redirect, Route, Router, Routes},
    hooks::{use_location, use_query_map},
    path,
};
use wasm_bindgen::JsCast;

use crate::{
    lazy::{LazyAdminFrame, LazyPage, LazySessionFrame, Page},
    pages::login::LoginPage,
    session::SessionContext,
};

/// Where the session starts.
pub const SESSION_HOME: &str = "/session/assignments";

/// The console page asked for before signing in, to go to after it.
#[derive(Clone, Copy)]
struct ReturnTo(StoredValue<Option<String>>);

/// Whether `next` may be returned to: a path (no query) of this console's
/// own admin pages, never another origin (`//host`, `/\host`, a scheme) or
/// a page whose address says something else happens (sign-in, sessions).
pub fn is_return_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && next
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\\' | b'?' | b'#'))
        && !["/login", "/session"].iter().any(|p| next.starts_with(p))
}

#[component]
pub fn AppRouter() -> impl IntoView {
    provide_context(ReturnTo(StoredValue::new(None)));
    view! {
        <Router>
            <FocusOnNavigation />
            <Routes fallback=Fallback>
                <Route path=path!("/login") view=|| view! { <LoginGate /> }.into_any() />
                <Route path=path!("/") view=|| view! { <AdminGate><LazyPage page=Page::FindUser /></AdminGate> }.into_any() />
                <Route path=path!("/audit") view=|| view! { <AdminGate><LazyPage page=Page::Audit /></AdminGate> }.into_any() />
                <Route
                    path=path!("/summary/:id")
                    view=|| view! { <AdminGate><LazyPage page=Page::Summary /></AdminGate> }.into_any()
                />
                <ParentRoute path=path!("/session") view=|| view! { <SessionLayout /> }.into_any()>
                    <Route path=path!("") view=|| view! { <Redirect path=SESSION_HOME /> }.into_any() />
                    <Route path=path!("assignments") view=|| view! { <LazyPage page=Page::Assignments /> }.into_any() />
                    <Route path=path!("assignments/:id") view=|| view! { <LazyPage page=Page::Assignment /> }.into_any() />
                    <Route path=path!("runs") view=|| view! { <LazyPage page=Page::Runs /> }.into_any() />
                    <Route path=path!("runs/:id") view=|| view! { <LazyPage page=Page::Run /> }.into_any() />
                    <Route path=path!("workspace") view=|| view! { <LazyPage page=Page::Workspace /> }.into_any() />
                    <Route path=path!("*any") view=|| view! { <LazyPage page=Page::NotFound /> }.into_any() />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The banner layout of every session route.
#[component]
fn SessionLayout() -> impl IntoView {
    view! { <LazySessionFrame><Outlet /></LazySessionFrame> }
}

/// Unknown paths: inside the banner during a session, else on their own.
#[component]
fn Fallback() -> impl IntoView {
    let ctx = SessionContext::expect();
    move || {
        if ctx.is_active() {
            view! { <LazySessionFrame><LazyPage page=Page::NotFound /></LazySessionFrame> }
                .into_any()
        } else if ctx.is_signed_in() {
            view! { <LazyAdminFrame><LazyPage page=Page::NotFound /></LazyAdminFrame> }.into_any()
        } else {
            view! {
                <main id="main" class="page"><LazyPage page=Page::NotFound /></main>
            }
            .into_any()
        }
    }
}

/// Admin pages: into the session while one is active, to sign in without a
/// token (and back here after it).
#[component]
pub fn AdminGate(children: ChildrenFn) -> impl IntoView {
    let ctx = SessionContext::expect();
    let ReturnTo(return_to) = expect_context();
    let location = use_location();
    let signed_in = Memo::new(move |_| ctx.is_signed_in());
    move || {
        if ctx.is_active() {
            view! { <Redirect path=SESSION_HOME /> }.into_any()
        } else if !signed_in.get() {
            // The path only: the admin pages read no query (the portal's
            // `?partner_origin=` is read once at start-up).
            let here = location.pathname.get_untracked();
            let to = if here == "/" {
                "/login".to_string()
            } else {
                format!("/login?next={}", crate::client::encode(&here))
            };
            view! { <Redirect path=to /> }.into_any()
        } else if let Some(next) = return_to
            .try_update_value(Option::take)
            .flatten()
            .filter(|n| *n != location.pathname.get_untracked())
        {
            view! { <Redirect path=next /> }.into_any()
        } else {
            children()
        }
    }
}

#[component]
fn LoginGate() -> impl IntoView {
    let ctx = SessionContext::expect();
    let signed_in = Memo::new(move |_| ctx.is_signed_in());
    // `?next=` names the page to go to once signed in; the admin pages'
    // gate takes it from here (sign-in itself goes to `/`).
    let ReturnTo(return_to) = expect_context();
    // Only for a sign-in still to come: one already made (a session may be
    // running) must not send a later page, such as the summary, elsewhere.
    let next = use_query_map().with_untracked(|q| q.get("next"));
    let signed_in_now = ctx.auth_untracked().is_some();
    return_to.set_value(next.filter(|n| !signed_in_now && is_return_path(n)));
    move || {
        if ctx.is_active() {
            view! { <Redirect path=SESSION_HOME /> }.into_any()
        } else if signed_in.get() {
            view! { <Redirect path="/" /> }.into_any()
        } else {
            view! { <LoginPage /> }.into_any()
        }
    }
}

/// After each client-side navigation, focus moves to the page's main heading
/// (it may arrive a moment later, with the data).
#[component]
fn FocusOnNavigation() -> impl IntoView {
    let location = use_location();
    Effect::new(move |prev: Option<String>| {
        let path = location.pathname.get();
        if prev.as_ref().is_some_and(|p| p != &path) && path != "/login" {
            focus_heading(10);
        }
        path
    });
}

fn focus_heading(tries: u32) {
    gloo_timers::callback::Timeout::new(60, move || {
        let heading = document()
            .query_selector("main h1")
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        match heading {
            Some(h) => {
                // The heading is at the top already; scrolling would move an
                // embedding portal's page instead.
                let options = web_sys::FocusOptions::new();
                options.set_prevent_scroll(true);
                let _ = h.focus_with_options(&options);
            }
            None if tries > 0 => focus_heading(tries - 1),
            None => {}
        }
    })
    .forget();
}
