//! Embedding in a partner portal: when viewas runs in an `<iframe>` and a
//! partner origin is configured, it tells the parent frame when a session
//! starts and ends. Messages go to that one origin, never to `"*"`.
//!
//! The origin comes from `<meta name="viewas-partner-origin" content="...">`
//! or from `?partner_origin=` on the first page load (kept in sessionStorage
//! for the tab). A query value is only accepted when it is a bare http(s)
//! origin and, where the browser says who the parent is
//! (`location.ancestorOrigins`), equal to it.

use serde::Serialize;
use viewas_api::Id;
use wasm_bindgen::JsValue;

use crate::storage;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
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

/// The configured partner origin, if any.
pub fn partner_origin() -> Option<String> {
    meta_origin().or_else(|| {
        storage::read_str(storage::PARTNER_ORIGIN_KEY).and_then(|s| normalize_origin(&s))
    })
}

/// Posts to the parent frame when embedded and configured; otherwise a no-op.
pub fn notify_parent(kind: &'static str, session_id: Id, reason: &str) {
    let (Some(parent), Some(origin)) = (parent_window(), partner_origin()) else {
        return;
    };
    let msg = ParentMessage {
        kind,
        session_id,
        reason: reason.to_string(),
    };
    let Ok(json) = serde_json::to_string(&msg) else {
        return;
    };
    let Ok(value) = js_sys::JSON::parse(&json) else {
        return;
    };
    // A parent that navigated away to another origin makes this throw; the
    // message is then simply not delivered.
    let _: Result<(), JsValue> = parent.post_message(&value, &origin);
}
