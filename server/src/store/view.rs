//! Reads behind /api/view. Every function takes the [`ViewScope`] the
//! enforcement layer built, and filters by its target user or organisation:
//! a query cannot forget the owner filter, because the owner comes with the
//! scope and there is no other way in. Results are view types, which have no
//! field a connection secret could go into.

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use viewas_api::{
    AssignmentDetail, AssignmentStatus, AssignmentSummary, ConfigEntry, ConnectionStatus,
    ConnectionView, Member, Role, RunBrief, RunDetail, RunStatus, RunStep, RunSummary, RunTrigger,
    RunsPage, ViewRouteId, Workspace,
};

use super::rows::{first_rows, Word, ROW_CAP};
use super::{runs, DbResult};
use crate::clock::rfc3339;

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

/// One page of runs, newest first: the rows, the cursor of the last row
/// when more follow, and (first page only) the chart of the last 30 days
/// in the user's time zone for the same assignment and status.
///
/// Keyset paging: the SQL names only the filters in use and the cursor is
/// a row-value comparison, so each shape is one range of an index (the
/// owner's, the owner's status, or the assignment's), never an OFFSET.
pub fn runs_page(
    conn: &Connection,
    scope: &ViewScope,
    f: &RunFilter,
    now: i64,
) -> DbResult<RunsPage> {
    let (filter, args) = runs_filter(scope, f);
    let sql = format!(
        "SELECT {RUN_COLS} FROM runs r JOIN assignments a ON a.id = r.assignment_id \
         WHERE {filter}"
    );
    let mut st = conn.prepare_cached(&sql)?;
    // One row past the page tells whether another page follows.
    let mut rows = first_rows(
        &mut st,
        rusqlite::params_from_iter(args),
        f.limit + 1,
        |r| Ok((run_summary(r)?, r.get::<_, i64>(5)?)),
    )?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(usize::try_from(f.limit).unwrap_or(0));
    let next_cursor = rows
        .last()
        .filter(|_| more)
        .map(|(run, started_at)| format!("{started_at}_{}", run.id));
    let daily = match f.after {
        None => Some(runs::daily(
            conn,
            scope.target_user_id,
            f.assignment_id,
            f.status,
            now,
        )?),
        Some(_) => None,
    };
    Ok(RunsPage {
        items: rows.into_iter().map(|(run, _)| run).collect(),
        next_cursor,
        daily,
    })
}

/// The `WHERE … ORDER BY … LIMIT` of the runs page for this filter (table
/// `runs r`), and its arguments in order.
fn runs_filter(scope: &ViewScope, f: &RunFilter) -> (String, Vec<Value>) {
    let mut sql = String::from("r.owner_id = ?");
    let mut args = vec![Value::Integer(scope.target_user_id)];
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

    /// The Small seed, Alice's scope, and runs whose names and summaries
    /// hold every kind of character JSON must escape, and runs still going
    /// (nulls).
    fn seeded() -> (Connection, ViewScope, i64) {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let now = 1_764_000_000;
        crate::seed::seed(&conn, crate::seed::SeedSize::Small, now).unwrap();
        let (user, org): (i64, i64) = conn
            .query_row(
                "SELECT id, org_id FROM users WHERE email = 'alice@acme.example'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        conn.execute_batch(&format!(
            "UPDATE assignments SET name = 'Quote \" back\\slash '||char(1)||char(10)||' \u{202e}bidi 🙂'
               WHERE id = (SELECT MIN(id) FROM assignments WHERE owner_id = {user});
             UPDATE runs SET summary = '<script>\"x\"</script>'||char(9)||char(31)||' ü \\ '
                 ||char(8)||char(12)||char(13)||char(127)||' \u{2028}\u{2029} \u{202e}'
               WHERE id IN (SELECT id FROM runs WHERE owner_id = {user} ORDER BY started_at DESC LIMIT 3);
             UPDATE runs SET finished_at = NULL, duration_ms = NULL, summary = NULL, status = 'running'
               WHERE id IN (SELECT id FROM runs WHERE owner_id = {user} ORDER BY started_at DESC LIMIT 1 OFFSET 4);
             UPDATE runs SET started_at = started_at - 3601 WHERE id % 5 = 0;"
        ))
        .unwrap();
        let scope = ViewScope {
            session_id: 1,
            impersonator_id: 1,
            target_user_id: user,
            org_id: org,
            route: ViewRouteId::Runs,
        };
        (conn, scope, now)
    }

    /// Every filter shape is one range of an index of `runs`, in the
    /// page's order (no sort of the user's runs).
    #[test]
    fn a_runs_page_reads_one_index_range() {
        let (conn, scope, now) = seeded();
        for shape in 0..16u8 {
            let bit = |b: u8| shape & (1 << b) != 0;
            let f = RunFilter {
                assignment_id: bit(0).then_some(1),
                status: bit(1).then_some(RunStatus::Queued),
                before: bit(2).then_some(now),
                after: bit(3).then_some((now, 1)),
                limit: 50,
            };
            let (filter, args) = runs_filter(&scope, &f);
            let plan: Vec<String> = conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT {RUN_COLS} FROM runs r \
                     JOIN assignments a ON a.id = r.assignment_id WHERE {filter}"
                ))
                .unwrap()
                .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(
                plan.iter()
                    .any(|p| p.starts_with("SEARCH r USING INDEX runs_"))
                    && !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                "{f:?}: {plan:?}"
            );
        }
    }

    /// Paged by its cursors, every filter's pages are exactly the runs the
    /// filter selects, newest first, each page as serde reads it back.
    #[test]
    fn runs_pages_follow_their_cursors_through_every_filter() {
        let (conn, scope, now) = seeded();
        let assignment: i64 = conn
            .query_row(
                "SELECT MIN(id) FROM assignments WHERE owner_id = ?1",
                [scope.target_user_id],
                |r| r.get(0),
            )
            .unwrap();
        let mut checked_rows = 0;
        for limit in [1, 7, 50, 200] {
            for status in [None, Some(RunStatus::Succeeded), Some(RunStatus::Running)] {
                for (assignment_id, before) in [
                    (None, None),
                    (Some(assignment), None),
                    (None, Some(now - 5 * 86_400)),
                    (Some(assignment), Some(now - 86_400)),
                ] {
                    let mut f = RunFilter {
                        assignment_id,
                        status,
                        before,
                        after: None,
                        limit,
                    };
                    let mut want: Vec<i64> = conn
                        .prepare(
                            "SELECT id FROM runs WHERE owner_id = ?1 \
                             AND (?2 IS NULL OR assignment_id = ?2) AND (?3 IS NULL OR status = ?3) \
                             AND (?4 IS NULL OR started_at < ?4) ORDER BY started_at DESC, id DESC",
                        )
                        .unwrap()
                        .query_map(
                            params![
                                scope.target_user_id,
                                assignment_id,
                                status.map(RunStatus::as_str),
                                before
                            ],
                            |r| r.get(0),
                        )
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                    let mut got = Vec::new();
                    loop {
                        let page = runs_page(&conn, &scope, &f, now).unwrap();
                        let bytes = serde_json::to_vec(&page).unwrap();
                        let back: RunsPage = serde_json::from_slice(&bytes).unwrap();
                        assert_eq!(back, page);
                        assert_eq!(page.daily.is_some(), f.after.is_none());
                        assert!(page.items.len() as i64 <= limit);
                        got.extend(page.items.iter().map(|r| r.id));
                        let Some(next) = page.next_cursor else { break };
                        let (t, id) = next.split_once('_').unwrap();
                        f.after = Some((t.parse().unwrap(), id.parse().unwrap()));
                    }
                    checked_rows += got.len();
                    assert_eq!(got, std::mem::take(&mut want), "{f:?}");
                }
            }
        }
        assert!(checked_rows > 1_000, "{checked_rows} rows compared");
    }
}
