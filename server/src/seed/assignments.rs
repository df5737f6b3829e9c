//! Connections (each with a secret that must never reach the browser) and
//! the assignments that use them.

use rusqlite::{params, Connection};

use super::data::{
    AssignmentSpec, ALICE_ASSIGNMENTS, CONNECTION_KINDS, GENERIC_ASSIGNMENTS, ORG_ACME,
};
use super::rng::Rng;
use super::DAY;
use crate::store::DbResult;

/// A written assignment: (id, owner id, template, status).
pub(super) type Assignment = (i64, i64, &'static AssignmentSpec, &'static str);

/// Writes each organisation's connections (ids from 1); returns them by
/// organisation id (index 0 unused).
pub(super) fn connections(
    conn: &Connection,
    rng: &mut Rng,
    org_count: usize,
) -> DbResult<Vec<Vec<i64>>> {
    let mut ins_conn = conn.prepare(
        "INSERT INTO connections (id, org_id, kind, name, status, secret) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut org_conns: Vec<Vec<i64>> = vec![Vec::new(); org_count + 1];
    let mut next_conn = 1i64;
    for org in 1..=org_count as i64 {
        let n = if org == ORG_ACME { 6 } else { rng.range(3, 6) };
        let start = rng.range(0, CONNECTION_KINDS.len() as i64) as usize;
        for k in 0..n as usize {
            let (kind, name) = CONNECTION_KINDS[(start + k) % CONNECTION_KINDS.len()];
            let status = match rng.range(0, 20) {
                0 => "expired",
                1 => "error",
                _ => "connected",
            };
            let secret = format!("sk_live_{}", rng.hex(16));
            ins_conn.execute(params![next_conn, org, kind, name, status, secret])?;
            org_conns[org as usize].push(next_conn);
            next_conn += 1;
        }
    }
    Ok(org_conns)
}

/// Writes the assignments of `owners` (user id, org id), linked to their
/// organisation's connections `org_conns`.
pub(super) fn assignments(
    conn: &Connection,
    rng: &mut Rng,
    owners: &[(i64, i64)],
    org_conns: &[Vec<i64>],
    full: bool,
    now: i64,
) -> DbResult<Vec<Assignment>> {
    let mut ins_asg = conn.prepare(
        "INSERT INTO assignments (id, owner_id, name, description, instructions, status, schedule, \
         configuration, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut ins_link = conn.prepare(
        "INSERT INTO assignment_connections (assignment_id, connection_id) VALUES (?1, ?2)",
    )?;
    let mut asgs: Vec<Assignment> = Vec::new();
    let mut next_asg = 1i64;
    for &(owner, org) in owners {
        let specs: Vec<&AssignmentSpec> = match owner {
            4 => ALICE_ASSIGNMENTS.iter().collect(),
            5 | 6 => (0..4).map(|_| rng.pick(&GENERIC_ASSIGNMENTS)).collect(),
            _ => {
                let n = if full { rng.range(1, 3) } else { 1 };
                (0..n).map(|_| rng.pick(&GENERIC_ASSIGNMENTS)).collect()
            }
        };
        for spec in specs {
            let status = if spec.schedule == "Manual only" {
                "draft"
            } else if rng.chance(10) {
                "paused"
            } else {
                "active"
            };
            let conns = &org_conns[org as usize];
            let c1 = *rng.pick(conns);
            let c2 = *rng.pick(conns);
            let retries = rng.range(1, 4);
            let config = serde_json::json!([
                ["Source", format!("connection #{c1}")],
                [
                    "Retries",
                    if retries == 1 {
                        "once, 5 minutes later".to_string()
                    } else {
                        format!("{retries} times, 5 minutes apart")
                    }
                ],
                ["Timeout", format!("{} minutes", rng.range(5, 31))],
                [
                    "On failure",
                    *rng.pick(&["Email the owner", "Post to Slack", "Retry next run"])
                ],
            ])
            .to_string();
            let instructions = format!(
                "{} Work through the steps in order: {}. If a step fails, stop, keep the \
                 partial output and report the error in plain words. Never delete source files.",
                spec.description,
                spec.steps.join(", then ").to_lowercase()
            );
            ins_asg.execute(params![
                next_asg,
                owner,
                spec.name,
                spec.description,
                instructions,
                status,
                spec.schedule,
                config,
                now - rng.range(95 * DAY, 400 * DAY)
            ])?;
            ins_link.execute(params![next_asg, c1])?;
            if c2 != c1 {
                ins_link.execute(params![next_asg, c2])?;
            }
            asgs.push((next_asg, owner, spec, status));
            next_asg += 1;
        }
    }
    Ok(asgs)
}
