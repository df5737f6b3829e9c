//! The demo data of DESIGN.md, generated in code and deterministic: the same
//! seed constant gives the same rows on every run (times are relative to the
//! moment of seeding, so the last 30 days are always full).

mod rng;

use rusqlite::{params, Connection};

use crate::auth::{hash_password, HashCost};
use crate::store::{DbError, DbResult};
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

struct OrgSpec {
    name: &'static str,
    domain: &'static str,
    policy: &'static str,
    tz: &'static str,
}

const FIXED_ORGS: [OrgSpec; 5] = [
    OrgSpec {
        name: "Duvo",
        domain: "duvo.example",
        policy: "notify",
        tz: "Europe/Stockholm",
    },
    OrgSpec {
        name: "Northwind Partners",
        domain: "northwind.example",
        policy: "silent",
        tz: "Europe/Berlin",
    },
    OrgSpec {
        name: "Acme Logistics",
        domain: "acme.example",
        policy: "notify",
        tz: "Europe/Prague",
    },
    OrgSpec {
        name: "Globex Retail",
        domain: "globex.example",
        policy: "silent",
        tz: "America/New_York",
    },
    OrgSpec {
        name: "Initech",
        domain: "initech.example",
        policy: "notify",
        tz: "Asia/Singapore",
    },
];
const ORG_DUVO: i64 = 1;
const ORG_NORTHWIND: i64 = 2;
const ORG_ACME: i64 = 3;
const ORG_GLOBEX: i64 = 4;
const ORG_INITECH: i64 = 5;

const MORE_ORGS: [OrgSpec; 12] = [
    OrgSpec {
        name: "Umbra Freight",
        domain: "umbra.example",
        policy: "notify",
        tz: "Europe/Amsterdam",
    },
    OrgSpec {
        name: "Halden Foods",
        domain: "halden.example",
        policy: "silent",
        tz: "Europe/Oslo",
    },
    OrgSpec {
        name: "Kestrel Health",
        domain: "kestrel.example",
        policy: "notify",
        tz: "Europe/Dublin",
    },
    OrgSpec {
        name: "Marlow & Finch",
        domain: "marlowfinch.example",
        policy: "notify",
        tz: "Europe/London",
    },
    OrgSpec {
        name: "Solvik Energy",
        domain: "solvik.example",
        policy: "silent",
        tz: "Europe/Helsinki",
    },
    OrgSpec {
        name: "Pampas Textiles",
        domain: "pampas.example",
        policy: "notify",
        tz: "America/Argentina/Buenos_Aires",
    },
    OrgSpec {
        name: "Tidewater Insurance",
        domain: "tidewater.example",
        policy: "silent",
        tz: "America/Chicago",
    },
    OrgSpec {
        name: "Kowhai Media",
        domain: "kowhai.example",
        policy: "notify",
        tz: "Pacific/Auckland",
    },
    OrgSpec {
        name: "Baobab Clinics",
        domain: "baobab.example",
        policy: "notify",
        tz: "Africa/Nairobi",
    },
    OrgSpec {
        name: "Sakura Components",
        domain: "sakura.example",
        policy: "silent",
        tz: "Asia/Tokyo",
    },
    OrgSpec {
        name: "Vireo Software",
        domain: "vireo.example",
        policy: "notify",
        tz: "America/Los_Angeles",
    },
    OrgSpec {
        name: "Lumen Legal",
        domain: "lumenlegal.example",
        policy: "silent",
        tz: "Europe/Madrid",
    },
];

const FIRST: [&str; 40] = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Elias", "Maja", "Hugo", "Sofia", "Lucas", "Ingrid",
    "Mateo", "Aisha", "Kenji", "Zara", "Tomás", "Freya", "Ravi", "Chloé", "Jonas", "Leila",
    "Oskar", "Mei", "Diego", "Hanna", "Kwame", "Nora", "Anton", "Yuki", "Lars", "Fatima", "Pavel",
    "Isla", "Mohammed", "Greta", "Chen", "Beatriz", "Emil", "Amara", "Björn",
];
const LAST: [&str; 40] = [
    "Andersson",
    "Müller",
    "Rossi",
    "García",
    "Kowalski",
    "Nakamura",
    "Okonkwo",
    "Dubois",
    "Silva",
    "Jensen",
    "Novák",
    "Haddad",
    "Kim",
    "O'Brien",
    "Petrov",
    "Lindgren",
    "Santos",
    "Fischer",
    "Patel",
    "Ivanova",
    "Moreau",
    "Tanaka",
    "Nguyen",
    "Berg",
    "Costa",
    "Horvat",
    "Schmidt",
    "Virtanen",
    "Lopez",
    "Nielsen",
    "Adeyemi",
    "Wójcik",
    "Hansen",
    "Ferreira",
    "Yilmaz",
    "Murphy",
    "Svoboda",
    "Larsen",
    "Mendes",
    "Bauer",
];

const CONNECTION_KINDS: [(&str, &str); 10] = [
    ("sftp", "Warehouse SFTP"),
    ("salesforce", "Salesforce"),
    ("xero", "Xero accounting"),
    ("gmail", "Operations mailbox"),
    ("slack", "Slack #ops"),
    ("postgres", "Reporting database"),
    ("sharepoint", "SharePoint documents"),
    ("http", "Carrier rates API"),
    ("google_sheets", "Planning sheet"),
    ("hubspot", "HubSpot CRM"),
];

struct AssignmentSpec {
    name: &'static str,
    description: &'static str,
    schedule: &'static str,
    steps: &'static [&'static str],
}

const ALICE_ASSIGNMENTS: [AssignmentSpec; 10] = [
    AssignmentSpec {
        name: "Morning carrier rate sync",
        description: "Pulls today's carrier rates and updates the pricing sheet.",
        schedule: "Every weekday at 07:00",
        steps: &[
            "Fetch carrier rates",
            "Normalise currencies",
            "Update pricing sheet",
        ],
    },
    AssignmentSpec {
        name: "Daily shipment reconciliation",
        description:
            "Matches yesterday's shipments against carrier invoices and flags differences.",
        schedule: "Every day at 06:30",
        steps: &[
            "Download shipment manifest",
            "Match invoices",
            "Flag differences",
            "Email summary",
        ],
    },
    AssignmentSpec {
        name: "Weekly invoice export to Xero",
        description: "Exports approved invoices to Xero as drafts.",
        schedule: "Every Monday at 09:00",
        steps: &[
            "Collect approved invoices",
            "Create Xero drafts",
            "Post confirmation to Slack",
        ],
    },
    AssignmentSpec {
        name: "Customs document check",
        description: "Checks new customs declarations for missing HS codes.",
        schedule: "Every hour",
        steps: &[
            "List new declarations",
            "Check HS codes",
            "Open follow-up tasks",
        ],
    },
    AssignmentSpec {
        name: "Driver timesheet import",
        description: "Imports driver timesheets from the shared folder.",
        schedule: "Every day at 18:00",
        steps: &[
            "Read timesheets",
            "Validate hours",
            "Write to payroll database",
        ],
    },
    AssignmentSpec {
        name: "Late delivery alerts",
        description:
            "Warns customers whose delivery is running late. Tags: <b>priority</b> & \"urgent\".",
        schedule: "Every 15 minutes",
        steps: &[
            "Query open deliveries",
            "Predict delays",
            "Send customer emails",
        ],
    },
    AssignmentSpec {
        name: "Warehouse stock snapshot",
        description: "Saves a stock snapshot for the monthly audit.",
        schedule: "Every day at 23:00",
        steps: &[
            "Connect to warehouse SFTP",
            "Download stock levels",
            "Store snapshot",
        ],
    },
    AssignmentSpec {
        name: "Monthly KPI report",
        description: "Builds the on-time-delivery KPI deck for management.",
        schedule: "On the 1st of each month at 08:00",
        steps: &[
            "Aggregate deliveries",
            "Render charts",
            "Upload to SharePoint",
            "Notify management",
        ],
    },
    AssignmentSpec {
        name: "Returns intake triage",
        description: "Sorts incoming return requests by reason and urgency.",
        schedule: "Every 30 minutes",
        steps: &["Read returns mailbox", "Classify requests", "Update CRM"],
    },
    AssignmentSpec {
        name: "Fuel surcharge update (draft)",
        description: "Draft: recalculates fuel surcharges from the diesel index.",
        schedule: "Manual only",
        steps: &["Fetch diesel index", "Recalculate surcharges"],
    },
];

const GENERIC_ASSIGNMENTS: [AssignmentSpec; 12] = [
    AssignmentSpec {
        name: "Lead enrichment",
        description: "Adds company size and industry to new CRM leads.",
        schedule: "Every hour",
        steps: &["Fetch new leads", "Look up companies", "Update CRM"],
    },
    AssignmentSpec {
        name: "Invoice chasing",
        description: "Sends polite reminders for overdue invoices.",
        schedule: "Every weekday at 10:00",
        steps: &["List overdue invoices", "Draft reminders", "Send emails"],
    },
    AssignmentSpec {
        name: "Weekly sales digest",
        description: "Summarises the week's deals for the sales channel.",
        schedule: "Every Friday at 16:00",
        steps: &["Query closed deals", "Summarise", "Post to Slack"],
    },
    AssignmentSpec {
        name: "Support inbox routing",
        description: "Routes support emails to the right queue.",
        schedule: "Every 15 minutes",
        steps: &["Read inbox", "Classify", "Assign to queue"],
    },
    AssignmentSpec {
        name: "Contract renewal watch",
        description: "Lists contracts expiring within 60 days.",
        schedule: "Every Monday at 08:00",
        steps: &["Scan contracts", "Compute renewal dates", "Create tasks"],
    },
    AssignmentSpec {
        name: "Expense report check",
        description: "Checks expense reports against the travel policy.",
        schedule: "Every day at 07:30",
        steps: &[
            "Download reports",
            "Apply policy rules",
            "Flag exceptions",
            "Notify approvers",
        ],
    },
    AssignmentSpec {
        name: "Inventory reorder",
        description: "Proposes purchase orders when stock falls below the threshold.",
        schedule: "Every day at 05:00",
        steps: &[
            "Read stock levels",
            "Compare thresholds",
            "Draft purchase orders",
        ],
    },
    AssignmentSpec {
        name: "Candidate screening notes",
        description: "Summarises new applications for the hiring team.",
        schedule: "Every weekday at 12:00",
        steps: &[
            "Fetch applications",
            "Summarise CVs",
            "Share with hiring team",
        ],
    },
    AssignmentSpec {
        name: "Patient reminder calls list",
        description: "Prepares tomorrow's appointment reminder list.",
        schedule: "Every day at 17:00",
        steps: &[
            "Query appointments",
            "Build call list",
            "Upload to SharePoint",
        ],
    },
    AssignmentSpec {
        name: "Bank statement import",
        description: "Imports bank statements and matches payments.",
        schedule: "Every weekday at 06:00",
        steps: &[
            "Download statements",
            "Match payments",
            "Post journal entries",
        ],
    },
    AssignmentSpec {
        name: "Social mentions monitor",
        description: "Collects brand mentions and scores sentiment.",
        schedule: "Every hour",
        steps: &["Collect mentions", "Score sentiment", "Post highlights"],
    },
    AssignmentSpec {
        name: "Quarterly compliance pack",
        description: "Gathers evidence for the quarterly compliance review.",
        schedule: "On the 1st of each quarter at 09:00",
        steps: &[
            "Collect evidence",
            "Check completeness",
            "Compile pack",
            "Email compliance officer",
        ],
    },
];

const ERRORS: [&str; 8] = [
    "Timeout after 300 s waiting for the remote server to respond",
    "HTTP 429 Too Many Requests from the API; retry budget exhausted",
    "Authentication failed for the connection: token expired",
    "CSV parse error at line 1,284: expected 9 columns, found 7",
    "Mailbox quota exceeded; 3 messages could not be sent",
    "Remote file not found: /outbound/manifest.csv",
    "Validation failed: 12 rows with missing customer numbers",
    "Connection reset by peer during upload",
];

/// Seeds an empty database. Runs inside the caller's transaction (the writer's).
pub fn seed(conn: &Connection, size: SeedSize, now: i64) -> DbResult<SeedReport> {
    seed_with(conn, size.into(), now)
}

/// [`seed`] with the runs scaled by `opts.runs_scale`.
pub fn seed_with(conn: &Connection, opts: SeedOptions, now: i64) -> DbResult<SeedReport> {
    if !(opts.runs_scale > 0.0 && opts.runs_scale <= MAX_RUNS_SCALE) {
        return Err(DbError::Other(format!(
            "runs scale {} is outside (0, {MAX_RUNS_SCALE}]",
            opts.runs_scale
        )));
    }
    let size = opts.size;
    let mut rng = Rng::new(SEED);
    let mut rep = SeedReport::default();
    let full = size == SeedSize::Full;
    let cost = if full {
        HashCost::Standard
    } else {
        HashCost::Fast
    };

    // ---- organisations
    let extra_orgs = if full {
        &MORE_ORGS[..]
    } else {
        &MORE_ORGS[..2]
    };
    let mut ins_org = conn.prepare(
        "INSERT INTO orgs (id, name, policy, timezone, settings) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut orgs: Vec<&OrgSpec> = Vec::new();
    for (i, o) in FIXED_ORGS.iter().chain(extra_orgs.iter()).enumerate() {
        let id = i as i64 + 1;
        let settings = serde_json::json!([
            [
                "Default language",
                if o.tz.starts_with("Europe") {
                    "English (UK)"
                } else {
                    "English (US)"
                }
            ],
            ["Run history kept", "90 days"],
            [
                "New assignments need approval",
                if rng.chance(50) { "Yes" } else { "No" }
            ],
            ["Failure alerts to", format!("ops@{}", o.domain)],
            ["Working hours", "08:00–18:00"],
        ])
        .to_string();
        ins_org.execute(params![id, o.name, o.policy, o.tz, settings])?;
        orgs.push(o);
        rep.orgs += 1;
    }
    conn.execute(
        "INSERT INTO partner_clients (partner_org_id, client_org_id) VALUES (?1, ?2), (?1, ?3)",
        params![ORG_NORTHWIND, ORG_INITECH, ORG_GLOBEX],
    )?;

    // ---- users
    let mut ins_user = conn.prepare(
        "INSERT INTO users (id, org_id, email, name, role, disabled, timezone, password_hash, \
         last_active, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let fixed: [(&str, &str, &str, i64, &str); 6] = [
        (
            "admin@duvo.example",
            "Ada Lindqvist",
            "admin",
            ORG_DUVO,
            "Europe/Stockholm",
        ),
        (
            "support@duvo.example",
            "Sam Okafor",
            "admin",
            ORG_DUVO,
            "Europe/London",
        ),
        (
            "partner@northwind.example",
            "Priya Raman",
            "partner",
            ORG_NORTHWIND,
            "Europe/Berlin",
        ),
        (
            "alice@acme.example",
            "Alice Novak",
            "user",
            ORG_ACME,
            "Europe/Prague",
        ),
        (
            "bob@globex.example",
            "Bob Martins",
            "user",
            ORG_GLOBEX,
            "America/New_York",
        ),
        (
            "carol@initech.example",
            "Carol Chen",
            "user",
            ORG_INITECH,
            "Asia/Singapore",
        ),
    ];
    let mut next_user = 1i64;
    // Users who own assignments: (user id, org id).
    let mut owners: Vec<(i64, i64)> = Vec::new();
    for (email, name, role, org, tz) in fixed {
        let hash = hash_password(DEMO_PASSWORD, &rng.bytes16(), cost).map_err(DbError::Other)?;
        let last = now - rng.range(3_600, 3 * DAY);
        ins_user.execute(params![
            next_user,
            org,
            email,
            name,
            role,
            0,
            tz,
            hash,
            last,
            now - 400 * DAY
        ])?;
        if role == "user" {
            owners.push((next_user, org));
        }
        next_user += 1;
    }
    // Hostile display name (escaping and bidi tests) and a disabled account.
    let mallory = next_user;
    ins_user.execute(params![
        next_user,
        ORG_ACME,
        "mallory@acme.example",
        "Mal <b>lory</b> \u{202E}nimda\u{202C}",
        "user",
        0,
        "Europe/Prague",
        Option::<String>::None,
        now - 5 * DAY,
        now - 200 * DAY
    ])?;
    next_user += 1;
    ins_user.execute(params![
        next_user,
        ORG_ACME,
        "dave.disabled@acme.example",
        "Dave Dormant",
        "user",
        1,
        "Europe/Prague",
        Option::<String>::None,
        now - 120 * DAY,
        now - 300 * DAY
    ])?;
    next_user += 1;
    let generated = if full { 230 } else { 12 };
    let client_orgs: Vec<i64> = (ORG_ACME..=orgs.len() as i64).collect();
    for i in 0..generated {
        let org = client_orgs[i % client_orgs.len()];
        let spec = orgs[(org - 1) as usize];
        let first = *rng.pick(&FIRST);
        let last = *rng.pick(&LAST);
        let email = format!(
            "{}.{}{}@{}",
            ascii_slug(first),
            ascii_slug(last),
            i,
            spec.domain
        );
        let disabled = i64::from(rng.chance(4));
        let last_active = rng.chance(90).then(|| now - rng.range(600, 60 * DAY));
        ins_user.execute(params![
            next_user,
            org,
            email,
            format!("{first} {last}"),
            "user",
            disabled,
            spec.tz,
            Option::<String>::None,
            last_active,
            now - rng.range(100 * DAY, 700 * DAY)
        ])?;
        owners.push((next_user, org));
        next_user += 1;
    }
    // Support administrators for the load benchmarks. Added last and without
    // drawing from `rng`, so every other row is what it was before them.
    // One argon2 hash, shared: hashing 60 passwords would be most of the
    // seed's time, and they are all the demo password anyway.
    let support_hash =
        hash_password(DEMO_PASSWORD, b"viewas-support-a", cost).map_err(DbError::Other)?;
    for n in 1..=SUPPORT_AGENTS {
        ins_user.execute(params![
            next_user,
            ORG_DUVO,
            support_email(n),
            format!("Support Agent {n:02}"),
            "admin",
            0,
            "Europe/London",
            support_hash,
            Option::<i64>::None,
            now - 30 * DAY
        ])?;
        next_user += 1;
    }
    rep.users = next_user - 1;

    // ---- connections, per organisation
    let mut ins_conn = conn.prepare(
        "INSERT INTO connections (id, org_id, kind, name, status, secret) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut org_conns: Vec<Vec<i64>> = vec![Vec::new(); orgs.len() + 1];
    let mut next_conn = 1i64;
    for org in 1..=orgs.len() as i64 {
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
    rep.connections = next_conn - 1;

    // ---- assignments
    let mut ins_asg = conn.prepare(
        "INSERT INTO assignments (id, owner_id, name, description, instructions, status, schedule, \
         configuration, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut ins_link = conn.prepare(
        "INSERT INTO assignment_connections (assignment_id, connection_id) VALUES (?1, ?2)",
    )?;
    // (assignment id, owner id, spec, status)
    let mut asgs: Vec<(i64, i64, &AssignmentSpec, &str)> = Vec::new();
    let mut next_asg = 1i64;
    for &(owner, org) in &owners {
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
    rep.assignments = next_asg - 1;

    // ---- runs and their steps
    let mut ins_run = conn.prepare(
        "INSERT INTO runs (id, assignment_id, owner_id, status, run_trigger, started_at, \
         finished_at, duration_ms, summary, result, error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut ins_step = conn.prepare(
        "INSERT INTO run_steps (run_id, position, name, status, started_at, duration_ms, output) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    // Drafts never run. Runs are spread by how often each schedule fires
    // (a 15-minute job runs far more than a monthly one), scaled so Alice
    // and everyone else reach their totals.
    let weight = |a: &(i64, i64, &AssignmentSpec, &str)| -> f64 {
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
    let mut next_run = 1i64;
    type Step<'s> = (i64, &'s str, &'s str, Option<i64>, Option<i64>, String);
    let mut steps: Vec<Step<'_>> = Vec::new();
    for a in &asgs {
        let &(asg, owner, spec, status) = a;
        if status == "draft" {
            continue;
        }
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
            ins_run.execute(params![
                next_run,
                asg,
                owner,
                run_status,
                trigger,
                started,
                finished.then_some(started + total_ms / 1000),
                finished.then_some(total_ms),
                summary,
                result,
                error
            ])?;
            for (pos, step, st, step_started, step_ms, out) in steps.drain(..) {
                ins_step.execute(params![next_run, pos, step, st, step_started, step_ms, out])?;
                rep.steps += 1;
            }
            rep.runs += 1;
            next_run += 1;
        }
    }

    // ---- hostile content for the escaping tests: an assignment of
    // Mallory's whose texts and run output carry markup, script and bidi
    // controls. Added last and without `rng`, so the rest is unchanged.
    let acme_conn = org_conns[ORG_ACME as usize][0];
    ins_asg.execute(params![
        next_asg,
        mallory,
        HOSTILE_TITLE,
        "<b>bold?</b> \u{200B}zero\u{200D}width and \u{202E}desrever\u{202C}",
        "<script>document.title='owned'</script> Follow the steps.",
        "active",
        "Every day at 06:00",
        serde_json::json!([["Note", "<img src=x onerror=alert(2)>"]]).to_string(),
        now - 60 * DAY
    ])?;
    ins_link.execute(params![next_asg, acme_conn])?;
    rep.assignments += 1;
    ins_run.execute(params![
        next_run,
        next_asg,
        mallory,
        "failed",
        "schedule",
        now - 3_600,
        now - 3_540,
        60_000,
        "<i>Failed</i>: \u{202E}rorre",
        Option::<String>::None,
        HOSTILE_OUTPUT
    ])?;
    ins_step.execute(params![
        next_run,
        0,
        "Fetch <u>feed</u>",
        "failed",
        now - 3_600,
        60_000,
        HOSTILE_OUTPUT
    ])?;
    rep.runs += 1;
    rep.steps += 1;
    Ok(rep)
}

/// Mallory's assignment title: an element and a script handler, if rendered
/// as HTML rather than text.
pub const HOSTILE_TITLE: &str = "<img src=x onerror=alert(1)> Payroll \u{202E}tropxe\u{202C}";
/// The error and step output of Mallory's one run.
pub const HOSTILE_OUTPUT: &str =
    "<script>alert('run')</script><svg onload=alert(3)> \u{2067}isolate\u{2069} tail";

/// `support07@duvo.example` for 7.
pub fn support_email(n: usize) -> String {
    format!("support{n:02}@duvo.example")
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

fn ascii_slug(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' => 'i',
            'ó' | 'ö' | 'ô' => 'o',
            'ú' | 'ü' => 'u',
            'ñ' => 'n',
            'ł' => 'l',
            'ø' => 'o',
            _ => c.to_ascii_lowercase(),
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
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
