//! Audit: the sessions (admins see all, partners their own, as the server
//! scopes them), filters, one session's events in order, and whether the
//! hash chain verifies, said plainly.

use std::collections::BTreeMap;

use leptos::{html, prelude::*};
use viewas_api::{
    AuditEvent, EndReason, ErrorCode, Id, Page, Role, Session, SessionStatus, VerifyResult,
};

use crate::{
    client::{admin_path, encode, ApiClient, Fetch},
    components::{AdminFrame, DataTable, Empty, ErrorPanel, Paging, Skeleton},
    session::SessionContext,
    time::{self, Style},
};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilters {
    pub impersonator: Option<Id>,
    pub user: Option<Id>,
    /// `YYYY-MM-DD`
    pub from: String,
    pub to: String,
    pub end_reason: Option<EndReason>,
}

impl AuditFilters {
    pub fn query(&self, cursor: Option<&str>) -> String {
        let mut q = vec!["limit=50".to_string()];
        if let Some(i) = self.impersonator {
            q.push(format!("impersonator={i}"));
        }
        if let Some(u) = self.user {
            q.push(format!("user={u}"));
        }
        if !self.from.is_empty() {
            q.push(format!("from={}", encode(&self.from)));
        }
        if !self.to.is_empty() {
            q.push(format!("to={}", encode(&self.to)));
        }
        if let Some(r) = self.end_reason {
            q.push(format!("end_reason={}", r.as_str()));
        }
        if let Some(c) = cursor {
            q.push(format!("cursor={}", encode(c)));
        }
        format!("?{}", q.join("&"))
    }
}

pub fn end_reason_label(r: EndReason) -> &'static str {
    match r {
        EndReason::Exit => "Exit",
        EndReason::Expiry => "Expired",
        EndReason::Idle => "Idle timeout",
        EndReason::Revocation => "Revoked",
    }
}

const SESSION_COLUMNS: &[&str] = &[
    "Session",
    "Impersonator",
    "Viewed user",
    "Reason",
    "Started",
    "How it ended",
    "Pages",
];

const END_REASONS: [EndReason; 4] = [
    EndReason::Exit,
    EndReason::Expiry,
    EndReason::Idle,
    EndReason::Revocation,
];

fn how_ended(s: &Session) -> String {
    match (s.status, s.end_reason) {
        (SessionStatus::Active, _) => "Active".into(),
        (_, Some(r)) => end_reason_label(r).into(),
        (_, None) => "Ended".into(),
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let api = ApiClient::expect();
    let tz = StoredValue::new(time::local_zone());
    let filters = RwSignal::new(AuditFilters::default());
    let selected = RwSignal::new(None::<Id>);
    // People seen in the results, for the filter lists.
    let impersonators = RwSignal::new(People::new());
    let targets = RwSignal::new(People::new());

    // Verifying the chain is for administrators: a partner's page does not
    // ask (the server would refuse it, 403, an error in the console).
    let is_admin = SessionContext::expect()
        .auth_untracked()
        .is_some_and(|a| a.user.role == Role::Admin);
    let verify = api.resource::<Option<VerifyResult>>(move || {
        is_admin.then(|| Fetch::Admin(admin_path::audit_verify()))
    });
    let retry_verify = Callback::new(move |_| verify.refetch());
    let first_page = api.resource::<Page<Session>>(move || {
        Some(Fetch::Admin(admin_path::audit_sessions(
            &filters.get().query(None),
        )))
    });
    let retry_first_page = Callback::new(move |_| first_page.refetch());
    let paging = Paging::<Session>::new(filters, |f: &AuditFilters, cursor: &str| {
        Fetch::Admin(admin_path::audit_sessions(&f.query(Some(cursor))))
    });
    let remember = move |items: &[Session]| {
        impersonators.update(|m| {
            for s in items {
                meet(m, s.impersonator.id, &s.impersonator.name);
            }
        });
        targets.update(|m| {
            for s in items {
                meet(m, s.target.id, &s.target.name);
            }
        });
    };
    view! {
        <AdminFrame>
            <h1 tabindex="-1">"Audit"</h1>
            <Transition fallback=|| view! { <Skeleton rows=1 /> }>
                {move || Suspend::new(async move {
                    match verify.await {
                        Ok(Some(v)) if v.ok => {
                            view! {
                                <p class="verify verify-ok" role="status">
                                    {format!(
                                        "The audit trail is intact: all {} events verified, none altered or removed.",
                                        v.events,
                                    )}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(Some(v)) => {
                            let at = v
                                .first_bad
                                .map(|b| format!(" at event #{b}"))
                                .unwrap_or_default();
                            view! {
                                <p class="verify verify-bad" role="alert">
                                    {format!(
                                        "The audit trail is broken{at}: events from there on may have been altered or removed ({} events checked).",
                                        v.events,
                                    )}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(None) => view! {
                            <p class="hint">"Verifying the whole audit trail is for administrators."</p>
                        }
                        .into_any(),
                        Err(e) if e.code() == Some(ErrorCode::NotAllowed) => {
                            view! {
                                <p class="hint">"Verifying the whole audit trail is for administrators."</p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! { <ErrorPanel error=e retry=retry_verify /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <h2>"Sessions"</h2>
            <div class="filters" role="group" aria-label="Filter sessions">
                <PersonFilter
                    id="audit-impersonator"
                    label="Impersonator"
                    people=impersonators
                    chosen=Signal::derive(move || filters.with(|f| f.impersonator))
                    on_choose=Callback::new(move |id| filters.update(|f| f.impersonator = id))
                />
                <PersonFilter
                    id="audit-user"
                    label="Viewed user"
                    people=targets
                    chosen=Signal::derive(move || filters.with(|f| f.user))
                    on_choose=Callback::new(move |id| filters.update(|f| f.user = id))
                />
                <div class="field">
                    <label for="audit-from">"From"</label>
                    <input
                        id="audit-from"
                        type="date"
                        on:change=move |ev| filters.update(|f| f.from = event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="audit-to">"To"</label>
                    <input
                        id="audit-to"
                        type="date"
                        on:change=move |ev| filters.update(|f| f.to = event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="audit-ended">"How it ended"</label>
                    <select
                        id="audit-ended"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            filters
                                .update(|f| {
                                    f.end_reason = END_REASONS.into_iter().find(|r| r.as_str() == v);
                                })
                        }
                    >
                        <option value="">"Any way"</option>
                        {END_REASONS
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str()>{end_reason_label(r)}</option> })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <p class="hint">{move || {format!("Times in {}, your timezone.", tz.get_value())}.into_any()}</p>
            <Transition fallback=|| view! { <Skeleton rows=6 /> } set_pending=paging.reloading()>
                {move || {
                    Suspend::new(async move {
                        match first_page.await {
                            Ok(page) => {
                                remember(&page.items);
                                let Page { items, next_cursor } = page;
                                if items.is_empty() {
                                    return view! { <Empty text="No sessions match these filters." /> }
                                        .into_any();
                                }
                                view! {
                                    <DataTable headers=SESSION_COLUMNS caption="Impersonation sessions, newest first">
                                        <tbody>{session_rows(items, tz.get_value(), selected)}</tbody>
                                        <tbody>
                                            {move || {
                                                // Later pages' people join the filter lists where
                                                // their rows render, as the first page's do.
                                                let rows = paging.rows();
                                                remember(&rows);
                                                session_rows(rows, tz.get_value(), selected)
                                            }.into_any()}
                                        </tbody>
                                    </DataTable>
                                    {paging.load_more(next_cursor, "sessions")}
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <ErrorPanel error=e retry=retry_first_page />
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Transition>
            {move || {selected.get().map(|id| view! { <SessionEvents id=id tz=tz.get_value() /> })}.into_any()}
        </AdminFrame>
    }
}

fn session_rows(items: Vec<Session>, tz: String, selected: RwSignal<Option<Id>>) -> impl IntoView {
    items
        .into_iter()
        .map(|s| {
            let id = s.id;
            view! {
                <tr>
                    <th scope="row">
                        <button
                            type="button"
                            class="btn btn-secondary"
                            aria-pressed=move || (selected.get() == Some(id)).to_string()
                            on:click=move |_| selected.set(Some(id))
                        >
                            {format!("#{id} events")}
                        </button>
                    </th>
                    <td><bdi>{s.impersonator.name.clone()}</bdi></td>
                    <td><bdi>{s.target.name.clone()}</bdi></td>
                    <td>
                        {s.reason_category.label()}
                        <span class="cell-sub"><bdi>{s.reason.clone()}</bdi></span>
                    </td>
                    <td>{time::format_ts(&s.started_at, &tz, Style::DateTime)}</td>
                    <td>{how_ended(&s)}</td>
                    <td>{s.pages_viewed}</td>
                </tr>
            }
        })
        .collect_view()
}

#[component]
fn SessionEvents(id: Id, tz: String) -> impl IntoView {
    let api = ApiClient::expect();
    let events =
        api.resource::<Page<AuditEvent>>(move || Some(Fetch::Admin(admin_path::audit_events(id))));
    let retry = Callback::new(move |_| events.refetch());
    // The panel opens below the whole list, off screen after a tap on a row:
    // bring it into view and move focus to its heading.
    let heading = NodeRef::<html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            h.scroll_into_view();
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = h.focus_with_options(&options);
        }
    });
    view! {
        <section class="card" id="audit-events" aria-labelledby="audit-events-title">
            <h2 id="audit-events-title" tabindex="-1" node_ref=heading>{format!("Events of session #{id}, in order")}</h2>
            <Transition fallback=|| view! { <Skeleton rows=5 /> }>
                {move || {
                    let tz = tz.clone();
                    Suspend::new(async move {
                        match events.await {
                            Ok(page) if page.items.is_empty() => {
                                view! { <Empty text="No events recorded for this session." /> }.into_any()
                            }
                            Ok(page) => event_table(page.items, &tz).into_any(),
                            Err(e) => {
                                view! { <ErrorPanel error=e retry=retry /> }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// People seen in the results by id, in id order.
type People = BTreeMap<Id, String>;

/// Adds a person to `people`, or renames them.
fn meet(people: &mut People, id: Id, name: &str) {
    people.insert(id, name.to_string());
}

/// A list of the people seen so far in the results, to filter by one.
#[component]
fn PersonFilter(
    id: &'static str,
    label: &'static str,
    people: RwSignal<People>,
    chosen: Signal<Option<Id>>,
    on_choose: Callback<Option<Id>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| on_choose.run(event_target_value(&ev).parse::<Id>().ok())>
                <option value="">"Anyone"</option>
                <For
                    each=move || people.get()
                    key=|(person, name)| (*person, name.clone())
                    children=move |(person, name)| {
                        view! {
                            <option value=person.to_string() selected=move || chosen.get() == Some(person)>
                                {name}
                            </option>
                        }
                    }
                />
            </select>
        </div>
    }
}

fn event_table(items: Vec<AuditEvent>, tz: &str) -> impl IntoView {
    let rows = items
        .into_iter()
        .map(|e| {
            let request = match (&e.method, &e.path) {
                (Some(m), Some(p)) => format!("{m} {p}"),
                (None, Some(p)) => p.clone(),
                _ => String::new(),
            };
            view! {
                <tr>
                    <td>{e.id}</td>
                    <td>{time::format_ts(&e.at, tz, Style::DateTime)}</td>
                    <th scope="row">{e.kind.replace('_', " ")}</th>
                    <td class="mono">{request}</td>
                    <td>{e.status.map(|s| s.to_string()).unwrap_or_default()}</td>
                    <td><bdi>{e.detail.unwrap_or_default()}</bdi></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable headers=&["#", "Time", "Event", "Request", "Status", "Detail"] caption="Events" wrap="events">
            <tbody>{rows}</tbody>
        </DataTable>
    }
}
