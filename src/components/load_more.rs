//! The end of a paged list: [`Paging`], the state of the pages after the
//! first, and [`LoadMore`], the error of the last page asked for, the
//! "Load more" button while there is a next page, and a status line saying
//! how many more rows arrived.

use leptos::{prelude::*, task::spawn_local};
use serde::de::DeserializeOwned;
use viewas_api::Page;

use crate::{
    client::{ApiClient, ApiErr, Fetch},
    components::ErrorPanel,
};

/// The pages after the first of a list whose first page is a resource read
/// with a filter: the rows "Load more" added, the next cursor, whether a
/// page is on its way, and what went wrong with the last one.
///
/// A new filter starts over, and a page asked for under an old filter is
/// dropped when it lands, so rows of two filters never mix. "Old" is told by
/// a generation counting filter changes, not by the filter's value: after
/// A → B → A a page asked for under the first A is still old. While the
/// list's first page reloads (its `<Transition>` reports that through
/// [`Paging::reloading`]), the old page stays on screen and its button waits:
/// a click then would pair the new filter with the old page's cursor.
///
/// ```text
/// let paging = Paging::new(filters, |f: &Filters, cursor: &str| Fetch::View(f.path(cursor)));
/// // rows:   {reactive(move || rows(paging.rows()).into_any())}
/// // button: {paging.load_more(first_page.next_cursor, "runs")}
/// ```
pub struct Paging<T: 'static> {
    rows: RwSignal<Vec<T>>,
    /// `None` until a later page arrives; until then the first page's
    /// cursor is the next one.
    next: RwSignal<Option<Option<String>>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<ApiErr>>,
    load: Callback<String>,
    /// True while the first page reloads (see [`Paging::reloading`]).
    reloading: RwSignal<bool>,
}

// By hand: derived impls would ask `T: Copy`, and the handles are Copy for any `T`.
impl<T> Clone for Paging<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Paging<T> {}

impl<T: DeserializeOwned + Send + Sync + 'static> Paging<T> {
    /// Pages of `filter`'s list; `fetch` names the page at a cursor.
    /// Needs the [`ApiClient`] in context.
    pub fn new<S, F>(filter: S, fetch: impl Fn(&F, &str) -> Fetch + Send + Sync + 'static) -> Self
    where
        S: Track + GetUntracked<Value = F> + Copy + Send + Sync + 'static,
        F: 'static,
    {
        let api = ApiClient::expect();
        let rows = RwSignal::new(Vec::new());
        let next = RwSignal::new(None);
        let loading = RwSignal::new(false);
        let error = RwSignal::new(None);
        // Counts filter changes (bumped below), so an answer can tell
        // whether the list started over since it was asked for.
        let generation = StoredValue::new(0u64);
        Effect::new(move |_| {
            filter.track();
            generation.update_value(|g| *g += 1);
            rows.set(Vec::new());
            next.set(None);
            error.set(None);
            // A page still on its way belongs to the old filter: it is dropped
            // when it lands, so the new list's button must not wait for it.
            loading.set(false);
        });
        let load = Callback::new(move |cursor: String| {
            let api = api.clone();
            let asked_in = generation.get_value();
            let get = fetch(&filter.get_untracked(), &cursor);
            loading.set(true);
            error.set(None);
            spawn_local(async move {
                let answer = api.get::<Page<T>>(Some(get)).await;
                // Answers asked for before the last filter change are
                // dropped (and so are answers for a page no longer mounted).
                if generation.try_get_value() != Some(asked_in) {
                    return;
                }
                loading.try_set(false);
                match answer {
                    Ok(page) => {
                        rows.update(|r| r.extend(page.items));
                        next.set(Some(page.next_cursor));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        });
        Paging {
            rows,
            next,
            loading,
            error,
            load,
            reloading: RwSignal::new(false),
        }
    }

    /// For the `set_pending` of the `<Transition>` around the first page.
    pub fn reloading(self) -> WriteSignal<bool> {
        self.reloading.write_only()
    }

    /// The rows added by "Load more" for the current filter (tracked).
    pub fn rows(self) -> Vec<T>
    where
        T: Clone,
    {
        self.rows.get()
    }

    /// The end of the list: `first` is the first page's next cursor, asked
    /// for until a later page brings its own.
    pub fn load_more(self, first: Option<String>, noun: &'static str) -> impl IntoView {
        let Paging {
            rows,
            next,
            loading,
            error,
            load,
            reloading,
        } = self;
        // Closures over the page's own signals, not derived signals: this
        // view is built inside the list's async first page, whose owner is
        // disposed when a new filter reloads it while `<Transition>` keeps
        // this view on screen and its effects still run (a derived signal
        // made here panicked as "already disposed" on every filter change).
        view! {
            <LoadMore
                cursor=move || next.get().unwrap_or_else(|| first.clone())
                on_load=load
                loading=move || loading.get() || reloading.get()
                error=error
                loaded=move || rows.with(Vec::len)
                noun=noun
            />
        }
    }
}

#[component]
pub fn LoadMore(
    /// The next page's cursor; `None` once the list is complete.
    cursor: impl Fn() -> Option<String> + Send + Sync + 'static,
    /// Asks for the page at this cursor.
    on_load: Callback<String>,
    /// True while a page is on its way (the button waits).
    loading: impl Fn() -> bool + Copy + Send + Sync + 'static,
    error: RwSignal<Option<ApiErr>>,
    /// Rows added by "Load more" so far, and what they are ("runs").
    loaded: impl Fn() -> usize + Send + Sync + 'static,
    noun: &'static str,
) -> impl IntoView {
    view! {
        {move || error.get().map(|e| view! { <ErrorPanel error=e /> }).into_any()}
        <div class="load-more">
            {move || {
                cursor()
                    .map(|c| {
                        view! {
                            <button
                                type="button"
                                class="btn btn-secondary"
                                disabled=loading
                                on:click=move |_| on_load.run(c.clone())
                            >
                                {move || {
                                    if loading() { "Loading…" } else { "Load more" }.into_any()
                                }}
                            </button>
                        }
                    })
                    .into_any()
            }}
            <p class="hint" role="status">
                {move || {
                    let n = loaded();
                    if n > 0 { format!("{n} more {noun} loaded.") } else { String::new() }.into_any()
                }}
            </p>
        </div>
    }
}
