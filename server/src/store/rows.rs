//! Rows as the server reads them, and their conversion to wire types.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, Params, Row, Statement, StatementStatus};
use viewas_api::{
    AssignmentStatus, ConnectionStatus, EndReason, NotifyPolicy, Org, Person, ReasonCategory, Role,
    RunStatus, RunTrigger, User,
};

use super::DbResult;

/// Text columns holding one of a closed set of words. A word the code does
/// not know is a conversion error (a 500 with a log line), never a guess.
pub struct Word<T>(pub T);

macro_rules! word {
    ($t:ty, $($s:literal => $v:expr),+ $(,)?) => {
        impl FromSql for Word<$t> {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                match value.as_str()? {
                    $($s => Ok(Word($v)),)+
                    _ => Err(FromSqlError::InvalidType),
                }
            }
        }
    };
}

word!(Role, "admin" => Role::Admin, "partner" => Role::Partner, "user" => Role::User);
word!(NotifyPolicy, "notify" => NotifyPolicy::Notify, "silent" => NotifyPolicy::Silent);
word!(EndReason, "exit" => EndReason::Exit, "expiry" => EndReason::Expiry,
      "idle" => EndReason::Idle, "revocation" => EndReason::Revocation);
word!(ReasonCategory, "support_request" => ReasonCategory::SupportRequest,
      "diagnose_issue" => ReasonCategory::DiagnoseIssue, "audit" => ReasonCategory::Audit,
      "onboarding" => ReasonCategory::Onboarding);
word!(RunStatus, "queued" => RunStatus::Queued, "running" => RunStatus::Running,
      "succeeded" => RunStatus::Succeeded, "failed" => RunStatus::Failed,
      "cancelled" => RunStatus::Cancelled);
word!(RunTrigger, "schedule" => RunTrigger::Schedule, "manual" => RunTrigger::Manual,
      "api" => RunTrigger::Api);
word!(AssignmentStatus, "active" => AssignmentStatus::Active, "paused" => AssignmentStatus::Paused,
      "draft" => AssignmentStatus::Draft);
word!(ConnectionStatus, "connected" => ConnectionStatus::Connected,
      "expired" => ConnectionStatus::Expired, "error" => ConnectionStatus::Error);

/// The LIMIT written into the SQL of every paged query, which then stops
/// reading after the rows it needs ([`first_rows`]). A bound `LIMIT ?` made
/// SQLite prepare the statement again on every run (the planner reads the
/// bound value): a tenth of an audited runs request's CPU (README,
/// Performance). A constant keeps one prepared plan per query shape.
pub const ROW_CAP: i64 = 10_001;

/// The first `n` rows (at most [`ROW_CAP`]) of `st`, whose SQL ends in
/// `LIMIT {ROW_CAP}`: rows are stepped lazily, so the rest is never read.
///
/// Debug builds also check that running `st` did not make SQLite prepare it
/// again, so every paged query's tests catch a bound `LIMIT ?` coming back.
pub fn first_rows<T, P: Params>(
    st: &mut Statement<'_>,
    params: P,
    n: i64,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> DbResult<Vec<T>> {
    debug_assert!(
        n <= ROW_CAP,
        "{n} rows asked of a query capped at {ROW_CAP}"
    );
    let n = usize::try_from(n.clamp(0, ROW_CAP)).unwrap_or(0);
    let prepared = st.get_status(StatementStatus::RePrepare);
    let rows = st
        .query_map(params, f)?
        .take(n)
        .collect::<Result<Vec<_>, _>>()?;
    debug_assert_eq!(
        st.get_status(StatementStatus::RePrepare),
        prepared,
        "SQLite prepared this paged query again: its plan depends on a bound value (LIMIT ?)"
    );
    Ok(rows)
}

pub fn role_str(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Partner => "partner",
        Role::User => "user",
    }
}

/// A user with their organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub timezone: String,
    pub last_active: Option<i64>,
    pub org: Org,
}

impl Account {
    pub fn to_user(&self) -> User {
        User {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            org: self.org.clone(),
            timezone: self.timezone.clone(),
        }
    }

    pub fn to_person(&self) -> Person {
        Person {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            org_name: self.org.name.clone(),
        }
    }
}

pub const ACCOUNT_COLS: &str = "u.id, u.name, u.email, u.role, u.disabled, u.timezone, \
     u.last_active, o.id, o.name, o.policy";

pub fn account_from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        role: r.get::<_, Word<Role>>(3)?.0,
        disabled: r.get::<_, i64>(4)? != 0,
        timezone: r.get(5)?,
        last_active: r.get(6)?,
        org: Org {
            id: r.get(7)?,
            name: r.get(8)?,
            policy: r.get::<_, Word<NotifyPolicy>>(9)?.0,
        },
    })
}

pub fn account_by_id(conn: &Connection, id: i64) -> DbResult<Option<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], account_from_row)
        .optional()?)
}

/// The account and its password hash, by e-mail (already lower-cased).
pub fn account_by_email(
    conn: &Connection,
    email: &str,
) -> DbResult<Option<(Account, Option<String>)>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLS}, u.password_hash FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE u.email = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([email], |r| Ok((account_from_row(r)?, r.get(10)?)))
        .optional()?)
}

/// Client organisations of a partner organisation.
pub fn client_orgs(conn: &Connection, partner_org_id: i64) -> DbResult<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT client_org_id FROM partner_clients WHERE partner_org_id = ?1 ORDER BY client_org_id",
    )?;
    let ids = st
        .query_map([partner_org_id], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub impersonator_id: i64,
    pub target_id: i64,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub ticket: Option<String>,
    pub started_at: i64,
    pub expires_at: i64,
    pub idle_timeout_secs: i64,
    pub last_activity_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<EndReason>,
    pub pages_viewed: i64,
}

impl SessionRow {
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }

    /// The moment the session ends on its own, and why: the hard maximum or
    /// the idle timeout, whichever comes first (expiry on a tie).
    pub fn deadline(&self) -> (i64, EndReason) {
        let idle = self.last_activity_at + self.idle_timeout_secs;
        if idle < self.expires_at {
            (idle, EndReason::Idle)
        } else {
            (self.expires_at, EndReason::Expiry)
        }
    }

    /// `Some` when the session is still marked active but its time is up.
    /// A request at the deadline itself is already too late.
    pub fn due(&self, now: i64) -> Option<(i64, EndReason)> {
        let (at, why) = self.deadline();
        (self.is_active() && now >= at).then_some((at, why))
    }

    pub fn seconds_left(&self, now: i64) -> i64 {
        if !self.is_active() {
            return 0;
        }
        (self.deadline().0 - now).max(0)
    }
}

pub const SESSION_COLS: &str =
    "s.id, s.impersonator_id, s.target_id, s.reason_category, s.reason, \
     s.ticket, s.started_at, s.expires_at, s.idle_timeout_secs, s.last_activity_at, s.ended_at, \
     s.end_reason, s.pages_viewed";

pub fn session_from_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        impersonator_id: r.get(1)?,
        target_id: r.get(2)?,
        reason_category: r.get::<_, Word<ReasonCategory>>(3)?.0,
        reason: r.get(4)?,
        ticket: r.get(5)?,
        started_at: r.get(6)?,
        expires_at: r.get(7)?,
        idle_timeout_secs: r.get(8)?,
        last_activity_at: r.get(9)?,
        ended_at: r.get(10)?,
        end_reason: r.get::<_, Option<Word<EndReason>>>(11)?.map(|w| w.0),
        pages_viewed: r.get(12)?,
    })
}

pub fn session_by_id(conn: &Connection, id: i64) -> DbResult<Option<SessionRow>> {
    let sql = format!("SELECT {SESSION_COLS} FROM impersonation_sessions s WHERE s.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], session_from_row)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (n INTEGER PRIMARY KEY, v INTEGER NOT NULL);
             CREATE INDEX t_v ON t (v, n);
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)
             INSERT INTO t SELECT i, i % 7 FROM c;",
        )
        .unwrap();
        conn
    }

    #[test]
    fn first_rows_takes_exactly_n_in_order() {
        let conn = numbers();
        let sql = format!("SELECT n FROM t WHERE v = ?1 ORDER BY n DESC LIMIT {ROW_CAP}");
        let mut st = conn.prepare_cached(&sql).unwrap();
        let got = first_rows(&mut st, [3], 5, |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(got, [297, 290, 283, 276, 269]);
        let got = first_rows(&mut st, [4], 2, |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(got, [298, 291]);
        // Fewer rows than asked for, and nonsense sizes.
        assert_eq!(
            first_rows(&mut st, [6], 1000, |r| r.get::<_, i64>(0))
                .unwrap()
                .len(),
            43
        );
        assert!(first_rows(&mut st, [6], 0, |r| r.get::<_, i64>(0))
            .unwrap()
            .is_empty());
        assert!(first_rows(&mut st, [6], -3, |r| r.get::<_, i64>(0))
            .unwrap()
            .is_empty());
    }

    /// Why [`ROW_CAP`] exists: the same page query prepared once is run
    /// again from the cache without a re-prepare when its LIMIT is a
    /// constant, but prepared again on every run when the LIMIT is bound.
    /// (If SQLite stops doing that, the bound form may come back.)
    #[test]
    fn a_bound_limit_is_what_makes_sqlite_prepare_again() {
        let conn = numbers();
        let runs = |sql: &str, limit: Option<i64>| {
            let mut st = conn.prepare_cached(sql).unwrap();
            for v in 0..5 {
                let n = match limit {
                    Some(l) => st.query_map([v, l], |_| Ok(())).unwrap().count(),
                    None => first_rows(&mut st, [v], 3, |_| Ok(())).unwrap().len(),
                };
                assert_eq!(n, 3);
            }
            st.get_status(StatementStatus::RePrepare)
        };
        let constant = format!("SELECT n FROM t WHERE v = ?1 ORDER BY n DESC LIMIT {ROW_CAP}");
        assert_eq!(runs(&constant, None), 0);
        let bound = "SELECT n FROM t WHERE v = ?1 ORDER BY n DESC LIMIT ?2";
        assert!(
            runs(bound, Some(3)) >= 4,
            "a bound LIMIT no longer re-prepares"
        );
    }

    /// The debug check in [`first_rows`] that guards every paged query.
    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "prepared this paged query again")]
    fn first_rows_refuses_a_query_sqlite_prepares_again() {
        let conn = numbers();
        let mut st = conn
            .prepare("SELECT n FROM t WHERE v = ?1 ORDER BY n DESC LIMIT ?2")
            .unwrap();
        let _ = first_rows(&mut st, [4, 3], 3, |r| r.get::<_, i64>(0));
    }
}
