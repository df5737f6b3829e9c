//! Issue 7, "read-only, proven": random request sequences sent with
//! impersonation tokens — random routes, methods, ids, query strings and
//! bodies — after which every table but the audit trail, notes and the
//! session tables is byte-for-byte what it was; every answer of the long
//! randomized sessions is scanned for every connection secret and password
//! hash (none may appear); a partner's session never shows anything of a
//! user outside its client organisations; no answer is a 5xx.
//!
//! `VIEWAS_READONLY_CASES` sets the number of sequences (default 72, each
//! 1–59 requests: about 2,000 requests in all).

mod common;

use axum::body::Body;
use axum::http::{header, Request};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Tables a session may change: the trail, notes, the sessions themselves
/// (activity, pages viewed, the end) and their tokens (revoked at the end).
const MAY_CHANGE: [&str; 4] = ["audit_events", "notes", "impersonation_sessions", "tokens"];

#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    path: String,
    body: Option<Vec<u8>>,
}

/// The path of every non-view route of the server's route table.
fn api_paths() -> Vec<&'static str> {
    viewas_server::http::api_routes()
        .into_iter()
        .map(|r| r.path)
        .collect()
}

fn id_strategy(known: Vec<i64>) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(known).prop_map(|i| i.to_string()),
        2 => (1i64..100_000).prop_map(|i| i.to_string()),
        1 => Just("-1".to_string()),
        1 => Just("0".to_string()),
        1 => Just("99999999999999999999999".to_string()),
        1 => Just("..%2F..%2Fetc%2Fpasswd".to_string()),
        1 => Just("1%00".to_string()),
        1 => Just("1%20OR%201=1".to_string()),
        1 => "[a-zA-Z0-9_%.-]{0,12}",
    ]
}

fn query_strategy() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(vec![
        "limit",
        "cursor",
        "status",
        "before",
        "assignment_id",
        "q",
        "session_id",
        "x",
    ]);
    let value = prop_oneof![
        (0i64..300).prop_map(|i| i.to_string()),
        Just("failed".to_string()),
        Just("2026-01-01".to_string()),
        Just("1790000000_5".to_string()),
        Just("%27%3B%20DROP%20TABLE%20runs%3B--".to_string()),
        "[a-z0-9%_-]{0,10}",
    ];
    proptest::collection::vec((key, value), 0..4).prop_map(|kv| {
        if kv.is_empty() {
            String::new()
        } else {
            let q: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("?{}", q.join("&"))
        }
    })
}

fn req_strategy(
    session_id: i64,
    assignments: Vec<i64>,
    runs: Vec<i64>,
) -> impl Strategy<Value = Req> {
    let method = prop_oneof![
        10 => Just("GET"),
        2 => Just("POST"),
        1 => Just("PUT"),
        1 => Just("PATCH"),
        1 => Just("DELETE"),
        1 => Just("HEAD"),
        1 => Just("OPTIONS"),
    ];
    let all_ids: Vec<i64> = assignments.iter().chain(runs.iter()).copied().collect();
    let path = prop_oneof![
        3 => Just("/api/view/assignments".to_string()),
        3 => id_strategy(assignments).prop_map(|i| format!("/api/view/assignments/{i}")),
        4 => query_strategy().prop_map(|q| format!("/api/view/runs{q}")),
        3 => id_strategy(runs).prop_map(|i| format!("/api/view/runs/{i}")),
        2 => Just("/api/view/workspace".to_string()),
        1 => "[a-z/._%-]{0,20}".prop_map(|s| format!("/api/view/{s}")),
        // Every other route of the API, with this session's id mostly.
        3 => (proptest::sample::select(api_paths()), id_strategy(all_ids), query_strategy())
            .prop_map(move |(path, id, q)| {
                let id = if path.starts_with("/api/impersonations/") && !id.is_empty() && id.len() % 3 != 0 {
                    session_id.to_string()
                } else {
                    id
                };
                format!("{}{q}", path.replace("{id}", &id))
            }),
    ];
    let body = prop_oneof![
        3 => Just(None),
        2 => Just(Some(br#"{"text":"a note from the property test"}"#.to_vec())),
        1 => Just(Some(br#"{"role":"admin"}"#.to_vec())),
        1 => Just(Some(br#"{"user_id":4,"reason_category":"audit","reason":"Property test reason text"}"#.to_vec())),
        1 => Just(Some(br#"{"name":"changed","status":"paused","secret":"x"}"#.to_vec())),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Some),
    ];
    (method, path, body).prop_map(|(method, path, body)| Req { method, path, body })
}

/// `/api/impersonations/0…` (the strategy's placeholder) → this session.
fn aim(path: &str, sid: i64) -> String {
    match path.strip_prefix("/api/impersonations/0") {
        Some(rest) if !rest.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("/api/impersonations/{sid}{rest}")
        }
        _ => path.to_string(),
    }
}

/// What an impersonation token may write (its session's end and notes), and
/// sign-in, which reads no token.
fn session_control(r: &Req) -> bool {
    let rest = r.path.split('?').next().unwrap_or_default();
    if r.method == "POST" && rest == "/api/auth/login" {
        return true;
    }
    let Some(rest) = rest.strip_prefix("/api/impersonations/") else {
        return false;
    };
    r.method == "POST"
        && rest.split_once('/').is_some_and(|(id, action)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && matches!(action, "end" | "notes")
        })
}

async fn send(t: &TestApp, token: &str, r: &Req) -> Resp {
    let mut b = Request::builder()
        .method(r.method)
        .uri(&r.path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if r.body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let req = b
        .body(r.body.clone().map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    t.send(req).await
}

fn ids(t: &TestApp, sql: &str) -> Vec<i64> {
    let db = t.db();
    let mut st = db.prepare(sql).unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn random_requests_with_impersonation_tokens_change_nothing_and_leak_nothing() {
    let cases: u32 = std::env::var("VIEWAS_READONLY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(72);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestApp::new());
    let admin = rt.block_on(t.login(ADMIN));
    let partner = rt.block_on(t.login(PARTNER));
    let alice = t.user_id(ALICE);
    let secrets = secrets(&t.db());
    assert!(secrets.len() > 10, "the scan needs something to look for");
    // Alice is outside the partner's clients: nothing of hers may show
    // through a partner's session.
    let alice_marks: Vec<String> = vec![
        ALICE.to_string(),
        "Morning carrier rate sync".to_string(),
        "Acme Logistics".to_string(),
    ];
    let assignments = ids(
        &t,
        &format!("SELECT id FROM assignments WHERE owner_id = {alice} LIMIT 20"),
    );
    let mut runs = ids(
        &t,
        &format!("SELECT id FROM runs WHERE owner_id = {alice} LIMIT 20"),
    );
    // And some runs that are not Alice's.
    runs.extend(ids(
        &t,
        &format!("SELECT id FROM runs WHERE owner_id <> {alice} LIMIT 10"),
    ));

    let total = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let seq = proptest::collection::vec(req_strategy(0, assignments.clone(), runs.clone()), 1..60);
    let result = runner.run(&(any::<bool>(), seq), |(as_partner, reqs)| {
        rt.block_on(async {
            // A fresh session for this sequence (the previous one ended).
            let (login, target) = if as_partner {
                (&partner, CAROL)
            } else {
                (&admin, ALICE)
            };
            let mut started = t.try_start(login, target).await;
            if started.status.as_u16() == 409 {
                // A sequence that failed before its end left it open.
                let old = started.body["active_session_id"].as_i64().unwrap();
                t.post(
                    &format!("/api/impersonations/{old}/end"),
                    login,
                    serde_json::json!({}),
                )
                .await;
                started = t.try_start(login, target).await;
            }
            prop_assert_eq!(started.status.as_u16(), 201, "start: {}", started.text);
            let sid = started.body["session"]["id"].as_i64().unwrap();
            let token = started.body["token"].as_str().unwrap().to_string();
            let before = table_checksums(&t.db(), &MAY_CHANGE);
            let mut throttled = false;
            for r in &reqs {
                // Aim session routes at this session most of the time.
                let r = Req {
                    path: aim(&r.path, sid),
                    ..r.clone()
                };
                let blocked_before = t.events(sid, "blocked");
                // (A sequence may end its own session with an early POST end.)
                let running = t.count(&format!(
                    "SELECT COUNT(*) FROM impersonation_sessions WHERE id = {sid} AND ended_at IS NULL"
                )) == 1;
                let res = send(&t, &token, &r).await;
                total.set(total.get() + 1);
                // While the session runs, every write the token may not make
                // is refused, never answered 404/405, and on the record once;
                // a refused end or note (403) is too.
                // (HEAD outside the view routes is a read.)
                let read = r.method == "GET" || (r.method == "HEAD" && !r.path.starts_with("/api/view"));
                if !read && running {
                    let status = res.status.as_u16();
                    let control = session_control(&r);
                    // Ended meanwhile (its time ran out): answered 401.
                    let ended = status == 401;
                    prop_assert!(
                        control || ended || !matches!(status, 404 | 405),
                        "{} {}: {}",
                        r.method,
                        r.path,
                        res.text
                    );
                    // Over the session's limit of blocked attempts (the
                    // clock stands still here): 429, and one summarising
                    // row for the first of them only.
                    let expected = if status == 429 {
                        i64::from(!std::mem::replace(&mut throttled, true))
                    } else {
                        i64::from(!ended && (!control || status == 403))
                    };
                    prop_assert_eq!(
                        t.events(sid, "blocked") - blocked_before,
                        expected,
                        "{} {}: {}",
                        r.method,
                        r.path,
                        res.text
                    );
                }
                prop_assert!(
                    res.status.as_u16() < 500,
                    "{} {}: {} {}",
                    r.method,
                    r.path,
                    res.status,
                    res.text
                );
                for s in &secrets {
                    prop_assert!(
                        !res.text.contains(s.as_str()),
                        "{} {} leaked a secret",
                        r.method,
                        r.path
                    );
                }
                if as_partner {
                    for m in &alice_marks {
                        prop_assert!(
                            !res.text.contains(m.as_str()),
                            "{} {} showed {m} to a partner",
                            r.method,
                            r.path
                        );
                    }
                }
            }
            let after = table_checksums(&t.db(), &MAY_CHANGE);
            prop_assert_eq!(before, after, "a table changed during an impersonation");
            // End it with the sign-in token, as the console's Exit does.
            t.post(
                &format!("/api/impersonations/{sid}/end"),
                login,
                serde_json::json!({}),
            )
            .await;
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let total = total.get();
    println!("readonly: {cases} sequences, {total} requests with impersonation tokens");
    assert!(total >= cases as usize, "{total} requests");
}
