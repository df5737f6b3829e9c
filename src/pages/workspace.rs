//! The user's workspace: settings, time zone, members, connections.

use leptos::prelude::*;

#[component]
pub fn WorkspacePage() -> impl IntoView {
    view! { <h1 tabindex="-1">"Workspace"</h1> }
}
