//! Reads behind /api/view. Every function takes the [`ViewScope`] the
//! enforcement layer built, and filters by its target user or organisation:
//! a query cannot forget the owner filter, because the owner comes with the
//! scope and there is no other way in. Results are view types, which have no
//! field a connection secret could go into.

use rusqlite::{params, Connection, OptionalExtension};
use viewas_api::{
    AssignmentDetail, AssignmentStatus, AssignmentSummary, ConfigEntry, ConnectionStatus,
    ConnectionView, DayCount, Member, Role, RunBrief, RunDetail, RunStatus, RunStep, RunSummary,
    RunTrigger, ViewRouteId, Workspace,
};

use super::rows::{first_rows, Word, ROW_CAP};
use super::DbResult;
use crate::clock::{day_string, rfc3339};

/// What an impersonation request may see: one user, their organisation.
/// Only the view enforcement layer makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewScope {
    pub session_id: i64,
    pub impersonator_id: i64,
    pub target_user_id: i64,
    pub org_id: i64,
    pub route: ViewRouteId,
}

fn config(json: &str) -> Vec<ConfigEntry> {
    serde_json::from_str::<Vec<(String, String)>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| ConfigEntry { key, value })
        .collect()
}

fn connections_of_assignment(
    conn: &Connection,
    assignment_id: i64,
) -> DbResult<Vec<ConnectionView>> {
    // Deliberately selects no `secret` column.
    let mut st = conn.prepare_cached(
        "SELECT c.id, c.kind, c.name, c.status FROM assignment_connections ac \
         JOIN connections c ON c.id = ac.connection_id WHERE ac.assignment_id = ?1 ORDER BY c.id",
    )?;
    let out = st
        .query_map([assignment_id], connection_view)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

fn connection_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConnectionView> {
    Ok(ConnectionView {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        status: r.get::<_, Word<ConnectionStatus>>(3)?.0,
    })
}

fn last_run(conn: &Connection, assignment_id: i64) -> DbResult<Option<RunBrief>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, status, started_at FROM runs WHERE assignment_id = ?1 \
             ORDER BY started_at DESC, id DESC LIMIT 1",
        )?
        .query_row([assignment_id], |r| {
            Ok(RunBrief {
                id: r.get(0)?,
                status: r.get::<_, Word<RunStatus>>(1)?.0,
                started_at: rfc3339(r.get(2)?),
            })
        })
        .optional()?)
}

pub fn assignments(conn: &Connection, scope: &ViewScope) -> DbResult<Vec<AssignmentSummary>> {
    let mut st = conn.prepare_cached(
        "SELECT id, name, description, status, schedule FROM assignments \
         WHERE owner_id = ?1 ORDER BY name, id",
    )?;
    let rows = st
        .query_map([scope.target_user_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Word<AssignmentStatus>>(3)?.0,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, name, description, status, schedule)| {
            Ok(AssignmentSummary {
                id,
                name,
                description,
                status,
                schedule,
                last_run: last_run(conn, id)?,
                connections: connections_of_assignment(conn, id)?,
            })
        })
        .collect()
}

pub fn assignment(
    conn: &Connection,
    scope: &ViewScope,
    id: i64,
) -> DbResult<Option<AssignmentDetail>> {
    let row = conn
        .prepare_cached(
            "SELECT id, name, description, instructions, status, schedule, configuration, created_at \
             FROM assignments WHERE id = ?1 AND owner_id = ?2",
        )?
        .query_row(params![id, scope.target_user_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Word<AssignmentStatus>>(4)?.0,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((id, name, description, instructions, status, schedule, cfg, created)) = row else {
        return Ok(None);
    };
    Ok(Some(AssignmentDetail {
        id,
        name,
        description,
        instructions,
        status,
        schedule,
        configuration: config(&cfg),
        connections: connections_of_assignment(conn, id)?,
        last_run: last_run(conn, id)?,
        created_at: rfc3339(created),
    }))
}

/// Where a runs page continues: (started_at, id) of its last row.
pub type RunKey = (i64, i64);

/// Filters of `GET /api/view/runs`, already parsed.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub assignment_id: Option<i64>,
    pub status: Option<RunStatus>,
    /// Only runs started strictly before this time.
    pub before: Option<i64>,
    /// Keyset cursor: continue after (started_at, id), newest first.
    pub after: Option<RunKey>,
    pub limit: i64,
}

const RUN_COLS: &str = "r.id, r.assignment_id, a.name, r.status, r.run_trigger, r.started_at, \
     r.finished_at, r.duration_ms, r.summary";

fn run_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    Ok(RunSummary {
        id: r.get(0)?,
        assignment_id: r.get(1)?,
        assignment_name: r.get(2)?,
        status: r.get::<_, Word<RunStatus>>(3)?.0,
        trigger: r.get::<_, Word<RunTrigger>>(4)?.0,
        started_at: rfc3339(r.get(5)?),
        finished_at: r.get::<_, Option<i64>>(6)?.map(rfc3339),
        duration_ms: r.get(7)?,
        summary: r.get(8)?,
    })
}

/// One page of runs, newest first, plus the (started_at, id) key of its last
/// row when more may follow. Keyset paging: the SQL names only the filters
/// in use, and the cursor is a row-value comparison, so SQLite turns it into
/// a range on the (owner, started_at desc, id desc) index (or the
/// assignment's) — no OFFSET and no `?n IS NULL OR …` that would hide the
/// range from the planner and make page k read k pages of index first
/// (README, Performance, has the query plans).
pub fn runs(
    conn: &Connection,
    scope: &ViewScope,
    f: &RunFilter,
) -> DbResult<(Vec<RunSummary>, Option<RunKey>)> {
    let (sql, args) = runs_query(scope, f);
    // At most 16 shapes of this statement; the reader connections' statement
    // cache holds them all.
    let mut st = conn.prepare_cached(&sql)?;
    let mut keys = Vec::new();
    let mut items = first_rows(
        &mut st,
        rusqlite::params_from_iter(args),
        f.limit + 1,
        |r| {
            let started: i64 = r.get(5)?;
            Ok((run_summary(r)?, started))
        },
    )?
    .into_iter()
    .map(|(s, started)| {
        keys.push((started, s.id));
        s
    })
    .collect::<Vec<_>>();
    let next = if items.len() as i64 > f.limit {
        items.truncate(f.limit as usize);
        keys.get(f.limit as usize - 1).copied()
    } else {
        None
    };
    Ok((items, next))
}

/// The SQL of [`runs`] for this filter, and its arguments.
fn runs_query(scope: &ViewScope, f: &RunFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = format!(
        "SELECT {RUN_COLS} FROM runs r JOIN assignments a ON a.id = r.assignment_id \
         WHERE r.owner_id = ?"
    );
    let mut args: Vec<Value> = vec![Value::Integer(scope.target_user_id)];
    if let Some(id) = f.assignment_id {
        sql.push_str(" AND r.assignment_id = ?");
        args.push(Value::Integer(id));
    }
    if let Some(status) = f.status {
        sql.push_str(" AND r.status = ?");
        args.push(Value::Text(status.as_str().to_string()));
    }
    if let Some(before) = f.before {
        sql.push_str(" AND r.started_at < ?");
        args.push(Value::Integer(before));
    }
    if let Some((t, id)) = f.after {
        sql.push_str(" AND (r.started_at, r.id) < (?, ?)");
        args.push(Value::Integer(t));
        args.push(Value::Integer(id));
    }
    sql.push_str(&format!(
        " ORDER BY r.started_at DESC, r.id DESC LIMIT {ROW_CAP}"
    ));
    (sql, args)
}

/// Succeeded and failed runs per UTC day over the 30 days up to `now`, for
/// the same assignment and status filter; every day present, oldest first.
/// Read from `run_days` (migrations 0002, 0003): at most 30 days × 5
/// statuses rows of one key range, however many runs the user has, so
/// the first page costs the same in a 5k-run and a 500k-run store (README,
/// Performance).
pub fn daily(
    conn: &Connection,
    scope: &ViewScope,
    f: &RunFilter,
    now: i64,
) -> DbResult<Vec<DayCount>> {
    let today = now.div_euclid(86_400);
    let first = today - 29;
    // Plain rows of one key range, summed here: SQLite's GROUP BY with
    // CASE sums cost more than the range read itself.
    let mut st = conn.prepare_cached(
        "SELECT day, status, n FROM run_days \
         WHERE owner_id = ?1 AND assignment_id = ?2 AND day BETWEEN ?3 AND ?4",
    )?;
    let mut counts = vec![(0i64, 0i64); 30];
    let wanted = f.status.map(|s| s.as_str());
    // assignment_id 0 holds the owner's totals (migration 0003).
    let mut rows = st.query(params![
        scope.target_user_id,
        f.assignment_id.unwrap_or(0),
        first,
        today
    ])?;
    while let Some(r) = rows.next()? {
        let status = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        if wanted.is_some_and(|w| w != status) {
            continue;
        }
        let slot = usize::try_from(r.get::<_, i64>(0)? - first)
            .ok()
            .and_then(|i| counts.get_mut(i));
        if let Some((succeeded, failed)) = slot {
            match status {
                "succeeded" => *succeeded += r.get::<_, i64>(2)?,
                "failed" => *failed += r.get::<_, i64>(2)?,
                _ => {}
            }
        }
    }
    Ok((first..=today)
        .zip(counts)
        .map(|(day, (succeeded, failed))| DayCount {
            day: day_string(day),
            succeeded,
            failed,
        })
        .collect())
}

pub fn run(conn: &Connection, scope: &ViewScope, id: i64) -> DbResult<Option<RunDetail>> {
    let sql = format!(
        "SELECT {RUN_COLS}, r.result, r.error FROM runs r \
         JOIN assignments a ON a.id = r.assignment_id WHERE r.id = ?1 AND r.owner_id = ?2"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row(params![id, scope.target_user_id], |r| {
            Ok((
                run_summary(r)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
            ))
        })
        .optional()?;
    let Some((run, result, error)) = row else {
        return Ok(None);
    };
    let mut st = conn.prepare_cached(
        "SELECT position, name, status, started_at, duration_ms, output FROM run_steps \
         WHERE run_id = ?1 ORDER BY position",
    )?;
    let steps = st
        .query_map([run.id], |r| {
            Ok(RunStep {
                position: r.get(0)?,
                name: r.get(1)?,
                status: r.get::<_, Word<RunStatus>>(2)?.0,
                started_at: r.get::<_, Option<i64>>(3)?.map(rfc3339),
                duration_ms: r.get(4)?,
                output: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(RunDetail {
        run,
        steps,
        result,
        error,
    }))
}

pub fn workspace(conn: &Connection, scope: &ViewScope) -> DbResult<Option<Workspace>> {
    let org = conn
        .prepare_cached("SELECT name, timezone, settings FROM orgs WHERE id = ?1")?
        .query_row([scope.org_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    let Some((name, timezone, settings)) = org else {
        return Ok(None);
    };
    let mut st = conn.prepare_cached(
        "SELECT id, name, email, role FROM users WHERE org_id = ?1 ORDER BY name, id",
    )?;
    let members = st
        .query_map([scope.org_id], |r| {
            Ok(Member {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                role: r.get::<_, Word<Role>>(3)?.0,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut st = conn.prepare_cached(
        "SELECT id, kind, name, status FROM connections WHERE org_id = ?1 ORDER BY id",
    )?;
    let connections = st
        .query_map([scope.org_id], connection_view)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Workspace {
        name,
        timezone,
        settings: config(&settings),
        members,
        connections,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    /// Every filter shape of the runs page keeps its prepared plan from one
    /// run to the next, whatever the page size: SQLite is not made to
    /// prepare it again (a bound `LIMIT ?` did, on every request).
    #[test]
    fn runs_statements_are_prepared_once_per_shape() {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let scope = ViewScope {
            session_id: 1,
            impersonator_id: 1,
            target_user_id: 2,
            org_id: 1,
            route: ViewRouteId::Runs,
        };
        for shape in 0..16u8 {
            let bit = |b: u8| shape & (1 << b) != 0;
            for limit in [50, 20, 200] {
                let f = RunFilter {
                    assignment_id: bit(0).then_some(3),
                    status: bit(1).then_some(RunStatus::Failed),
                    before: bit(2).then_some(1_700_000_000),
                    after: bit(3).then_some((1_700_000_000, 9)),
                    limit,
                };
                runs(&conn, &scope, &f).unwrap();
            }
            let f = RunFilter {
                assignment_id: bit(0).then_some(3),
                status: bit(1).then_some(RunStatus::Failed),
                before: bit(2).then_some(1),
                after: bit(3).then_some((1, 1)),
                limit: 1,
            };
            let (sql, _) = runs_query(&scope, &f);
            let st = conn.prepare_cached(&sql).unwrap();
            assert_eq!(
                st.get_status(StatementStatus::RePrepare),
                0,
                "shape {shape} was prepared again: {sql}"
            );
        }
    }
}
