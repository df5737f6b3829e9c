//! Runs and their steps: spread over the last 90 days by how often each
//! assignment's schedule fires, a failed run's error being its failing
//! step's, every step with its log line.

use rusqlite::{params, Connection};

use super::assignments::Assignment;
use super::data::ERRORS;
use super::rng::Rng;
use super::{SeedOptions, DAY};
use crate::store::runs::{self, NewRun};
use crate::store::DbResult;

#[derive(Debug, Default)]
pub(super) struct RunsReport {
    pub runs: i64,
    pub steps: i64,
}

/// Writes the runs of `asgs` (ids from 1, each counted on its owner's day
/// by `store::runs::insert`) and their steps.
pub(super) fn runs(
    conn: &Connection,
    rng: &mut Rng,
    asgs: &[Assignment],
    opts: SeedOptions,
    now: i64,
) -> DbResult<RunsReport> {
    let full = opts.size == super::SeedSize::Full;
    let mut ins_step = conn.prepare(
        "INSERT INTO run_steps (run_id, position, name, status, started_at, duration_ms, output) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    // Drafts never run. Runs are spread by how often each schedule fires
    // (a 15-minute job runs far more than a monthly one), scaled so Alice
    // and everyone else reach their totals.
    let weight = |a: &Assignment| -> f64 {
        if a.3 == "draft" {
            0.0
        } else {
            schedule_weight(a.2.schedule)
        }
    };
    let alice_weight: f64 = asgs.iter().filter(|a| a.1 == 4).map(weight).sum();
    let other_weight: f64 = asgs.iter().filter(|a| a.1 != 4).map(weight).sum();
    let (alice_runs, other_runs) = if full {
        (5_400.0, 46_000.0)
    } else {
        (300.0, 400.0)
    };
    let (alice_runs, other_runs) = (alice_runs * opts.runs_scale, other_runs * opts.runs_scale);
    let mut rep = RunsReport::default();
    let mut next_run = 1i64;
    type Step<'s> = (i64, &'s str, &'s str, Option<i64>, Option<i64>, String);
    let mut steps: Vec<Step<'_>> = Vec::new();
    for a in asgs {
        let &(asg, owner, spec, status) = a;
        if status == "draft" {
            continue;
        }
        let zone = runs::owner_zone(conn, owner)?;
        let n = if owner == 4 {
            (alice_runs * weight(a) / alice_weight.max(1.0)).ceil() as i64
        } else {
            let n = (other_runs * weight(a) / other_weight.max(1.0)).ceil() as i64;
            n + rng.range(0, n / 4 + 1)
        };
        for k in 0..n {
            // The newest run of a few assignments is still in flight.
            let in_flight = k == 0 && rng.chance(15);
            let started = if in_flight {
                now - rng.range(5, 600)
            } else {
                now - rng.range(900, 90 * DAY)
            };
            let roll = rng.range(0, 100);
            let run_status = if in_flight {
                if rng.chance(50) {
                    "running"
                } else {
                    "queued"
                }
            } else if roll < 79 {
                "succeeded"
            } else if roll < 95 {
                "failed"
            } else {
                "cancelled"
            };
            let trigger = match rng.range(0, 10) {
                0 => "manual",
                1 => "api",
                _ => "schedule",
            };
            let failing_step =
                (run_status == "failed").then(|| rng.range(0, spec.steps.len() as i64));
            let mut t = started;
            let mut total_ms = 0i64;
            // Steps are written after their run (foreign key).
            steps.clear();
            for (pos, step) in spec.steps.iter().enumerate() {
                let pos = pos as i64;
                let ms = rng.range(300, 90_000);
                let (st, out): (&str, String) = match (run_status, failing_step) {
                    ("queued", _) => ("queued", String::new()),
                    ("running", _) if pos == 0 => ("running", format!("{step}: in progress…")),
                    ("running", _) => ("queued", String::new()),
                    ("cancelled", _) if pos > 0 => ("cancelled", "Skipped: run cancelled".into()),
                    (_, Some(f)) if pos == f => {
                        ("failed", format!("{step}: {}", rng.pick(&ERRORS)))
                    }
                    (_, Some(f)) if pos > f => {
                        ("cancelled", "Skipped after an earlier failure".into())
                    }
                    _ => (
                        "succeeded",
                        format!(
                            "{step}: processed {} records in {:.1} s",
                            rng.range(1, 5_000),
                            ms as f64 / 1000.0
                        ),
                    ),
                };
                let step_started = (st != "queued").then_some(t);
                let step_ms = matches!(st, "succeeded" | "failed").then_some(ms);
                steps.push((pos, *step, st, step_started, step_ms, out));
                if let Some(ms) = step_ms {
                    t += ms / 1000;
                    total_ms += ms;
                }
            }
            let finished = matches!(run_status, "succeeded" | "failed" | "cancelled");
            let error = failing_step.map(|_| rng.pick(&ERRORS).to_string());
            let (summary, result) = match run_status {
                "succeeded" => {
                    let n = rng.range(1, 2_500);
                    (
                        Some(format!("Completed: {n} items processed")),
                        Some(format!(
                            "All {} steps succeeded. {n} items processed, {} skipped as duplicates.",
                            spec.steps.len(),
                            rng.range(0, 40)
                        )),
                    )
                }
                "failed" => (Some("Failed: see the error".to_string()), None),
                "cancelled" => (Some("Cancelled by the owner".to_string()), None),
                _ => (None, None),
            };
            runs::insert(
                conn,
                &NewRun {
                    id: next_run,
                    assignment_id: asg,
                    owner_id: owner,
                    status: run_status,
                    trigger,
                    started_at: started,
                    finished_at: finished.then_some(started + total_ms / 1000),
                    duration_ms: finished.then_some(total_ms),
                    summary: summary.as_deref(),
                    result: result.as_deref(),
                    error: error.as_deref(),
                },
                &zone,
            )?;
            for (pos, step, st, step_started, step_ms, out) in steps.drain(..) {
                ins_step.execute(params![next_run, pos, step, st, step_started, step_ms, out])?;
                rep.steps += 1;
            }
            rep.runs += 1;
            next_run += 1;
        }
    }
    Ok(rep)
}

/// Relative run frequency of a schedule.
fn schedule_weight(schedule: &str) -> f64 {
    match schedule {
        s if s.contains("15 minutes") => 6.0,
        s if s.contains("30 minutes") => 4.0,
        s if s.contains("hour") => 3.0,
        s if s.contains("weekday") || s.starts_with("Every day") => 1.5,
        s if s.contains("quarter") => 0.05,
        s if s.contains("month") => 0.1,
        s if s.starts_with("Every ") => 0.4, // weekly: "Every Monday at …"
        _ => 0.0,
    }
}
