//! The demo data of DESIGN.md, generated in code and deterministic: the same
//! seed constant gives the same rows on every run (times are relative to the
//! moment of seeding, so the last 30 days are always full).

mod accounts;
mod assignments;
mod data;
mod hostile;
mod rng;
mod runs;

use rusqlite::Connection;

use crate::store::{DbError, DbResult};
pub use hostile::{HOSTILE_OUTPUT, HOSTILE_TITLE};
use rng::Rng;

pub const DEMO_PASSWORD: &str = "duvo-demo";
const SEED: u64 = 0x00D0_7E57_5EED_2026;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedSize {
    /// Thousands of users and 50,000+ runs: what `make run` serves.
    Full,
    /// The fixed accounts and a little of everything, for fast tests.
    Small,
}

/// How many generated support administrators the demo has
/// (support01..support60@duvo.example): one impersonator per concurrent
/// session for the load benchmarks, since each may run only one session.
pub const SUPPORT_AGENTS: usize = 60;

/// The largest `runs_scale` accepted: 20× the full seed is about a million
/// runs, already minutes of seeding.
pub const MAX_RUNS_SCALE: f64 = 20.0;

/// What to seed: the size, and a factor on the number of runs (everyone's,
/// Alice's included) so a store can be grown for the benchmarks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedOptions {
    pub size: SeedSize,
    /// 1.0: the normal counts. 0.1 on the full seed: ≈5,000 runs in all;
    /// 10: ≈510,000 (Alice ≈54,000).
    pub runs_scale: f64,
}

impl From<SeedSize> for SeedOptions {
    fn from(size: SeedSize) -> Self {
        SeedOptions {
            size,
            runs_scale: 1.0,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub orgs: i64,
    pub users: i64,
    pub connections: i64,
    pub assignments: i64,
    pub runs: i64,
    pub steps: i64,
}

/// True when the database holds no users (a fresh file).
pub fn is_empty(conn: &Connection) -> DbResult<bool> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
    Ok(n == 0)
}

/// Seeds an empty database. Runs inside the caller's transaction (the writer's).
pub fn seed(conn: &Connection, size: SeedSize, now: i64) -> DbResult<SeedReport> {
    seed_with(conn, size.into(), now)
}

/// [`seed`] with the runs scaled by `opts.runs_scale`. The parts draw from
/// one random sequence in this order, so the same seed gives the same rows.
pub fn seed_with(conn: &Connection, opts: SeedOptions, now: i64) -> DbResult<SeedReport> {
    if !(opts.runs_scale > 0.0 && opts.runs_scale <= MAX_RUNS_SCALE) {
        return Err(DbError::Other(format!(
            "runs scale {} is outside (0, {MAX_RUNS_SCALE}]",
            opts.runs_scale
        )));
    }
    let full = opts.size == SeedSize::Full;
    let mut rng = Rng::new(SEED);
    let orgs = accounts::orgs(conn, &mut rng, full)?;
    let people = accounts::users(conn, &mut rng, &orgs, full, now)?;
    let org_conns = assignments::connections(conn, &mut rng, orgs.len())?;
    let asgs = assignments::assignments(conn, &mut rng, &people.owners, &org_conns, full, now)?;
    let runs = runs::runs(conn, &mut rng, &asgs, opts, now)?;
    let acme_conn = org_conns
        .get(data::ORG_ACME as usize)
        .and_then(|c| c.first())
        .copied()
        .ok_or_else(|| DbError::Other("the seed gave Acme no connection".into()))?;
    let (hostile_asg, hostile_run) = (asgs.len() as i64 + 1, runs.runs + 1);
    hostile::write(
        conn,
        people.mallory,
        acme_conn,
        hostile_asg,
        hostile_run,
        now,
    )?;
    Ok(SeedReport {
        orgs: orgs.len() as i64,
        users: people.users,
        connections: org_conns.iter().map(|c| c.len() as i64).sum(),
        assignments: hostile_asg,
        runs: hostile_run,
        steps: runs.steps + 1,
    })
}

/// `support07@duvo.example` for 7.
pub fn support_email(n: usize) -> String {
    format!("support{n:02}@duvo.example")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(size: SeedSize) -> (Connection, SeedReport) {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let rep = seed(&conn, size, 1_790_000_000).unwrap();
        (conn, rep)
    }

    #[test]
    fn mallory_owns_the_hostile_assignment_and_run() {
        let (conn, _) = seeded(SeedSize::Small);
        let (title, output): (String, String) = conn
            .query_row(
                "SELECT a.name, r.error FROM assignments a JOIN runs r ON r.assignment_id = a.id \
                 JOIN users u ON u.id = a.owner_id WHERE u.email = 'mallory@acme.example'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(title, HOSTILE_TITLE);
        assert_eq!(output, HOSTILE_OUTPUT);
    }

    #[test]
    fn small_seed_has_the_fixed_accounts() {
        let (conn, rep) = seeded(SeedSize::Small);
        assert!(rep.runs >= 300);
        let alice: (i64, String) = conn
            .query_row(
                "SELECT id, name FROM users WHERE email = 'alice@acme.example'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(alice, (4, "Alice Novak".into()));
        let secrets: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM connections WHERE secret LIKE 'sk_live_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(secrets, rep.connections);
    }

    #[test]
    fn alice_has_thousands_of_runs_in_the_full_seed() {
        let (conn, rep) = seeded(SeedSize::Full);
        let alice: i64 = conn
            .query_row("SELECT COUNT(*) FROM runs WHERE owner_id = 4", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(alice >= 5_000, "{alice}");
        assert!(rep.runs >= 50_000 && rep.users >= 200 && rep.assignments >= 300);
        let orgs_with_users: i64 = conn
            .query_row("SELECT COUNT(DISTINCT org_id) FROM users", [], |r| r.get(0))
            .unwrap();
        assert!(orgs_with_users >= 10);
        let recent: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM runs WHERE owner_id = 4 AND started_at >= 1790000000 - 30 * 86400",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(recent >= 1_000, "{recent}");
    }

    #[test]
    fn support_agents_are_admins_sharing_one_hash() {
        let (conn, _) = seeded(SeedSize::Small);
        let (n, hashes, role): (i64, i64, String) = conn
            .query_row(
                "SELECT COUNT(*), COUNT(DISTINCT password_hash), MIN(role) FROM users \
                 WHERE email LIKE 'support__@duvo.example'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (n, hashes, role.as_str()),
            (SUPPORT_AGENTS as i64, 1, "admin")
        );
        let hash: String = conn
            .query_row(
                "SELECT password_hash FROM users WHERE email = ?1",
                [support_email(60)],
                |r| r.get(0),
            )
            .unwrap();
        assert!(crate::auth::verify_password(DEMO_PASSWORD, &hash));
        // The fixed accounts keep their ids.
        let alice: i64 = conn
            .query_row(
                "SELECT id FROM users WHERE email = 'alice@acme.example'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(alice, 4);
    }

    #[test]
    fn runs_scale_multiplies_everyones_runs() {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let opts = SeedOptions {
            size: SeedSize::Small,
            runs_scale: 3.0,
        };
        let big = seed_with(&conn, opts, 1_790_000_000).unwrap();
        let (_, normal) = seeded(SeedSize::Small);
        let ratio = big.runs as f64 / normal.runs as f64;
        assert!(
            (2.7..3.3).contains(&ratio),
            "{} vs {}",
            big.runs,
            normal.runs
        );
        let alice: i64 = conn
            .query_row("SELECT COUNT(*) FROM runs WHERE owner_id = 4", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(alice >= 900, "{alice}");
        let bad = SeedOptions {
            size: SeedSize::Small,
            runs_scale: 0.0,
        };
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        assert!(seed_with(&conn, bad, 0).is_err());
    }

    #[test]
    fn seed_is_deterministic() {
        let dump = |c: &Connection| -> Vec<String> {
            let mut st = c
                .prepare("SELECT email || name || role FROM users ORDER BY id")
                .unwrap();
            let mut v: Vec<String> = st
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            let mut st = c
                .prepare("SELECT secret FROM connections ORDER BY id")
                .unwrap();
            v.extend(
                st.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(|r| r.unwrap()),
            );
            let runs: String = c
                .query_row(
                    "SELECT group_concat(status || started_at, ',') FROM runs",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            v.push(runs);
            v
        };
        let (a, _) = seeded(SeedSize::Small);
        let (b, _) = seeded(SeedSize::Small);
        assert_eq!(dump(&a), dump(&b));
    }
}
