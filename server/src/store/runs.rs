//! Writing runs, and the runs chart's per-day counts (`run_days`).
//!
//! A run is counted on the date it started on in its owner's time zone
//! (`users.timezone`, an IANA name), in the same transaction that writes
//! it: [`insert`] is the one way a run gets into the store, so the counts
//! and the runs never disagree. The chart then reads at most 30 days of
//! count rows, however many runs the user has.

use jiff::tz::TimeZone;
use jiff::{civil::Date, Timestamp, ToSpan};
use rusqlite::{params, Connection, OptionalExtension};
use viewas_api::{DayCount, RunStatus};

use super::DbResult;

/// Days the chart shows, today included.
pub const CHART_DAYS: i64 = 30;

/// A run to write. `status` and `trigger` are the schema's words.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub id: i64,
    pub assignment_id: i64,
    pub owner_id: i64,
    pub status: &'a str,
    pub trigger: &'a str,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub duration_ms: Option<i64>,
    pub summary: Option<&'a str>,
    pub result: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The time zone called `name`; UTC (with a warning) for a name the tz
/// database does not know, so the writer and the chart agree either way.
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or_else(|e| {
        tracing::warn!("unknown time zone {name:?} ({e}); counting days in UTC");
        TimeZone::UTC
    })
}

/// The owner's time zone, as stored on their row.
pub fn owner_zone(conn: &Connection, owner_id: i64) -> DbResult<TimeZone> {
    let name: Option<String> = conn
        .prepare_cached("SELECT timezone FROM users WHERE id = ?1")?
        .query_row([owner_id], |r| r.get(0))
        .optional()?;
    Ok(zone(name.as_deref().unwrap_or("UTC")))
}

/// The date `at` (seconds since the epoch) falls on in `zone`.
pub fn local_date(zone: &TimeZone, at: i64) -> Date {
    let ts = Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH);
    zone.to_datetime(ts).date()
}

/// Writes `run` and counts it on its owner's day (`zone` is the owner's).
/// Only succeeded and failed runs are counted: the chart shows those two.
pub fn insert(conn: &Connection, run: &NewRun<'_>, zone: &TimeZone) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO runs (id, assignment_id, owner_id, status, run_trigger, started_at, \
         finished_at, duration_ms, summary, result, error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        run.id,
        run.assignment_id,
        run.owner_id,
        run.status,
        run.trigger,
        run.started_at,
        run.finished_at,
        run.duration_ms,
        run.summary,
        run.result,
        run.error
    ])?;
    let (succeeded, failed) = match run.status {
        "succeeded" => (1, 0),
        "failed" => (0, 1),
        _ => return Ok(()),
    };
    conn.prepare_cached(
        "INSERT INTO run_days (owner_id, day, assignment_id, succeeded, failed) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (owner_id, day, assignment_id) DO UPDATE SET \
         succeeded = run_days.succeeded + excluded.succeeded, \
         failed = run_days.failed + excluded.failed",
    )?
    .execute(params![
        run.owner_id,
        local_date(zone, run.started_at).to_string(),
        run.assignment_id,
        succeeded,
        failed
    ])?;
    Ok(())
}

/// The chart: succeeded and failed runs of `owner_id` (of one assignment
/// when given) per day of the owner's time zone, over the
/// [`CHART_DAYS`] days up to the day of `now`, oldest first, every day
/// present. A status filter keeps only its own count (none for the
/// statuses the chart does not show).
pub fn daily(
    conn: &Connection,
    owner_id: i64,
    assignment_id: Option<i64>,
    status: Option<RunStatus>,
    now: i64,
) -> DbResult<Vec<DayCount>> {
    let zone = owner_zone(conn, owner_id)?;
    let today = local_date(&zone, now);
    let first = today.saturating_sub((CHART_DAYS - 1).days());
    let mut days: Vec<DayCount> = first
        .series(1.day())
        .take(CHART_DAYS as usize)
        .map(|d| DayCount {
            day: d.to_string(),
            succeeded: 0,
            failed: 0,
        })
        .collect();
    let (keep_succeeded, keep_failed) = match status {
        None => (true, true),
        Some(s) => (s == RunStatus::Succeeded, s == RunStatus::Failed),
    };
    if !keep_succeeded && !keep_failed {
        return Ok(days);
    }
    let mut st = conn.prepare_cached(
        "SELECT day, SUM(succeeded), SUM(failed) FROM run_days \
         WHERE owner_id = ?1 AND day BETWEEN ?2 AND ?3 \
           AND (?4 IS NULL OR assignment_id = ?4) \
         GROUP BY day",
    )?;
    let mut rows = st.query(params![
        owner_id,
        first.to_string(),
        today.to_string(),
        assignment_id
    ])?;
    while let Some(r) = rows.next()? {
        let day: String = r.get(0)?;
        // Days are YYYY-MM-DD, so text order is date order.
        if let Ok(i) = days.binary_search_by(|d| d.day.as_str().cmp(day.as_str())) {
            if keep_succeeded {
                days[i].succeeded = r.get(1)?;
            }
            if keep_failed {
                days[i].failed = r.get(2)?;
            }
        }
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `run_days` equals counting the runs directly, each on its owner's
    /// local date (computed here run by run).
    #[test]
    fn the_day_counts_are_the_runs_counted_on_their_owners_dates() {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        crate::seed::seed(&conn, crate::seed::SeedSize::Small, 1_790_000_000).unwrap();
        let mut direct = std::collections::BTreeMap::<(i64, String, i64), (i64, i64)>::new();
        let mut st = conn
            .prepare(
                "SELECT r.owner_id, r.assignment_id, r.started_at, r.status, u.timezone \
                 FROM runs r JOIN users u ON u.id = r.owner_id",
            )
            .unwrap();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let status: String = r.get(3).unwrap();
            let tz: String = r.get(4).unwrap();
            let day = local_date(&zone(&tz), r.get(2).unwrap()).to_string();
            let e = direct
                .entry((r.get(0).unwrap(), day, r.get(1).unwrap()))
                .or_default();
            match status.as_str() {
                "succeeded" => e.0 += 1,
                "failed" => e.1 += 1,
                _ => {}
            }
        }
        direct.retain(|_, v| *v != (0, 0));
        let kept: std::collections::BTreeMap<(i64, String, i64), (i64, i64)> = conn
            .prepare("SELECT owner_id, day, assignment_id, succeeded, failed FROM run_days")
            .unwrap()
            .query_map([], |r| {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?), (r.get(3)?, r.get(4)?)))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!direct.is_empty());
        assert_eq!(kept, direct);
    }

    /// A run just after local midnight counts on that local date, not on
    /// the UTC date (the day before, east of Greenwich).
    #[test]
    fn days_are_the_owners_local_dates() {
        let prague = zone("Europe/Prague");
        // 2026-07-01T00:30:00+02:00 is 2026-06-30T22:30:00Z.
        let at = 1_782_858_600;
        assert_eq!(local_date(&prague, at).to_string(), "2026-07-01");
        assert_eq!(local_date(&TimeZone::UTC, at).to_string(), "2026-06-30");
        assert_eq!(
            local_date(&zone("Not/A_Zone"), at).to_string(),
            "2026-06-30"
        );
    }
}
