//! The authorisation matrix, generated from the route tables the server
//! registers its routes from (`http::api_routes()` and
//! `viewas_api::VIEW_ROUTES`) × every kind of caller × every method. The
//! expected answer of each cell is written once, in [`EXPECTED`] and
//! [`OTHER_METHODS`]; the test fails on any cell that differs and on any
//! route missing from the table (or listed but gone). A route cannot be
//! served without being in the route table: `http::routes::api_router`
//! registers the table and nothing else.
//! Every cell runs on its own copy of one prepared database, so a write in
//! one cell cannot change the answer of another.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::Method;
use common::*;
use serde_json::{json, Value};
use viewas_server::http::api_routes;
use viewas_server::Settings;

/// Callers, in the column order of the tables.
const PRINCIPALS: [&str; 11] = [
    "anon", "garbled", "user", "admin", "p_in", "p_out", "imp", "ended", "expired", "revoked",
    "other",
];

// Legend. Callers:
//   anon     no Authorization header
//   garbled  `Bearer` with a token no server gave out
//   user     carol (role user), sign-in token
//   admin    admin@duvo.example; has an active session (`imp`) on Alice
//   p_in     the partner aiming in scope: its own (expired) session, Carol (Initech)
//   p_out    the partner aiming out of scope: the admin's session, Alice (Acme)
//   imp      the admin's impersonation token of the active session on Alice, on that session
//   ended    impersonation token of a session its impersonator ended, on that session
//   expired  impersonation token of a session past its maximum, on that session
//   revoked  impersonation token of a session ended because its impersonator was disabled
//   other    impersonation token of another active session (also on Alice), aimed at `imp`'s session
// `{id}` (and `session_id=` of /api/audit/events) is that session for /api/impersonations/*, Bob for /api/admin/users/*,
// and one of Alice's assignments or runs for /api/view/*. The start body
// names Carol for p_in and Alice for everyone else.
// Answers: the status, with the error code for 401 and 403:
//   401u unauthorized · 401e session_ended · 403n not_allowed · 403r read_only
//   200s a 200 with the session's state only (`{id, status, end_reason}`): a
//        dead token within a minute of its session's end
// A dead impersonation token (ended, expired) never reads its session's
// record nor ends it.
const EXPECTED: &str = "
route                                   anon garbled user admin p_in p_out imp  ended expired revoked other
GET /api/audit/events                   401u 401u    403n 200   200  403n  403n 403n  403n    403n    403n
GET /api/audit/sessions                 401u 401u    403n 200   200  200   403n 403n  403n    403n    403n
GET /api/audit/verify                   401u 401u    403n 200   403n 403n  403n 403n  403n    403n    403n
GET /api/config                         200  200     200  200   200  200   200  200   200     200     200
GET /api/health                         200  200     200  200   200  200   200  200   200     200     200
GET /api/impersonations/{id}            401u 401u    403n 200   200  403n  200  200s  401e    401u    403n
GET /api/me                             401u 401u    200  200   200  200   403n 403n  403n    403n    403n
GET /api/me/access-history              401u 401u    200  200   200  200   403n 403n  403n    403n    403n
GET /api/users                          401u 401u    403n 200   200  200   403n 403n  403n    403n    403n
GET /api/view/assignments               401u 401u    403n 403n  403n 403n  200  401e  401e    401e    200
GET /api/view/assignments/{id}          401u 401u    403n 403n  403n 403n  200  401e  401e    401e    200
GET /api/view/runs                      401u 401u    403n 403n  403n 403n  200  401e  401e    401e    200
GET /api/view/runs/{id}                 401u 401u    403n 403n  403n 403n  200  401e  401e    401e    200
GET /api/view/workspace                 401u 401u    403n 403n  403n 403n  200  401e  401e    401e    200
POST /api/admin/users/{id}/disable      401u 401u    403n 200   403n 403n  403n 403n  403n    403n    403n
POST /api/admin/users/{id}/enable       401u 401u    403n 200   403n 403n  403n 403n  403n    403n    403n
POST /api/admin/users/{id}/role         401u 401u    403n 200   403n 403n  403n 403n  403n    403n    403n
POST /api/auth/login                    200  200     200  200   200  200   200  200   200     200     200
POST /api/auth/logout                   401u 401u    204  204   204  204   403n 403n  403n    403n    403n
POST /api/impersonations                401u 401u    403n 409   201  403n  403n 403n  403n    403n    403n
POST /api/impersonations/{id}/end       401u 401u    403n 200   200  403n  200  401e  401e    401u    403n
POST /api/impersonations/{id}/export    401u 401u    403n 200   200  403n  403n 403n  403n    403n    403n
POST /api/impersonations/{id}/notes     401u 401u    403n 201   201  403n  201  401e  401e    401u    403n
";

/// Methods a route does not have, by kind of path (same caller columns):
/// a write an active session's token tries is refused as one (DESIGN 2(c)).
const OTHER_METHODS: &str = "
kind                                    anon garbled user admin p_in p_out imp  ended expired revoked other
api-get                                 405  405     405  405   405  405   405  405   405     405     405
api-write                               405  405     405  405   405  405   403r 405   405     405     403r
view                                    401u 401u    403n 403n  403n 403n  403r 401e  401e    401e    403r
";

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

struct Fixture {
    template: tempfile::TempDir,
    now: i64,
    tokens: BTreeMap<&'static str, String>,
    /// Session id each caller aims `/api/impersonations/{id}` at.
    sessions: BTreeMap<&'static str, i64>,
    carol: i64,
    alice: i64,
    bob: i64,
    assignment: i64,
    run: i64,
}

async fn fixture() -> Fixture {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let partner = t.login(PARTNER).await;
    let carol_login = t.login(CAROL).await;
    let s1 = t.login("support01@duvo.example").await;
    let s3 = t.login("support03@duvo.example").await;

    // The partner's session on Carol, then 31 minutes pass: it expires.
    let (p_exp, p_exp_tok) = t.start(&partner, CAROL).await;
    t.clock.advance(31 * 60);
    viewas_server::sweep_once(&t.state).await.unwrap();

    let (a, a_tok) = t.start(&admin, ALICE).await;
    let (e, e_tok) = t.start(&support, BOB).await;
    let r = t
        .post(&format!("/api/impersonations/{e}/end"), &support, json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (rv, rv_tok) = t.start(&s1, ALICE).await;
    let s1_id = t.user_id("support01@duvo.example");
    let r = t
        .post(
            &format!("/api/admin/users/{s1_id}/disable"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, o_tok) = t.start(&s3, ALICE).await;

    let alice = t.user_id(ALICE);
    let assignment = t.count(&format!(
        "SELECT MIN(id) FROM assignments WHERE owner_id = {alice}"
    ));
    let run = t.count(&format!(
        "SELECT MIN(id) FROM runs WHERE owner_id = {alice}"
    ));
    let template = tempfile::tempdir().unwrap();
    t.snapshot_to(&template.path().join("template.db"));

    let tokens = BTreeMap::from([
        ("garbled", "0123456789abcdef.not-a-secret".to_string()),
        ("user", carol_login),
        ("admin", admin.clone()),
        ("p_in", partner.clone()),
        ("p_out", partner),
        ("imp", a_tok),
        ("ended", e_tok),
        ("expired", p_exp_tok),
        ("revoked", rv_tok),
        ("other", o_tok),
    ]);
    let sessions = BTreeMap::from([
        ("anon", a),
        ("garbled", a),
        ("user", a),
        ("admin", a),
        ("p_in", p_exp),
        ("p_out", a),
        ("imp", a),
        ("ended", e),
        ("expired", p_exp),
        ("revoked", rv),
        ("other", a),
    ]);
    Fixture {
        now: t.state.now(),
        template,
        tokens,
        sessions,
        carol: t.user_id(CAROL),
        alice,
        bob: t.user_id(BOB),
        assignment,
        run,
    }
}

impl Fixture {
    fn path(&self, pattern: &str, who: &str) -> String {
        let id = if pattern.starts_with("/api/impersonations/") {
            self.sessions[who]
        } else if pattern.starts_with("/api/admin/users/") {
            self.bob
        } else if pattern.starts_with("/api/view/assignments/") {
            self.assignment
        } else if pattern.starts_with("/api/view/runs/") {
            self.run
        } else {
            0
        };
        let path = pattern.replace("{id}", &id.to_string());
        if pattern == "/api/audit/events" {
            // Partners may read the events of their own sessions only.
            return format!("{path}?session_id={}", self.sessions[who]);
        }
        path
    }

    fn body(&self, method: &str, pattern: &str, who: &str) -> Option<Value> {
        if method == "GET" {
            return None;
        }
        Some(match pattern {
            "/api/auth/login" => json!({"email": BOB, "password": PASSWORD}),
            "/api/impersonations" => json!({
                "user_id": if who == "p_in" { self.carol } else { self.alice },
                "reason_category": "support_request",
                "reason": REASON,
            }),
            "/api/impersonations/{id}/notes" => json!({"text": "A note from the matrix"}),
            "/api/admin/users/{id}/role" => json!({"role": "user"}),
            _ => json!({}),
        })
    }

    async fn app(&self) -> TestApp {
        TestApp::from_template(
            &self.template.path().join("template.db"),
            self.now,
            Settings::default(),
        )
        .await
    }
}

/// `200`, or `403n` for a 403 with `not_allowed`.
fn answer(r: &Resp) -> String {
    let s = r.status.as_u16();
    let state_only = r.body.as_object().is_some_and(|o| {
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys == ["end_reason", "id", "status"]
    });
    if s == 200 && state_only {
        return "200s".into();
    }
    let suffix = match (s, r.code()) {
        (401, "unauthorized") => "u",
        (401, "session_ended") => "e",
        (403, "not_allowed") => "n",
        (403, "read_only") => "r",
        (401 | 403, other) => return format!("{s}?{other}"),
        _ => "",
    };
    format!("{s}{suffix}")
}

fn parse_table(table: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for line in table
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .skip(1)
    {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let (key, answers) = if cells[0].chars().all(|c| c.is_ascii_uppercase()) {
            (format!("{} {}", cells[0], cells[1]), &cells[2..])
        } else {
            (cells[0].to_string(), &cells[1..])
        };
        assert_eq!(
            answers.len(),
            PRINCIPALS.len(),
            "row {key} has {} cells",
            answers.len()
        );
        assert!(
            out.insert(key.clone(), answers.iter().map(|s| s.to_string()).collect())
                .is_none(),
            "row {key} twice"
        );
    }
    out
}

fn all_routes() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = api_routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    v.extend(
        viewas_api::VIEW_ROUTES
            .iter()
            .map(|r| ("GET".to_string(), r.pattern.to_string())),
    );
    v
}

async fn send(t: &TestApp, f: &Fixture, method: &str, pattern: &str, who: &str) -> Resp {
    let path = f.path(pattern, who);
    let token = f.tokens.get(who).map(String::as_str);
    let body = f.body(method, pattern, who);
    t.call(method.parse::<Method>().unwrap(), &path, token, body)
        .await
}

fn render(rows: &BTreeMap<String, Vec<String>>, first: &str) -> String {
    let mut s = format!("{first:<44}");
    for p in PRINCIPALS {
        s.push_str(&format!("{p:<6}"));
    }
    s.push('\n');
    for (k, cells) in rows {
        s.push_str(&format!("{k:<44}"));
        for c in cells {
            s.push_str(&format!("{c:<6}"));
        }
        s.push('\n');
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_every_caller_every_method() {
    let f = fixture().await;
    let expected = parse_table(EXPECTED);
    let routes = all_routes();

    // The table and the route tables name the same routes.
    let listed: BTreeSet<String> = routes.iter().map(|(m, p)| format!("{m} {p}")).collect();
    let tabled: BTreeSet<String> = expected.keys().cloned().collect();
    let missing: Vec<_> = listed.difference(&tabled).collect();
    let stale: Vec<_> = tabled.difference(&listed).collect();

    // Each route's own method, each caller, on a fresh copy.
    let mut observed = BTreeMap::new();
    for (method, pattern) in &routes {
        let mut row = Vec::new();
        for who in PRINCIPALS {
            let t = f.app().await;
            row.push(answer(&send(&t, &f, method, pattern, who).await));
        }
        observed.insert(format!("{method} {pattern}"), row);
    }

    // Every other method, by kind of path. These change nothing but the
    // audit trail, so one copy serves each path (blocked attempts recorded
    // one by one are limited per session and minute).
    let other_expected = parse_table(OTHER_METHODS);
    let mut other_failures = Vec::new();
    let paths: BTreeSet<&str> = routes.iter().map(|(_, p)| p.as_str()).collect();
    for pattern in paths {
        let t = f.app().await;
        let own: Vec<&str> = routes
            .iter()
            .filter(|(_, p)| p == pattern)
            .map(|(m, _)| m.as_str())
            .collect();
        for method in METHODS.iter().filter(|m| !own.contains(m)) {
            let kind = if pattern.starts_with("/api/view/") {
                "view"
            } else if *method == "GET" {
                "api-get"
            } else {
                "api-write"
            };
            for (i, who) in PRINCIPALS.iter().enumerate() {
                let got = answer(&send(&t, &f, method, pattern, who).await);
                let want = &other_expected[kind][i];
                if &got != want {
                    other_failures.push(format!("{method} {pattern} as {who}: {got}, want {want}"));
                }
            }
        }
    }

    let mut diffs = Vec::new();
    for (route, row) in &observed {
        if let Some(want) = expected.get(route) {
            for (i, (got, want)) in row.iter().zip(want).enumerate() {
                if got != want {
                    diffs.push(format!("{route} as {}: {got}, want {want}", PRINCIPALS[i]));
                }
            }
        }
    }
    if std::env::var_os("VIEWAS_MATRIX_PRINT").is_some() {
        println!("{}", render(&observed, "route"));
    }
    assert!(
        missing.is_empty() && stale.is_empty() && diffs.is_empty() && other_failures.is_empty(),
        "routes missing from the table: {missing:?}\nrows for routes that do not exist: {stale:?}\n\
         cells that differ:\n{}\nother methods:\n{}\n(observed table, VIEWAS_MATRIX_PRINT=1 prints it)",
        diffs.join("\n"),
        other_failures.join("\n")
    );
}

/// The route table has one row per method and path, so each row of the
/// matrix is one route.
#[test]
fn the_route_table_lists_each_route_once() {
    let routes = all_routes();
    let unique: BTreeSet<&(String, String)> = routes.iter().collect();
    assert_eq!(unique.len(), routes.len(), "{routes:?}");
}
