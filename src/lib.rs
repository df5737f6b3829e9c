//! viewas: the impersonation console SPA.
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    view! { <p>"viewas"</p> }
}
