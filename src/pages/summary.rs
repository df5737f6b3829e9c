//! The session summary after Exit or expiry: who, whom, when, how long, how
//! it ended, pages viewed, notes; "Copy as support record" (Markdown) and a
//! JSON download.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use viewas_api::{EndReason, Session};
use wasm_bindgen::JsCast;

use crate::{
    client::{admin_path, ApiClient, ApiResult, Fetch},
    components::{admin_frame::role_label, isolate, AdminFrame, ErrorPanel, Skeleton},
    session::{EndCause, EndedSession, SessionContext},
    time::{self, Style},
};

/// How it ended, in words. The server's record wins; the client's own
/// reason fills in when the server has not said (or could not be asked).
pub fn how_it_ended(s: &Session, local: Option<&EndedSession>, tz: &str) -> String {
    let at = |ts: Option<&str>| {
        ts.map(|t| time::format_ts(t, tz, Style::Time))
            .unwrap_or_default()
    };
    match (s.end_reason, local.map(|l| l.cause)) {
        (Some(EndReason::Expiry), _) => {
            let when = s.ended_at.as_deref().unwrap_or(&s.expires_at);
            format!("Session expired at {}", at(Some(when)))
        }
        (None, Some(EndCause::Expired)) => {
            let when = local.map_or(f64::NAN, |l| l.at_ms);
            format!(
                "Session expired at {}",
                time::format_ms(when, tz, Style::Time)
            )
        }
        (None, Some(EndCause::Idle)) => format!(
            "Ended after {} minutes without activity at {}",
            s.idle_timeout_secs / 60,
            time::format_ms(local.map_or(f64::NAN, |l| l.at_ms), tz, Style::Time)
        ),
        (Some(EndReason::Idle), _) => format!(
            "Ended after {} minutes without activity at {}",
            s.idle_timeout_secs / 60,
            at(s.ended_at.as_deref())
        ),
        (Some(EndReason::Revocation), _) => format!(
            "Ended by the server at {}: access was revoked",
            at(s.ended_at.as_deref())
        ),
        (Some(EndReason::Exit), Some(EndCause::OtherTab)) | (None, Some(EndCause::OtherTab)) => {
            "Exit in another tab".into()
        }
        (Some(EndReason::Exit), _) => match &s.ended_at {
            Some(t) => format!("Exit at {}", at(Some(t))),
            None => "Exit".into(),
        },
        (None, Some(EndCause::Exit)) => "Exit in this browser only: the server was not told".into(),
        (None, Some(EndCause::EndedByServer)) => "Ended by the server".into(),
        (None, None) => "Still active".into(),
    }
}

/// Whether this browser left the session by Exit but the server did not
/// confirm it (it could not be reached): the session may still be open there.
pub fn exit_not_confirmed(s: &Session, local: Option<&EndedSession>) -> bool {
    s.end_reason.is_none() && local.is_some_and(|l| l.cause == EndCause::Exit)
}

/// `ended - started` (or `expires - started`) as words.
pub fn duration_words(s: &Session, local_end_ms: Option<f64>) -> String {
    let start = time::parse_ms(&s.started_at);
    let end = s
        .ended_at
        .as_deref()
        .map(time::parse_ms)
        .or(local_end_ms)
        .unwrap_or(f64::NAN);
    if start.is_finite() && end.is_finite() && end >= start {
        time::duration_ms((end - start) as i64)
    } else {
        "unknown".into()
    }
}

/// The support record as Markdown; what people typed is bidi-isolated, here
/// and wherever the record is pasted.
pub fn markdown(s: &Session, how: &str, duration: &str, tz: &str) -> String {
    let t = |ts: &str| time::format_ts(ts, tz, Style::DateTime);
    let mut md = format!(
        "## Impersonation session #{id}\n\n\
         - **Who:** {who} ({who_email}), {who_org}\n\
         - **Viewed as:** {whom} ({whom_email}), {whom_org}\n\
         - **Reason:** {cat} — {reason}\n",
        id = s.id,
        who = isolate(&s.impersonator.name),
        who_email = isolate(&s.impersonator.email),
        who_org = isolate(&s.impersonator.org_name),
        whom = isolate(&s.target.name),
        whom_email = isolate(&s.target.email),
        whom_org = isolate(&s.target.org.name),
        cat = s.reason_category.label(),
        reason = isolate(&s.reason),
    );
    if let Some(ticket) = &s.ticket {
        md.push_str(&format!("- **Ticket:** {}\n", isolate(ticket)));
    }
    md.push_str(&format!(
        "- **Started:** {} ({tz})\n- **Ended:** {}\n- **Duration:** {duration}\n- **How it ended:** {how}\n- **Pages viewed:** {}\n",
        t(&s.started_at),
        s.ended_at.as_deref().map(t).unwrap_or_else(|| "—".into()),
        s.pages_viewed,
    ));
    md.push_str("\n### Notes\n\n");
    if s.notes.is_empty() {
        md.push_str("No notes.\n");
    }
    for n in &s.notes {
        md.push_str(&format!("- {}: {}\n", t(&n.created_at), isolate(&n.text)));
    }
    md
}

fn download_json(s: &Session) -> Result<(), String> {
    let json = serde_json::to_string_pretty(s).map_err(|e| e.to_string())?;
    let parts = js_sys::Array::of1(&json.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "The file could not be made.".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "The file could not be made.".to_string())?;
    let a = document()
        .create_element("a")
        .map_err(|_| "The download could not start.".to_string())?
        .unchecked_into::<web_sys::HtmlAnchorElement>();
    a.set_href(&url);
    a.set_download(&format!("viewas-session-{}.json", s.id));
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

#[component]
pub fn SummaryPage() -> impl IntoView {
    let ctx = SessionContext::expect();
    let api = ApiClient::expect();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let local: Option<EndedSession> = ctx.ended_untracked();
    let data =
        api.resource::<Session>(move || id.get().map(|id| Fetch::Admin(admin_path::session(id))));
    let retry = Callback::new(move |_| data.refetch());
    // The server's answer, or what this tab knows when the server could not
    // be asked; `Err(None)`: no such session.
    let outcome = move |answer: ApiResult<Session>| {
        let id = id.get_untracked().ok_or(None)?;
        let mine = local.clone().filter(|e| e.session.id == id);
        match answer {
            Ok(s) => Ok((s, mine)),
            Err(_) if mine.is_some() => {
                let m = mine.clone().map(|m| m.session);
                m.map(|s| (s, mine)).ok_or(None)
            }
            Err(e) => Err(Some(e)),
        }
    };
    view! {
        <AdminFrame>
            <h1 tabindex="-1">"Session summary"</h1>
            <Transition fallback=|| view! { <Skeleton rows=8 /> }>
                {move || {
                    let outcome = outcome.clone();
                    Suspend::new(async move {
                    match outcome(data.await) {
                        Ok((s, mine)) => view! { <SummaryView s=s local=mine on_ended=retry /> }.into_any(),
                        Err(Some(e)) => {
                            view! { <ErrorPanel error=e retry=retry /> }
                                .into_any()
                        }
                        Err(None) => {
                            view! { <p class="empty">"There is no session with this number."</p> }
                                .into_any()
                        }
                    }
                })
                }}
            </Transition>
            <p class="link-line">
                <A href="/">"Back to Find a user"</A>
            </p>
        </AdminFrame>
    }
}

#[component]
fn SummaryView(
    s: Session,
    local: Option<EndedSession>,
    /// The server ended the session after all: show its record.
    on_ended: Callback<()>,
) -> impl IntoView {
    let tz = time::local_zone();
    let how = how_it_ended(&s, local.as_ref(), &tz);
    let not_confirmed = exit_not_confirmed(&s, local.as_ref());
    let duration = duration_words(&s, local.as_ref().map(|l| l.at_ms));
    let record = markdown(&s, &how, &duration, &tz);
    let copy_status = RwSignal::new(None::<String>);
    let expired = how.starts_with("Session expired");
    let t = {
        let tz = tz.clone();
        move |ts: &str| time::format_ts(ts, &tz, Style::DateTime)
    };
    let copy = {
        let record = record.clone();
        move |_| {
            let record = record.clone();
            spawn_local(async move {
                // `navigator.clipboard` is missing outside secure contexts.
                let navigator = window().navigator();
                let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
                    .is_ok_and(|c| !c.is_undefined() && !c.is_null());
                let done = if has_clipboard {
                    wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(&record))
                        .await
                        .map(|_| ())
                } else {
                    Err(wasm_bindgen::JsValue::UNDEFINED)
                };
                copy_status.try_set(Some(match done {
                    Ok(_) => "Copied the support record to the clipboard.".into(),
                    Err(_) => {
                        "The browser did not allow copying. Select the record below and copy it."
                            .into()
                    }
                }));
            });
        }
    };
    let json_session = s.clone();
    let download = move |_| {
        if let Err(e) = download_json(&json_session) {
            copy_status.set(Some(e));
        }
    };
    let end_status = RwSignal::new(None::<String>);
    let end_again = {
        let (api, id) = (ApiClient::expect(), s.id);
        move |_| {
            let api = api.clone();
            end_status.set(Some("Ending the session on the server…".into()));
            spawn_local(async move {
                match api.end_session_as_impersonator(id).await {
                    // The page may be gone by now (the user left it).
                    Ok(_) => {
                        on_ended.try_run(());
                    }
                    Err(e) => {
                        end_status.try_set(Some(format!("The session was not ended: {e}")));
                    }
                }
            });
        }
    };
    let open_until = time::format_ts(&s.expires_at, &tz, Style::Time);
    view! {
        {expired.then(|| view! { <p class="notice notice-warning" role="status">{how.clone()}</p> })}
        {not_confirmed.then(move || view! {
            <div class="notice notice-warning" role="alert">
                <p>
                    {format!(
                        "The server could not be reached when you exited. You have left the session in this browser, but the server may keep it open until it times out (at the latest at {open_until}).",
                    )}
                </p>
                <button type="button" class="btn btn-secondary" on:click=end_again>
                    "End it on the server"
                </button>
                <p role="status">{move || {end_status.get()}.into_any()}</p>
            </div>
        })}
        <dl class="facts summary">
            <dt>"Who"</dt>
            <dd>
                <bdi>{s.impersonator.name.clone()}</bdi>
                " (" <bdi>{s.impersonator.email.clone()}</bdi> "), "
                {role_label(s.impersonator.role)} ", " <bdi>{s.impersonator.org_name.clone()}</bdi>
            </dd>
            <dt>"Viewed as"</dt>
            <dd>
                <bdi>{s.target.name.clone()}</bdi>
                " (" <bdi>{s.target.email.clone()}</bdi> "), " <bdi>{s.target.org.name.clone()}</bdi>
            </dd>
            <dt>"Why"</dt>
            <dd>
                {s.reason_category.label()} ": " <bdi class="summary-reason">{s.reason.clone()}</bdi>
                {s.ticket.clone().map(|t| view! { " · Ticket " <bdi class="summary-ticket">{t}</bdi> })}
            </dd>
            <dt>"Started"</dt>
            <dd>{t(&s.started_at)}</dd>
            <dt>"Ended"</dt>
            <dd>{s.ended_at.as_deref().map(t.clone()).unwrap_or_else(|| "—".into())}</dd>
            <dt>"Duration"</dt>
            <dd>{duration.clone()}</dd>
            <dt>"How it ended"</dt>
            <dd>{how.clone()}</dd>
            <dt>"Pages viewed"</dt>
            <dd>{s.pages_viewed}</dd>
        </dl>
        <p class="hint">{format!("Times in {tz}, your timezone.")}</p>
        <section aria-labelledby="summary-notes">
            <h2 id="summary-notes">"Notes"</h2>
            {if s.notes.is_empty() {
                view! { <p class="empty">"No notes were written in this session."</p> }.into_any()
            } else {
                view! {
                    <ol class="notes-list">
                        {s
                            .notes
                            .iter()
                            .map(|n| {
                                view! {
                                    <li>
                                        <time datetime=n.created_at.clone()>{t(&n.created_at)}</time>
                                        <p><bdi>{n.text.clone()}</bdi></p>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
        <div class="form-actions">
            <button type="button" class="btn btn-primary" on:click=copy>
                "Copy as support record"
            </button>
            <button type="button" class="btn btn-secondary" on:click=download>
                "Download JSON"
            </button>
        </div>
        <p class="hint" role="status">{move || {copy_status.get()}.into_any()}</p>
        <details class="record">
            <summary>"Support record (Markdown)"</summary>
            <pre>{record}</pre>
        </details>
    }
}
