//! /api/view/*: the gate, read-only, ownership, paging, and secrets.

mod common;

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;
use viewas_api::VIEW_ROUTES;

/// Every table but the audit trail (and the sessions' bounds in it), per
/// table, to prove nothing changed.
fn snapshot(t: &TestApp) -> BTreeMap<String, String> {
    table_checksums(&t.db(), &["audit_events"])
}

fn alice_ids(t: &TestApp) -> (i64, i64) {
    let alice = t.user_id(ALICE);
    let asg = t.count(&format!(
        "SELECT MIN(id) FROM assignments WHERE owner_id = {alice}"
    ));
    let run = t.count(&format!(
        "SELECT MIN(id) FROM runs WHERE owner_id = {alice}"
    ));
    (asg, run)
}

fn concrete(pattern: &str, id: i64) -> String {
    pattern.replace("{id}", &id.to_string())
}

#[tokio::test]
async fn every_view_route_answers_get() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let (asg, run) = alice_ids(&t);
    for route in VIEW_ROUTES {
        let id = if route.pattern.contains("runs") {
            run
        } else {
            asg
        };
        let r = t.get(&concrete(route.pattern, id), &imp).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", route.pattern, r.text);
    }
    assert_eq!(t.events(id, "view"), VIEW_ROUTES.len() as i64);
}

#[tokio::test]
async fn every_mutating_method_on_every_view_route_is_read_only() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let (asg, run) = alice_ids(&t);
    let before = snapshot(&t);
    let mut paths: Vec<String> = VIEW_ROUTES
        .iter()
        .map(|r| {
            concrete(
                r.pattern,
                if r.pattern.contains("runs") { run } else { asg },
            )
        })
        .collect();
    // Off-table paths under /api/view are refused the same way.
    paths.push("/api/view/secrets".into());
    let methods = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    let mut attempts = 0;
    for path in &paths {
        for m in &methods {
            let r = t
                .call(
                    m.clone(),
                    path,
                    Some(&imp),
                    Some(json!({"name": "pwned", "status": "paused"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {path}");
            assert_eq!(r.code(), "read_only", "{m} {path}");
            attempts += 1;
        }
    }
    assert_eq!(snapshot(&t), before, "nothing but the audit trail changed");
    assert_eq!(t.events(id, "blocked"), attempts);
    assert_eq!(t.events(id, "view"), 0);
    // Each blocked row names the method and path, with status 403.
    let db = t.db();
    let mut st = db
        .prepare("SELECT method, path, status FROM audit_events WHERE kind = 'blocked' ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows[0], ("POST".to_string(), paths[0].clone(), 403));
    // Blocked attempts are not activity.
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    assert_eq!(r.body["pages_viewed"], 0);
}

#[tokio::test]
async fn the_gate_refuses_the_wrong_tokens() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let alice = t.login(ALICE).await;
    let partner = t.login(PARTNER).await;
    for route in VIEW_ROUTES {
        let path = concrete(route.pattern, 1);
        let r = t.call(Method::GET, &path, None, None).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{path}"
        );
        let r = t.call(Method::GET, &path, Some("not-a-token"), None).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{path}"
        );
        for tok in [&admin, &alice, &partner] {
            let r = t.get(&path, tok).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, "not_allowed"),
                "{path}"
            );
        }
        // Even a write with an admin token is not_allowed, not read_only.
        let r = t.call(Method::DELETE, &path, Some(&admin), None).await;
        assert_eq!(r.code(), "not_allowed");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_events"), 0);
}

#[tokio::test]
async fn unknown_view_paths_are_not_found_and_audited() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    for path in [
        "/api/view",
        "/api/view/",
        "/api/view/secrets",
        "/api/view/assignments/",
        "/api/view/assignments/1/run",
        "/api/view/assignments/..",
        "/api/view/runs/abc",
        "/api/view/runs/-5",
        "/api/view/runs/99999999999999999999999",
        "/api/view/assignments/0",
    ] {
        let r = t.get(path, &imp).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert_eq!(r.code(), "not_found", "{path}");
    }
    assert!(t.events(id, "view") >= 8);
}

#[tokio::test]
async fn other_users_data_is_not_found() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let bob = t.user_id(BOB);
    let asg = t.count(&format!(
        "SELECT MIN(id) FROM assignments WHERE owner_id = {bob}"
    ));
    let run = t.count(&format!("SELECT MIN(id) FROM runs WHERE owner_id = {bob}"));
    for path in [
        format!("/api/view/assignments/{asg}"),
        format!("/api/view/runs/{run}"),
    ] {
        let r = t.get(&path, &imp).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Filtering Alice's runs by Bob's assignment finds nothing.
    let r = t
        .get(&format!("/api/view/runs?assignment_id={asg}"), &imp)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn assignment_detail_has_configuration_schedule_and_connections() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let (asg, _) = alice_ids(&t);
    let r = t.get(&format!("/api/view/assignments/{asg}"), &imp).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body["instructions"].as_str().unwrap().is_empty());
    assert!(!r.body["schedule"].as_str().unwrap().is_empty());
    assert!(!r.body["configuration"].as_array().unwrap().is_empty());
    let conns = r.body["connections"].as_array().unwrap();
    assert!(!conns.is_empty());
    for c in conns {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "kind", "name", "status"]);
    }
}

#[tokio::test]
async fn runs_page_newest_first_with_a_keyset_cursor() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let alice = t.user_id(ALICE);
    let total = t.count(&format!(
        "SELECT COUNT(*) FROM runs WHERE owner_id = {alice}"
    ));
    assert!(total > 200);
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/view/runs?limit=70&cursor={c}"),
            None => "/api/view/runs?limit=70".to_string(),
        };
        let r = t.get(&path, &imp).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // `daily` comes with the first page only.
        assert_eq!(r.body["daily"].is_array(), pages == 0);
        pages += 1;
        for item in r.body["items"].as_array().unwrap() {
            seen.push((
                item["started_at"].as_str().unwrap().to_string(),
                item["id"].as_i64().unwrap(),
            ));
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, ties by id");
    assert_eq!(pages, (total + 69) / 70);
}

#[tokio::test]
async fn runs_filters_and_the_daily_chart() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let alice = t.user_id(ALICE);
    let (asg, _) = alice_ids(&t);

    let r = t
        .get(
            &format!("/api/view/runs?status=failed&assignment_id={asg}&limit=200"),
            &imp,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|i| i["status"] == "failed" && i["assignment_id"] == asg));
    assert_eq!(
        items.len() as i64,
        t.count(&format!("SELECT COUNT(*) FROM runs WHERE owner_id = {alice} AND assignment_id = {asg} AND status = 'failed'"))
    );
    // The chart follows both filters: that assignment's failed runs only,
    // over 30 days of Alice's own time zone.
    let since = local_midnight_29_days_before(T0, "Europe/Prague");
    let daily = r.body["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert!(daily.iter().all(|d| d["succeeded"] == 0), "{daily:?}");
    let failed: i64 = daily.iter().map(|d| d["failed"].as_i64().unwrap()).sum();
    assert_eq!(failed, t.count(&format!("SELECT COUNT(*) FROM runs WHERE owner_id = {alice} AND assignment_id = {asg} AND status = 'failed' AND started_at >= {since}")));
    assert!(failed > 0);

    let r = t.get("/api/view/runs", &imp).await;
    let daily = r.body["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    let ok: i64 = daily.iter().map(|d| d["succeeded"].as_i64().unwrap()).sum();
    let failed: i64 = daily.iter().map(|d| d["failed"].as_i64().unwrap()).sum();
    assert_eq!(ok, t.count(&format!("SELECT COUNT(*) FROM runs WHERE owner_id = {alice} AND status = 'succeeded' AND started_at >= {since}")));
    assert_eq!(failed, t.count(&format!("SELECT COUNT(*) FROM runs WHERE owner_id = {alice} AND status = 'failed' AND started_at >= {since}")));
    assert!(ok > 0 && failed > 0);
    // Each count on its own day.
    for d in daily {
        let day = d["day"].as_str().unwrap();
        for status in ["succeeded", "failed"] {
            assert_eq!(
                d[status].as_i64().unwrap(),
                runs_on_local_day(&t, alice, status, day, "Europe/Prague"),
                "{status} on {day}"
            );
        }
    }

    // `before` keeps only older runs.
    let r = t
        .get("/api/view/runs?before=2026-11-01&limit=200", &imp)
        .await;
    let cutoff = "2026-11-01T00:00:00Z";
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["started_at"].as_str().unwrap() < cutoff));

    for q in [
        "status=exploded",
        "assignment_id=x",
        "before=yesterday",
        "limit=0",
        "cursor=zzz",
        "cursor=1_x",
    ] {
        let r = t.get(&format!("/api/view/runs?{q}"), &imp).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(r.code(), "bad_request");
    }
}

#[tokio::test]
async fn run_detail_has_steps_and_errors() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let alice = t.user_id(ALICE);
    let failed = t.count(&format!(
        "SELECT MIN(id) FROM runs WHERE owner_id = {alice} AND status = 'failed'"
    ));
    let r = t.get(&format!("/api/view/runs/{failed}"), &imp).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "failed");
    assert!(r.body["error"].as_str().is_some_and(|e| !e.is_empty()));
    let steps = r.body["steps"].as_array().unwrap();
    assert!(steps.len() >= 2);
    assert!(steps.iter().any(|s| s["status"] == "failed"));
    assert!(r.body["assignment_name"].is_string());
}

#[tokio::test]
async fn workspace_shows_settings_members_and_connections() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let r = t.get("/api/view/workspace", &imp).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "Acme Logistics");
    assert_eq!(r.body["timezone"], "Europe/Prague");
    assert!(!r.body["settings"].as_array().unwrap().is_empty());
    let members = r.body["members"].as_array().unwrap();
    assert!(members.iter().any(|m| m["email"] == ALICE));
    assert!(members.iter().any(|m| m["email"] == "mallory@acme.example"
        && m["name"] == "Mal <b>lory</b> \u{202E}nimda\u{202C}"));
    assert!(!r.body["connections"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn no_view_response_of_a_whole_session_carries_a_secret() {
    let t = TestApp::new().await;
    let db = t.db();
    let mut st = db.prepare("SELECT secret FROM connections").unwrap();
    let secrets: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut st = db
        .prepare("SELECT password_hash FROM users WHERE password_hash IS NOT NULL")
        .unwrap();
    let hashes: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(secrets.len() > 10);

    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let mut bodies = Vec::new();
    let r = t.get("/api/view/assignments", &imp).await;
    let ids: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    bodies.push(r.text);
    for id in ids {
        bodies.push(
            t.get(&format!("/api/view/assignments/{id}"), &imp)
                .await
                .text,
        );
    }
    bodies.push(t.get("/api/view/workspace", &imp).await.text);
    let mut cursor = String::new();
    loop {
        let r = t
            .get(&format!("/api/view/runs?limit=200{cursor}"), &imp)
            .await;
        let run_ids: Vec<i64> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        for id in run_ids.iter().take(40) {
            bodies.push(t.get(&format!("/api/view/runs/{id}"), &imp).await.text);
        }
        let next = r.body["next_cursor"].as_str().map(str::to_string);
        bodies.push(r.text);
        match next {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    bodies.push(t.get("/api/view/runs/999999", &imp).await.text);
    assert!(bodies.len() > 20);
    for body in &bodies {
        assert!(
            !body.contains("sk_live_"),
            "a secret-shaped string leaked: {body}"
        );
        for s in secrets.iter().chain(hashes.iter()) {
            assert!(!body.contains(s.as_str()));
        }
    }
}

#[tokio::test]
async fn viewing_does_not_touch_the_target_user() {
    let t = TestApp::new().await;
    let alice = t.user_id(ALICE);
    let row = |t: &TestApp| -> String {
        t.db()
            .query_row(&format!("SELECT quote(last_active) || name || role || disabled FROM users WHERE id = {alice}"), [], |r| r.get(0))
            .unwrap()
    };
    let before = row(&t);
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    t.clock.advance(60);
    for p in [
        "/api/view/assignments",
        "/api/view/runs",
        "/api/view/workspace",
    ] {
        assert_eq!(t.get(p, &imp).await.status, StatusCode::OK);
    }
    t.post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    assert_eq!(row(&t), before);
}

#[tokio::test]
async fn the_view_audit_row_is_written_before_the_response() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    for n in 1..=5 {
        let r = t.get("/api/view/assignments?x=1", &imp).await;
        assert_eq!(r.status, StatusCode::OK);
        // Read through a separate connection right after the answer.
        assert_eq!(t.events(id, "view"), n);
    }
    let (m, p, s): (String, String, i64) = t
        .db()
        .query_row(
            "SELECT method, path, status FROM audit_events WHERE kind = 'view' ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    // The route reads no query parameter: the row keeps none (audit_bloat.rs).
    assert_eq!(
        (m.as_str(), p.as_str(), s),
        ("GET", "/api/view/assignments", 200)
    );
}

/// The instant the chart's first day starts: local midnight in `tz`, 29
/// days before the local date of `now`.
fn local_midnight_29_days_before(now: i64, tz: &str) -> i64 {
    use jiff::ToSpan;
    let zone = jiff::tz::TimeZone::get(tz).unwrap();
    let today = zone
        .to_datetime(jiff::Timestamp::from_second(now).unwrap())
        .date();
    midnight(&zone, today.checked_sub(29.days()).unwrap())
}

fn midnight(zone: &jiff::tz::TimeZone, date: jiff::civil::Date) -> i64 {
    zone.to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .unwrap()
        .as_second()
}

/// `owner`'s runs of `status` that started on local date `day` in `tz`,
/// counted from the runs themselves.
fn runs_on_local_day(t: &TestApp, owner: i64, status: &str, day: &str, tz: &str) -> i64 {
    let zone = jiff::tz::TimeZone::get(tz).unwrap();
    let date: jiff::civil::Date = day.parse().unwrap();
    let start = midnight(&zone, date);
    let end = midnight(&zone, date.tomorrow().unwrap());
    t.count(&format!(
        "SELECT COUNT(*) FROM runs WHERE owner_id = {owner} AND status = '{status}' \
         AND started_at >= {start} AND started_at < {end}"
    ))
}
