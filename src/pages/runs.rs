//! Runs: filters (assignment, status) kept in the address, cursor paging with
//! "Load more", the 30-day chart, and one run's detail.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map, use_query_map},
    NavigateOptions,
};
use viewas_api::{
    routes::path, AssignmentSummary, ErrorCode, RunDetail, RunStatus, RunSummary, RunTrigger,
    RunsPage,
};

use crate::{
    client::{encode, ApiClient, Fetch},
    components::{DataTable, Empty, ErrorPanel, Paging, RunsChart, Skeleton},
    pages::{
        assignments::{run_badge, run_status, viewed_user},
        first_name,
    },
    time::{self, Style},
};

pub const PAGE_SIZE: u32 = 50;

const RUN_COLUMNS: &[&str] = &[
    "Run",
    "Assignment",
    "Status",
    "Trigger",
    "Started",
    "Duration",
    "Summary",
];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunFilters {
    pub assignment_id: Option<i64>,
    pub status: Option<RunStatus>,
}

impl RunFilters {
    /// The view path for one page of runs.
    pub fn api_path(&self, cursor: Option<&str>) -> String {
        let mut p = format!("{}?limit={PAGE_SIZE}", path::runs());
        if let Some(a) = self.assignment_id {
            p.push_str(&format!("&assignment_id={a}"));
        }
        if let Some(s) = self.status {
            p.push_str(&format!("&status={}", s.as_str()));
        }
        if let Some(c) = cursor {
            p.push_str(&format!("&cursor={}", encode(c)));
        }
        p
    }

    /// The address of the runs page with these filters.
    pub fn page_href(&self) -> String {
        let mut q = Vec::new();
        if let Some(a) = self.assignment_id {
            q.push(format!("assignment_id={a}"));
        }
        if let Some(s) = self.status {
            q.push(format!("status={}", s.as_str()));
        }
        if q.is_empty() {
            "/session/runs".into()
        } else {
            format!("/session/runs?{}", q.join("&"))
        }
    }
}

fn trigger_label(t: RunTrigger) -> &'static str {
    match t {
        RunTrigger::Schedule => "Schedule",
        RunTrigger::Manual => "Manual",
        RunTrigger::Api => "API",
    }
}

fn run_rows(items: Vec<RunSummary>, tz: &str) -> impl IntoView {
    items
        .into_iter()
        .map(|r| {
            let started = time::format_ts(&r.started_at, tz, Style::DateTime);
            let duration = r.duration_ms.map(time::duration_ms).unwrap_or_default();
            view! {
                <tr>
                    <th scope="row">
                        <A href=format!("/session/runs/{}", r.id)>{format!("#{}", r.id)}</A>
                    </th>
                    <td><bdi>{r.assignment_name}</bdi></td>
                    <td>{run_badge(r.status)}</td>
                    <td>{trigger_label(r.trigger)}</td>
                    <td>{started}</td>
                    <td>{duration}</td>
                    <td class="cell-sub"><bdi>{r.summary.unwrap_or_default()}</bdi></td>
                </tr>
            }
        })
        .collect_view()
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let api = ApiClient::expect();
    let query = use_query_map();
    let navigate = use_navigate();
    let user = viewed_user();
    let tz = StoredValue::new(user.timezone.clone());
    let first = first_name(&user);

    let filters = Memo::new(move |_| {
        let q = query.read();
        RunFilters {
            assignment_id: q.get("assignment_id").and_then(|s| s.parse().ok()),
            status: q.get("status").and_then(|s| RunStatus::parse(&s)),
        }
    });

    let assignments =
        api.resource::<Vec<AssignmentSummary>>(|| Some(Fetch::View(path::assignments())));
    let first_page =
        api.resource::<RunsPage>(move || Some(Fetch::View(filters.get().api_path(None))));
    let retry = Callback::new(move |_| first_page.refetch());

    // Pages after the first, appended by "Load more"; reset by a new filter.
    let paging = Paging::<RunSummary>::new(filters, |f: &RunFilters, cursor: &str| {
        Fetch::View(f.api_path(Some(cursor)))
    });

    let set_filter = move |f: RunFilters| {
        navigate(
            &f.page_href(),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let set_assignment = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let mut f = filters.get_untracked();
            f.assignment_id = event_target_value(&ev).parse().ok();
            set_filter(f);
        }
    };
    let set_status = move |ev: leptos::ev::Event| {
        let mut f = filters.get_untracked();
        f.status = RunStatus::parse(&event_target_value(&ev));
        set_filter(f);
    };

    view! {
        <h1 tabindex="-1">"Runs"</h1>
        <div class="filters" role="group" aria-label="Filter runs">
            <div class="field">
                <label for="filter-assignment">"Assignment"</label>
                <select
                    id="filter-assignment"
                    on:change=set_assignment
                    prop:value=move || {
                        filters.get().assignment_id.map(|a| a.to_string()).unwrap_or_default()
                    }
                >
                    <option value="">"All assignments"</option>
                    <Transition>
                        {move || Suspend::new(async move {
                            let selected = filters.get_untracked().assignment_id;
                            assignments
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .map(|a| {
                                    view! {
                                        // An <option> is a line of its own: an override in the
                                        // name reorders nothing but the name, so no isolate.
                                        <option value=a.id.to_string() selected=selected == Some(a.id)>
                                            {a.name}
                                        </option>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        })}
                    </Transition>
                </select>
            </div>
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select
                    id="filter-status"
                    on:change=set_status
                    prop:value=move || {
                        filters.get().status.map(|s| s.as_str().to_string()).unwrap_or_default()
                    }
                >
                    <option value="">"Any status"</option>
                    {RunStatus::ALL
                        .into_iter()
                        .map(|s| {
                            view! {
                                <option
                                    value=s.as_str()
                                    selected=move || filters.get().status == Some(s)
                                >
                                    {run_status(s)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </div>
        <Transition fallback=|| view! { <Skeleton rows=8 /> } set_pending=paging.reloading()>
            {move || {
                let first = first.clone();
                Suspend::new(async move {
                    match first_page.await {
                        Ok(page) => {
                            let days = page.daily.clone().unwrap_or_default();
                            let first_cursor = page.next_cursor;
                            let empty = page.items.is_empty();
                            let rows = run_rows(page.items, &tz.get_value());
                            view! {
                                <RunsChart days=days tz=tz.get_value() />
                                {if empty {
                                    view! {
                                        <Empty text=format!("{first} has no runs that match these filters.") />
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <DataTable headers=RUN_COLUMNS caption="Runs, newest first">
                                            <tbody>{rows}</tbody>
                                            <tbody>
                                                {move || {run_rows(paging.rows(), &tz.get_value())}.into_any()}
                                            </tbody>
                                        </DataTable>
                                    }
                                        .into_any()
                                }}
                                {paging.load_more(first_cursor, "runs")}
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

#[component]
pub fn RunDetailPage() -> impl IntoView {
    let api = ApiClient::expect();
    let params = use_params_map();
    let user = viewed_user();
    let tz = user.timezone.clone();
    let first = first_name(&user);
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let detail =
        api.resource::<Option<RunDetail>>(move || id.get().map(|id| Fetch::View(path::run(id))));
    let retry = Callback::new(move |_| detail.refetch());
    view! {
        <p class="crumbs">
            <A href="/session/runs">"Runs"</A>
        </p>
        <Transition fallback=move || {
            view! {
                <h1 tabindex="-1">
                    {move || {id.get().map(|i| format!("Run #{i}")).unwrap_or_else(|| "Run".into())}.into_any()}
                </h1>
                <Skeleton rows=8 />
            }
        }>
            {move || {
                let tz = tz.clone();
                let first = first.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(Some(r)) => view! { <RunDetailView r=r tz=tz /> }.into_any(),
                        Ok(None) => run_missing(&first).into_any(),
                        Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                            run_missing(&first).into_any()
                        }
                        Err(e) => {
                            view! {
                                <h1 tabindex="-1">"Run"</h1>
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

fn run_missing(first: &str) -> impl IntoView {
    view! {
        <h1 tabindex="-1">"Run not found"</h1>
        <Empty text=format!("This run does not exist or is not one of {first}'s.") />
    }
}

#[component]
fn RunDetailView(r: RunDetail, tz: String) -> impl IntoView {
    let RunDetail {
        run: s,
        steps,
        result,
        error,
    } = r;
    let started = time::format_ts(&s.started_at, &tz, Style::DateTime);
    let finished = s
        .finished_at
        .as_deref()
        .map(|f| time::format_ts(f, &tz, Style::DateTime))
        .unwrap_or_else(|| "Not finished".into());
    view! {
        <h1 tabindex="-1">{format!("Run #{} · {}", s.id, s.assignment_name)}</h1>
        <section class="card" aria-labelledby="run-overview">
            <h2 id="run-overview">"Overview"</h2>
            <dl class="facts">
                <dt>"Status"</dt>
                <dd>{run_badge(s.status)}</dd>
                <dt>"Assignment"</dt>
                <dd>
                    <A href=format!("/session/assignments/{}", s.assignment_id)>
                        <bdi>{s.assignment_name.clone()}</bdi>
                    </A>
                </dd>
                <dt>"Trigger"</dt>
                <dd>{trigger_label(s.trigger)}</dd>
                <dt>"Started"</dt>
                <dd>{started}</dd>
                <dt>"Finished"</dt>
                <dd>{finished}</dd>
                <dt>"Duration"</dt>
                <dd>{s.duration_ms.map(time::duration_ms).unwrap_or_else(|| "—".into())}</dd>
            </dl>
            {s.summary.clone().map(|x| view! { <p><bdi>{x}</bdi></p> })}
        </section>
        {error
            .map(|e| {
                view! {
                    <section class="card" aria-labelledby="run-error">
                        <h2 id="run-error">"Error"</h2>
                        <pre class="run-error"><bdi>{e}</bdi></pre>
                    </section>
                }
            })}
        {result
            .map(|x| {
                view! {
                    <section class="card" aria-labelledby="run-result">
                        <h2 id="run-result">"Result"</h2>
                        <pre><bdi>{x}</bdi></pre>
                    </section>
                }
            })}
        <section class="card steps" aria-labelledby="run-steps">
            <h2 id="run-steps">"Steps"</h2>
            {if steps.is_empty() {
                view! { <Empty text="This run has no steps recorded." /> }.into_any()
            } else {
                view! {
                    <DataTable headers=&["#", "Step", "Status", "Started", "Duration", "Output"] caption="Steps">
                            <tbody>
                                {steps
                                    .into_iter()
                                    .map(|st| {
                                        view! {
                                            <tr>
                                                <td>{st.position}</td>
                                                <th scope="row"><bdi>{st.name}</bdi></th>
                                                <td>{run_badge(st.status)}</td>
                                                <td>
                                                    {st
                                                        .started_at
                                                        .as_deref()
                                                        .map(|x| time::format_ts(x, &tz, Style::TimeSeconds))
                                                        .unwrap_or_default()}
                                                </td>
                                                <td>{st.duration_ms.map(time::duration_ms).unwrap_or_default()}</td>
                                                <td>
                                                    {(!st.output.is_empty())
                                                        .then(|| view! { <pre><bdi>{st.output}</bdi></pre> })}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                    </DataTable>
                }
                    .into_any()
            }}
        </section>
    }
}
