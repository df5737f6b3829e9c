//! sessionStorage, the only browser storage viewas uses. Nothing goes to
//! localStorage or cookies: a token must not outlive the tab.

use serde::{de::DeserializeOwned, Serialize};

/// The signed-in administrator or partner: `{"token", "user"}`.
pub const AUTH_KEY: &str = "viewas.auth";
/// The active impersonation: `{"token", "session", ...}`.
pub const SESSION_KEY: &str = "viewas.session";
/// The partner origin this tab was embedded with, once validated.
pub const PARTNER_ORIGIN_KEY: &str = "viewas.partner_origin";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Reads and decodes a key; a missing key, a storage that refuses or a
/// value that no longer decodes all read as `None`.
pub fn read<T: DeserializeOwned>(key: &str) -> Option<T> {
    let raw = storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

pub fn write<T: Serialize>(key: &str, value: &T) {
    if let (Some(s), Ok(raw)) = (storage(), serde_json::to_string(value)) {
        // A full or disabled storage only costs the reload restore.
        let _ = s.set_item(key, &raw);
    }
}

pub fn read_str(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub fn write_str(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}
