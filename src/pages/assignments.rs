//! The user's assignments: the list and one assignment's detail. Actions the
//! user would have ("Run now", "Edit") are shown disabled, with the reason.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};
use viewas_api::{
    routes::path, AssignmentDetail, AssignmentStatus, AssignmentSummary, ConnectionStatus,
    ConnectionView, ErrorCode, RunBrief, RunStatus, User,
};

use crate::{
    client::{ApiClient, Fetch},
    components::{DataTable, Empty, ErrorPanel, Skeleton},
    pages::first_name,
    session::SessionContext,
    time,
};

pub fn assignment_status(s: AssignmentStatus) -> &'static str {
    match s {
        AssignmentStatus::Active => "Active",
        AssignmentStatus::Paused => "Paused",
        AssignmentStatus::Draft => "Draft",
    }
}

/// The badge's class word: `active`, `paused`, `draft`.
pub fn assignment_kind(s: AssignmentStatus) -> &'static str {
    match s {
        AssignmentStatus::Active => "active",
        AssignmentStatus::Paused => "paused",
        AssignmentStatus::Draft => "draft",
    }
}

pub fn run_status(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Queued => "Queued",
        RunStatus::Running => "Running",
        RunStatus::Succeeded => "Succeeded",
        RunStatus::Failed => "Failed",
        RunStatus::Cancelled => "Cancelled",
    }
}

pub fn connection_status(s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Connected => "Connected",
        ConnectionStatus::Expired => "Expired",
        ConnectionStatus::Error => "Error",
    }
}

#[component]
pub fn StatusBadge(#[prop(into)] text: String, #[prop(into)] kind: String) -> impl IntoView {
    view! { <span class=format!("badge badge-{kind}")>{text}</span> }
}

pub fn run_badge(s: RunStatus) -> impl IntoView {
    view! { <StatusBadge text=run_status(s) kind=s.as_str() /> }
}

fn connection_badge(s: ConnectionStatus) -> impl IntoView {
    let kind = match s {
        ConnectionStatus::Connected => "succeeded",
        ConnectionStatus::Expired => "queued",
        ConnectionStatus::Error => "failed",
    };
    view! { <StatusBadge text=connection_status(s) kind=kind /> }
}

/// The viewed user (name, zone) for a page; a placeholder only in the
/// instant a session ends, when the layout is already leaving.
pub fn viewed_user() -> User {
    SessionContext::expect()
        .target_untracked()
        .unwrap_or_else(|| User {
            id: 0,
            name: "this user".into(),
            email: String::new(),
            role: viewas_api::Role::User,
            org: viewas_api::Org {
                id: 0,
                name: String::new(),
                policy: viewas_api::NotifyPolicy::Silent,
            },
            timezone: "UTC".into(),
        })
}

fn last_run_cell(run: Option<RunBrief>, tz: &str) -> impl IntoView {
    let when = run
        .as_ref()
        .map(|r| time::format_ts(&r.started_at, tz, time::Style::DateTime));
    match run {
        Some(r) => view! {
            <A href=format!("/session/runs/{}", r.id)>{when}</A>
            " "
            {run_badge(r.status)}
        }
        .into_any(),
        None => view! { <span class="muted">"Never run"</span> }.into_any(),
    }
}

fn connection_names(cs: &[ConnectionView]) -> String {
    if cs.is_empty() {
        "None".into()
    } else {
        cs.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[component]
pub fn AssignmentsPage() -> impl IntoView {
    let api = ApiClient::expect();
    let user = viewed_user();
    let tz = user.timezone.clone();
    let first = first_name(&user);
    let items = api.resource::<Vec<AssignmentSummary>>(|| Some(Fetch::View(path::assignments())));
    let retry = Callback::new(move |_| items.refetch());
    view! {
        <h1 tabindex="-1">"Assignments"</h1>
        <Transition fallback=|| view! { <Skeleton rows=6 /> }>
            {move || {
                let tz = tz.clone();
                let first = first.clone();
                Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => {
                            view! { <Empty text=format!("{first} has no assignments yet.") /> }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <DataTable
                                    headers=&["Assignment", "Status", "Schedule", "Last run", "Connections"]
                                    caption=format!("{first}'s assignments")
                                >
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|a| {
                                                    view! {
                                                        <tr>
                                                            <th scope="row">
                                                                <A href=format!("/session/assignments/{}", a.id)>
                                                                    <bdi>{a.name.clone()}</bdi>
                                                                </A>
                                                                <span class="cell-sub"><bdi>{a.description.clone()}</bdi></span>
                                                            </th>
                                                            <td>
                                                                <StatusBadge
                                                                    text=assignment_status(a.status)
                                                                    kind=assignment_kind(a.status)
                                                                />
                                                            </td>
                                                            <td>{a.schedule.clone()}</td>
                                                            <td>{last_run_cell(a.last_run.clone(), &tz)}</td>
                                                            <td><bdi>{connection_names(&a.connections)}</bdi></td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                </DataTable>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <ErrorPanel error=e retry=retry />
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}

/// "Run now" and "Edit", as the user would see them, disabled with the reason.
#[component]
pub fn ReadOnlyActions(#[prop(into)] first: String) -> impl IntoView {
    view! {
        <div class="readonly-actions">
            <button type="button" class="btn btn-primary" disabled aria-describedby="readonly-why">
                "Run now"
            </button>
            <button type="button" class="btn btn-secondary" disabled aria-describedby="readonly-why">
                "Edit"
            </button>
            <p id="readonly-why" class="hint">{format!("Not available while viewing as {first}")}</p>
        </div>
    }
}

#[component]
pub fn AssignmentDetailPage() -> impl IntoView {
    let api = ApiClient::expect();
    let params = use_params_map();
    let user = viewed_user();
    let tz = user.timezone.clone();
    let first = first_name(&user);
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let detail = api.resource::<Option<AssignmentDetail>>(move || {
        id.get().map(|id| Fetch::View(path::assignment(id)))
    });
    let retry = Callback::new(move |_| detail.refetch());
    view! {
        <p class="crumbs">
            <A href="/session/assignments">"Assignments"</A>
        </p>
        <Transition fallback=|| {
            view! {
                <h1 tabindex="-1">"Assignment"</h1>
                <Skeleton rows=8 />
            }
        }>
            {move || {
                let tz = tz.clone();
                let first = first.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(Some(a)) => view! { <AssignmentDetailView a=a tz=tz first=first /> }.into_any(),
                        Ok(None) => missing(&first).into_any(),
                        Err(e) if e.code() == Some(ErrorCode::NotFound) => missing(&first).into_any(),
                        Err(e) => {
                            view! {
                                <h1 tabindex="-1">"Assignment"</h1>
                                <ErrorPanel error=e retry=retry />
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}

fn missing(first: &str) -> impl IntoView {
    view! {
        <h1 tabindex="-1">"Assignment not found"</h1>
        <Empty text=format!("This assignment does not exist or is not one of {first}'s.") />
    }
}

#[component]
fn AssignmentDetailView(a: AssignmentDetail, tz: String, first: String) -> impl IntoView {
    let runs_link = format!("/session/runs?assignment_id={}", a.id);
    view! {
        <h1 tabindex="-1"><bdi>{a.name.clone()}</bdi></h1>
        <p class="lede"><bdi>{a.description.clone()}</bdi></p>
        <ReadOnlyActions first=first />
        <div class="grid-2">
            <section class="card" aria-labelledby="a-overview">
                <h2 id="a-overview">"Overview"</h2>
                <dl class="facts">
                    <dt>"Status"</dt>
                    <dd>
                        <StatusBadge
                            text=assignment_status(a.status)
                            kind=assignment_kind(a.status)
                        />
                    </dd>
                    <dt>"Schedule"</dt>
                    <dd>{a.schedule.clone()}</dd>
                    <dt>"Last run"</dt>
                    <dd>{last_run_cell(a.last_run.clone(), &tz)}</dd>
                    <dt>"Created"</dt>
                    <dd>{time::format_ts(&a.created_at, &tz, time::Style::DateTime)}</dd>
                </dl>
                <p class="link-line">
                    <A href=runs_link>"See this assignment's runs"</A>
                </p>
            </section>
            <section class="card" aria-labelledby="a-instructions">
                <h2 id="a-instructions">"Instructions"</h2>
                <p class="prewrap"><bdi>{a.instructions.clone()}</bdi></p>
            </section>
        </div>
        <section class="card" aria-labelledby="a-config">
            <h2 id="a-config">"Configuration"</h2>
            {if a.configuration.is_empty() {
                view! { <Empty text="No configuration." /> }.into_any()
            } else {
                view! {
                    <dl class="facts">
                        {a
                            .configuration
                            .iter()
                            .map(|c| view! { <dt><bdi>{c.key.clone()}</bdi></dt> <dd class="mono"><bdi>{c.value.clone()}</bdi></dd> })
                            .collect_view()}
                    </dl>
                }
                    .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="a-connections">
            <h2 id="a-connections">"Connections"</h2>
            <ConnectionsTable connections=a.connections.clone() />
        </section>
    }
}

#[component]
pub fn ConnectionsTable(connections: Vec<ConnectionView>) -> impl IntoView {
    if connections.is_empty() {
        return view! { <Empty text="No connections." /> }.into_any();
    }
    view! {
        <DataTable headers=&["Connection", "Kind", "Status"] caption="Connections">
                <tbody>
                    {connections
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr>
                                    <th scope="row"><bdi>{c.name}</bdi></th>
                                    <td>{c.kind}</td>
                                    <td>{connection_badge(c.status)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
        </DataTable>
        <p class="hint">"Credentials are never shown during a session."</p>
    }
    .into_any()
}
