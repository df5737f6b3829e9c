//! Pages and layouts whose code is loaded when first shown.
//!
//! With the `split` feature (the release build, `scripts/split_spa.sh`),
//! each page and layout below is a split point (Leptos's `wasm_split`): its
//! code, and whatever only it uses, goes into its own wasm module, fetched
//! the first time it is shown (and ahead of time by [`preload`]). The first
//! load then carries the router, the gates, the session context, the client
//! and sign-in, not every page of the console.
//!
//! Not `#[lazy_route]`: in Leptos 0.8 its split points are infallible, and a
//! module that fails to download panics, which aborts the whole app. Here a
//! failed download shows words and Retry, and inside a session Exit, since
//! the banner may be what failed (e2e/tests/lazy_modules.test.js).
//!
//! Without the feature (tests, `trunk serve`) the same pages are ordinary
//! code and [`LazyPage`] shows them at once.

use std::sync::Arc;

use futures::FutureExt;
use leptos::prelude::*;
#[cfg(feature = "split")]
use leptos::wasm_split::wasm_split;

use crate::{
    client::ApiClient,
    components::{self, session_frame::leave_session, Skeleton},
    pages,
    session::SessionContext,
};

/// A page behind a split point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    FindUser,
    Audit,
    Summary,
    Assignments,
    Assignment,
    Runs,
    Run,
    Workspace,
    NotFound,
}

/// A layout around pages, behind a split point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// Banner, notes, tabs: every page of a session.
    Session,
    /// The admin header, for pages outside a session.
    Admin,
}

/// What a split point holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Page(Page),
    Frame(Frame),
}

/// Makes the view of a page or a layout; the function lives in its own
/// module. A layout wraps the children; a page has none and ignores them.
pub type PartView = fn(ChildrenFn) -> AnyView;

/// Why a part could not be shown: its module did not load.
pub type LoadError = leptos::wasm_split::SplitLoaderError;

// One function per module: each returns the view functions of its parts.
// With `split` each becomes `async` and loads its module first.

#[cfg_attr(feature = "split", wasm_split(find_user, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_find_user)))]
fn find_user() -> Result<PartView, LoadError> {
    Ok(|_| view! { <pages::impersonate::ImpersonatePage /> }.into_any())
}

#[cfg_attr(feature = "split", wasm_split(audit, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_audit)))]
fn audit() -> Result<PartView, LoadError> {
    Ok(|_| view! { <pages::audit::AuditPage /> }.into_any())
}

#[cfg_attr(feature = "split", wasm_split(summary, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_summary)))]
fn summary() -> Result<PartView, LoadError> {
    Ok(|_| view! { <pages::summary::SummaryPage /> }.into_any())
}

#[cfg_attr(feature = "split", wasm_split(assignments, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_assignments)))]
fn assignments(detail: bool) -> Result<PartView, LoadError> {
    Ok(if detail {
        |_| view! { <pages::assignments::AssignmentDetailPage /> }.into_any()
    } else {
        |_| view! { <pages::assignments::AssignmentsPage /> }.into_any()
    })
}

#[cfg_attr(feature = "split", wasm_split(runs, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_runs)))]
fn runs(detail: bool) -> Result<PartView, LoadError> {
    Ok(if detail {
        |_| view! { <pages::runs::RunDetailPage /> }.into_any()
    } else {
        |_| view! { <pages::runs::RunsPage /> }.into_any()
    })
}

#[cfg_attr(feature = "split", wasm_split(workspace, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_workspace)))]
fn workspace() -> Result<PartView, LoadError> {
    Ok(|_| view! { <pages::workspace::WorkspacePage /> }.into_any())
}

#[cfg_attr(feature = "split", wasm_split(not_found, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_not_found)))]
fn not_found() -> Result<PartView, LoadError> {
    Ok(|_| view! { <pages::not_found::NotFoundPage /> }.into_any())
}

#[cfg_attr(feature = "split", wasm_split(session_frame, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_session_frame)))]
fn session_frame() -> Result<PartView, LoadError> {
    Ok(|children| components::SessionFrame(components::SessionFrameProps { children }).into_any())
}

#[cfg_attr(feature = "split", wasm_split(admin_frame, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_admin_frame)))]
fn admin_frame() -> Result<PartView, LoadError> {
    Ok(|children| {
        view! { <components::AdminFrame>{children()}</components::AdminFrame> }.into_any()
    })
}

/// Calls a module's function: awaited (its module loads first) with
/// `split`, directly without.
macro_rules! call {
    ($f:ident($($arg:expr),*)) => {{
        #[cfg(feature = "split")]
        let got = $f($($arg),*).await;
        #[cfg(not(feature = "split"))]
        let got = $f($($arg),*);
        got
    }};
}

/// The view function of `part`, its module loaded.
async fn load(part: Part) -> Result<PartView, LoadError> {
    match part {
        Part::Page(Page::FindUser) => call!(find_user()),
        Part::Page(Page::Audit) => call!(audit()),
        Part::Page(Page::Summary) => call!(summary()),
        Part::Page(Page::Assignments) => call!(assignments(false)),
        Part::Page(Page::Assignment) => call!(assignments(true)),
        Part::Page(Page::Runs) => call!(runs(false)),
        Part::Page(Page::Run) => call!(runs(true)),
        Part::Page(Page::Workspace) => call!(workspace()),
        Part::Page(Page::NotFound) => call!(not_found()),
        Part::Frame(Frame::Session) => call!(session_frame()),
        Part::Frame(Frame::Admin) => call!(admin_frame()),
    }
}

/// Fetches the modules of `frames` and `pages` in the background, so that
/// going there later does not wait for the network (a failure is retried
/// when the part is shown).
pub fn preload(frames: &'static [Frame], pages: &'static [Page]) {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async move {
        for frame in frames {
            let _ = match frame {
                Frame::Session => preload_session_frame().await,
                Frame::Admin => preload_admin_frame().await,
            };
        }
        for page in pages {
            let _ = match page {
                Page::FindUser => preload_find_user().await,
                Page::Audit => preload_audit().await,
                Page::Summary => preload_summary().await,
                Page::Assignments | Page::Assignment => preload_assignments().await,
                Page::Runs | Page::Run => preload_runs().await,
                Page::Workspace => preload_workspace().await,
                Page::NotFound => preload_not_found().await,
            };
        }
    });
    #[cfg(not(feature = "split"))]
    let _ = (frames, pages);
}

/// The state of a part's module.
#[derive(Clone, Copy)]
enum Loaded {
    Loading,
    Ready(PartView),
    Failed,
}

/// Shows `part` around `children` once its module is loaded: a loading
/// state meanwhile, an error with Retry if the module cannot be fetched.
/// Inside a session (`in_session`) the error offers Exit as well, since the
/// banner may be what failed, and a session that ends before its part is
/// there leaves as the session frame would.
fn lazily(part: Part, children: ChildrenFn, in_session: bool) -> impl IntoView {
    let ctx = SessionContext::expect();
    let state = RwSignal::new(Loaded::Loading);
    let fetch = move || {
        state.set(Loaded::Loading);
        leptos::task::spawn_local(async move {
            let next = match load(part).await {
                Ok(view) => Loaded::Ready(view),
                Err(_) => Loaded::Failed,
            };
            // The user may have left the page meanwhile.
            let _ = state.try_set(next);
        });
    };
    if cfg!(feature = "split") {
        fetch();
    } else if let Some(Ok(view)) = load(part).now_or_never() {
        // Without `split` nothing is fetched: the part renders in the same
        // tick as its route.
        state.set(Loaded::Ready(view));
    }
    move || match state.get() {
        Loaded::Ready(view) => view(children.clone()),
        _ if in_session && !ctx.is_active() => leave_session().into_any(),
        Loaded::Loading => view! { <Skeleton /> }.into_any(),
        Loaded::Failed => view! {
            <div class="error-panel" role="alert">
                <p>"This page could not be loaded. Check the connection, then try again."</p>
                <button type="button" class="btn btn-secondary" on:click=move |_| fetch()>
                    "Retry"
                </button>
                {in_session.then(|| view! { <ExitWithoutBanner /> })}
            </div>
        }
        .into_any(),
    }
}

/// Shows `page` once its module is loaded (the frame around it, banner
/// included, is already there).
#[component]
pub fn LazyPage(page: Page) -> impl IntoView {
    lazily(Part::Page(page), Arc::new(|| ().into_any()), false)
}

/// The banner layout of a session, loaded with its module. Until then
/// nothing of the page is shown, so nothing of it is requested.
#[component]
pub fn LazySessionFrame(children: ChildrenFn) -> impl IntoView {
    lazily(Part::Frame(Frame::Session), children, true)
}

/// The admin layout, loaded with its module (for Not found: the admin
/// pages carry it in their own modules).
#[component]
pub fn LazyAdminFrame(children: ChildrenFn) -> impl IntoView {
    lazily(Part::Frame(Frame::Admin), children, false)
}

/// Exit for a session whose banner could not be loaded: the banner's Exit
/// (`ApiClient::exit`).
#[component]
fn ExitWithoutBanner() -> impl IntoView {
    let api = ApiClient::expect();
    let exit = move |_| {
        let api = api.clone();
        leptos::task::spawn_local(async move { api.exit().await });
    };
    view! {
        <button type="button" class="btn btn-exit" on:click=exit>
            "Exit"
        </button>
    }
}
