//! The append-only trail cannot be bloated by a client: view and blocked
//! rows keep the path with only the query parameters the route reads, cut
//! to `AUDIT_PATH_MAX` bytes with the whole target's length and sha256 in
//! the detail; and blocked attempts beyond a limit per session and minute
//! are refused 429 with one summarising row instead of one row each.
//! The review's attack: 500 × `DELETE /api/view/runs?x=<65,000 a>` grew
//! the database from 1.7 MB to 37.9 MB.

mod common;

use std::collections::BTreeMap;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use viewas_server::http::view::AUDIT_PATH_MAX;
use viewas_server::store::blocked::{PER_WINDOW, WINDOW_SECS};

/// The database's size as its pages count it (WAL included).
fn db_bytes(t: &TestApp) -> i64 {
    t.count("SELECT p.page_count * s.page_size FROM pragma_page_count() p, pragma_page_size() s")
}

fn bloated() -> String {
    format!("/api/view/runs?x={}", "a".repeat(65_000))
}

/// (path, status, detail) of a session's rows of `kind`, in order.
fn rows(t: &TestApp, id: i64, kind: &str) -> Vec<(String, i64, Value)> {
    let db = t.db();
    let mut st = db
        .prepare(
            "SELECT path, status, detail FROM audit_events \
             WHERE session_id = ?1 AND kind = ?2 ORDER BY id",
        )
        .unwrap();
    st.query_map(rusqlite::params![id, kind], |r| {
        let detail: Option<String> = r.get(2)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            detail
                .map(|d| serde_json::from_str(&d).unwrap())
                .unwrap_or(Value::Null),
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn five_hundred_bloated_deletes_barely_grow_the_database() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let uri = bloated();
    let before = db_bytes(&t);
    let mut answers: BTreeMap<(u16, String), usize> = BTreeMap::new();
    for _ in 0..500 {
        let r = t.call(Method::DELETE, &uri, Some(&imp), None).await;
        *answers
            .entry((r.status.as_u16(), r.code().to_string()))
            .or_default() += 1;
    }
    let grown = db_bytes(&t) - before;
    println!("500 bloated DELETEs grew the database by {grown} bytes");
    assert!(grown < 64 * 1024, "grew by {grown} bytes");
    let limit = PER_WINDOW as usize;
    assert_eq!(
        answers,
        BTreeMap::from([
            ((403, "read_only".to_string()), limit),
            ((429, "too_many_requests".to_string()), 500 - limit),
        ])
    );
    // One row per attempt up to the limit, then one summary.
    let blocked = rows(&t, id, "blocked");
    assert_eq!(blocked.len(), limit + 1);
    for (path, _, detail) in &blocked {
        assert_eq!(path, "/api/view/runs");
        assert_eq!(detail["uri_bytes"], uri.len());
        assert_eq!(detail["uri_sha256"], sha256(&uri));
    }
    let (_, status, summary) = &blocked[limit];
    assert_eq!(*status, 429);
    assert_eq!(summary["throttled"], true);
    assert_eq!(summary["limit"], PER_WINDOW);
}

/// Spread out so the limit never applies: the bound on each row alone
/// keeps 500 of them small.
#[tokio::test]
async fn five_hundred_slow_bloated_deletes_are_each_recorded_small() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let uri = bloated();
    let before = db_bytes(&t);
    for i in 0..500 {
        // Under the limit, and a view now and then keeps it from idling out.
        t.clock.advance(WINDOW_SECS / PER_WINDOW + 1);
        if i % 100 == 0 {
            assert_eq!(
                t.get("/api/view/workspace", &imp).await.status,
                StatusCode::OK
            );
        }
        let r = t.call(Method::DELETE, &uri, Some(&imp), None).await;
        assert_eq!(r.code(), "read_only", "attempt {i}: {}", r.text);
    }
    let grown = db_bytes(&t) - before;
    println!("500 spread-out bloated DELETEs grew the database by {grown} bytes");
    assert!(grown < 512 * 1024, "grew by {grown} bytes");
    assert_eq!(t.events(id, "blocked"), 500);
}

#[tokio::test]
async fn views_keep_the_parameters_their_route_reads_and_long_paths_are_cut() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let uri = format!(
        "/api/view/runs?status=failed&x={}&limit=5",
        "a".repeat(65_000)
    );
    assert_eq!(t.get(&uri, &imp).await.status, StatusCode::OK);
    let long = format!("/api/view/{}", "b".repeat(5_000));
    assert_eq!(t.get(&long, &imp).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get("/api/view/runs?limit=5", &imp).await.status,
        StatusCode::OK
    );
    let views = rows(&t, id, "view");
    assert_eq!(views.len(), 3);
    assert_eq!(views[0].0, "/api/view/runs?status=failed&limit=5");
    assert_eq!(views[0].2["uri_sha256"], sha256(&uri));
    assert_eq!(views[1].0.len(), AUDIT_PATH_MAX);
    assert!(long.starts_with(&views[1].0));
    assert_eq!(views[1].2["uri_bytes"], long.len());
    // Nothing dropped, nothing to hash.
    assert_eq!(views[2].0, "/api/view/runs?limit=5");
    assert_eq!(views[2].2, Value::Null);
}

#[tokio::test]
async fn blocked_attempts_are_throttled_per_session_and_window() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let bob = t.user_id(BOB);
    for i in 0..PER_WINDOW {
        let r = t
            .call(Method::PUT, "/api/view/workspace", Some(&imp), None)
            .await;
        assert_eq!(r.code(), "read_only", "attempt {i}");
    }
    // Over the limit: 429 with Retry-After, one summarising row for all of
    // them, outside the view routes too.
    for (method, path) in [
        (Method::DELETE, "/api/view/assignments".to_string()),
        (Method::POST, format!("/api/admin/users/{bob}/disable")),
        (Method::PATCH, "/api/view/runs".to_string()),
    ] {
        let r = t.call(method, &path, Some(&imp), None).await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.code(), "too_many_requests");
        assert_eq!(r.headers[header::RETRY_AFTER], WINDOW_SECS.to_string());
    }
    let blocked = rows(&t, id, "blocked");
    assert_eq!(blocked.len(), PER_WINDOW as usize + 1);
    assert_eq!(blocked.last().unwrap().1, 429);
    // Reads are not throttled.
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK
    );
    // Once the window has room, attempts are refused and recorded again.
    t.clock.advance(WINDOW_SECS);
    let r = t
        .call(Method::DELETE, "/api/view/workspace", Some(&imp), None)
        .await;
    assert_eq!(r.code(), "read_only");
    assert_eq!(rows(&t, id, "blocked").len(), PER_WINDOW as usize + 2);
    // The limit is the session's: another session starts with none.
    let support = t.login(SUPPORT).await;
    let (_, other) = t.start(&support, BOB).await;
    let r = t
        .call(Method::DELETE, "/api/view/workspace", Some(&other), None)
        .await;
    assert_eq!(r.code(), "read_only");
}
