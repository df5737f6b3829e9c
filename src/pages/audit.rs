//! Audit: sessions with filters, a session's events, the chain's status.

use leptos::prelude::*;

use crate::components::AdminFrame;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <AdminFrame>
            <h1 tabindex="-1">"Audit"</h1>
        </AdminFrame>
    }
}
