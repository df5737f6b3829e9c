//! The audit trail: append-only rows chained by hash.
//!
//! hash(row) = hex(sha256(hash(previous row) ‖ canonical(row))), where the
//! first row's predecessor hash is 64 zeros and canonical(row) is the JSON
//! array `[id, at, kind, actor_id, subject_id, session_id, method, path,
//! status, detail]`. Changing, inserting or deleting any row breaks the chain
//! from that row on; /api/audit/verify recomputes it.

use std::cell::RefCell;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use sha2::{Digest, Sha256};
use viewas_api::{AuditEvent, VerifyResult};

use super::rows::{first_rows, ROW_CAP};
use super::DbResult;
use crate::clock::rfc3339;
use crate::json::JsonOut;

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
) -> Vec<u8> {
    // The bytes serde_json's `json!([...]).to_string()` wrote, which every
    // stored hash was computed over (a test compares the two): JsonOut
    // escapes as serde_json does, so equal rows encode equally and no field
    // can forge a separator. Written directly, it skips a `Value` tree.
    fn int(out: &mut JsonOut, n: Option<i64>) {
        match n {
            Some(n) => out.int(n),
            None => out.null(),
        }
    }
    fn text(out: &mut JsonOut, s: Option<&str>) {
        match s {
            Some(s) => out.str(s),
            None => out.null(),
        }
    }
    let texts = kind.len()
        + [method, path, detail]
            .iter()
            .flatten()
            .map(|s| s.len())
            .sum::<usize>();
    let mut out = JsonOut::with_capacity(texts + 128);
    out.raw("[");
    out.int(id);
    out.raw(",");
    out.int(at);
    out.raw(",");
    out.str(kind);
    out.raw(",");
    int(&mut out, actor_id);
    out.raw(",");
    int(&mut out, subject_id);
    out.raw(",");
    int(&mut out, session_id);
    out.raw(",");
    text(&mut out, method);
    out.raw(",");
    text(&mut out, path);
    out.raw(",");
    int(&mut out, status);
    out.raw(",");
    text(&mut out, detail);
    out.raw("]");
    out.into_bytes()
}

fn chain(prev: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical);
    hex::encode(h.finalize())
}

/// What [`append`] knows of the chain's last row on this thread.
enum Head {
    /// Not kept here: every append reads the last row.
    Off,
    /// Kept, but to be read from the database first.
    Unknown,
    /// (id, hash) of the last row, as this thread's last append left it.
    Known(i64, String),
}

thread_local! {
    /// The writer thread's chain head (see [`keep_head_on_this_thread`]).
    static HEAD: RefCell<Head> = const { RefCell::new(Head::Off) };
}

/// Makes [`append`] on this thread remember the last row it wrote instead
/// of reading it back for the next one (the query was a tenth of the
/// writer's work per view). Only for the writer thread: it owns the one
/// connection that writes, inside `BEGIN IMMEDIATE`, so no other append can
/// come between two of its own; the writer calls [`forget_head`] whenever
/// it rolls anything back.
pub(crate) fn keep_head_on_this_thread() {
    HEAD.with(|h| *h.borrow_mut() = Head::Unknown);
}

/// After a rollback (of a job's savepoint or of a batch): rows this thread
/// appended may be gone, so the next append reads the last row again.
pub(crate) fn forget_head() {
    HEAD.with(|h| {
        let mut h = h.borrow_mut();
        if !matches!(*h, Head::Off) {
            *h = Head::Unknown;
        }
    });
}

fn cached_head() -> Option<(i64, String)> {
    HEAD.with(|h| match &*h.borrow() {
        Head::Known(id, hash) => Some((*id, hash.clone())),
        _ => None,
    })
}

fn remember_head(id: i64, hash: &str) {
    HEAD.with(|h| {
        let mut h = h.borrow_mut();
        if !matches!(*h, Head::Off) {
            *h = Head::Known(id, hash.to_string());
        }
    });
}

fn read_head(conn: &Connection) -> DbResult<(i64, String)> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(last.unwrap_or_else(|| (0, GENESIS.to_string())))
}

/// Appends one event; must run on the writer (inside its transaction), which
/// is what makes "read the last hash, insert the next" safe.
pub fn append(conn: &Connection, e: &NewEvent<'_>) -> DbResult<i64> {
    let cached = cached_head();
    let from_cache = cached.is_some();
    let (last, prev) = match cached {
        Some(head) => head,
        None => read_head(conn)?,
    };
    match insert(conn, e, last + 1, &prev) {
        // A row appended behind the server's back (the sqlite3 shell, between
        // two of the writer's transactions) took the remembered head's next
        // id: chain from the real last row instead.
        Err(rusqlite::Error::SqliteFailure(f, _))
            if from_cache && f.code == ErrorCode::ConstraintViolation =>
        {
            forget_head();
            let (last, prev) = read_head(conn)?;
            Ok(insert(conn, e, last + 1, &prev)?)
        }
        Err(err) => {
            forget_head();
            Err(err.into())
        }
        Ok(id) => Ok(id),
    }
}

fn insert(conn: &Connection, e: &NewEvent<'_>, id: i64, prev: &str) -> rusqlite::Result<i64> {
    let hash = chain(
        prev,
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
    remember_head(id, &hash);
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
    fn canonical(&self) -> Vec<u8> {
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

/// Session `?1`'s events after id `?2`, in order.
fn session_events_sql() -> String {
    format!(
        "SELECT {COLS} FROM audit_events WHERE id BETWEEN \
         (SELECT max(first_event_id, ?2 + 1) FROM impersonation_sessions WHERE id = ?1) \
         AND (SELECT last_event_id FROM impersonation_sessions WHERE id = ?1) \
         AND session_id = ?1 ORDER BY id LIMIT {ROW_CAP}"
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
        // A session's events lie between its first and its last (migration
        // 0008 keeps both on its row): one range of the trail's b-tree,
        // however long the trail is before and after it.
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

    /// The encoding every stored hash was computed over before JsonOut.
    #[allow(clippy::too_many_arguments)]
    fn serde_canonical(
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
        serde_json::json!([
            id, at, kind, actor_id, subject_id, session_id, method, path, status, detail
        ])
        .to_string()
    }

    fn both(s: &str, n: Option<i64>) -> (String, String) {
        let text = Some(s).filter(|_| n.is_some());
        let ours = canonical(-1, i64::MAX, s, n, None, n, text, Some(s), n, text);
        let theirs = serde_canonical(-1, i64::MAX, s, n, None, n, text, Some(s), n, text);
        (String::from_utf8(ours).unwrap(), theirs)
    }

    #[test]
    fn canonical_is_the_serde_encoding_for_hostile_strings() {
        let controls: String = (0u8..0x20).map(char::from).chain(['\u{7f}']).collect();
        for s in [
            "",
            "view",
            "\",\"forged\":\"",
            "back\\slash \"quote\" /slash",
            &controls,
            "\u{202e}bidi\u{202c} \u{2028}\u{2029} 🙂 ü 中文",
            "</script>",
        ] {
            for n in [None, Some(0), Some(i64::MIN)] {
                let (ours, theirs) = both(s, n);
                assert_eq!(ours, theirs, "{s:?} {n:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn canonical_is_the_serde_encoding(s in "\\PC*|[\\x00-\\x7f]*", n in proptest::option::of(proptest::num::i64::ANY)) {
            let (ours, theirs) = both(&s, n);
            proptest::prop_assert_eq!(ours, theirs);
        }
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
        // And it is one range of the trail, bounded on both sides.
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", session_events_sql()))
            .unwrap()
            .query_map(params![a, 0], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan[0].contains("SEARCH audit_events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"),
            "{plan:?}"
        );
    }

    /// With the head kept on this thread, the chain stays whole across a
    /// rolled-back append (forgotten) and a row appended by another
    /// connection behind its back.
    #[test]
    fn a_kept_head_never_breaks_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let conn = Connection::open(&path).unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        keep_head_on_this_thread();
        append(&conn, &event(1)).unwrap();
        conn.execute_batch("SAVEPOINT job").unwrap();
        append(&conn, &event(2)).unwrap();
        conn.execute_batch("ROLLBACK TO job; RELEASE job").unwrap();
        forget_head();
        assert_eq!(append(&conn, &event(3)).unwrap(), 2);
        // Another connection appends (reading the real last row).
        let other = Connection::open(&path).unwrap();
        let shell = std::thread::spawn(move || append(&other, &event(4)).unwrap());
        assert_eq!(shell.join().unwrap(), 3);
        assert_eq!(append(&conn, &event(5)).unwrap(), 4);
        let v = verify(&conn).unwrap();
        assert!(v.ok, "{:?}", v.first_bad);
        assert_eq!(v.events, 4);
    }
}
