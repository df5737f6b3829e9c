//! The limit on blocked attempts (writes tried with an impersonation token)
//! recorded one by one per session: the trail is append-only, so a client
//! must not be able to grow it without bound. Counted from the trail
//! itself, so every instance of the server sees the same count and nothing
//! is kept in memory.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;
use crate::clock::rfc3339;

/// Blocked attempts recorded one by one per session within any window of
/// [`WINDOW_SECS`]; beyond that, one summarising row, then none until the
/// window has room again. The console never sends one (its guard stops
/// them), so only a broken or hostile client meets the limit.
pub const PER_WINDOW: i64 = 30;
pub const WINDOW_SECS: i64 = 60;

/// A blocked attempt over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    /// Seconds until an attempt is recorded (and answered) again.
    pub retry_after: i64,
    /// This throttling already has its summarising row.
    pub summarised: bool,
}

/// Whether a blocked attempt at `at` in session `id` is over the limit.
pub fn over_limit(conn: &Connection, id: i64, at: i64) -> DbResult<Option<OverLimit>> {
    // The oldest of the last PER_WINDOW attempts recorded one by one.
    let nth: Option<i64> = conn
        .prepare_cached(
            "SELECT at FROM audit_events WHERE session_id = ?1 AND kind = 'blocked' \
             AND status <> 429 ORDER BY id DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![id, PER_WINDOW - 1], |r| r.get(0))
        .optional()?;
    let Some(nth) = nth.filter(|nth| *nth > at - WINDOW_SECS) else {
        return Ok(None);
    };
    // Once over, nothing but the summary is written until the window has
    // room: the latest blocked row is the summary of this throttling.
    let last_status: Option<i64> = conn
        .prepare_cached(
            "SELECT status FROM audit_events WHERE session_id = ?1 AND kind = 'blocked' \
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(Some(OverLimit {
        retry_after: (nth + WINDOW_SECS - at).max(1),
        summarised: last_status == Some(429),
    }))
}

/// The detail of the summarising row: the limit, until when attempts go
/// unrecorded, and the attempt's own detail (its target's hash), if any.
pub fn summary(detail: Option<&str>, until: i64) -> String {
    let mut out = detail
        .and_then(|d| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(d).ok())
        .unwrap_or_default();
    out.insert("throttled".into(), true.into());
    out.insert("limit".into(), PER_WINDOW.into());
    out.insert("window_secs".into(), WINDOW_SECS.into());
    out.insert("unrecorded_until".into(), rfc3339(until).into());
    serde_json::Value::Object(out).to_string()
}
