//! Sign-in, tokens and throttling.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn me_answers_the_signed_in_user() {
    let t = TestApp::new().await;
    let tok = t.login(ALICE).await;
    let r = t.get("/api/me", &tok).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["email"], ALICE);
    assert_eq!(r.body["org"]["name"], "Acme Logistics");
    assert_eq!(r.body["org"]["policy"], "notify");
    assert_eq!(r.body["timezone"], "Europe/Prague");
}

#[tokio::test]
async fn missing_and_garbled_tokens_are_unauthorized() {
    let t = TestApp::new().await;
    let good = t.login(ADMIN).await;
    let (sel, secret) = good.split_once('.').unwrap();
    // Right selector, wrong secret; right shape, unknown selector; junk.
    let wrong_secret = format!("{sel}.{}", "0".repeat(secret.len()));
    let unknown = format!("{}.{secret}", "f".repeat(sel.len()));
    for tok in [
        Some(""),
        Some("garbage"),
        Some(wrong_secret.as_str()),
        Some(unknown.as_str()),
        None,
    ] {
        let r = t.call(Method::GET, "/api/me", tok, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{tok:?}");
        assert_eq!(r.code(), "unauthorized");
    }
    // Basic auth is not a bearer token.
    let r = t
        .send(
            axum::http::Request::builder()
                .uri("/api/me")
                .header(header::AUTHORIZATION, format!("Basic {good}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let t = TestApp::new().await;
    let tok = t.login(ADMIN).await;
    let (sel, secret) = tok.split_once('.').unwrap();
    assert!(secret.len() * 4 >= 128, "at least 128 random bits");
    let db = t.db();
    let (stored_sel, hash): (String, Vec<u8>) = db
        .query_row("SELECT selector, secret_hash FROM tokens", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(stored_sel, sel);
    assert_eq!(hash.len(), 32);
    let hits: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE instr(CAST(secret_hash AS TEXT), ?1) > 0 OR instr(selector, ?1) > 0",
            [secret],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hits, 0, "the secret itself is nowhere in the database");
}

#[tokio::test]
async fn logout_revokes_at_once() {
    let t = TestApp::new().await;
    let tok = t.login(ADMIN).await;
    let other = t.login(ADMIN).await;
    let r = t
        .call(Method::POST, "/api/auth/logout", Some(&tok), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t.get("/api/me", &tok).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Only that token: another sign-in of the same account still works.
    assert_eq!(t.get("/api/me", &other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_an_open_session() {
    let t = TestApp::new().await;
    let tok = t.login(ADMIN).await;
    let (id, imp) = t.start(&tok, ALICE).await;
    let r = t
        .call(Method::POST, "/api/auth/logout", Some(&tok), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.code(), "session_ended");
    let reason: String = t
        .db()
        .query_row(
            "SELECT end_reason FROM impersonation_sessions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reason, "exit");
}

#[tokio::test]
async fn admin_tokens_expire_after_eight_hours() {
    let t = TestApp::new().await;
    let tok = t.login(ADMIN).await;
    t.clock.advance(8 * 3600 - 1);
    assert_eq!(t.get("/api/me", &tok).await.status, StatusCode::OK);
    t.clock.advance(1);
    let r = t.get("/api/me", &tok).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthorized");
}

#[tokio::test]
async fn login_is_throttled_per_account() {
    let t = TestApp::new().await;
    let wrong = json!({"email": ADMIN, "password": "wrong password"});
    for _ in 0..5 {
        let r = t
            .call(Method::POST, "/api/auth/login", None, Some(wrong.clone()))
            .await;
        assert_eq!(r.code(), "invalid_credentials");
    }
    // Even the right password is refused while the account is throttled.
    let right = json!({"email": ADMIN, "password": PASSWORD});
    let r = t
        .call(Method::POST, "/api/auth/login", None, Some(right.clone()))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_requests");
    let retry: i64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Stored in the database, not in memory.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope = 'account:admin@duvo.example'"),
        5
    );
    // Other accounts are unaffected (different account, under the address limit).
    assert_eq!(
        t.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": SUPPORT, "password": PASSWORD}))
        )
        .await
        .status,
        StatusCode::OK
    );
    // After the window the account may try again.
    t.clock.advance(retry);
    let r = t
        .call(Method::POST, "/api/auth/login", None, Some(right))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn login_is_throttled_per_client_address() {
    let t = TestApp::new().await;
    // 4 failures on each of 5 accounts: no account reaches its limit, the
    // address reaches its 20.
    for email in [ADMIN, SUPPORT, PARTNER, ALICE, BOB] {
        for _ in 0..4 {
            let r = t
                .call(
                    Method::POST,
                    "/api/auth/login",
                    None,
                    Some(json!({"email": email, "password": "x"})),
                )
                .await;
            assert_eq!(r.code(), "invalid_credentials");
        }
    }
    let r = t
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": CAROL, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn email_is_case_insensitive_and_trimmed() {
    let t = TestApp::new().await;
    let r = t
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "  Alice@ACME.example ", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user"]["email"], ALICE);
}

#[tokio::test]
async fn impersonation_tokens_cannot_use_account_endpoints() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    for (m, p) in [
        (Method::GET, "/api/me"),
        (Method::GET, "/api/me/access-history"),
        (Method::GET, "/api/users"),
        (Method::POST, "/api/auth/logout"),
        (Method::GET, "/api/audit/sessions"),
        (Method::GET, "/api/audit/verify"),
        (Method::GET, "/api/audit/events"),
        (Method::POST, "/api/admin/users/4/disable"),
    ] {
        let r = t.call(m.clone(), p, Some(&imp), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {p}: {}", r.text);
        assert_eq!(r.code(), "not_allowed");
    }
    // And signing in as a user does not make the impersonated user's session.
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.status, StatusCode::OK);
}
