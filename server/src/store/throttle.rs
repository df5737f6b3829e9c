//! Sign-in throttling, kept in the database so every instance behind a load
//! balancer sees the same counts.
//!
//! # Semantics
//!
//! Every sign-in attempt is *reserved* before its password is checked:
//! [`reserve`] runs on the writer and, in one transaction, checks the
//! account's and the client address's counts and, when both are under their
//! limits, records the attempt in both scopes as a failure. Only then is the
//! (slow) password checked. So:
//!
//! - An attempt in flight counts against both budgets until it is decided:
//!   a burst of N wrong passwords for one account gets at most
//!   [`PER_ACCOUNT`] password checks, and one address at most
//!   [`PER_ADDRESS`], however many arrive at once. The rest are refused
//!   (429) without hashing anything.
//! - A correct password is not a failure: the sign-in gives its reservation
//!   back ([`release`]) in the same write that issues its token, so it
//!   spends none of the budget once it has succeeded. While it is being
//!   checked it holds one unit, so more than [`PER_ACCOUNT`] correct
//!   sign-ins of one account *at the same instant* may see 429 for the extra
//!   ones; sequential or a few parallel sign-ins never do.
//! - A wrong password, an unknown e-mail, a disabled account, or an attempt
//!   whose outcome was never written (an error after the reservation) keeps
//!   its reservation: it counts as a failure for [`WINDOW_SECS`].
//! - Refused attempts (429) record nothing, so a locked account stays locked
//!   only until its oldest failure leaves the window.
//!
//! The check and the insert must be atomic across instances. In SQLite they
//! are: the writer runs every job inside `BEGIN IMMEDIATE`, which holds the
//! database's write lock. On PostgreSQL, take a transaction-scoped lock per
//! scope first (`SELECT pg_advisory_xact_lock(hashtext(scope))`, account
//! scope before address scope) or run [`reserve`] at `SERIALIZABLE` and
//! retry on serialization failure.

use rusqlite::{params, Connection};

use super::DbResult;

/// Failures counted over this window.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failed (or undecided) attempts per account within the window before
/// sign-in is refused.
pub const PER_ACCOUNT: i64 = 5;
/// Failed (or undecided) attempts per client address within the window.
pub const PER_ADDRESS: i64 = 20;

pub fn account_scope(email: &str) -> String {
    format!("account:{email}")
}

pub fn address_scope(addr: &str) -> String {
    format!("address:{addr}")
}

/// An attempt recorded by [`reserve`]: the rows to give back with
/// [`release`] if the password turns out right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    account_row: i64,
    address_row: i64,
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

/// Run on the writer, before the password is checked: when both scopes are
/// under their limits, records the attempt as a failure in both and returns
/// `Ok(reservation)`; otherwise records nothing and returns `Err(seconds)`
/// until another attempt may be made. See the module's semantics.
pub fn reserve(
    conn: &Connection,
    account_scope: &str,
    address_scope: &str,
    now: i64,
) -> DbResult<Result<Reservation, i64>> {
    let a = retry_after(conn, account_scope, PER_ACCOUNT, now)?;
    let b = retry_after(conn, address_scope, PER_ADDRESS, now)?;
    if let Some(wait) = a.max(b) {
        return Ok(Err(wait));
    }
    Ok(Ok(Reservation {
        account_row: record_failure(conn, account_scope, now)?,
        address_row: record_failure(conn, address_scope, now)?,
    }))
}

/// Gives back a [`reserve`]d attempt whose password was right, so a
/// successful sign-in does not count as a failure.
pub fn release(conn: &Connection, r: Reservation) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM login_failures WHERE id IN (?1, ?2)")?
        .execute(params![r.account_row, r.address_row])?;
    Ok(())
}

/// Records one failure in `scope`; returns its row id.
pub fn record_failure(conn: &Connection, scope: &str, now: i64) -> DbResult<i64> {
    let id = conn
        .prepare_cached("INSERT INTO login_failures (scope, at) VALUES (?1, ?2) RETURNING id")?
        .query_row(params![scope, now], |r| r.get(0))?;
    Ok(id)
}
