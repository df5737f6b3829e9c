//! Organisations and people: the fixed accounts of DESIGN.md, Mallory
//! and Dave (hostile name, disabled account), the generated users and the
//! support administrators of the load benchmarks.

use rusqlite::{params, Connection};

use super::data::{
    OrgSpec, FIRST, FIXED_ORGS, LAST, MORE_ORGS, ORG_ACME, ORG_DUVO, ORG_GLOBEX, ORG_INITECH,
    ORG_NORTHWIND,
};
use super::rng::Rng;
use super::{support_email, DAY, DEMO_PASSWORD, SUPPORT_AGENTS};
use crate::auth::{hash_password, HashCost};
use crate::store::{DbError, DbResult};

/// Writes the organisations (ids from 1, in the order of the fixed then the
/// extra list) and the partner's clients.
pub(super) fn orgs(
    conn: &Connection,
    rng: &mut Rng,
    full: bool,
) -> DbResult<Vec<&'static OrgSpec>> {
    let extra_orgs: &'static [OrgSpec] = if full {
        &MORE_ORGS[..]
    } else {
        &MORE_ORGS[..2]
    };
    let mut ins_org = conn.prepare(
        "INSERT INTO orgs (id, name, policy, timezone, settings) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut orgs: Vec<&'static OrgSpec> = Vec::new();
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
    }
    conn.execute(
        "INSERT INTO partner_clients (partner_org_id, client_org_id) VALUES (?1, ?2), (?1, ?3)",
        params![ORG_NORTHWIND, ORG_INITECH, ORG_GLOBEX],
    )?;
    Ok(orgs)
}

/// Who was written: everyone's count, the users who own assignments
/// (user id, org id), and Mallory's id.
pub(super) struct People {
    pub users: i64,
    pub owners: Vec<(i64, i64)>,
    pub mallory: i64,
}

pub(super) fn users(
    conn: &Connection,
    rng: &mut Rng,
    orgs: &[&OrgSpec],
    full: bool,
    now: i64,
) -> DbResult<People> {
    let cost = if full {
        HashCost::Standard
    } else {
        HashCost::Fast
    };
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
    Ok(People {
        users: next_user - 1,
        owners,
        mallory,
    })
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
