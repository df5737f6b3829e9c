//! The one layout of every page shown during a session: banner, notes
//! drawer, tabs, the time zone line and the page. Without an active session
//! it shows nothing of the session and sends the user to the summary of the
//! session just left (or to the admin home).

use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

use crate::{
    client::ApiClient,
    components::{Banner, NotesDrawer},
    session::SessionContext,
    time,
};

/// How often an open session asks the server whether it still stands.
pub const CHECK_EVERY_MS: u32 = 10_000;

/// While the frame is shown, asks the server every [`CHECK_EVERY_MS`]
/// whether the session still stands: a revocation made elsewhere ends it in
/// an idle tab too, not only at its next view request.
fn watch_for_server_side_end() {
    let api = ApiClient::expect();
    let interval = gloo_timers::callback::Interval::new(CHECK_EVERY_MS, move || {
        let api = api.clone();
        leptos::task::spawn_local(async move { api.check_session().await });
    });
    let stored = StoredValue::new_local(Some(interval));
    on_cleanup(move || {
        stored.try_update_value(|i| i.take().map(|i| i.cancel()));
    });
}

#[component]
pub fn SessionFrame(children: ChildrenFn) -> impl IntoView {
    // The other tabs, and the summary that Exit leads to.
    crate::lazy::preload(
        &[],
        &[
            crate::lazy::Page::Runs,
            crate::lazy::Page::Workspace,
            crate::lazy::Page::Summary,
        ],
    );
    let ctx = SessionContext::expect();
    watch_for_server_side_end();
    let notes_open = RwSignal::new(false);
    let zone = move || {
        ctx.with_active(|a| {
            a.map(|a| time::zone_label(&a.session.target.timezone, &a.session.target.name))
        })
    };
    move || {
        if ctx.is_active() {
            let children = children.clone();
            view! {
                <div class="session-shell">
                    <div class="session-top">
                        <Banner notes_open=notes_open />
                        <NotesDrawer open=notes_open />
                    </div>
                    <nav class="tabs" aria-label="Views of this user">
                        <A href="/session/assignments">"Assignments"</A>
                        <A href="/session/runs">"Runs"</A>
                        <A href="/session/workspace">"Workspace"</A>
                    </nav>
                    <main id="main" class="page session-page">
                        <p class="zone-note">"Showing " <bdi>{zone}</bdi> "."</p>
                        {children()}
                    </main>
                </div>
            }
            .into_any()
        } else {
            leave_session().into_any()
        }
    }
}

/// Where a session page goes once there is no session: to the summary of
/// the one just left, or to the admin home.
pub fn leave_session() -> impl IntoView {
    let to = SessionContext::expect()
        .ended_untracked()
        .map(|e| format!("/summary/{}", e.session.id))
        .unwrap_or_else(|| "/".to_string());
    view! { <Redirect path=to /> }
}
