//! Sign-in throttling, kept in the database so every instance behind a load
//! balancer sees the same counts. It slows guessing down; it never locks an
//! account, so an attacker cannot keep its owner out (README, "Sign-in
//! throttling").
//!
//! # Policy
//!
//! - **Per account**, a back-off: with `k` failures since the account's last
//!   success (over the last [`FORGET_SECS`]), the next attempt may come
//!   [`delay_after`]`(k)` seconds after the latest of them: none for the
//!   first [`FREE_FAILURES`], then 1 s, doubling, capped at
//!   [`MAX_DELAY_SECS`]. A success resets the account.
//! - **Per client address**, a sliding window across accounts: at most
//!   [`PER_ADDRESS`] failures in [`WINDOW_SECS`]; then the address waits
//!   until its oldest failure leaves the window. Other addresses, the
//!   account's owner among them, are unaffected.
//! - An attempt refused by either (429) checks no password and records
//!   nothing: it neither counts as a failure nor resets anything.
//!
//! # Mechanics
//!
//! Every attempt is *reserved* before its password is checked: [`reserve`]
//! runs on the writer and, in one transaction, checks both scopes and, when
//! both allow it, records the attempt in both as a failure still in flight
//! (`pending`). Then a wrong password settles the rows ([`settle`]) and a
//! right one ([`release`]) deletes the account's rows and its own address
//! row in the write that issues its token. So:
//!
//! - Per account an attempt in flight counts like a failure: a burst of
//!   wrong passwords gets [`FREE_FAILURES`] password checks, however many
//!   arrive at once; the rest wait like any attempt inside the delay.
//! - Per address only settled failures count against [`PER_ADDRESS`], and
//!   attempts in flight have their own cap, [`ADDRESS_IN_FLIGHT`]: behind a
//!   proxy many people sign in from one address at once.
//! - An attempt whose outcome was never written (the client left, the
//!   server died mid-check) stays a failure; a pending row older than
//!   [`PENDING_SECS`] counts as settled.
//!
//! The check and the insert must be atomic across instances. In SQLite they
//! are: the writer runs every job inside `BEGIN IMMEDIATE`, which holds the
//! database's write lock. On PostgreSQL, take a transaction-scoped lock per
//! scope first (`SELECT pg_advisory_xact_lock(hashtext(scope))`, account
//! scope before address scope) or run [`reserve`] at `SERIALIZABLE` and
//! retry on serialization failure.

use rusqlite::{params, Connection};

use super::DbResult;

/// Consecutive failures an account may have before its attempts are spaced.
pub const FREE_FAILURES: i64 = 5;
/// The longest an account's next attempt ever waits.
pub const MAX_DELAY_SECS: i64 = 60;
/// Failures older than this are forgotten (and their rows deleted).
pub const FORGET_SECS: i64 = 24 * 60 * 60;
/// Per-address failures are counted over this sliding window.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failed attempts per client address within the window, across accounts.
pub const PER_ADDRESS: i64 = 50;
/// Attempts from one address whose password is being checked, at most.
pub const ADDRESS_IN_FLIGHT: i64 = 64;
/// A pending attempt older than this was never decided: a failure.
pub const PENDING_SECS: i64 = 60;

pub fn account_scope(email: &str) -> String {
    format!("account:{email}")
}

pub fn address_scope(addr: &str) -> String {
    format!("address:{addr}")
}

/// Seconds an account with `failures` consecutive failures waits after the
/// latest before its next attempt.
pub fn delay_after(failures: i64) -> i64 {
    let doublings = failures - FREE_FAILURES;
    if doublings < 0 {
        return 0;
    }
    u32::try_from(doublings)
        .ok()
        .filter(|d| *d < 62)
        .map_or(MAX_DELAY_SECS, |d| (1i64 << d).min(MAX_DELAY_SECS))
}

/// An attempt recorded by [`reserve`]: what [`settle`] or [`release`] must
/// find again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    account_scope: String,
    account_row: i64,
    address_row: i64,
}

/// Run on the writer, before the password is checked: when both scopes
/// allow it, records the attempt in both as a failure in flight and returns
/// `Ok(reservation)`; otherwise records nothing and returns `Err(seconds)`
/// until another attempt may be made. See the module's policy.
pub fn reserve(
    conn: &Connection,
    account_scope: &str,
    address_scope: &str,
    now: i64,
) -> DbResult<Result<Reservation, i64>> {
    conn.prepare_cached("DELETE FROM login_failures WHERE at <= ?1")?
        .execute(params![now - FORGET_SECS])?;
    let wait = account_wait(conn, account_scope, now)?.max(address_wait(conn, address_scope, now)?);
    if wait > 0 {
        return Ok(Err(wait));
    }
    Ok(Ok(Reservation {
        account_scope: account_scope.to_string(),
        account_row: record_in_flight(conn, account_scope, now)?,
        address_row: record_in_flight(conn, address_scope, now)?,
    }))
}

/// Seconds until the account's back-off lets another attempt in (0: now).
/// Attempts in flight count: a burst is spaced like a run of failures.
fn account_wait(conn: &Connection, scope: &str, now: i64) -> DbResult<i64> {
    let (failures, latest): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT COUNT(*), MAX(at) FROM login_failures WHERE scope = ?1 AND at > ?2",
        )?
        .query_row(params![scope, now - FORGET_SECS], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(latest.map_or(0, |at| (at + delay_after(failures) - now).max(0)))
}

/// Seconds until the address may try again (0: now): until its oldest
/// settled failure leaves the window when it has [`PER_ADDRESS`] of them,
/// one while [`ADDRESS_IN_FLIGHT`] attempts are being checked.
fn address_wait(conn: &Connection, scope: &str, now: i64) -> DbResult<i64> {
    let (settled, in_flight, oldest): (i64, i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(pending = 0 OR at <= ?3), 0), COALESCE(SUM(pending = 1 AND at > ?3), 0), \
                    MIN(CASE WHEN pending = 0 OR at <= ?3 THEN at END) \
             FROM login_failures WHERE scope = ?1 AND at > ?2",
        )?
        .query_row(params![scope, now - WINDOW_SECS, now - PENDING_SECS], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(if settled >= PER_ADDRESS {
        oldest.map_or(WINDOW_SECS, |t| t + WINDOW_SECS - now).max(1)
    } else if in_flight >= ADDRESS_IN_FLIGHT {
        1
    } else {
        0
    })
}

/// Settles a [`reserve`]d attempt whose password was wrong: a failure.
pub fn settle(conn: &Connection, r: &Reservation) -> DbResult<()> {
    conn.prepare_cached("UPDATE login_failures SET pending = 0 WHERE id IN (?1, ?2)")?
        .execute(params![r.account_row, r.address_row])?;
    Ok(())
}

/// A [`reserve`]d attempt whose password was right: the account's back-off
/// starts again from nothing, and this attempt is no failure of its address
/// (the address keeps its other failures).
pub fn release(conn: &Connection, r: &Reservation) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM login_failures WHERE scope = ?1 OR id = ?2")?
        .execute(params![r.account_scope, r.address_row])?;
    Ok(())
}

/// Records an attempt in flight in `scope`; returns its row id.
fn record_in_flight(conn: &Connection, scope: &str, now: i64) -> DbResult<i64> {
    let id = conn
        .prepare_cached(
            "INSERT INTO login_failures (scope, at, pending) VALUES (?1, ?2, 1) RETURNING id",
        )?
        .query_row(params![scope, now], |r| r.get(0))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_from_one_second_and_stops_at_the_cap() {
        let delays: Vec<i64> = (0..=12).map(delay_after).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(delay_after(1_000), MAX_DELAY_SECS);
        assert_eq!(delay_after(i64::MAX), MAX_DELAY_SECS);
    }
}
