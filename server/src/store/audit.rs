//! The audit trail: append-only rows chained by hash.
//!
//! hash(row) = hex(sha256(hash(previous row) ‖ canonical(row))), where the
//! first row's predecessor hash is [`GENESIS`] (64 zeros) and canonical(row)
//! is `serde_json::to_vec` of the tuple
//! `(id, at, kind, actor_id, subject_id, session_id, method, path, status,
//! detail)`: a JSON array of those ten columns in that order, integers as
//! JSON numbers, texts as JSON strings (serde_json's escaping), NULL as
//! `null`, no whitespace. A verifier rebuilds it from the row's columns.
//! Changing, inserting or deleting any row breaks the chain from that row
//! on; /api/audit/verify recomputes it.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use viewas_api::{AuditEvent, VerifyResult};

use super::rows::{first_rows, ROW_CAP};
use super::{DbError, DbResult};
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

/// The hashed form of a row: its columns in the order of the module's
/// documentation (everything but the hash itself).
type Canonical<'a> = (
    i64,
    i64,
    &'a str,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<&'a str>,
);

fn chain(prev: &str, row: &Canonical<'_>) -> DbResult<String> {
    let bytes = serde_json::to_vec(row)
        .map_err(|e| DbError::Other(format!("cannot encode an audit row: {e}")))?;
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(&bytes);
    Ok(hex::encode(h.finalize()))
}

impl NewEvent<'_> {
    fn canonical(&self, id: i64) -> Canonical<'_> {
        (
            id,
            self.at,
            self.kind,
            self.actor_id,
            self.subject_id,
            self.session_id,
            self.method,
            self.path,
            self.status,
            self.detail,
        )
    }
}

/// Appends one event. Must run on the writer, inside its transaction: that
/// transaction holds the database's write lock (`BEGIN IMMEDIATE`) from
/// reading the last row to inserting the next, so no other append can come
/// between them, in this process or another.
pub fn append(conn: &Connection, e: &NewEvent<'_>) -> DbResult<i64> {
    let (last, prev) = conn
        .prepare_cached("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .optional()?
        .unwrap_or_else(|| (0, GENESIS.to_string()));
    let id = last + 1;
    let hash = chain(&prev, &e.canonical(id))?;
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
    fn canonical(&self) -> Canonical<'_> {
        (
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
        if first_bad.is_none() && chain(&prev, &r.canonical())? != r.hash {
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

/// Session `?1`'s events after id `?2`, in order (the `audit_session`
/// index).
fn session_events_sql() -> String {
    format!(
        "SELECT {COLS} FROM audit_events WHERE session_id = ?1 AND id > ?2 \
         ORDER BY id LIMIT {ROW_CAP}"
    )
}

/// Events in order, optionally of one session, after `after_id`.
pub fn events(
    conn: &Connection,
    session_id: Option<i64>,
    after_id: i64,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    let out = match session_id {
        Some(session_id) => {
            let mut st = conn.prepare_cached(&session_events_sql())?;
            first_rows(&mut st, params![session_id, after_id], limit, raw)?
        }
        None => {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM audit_events WHERE id > ?1 ORDER BY id LIMIT {ROW_CAP}"
            ))?;
            first_rows(&mut st, params![after_id], limit, raw)?
        }
    };
    Ok(out.into_iter().map(Raw::into_event).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verifier's recomputation of one row's hash, from the documented
    /// form: the JSON array of the ten columns, after the previous hash.
    fn verifier_hash(prev: &str, e: &AuditEvent, at: i64) -> String {
        let canonical = serde_json::json!([
            e.id,
            at,
            e.kind,
            e.actor_id,
            e.subject_id,
            e.session_id,
            e.method,
            e.path,
            e.status,
            e.detail
        ])
        .to_string();
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(canonical.as_bytes());
        hex::encode(h.finalize())
    }

    fn hostile() -> Vec<String> {
        let controls: String = (0u8..0x20).map(char::from).chain(['\u{7f}']).collect();
        [
            "",
            "view",
            "\",\"forged\":\"",
            "back\\slash \"quote\" /slash",
            &controls,
            "\u{202e}bidi\u{202c} \u{2028}\u{2029} 🙂 ü 中文",
            "</script>",
        ]
        .map(String::from)
        .to_vec()
    }

    /// The stored hashes are the documented ones, whatever the texts hold.
    #[test]
    fn hashes_follow_the_documented_canonical_form() {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let texts = hostile();
        for (i, s) in texts.iter().enumerate() {
            let n = [None, Some(0), Some(i64::MIN)][i % 3];
            let text = Some(s.as_str()).filter(|_| n.is_some());
            append(
                &conn,
                &NewEvent {
                    at: i64::MAX - i as i64,
                    kind: s,
                    actor_id: n,
                    subject_id: None,
                    session_id: n,
                    method: text,
                    path: Some(s),
                    status: n,
                    detail: text,
                },
            )
            .unwrap();
        }
        let rows = events(&conn, None, 0, 100).unwrap();
        assert_eq!(rows.len(), texts.len());
        let ats: Vec<i64> = conn
            .prepare("SELECT at FROM audit_events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut prev = GENESIS.to_string();
        for (e, at) in rows.iter().zip(ats) {
            assert_eq!(verifier_hash(&prev, e, at), e.hash, "row {}", e.id);
            prev = e.hash.clone();
        }
        assert!(verify(&conn).unwrap().ok);
    }

    fn event(at: i64) -> NewEvent<'static> {
        NewEvent {
            at,
            kind: "view",
            path: Some("/api/view/runs"),
            ..Default::default()
        }
    }

    /// A session's events, paged by cursor, are exactly its rows of the
    /// trail in order: interleaved with other sessions' rows and rows of
    /// no session, and including a row appended after its end (a view
    /// answered 401 because an Exit committed while it was read).
    #[test]
    fn a_sessions_events_are_its_rows_of_the_trail_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        crate::seed::seed(&conn, crate::seed::SeedSize::Small, 1_790_000_000).unwrap();
        for user in 1..=3 {
            conn.execute(
                "INSERT INTO impersonation_sessions (impersonator_id, target_id, reason_category, \
                 reason, started_at, expires_at, idle_timeout_secs, last_activity_at) \
                 VALUES (?1, ?1, 'support', 'r', 0, 3600, 900, 0)",
                [user],
            )
            .unwrap();
        }
        let sessions: Vec<i64> = conn
            .prepare("SELECT id FROM impersonation_sessions ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let (a, b, c) = (sessions[0], sessions[1], sessions[2]);
        let of = |session_id: Option<i64>, at: i64| {
            append(
                &conn,
                &NewEvent {
                    session_id,
                    ..event(at)
                },
            )
            .unwrap()
        };
        // Rows before a's first and after b's last, and c has none.
        of(None, 0);
        of(Some(b), 1);
        for at in 2..40 {
            of([Some(a), Some(b), None][(at % 3) as usize], at);
        }
        of(None, 40);
        conn.execute(
            "UPDATE impersonation_sessions SET ended_at = 40, end_reason = 'exit' WHERE id = ?1",
            [a],
        )
        .unwrap();
        of(Some(a), 41);
        let ids = |sid: i64| -> Vec<i64> {
            conn.prepare("SELECT id FROM audit_events WHERE session_id = ?1 ORDER BY id")
                .unwrap()
                .query_map([sid], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        for sid in [a, b, c] {
            let mut got = Vec::new();
            let mut after = 0;
            loop {
                let page = events(&conn, Some(sid), after, 4).unwrap();
                assert!(page.iter().all(|e| e.session_id == Some(sid)));
                got.extend(page.iter().map(|e| e.id));
                match page.last() {
                    Some(last) if page.len() == 4 => after = last.id,
                    _ => break,
                }
            }
            assert_eq!(got, ids(sid), "session {sid}");
        }
        assert!(ids(a).len() > 10 && ids(c).is_empty());
        // The whole trail, unfiltered, is every row.
        let all = events(&conn, None, 0, 1000).unwrap();
        assert_eq!(all.len(), 42);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        // And it is one range of the session's index.
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", session_events_sql()))
            .unwrap()
            .query_map(params![a, 0], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.len() == 1
                && plan[0].contains("USING INDEX audit_session (session_id=? AND id>?)"),
            "{plan:?}"
        );
    }

    /// Each append reads the chain's last row in its own transaction, so
    /// appends from two connections (two instances, or the sqlite3 shell)
    /// and a rolled-back append all leave the chain whole.
    #[test]
    fn appends_from_two_connections_and_a_rollback_keep_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let conn = Connection::open(&path).unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        append(&conn, &event(1)).unwrap();
        conn.execute_batch("SAVEPOINT job").unwrap();
        append(&conn, &event(2)).unwrap();
        conn.execute_batch("ROLLBACK TO job; RELEASE job").unwrap();
        assert_eq!(append(&conn, &event(3)).unwrap(), 2);
        let other = Connection::open(&path).unwrap();
        let shell = std::thread::spawn(move || append(&other, &event(4)).unwrap());
        assert_eq!(shell.join().unwrap(), 3);
        assert_eq!(append(&conn, &event(5)).unwrap(), 4);
        let v = verify(&conn).unwrap();
        assert!(v.ok, "{:?}", v.first_bad);
        assert_eq!(v.events, 4);
        // A changed row is caught.
        conn.execute_batch(
            "DROP TRIGGER audit_events_no_update;
             UPDATE audit_events SET detail = 'edited' WHERE id = 3;",
        )
        .unwrap();
        assert_eq!(verify(&conn).unwrap().first_bad, Some(3));
    }
}
