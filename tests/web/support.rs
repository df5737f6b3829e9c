//! Fixtures: a fake transport that counts requests, sessions, mounting.
#![allow(dead_code)] // Not every fixture is used by every test module yet.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use viewas::client::{HttpRequest, HttpResponse, LocalFuture, Transport, TransportError};
use viewas_api::{
    NotifyPolicy, Org, Person, ReasonCategory, Role, Session, SessionStatus, StartedImpersonation,
    User,
};
use wasm_bindgen::{JsCast, JsValue};

type Responder = dyn Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync;

/// A transport that records every request and answers from a closure.
#[derive(Clone)]
pub struct FakeTransport {
    calls: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<HttpRequest>>>,
    respond: Arc<Responder>,
}

impl FakeTransport {
    pub fn new(
        respond: impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync + 'static,
    ) -> Self {
        FakeTransport {
            calls: Arc::new(AtomicUsize::new(0)),
            log: Arc::new(Mutex::new(Vec::new())),
            respond: Arc::new(respond),
        }
    }

    /// Answers every request with `status` and `body`.
    pub fn always(status: u16, body: &str) -> Self {
        let body = body.to_string();
        Self::new(move |_| {
            Ok(HttpResponse {
                status,
                body: body.clone(),
            })
        })
    }

    /// Fails every request as if the server were unreachable.
    pub fn unreachable() -> Self {
        Self::new(|_| Err(TransportError::Unreachable("offline".into())))
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<HttpRequest> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn arc(&self) -> Arc<dyn Transport> {
        Arc::new(self.clone())
    }
}

impl Transport for FakeTransport {
    fn send(&self, req: HttpRequest) -> LocalFuture<Result<HttpResponse, TransportError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut l) = self.log.lock() {
            l.push(req.clone());
        }
        let answer = (self.respond)(&req);
        Box::pin(async move { answer })
    }
}

pub fn ok(body: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: 200,
        body: body.to_string(),
    })
}

pub fn alice() -> User {
    User {
        id: 11,
        name: "Alice Novak".into(),
        email: "alice@acme.example".into(),
        role: Role::User,
        org: Org {
            id: 3,
            name: "Acme Logistics".into(),
            policy: NotifyPolicy::Notify,
        },
        timezone: "Europe/Prague".into(),
    }
}

pub fn iso(ms: f64) -> String {
    js_sys::Date::new(&ms.into())
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

/// A session on `target` started now that lasts `secs` seconds.
pub fn session_for(target: User, id: i64, secs: i64) -> Session {
    let now = js_sys::Date::now();
    Session {
        id,
        impersonator: Person {
            id: 1,
            name: "Ada Admin".into(),
            email: "admin@duvo.example".into(),
            role: Role::Admin,
            org_name: "Duvo".into(),
        },
        target,
        reason_category: ReasonCategory::SupportRequest,
        reason: "Customer asked about a failed export".into(),
        ticket: None,
        status: SessionStatus::Active,
        started_at: iso(now),
        expires_at: iso(now + secs as f64 * 1000.0),
        ended_at: None,
        end_reason: None,
        seconds_left: secs,
        idle_timeout_secs: 600,
        pages_viewed: 0,
        notes: Vec::new(),
    }
}

pub fn started(target: User, id: i64, secs: i64) -> StartedImpersonation {
    StartedImpersonation {
        session: session_for(target, id, secs),
        token: format!("imp-token-{id}"),
    }
}

/// Empties sessionStorage (shared by all tests of the page).
pub fn reset() {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.clear();
    }
}

/// A new element in the body to mount into.
pub fn container() -> web_sys::HtmlElement {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let el = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&el)
        .expect("appended");
    el.unchecked_into()
}

pub fn text_of(root: &web_sys::HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Lets effects and spawned tasks run until `done` holds (at most 50
/// rounds of the task queue); says what it waited for when it never does.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..50 {
        if done() {
            return;
        }
        leptos::task::tick().await;
    }
    assert!(done(), "waited in vain for: {what}");
}

/// Lets effects and spawned tasks run (the fake transport answers at once,
/// so a few rounds of the task queue are enough; no timer is waited for).
pub async fn settle() {
    for _ in 0..8 {
        leptos::task::tick().await;
    }
}

/// Provides the app's contexts over `t` under a mounted owner and hands them
/// out; dropping the returned handle disposes them (clock, tab listener).
pub fn contexts(
    t: &FakeTransport,
) -> (
    Box<dyn std::any::Any>,
    viewas::session::SessionContext,
    viewas::client::ApiClient,
) {
    contexts_with_clock(t, Arc::new(viewas::time::SystemClock))
}

/// [`contexts`] with the session counting down by `clock`.
pub fn contexts_with_clock(
    t: &FakeTransport,
    clock: Arc<dyn viewas::time::Clock>,
) -> (
    Box<dyn std::any::Any>,
    viewas::session::SessionContext,
    viewas::client::ApiClient,
) {
    use leptos::prelude::*;
    use std::{cell::RefCell, rc::Rc};
    let slot = Rc::new(RefCell::new(None));
    let out = slot.clone();
    let arc = t.arc();
    let handle = leptos::mount::mount_to(container(), move || {
        let (ctx, api) = viewas::provide_app_contexts_with_clock(arc, clock);
        *out.borrow_mut() = Some((ctx, api));
        view! { <span></span> }
    });
    let (ctx, api) = slot.borrow_mut().take().expect("contexts were provided");
    (Box::new(handle), ctx, api)
}

pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

pub fn respond(status: u16, body: impl Into<String>) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        body: body.into(),
    })
}

pub fn local_storage_len() -> u32 {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.length().ok())
        .unwrap_or(0)
}

pub fn session_item(key: &str) -> Option<String> {
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .and_then(|s| s.get_item(key).ok().flatten())
}

pub fn click(root: &web_sys::HtmlElement, selector: &str) {
    let el: web_sys::HtmlElement = root
        .query_selector(selector)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into();
    el.click();
}

pub fn key(target: &web_sys::HtmlElement, k: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(k);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
        .expect("a keyboard event");
    target.dispatch_event(&ev).expect("dispatched");
}

pub fn type_into(input: &web_sys::HtmlElement, value: &str) {
    let i: &web_sys::HtmlInputElement = input.unchecked_ref();
    i.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).expect("an input event");
    input.dispatch_event(&ev).expect("dispatched");
}

pub fn find(root: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    root.query_selector(selector)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {selector} in {}", root.inner_html()))
        .unchecked_into()
}

/// Sets the address the router starts from; restores the old one on drop.
pub struct At(String);

impl At {
    pub fn go(path: &str) -> At {
        let old = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_else(|| "/".into());
        set_url(path);
        At(old)
    }
}

impl Drop for At {
    fn drop(&mut self) {
        set_url(&self.0);
    }
}

pub fn set_url(url: &str) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(url));
    }
}
