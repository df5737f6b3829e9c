//! The user's workspace: settings, time zone, members, connections (status
//! only; no secrets ever reach the browser).

use leptos::prelude::*;
use viewas_api::{routes::path, Workspace};

use crate::{
    client::{ApiClient, Fetch},
    components::{admin_frame::role_label, DataTable, Empty, ErrorPanel, Skeleton},
    pages::assignments::ConnectionsTable,
};

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let api = ApiClient::expect();
    let ws = api.resource::<Workspace>(|| Some(Fetch::View(path::workspace())));
    let retry = Callback::new(move |_| ws.refetch());
    view! {
        <h1 tabindex="-1">"Workspace"</h1>
        <Transition fallback=|| view! { <Skeleton rows=8 /> }>
            {move || Suspend::new(async move {
                match ws.await {
                    Ok(w) => view! { <WorkspaceView w=w /> }.into_any(),
                    Err(e) => {
                        view! { <ErrorPanel error=e retry=retry /> }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn WorkspaceView(w: Workspace) -> impl IntoView {
    view! {
        <div class="grid-2">
            <section class="card" aria-labelledby="ws-settings">
                <h2 id="ws-settings">"Settings"</h2>
                <dl class="facts">
                    <dt>"Name"</dt>
                    <dd><bdi>{w.name.clone()}</bdi></dd>
                    <dt>"Time zone"</dt>
                    <dd>{w.timezone.clone()}</dd>
                    {w
                        .settings
                        .iter()
                        .map(|s| view! { <dt>{s.key.clone()}</dt> <dd>{s.value.clone()}</dd> })
                        .collect_view()}
                </dl>
            </section>
            <section class="card" aria-labelledby="ws-members">
                <h2 id="ws-members">"Members"</h2>
                {if w.members.is_empty() {
                    view! { <Empty text="No other members." /> }.into_any()
                } else {
                    view! {
                        <DataTable headers=&["Name", "Email", "Role"] caption="Members">
                                <tbody>
                                    {w
                                        .members
                                        .iter()
                                        .map(|m| {
                                            view! {
                                                <tr>
                                                    <th scope="row"><bdi>{m.name.clone()}</bdi></th>
                                                    <td><bdi>{m.email.clone()}</bdi></td>
                                                    <td>{role_label(m.role)}</td>
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
        </div>
        <section class="card" aria-labelledby="ws-connections">
            <h2 id="ws-connections">"Connections"</h2>
            <ConnectionsTable connections=w.connections.clone() />
        </section>
    }
}
