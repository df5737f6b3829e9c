//! Authorisation is decided from the store's current rows on every request:
//! with both tokens just used successfully, ending, expiring, revoking,
//! disabling and signing out are refused on the very next request, and so
//! is a change another instance (here another connection) commits.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

const VIEW: &str = "/api/view/runs?limit=5";

/// Requests that prove both tokens work just before the change.
async fn warm(t: &TestApp, login: &str, imp: &str) {
    for _ in 0..2 {
        assert_eq!(t.get(VIEW, imp).await.status, StatusCode::OK);
        assert_eq!(t.get("/api/me", login).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn exit_is_refused_on_the_next_request() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    warm(&t, &admin, &imp).await;
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");
}

#[tokio::test]
async fn expiry_and_idle_are_refused_on_the_next_request() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    warm(&t, &admin, &imp).await;
    // Idle: 10 minutes without a view.
    t.clock.advance(600);
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");

    let (_, imp) = t.start(&support, BOB).await;
    warm(&t, &support, &imp).await;
    // The maximum, with views keeping it busy.
    for _ in 0..6 {
        t.clock.advance(299);
        assert_eq!(t.get(VIEW, &imp).await.status, StatusCode::OK);
    }
    t.clock.advance(30 * 60 - 6 * 299);
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");
}

#[tokio::test]
async fn revocation_and_disable_are_refused_on_the_next_request() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    // The target's role changes: the session is revoked.
    let (_, imp) = t.start(&admin, ALICE).await;
    warm(&t, &admin, &imp).await;
    let r = t
        .post(
            &format!("/api/admin/users/{}/role", t.user_id(ALICE)),
            &support,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");

    // The impersonator is disabled: both their tokens die at once.
    let (_, imp) = t.start(&admin, CAROL).await;
    warm(&t, &admin, &imp).await;
    let r = t
        .post(
            &format!("/api/admin/users/{}/disable", t.user_id(ADMIN)),
            &support,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.get(VIEW, &imp).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        t.get("/api/me", &admin).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sign_out_is_refused_on_the_next_request() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    warm(&t, &admin, &imp).await;
    let r = t
        .call(
            axum::http::Method::POST,
            "/api/auth/logout",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        t.get("/api/me", &admin).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Signing out ends the session it had open.
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");
}

#[tokio::test]
async fn a_token_that_just_worked_still_needs_its_secret() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    warm(&t, &admin, &imp).await;
    let (selector, _) = imp.split_once('.').unwrap();
    let forged = format!("{selector}.{}", "A".repeat(43));
    assert_eq!(t.get(VIEW, &forged).await.status, StatusCode::UNAUTHORIZED);
}

/// What another server instance commits (here: another connection to the
/// same database) is seen on the very next request of this one.
#[tokio::test]
async fn changes_committed_elsewhere_are_seen_on_the_next_request() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    warm(&t, &admin, &imp).await;
    t.db()
        .execute(
            "UPDATE impersonation_sessions SET ended_at = ?2, end_reason = 'exit' WHERE id = ?1",
            [id, T0],
        )
        .unwrap();
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");

    // A sign-in token revoked elsewhere.
    let (selector, _) = support.split_once('.').unwrap();
    assert_eq!(t.get("/api/me", &support).await.status, StatusCode::OK);
    t.db()
        .execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE selector = ?1",
            rusqlite::params![selector, T0],
        )
        .unwrap();
    assert_eq!(
        t.get("/api/me", &support).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An account disabled elsewhere.
    assert_eq!(t.get("/api/me", &admin).await.status, StatusCode::OK);
    t.db()
        .execute("UPDATE users SET disabled = 1 WHERE email = ?1", [ADMIN])
        .unwrap();
    assert_eq!(
        t.get("/api/me", &admin).await.status,
        StatusCode::UNAUTHORIZED
    );
}
