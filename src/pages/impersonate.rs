//! The admin home: find a user (search as you type, arrow keys + Enter),
//! then the start form (reason category, reason, optional ticket, the
//! organisation's policy in words) and Start.

use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use viewas_api::{
    validate_reason, ErrorCode, NotifyPolicy, ReasonCategory, StartImpersonation, UserSearchItem,
    REASON_MIN_CHARS, TICKET_MAX_CHARS,
};
use wasm_bindgen::JsCast;

use crate::{
    client::{ApiClient, ApiErr},
    components::{admin_frame::role_label, isolate, AdminFrame},
    session::SessionContext,
    time,
};

/// Quiet time after the last keystroke before searching.
pub const DEBOUNCE_MS: u32 = 250;

#[component]
pub fn ImpersonatePage() -> impl IntoView {
    // What Start leads to, fetched while the form is filled in.
    crate::lazy::preload(
        &[crate::lazy::Frame::Session],
        &[
            crate::lazy::Page::Assignments,
            crate::lazy::Page::Runs,
            crate::lazy::Page::Workspace,
        ],
    );
    let selected = RwSignal::new(None::<UserSearchItem>);
    view! {
        <AdminFrame>
            <h1 tabindex="-1">"View as a user"</h1>
            <p class="lede">
                "Find the user, say why, and see Duvo as they see it. Sessions are read-only, time-boxed and recorded."
            </p>
            <UserSearch on_pick=Callback::new(move |item: UserSearchItem| selected.set(Some(item))) />
            {move || {
                selected
                    .get()
                    .map(|item| {
                        view! {
                            <StartForm
                                item=item
                                on_cancel=Callback::new(move |_| selected.set(None))
                            />
                        }
                    })
            }.into_any()}
        </AdminFrame>
    }
}

/// The search box: a combobox over a listbox of users.
#[component]
pub fn UserSearch(on_pick: Callback<UserSearchItem>) -> impl IntoView {
    let api = ApiClient::expect();
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<UserSearchItem>::new());
    let next_cursor = RwSignal::new(None::<String>);
    let active = RwSignal::new(None::<usize>);
    let open = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiErr>);
    let notice = RwSignal::new(None::<String>);
    // Each search gets a number; answers to older searches are dropped.
    let generation = StoredValue::new(0u64);
    let pending = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    let zone = StoredValue::new(time::local_zone());

    let run_search = {
        let api = api.clone();
        move |q: String, cursor: Option<String>| {
            let api = api.clone();
            let gen = generation.get_value();
            loading.set(true);
            error.set(None);
            spawn_local(async move {
                let answer = api.search_users(&q, cursor.as_deref()).await;
                if generation.try_get_value() != Some(gen) {
                    return;
                }
                loading.try_set(false);
                match answer {
                    Ok(page) => {
                        if cursor.is_some() {
                            results.update(|r| r.extend(page.items));
                        } else {
                            results.set(page.items);
                            active.set(None);
                        }
                        next_cursor.set(page.next_cursor);
                        open.set(true);
                    }
                    Err(e) => {
                        error.set(Some(e));
                    }
                }
            });
        }
    };

    let on_input = {
        let run_search = run_search.clone();
        move |ev: leptos::ev::Event| {
            let q = event_target_value(&ev);
            query.set(q.clone());
            notice.set(None);
            generation.update_value(|g| *g += 1);
            let gen = generation.get_value();
            if q.trim().is_empty() {
                pending.set_value(None);
                results.set(Vec::new());
                next_cursor.set(None);
                active.set(None);
                open.set(false);
                loading.set(false);
                return;
            }
            let run_search = run_search.clone();
            // Replacing the pending timer drops (cancels) the previous one.
            pending.set_value(Some(gloo_timers::callback::Timeout::new(
                DEBOUNCE_MS,
                move || {
                    if generation.try_get_value() == Some(gen) {
                        run_search(q.trim().to_string(), None);
                    }
                },
            )));
        }
    };

    let pick = move |item: UserSearchItem| {
        if item.can_impersonate {
            notice.set(None);
            open.set(false);
            active.set(None);
            on_pick.run(item);
        } else {
            let why = item
                .not_allowed_reason
                .clone()
                .unwrap_or_else(|| "you may not view as this user".into());
            notice.set(Some(format!(
                "You cannot view as {}: {}",
                isolate(&item.user.name),
                why
            )));
        }
    };

    let scroll_to = move |i: usize| {
        let id = results.with_untracked(|r| r.get(i).map(|it| option_id(it.user.id)));
        if let Some(el) = id.and_then(|id| document().get_element_by_id(&id)) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                el.scroll_into_view_with_bool(false);
            }
        }
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let len = results.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if len > 0 => {
                ev.prevent_default();
                open.set(true);
                let next = match active.get_untracked() {
                    None => 0,
                    Some(i) => (i + 1).min(len - 1),
                };
                active.set(Some(next));
                scroll_to(next);
            }
            "ArrowUp" if len > 0 => {
                ev.prevent_default();
                open.set(true);
                let next = match active.get_untracked() {
                    None | Some(0) => 0,
                    Some(i) => i - 1,
                };
                active.set(Some(next));
                scroll_to(next);
            }
            "Enter" => {
                ev.prevent_default();
                let item = active
                    .get_untracked()
                    .and_then(|i| results.with_untracked(|r| r.get(i).cloned()));
                if let Some(item) = item {
                    pick(item);
                }
            }
            "Escape" => {
                open.set(false);
                active.set(None);
            }
            _ => {}
        }
    };

    let status = move || {
        if loading.get() {
            return "Searching…".to_string();
        }
        if query.with(|q| q.trim().is_empty()) {
            return "Type a name, email or organisation.".to_string();
        }
        match results.with(Vec::len) {
            0 if error.with(Option::is_none) => "No users match.".to_string(),
            0 => String::new(),
            1 => "1 user found. Use the arrow keys and Enter to choose.".to_string(),
            n => {
                let more = if next_cursor.with(Option::is_some) {
                    " (more below)"
                } else {
                    ""
                };
                format!("{n} users found{more}. Use the arrow keys and Enter to choose.")
            }
        }
    };

    let load_more = {
        let run_search = run_search.clone();
        move |_| {
            if let Some(c) = next_cursor.get_untracked() {
                run_search(query.get_untracked().trim().to_string(), Some(c));
            }
        }
    };

    view! {
        <section class="search" aria-labelledby="search-label">
            <label id="search-label" for="user-search">"Find a user"</label>
            <input
                id="user-search"
                type="search"
                role="combobox"
                autocomplete="off"
                spellcheck="false"
                placeholder="Name, email or organisation"
                aria-autocomplete="list"
                aria-controls="user-results"
                aria-describedby="search-status"
                aria-expanded=move || (open.get() && results.with(|r| !r.is_empty())).to_string()
                aria-activedescendant=move || {
                    active
                        .get()
                        .and_then(|i| results.with(|r| r.get(i).map(|it| option_id(it.user.id))))
                }
                prop:value=move || query.get()
                on:input=on_input
                on:keydown=on_keydown
            />
            <p id="search-status" class="hint" role="status">{status}</p>
            <Show when=move || notice.with(Option::is_some)>
                <p class="form-error" role="alert">{move || {notice.get()}.into_any()}</p>
            </Show>
            {move || {
                error
                    .get()
                    .map(|e| {
                        let rs = run_search.clone();
                        view! {
                            <crate::components::ErrorPanel
                                error=e
                                retry=Callback::new(move |_| {
                                    rs(query.get_untracked().trim().to_string(), None)
                                })
                            />
                        }
                    })
            }.into_any()}
            <ul
                id="user-results"
                role="listbox"
                aria-label="Users"
                class="results"
                hidden=move || !open.get() || results.with(Vec::is_empty)
            >
                <For
                    each=move || results.get().into_iter().enumerate()
                    // The position too: keyboard selection goes by it.
                    key=|(i, item)| (*i, item.user.id)
                    children=move |(i, item)| {
                        view! {
                            <UserOption
                                item=item
                                selected=Signal::derive(move || active.get() == Some(i))
                                zone=zone.get_value()
                                on_pick=Callback::new(move |it: UserSearchItem| {
                                    active.set(Some(i));
                                    pick(it)
                                })
                            />
                        }
                    }
                />
            </ul>
            <Show when=move || open.get() && next_cursor.with(Option::is_some)>
                <button type="button" class="btn btn-secondary" on:click=load_more.clone()>
                    "Load more users"
                </button>
            </Show>
        </section>
    }
}

fn option_id(id: i64) -> String {
    format!("user-option-{id}")
}

#[component]
fn UserOption(
    item: UserSearchItem,
    selected: Signal<bool>,
    zone: String,
    on_pick: Callback<UserSearchItem>,
) -> impl IntoView {
    let u = &item.user;
    let last = item
        .last_active
        .as_deref()
        .map(|t| {
            format!(
                "Last active {}",
                time::format_ts(t, &zone, time::Style::DateTime)
            )
        })
        .unwrap_or_else(|| "Never active".into());
    let why = (!item.can_impersonate).then(|| {
        item.not_allowed_reason
            .clone()
            .unwrap_or_else(|| "You may not view as this user.".into())
    });
    let allowed = item.can_impersonate;
    let view_item = item.clone();
    view! {
        <li
            id=option_id(u.id)
            role="option"
            class="result"
            class:result-active=move || selected.get()
            class:result-blocked=!allowed
            aria-selected=move || selected.get().to_string()
            aria-disabled=(!allowed).to_string()
            on:click=move |_| on_pick.run(view_item.clone())
        >
            <span class="result-name"><bdi>{u.name.clone()}</bdi></span>
            <span class="result-email"><bdi>{u.email.clone()}</bdi></span>
            <span class="result-meta">
                <span>{role_label(u.role)}</span>
                " · "
                <span><bdi>{u.org.name.clone()}</bdi></span>
                " · "
                <span>{last}</span>
                {item.disabled.then(|| view! { " · " <span>"Disabled"</span> })}
            </span>
            {why.map(|w| view! { <span class="result-why">"Not allowed: " {w}</span> })}
        </li>
    }
}

fn policy_words(item: &UserSearchItem) -> String {
    match item.user.org.policy {
        NotifyPolicy::Notify => format!(
            "{} will be notified of this session",
            isolate(&item.user.name)
        ),
        NotifyPolicy::Silent => format!("{} logs sessions silently", isolate(&item.user.org.name)),
    }
}

fn start_error(e: &ApiErr) -> String {
    match e.code() {
        Some(ErrorCode::AlreadyImpersonating) => {
            "You already have an active session, perhaps in another tab or on another device. Only one is allowed at a time.".to_string()
        }
        Some(ErrorCode::NotAllowed) => format!("Not allowed: {e}"),
        _ => e.to_string(),
    }
}

#[component]
pub fn StartForm(item: UserSearchItem, on_cancel: Callback<()>) -> impl IntoView {
    let ctx = SessionContext::expect();
    let api = ApiClient::expect();
    let navigate = use_navigate();
    let category = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let ticket = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let conflict = RwSignal::new(false);
    let last_request = StoredValue::new(None::<StartImpersonation>);
    let select_ref = NodeRef::<html::Select>::new();
    let user_id = item.user.id;
    let name = item.user.name.clone();
    let policy = policy_words(&item);

    Effect::new(move |_| {
        if let Some(el) = select_ref.get() {
            let _ = el.focus();
        }
    });

    // Counted as the server counts them: invisible characters do not count.
    let count = move || reason.with(|r| viewas_api::reason::visible_chars(r));

    let end_other_api = api.clone();
    let start = Action::new_local(move |req: &StartImpersonation| {
        let api = api.clone();
        let navigate = navigate.clone();
        let req = req.clone();
        async move {
            match api.start_session(&req).await {
                Ok(started) => {
                    ctx.start(started);
                    navigate("/session/assignments", Default::default());
                }
                Err(e) => {
                    conflict.try_set(e.code() == Some(ErrorCode::AlreadyImpersonating));
                    error.try_set(Some(start_error(&e)));
                }
            }
        }
    });

    // Ends the caller's other session (left open somewhere), then starts again.
    let end_other = Callback::new(move |_: ()| {
        let api = end_other_api.clone();
        spawn_local(async move {
            let ended = match api.my_active_session().await {
                Ok(Some(other)) => api.end_session_as_impersonator(other.id).await.map(|_| ()),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            match ended {
                Ok(()) => {
                    conflict.try_set(false);
                    error.try_set(None);
                    if let Some(req) = last_request.try_get_value().flatten() {
                        start.dispatch(req);
                    }
                }
                Err(e) => {
                    error.try_set(Some(format!("The other session could not be ended: {e}")));
                }
            }
        });
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(cat) = ReasonCategory::parse(&category.get_untracked()) else {
            error.set(Some("Choose a reason category.".into()));
            return;
        };
        let reason_text = reason.get_untracked();
        let ticket_text = ticket.get_untracked();
        let ticket_opt = Some(ticket_text.trim()).filter(|t| !t.is_empty());
        if let Err(e) = validate_reason(cat, &reason_text, ticket_opt) {
            error.set(Some(e.to_string()));
            return;
        }
        error.set(None);
        conflict.set(false);
        let req = StartImpersonation {
            user_id,
            reason_category: cat,
            reason: reason_text.trim().to_string(),
            ticket: ticket_opt.map(str::to_string),
        };
        last_request.set_value(Some(req.clone()));
        start.dispatch(req);
    };

    view! {
        <section class="start card" aria-labelledby="start-title">
            <h2 id="start-title">"Start viewing as " <bdi>{name.clone()}</bdi></h2>
            <p class="start-who">
                <bdi>{item.user.email.clone()}</bdi> " · " <bdi>{item.user.org.name.clone()}</bdi>
            </p>
            <p class="policy" id="policy">{policy}</p>
            <form on:submit=on_submit novalidate>
                <div class="field">
                    <label for="reason-category">"Reason category"</label>
                    <select
                        id="reason-category"
                        node_ref=select_ref
                        prop:value=move || category.get()
                        on:change=move |ev| category.set(event_target_value(&ev))
                    >
                        <option value="">"Choose a category"</option>
                        {ReasonCategory::ALL
                            .into_iter()
                            .map(|c| view! { <option value=c.as_str()>{c.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="reason">"Reason"</label>
                    <textarea
                        id="reason"
                        rows="3"
                        aria-describedby="reason-count"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    ></textarea>
                    <p
                        id="reason-count"
                        class="hint"
                        class:hint-ok=move || { count() >= REASON_MIN_CHARS }
                    >
                        {move || {format!("{} characters (at least {REASON_MIN_CHARS})", count())}.into_any()}
                    </p>
                </div>
                <div class="field">
                    <label for="ticket">"Ticket (optional)"</label>
                    <input
                        id="ticket"
                        type="text"
                        maxlength=TICKET_MAX_CHARS.to_string()
                        autocomplete="off"
                        prop:value=move || ticket.get()
                        on:input=move |ev| ticket.set(event_target_value(&ev))
                    />
                </div>
                <Show when=move || error.with(Option::is_some)>
                    <div class="form-error" role="alert">
                        <p>{move || {error.get()}.into_any()}</p>
                        <Show when=move || conflict.get()>
                            <button type="button" class="btn btn-secondary" on:click=move |_| end_other.run(())>
                                "End my other session and start this one"
                            </button>
                        </Show>
                    </div>
                </Show>
                <div class="form-actions">
                    <button
                        type="submit"
                        class="btn btn-primary"
                        aria-describedby="policy"
                        disabled=move || start.pending().get()
                    >
                        "Start viewing"
                    </button>
                    <button type="button" class="btn btn-secondary" on:click=move |_| on_cancel.run(())>
                        "Choose another user"
                    </button>
                </div>
            </form>
        </section>
    }
}
