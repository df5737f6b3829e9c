//! Messages to other tabs (BroadcastChannel) and to an embedding portal
//! (`postMessage`) travel as plain JS objects; these convert them through
//! serde_json, the one JSON codec of the console.

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsValue;

/// `value` as a plain JS object.
pub fn to_js<T: Serialize>(value: &T) -> Option<JsValue> {
    let text = serde_json::to_string(value).ok()?;
    js_sys::JSON::parse(&text).ok()
}

/// A received JS value as `T`; `None` when it is not one.
pub fn from_js<T: DeserializeOwned>(value: &JsValue) -> Option<T> {
    let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}
