//! Schema migrations: SQL files embedded at build time, applied in order and
//! tracked with `PRAGMA user_version`.

use rusqlite::Connection;

use super::{DbError, DbResult};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_run_days.sql")),
    (
        3,
        include_str!("../../migrations/0003_run_days_by_assignment.sql"),
    ),
    (4, include_str!("../../migrations/0004_covering_reads.sql")),
    (
        5,
        include_str!("../../migrations/0005_login_attempts_in_flight.sql"),
    ),
    (6, include_str!("../../migrations/0006_run_day_totals.sql")),
    (7, include_str!("../../migrations/0007_runs_page_tail.sql")),
    (
        8,
        include_str!("../../migrations/0008_audit_session_bounds.sql"),
    ),
    (9, include_str!("../../migrations/0009_runs_page_row.sql")),
    (10, include_str!("../../migrations/0010_runs_by_status.sql")),
    (
        11,
        include_str!("../../migrations/0011_run_chart_blocks.sql"),
    ),
];

/// The schema version this build expects.
pub const LATEST: i64 = 11;

pub fn migrate(conn: &Connection) -> DbResult<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        // An older binary must not guess at a newer schema.
        return Err(DbError::Other(format!(
            "the database is at schema version {current}, newer than this server's {LATEST}"
        )));
    }
    for &(version, sql) in MIGRATIONS {
        if version <= current {
            continue;
        }
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; version is a constant of this file.
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        tx.commit()?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (owner, assignment, day, succeeded, failed) the chart's blocks
    /// hold (0011), read slot by slot in SQL, against the same counted from
    /// `runs` directly; days with neither count are left out of both.
    fn chart_matches_runs(c: &Connection) -> bool {
        type Day = (i64, i64, i64, i64, i64);
        let rows = |sql: &str| -> Vec<Day> {
            c.prepare(sql)
                .unwrap()
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        let direct = rows(
            "SELECT owner_id, assignment_id, started_at / 86400, SUM(status = 'succeeded'), \
               SUM(status = 'failed') FROM runs GROUP BY 1, 2, 3 \
             UNION ALL SELECT owner_id, 0, started_at / 86400, SUM(status = 'succeeded'), \
               SUM(status = 'failed') FROM runs GROUP BY 1, 3 \
             ORDER BY 1, 2, 3",
        );
        let direct: Vec<Day> = direct.into_iter().filter(|d| d.3 + d.4 > 0).collect();
        let kept = rows(
            "WITH RECURSIVE slot(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM slot WHERE k < 31), \
             days AS (SELECT owner_id, assignment_id, block * 32 + k AS day, \
               CAST(substr(counts, k * 12 + 1, 6) AS INTEGER) AS succeeded, \
               CAST(substr(counts, k * 12 + 7, 6) AS INTEGER) AS failed \
               FROM run_chart_blocks, slot) \
             SELECT * FROM days WHERE succeeded + failed > 0 ORDER BY 1, 2, 3",
        );
        !direct.is_empty() && direct == kept
    }

    /// The chart's blocks stay equal to counting `runs` directly through
    /// inserts, updates and deletes, so the chart can trust them.
    #[test]
    fn the_chart_blocks_follow_every_change_to_runs() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        crate::seed::seed(&conn, crate::seed::SeedSize::Small, 1_790_000_000).unwrap();
        assert!(chart_matches_runs(&conn), "after the seed");
        conn.execute_batch(
            "UPDATE runs SET status = 'failed' WHERE id % 7 = 0;
             UPDATE runs SET status = 'cancelled' WHERE id % 5 = 0;
             UPDATE runs SET status = 'succeeded' WHERE id % 17 = 0;
             UPDATE runs SET started_at = started_at - 86400 WHERE id % 11 = 0;
             UPDATE runs SET started_at = started_at + 40 * 86400 WHERE id % 23 = 0;
             UPDATE runs SET assignment_id = (SELECT MIN(id) FROM assignments a
               WHERE a.owner_id = runs.owner_id) WHERE id % 19 = 0;
             DELETE FROM run_steps WHERE run_id % 13 = 0;
             DELETE FROM runs WHERE id % 13 = 0;",
        )
        .unwrap();
        assert!(chart_matches_runs(&conn), "after updates and deletes");
    }

    /// A database made by the first `count` migrations only, with the demo
    /// seed in it.
    fn seeded_at(count: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for &(version, sql) in &MIGRATIONS[..count] {
            conn.execute_batch(sql).unwrap();
            conn.execute_batch(&format!("PRAGMA user_version = {version}"))
                .unwrap();
        }
        crate::seed::seed(&conn, crate::seed::SeedSize::Small, 1_790_000_000).unwrap();
        conn
    }

    /// A database made by version 5 keeps its chart counts (built into
    /// `run_day_totals` by 0006, then into blocks by 0011) and gets the
    /// runs page's rows.
    #[test]
    fn the_chart_counts_and_page_rows_are_built_from_the_runs_already_there() {
        let conn = seeded_at(5);
        migrate(&conn).unwrap();
        assert!(chart_matches_runs(&conn));
        // 0007, then 0009, fill in the runs page's rows of the runs already
        // there.
        let (missing, differ): (i64, i64) = conn
            .query_row(
                "SELECT SUM(r.page_row IS NULL), SUM(r.page_row IS NOT t.page_row) \
                 FROM runs r JOIN runs_page_row t ON t.id = r.id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((missing, differ), (0, 0));
    }

    /// A database made by version 7 gets its sessions' event bounds from
    /// the trail already there, and loses the index they replace.
    #[test]
    fn sessions_get_the_bounds_of_their_events_already_there() {
        let conn = seeded_at(7);
        conn.execute_batch(
            "INSERT INTO impersonation_sessions (id, impersonator_id, target_id, reason_category, \
             reason, started_at, expires_at, idle_timeout_secs, last_activity_at) VALUES \
             (1, 1, 2, 'support', 'r', 0, 3600, 900, 0), (2, 2, 3, 'support', 'r', 0, 3600, 900, 0); \
             INSERT INTO audit_events (id, at, kind, session_id, hash) VALUES \
             (1, 0, 'x', NULL, ''), (2, 0, 'x', 1, ''), (3, 0, 'x', 2, ''), (4, 0, 'x', 1, ''), \
             (5, 0, 'x', NULL, '');",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let bounds: Vec<(i64, Option<i64>, Option<i64>)> = conn
            .prepare(
                "SELECT id, first_event_id, last_event_id FROM impersonation_sessions ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(bounds, [(1, Some(2), Some(4)), (2, Some(3), Some(3))]);
        let index: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_session'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, 0);
        // From now on the trigger keeps them.
        conn.execute(
            "INSERT INTO audit_events (id, at, kind, session_id, hash) VALUES (6, 0, 'x', 2, '')",
            [],
        )
        .unwrap();
        let b: (i64, i64) = conn
            .query_row(
                "SELECT first_event_id, last_event_id FROM impersonation_sessions WHERE id = 2",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(b, (3, 6));
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", LATEST + 1))
            .unwrap();
        assert!(migrate(&conn).is_err());
    }
}
