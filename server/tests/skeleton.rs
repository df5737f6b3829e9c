//! The walking skeleton: sign in, start on Alice, view, exit, and the old
//! token is refused.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn login_succeeds_with_the_demo_password() {
    let t = TestApp::new().await;
    let r = t.try_login(ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user"]["email"], ADMIN);
    assert_eq!(r.body["user"]["name"], "Ada Lindqvist");
    assert_eq!(r.body["user"]["role"], "admin");
    assert_eq!(r.body["user"]["org"]["name"], "Duvo");
    assert!(r.body["token"].as_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn login_with_a_wrong_password_is_invalid_credentials() {
    let t = TestApp::new().await;
    for body in [
        json!({"email": ADMIN, "password": "nope"}),
        json!({"email": "nobody@nowhere.example", "password": PASSWORD}),
        json!({"email": "dave.disabled@acme.example", "password": PASSWORD}),
    ] {
        let r = t
            .call(Method::POST, "/api/auth/login", None, Some(body))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "invalid_credentials");
    }
}

#[tokio::test]
async fn the_whole_walk() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let alice = t.user_id(ALICE);

    let r = t
        .post(
            "/api/impersonations",
            &admin,
            json!({"user_id": alice, "reason_category": "support_request", "reason": REASON}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["session"]["status"], "active");
    assert_eq!(r.body["session"]["target"]["email"], ALICE);
    assert_eq!(
        r.body["session"]["seconds_left"], 600,
        "idle timeout comes first"
    );
    let id = r.body["session"]["id"].as_i64().unwrap();
    let imp = r.body["token"].as_str().unwrap().to_string();
    assert_ne!(imp, admin);

    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10);
    assert!(names.contains(&"Morning carrier rate sync"));
    let owned: i64 = t.count(&format!(
        "SELECT COUNT(*) FROM assignments WHERE owner_id = {alice}"
    ));
    assert_eq!(names.len() as i64, owned);

    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ended");
    assert_eq!(r.body["end_reason"], "exit");
    assert_eq!(r.body["pages_viewed"], 1);
    let ended_at = r.body["ended_at"].clone();

    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_ended");

    // Ending twice: 200, and nothing changes (no second audit row either).
    t.clock.advance(30);
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ended");
    assert_eq!(r.body["ended_at"], ended_at);
    assert_eq!(t.events(id, "session_ended"), 1);
}

/// The seed is copied out of the WAL before the server takes requests, so
/// their writes never queue behind a bulk checkpoint (with the 500k-run
/// seed, hundreds of megabytes).
#[tokio::test]
async fn seeding_leaves_the_wal_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seeded.db");
    let store = viewas_server::store::Store::open(&path).unwrap();
    assert!(
        viewas_server::seed_if_empty(&store, viewas_server::seed::SeedSize::Small, T0)
            .await
            .unwrap()
    );
    let wal = std::fs::metadata(dir.path().join("seeded.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "WAL bytes left after the seed");
    let runs: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert!(runs > 0);
}
