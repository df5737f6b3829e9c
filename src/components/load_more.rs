//! The end of a paged list: what went wrong with the last page asked for,
//! the "Load more" button while there is a next page, and a status line
//! saying how many more rows arrived.

use leptos::prelude::*;

use crate::{api::ApiErr, components::ErrorPanel};

#[component]
pub fn LoadMore(
    /// The next page's cursor; `None` once the list is complete.
    #[prop(into)]
    cursor: Signal<Option<String>>,
    /// Asks for the page at this cursor.
    on_load: Callback<String>,
    /// True while a page is on its way (the button waits).
    #[prop(into)]
    loading: Signal<bool>,
    error: RwSignal<Option<ApiErr>>,
    /// Rows added by "Load more" so far, and what they are ("runs").
    #[prop(into)]
    loaded: Signal<usize>,
    noun: &'static str,
) -> impl IntoView {
    view! {
        {crate::erase::reactive(move || error.get().map(|e| view! { <ErrorPanel error=e /> }).into_any())}
        <div class="load-more">
            {crate::erase::reactive(move || {
                cursor
                    .get()
                    .map(|c| {
                        view! {
                            <button
                                type="button"
                                class="btn btn-secondary"
                                disabled=move || loading.get()
                                on:click=move |_| on_load.run(c.clone())
                            >
                                {crate::erase::reactive(move || {
                                    if loading.get() { "Loading…" } else { "Load more" }.into_any()
                                })}
                            </button>
                        }
                    })
                    .into_any()
            })}
            <p class="hint" role="status">
                {crate::erase::reactive(move || {
                    let n = loaded.get();
                    if n > 0 { format!("{n} more {noun} loaded.") } else { String::new() }.into_any()
                })}
            </p>
        </div>
    }
}
