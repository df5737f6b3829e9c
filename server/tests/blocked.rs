//! Writes tried with an impersonation token are refused and on the record
//! everywhere (DESIGN 2(c), 4), not only on /api/view/*.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::json;

fn blocked_rows(t: &TestApp, session: i64) -> Vec<(String, String, i64)> {
    let db = t.db();
    let mut st = db
        .prepare(
            "SELECT method, path, status FROM audit_events \
             WHERE session_id = ?1 AND kind = 'blocked' ORDER BY id",
        )
        .unwrap();
    st.query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn every_write_an_impersonation_token_tries_is_refused_and_recorded() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (sid, imp) = t.start(&admin, ALICE).await;
    let bob = t.user_id(BOB);
    let body = || Some(json!({}));
    // (method, path, status, code): the contract's answer for each.
    let cases: Vec<(Method, String, u16, &str)> = vec![
        (
            Method::POST,
            format!("/api/admin/users/{bob}/disable"),
            403,
            "not_allowed",
        ),
        (
            Method::POST,
            "/api/impersonations".into(),
            403,
            "not_allowed",
        ),
        (Method::POST, "/api/auth/logout".into(), 403, "not_allowed"),
        (
            Method::POST,
            format!("/api/impersonations/{sid}/export"),
            403,
            "not_allowed",
        ),
        // No such method or path: read-only, not 405/404.
        (
            Method::DELETE,
            format!("/api/impersonations/{sid}"),
            403,
            "read_only",
        ),
        (
            Method::PATCH,
            format!("/api/impersonations/{sid}/notes"),
            403,
            "read_only",
        ),
        (Method::PUT, "/api/users".into(), 403, "read_only"),
        (Method::POST, "/api/no-such-thing".into(), 403, "read_only"),
        // Another session's notes.
        (
            Method::POST,
            "/api/impersonations/99999/notes".into(),
            403,
            "not_allowed",
        ),
    ];
    for (i, (method, path, status, code)) in cases.iter().enumerate() {
        let r = t.call(method.clone(), path, Some(&imp), body()).await;
        assert_eq!(r.status.as_u16(), *status, "{method} {path}: {}", r.text);
        assert_eq!(r.code(), *code, "{method} {path}");
        let rows = blocked_rows(&t, sid);
        assert_eq!(rows.len(), i + 1, "{method} {path} is on the record once");
        assert_eq!(
            rows[i],
            (method.to_string(), path.clone(), i64::from(*status))
        );
    }
    // The same requests with the sign-in token are not an impersonation's.
    let r = t
        .call(
            Method::DELETE,
            &format!("/api/impersonations/{sid}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    // HEAD is a read outside the view routes (the view gate refuses it).
    let r = t
        .call(
            Method::HEAD,
            &format!("/api/impersonations/{sid}"),
            Some(&imp),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(blocked_rows(&t, sid).len(), cases.len());
    // A sign-in does not read the token: not an attempt.
    let r = t
        .call(
            Method::POST,
            "/api/auth/login",
            Some(&imp),
            Some(json!({"email": ADMIN, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(blocked_rows(&t, sid).len(), cases.len());
    // What the token may write is not "blocked": a note and the end.
    let r = t
        .post(
            &format!("/api/impersonations/{sid}/notes"),
            &imp,
            json!({"text": "seen"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = t
        .post(&format!("/api/impersonations/{sid}/end"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(blocked_rows(&t, sid).len(), cases.len());

    // After the end: refused as the contract says, and not recorded (as
    // for views); a sign-in carrying the old token is no attempt at all.
    let r = t
        .post(&format!("/api/admin/users/{bob}/disable"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .call(Method::DELETE, "/api/view/runs/1", Some(&imp), None)
        .await;
    assert_eq!(r.code(), "session_ended");
    assert_eq!(blocked_rows(&t, sid).len(), cases.len());
    // And nothing was disabled.
    assert_eq!(
        t.count(&format!("SELECT disabled FROM users WHERE id = {bob}")),
        0
    );
}

/// A declared body over the limit on a view path: refused as a write (403
/// `read_only`, recorded) before its size is looked at.
#[tokio::test]
async fn an_oversized_write_to_a_view_path_is_refused_as_a_write() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (sid, imp) = t.start(&admin, ALICE).await;
    let big = vec![b'a'; 70_000];
    let req = Request::builder()
        .method(Method::DELETE)
        .uri("/api/view/runs/1")
        .header(header::AUTHORIZATION, format!("Bearer {imp}"))
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "read_only");
    assert_eq!(
        blocked_rows(&t, sid),
        vec![("DELETE".to_string(), "/api/view/runs/1".to_string(), 403)]
    );
    // The same body to a sign-in route is still refused for its size.
    let big = vec![b'a'; 70_000];
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
}
