//! The one layout of every page shown during a session: banner, notes
//! drawer, tabs, the time zone line and the page. Without an active session
//! it shows nothing of the session and sends the user to the summary of the
//! session just left (or to the admin home).

use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

use crate::{
    components::{Banner, NotesDrawer},
    session::SessionContext,
    time,
};

#[component]
pub fn SessionFrame(children: ChildrenFn) -> impl IntoView {
    let ctx = SessionContext::expect();
    let notes_open = RwSignal::new(false);
    let zone = move || {
        ctx.with_active(|a| {
            a.map(|a| time::zone_label(&a.session.target.timezone, &a.session.target.name))
        })
    };
    crate::erase::reactive(move || {
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
            let to = ctx
                .ended_untracked()
                .map(|e| format!("/summary/{}", e.session.id))
                .unwrap_or_else(|| "/".to_string());
            view! { <Redirect path=to /> }.into_any()
        }
    })
}
