//! A dead impersonation token — after Exit, sign-out, revocation or expiry,
//! or with its own token row revoked or expired — reads nothing of its
//! session and ends nothing. For a minute after the end it may still learn
//! that its session ended (`{id, status, end_reason}`), then 401
//! `session_ended`. The impersonator's sign-in keeps the full record, ending
//! twice and notes after the end.
//! And ids cannot be probed: for anyone but an administrator, someone
//! else's session and a session that does not exist answer alike.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};
use viewas_server::http::extractor::ENDED_GRACE_SECS;

/// The only keys a dead token may see.
fn keys(body: &Value) -> BTreeSet<String> {
    body.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn state_only(r: &Resp, id: i64, end_reason: &str) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        keys(&r.body),
        ["end_reason", "id", "status"].map(String::from).into(),
        "{}",
        r.text
    );
    assert_eq!(r.body["id"], id);
    assert_eq!(r.body["status"], "ended");
    assert_eq!(r.body["end_reason"], end_reason);
    for leak in [ALICE, REASON, "Alice"] {
        assert!(!r.text.contains(leak), "{leak} in {}", r.text);
    }
}

fn session_ended(r: &Resp) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), "session_ended", "{}", r.text);
}

/// Everything a dead token may try on its own session: read, end, note, view.
async fn refused_everywhere(t: &TestApp, id: i64, imp: &str) {
    session_ended(&t.get(&format!("/api/impersonations/{id}"), imp).await);
    session_ended(
        &t.post(&format!("/api/impersonations/{id}/end"), imp, json!({}))
            .await,
    );
    session_ended(
        &t.post(
            &format!("/api/impersonations/{id}/notes"),
            imp,
            json!({"text": "from a dead token"}),
        )
        .await,
    );
    session_ended(&t.get("/api/view/assignments", imp).await);
}

#[tokio::test]
async fn after_exit_the_token_learns_only_that_it_ended_then_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    t.post(
        &format!("/api/impersonations/{id}/notes"),
        &imp,
        json!({"text": "a finding"}),
    )
    .await;
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ended_rows = t.events(id, "session_ended");

    // Within the grace period: the state, nothing else.
    t.clock.advance(ENDED_GRACE_SECS - 1);
    state_only(
        &t.get(&format!("/api/impersonations/{id}"), &imp).await,
        id,
        "exit",
    );
    // Ending again with the dead token is refused and changes nothing.
    session_ended(
        &t.post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
            .await,
    );
    assert_eq!(t.events(id, "session_ended"), ended_rows);

    // After it: nothing at all.
    t.clock.advance(1);
    refused_everywhere(&t, id, &imp).await;

    // The impersonator's sign-in keeps the full record, ends twice (200,
    // unchanged) and adds notes after the end.
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["target"]["email"], ALICE);
    assert_eq!(r.body["notes"][0]["text"], "a finding");
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["end_reason"], "exit");
    assert_eq!(t.events(id, "session_ended"), ended_rows);
    let r = t
        .post(
            &format!("/api/impersonations/{id}/notes"),
            &admin,
            json!({"text": "for the summary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn the_grace_answer_is_for_its_own_session_only() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let support = t.login(SUPPORT).await;
    let (other, _) = t.start(&support, BOB).await;
    t.post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    state_only(
        &t.get(&format!("/api/impersonations/{id}"), &imp).await,
        id,
        "exit",
    );
    session_ended(&t.get(&format!("/api/impersonations/{other}"), &imp).await);
    session_ended(&t.get("/api/impersonations/abc", &imp).await);
}

#[tokio::test]
async fn after_sign_out_the_token_is_dead() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let r = t
        .call(Method::POST, "/api/auth/logout", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    state_only(
        &t.get(&format!("/api/impersonations/{id}"), &imp).await,
        id,
        "exit",
    );
    t.clock.advance(ENDED_GRACE_SECS);
    refused_everywhere(&t, id, &imp).await;
}

/// The review's case: 85 s after the token row's `expires_at`.
#[tokio::test]
async fn after_expiry_the_token_is_dead() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let expires_at = t.count(&format!(
        "SELECT expires_at FROM tokens WHERE session_id = {id}"
    ));
    // Views keep it from idling out until then.
    while t.state.now() < expires_at - 300 {
        t.clock.advance(300);
        assert_eq!(
            t.get("/api/view/workspace", &imp).await.status,
            StatusCode::OK
        );
    }
    t.clock.set(expires_at + 10);
    state_only(
        &t.get(&format!("/api/impersonations/{id}"), &imp).await,
        id,
        "expiry",
    );
    t.clock.set(expires_at + 85);
    refused_everywhere(&t, id, &imp).await;
}

#[tokio::test]
async fn after_revocation_the_token_is_dead() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    // The target becomes an administrator: the session is revoked.
    let alice = t.user_id(ALICE);
    let r = t
        .post(
            &format!("/api/admin/users/{alice}/role"),
            &t.login(SUPPORT).await,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    state_only(
        &t.get(&format!("/api/impersonations/{id}"), &imp).await,
        id,
        "revocation",
    );
    t.clock.advance(ENDED_GRACE_SECS);
    refused_everywhere(&t, id, &imp).await;
}

/// The token row's own `revoked_at` and `expires_at` count, whatever its
/// session row says.
#[tokio::test]
async fn the_token_rows_own_revocation_and_expiry_are_honoured() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    for column in ["revoked_at", "expires_at"] {
        let (id, imp) = t.start(&admin, ALICE).await;
        let now = t.state.now();
        t.db()
            .execute(
                &format!("UPDATE tokens SET {column} = ?1 WHERE session_id = ?2"),
                [now - ENDED_GRACE_SECS, id],
            )
            .unwrap();
        refused_everywhere(&t, id, &imp).await;
        // The session itself still runs; its impersonator may end it.
        let r = t
            .post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{column}: {}", r.text);
        assert_eq!(r.body["status"], "ended");
    }
}

/// Ending a session revokes its token rows in the same transaction.
#[tokio::test]
async fn ending_a_session_revokes_its_token_row() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    let revoked = |t: &TestApp| {
        t.count(&format!(
            "SELECT COUNT(*) FROM tokens WHERE session_id = {id} AND revoked_at IS NOT NULL"
        ))
    };
    assert_eq!(revoked(&t), 0);
    t.post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    assert_eq!(revoked(&t), 1);
}

/// For a partner or a user, `/api/impersonations/{id}` and its actions
/// answer someone else's session and a missing one alike.
#[tokio::test]
async fn session_ids_cannot_be_probed() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (theirs, _) = t.start(&admin, ALICE).await;
    let missing = theirs + 1000;
    for who in [PARTNER, CAROL] {
        let token = t.login(who).await;
        for (method, suffix, body) in [
            (Method::GET, "", None),
            (Method::POST, "/end", Some(json!({}))),
            (Method::POST, "/notes", Some(json!({"text": "probe"}))),
            (Method::POST, "/export", Some(json!({}))),
        ] {
            let mut answers: Vec<(StatusCode, Value)> = Vec::new();
            for id in [theirs.to_string(), missing.to_string(), "abc".to_string()] {
                let path = format!("/api/impersonations/{id}{suffix}");
                let r = t
                    .call(method.clone(), &path, Some(&token), body.clone())
                    .await;
                answers.push((r.status, r.body));
            }
            assert_eq!(answers[0].0, StatusCode::FORBIDDEN, "{who} {suffix}");
            assert_eq!(answers[0].1["error"]["code"], "not_allowed");
            for other in &answers[1..] {
                assert_eq!(other, &answers[0], "{who} {method} {suffix}");
            }
        }
    }
    // Administrators may read any session, so they are told what is missing.
    let r = t
        .get(&format!("/api/impersonations/{missing}"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
