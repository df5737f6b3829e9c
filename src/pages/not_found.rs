//! Not found: for any unknown path; inside the banner layout when a session
//! is active (the router puts it there).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::SessionContext;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let ctx = SessionContext::expect();
    let (href, words) = if ctx.active_untracked().is_some() {
        ("/session/assignments", "Back to the assignments")
    } else if ctx.auth_untracked().is_some() {
        ("/", "Back to Find a user")
    } else {
        ("/login", "Go to sign in")
    };
    view! {
        <h1 tabindex="-1">"Page not found"</h1>
        <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
        <p class="link-line">
            <A href=href>{words}</A>
        </p>
    }
}
