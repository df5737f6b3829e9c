//! Loading skeletons, errors with Retry and empty states.

use leptos::prelude::*;

use crate::client::ApiErr;

/// Grey placeholder lines in the shape of the content, so the page does not
/// jump when it arrives.
#[component]
pub fn Skeleton(#[prop(default = 4)] rows: usize) -> impl IntoView {
    view! {
        <div class="skeleton" role="status" aria-live="polite">
            <span class="visually-hidden">"Loading…"</span>
            {(0..rows).map(|_| view! { <div class="skeleton-line" aria-hidden="true"></div> }).collect_view()}
        </div>
    }
}

/// An error in words, with Retry when trying again may help.
///
/// Make `retry` where the page makes its resource, not inside the async
/// content of a `<Transition>`: a reload disposes that content's owner while
/// the old view, and its Retry button, stay on screen.
#[component]
pub fn ErrorPanel(
    error: ApiErr,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    // No Retry where asking again cannot change the answer (a refusal, a
    // 404, a 403): only for a network failure, a 5xx or a 429.
    let retry = retry.filter(|_| error.is_retryable());
    view! {
        <div class="error-panel" role="alert">
            <p>{error.to_string()}</p>
            {retry.map(|r| view! {
                <button type="button" class="btn btn-secondary" on:click=move |_| r.run(())>
                    "Retry"
                </button>
            })}
        </div>
    }
}

/// A sentence instead of an empty table.
#[component]
pub fn Empty(#[prop(into)] text: String) -> impl IntoView {
    view! { <p class="empty">{text}</p> }
}
