//! Fail closed on fields we do not know: every request body that grants or
//! records something refuses an unknown field with 422 `unknown_field`, in
//! the error shape, and nothing is done. A client never believes a
//! restriction (a start's `scope`) or a record (a note's `shared`) was
//! applied when it was not.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};

fn unknown_field(r: &Resp, what: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.text
    );
    assert_eq!(r.code(), "unknown_field", "{what}: {}", r.text);
    assert!(r.body["error"]["message"].is_string(), "{what}");
}

#[tokio::test]
async fn a_start_with_a_scope_is_refused_and_nothing_starts() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let alice = t.user_id(ALICE);
    let sessions = t.count("SELECT COUNT(*) FROM impersonation_sessions");
    let trail = t.count("SELECT COUNT(*) FROM audit_events");
    for extra in [
        json!({"scope": {"areas": ["runs"]}}),
        json!({"scope": null}),
        json!({"request_id": 1}),
        json!({"duration_minutes": 5}),
    ] {
        let mut body = json!({
            "user_id": alice,
            "reason_category": "support_request",
            "reason": REASON,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = t.post("/api/impersonations", &admin, body).await;
        unknown_field(&r, &extra.to_string());
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM impersonation_sessions"),
        sessions
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_events"), trail);
    // The same start without the extra field still starts.
    t.start(&admin, ALICE).await;
}

#[tokio::test]
async fn login_notes_end_and_role_refuse_unknown_fields() {
    let t = TestApp::new().await;
    let r = t
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": ADMIN, "password": PASSWORD, "remember_me": true})),
        )
        .await;
    unknown_field(&r, "login");

    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    for token in [&admin, &imp] {
        let r = t
            .post(
                &format!("/api/impersonations/{id}/notes"),
                token,
                json!({"text": "a finding", "shared": true}),
            )
            .await;
        unknown_field(&r, "note");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM notes"), 0);

    for token in [&admin, &imp] {
        let r = t
            .post(
                &format!("/api/impersonations/{id}/end"),
                token,
                json!({"reason": "done", "end_reason": "terminated"}),
            )
            .await;
        unknown_field(&r, "end");
    }
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK,
        "a refused end ended the session"
    );

    let bob = t.user_id(BOB);
    let r = t
        .post(
            &format!("/api/admin/users/{bob}/role"),
            &admin,
            json!({"role": "partner", "org_id": 1}),
        )
        .await;
    unknown_field(&r, "role");
    assert_eq!(
        t.count(&format!("SELECT role = 'user' FROM users WHERE id = {bob}")),
        1
    );
}

/// The end body is optional, and its one field is recorded.
#[tokio::test]
async fn an_end_takes_no_body_or_a_reason() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    // As the console sends it: no body, no content type.
    let r = t
        .call(
            Method::POST,
            &format!("/api/impersonations/{id}/end"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (id, _) = t.start(&admin, ALICE).await;
    let r = t
        .post(
            &format!("/api/impersonations/{id}/end"),
            &admin,
            json!({"reason": "Customer confirmed the fix"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let detail: String = t
        .db()
        .query_row(
            "SELECT detail FROM audit_events WHERE session_id = ?1 AND kind = 'session_ended'",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["reason"], "Customer confirmed the fix");
}

/// The wire types the console sends carry no field the server refuses.
#[test]
fn the_consoles_request_types_are_accepted_as_they_serialize() {
    use viewas_api::{LoginRequest, NewNote, ReasonCategory, StartImpersonation};
    let start = serde_json::to_value(StartImpersonation {
        user_id: 4,
        reason_category: ReasonCategory::Audit,
        reason: REASON.into(),
        ticket: None,
    })
    .unwrap();
    let keys: Vec<&str> = start
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["reason", "reason_category", "ticket", "user_id"]);
    let note = serde_json::to_value(NewNote { text: "x".into() }).unwrap();
    assert_eq!(note, json!({"text": "x"}));
    let login = serde_json::to_value(LoginRequest {
        email: "a".into(),
        password: "b".into(),
    })
    .unwrap();
    assert_eq!(login, json!({"email": "a", "password": "b"}));
    // And the api types refuse what the server refuses.
    assert!(serde_json::from_value::<NewNote>(json!({"text": "x", "shared": true})).is_err());
}
