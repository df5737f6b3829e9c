//! Impersonation sessions: start, end (every way), views, notes, and the
//! reads the audit pages need. Functions that change rows run on the writer
//! and append their audit events in the same transaction.

use rusqlite::{params, Connection, OptionalExtension};
use viewas_api::{AccessHistoryItem, EndReason, Note, ReasonCategory, Session, SessionStatus};

use super::accounts::{self, TokenKind};
use super::audit::{self, NewEvent};
use super::blocked;
use super::rows::{
    account_by_id, client_orgs, first_rows, session_by_id, session_from_row, Account, SessionRow,
    Word, ROW_CAP, SESSION_COLS,
};
use super::{DbError, DbResult};
use crate::clock::rfc3339;
use crate::rules;

pub struct StartArgs {
    pub impersonator_id: i64,
    pub target_id: i64,
    pub category: ReasonCategory,
    pub reason: String,
    pub ticket: Option<String>,
    pub now: i64,
    pub max_secs: i64,
    pub idle_secs: i64,
    pub selector: String,
    pub secret_hash: [u8; 32],
}

pub enum StartOutcome {
    Started(SessionRow),
    TargetNotFound,
    NotAllowed(&'static str),
    AlreadyImpersonating(i64),
}

/// Starts a session. The rules are checked again here, on the writer, so a
/// concurrent disable or second start cannot slip between check and insert.
pub fn start(conn: &Connection, a: &StartArgs) -> DbResult<StartOutcome> {
    let Some(me) = account_by_id(conn, a.impersonator_id)? else {
        return Ok(StartOutcome::NotAllowed("Your account no longer exists"));
    };
    let Some(target) = account_by_id(conn, a.target_id)? else {
        return Ok(StartOutcome::TargetNotFound);
    };
    let clients = client_orgs(conn, me.org.id)?;
    if let Some(why) = rules::refusal(&me, &target, &clients) {
        // A refused attempt is on the record too: who tried whom, and why not.
        let detail = serde_json::json!({
            "why": why,
            "reason_category": a.category.as_str(),
            "reason": a.reason,
        })
        .to_string();
        audit::append(
            conn,
            &NewEvent {
                at: a.now,
                kind: "start_refused",
                actor_id: Some(me.id),
                subject_id: Some(target.id),
                status: Some(403),
                detail: Some(&detail),
                ..Default::default()
            },
        )?;
        return Ok(StartOutcome::NotAllowed(why));
    }
    if let Some(active) = active_of(conn, me.id)? {
        return Ok(StartOutcome::AlreadyImpersonating(active));
    }
    conn.prepare_cached(
        "INSERT INTO impersonation_sessions (impersonator_id, target_id, reason_category, reason, \
         ticket, started_at, expires_at, idle_timeout_secs, last_activity_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6)",
    )?
    .execute(params![
        me.id,
        target.id,
        a.category.as_str(),
        a.reason,
        a.ticket,
        a.now,
        a.now + a.max_secs,
        a.idle_secs
    ])?;
    let id = conn.last_insert_rowid();
    accounts::insert_token(
        conn,
        &a.selector,
        &a.secret_hash,
        TokenKind::Impersonation,
        me.id,
        Some(id),
        a.now,
        a.now + a.max_secs,
    )?;
    if target.org.policy == viewas_api::NotifyPolicy::Notify {
        conn.prepare_cached(
            "INSERT INTO notifications (user_id, session_id, kind, created_at) \
             VALUES (?1, ?2, 'impersonation_started', ?3)",
        )?
        .execute(params![target.id, id, a.now])?;
    }
    let detail = serde_json::json!({
        "reason_category": a.category.as_str(),
        "reason": a.reason,
        "ticket": a.ticket,
        "expires_at": rfc3339(a.now + a.max_secs),
        "notified": target.org.policy == viewas_api::NotifyPolicy::Notify,
    })
    .to_string();
    audit::append(
        conn,
        &NewEvent {
            at: a.now,
            kind: "session_started",
            actor_id: Some(me.id),
            subject_id: Some(target.id),
            session_id: Some(id),
            detail: Some(&detail),
            ..Default::default()
        },
    )?;
    session_by_id(conn, id)?
        .map(StartOutcome::Started)
        .ok_or_else(|| DbError::Other("new session vanished".into()))
}

/// The impersonator's active session, if any.
pub fn active_of(conn: &Connection, impersonator_id: i64) -> DbResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM impersonation_sessions WHERE impersonator_id = ?1 AND ended_at IS NULL",
        )?
        .query_row([impersonator_id], |r| r.get(0))
        .optional()?)
}

/// Ends a session if it is still active: `ended_at` is when it really ended
/// (for expiry and idle, the deadline, which may be before `now`). Returns
/// false when it had already ended (ending twice changes nothing).
pub fn end(
    conn: &Connection,
    id: i64,
    now: i64,
    ended_at: i64,
    reason: EndReason,
    actor_id: Option<i64>,
) -> DbResult<bool> {
    end_with_reason(conn, id, now, ended_at, reason, actor_id, None)
}

/// [`end`], with the words the person ending it gave (in the audit row).
/// The session's tokens are revoked in the same transaction, so the token
/// row says what the session row says.
pub fn end_with_reason(
    conn: &Connection,
    id: i64,
    now: i64,
    ended_at: i64,
    reason: EndReason,
    actor_id: Option<i64>,
    words: Option<&str>,
) -> DbResult<bool> {
    let Some(row) = session_by_id(conn, id)? else {
        return Ok(false);
    };
    if !row.is_active() {
        return Ok(false);
    }
    conn.prepare_cached(
        "UPDATE impersonation_sessions SET ended_at = ?2, end_reason = ?3 \
         WHERE id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![id, ended_at, reason.as_str()])?;
    conn.prepare_cached(
        "UPDATE tokens SET revoked_at = ?2 WHERE session_id = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![id, now])?;
    let mut detail = serde_json::json!({
        "end_reason": reason.as_str(),
        "ended_at": rfc3339(ended_at),
        "pages_viewed": row.pages_viewed,
    });
    if let Some(words) = words {
        detail["reason"] = words.into();
    }
    let detail = detail.to_string();
    audit::append(
        conn,
        &NewEvent {
            at: now,
            kind: "session_ended",
            actor_id,
            subject_id: Some(row.target_id),
            session_id: Some(id),
            detail: Some(&detail),
            ..Default::default()
        },
    )?;
    Ok(true)
}

/// Ends the session if its time is up; returns the row as it now stands.
pub fn settle(conn: &Connection, id: i64, now: i64) -> DbResult<Option<SessionRow>> {
    let Some(row) = session_by_id(conn, id)? else {
        return Ok(None);
    };
    if let Some((at, why)) = row.due(now) {
        end(conn, id, now, at, why, None)?;
        return session_by_id(conn, id);
    }
    Ok(Some(row))
}

/// Ids of sessions still marked active whose time is up (for the sweeper).
pub fn due_ids(conn: &Connection, now: i64) -> DbResult<Vec<i64>> {
    let sql =
        format!("SELECT {SESSION_COLS} FROM impersonation_sessions s WHERE s.ended_at IS NULL");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st
        .query_map([], session_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|r| r.due(now).is_some())
        .map(|r| r.id)
        .collect())
}

/// Ends every active session in which `user_id` is impersonator or target
/// (revocation), recording who did it.
pub fn revoke_for_user(
    conn: &Connection,
    user_id: i64,
    now: i64,
    actor_id: i64,
) -> DbResult<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM impersonation_sessions \
         WHERE ended_at IS NULL AND (impersonator_id = ?1 OR target_id = ?1) ORDER BY id",
    )?;
    let ids = st
        .query_map([user_id], |r| r.get::<_, i64>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    for &id in &ids {
        end(conn, id, now, now, EndReason::Revocation, Some(actor_id))?;
    }
    Ok(ids)
}

/// What the view layer records about a view-route request, once the
/// answer is known and before it is sent.
#[derive(Debug, Clone)]
pub struct ViewRecord {
    pub session_id: i64,
    pub actor_id: i64,
    pub target_id: i64,
    /// When the request arrived (the row's time, and the idle clock's reset).
    pub now: i64,
    pub method: String,
    /// Bounded, with only the query parameters the route reads.
    pub path: String,
    /// JSON: the whole target's length and hash when `path` is not all of it.
    pub detail: Option<String>,
    /// The status the request would be answered with.
    pub status: i64,
}

/// What [`record_view`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The row holds the intended status: send the answer.
    AsAnswered,
    /// The session ended (exit, revocation, maximum, idle) after the gate
    /// let the request in: the row says 401, and the answer must be 401
    /// `session_ended`, without the data.
    SessionEnded,
    /// A blocked attempt over the session's limit: answer 429. Only the
    /// first one over it gets a row (the summary); the rest get none.
    Throttled { retry_after: i64 },
}

/// The `view` (or `blocked`) audit row; a 2xx view also counts a page and
/// resets the idle clock. Nothing of the target user is touched.
///
/// The session is checked again here, on the writer, in the transaction
/// that appends the row: the gate checked it when the request arrived, and
/// an Exit, `/end` or revocation may have been committed since (or its time
/// run out by `now`, the moment of writing, in which case it is ended here).
/// Then the row records the attempt with status 401 after the session's
/// `session_ended` row, and the caller must not send what it prepared.
pub fn record_view(conn: &Connection, v: &ViewRecord, kind: &str, now: i64) -> DbResult<Recorded> {
    let counts = kind == "view" && (200..300).contains(&v.status);
    let mut detail = v.detail.clone();
    let (mut status_over, mut throttled) = (None, None);
    if kind == "blocked" {
        if let Some(over) = blocked::over_limit(conn, v.session_id, v.now)? {
            let retry_after = over.retry_after;
            if over.summarised {
                return Ok(Recorded::Throttled { retry_after });
            }
            detail = Some(blocked::summary(v.detail.as_deref(), v.now + retry_after));
            status_over = Some(429);
            throttled = Some(Recorded::Throttled { retry_after });
        }
    }
    let (at, status, outcome) = if still_running(conn, v.session_id, now, counts.then_some(v.now))?
    {
        (
            v.now,
            status_over.unwrap_or(v.status),
            throttled.unwrap_or(Recorded::AsAnswered),
        )
    } else {
        // Not running, or its time is up: `settle` ends it if it is due and
        // says how it stands (a session gone from the table counts as ended).
        let active = settle(conn, v.session_id, now)?.is_some_and(|s| s.is_active());
        if active {
            if counts {
                count_page(conn, v.session_id, v.now)?;
            }
            (
                v.now,
                status_over.unwrap_or(v.status),
                throttled.unwrap_or(Recorded::AsAnswered),
            )
        } else {
            (now.max(v.now), 401, Recorded::SessionEnded)
        }
    };
    audit::append(
        conn,
        &NewEvent {
            at,
            kind,
            actor_id: Some(v.actor_id),
            subject_id: Some(v.target_id),
            session_id: Some(v.session_id),
            method: Some(&v.method),
            path: Some(&v.path),
            status: Some(status),
            detail: detail.as_deref(),
        },
    )?;
    Ok(outcome)
}

/// Whether session `id` is still running at `now` and not yet due (the
/// negation of `SessionRow::due`, in SQL): one statement instead of reading
/// the whole row for [`settle`]. With `counted_at`, the same statement also
/// counts the page and resets the idle clock, and only if it was running.
/// False sends the caller to the full check.
fn still_running(conn: &Connection, id: i64, now: i64, counted_at: Option<i64>) -> DbResult<bool> {
    // The condition is spelled out twice so both statements are literals
    // (no SQL string built per request).
    Ok(match counted_at {
        Some(at) => {
            conn.prepare_cached(
                "UPDATE impersonation_sessions SET pages_viewed = pages_viewed + 1, \
                 last_activity_at = ?3 WHERE id = ?1 AND ended_at IS NULL \
                 AND ?2 < expires_at AND ?2 < last_activity_at + idle_timeout_secs",
            )?
            .execute(params![id, now, at])?
                == 1
        }
        None => conn
            .prepare_cached(
                "SELECT 1 FROM impersonation_sessions WHERE id = ?1 AND ended_at IS NULL \
                 AND ?2 < expires_at AND ?2 < last_activity_at + idle_timeout_secs",
            )?
            .exists(params![id, now])?,
    })
}

/// A 2xx view's page: counted, and the idle clock reset to when it came in.
fn count_page(conn: &Connection, id: i64, at: i64) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE impersonation_sessions SET pages_viewed = pages_viewed + 1, \
         last_activity_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![id, at])?;
    Ok(())
}

pub fn add_note(
    conn: &Connection,
    session: &SessionRow,
    author_id: i64,
    text: &str,
    now: i64,
) -> DbResult<Note> {
    conn.prepare_cached(
        "INSERT INTO notes (session_id, author_id, text, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![session.id, author_id, text, now])?;
    let id = conn.last_insert_rowid();
    let detail = serde_json::json!({ "note_id": id, "text": text }).to_string();
    audit::append(
        conn,
        &NewEvent {
            at: now,
            kind: "note",
            actor_id: Some(author_id),
            subject_id: Some(session.target_id),
            session_id: Some(session.id),
            detail: Some(&detail),
            ..Default::default()
        },
    )?;
    Ok(Note {
        id,
        session_id: session.id,
        text: text.to_string(),
        created_at: rfc3339(now),
    })
}

pub fn notes(conn: &Connection, session_id: i64) -> DbResult<Vec<Note>> {
    let mut st = conn.prepare_cached(
        "SELECT id, session_id, text, created_at FROM notes WHERE session_id = ?1 ORDER BY id",
    )?;
    let out = st
        .query_map([session_id], |r| {
            Ok(Note {
                id: r.get(0)?,
                session_id: r.get(1)?,
                text: r.get(2)?,
                created_at: rfc3339(r.get(3)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// The wire form of a session row, with people and notes.
pub fn to_wire(conn: &Connection, row: &SessionRow, now: i64) -> DbResult<Session> {
    let who = |id: i64| -> DbResult<Account> {
        account_by_id(conn, id)?.ok_or_else(|| DbError::Other(format!("user {id} is missing")))
    };
    let imp = who(row.impersonator_id)?;
    let target = who(row.target_id)?;
    Ok(Session {
        id: row.id,
        impersonator: imp.to_person(),
        target: target.to_user(),
        reason_category: row.reason_category,
        reason: row.reason.clone(),
        ticket: row.ticket.clone(),
        status: if row.is_active() {
            SessionStatus::Active
        } else {
            SessionStatus::Ended
        },
        started_at: rfc3339(row.started_at),
        expires_at: rfc3339(row.expires_at),
        ended_at: row.ended_at.map(rfc3339),
        end_reason: row.end_reason,
        seconds_left: row.seconds_left(now),
        idle_timeout_secs: row.idle_timeout_secs,
        pages_viewed: row.pages_viewed,
        notes: notes(conn, row.id)?,
    })
}

/// Filters of `GET /api/audit/sessions`.
#[derive(Debug, Default, Clone)]
pub struct SessionFilter {
    /// Partners see only their own sessions: this is forced to them.
    pub impersonator: Option<i64>,
    pub target: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub end_reason: Option<EndReason>,
    /// Keyset: sessions with id below this.
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub fn list(conn: &Connection, f: &SessionFilter) -> DbResult<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLS} FROM impersonation_sessions s \
         WHERE (?1 IS NULL OR s.impersonator_id = ?1) AND (?2 IS NULL OR s.target_id = ?2) \
           AND (?3 IS NULL OR s.started_at >= ?3) AND (?4 IS NULL OR s.started_at < ?4) \
           AND (?5 IS NULL OR s.end_reason = ?5) AND (?6 IS NULL OR s.id < ?6) \
         ORDER BY s.id DESC LIMIT {ROW_CAP}"
    );
    let mut st = conn.prepare_cached(&sql)?;
    first_rows(
        &mut st,
        params![
            f.impersonator,
            f.target,
            f.from,
            f.to,
            f.end_reason.map(|r| r.as_str()),
            f.before_id
        ],
        f.limit,
        session_from_row,
    )
}

/// Sessions on a user's account they were told about (policy `notify` at
/// the time the session started: the notification row is the record).
pub fn access_history(conn: &Connection, user_id: i64) -> DbResult<Vec<AccessHistoryItem>> {
    let mut st = conn.prepare_cached(
        "SELECT s.id, u.name, o.name, s.reason_category, s.reason, s.started_at, s.ended_at \
         FROM notifications n \
         JOIN impersonation_sessions s ON s.id = n.session_id \
         JOIN users u ON u.id = s.impersonator_id \
         JOIN orgs o ON o.id = u.org_id \
         WHERE n.user_id = ?1 AND n.kind = 'impersonation_started' \
         ORDER BY s.id DESC LIMIT 200",
    )?;
    let out = st
        .query_map([user_id], |r| {
            Ok(AccessHistoryItem {
                session_id: r.get(0)?,
                impersonator_name: r.get(1)?,
                impersonator_org: r.get(2)?,
                reason_category: r.get::<_, Word<ReasonCategory>>(3)?.0,
                reason: r.get(4)?,
                started_at: rfc3339(r.get(5)?),
                ended_at: r.get::<_, Option<i64>>(6)?.map(rfc3339),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}
