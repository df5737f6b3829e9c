//! Embedding in a partner portal (docs/embedding.md): when viewas runs in
//! an `<iframe>`, it tells the parent frame when a session starts and ends.
//! Messages go to the parent's one origin, never to `"*"`.
//!
//! The parent's origin comes from the browser where it says
//! (`location.ancestorOrigins`: Chromium, Safari), so a plain iframe needs
//! no configuration. Elsewhere it comes from `?partner_origin=` on the
//! first page load (kept in sessionStorage for the tab) or from
//! `<meta name="viewas-partner-origin" content="...">`.
//!
//! Whatever its source, a message is only posted when the origin is in the
//! server's list of partner origins (`GET /api/config`, given to
//! [`configure`] at start-up when framed). Fail closed: without that list,
//! no message.

use std::cell::RefCell;

use serde::Serialize;
use viewas_api::{Id, PublicConfig};
use wasm_bindgen::JsValue;

use crate::{message, storage};

thread_local! {
    /// The server's partner origins; `None` until fetched (or when the fetch
    /// failed), which allows none.
    static SERVER_ORIGINS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// `{"type": "viewas.session.started" | "viewas.session.ended",
/// "session_id": N, "reason": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParentMessage {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub session_id: Id,
    pub reason: String,
}

pub const STARTED: &str = "viewas.session.started";
pub const ENDED: &str = "viewas.session.ended";

/// `Some(origin)` when `s` is exactly an http or https origin
/// (`https://portal.example:8443`, no path, query or trailing slash).
pub fn normalize_origin(s: &str) -> Option<String> {
    let url = web_sys::Url::new(s).ok()?;
    let protocol = url.protocol();
    if protocol != "http:" && protocol != "https:" {
        return None;
    }
    let origin = url.origin();
    (origin == s.trim_end_matches('/') && !s.ends_with("//")).then_some(origin)
}

/// Whether the console runs inside a frame of another window.
pub fn is_framed() -> bool {
    parent_window().is_some()
}

fn parent_window() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    let same = js_sys::Object::is(parent.as_ref(), window.as_ref());
    (!same).then_some(parent)
}

fn first_ancestor_origin() -> Option<String> {
    // `location.ancestorOrigins` (Chromium, Safari): the parent's origin first.
    let location = web_sys::window()?.location();
    let list = js_sys::Reflect::get(&location, &"ancestorOrigins".into()).ok()?;
    if list.is_undefined() || list.is_null() {
        return None;
    }
    js_sys::Reflect::get(&list, &"0".into()).ok()?.as_string()
}

fn meta_origin() -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let el = doc
        .query_selector("meta[name=\"viewas-partner-origin\"]")
        .ok()
        .flatten()?;
    normalize_origin(&el.get_attribute("content")?)
}

fn query_origin() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    let origin = normalize_origin(&params.get("partner_origin")?)?;
    match first_ancestor_origin() {
        Some(parent) if parent != origin => None,
        _ => Some(origin),
    }
}

/// Reads the configuration once at start-up and keeps a query-given origin
/// for the rest of the tab's life.
pub fn init() {
    if let Some(origin) = query_origin() {
        storage::write_str(storage::PARTNER_ORIGIN_KEY, &origin);
    }
}

/// Replaces the server's list of partner origins (`None`: no list, so no
/// message goes anywhere). [`load_server_origins`] calls it; tests too.
pub fn set_server_origins(origins: Option<Vec<String>>) {
    SERVER_ORIGINS.with(|o| *o.borrow_mut() = origins);
}

/// Whether the server's partner origins are known.
pub fn is_configured() -> bool {
    SERVER_ORIGINS.with(|o| o.borrow().is_some())
}

/// Takes the server's partner origins from its public configuration.
pub fn configure(config: &PublicConfig) {
    set_server_origins(Some(config.partner_origins.clone()));
}

/// Whether the server lists `origin` as a partner origin.
pub fn server_allows(origin: &str) -> bool {
    SERVER_ORIGINS.with(|o| {
        o.borrow()
            .as_ref()
            .is_some_and(|list| list.iter().any(|a| a.trim_end_matches('/') == origin))
    })
}

/// The origin of the frame around the console, if it can be known: the
/// browser's `ancestorOrigins` where it has them, else the configured one.
pub fn partner_origin() -> Option<String> {
    if let Some(parent) = first_ancestor_origin() {
        return normalize_origin(&parent);
    }
    meta_origin().or_else(|| {
        storage::read_str(storage::PARTNER_ORIGIN_KEY).and_then(|s| normalize_origin(&s))
    })
}

/// Posts to the parent frame when embedded on a listed partner origin;
/// otherwise a no-op.
pub fn notify_parent(kind: &'static str, session_id: Id, reason: &str) {
    if let Some(parent) = parent_window() {
        notify_window(&parent, kind, session_id, reason);
    }
}

/// Posts the message to `target`, addressed to the partner origin, when it
/// is known and the server lists it. Returns whether it was posted.
pub fn notify_window(
    target: &web_sys::Window,
    kind: &'static str,
    session_id: Id,
    reason: &str,
) -> bool {
    let Some(origin) = partner_origin().filter(|o| server_allows(o)) else {
        return false;
    };
    let msg = ParentMessage {
        kind,
        session_id,
        reason: reason.to_string(),
    };
    let Some(value) = message::to_js(&msg) else {
        return false;
    };
    // A parent that navigated away to another origin makes this throw; the
    // message is then simply not delivered.
    let sent: Result<(), JsValue> = target.post_message(&value, &origin);
    sent.is_ok()
}
