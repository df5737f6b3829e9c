//! Reads behind /api/view. Every function takes the [`ViewScope`] the
//! enforcement layer built, and filters by its target user or organisation:
//! a query cannot forget the owner filter, because the owner comes with the
//! scope and there is no other way in. Results are view types, which have no
//! field a connection secret could go into.

use rusqlite::{params, Connection, OptionalExtension};
use viewas_api::{
    AssignmentDetail, AssignmentStatus, AssignmentSummary, ConfigEntry, ConnectionStatus,
    ConnectionView, Member, Role, RunBrief, RunDetail, RunStatus, RunStep, RunSummary, RunTrigger,
    ViewRouteId, Workspace,
};

use super::rows::{Word, ROW_CAP};
use super::{DbError, DbResult};
use crate::clock::{day_bytes, rfc3339};
use crate::json::JsonOut;

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

/// What the runs page reads of a row: its keyset key, and its whole JSON
/// object (`page_row`, migration 0009, kept in the page's index).
const PAGE_COLS: &str = "r.id, r.started_at, r.page_row";

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

/// One page of runs, newest first, as the JSON of a `RunsPage`: the rows,
/// the cursor of the last row when more may follow, and (first page only)
/// the 30-day chart. Written from the rows straight into one buffer
/// ([`crate::json`]): the bytes are what serde writes for the same page.
///
/// Keyset paging: the SQL names only the filters in use, and the cursor is
/// a row-value comparison, so SQLite turns it into a range on the (owner,
/// started_at desc, id desc) index (or the assignment's) — no OFFSET and no
/// `?n IS NULL OR …` that would hide the range from the planner and make
/// page k read k pages of index first (README, Performance, has the query
/// plans).
pub fn runs_page_json(
    conn: &Connection,
    scope: &ViewScope,
    f: &RunFilter,
    now: i64,
) -> DbResult<Vec<u8>> {
    // At most 16 shapes of this statement, their SQL written once (not per
    // request); the reader connections' statement cache holds them all.
    let mut st = conn.prepare_cached(page_sql(f))?;
    let prepared = st.get_status(rusqlite::StatementStatus::RePrepare);
    let status = f.status.map(RunStatus::as_str);
    let mut out = JsonOut::with_capacity(16 * 1024);
    out.raw(r#"{"items":["#);
    let mut last: Option<RunKey> = None;
    let mut more = false;
    {
        let mut rows = st.query(runs_args(scope, f, &status).as_slice())?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            if n == f.limit {
                more = true;
                break;
            }
            if n > 0 {
                out.raw(",");
            }
            // Only the page's last row can be the cursor (there is none
            // unless a row follows it), so only its key is read.
            let key = write_run_summary(&mut out, r, n + 1 == f.limit)?;
            if key.is_some() {
                last = key;
            }
            n += 1;
        }
    }
    debug_assert_eq!(
        st.get_status(rusqlite::StatementStatus::RePrepare),
        prepared,
        "SQLite prepared the runs page again: its plan depends on a bound value"
    );
    out.raw(r#"],"next_cursor":"#);
    match last.filter(|_| more) {
        Some((t, id)) => {
            let mut cursor = itoa::Buffer::new().format(t).to_string();
            cursor.push('_');
            cursor.push_str(itoa::Buffer::new().format(id));
            out.plain_str(cursor.as_bytes());
        }
        None => out.null(),
    }
    out.raw(r#","daily":"#);
    if f.after.is_none() {
        out.raw("[");
        for (i, (day, succeeded, failed)) in daily(conn, scope, f, now)?.into_iter().enumerate() {
            if i > 0 {
                out.raw(",");
            }
            out.raw(r#"{"day":"#);
            out.plain_str(&day_bytes(day));
            out.raw(r#","succeeded":"#);
            out.int(succeeded);
            out.raw(r#","failed":"#);
            out.int(failed);
            out.raw("}");
        }
        out.raw("]");
    } else {
        out.null();
    }
    out.raw("}");
    Ok(out.into_bytes())
}

/// One row of [`PAGE_COLS`] as a `RunSummary` object (serde's field order);
/// with `keyed`, returns its keyset key (otherwise it is not read at all).
fn write_run_summary(
    out: &mut JsonOut,
    r: &rusqlite::Row<'_>,
    keyed: bool,
) -> DbResult<Option<RunKey>> {
    let key = if keyed {
        Some((r.get::<_, i64>(1)?, r.get::<_, i64>(0)?))
    } else {
        None
    };
    // Made by SQLite from checked columns (the schema's CHECKs hold the
    // words), so it is JSON; still text of this row or an error, never a
    // gap in the page (NULL: the run's assignment is missing).
    let row = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
    out.raw(row);
    Ok(key)
}

/// The runs page's SQL for this filter's shape (which filters are in use),
/// written once per shape for the life of the process.
fn page_sql(f: &RunFilter) -> &'static str {
    static SHAPES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        (0..16u8)
            .map(|shape| {
                let bit = |b: u8| shape & (1 << b) != 0;
                let f = RunFilter {
                    assignment_id: bit(0).then_some(0),
                    status: bit(1).then_some(RunStatus::Queued),
                    before: bit(2).then_some(0),
                    after: bit(3).then_some((0, 0)),
                    limit: 0,
                };
                let filter = runs_filter_sql(&f);
                format!("SELECT {PAGE_COLS} FROM runs r WHERE {filter}")
            })
            .collect()
    });
    let shape = usize::from(f.assignment_id.is_some())
        | usize::from(f.status.is_some()) << 1
        | usize::from(f.before.is_some()) << 2
        | usize::from(f.after.is_some()) << 3;
    &shapes[shape]
}

/// The arguments of [`page_sql`] for this filter, in its order; `status`
/// is `f.status` as its word.
fn runs_args<'a>(
    scope: &'a ViewScope,
    f: &'a RunFilter,
    status: &'a Option<&'static str>,
) -> Vec<&'a dyn rusqlite::ToSql> {
    let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(6);
    args.push(&scope.target_user_id);
    if let Some(id) = &f.assignment_id {
        args.push(id);
    }
    if let Some(status) = status {
        args.push(status);
    }
    if let Some(before) = &f.before {
        args.push(before);
    }
    if let Some((t, id)) = &f.after {
        args.push(t);
        args.push(id);
    }
    args
}

/// The `WHERE … ORDER BY … LIMIT` of [`page_sql`] for this filter's shape
/// (table `runs r`), its placeholders in the order of [`runs_args`].
fn runs_filter_sql(f: &RunFilter) -> String {
    let mut sql = String::from("r.owner_id = ?");
    if f.assignment_id.is_some() {
        sql.push_str(" AND r.assignment_id = ?");
    }
    if f.status.is_some() {
        sql.push_str(" AND r.status = ?");
    }
    if f.before.is_some() {
        sql.push_str(" AND r.started_at < ?");
    }
    if f.after.is_some() {
        sql.push_str(" AND (r.started_at, r.id) < (?, ?)");
    }
    sql.push_str(&format!(
        " ORDER BY r.started_at DESC, r.id DESC LIMIT {ROW_CAP}"
    ));
    sql
}

/// [`runs_filter_sql`] and its arguments as values, for the tests' own
/// queries over the same rows.
#[cfg(test)]
fn runs_filter(scope: &ViewScope, f: &RunFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut args: Vec<Value> = vec![Value::Integer(scope.target_user_id)];
    if let Some(id) = f.assignment_id {
        args.push(Value::Integer(id));
    }
    if let Some(status) = f.status {
        args.push(Value::Text(status.as_str().to_string()));
    }
    if let Some(before) = f.before {
        args.push(Value::Integer(before));
    }
    if let Some((t, id)) = f.after {
        args.push(Value::Integer(t));
        args.push(Value::Integer(id));
    }
    (runs_filter_sql(f), args)
}

/// (day, succeeded, failed) per UTC day over the 30 days up to `now`, for
/// the same assignment and status filter; every day present, oldest first
/// (days counted from the epoch). Read from `run_chart_blocks` (migration
/// 0011): 32 days a row, so at most two rows of one key range however many
/// runs the user has, and the first page costs the same in a 5k-run and a
/// 500k-run store (README, Performance).
pub fn daily(
    conn: &Connection,
    scope: &ViewScope,
    f: &RunFilter,
    now: i64,
) -> DbResult<Vec<(i64, i64, i64)>> {
    let today = now.div_euclid(86_400);
    let first = today - 29;
    let mut counts: Vec<(i64, i64, i64)> = (first..=today).map(|day| (day, 0, 0)).collect();
    // A status filter keeps its own count only (none for the statuses the
    // chart does not show).
    let (keep_succeeded, keep_failed) = match f.status {
        None => (true, true),
        Some(s) => (s == RunStatus::Succeeded, s == RunStatus::Failed),
    };
    if !keep_succeeded && !keep_failed {
        return Ok(counts);
    }
    let mut st = conn.prepare_cached(
        "SELECT block, counts FROM run_chart_blocks \
         WHERE owner_id = ?1 AND assignment_id = ?2 AND block BETWEEN ?3 AND ?4",
    )?;
    // assignment_id 0 holds the owner's totals.
    let mut rows = st.query(params![
        scope.target_user_id,
        f.assignment_id.unwrap_or(0),
        first.div_euclid(CHART_BLOCK_DAYS),
        today.div_euclid(CHART_BLOCK_DAYS)
    ])?;
    while let Some(r) = rows.next()? {
        let block: i64 = r.get(0)?;
        let slots = r.get_ref(1)?.as_bytes().map_err(rusqlite::Error::from)?;
        for (day, succeeded, failed) in counts.iter_mut() {
            if day.div_euclid(CHART_BLOCK_DAYS) != block {
                continue;
            }
            let (s, fl) = chart_slot(slots, day.rem_euclid(CHART_BLOCK_DAYS)).ok_or_else(|| {
                DbError::Other(format!("the chart counts of block {block} are malformed"))
            })?;
            if keep_succeeded {
                *succeeded = s;
            }
            if keep_failed {
                *failed = fl;
            }
        }
    }
    Ok(counts)
}

/// Days per row of `run_chart_blocks`.
const CHART_BLOCK_DAYS: i64 = 32;

/// Digits of one count in a `run_chart_blocks` slot (two counts a slot).
const CHART_DIGITS: usize = 6;

/// The (succeeded, failed) counts in `slot` of a block's `counts` text, or
/// None when it is not 32 slots of digits (migration 0011 keeps it so).
fn chart_slot(counts: &[u8], slot: i64) -> Option<(i64, i64)> {
    let width = 2 * CHART_DIGITS;
    if counts.len() != width * CHART_BLOCK_DAYS as usize {
        return None;
    }
    let at = usize::try_from(slot).ok()? * width;
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    Some((
        number(counts.get(at..at + CHART_DIGITS)?)?,
        number(counts.get(at + CHART_DIGITS..at + width)?)?,
    ))
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
                runs_page_json(&conn, &scope, &f, 1_700_000_000).unwrap();
            }
            let f = RunFilter {
                assignment_id: bit(0).then_some(3),
                status: bit(1).then_some(RunStatus::Failed),
                before: bit(2).then_some(1),
                after: bit(3).then_some((1, 1)),
                limit: 1,
            };
            let (filter, _) = runs_filter(&scope, &f);
            let sql = format!("SELECT {PAGE_COLS} FROM runs r WHERE {filter}");
            assert_eq!(page_sql(&f), sql, "shape {shape}");
            let st = conn.prepare_cached(&sql).unwrap();
            assert_eq!(
                st.get_status(StatementStatus::RePrepare),
                0,
                "shape {shape} was prepared again: {filter}"
            );
        }
    }

    /// The page as serde writes it, from the same SQL: what the hand-written
    /// JSON must equal byte for byte.
    fn serde_page(conn: &Connection, scope: &ViewScope, f: &RunFilter, now: i64) -> Vec<u8> {
        use viewas_api::{DayCount, RunsPage};
        let (filter, args) = runs_filter(scope, f);
        let sql = format!(
            "SELECT {RUN_COLS} FROM runs r JOIN assignments a ON a.id = r.assignment_id \
             WHERE {filter}"
        );
        let mut st = conn.prepare(&sql).unwrap();
        let mut rows = st
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((run_summary(r)?, r.get::<_, i64>(5)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .take(f.limit as usize + 1)
            .collect::<Vec<_>>();
        let more = rows.len() as i64 > f.limit;
        rows.truncate(f.limit as usize);
        let next_cursor = rows
            .last()
            .filter(|_| more)
            .map(|(s, started)| format!("{started}_{}", s.id));
        let daily = f.after.is_none().then(|| {
            daily(conn, scope, f, now)
                .unwrap()
                .into_iter()
                .map(|(day, succeeded, failed)| DayCount {
                    day: crate::clock::day_string(day),
                    succeeded,
                    failed,
                })
                .collect()
        });
        serde_json::to_vec(&RunsPage {
            items: rows.into_iter().map(|(s, _)| s).collect(),
            next_cursor,
            daily,
        })
        .unwrap()
    }

    /// The demo seed, with runs whose names and summaries hold every kind
    /// of character JSON must escape, and runs still going (nulls).
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
             UPDATE runs SET run_trigger = 'api', duration_ms = duration_ms + 7 WHERE id % 3 = 0;
             UPDATE runs SET started_at = started_at - 3601, finished_at = finished_at + 59 WHERE id % 5 = 0;
             UPDATE runs SET page_row = 'tampered' WHERE id % 4 = 0;"
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

    /// Every filter shape's page is one range of an index that holds
    /// `page_row` (no row looked up in the table, no sort), and a status
    /// filter has a range of its own: without it, a status the user rarely
    /// has walked the user's whole history for one page.
    #[test]
    fn a_runs_page_reads_one_index_range() {
        let (conn, scope, now) = seeded();
        for shape in 0..32u8 {
            let bit = |b: u8| shape & (1 << b) != 0;
            let f = RunFilter {
                assignment_id: bit(0).then_some(1),
                status: match (bit(1), bit(4)) {
                    (false, _) => None,
                    (true, false) => Some(RunStatus::Failed),
                    (true, true) => Some(RunStatus::Queued),
                },
                before: bit(2).then_some(now),
                after: bit(3).then_some((now, 1)),
                limit: 50,
            };
            let (filter, args) = runs_filter(&scope, &f);
            let plan: Vec<String> = conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT {PAGE_COLS} FROM runs r WHERE {filter}"
                ))
                .unwrap()
                .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let range = if f.status.is_some() {
                "SEARCH r USING COVERING INDEX runs_owner_status (owner_id=? AND status=?"
            } else {
                "SEARCH r USING COVERING INDEX runs_owner_started (owner_id=?"
            };
            assert!(
                plan.len() == 1 && plan[0].starts_with(range),
                "{f:?}: {plan:?}"
            );
        }
    }

    #[test]
    fn the_runs_page_is_the_json_serde_writes() {
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
                    // First page, then every following page by its cursor.
                    let mut f = RunFilter {
                        assignment_id,
                        status,
                        before,
                        after: None,
                        limit,
                    };
                    loop {
                        let ours = runs_page_json(&conn, &scope, &f, now).unwrap();
                        assert_eq!(
                            String::from_utf8(ours.clone()).unwrap(),
                            String::from_utf8(serde_page(&conn, &scope, &f, now)).unwrap(),
                            "{f:?}"
                        );
                        let page: viewas_api::RunsPage = serde_json::from_slice(&ours).unwrap();
                        checked_rows += page.items.len();
                        let Some(next) = page.next_cursor else { break };
                        let (t, id) = next.split_once('_').unwrap();
                        f.after = Some((t.parse().unwrap(), id.parse().unwrap()));
                    }
                }
            }
        }
        assert!(checked_rows > 1_000, "{checked_rows} rows compared");
    }
}
