//! The shared table and "Load more" pieces of the list pages: the
//! `LoadMore` end of a list, the `Paging` state behind it, and both list
//! pages (runs, audit) using them.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use leptos::{mount::mount_to, prelude::*};
use viewas::{
    app::AppRouter,
    client::{ApiErr, Fetch, HttpRequest, HttpResponse, LocalFuture, Transport, TransportError},
    components::{DataTable, ErrorPanel, LoadMore, Paging},
    provide_app_contexts,
    session::AuthInfo,
};
use viewas_api::{ErrorCode, Page, Role, RunStatus, RunSummary, RunTrigger, RunsPage, Session};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
async fn load_more_asks_for_the_next_cursor_waits_and_says_what_arrived() {
    reset();
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let cursor = RwSignal::new(Some("c2".to_string()));
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiErr>);
    let loaded = RwSignal::new(0usize);
    let log = asked.clone();
    let el = container();
    let _h = mount_to(el.clone().unchecked_into(), move || {
        let log = log.clone();
        view! {
            <LoadMore
                cursor=move || cursor.get()
                on_load=Callback::new(move |c: String| {
                    if let Ok(mut l) = log.lock() {
                        l.push(c);
                    }
                })
                loading=move || loading.get()
                error=error
                loaded=move || loaded.get()
                noun="runs"
            />
        }
    });
    settle().await;
    click(&el, ".load-more button");
    assert_eq!(
        asked.lock().map(|l| l.clone()).unwrap_or_default(),
        vec!["c2".to_string()]
    );

    loading.set(true);
    settle().await;
    let button = find(&el, ".load-more button");
    assert!(
        button.has_attribute("disabled"),
        "no second request while one is on its way"
    );
    assert_eq!(button.text_content().unwrap_or_default(), "Loading…");

    loading.set(false);
    loaded.set(50);
    error.set(Some(ApiErr::Timeout));
    settle().await;
    assert_eq!(
        text_of(&el, ".load-more [role=status]"),
        "50 more runs loaded."
    );
    assert!(text_of(&el, ".error-panel").contains("took too long"));

    cursor.set(None);
    settle().await;
    assert!(
        el.query_selector(".load-more button")
            .ok()
            .flatten()
            .is_none(),
        "the list is complete"
    );
}

/// Retry only where asking again may change the answer.
#[wasm_bindgen_test]
async fn an_error_offers_retry_only_when_trying_again_can_help() {
    reset();
    let server = |status: u16, code: ErrorCode| ApiErr::Server {
        status,
        code,
        message: "no".into(),
    };
    let cases = [
        (ApiErr::Unreachable, true),
        (ApiErr::Timeout, true),
        (server(500, ErrorCode::Internal), true),
        (server(429, ErrorCode::TooManyRequests), true),
        (server(404, ErrorCode::NotFound), false),
        (server(403, ErrorCode::NotAllowed), false),
        (ApiErr::SignedOut, false),
    ];
    for (error, retry) in cases {
        let label = format!("{error:?}");
        let el = container();
        let _h = mount_to(el.clone().unchecked_into(), move || {
            view! { <ErrorPanel error=error.clone() retry=Callback::new(|_| ()) /> }
        });
        settle().await;
        let button = el.query_selector(".error-panel button").ok().flatten();
        assert_eq!(button.is_some(), retry, "{label}");
    }
}

#[wasm_bindgen_test]
async fn a_data_table_has_its_caption_and_column_headers() {
    reset();
    let el = container();
    let _h = mount_to(el.clone().unchecked_into(), || {
        view! {
            <DataTable headers=&["Run", "Status"] caption="Runs, newest first" wrap="events">
                <tbody><tr><th scope="row">"#1"</th><td>"Failed"</td></tr></tbody>
            </DataTable>
        }
    });
    settle().await;
    assert_eq!(
        text_of(&el, "caption.visually-hidden"),
        "Runs, newest first"
    );
    let heads = el
        .query_selector_all("thead th[scope=col]")
        .map(|l| l.length())
        .unwrap_or(0);
    assert_eq!(heads, 2);
    assert_eq!(text_of(&el, "thead th:first-child"), "Run");
    assert!(el
        .query_selector(".table-wrap.events table.data tbody")
        .ok()
        .flatten()
        .is_some());
    // The scrolling wrapper is a named region a keyboard can reach.
    let wrap = find(&el, ".table-wrap");
    assert_eq!(wrap.get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(wrap.get_attribute("role").as_deref(), Some("region"));
    assert_eq!(
        wrap.get_attribute("aria-label").as_deref(),
        Some("Runs, newest first")
    );
}

/// A transport whose answers to later pages (a `cursor=` in the path, or
/// what [`Held::hold_paths_with`] names) wait while it holds them, so a test
/// can act while a page is on its way.
#[derive(Clone)]
struct Held {
    inner: FakeTransport,
    holding: Arc<AtomicBool>,
    held: Arc<std::sync::Mutex<&'static str>>,
    /// The answers waiting for [`Held::release`].
    waiting: Arc<std::sync::Mutex<Vec<std::task::Waker>>>,
}

impl Held {
    fn new(inner: FakeTransport) -> Self {
        Held {
            inner,
            holding: Arc::new(AtomicBool::new(false)),
            held: Arc::new(std::sync::Mutex::new("cursor=")),
            waiting: Arc::new(std::sync::Mutex::new(Vec::new())),
        }
    }

    /// Holds the answers to paths containing `part` instead.
    fn hold_paths_with(&self, part: &'static str) {
        if let Ok(mut held) = self.held.lock() {
            *held = part;
        }
        self.hold();
    }

    fn hold(&self) {
        self.holding.store(true, Ordering::SeqCst);
    }

    fn release(&self) {
        self.holding.store(false, Ordering::SeqCst);
        let waiting = self.waiting.lock().map(|mut w| std::mem::take(&mut *w));
        for waker in waiting.unwrap_or_default() {
            waker.wake();
        }
    }

    /// The paths of the later pages asked for, in order.
    fn later_pages(&self) -> Vec<String> {
        self.inner
            .requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| p.contains("cursor="))
            .collect()
    }
}

impl Transport for Held {
    fn send(&self, req: HttpRequest) -> LocalFuture<Result<HttpResponse, TransportError>> {
        let part = self.held.lock().map(|p| *p).unwrap_or("cursor=");
        let later = req.path.contains(part);
        let answer = self.inner.send(req);
        let holding = self.holding.clone();
        let waiting = self.waiting.clone();
        Box::pin(async move {
            if later {
                std::future::poll_fn(|cx| {
                    if !holding.load(Ordering::SeqCst) {
                        return std::task::Poll::Ready(());
                    }
                    if let Ok(mut w) = waiting.lock() {
                        w.push(cx.waker().clone());
                    }
                    std::task::Poll::Pending
                })
                .await;
            }
            answer.await
        })
    }
}

fn admin() -> AuthInfo {
    let mut user = alice();
    user.role = Role::Admin;
    AuthInfo {
        token: "admin-token".into(),
        user,
    }
}

fn sessions(ids: &[i64], next: Option<&str>) -> String {
    json(&Page {
        items: ids
            .iter()
            .map(|&id| session_for(alice(), id, 600))
            .collect::<Vec<_>>(),
        next_cursor: next.map(String::from),
    })
}

fn rows(el: &web_sys::HtmlElement, selector: &str) -> u32 {
    el.query_selector_all(selector)
        .map(|l| l.length())
        .unwrap_or(0)
}

fn button_waits(el: &web_sys::HtmlElement) -> bool {
    let b = find(el, ".load-more button");
    b.has_attribute("disabled") || b.text_content().unwrap_or_default() == "Loading…"
}

/// `Paging` alone: a filter signal, the first page's cursor "c2", the
/// later rows as list items.
fn mount_paging(t: &Held, filter: RwSignal<u32>) -> (web_sys::HtmlElement, Box<dyn std::any::Any>) {
    let el = container();
    let t: Arc<dyn Transport> = Arc::new(t.clone());
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(t);
        ctx.sign_in(admin());
        let paging = Paging::<Session>::new(filter, |f: &u32, cursor: &str| {
            Fetch::Admin(format!("/api/audit/sessions?filter={f}&cursor={cursor}"))
        });
        view! {
            <ul>
                {move || paging.rows().into_iter().map(|s| view! { <li>{s.id}</li> }).collect_view()}
            </ul>
            {paging.load_more(Some("c2".into()), "sessions")}
        }
    });
    (el, Box::new(handle))
}

#[wasm_bindgen_test]
async fn paging_appends_later_pages_and_asks_for_the_latest_cursor() {
    reset();
    let t = Held::new(FakeTransport::new(|req| {
        if req.path.ends_with("cursor=c2") {
            ok(&sessions(&[101, 102], Some("c3")))
        } else {
            ok(&sessions(&[103], None))
        }
    }));
    let filter = RwSignal::new(1u32);
    let (el, _h) = mount_paging(&t, filter);
    settle().await;

    click(&el, ".load-more button");
    settle().await;
    assert_eq!(rows(&el, "li"), 2);
    assert_eq!(
        text_of(&el, ".load-more [role=status]"),
        "2 more sessions loaded."
    );

    click(&el, ".load-more button");
    settle().await;
    assert_eq!(
        t.later_pages(),
        vec![
            "/api/audit/sessions?filter=1&cursor=c2".to_string(),
            "/api/audit/sessions?filter=1&cursor=c3".to_string(),
        ],
        "the first page's cursor until a later page brings its own"
    );
    assert_eq!(rows(&el, "li"), 3);
    assert!(
        el.query_selector(".load-more button")
            .ok()
            .flatten()
            .is_none(),
        "the last page has no next cursor"
    );
}

#[wasm_bindgen_test]
async fn paging_drops_a_page_of_an_old_filter_and_frees_the_button() {
    reset();
    let t = Held::new(FakeTransport::new(|req| {
        if req.path.contains("filter=1") {
            ok(&sessions(&[101, 102], Some("c3")))
        } else {
            ok(&sessions(&[201], Some("d3")))
        }
    }));
    let filter = RwSignal::new(1u32);
    let (el, _h) = mount_paging(&t, filter);
    settle().await;

    t.hold();
    click(&el, ".load-more button");
    settle().await;
    assert!(
        button_waits(&el),
        "no second request while one is on its way"
    );

    filter.set(2);
    settle().await;
    assert!(
        !button_waits(&el),
        "the new filter's list does not wait for the old filter's page"
    );

    t.release();
    settle().await;
    settle().await;
    assert_eq!(rows(&el, "li"), 0, "the old filter's rows are dropped");
    assert_eq!(text_of(&el, ".load-more [role=status]"), "");

    click(&el, ".load-more button");
    settle().await;
    assert_eq!(rows(&el, "li"), 1);
    assert_eq!(
        t.later_pages().last().map(String::as_str),
        Some("/api/audit/sessions?filter=2&cursor=c2")
    );

    // A new filter starts over from the first page's cursor.
    filter.set(3);
    settle().await;
    assert_eq!(rows(&el, "li"), 0);
    click(&el, ".load-more button");
    settle().await;
    assert_eq!(
        t.later_pages().last().map(String::as_str),
        Some("/api/audit/sessions?filter=3&cursor=c2")
    );
}

/// A → B → A while a page of the first A is on its way: the filter is the
/// same value again, but the list started over, so that page is old.
#[wasm_bindgen_test]
async fn paging_drops_a_page_asked_for_before_the_filter_went_and_came_back() {
    reset();
    let t = Held::new(FakeTransport::new(|_| {
        ok(&sessions(&[101, 102], Some("c3")))
    }));
    let filter = RwSignal::new(1u32);
    let (el, _h) = mount_paging(&t, filter);
    settle().await;

    t.hold();
    click(&el, ".load-more button");
    settle().await;
    assert!(button_waits(&el));
    filter.set(2);
    settle().await;
    filter.set(1);
    settle().await;
    assert!(!button_waits(&el), "the list started over does not wait");

    t.release();
    settle().await;
    settle().await;
    assert_eq!(rows(&el, "li"), 0, "the page of the first A is dropped");
    assert_eq!(text_of(&el, ".load-more [role=status]"), "");

    // Asked for again from the start, it is kept once, not twice.
    click(&el, ".load-more button");
    settle().await;
    assert_eq!(rows(&el, "li"), 2);
    assert_eq!(
        t.later_pages(),
        vec![
            "/api/audit/sessions?filter=1&cursor=c2".to_string(),
            "/api/audit/sessions?filter=1&cursor=c2".to_string(),
        ]
    );
}

#[wasm_bindgen_test]
async fn paging_shows_an_error_and_load_more_tries_again() {
    reset();
    // The first later page fails, the next ones arrive.
    let fail_next = Arc::new(AtomicBool::new(true));
    let t = Held::new(FakeTransport::new(move |_| {
        if fail_next.swap(false, Ordering::SeqCst) {
            Err(TransportError::Unreachable("offline".into()))
        } else {
            ok(&sessions(&[101], Some("c3")))
        }
    }));
    let filter = RwSignal::new(1u32);
    let (el, _h) = mount_paging(&t, filter);
    settle().await;

    click(&el, ".load-more button");
    settle().await;
    assert!(text_of(&el, ".error-panel").contains("could not be reached"));
    assert!(!button_waits(&el));
    assert_eq!(rows(&el, "li"), 0);

    click(&el, ".load-more button");
    settle().await;
    assert_eq!(
        t.later_pages(),
        vec![
            "/api/audit/sessions?filter=1&cursor=c2".to_string(),
            "/api/audit/sessions?filter=1&cursor=c2".to_string(),
        ],
        "a retry asks for the same page"
    );
    assert!(el.query_selector(".error-panel").ok().flatten().is_none());
    assert_eq!(rows(&el, "li"), 1);
}

fn choose(el: &web_sys::HtmlElement, selector: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = find(el, selector).unchecked_into();
    select.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("change", &init).expect("a change event");
    select.dispatch_event(&ev).expect("dispatched");
}

fn run(id: i64) -> RunSummary {
    RunSummary {
        id,
        assignment_id: 1,
        assignment_name: "Nightly export".into(),
        status: RunStatus::Succeeded,
        trigger: RunTrigger::Schedule,
        started_at: "2026-11-24T14:38:22Z".into(),
        finished_at: None,
        duration_ms: Some(1200),
        summary: None,
    }
}

fn runs(ids: &[i64], next: Option<&str>) -> String {
    json(&RunsPage {
        items: ids.iter().map(|&id| run(id)).collect(),
        next_cursor: next.map(String::from),
        daily: None,
    })
}

/// Later rows of a list page: the second `tbody` of its table.
const MORE_ROWS: &str = "table tbody:nth-of-type(2) tr";

/// A list page's filter, as the runs and audit pages name it: the select,
/// the value chosen, and the query parameter it becomes.
struct Filter {
    select: &'static str,
    value: &'static str,
    param: &'static str,
}

/// The whole console over `t`, signed in as an administrator (and, with
/// `in_session`, viewing Alice in session 7), settled on its first pages.
async fn mount_app(t: &Held, in_session: bool) -> (web_sys::HtmlElement, Box<dyn std::any::Any>) {
    let el = container();
    let arc: Arc<dyn Transport> = Arc::new(t.clone());
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.sign_in(admin());
        if in_session {
            ctx.start(started(alice(), 7, 1800));
        }
        view! { <AppRouter /> }
    });
    settle().await;
    settle().await;
    (el, Box::new(handle))
}

/// The runs page's server for session 7: the first page of all runs (cursor
/// "c2"), of failed runs (cursor "f2"), and a later page of two runs.
fn runs_page_server() -> Held {
    let session = json(&session_for(alice(), 7, 1800));
    Held::new(FakeTransport::new(move |req| {
        let p = req.path.as_str();
        if p == "/api/view/assignments" {
            ok("[]")
        } else if p == "/api/impersonations/7" {
            ok(&session)
        } else if p.contains("cursor=") {
            ok(&runs(&[102, 103], None))
        } else if p.contains("status=failed") {
            ok(&runs(&[201], Some("f2")))
        } else {
            ok(&runs(&[101], Some("c2")))
        }
    }))
}

/// The script both list pages follow: "Load more" is held; the filter
/// changes; the button is free at once; the old filter's page lands and is
/// dropped; "Load more" then asks for the new filter's own next page.
/// The transport answers a later page with two rows, the first page of the
/// list with cursor "c2", and the first page of `filter` with cursor "f2".
async fn drops_a_later_page_of_an_old_filter(t: Held, in_session: bool, filter: Filter) {
    let (el, _h) = mount_app(&t, in_session).await;

    t.hold();
    click(&el, ".load-more button");
    settle().await;
    assert!(button_waits(&el));

    choose(&el, filter.select, filter.value);
    settle().await;
    settle().await;
    assert!(!button_waits(&el), "the new filter's list does not wait");

    t.release();
    settle().await;
    settle().await;
    assert_eq!(
        rows(&el, MORE_ROWS),
        0,
        "the old filter's page 2 is dropped"
    );
    assert_eq!(text_of(&el, ".load-more [role=status]"), "");

    click(&el, ".load-more button");
    settle().await;
    assert_eq!(rows(&el, MORE_ROWS), 2);
    let asked = t.later_pages();
    assert_eq!(asked.len(), 2);
    let chosen = format!("{}={}", filter.param, filter.value);
    assert!(asked[0].ends_with("cursor=c2") && !asked[0].contains(filter.param));
    assert!(asked[1].contains(&chosen) && asked[1].ends_with("cursor=f2"));
}

#[wasm_bindgen_test]
async fn the_runs_page_drops_a_later_page_of_an_old_filter() {
    reset();
    let _at = At::go("/session/runs");
    let t = runs_page_server();
    let status = Filter {
        select: "#filter-status",
        value: "failed",
        param: "status",
    };
    drops_a_later_page_of_an_old_filter(t, true, status).await;
}

/// While a new filter's first page loads, the old page stays on screen; its
/// "Load more" waits, so it cannot ask for the new filter with the old
/// page's cursor.
#[wasm_bindgen_test]
async fn load_more_waits_while_the_first_page_of_a_new_filter_loads() {
    reset();
    let _at = At::go("/session/runs");
    let t = runs_page_server();
    let (el, _h) = mount_app(&t, true).await;
    assert!(!button_waits(&el));

    t.hold_paths_with("status=failed");
    choose(&el, "#filter-status", "failed");
    settle().await;
    settle().await;
    assert!(button_waits(&el), "the old page's button waits");
    click(&el, ".load-more button");
    settle().await;
    assert!(t.later_pages().is_empty(), "{:?}", t.later_pages());

    t.release();
    settle().await;
    settle().await;
    assert!(!button_waits(&el), "the new page's button is free");
    click(&el, ".load-more button");
    settle().await;
    assert_eq!(t.later_pages().len(), 1);
    assert!(t.later_pages()[0].contains("status=failed"));
    assert!(t.later_pages()[0].ends_with("cursor=f2"));
}

#[wasm_bindgen_test]
async fn the_audit_page_drops_a_later_page_of_an_old_filter() {
    reset();
    let _at = At::go("/audit");
    let t = Held::new(FakeTransport::new(|req| {
        let p = req.path.as_str();
        if p == "/api/audit/verify" {
            ok(r#"{"ok":true,"events":3,"first_bad":null}"#)
        } else if p.contains("cursor=") {
            ok(&sessions(&[102, 103], None))
        } else if p.contains("end_reason=expiry") {
            ok(&sessions(&[201], Some("f2")))
        } else {
            ok(&sessions(&[101], Some("c2")))
        }
    }));
    let ended = Filter {
        select: "#audit-ended",
        value: "expiry",
        param: "end_reason",
    };
    drops_a_later_page_of_an_old_filter(t, false, ended).await;
}

fn session_of(id: i64, target_id: i64, target_name: &str) -> Session {
    let mut target = alice();
    target.id = target_id;
    target.name = target_name.into();
    session_for(target, id, 600)
}

#[wasm_bindgen_test]
async fn the_audit_page_lists_the_people_of_every_page_once_in_id_order() {
    reset();
    let _at = At::go("/audit");
    let first = json(&Page {
        items: vec![session_of(101, 30, "Zed"), session_of(102, 12, "Bea")],
        next_cursor: Some("c2".to_string()),
    });
    let later = json(&Page {
        items: vec![session_of(103, 20, "Cy"), session_of(104, 12, "Bea Q.")],
        next_cursor: None,
    });
    let t = Held::new(FakeTransport::new(move |req| {
        let p = req.path.as_str();
        if p == "/api/audit/verify" {
            ok(r#"{"ok":true,"events":3,"first_bad":null}"#)
        } else if p.contains("cursor=") {
            ok(&later)
        } else {
            ok(&first)
        }
    }));
    let (el, _h) = mount_app(&t, false).await;
    let people = |el: &web_sys::HtmlElement| -> Vec<(String, String)> {
        let list = el
            .query_selector_all("#audit-user option")
            .expect("options");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|o| {
                let o: web_sys::HtmlElement = o.unchecked_into();
                (
                    o.get_attribute("value").unwrap_or_default(),
                    o.text_content().unwrap_or_default(),
                )
            })
            .collect()
    };
    let pair = |v: &str, t: &str| (v.to_string(), t.to_string());
    assert_eq!(
        people(&el),
        vec![pair("", "Anyone"), pair("12", "Bea"), pair("30", "Zed")]
    );

    click(&el, ".load-more button");
    settle().await;
    assert_eq!(
        people(&el),
        vec![
            pair("", "Anyone"),
            pair("12", "Bea Q."),
            pair("20", "Cy"),
            pair("30", "Zed"),
        ],
        "later pages add their people; a person seen again keeps one entry"
    );
}
