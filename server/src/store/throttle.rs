//! Sign-in throttling, kept in the database so every instance behind a load
//! balancer sees the same counts.
//!
//! # Semantics
//!
//! Every sign-in attempt is *reserved* before its password is checked:
//! [`reserve`] runs on the writer and, in one transaction, checks the
//! account's and the client address's counts and, when both allow it,
//! records the attempt in both scopes as a failure still *in flight*
//! (`pending`). Only then is the (slow) password checked. Then a wrong
//! password (an unknown e-mail, a disabled account) settles the rows
//! ([`settle`]) and a right one deletes them ([`release`]) in the write that
//! issues its token. So:
//!
//! - **Per account** an attempt in flight counts like a failure: a burst of
//!   wrong passwords for one account gets at most [`PER_ACCOUNT`] password
//!   checks, however many arrive at once; the rest are refused (429)
//!   without hashing anything. More than [`PER_ACCOUNT`] right passwords of
//!   one account at the same instant may see 429 for the extra ones.
//! - **Per address** only settled failures count against [`PER_ADDRESS`],
//!   and attempts in flight have their own cap, [`ADDRESS_IN_FLIGHT`]:
//!   behind a proxy everyone signs in from one address, and a burst of right
//!   passwords there must not be refused. A burst of wrong ones gets at most
//!   `PER_ADDRESS + ADDRESS_IN_FLIGHT` checks, then the address is locked.
//! - A right password spends no budget once it has succeeded.
//! - An attempt whose outcome was never written (the client left, the
//!   server died mid-check) stays a failure; a pending row older than
//!   [`PENDING_SECS`] counts as settled.
//! - Refused attempts (429) record nothing, so a locked scope stays locked
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
/// Failed attempts per client address within the window.
pub const PER_ADDRESS: i64 = 20;
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

/// An attempt recorded by [`reserve`]: the rows to give back with
/// [`release`] if the password turns out right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    account_row: i64,
    address_row: i64,
}

/// The attempts of `scope` within the window: settled failures, attempts
/// in flight, and when the oldest settled failure was.
struct Counts {
    settled: i64,
    in_flight: i64,
    oldest: Option<i64>,
}

fn counts(conn: &Connection, scope: &str, now: i64) -> DbResult<Counts> {
    conn.prepare_cached(
        "SELECT COALESCE(SUM(pending = 0 OR at <= ?3), 0), COALESCE(SUM(pending = 1 AND at > ?3), 0), \
                MIN(CASE WHEN pending = 0 OR at <= ?3 THEN at END) \
         FROM login_failures WHERE scope = ?1 AND at > ?2",
    )?
    .query_row(params![scope, now - WINDOW_SECS, now - PENDING_SECS], |r| {
        Ok(Counts {
            settled: r.get(0)?,
            in_flight: r.get(1)?,
            oldest: r.get(2)?,
        })
    })
    .map_err(Into::into)
}

/// `None` while `c` allows another attempt, else the seconds to wait: until
/// the oldest settled failure leaves the window (simple and conservative)
/// when `settled_over`, else one (only attempts in flight are in the way).
fn wait(c: &Counts, over: bool, settled_over: bool, now: i64) -> Option<i64> {
    over.then(|| {
        if settled_over {
            c.oldest
                .map_or(WINDOW_SECS, |t| t + WINDOW_SECS - now)
                .max(1)
        } else {
            1
        }
    })
}

/// Run on the writer, before the password is checked: when both scopes
/// allow it, records the attempt in both as a failure in flight and returns
/// `Ok(reservation)`; otherwise records nothing and returns `Err(seconds)`
/// until another attempt may be made. See the module's semantics.
pub fn reserve(
    conn: &Connection,
    account_scope: &str,
    address_scope: &str,
    now: i64,
) -> DbResult<Result<Reservation, i64>> {
    // Per account, attempts in flight count like failures.
    let a = counts(conn, account_scope, now)?;
    let account = wait(
        &a,
        a.settled + a.in_flight >= PER_ACCOUNT,
        a.settled >= PER_ACCOUNT,
        now,
    );
    // Per address, they have a cap of their own.
    let b = counts(conn, address_scope, now)?;
    let address = wait(
        &b,
        b.settled >= PER_ADDRESS || b.in_flight >= ADDRESS_IN_FLIGHT,
        b.settled >= PER_ADDRESS,
        now,
    );
    if let Some(wait) = account.max(address) {
        return Ok(Err(wait));
    }
    Ok(Ok(Reservation {
        account_row: record_in_flight(conn, account_scope, now)?,
        address_row: record_in_flight(conn, address_scope, now)?,
    }))
}

/// Settles a [`reserve`]d attempt whose password was wrong: a failure.
pub fn settle(conn: &Connection, r: Reservation) -> DbResult<()> {
    conn.prepare_cached("UPDATE login_failures SET pending = 0 WHERE id IN (?1, ?2)")?
        .execute(params![r.account_row, r.address_row])?;
    Ok(())
}

/// Gives back a [`reserve`]d attempt whose password was right, so a
/// successful sign-in does not count as a failure.
pub fn release(conn: &Connection, r: Reservation) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM login_failures WHERE id IN (?1, ?2)")?
        .execute(params![r.account_row, r.address_row])?;
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
