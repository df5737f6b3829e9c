//! The notes drawer: findings written during the session, saved to the
//! server at once and listed with their times.

use leptos::{html, prelude::*};

use crate::{client::ApiClient, session::SessionContext, time};

#[component]
pub fn NotesDrawer(open: RwSignal<bool>) -> impl IntoView {
    let ctx = SessionContext::expect();
    let api = ApiClient::expect();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let textarea = NodeRef::<html::Textarea>::new();

    // Focus the text box when the drawer opens.
    Effect::new(move |_| {
        if open.get() {
            if let Some(el) = textarea.get() {
                let _ = el.focus();
            }
        }
    });

    let save = Action::new_local(move |body: &String| {
        let api = api.clone();
        let body = body.clone();
        async move {
            match api.add_note(&body).await {
                Ok(note) => {
                    ctx.push_note(note);
                    text.try_set(String::new());
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() {
            error.set(Some("Write a note first.".into()));
            return;
        }
        save.dispatch(body.trim().to_string());
    };

    let close = move || {
        open.set(false);
        if let Some(btn) = document().get_element_by_id("notes-button") {
            use wasm_bindgen::JsCast;
            if let Ok(btn) = btn.dyn_into::<web_sys::HtmlElement>() {
                let _ = btn.focus();
            }
        }
    };

    // Memos: the list redraws when a note is added, not on every page view.
    let zone =
        Memo::new(move |_| ctx.with_active(|a| a.map(|a| a.session.target.timezone.clone())));
    let notes = Memo::new(move |_| {
        ctx.with_active(|a| a.map(|a| a.session.notes.clone()).unwrap_or_default())
    });

    view! {
        <aside
            id="notes-drawer"
            class="notes-drawer"
            hidden=move || !open.get()
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    close();
                }
            }
        >
            <div class="notes-head">
                <h2 id="notes-title">"Session notes"</h2>
                <button type="button" class="btn btn-secondary" on:click=move |_| close()>
                    "Close"
                </button>
            </div>
            <form class="notes-form" on:submit=on_submit>
                <label for="note-text">"Note"</label>
                <textarea
                    id="note-text"
                    node_ref=textarea
                    rows="4"
                    maxlength="4000"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                ></textarea>
                <Show when=move || error.with(Option::is_some)>
                    <p class="form-error" role="alert">{move || {error.get()}.into_any()}</p>
                </Show>
                <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>
                    "Save note"
                </button>
            </form>
            {move || {
                let list = notes.get();
                if list.is_empty() {
                    view! { <p class="empty">"No notes yet. What you write here is saved with the session record."</p> }
                        .into_any()
                } else {
                    let tz = zone.get().unwrap_or_else(|| "UTC".into());
                    view! {
                        <ol class="notes-list">
                            {list
                                .into_iter()
                                .rev()
                                .map(|n| {
                                    view! {
                                        <li>
                                            <time datetime=n.created_at.clone()>
                                                {time::format_ts(&n.created_at, &tz, time::Style::DateTime)}
                                            </time>
                                            <p><bdi>{n.text}</bdi></p>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                        .into_any()
                }
            }.into_any()}
        </aside>
    }
}
