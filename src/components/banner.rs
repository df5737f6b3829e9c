//! The impersonation banner (guarantee 1 of DESIGN.md): who is being viewed,
//! their organisation, "Read-only", the time left, Notes and Exit. The name
//! sits in `<bdi>`, so bidi control characters in it cannot reorder the
//! banner's own words.

use leptos::{prelude::*, task::spawn_local};

use crate::{client::ApiClient, session::SessionContext, time};

/// Five minutes before the end the banner turns to a warning.
pub const WARNING_SECS: i64 = 5 * 60;

#[component]
pub fn Banner(
    /// Whether the notes drawer is open; the banner's Notes button toggles it.
    #[prop(optional)]
    notes_open: Option<RwSignal<bool>>,
) -> impl IntoView {
    let ctx = SessionContext::expect();
    let api = ApiClient::expect();
    let notes_open = notes_open.unwrap_or_else(|| RwSignal::new(false));
    let seconds_left = ctx.seconds_left();
    let warning = Memo::new(move |_| {
        let s = seconds_left.get();
        s > 0 && s <= WARNING_SECS
    });
    let exiting = RwSignal::new(false);

    let name = move || ctx.with_active(|a| a.map(|a| a.session.target.name.clone()));
    let email = move || ctx.with_active(|a| a.map(|a| a.session.target.email.clone()));
    let org = move || ctx.with_active(|a| a.map(|a| a.session.target.org.name.clone()));
    let note_count = move || ctx.with_active(|a| a.map_or(0, |a| a.session.notes.len()));

    let exit = move |_| {
        if exiting.get_untracked() {
            return;
        }
        exiting.set(true);
        let api = api.clone();
        spawn_local(async move {
            api.exit().await;
            exiting.try_set(false);
        });
    };

    view! {
        <section
            role="region"
            aria-label="Impersonation session"
            class="banner"
            class:banner-warning=move || warning.get()
        >
            <div class="banner-who">
                <p class="banner-title">
                    "Viewing as " <bdi class="banner-name">{name}</bdi> " (" <bdi>{email}</bdi> ")"
                </p>
                <p class="banner-meta">
                    <span class="banner-org">
                        <span class="visually-hidden">"Organisation: "</span>
                        <bdi>{org}</bdi>
                    </span>
                    <span class="badge badge-readonly">"Read-only"</span>
                    <span class="banner-timer">
                        <span class="banner-timer-label">"Time left "</span>
                        <span class="time-left" role="timer" aria-label="Time left">
                            {move || {time::mm_ss(seconds_left.get())}.into_any()}
                        </span>
                    </span>
                </p>
                <p class="visually-hidden" aria-live="assertive" aria-atomic="true">
                    {move || {
                        if warning.get() {
                            "Warning: this session ends in less than five minutes."
                        } else {
                            ""
                        }
                    }.into_any()}
                </p>
                <Show when=move || warning.get()>
                    <p class="banner-warning-text" aria-hidden="true">
                        "Less than five minutes left"
                    </p>
                </Show>
            </div>
            <div class="banner-actions">
                <button
                    type="button"
                    class="btn btn-secondary"
                    id="notes-button"
                    aria-controls="notes-drawer"
                    aria-expanded=move || notes_open.get().to_string()
                    on:click=move |_| notes_open.update(|o| *o = !*o)
                >
                    "Notes"
                    <Show when=move || { note_count() > 0 }>
                        <span class="count" aria-hidden="true">
                            {note_count}
                        </span>
                    </Show>
                </button>
                <button
                    type="button"
                    class="btn btn-exit"
                    on:click=exit
                    aria-busy=move || exiting.get().to_string()
                >
                    "Exit"
                </button>
            </div>
        </section>
    }
}
