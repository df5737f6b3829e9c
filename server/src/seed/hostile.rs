//! Hostile content for the escaping tests: an assignment of Mallory's whose
//! texts and run output carry markup, script and bidi controls. Written
//! last and without the seed's random numbers, so every other row is what
//! it would be without it.

use rusqlite::{params, Connection};

use super::DAY;
use crate::store::runs::{self, NewRun};
use crate::store::DbResult;

/// Mallory's assignment title: an element and a script handler, if rendered
/// as HTML rather than text.
pub const HOSTILE_TITLE: &str = "<img src=x onerror=alert(1)> Payroll \u{202E}tropxe\u{202C}";
/// The error and step output of Mallory's one run.
pub const HOSTILE_OUTPUT: &str =
    "<script>alert('run')</script><svg onload=alert(3)> \u{2067}isolate\u{2069} tail";

/// Writes assignment `asg` and run `run` (one step) for `mallory`, linked to
/// connection `connection`.
pub(super) fn write(
    conn: &Connection,
    mallory: i64,
    connection: i64,
    asg: i64,
    run: i64,
    now: i64,
) -> DbResult<()> {
    let config = serde_json::json!([["Note", "<img src=x onerror=alert(2)>"]]).to_string();
    conn.execute(
        "INSERT INTO assignments (id, owner_id, name, description, instructions, status, schedule, \
         configuration, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            asg,
            mallory,
            HOSTILE_TITLE,
            "<b>bold?</b> \u{200B}zero\u{200D}width and \u{202E}desrever\u{202C}",
            "<script>document.title='owned'</script> Follow the steps.",
            "active",
            "Every day at 06:00",
            config,
            now - 60 * DAY
        ],
    )?;
    conn.execute(
        "INSERT INTO assignment_connections (assignment_id, connection_id) VALUES (?1, ?2)",
        params![asg, connection],
    )?;
    runs::insert(
        conn,
        &NewRun {
            id: run,
            assignment_id: asg,
            owner_id: mallory,
            status: "failed",
            trigger: "schedule",
            started_at: now - 3_600,
            finished_at: Some(now - 3_540),
            duration_ms: Some(60_000),
            summary: Some("<i>Failed</i>: \u{202E}rorre"),
            result: None,
            error: Some(HOSTILE_OUTPUT),
        },
        &runs::owner_zone(conn, mallory)?,
    )?;
    conn.execute(
        "INSERT INTO run_steps (run_id, position, name, status, started_at, duration_ms, output) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            run,
            0,
            "Fetch <u>feed</u>",
            "failed",
            now - 3_600,
            60_000,
            HOSTILE_OUTPUT
        ],
    )?;
    Ok(())
}
