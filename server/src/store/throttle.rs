//! Sign-in throttling, kept in the database so every instance behind a load
//! balancer sees the same counts.

use rusqlite::{params, Connection};

use super::DbResult;

/// Failures counted over this window.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failed attempts per account within the window before sign-in is refused.
pub const PER_ACCOUNT: i64 = 5;
/// Failed attempts per client address within the window.
pub const PER_ADDRESS: i64 = 20;

pub fn account_scope(email: &str) -> String {
    format!("account:{email}")
}

pub fn address_scope(addr: &str) -> String {
    format!("address:{addr}")
}

/// Seconds until another attempt is allowed in `scope`, or `None` when it is
/// allowed now.
pub fn retry_after(conn: &Connection, scope: &str, limit: i64, now: i64) -> DbResult<Option<i64>> {
    let since = now - WINDOW_SECS;
    let (count, oldest): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE scope = ?1 AND at > ?2",
        )?
        .query_row(params![scope, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if count < limit {
        return Ok(None);
    }
    // Simple and conservative: wait until the oldest failure leaves the window.
    let wait = oldest.map_or(WINDOW_SECS, |t| t + WINDOW_SECS - now);
    Ok(Some(wait.max(1)))
}

pub fn record_failure(conn: &Connection, scope: &str, now: i64) -> DbResult<()> {
    conn.prepare_cached("INSERT INTO login_failures (scope, at) VALUES (?1, ?2)")?
        .execute(params![scope, now])?;
    Ok(())
}
