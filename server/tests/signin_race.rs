//! A write made with a sign-in token is checked against the sign-in again
//! on the writer, in the write's own transaction. The token was resolved
//! (from the token cache) before the request queued for the writer: if a
//! disabling, a role change or a sign-out was committed meanwhile, the write
//! is refused, and the trail never shows the caller acting after it.
//!
//! Each race is set up with a held writer: the change queues first, then the
//! caller's request passes its checks (nothing is committed yet) and queues
//! behind it; then the writer goes.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

fn disable(user: i64, token: &str) -> Call<'_> {
    let path = format!("/api/admin/users/{user}/disable");
    (Method::POST, path, token, Some(json!({})))
}

fn export(session: i64, token: &str) -> Call<'_> {
    let path = format!("/api/impersonations/{session}/export");
    (Method::POST, path, token, Some(json!({})))
}

fn note(session: i64, token: &str) -> Call<'_> {
    let path = format!("/api/impersonations/{session}/notes");
    (
        Method::POST,
        path,
        token,
        Some(json!({"text": "written late"})),
    )
}

/// An ended session of ADMIN on Alice: (session id, ADMIN's sign-in).
async fn ended_session(t: &TestApp) -> (i64, String) {
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (id, admin)
}

/// Audit events by `actor` after the revocation of `subject`, in chain order.
fn acts_after_revocation(t: &TestApp, actor: i64, subject: i64) -> Vec<String> {
    let db = t.db();
    let revoked: i64 = db
        .query_row(
            "SELECT MAX(id) FROM audit_events WHERE kind = 'revocation' AND subject_id = ?1",
            [subject],
            |r| r.get(0),
        )
        .unwrap();
    let mut st = db
        .prepare("SELECT kind FROM audit_events WHERE actor_id = ?1 AND id > ?2 ORDER BY id")
        .unwrap();
    st.query_map([actor, revoked], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn an_export_written_after_the_exporters_disabling_is_refused() {
    let t = TestApp::new().await;
    let (id, admin) = ended_session(&t).await;
    let support = t.login(SUPPORT).await;
    let me = t.user_id(ADMIN);
    let exports_before = t.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'export'");

    let ((s1, b1), (s2, b2)) = behind(&t, disable(me, &support), export(id, &admin)).await;
    assert_eq!(s1, StatusCode::OK, "{b1}");
    assert_eq!(s2, StatusCode::UNAUTHORIZED, "{b2}");
    assert_eq!(b2["error"]["code"], "unauthorized", "{b2}");
    assert!(b2.get("events").is_none(), "no record: {b2}");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'export'"),
        exports_before
    );
    assert!(acts_after_revocation(&t, me, me).is_empty());
}

/// The control: the same race with a change that is not the exporter's.
#[tokio::test]
async fn an_export_behind_someone_elses_disabling_is_answered() {
    let t = TestApp::new().await;
    let (id, admin) = ended_session(&t).await;
    let support = t.login(SUPPORT).await;
    let carol = t.user_id(CAROL);
    let ((s1, b1), (s2, b2)) = behind(&t, disable(carol, &support), export(id, &admin)).await;
    assert_eq!(s1, StatusCode::OK, "{b1}");
    assert_eq!(s2, StatusCode::OK, "{b2}");
    assert_eq!(b2["session"]["id"], id, "{b2}");
}

#[tokio::test]
async fn a_note_written_after_the_authors_disabling_is_refused() {
    let t = TestApp::new().await;
    let (id, admin) = ended_session(&t).await;
    let support = t.login(SUPPORT).await;
    let me = t.user_id(ADMIN);
    let ((s1, b1), (s2, b2)) = behind(&t, disable(me, &support), note(id, &admin)).await;
    assert_eq!(s1, StatusCode::OK, "{b1}");
    assert_eq!(s2, StatusCode::UNAUTHORIZED, "{b2}");
    assert_eq!(t.count("SELECT COUNT(*) FROM notes"), 0);
    assert!(acts_after_revocation(&t, me, me).is_empty());
}

#[tokio::test]
async fn a_note_written_after_the_authors_sign_out_is_refused() {
    let t = TestApp::new().await;
    let (id, admin) = ended_session(&t).await;
    let ((s1, b1), (s2, b2)) = behind(
        &t,
        (
            Method::POST,
            "/api/auth/logout".into(),
            &admin,
            Some(json!({})),
        ),
        note(id, &admin),
    )
    .await;
    assert_eq!(s1, StatusCode::NO_CONTENT, "{b1}");
    assert_eq!(s2, StatusCode::UNAUTHORIZED, "{b2}");
    assert_eq!(t.count("SELECT COUNT(*) FROM notes"), 0);
}

#[tokio::test]
async fn an_admin_change_written_after_the_admins_demotion_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let me = t.user_id(ADMIN);
    let carol = t.user_id(CAROL);
    let demote = (
        Method::POST,
        format!("/api/admin/users/{me}/role"),
        support.as_str(),
        Some(json!({"role": "partner"})),
    );
    let ((s1, b1), (s2, b2)) = behind(&t, demote, disable(carol, &admin)).await;
    assert_eq!(s1, StatusCode::OK, "{b1}");
    assert_eq!(s2, StatusCode::FORBIDDEN, "{b2}");
    assert_eq!(b2["error"]["code"], "not_allowed", "{b2}");
    let carol_disabled: i64 = t
        .db()
        .query_row("SELECT disabled FROM users WHERE id = ?1", [carol], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(carol_disabled, 0, "Carol was not disabled");
    assert!(acts_after_revocation(&t, me, me).is_empty());
}

#[tokio::test]
async fn a_session_started_after_the_starters_sign_out_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let me = t.user_id(ADMIN);
    let start = (
        Method::POST,
        "/api/impersonations".to_string(),
        admin.as_str(),
        Some(
            json!({"user_id": t.user_id(ALICE), "reason_category": "diagnose_issue", "reason": REASON}),
        ),
    );
    let ((s1, b1), (s2, b2)) = behind(
        &t,
        (
            Method::POST,
            "/api/auth/logout".into(),
            &admin,
            Some(json!({})),
        ),
        start,
    )
    .await;
    assert_eq!(s1, StatusCode::NO_CONTENT, "{b1}");
    assert_eq!(s2, StatusCode::UNAUTHORIZED, "{b2}");
    assert!(b2.get("token").is_none(), "no impersonation token: {b2}");
    assert_eq!(t.count("SELECT COUNT(*) FROM impersonation_sessions"), 0);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE actor_id = {me} AND kind = 'session_started'"
        )),
        0
    );
}
