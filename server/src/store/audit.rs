//! The audit trail: append-only rows chained by hash.
//!
//! hash(row) = hex(sha256(hash(previous row) ‖ canonical(row))), where the
//! first row's predecessor hash is 64 zeros and canonical(row) is the JSON
//! array `[id, at, kind, actor_id, subject_id, session_id, method, path,
//! status, detail]`. Changing, inserting or deleting any row breaks the chain
//! from that row on; /api/audit/verify recomputes it.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use viewas_api::{AuditEvent, VerifyResult};

use super::rows::{first_rows, ROW_CAP};
use super::DbResult;
use crate::clock::rfc3339;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event to append. Kinds: session_started, session_ended, view,
/// blocked, note, revocation, export.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub at: i64,
    pub kind: &'a str,
    pub actor_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub session_id: Option<i64>,
    pub method: Option<&'a str>,
    pub path: Option<&'a str>,
    pub status: Option<i64>,
    pub detail: Option<&'a str>,
}

#[allow(clippy::too_many_arguments)]
fn canonical(
    id: i64,
    at: i64,
    kind: &str,
    actor_id: Option<i64>,
    subject_id: Option<i64>,
    session_id: Option<i64>,
    method: Option<&str>,
    path: Option<&str>,
    status: Option<i64>,
    detail: Option<&str>,
) -> String {
    // serde_json escapes deterministically, so equal rows encode equally and
    // no field can forge a separator.
    serde_json::json!([
        id, at, kind, actor_id, subject_id, session_id, method, path, status, detail
    ])
    .to_string()
}

fn chain(prev: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// Appends one event; must run on the writer (inside its transaction), which
/// is what makes "read the last hash, insert the next" safe.
pub fn append(conn: &Connection, e: &NewEvent<'_>) -> DbResult<i64> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, prev) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let hash = chain(
        &prev,
        &canonical(
            id,
            e.at,
            e.kind,
            e.actor_id,
            e.subject_id,
            e.session_id,
            e.method,
            e.path,
            e.status,
            e.detail,
        ),
    );
    conn.prepare_cached(
        "INSERT INTO audit_events (id, at, kind, actor_id, subject_id, session_id, method, path, \
         status, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id,
        e.at,
        e.kind,
        e.actor_id,
        e.subject_id,
        e.session_id,
        e.method,
        e.path,
        e.status,
        e.detail,
        hash
    ])?;
    Ok(id)
}

struct Raw {
    id: i64,
    at: i64,
    kind: String,
    actor_id: Option<i64>,
    subject_id: Option<i64>,
    session_id: Option<i64>,
    method: Option<String>,
    path: Option<String>,
    status: Option<i64>,
    detail: Option<String>,
    hash: String,
}

const COLS: &str =
    "id, at, kind, actor_id, subject_id, session_id, method, path, status, detail, hash";

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok(Raw {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: r.get(2)?,
        actor_id: r.get(3)?,
        subject_id: r.get(4)?,
        session_id: r.get(5)?,
        method: r.get(6)?,
        path: r.get(7)?,
        status: r.get(8)?,
        detail: r.get(9)?,
        hash: r.get(10)?,
    })
}

impl Raw {
    fn canonical(&self) -> String {
        canonical(
            self.id,
            self.at,
            &self.kind,
            self.actor_id,
            self.subject_id,
            self.session_id,
            self.method.as_deref(),
            self.path.as_deref(),
            self.status,
            self.detail.as_deref(),
        )
    }

    fn into_event(self) -> AuditEvent {
        AuditEvent {
            id: self.id,
            at: rfc3339(self.at),
            kind: self.kind,
            actor_id: self.actor_id,
            subject_id: self.subject_id,
            session_id: self.session_id,
            method: self.method,
            path: self.path,
            status: self.status,
            detail: self.detail,
            hash: self.hash,
        }
    }
}

/// Recomputes the whole chain; names the first row that does not match.
pub fn verify(conn: &Connection) -> DbResult<VerifyResult> {
    let mut st = conn.prepare(&format!("SELECT {COLS} FROM audit_events ORDER BY id"))?;
    let mut rows = st.query([])?;
    let mut prev = GENESIS.to_string();
    let mut events = 0;
    let mut first_bad = None;
    while let Some(row) = rows.next()? {
        let r = raw(row)?;
        events += 1;
        if first_bad.is_none() && chain(&prev, &r.canonical()) != r.hash {
            first_bad = Some(r.id);
        }
        prev = r.hash;
    }
    Ok(VerifyResult {
        ok: first_bad.is_none(),
        events,
        first_bad,
    })
}

/// Events in order, optionally of one session, after `after_id`.
pub fn events(
    conn: &Connection,
    session_id: Option<i64>,
    after_id: i64,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM audit_events WHERE (?1 IS NULL OR session_id = ?1) AND id > ?2 \
         ORDER BY id LIMIT {ROW_CAP}"
    ))?;
    let out = first_rows(&mut st, params![session_id, after_id], limit, raw)?;
    Ok(out.into_iter().map(Raw::into_event).collect())
}
