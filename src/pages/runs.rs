//! Runs: filters, paging, the 30-day chart, and one run's detail.

use leptos::prelude::*;

#[component]
pub fn RunsPage() -> impl IntoView {
    view! { <h1 tabindex="-1">"Runs"</h1> }
}

#[component]
pub fn RunDetailPage() -> impl IntoView {
    view! { <h1 tabindex="-1">"Run"</h1> }
}
