//! Sign-in, tokens and throttling.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::{json, Value};
use viewas_server::store::throttle::{ADDRESS_IN_FLIGHT, FREE_FAILURES, PER_ADDRESS};

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

fn retry_after(r: &Resp) -> i64 {
    r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// After the free failures an account is slowed, never locked: the right
/// password inside the delay waits like any attempt, and passes after it.
#[tokio::test]
async fn login_is_slowed_per_account_not_locked() {
    let t = TestApp::new().await;
    for _ in 0..FREE_FAILURES {
        let r = t.try_login(ADMIN, "wrong password").await;
        assert_eq!(r.code(), "invalid_credentials");
    }
    let r = t.try_login(ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_requests");
    assert_eq!(retry_after(&r), 1, "the first delay is a second");
    // Stored in the database, not in memory.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope = 'account:admin@duvo.example'"),
        FREE_FAILURES
    );
    // Other accounts are unaffected (different account, under the address limit).
    assert_eq!(t.try_login(SUPPORT, PASSWORD).await.status, StatusCode::OK);
    // After the delay the owner signs in.
    t.clock.advance(retry_after(&r));
    let r = t.try_login(ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn login_is_throttled_per_client_address() {
    let t = TestApp::new().await;
    // Failures spread over accounts, none past its free failures, until the
    // address has its limit.
    let db = t.db();
    let mut st = db
        .prepare(
            "SELECT email FROM users WHERE password_hash IS NOT NULL AND email <> ?1 \
             ORDER BY id LIMIT ?2",
        )
        .unwrap();
    let emails: Vec<String> = st
        .query_map(rusqlite::params![CAROL, PER_ADDRESS / FREE_FAILURES], |r| {
            r.get(0)
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for i in 0..PER_ADDRESS {
        let email = &emails[(i / FREE_FAILURES) as usize];
        let r = t.try_login(email, "x").await;
        assert_eq!(r.code(), "invalid_credentials", "attempt {i}");
    }
    let r = t.try_login(CAROL, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=15 * 60).contains(&retry_after(&r)));
}

#[tokio::test]
async fn email_is_case_insensitive_and_trimmed() {
    let t = TestApp::new().await;
    let r = t.try_login("  Alice@ACME.example ", PASSWORD).await;
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

/// Sign-ins sent all at once, each on its own task: (401s, 429s). Anything
/// else fails the test.
async fn burst(t: &TestApp, bodies: Vec<Value>) -> (i64, i64) {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|b| {
            let req = request(Method::POST, "/api/auth/login", None, Some(b));
            tokio::spawn(send_to(t.router.clone(), req))
        })
        .collect();
    let (mut unauthorized, mut throttled) = (0, 0);
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            StatusCode::UNAUTHORIZED => {
                assert_eq!(r.code(), "invalid_credentials");
                unauthorized += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(r.code(), "too_many_requests");
                assert!(r.headers.contains_key(header::RETRY_AFTER));
                throttled += 1;
            }
            s => panic!("unexpected {s}: {}", r.text),
        }
    }
    (unauthorized, throttled)
}

/// Every 401 is one password check; a burst must not get more of them than
/// the account's free failures (it got 33 of 40 when the limit was read
/// before the check and the failure written after it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_passwords_gets_no_more_checks_than_the_free_failures() {
    let t = TestApp::new().await;
    let wrong = json!({"email": ADMIN, "password": "wrong password"});
    let (unauthorized, throttled) = burst(&t, vec![wrong; 30]).await;
    assert_eq!(
        (unauthorized, throttled),
        (FREE_FAILURES, 30 - FREE_FAILURES),
        "401s and 429s"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope = 'account:admin@duvo.example'"),
        FREE_FAILURES
    );
    // The right password waits too, until the delay has passed.
    let r = t.try_login(ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    t.clock.advance(retry_after(&r));
    assert_eq!(t.try_login(ADMIN, PASSWORD).await.status, StatusCode::OK);
}

/// The same for the client address: one address spraying many accounts (here
/// unknown ones, one attempt each) gets its budget of checks and the attempts
/// in flight allowed beside it, then the address must wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_over_many_accounts_gets_no_more_checks_than_the_address_limit() {
    let t = TestApp::new().await;
    let n = 120;
    let bodies = (0..n)
        .map(|i| json!({"email": format!("nobody{i}@duvo.example"), "password": "guess"}))
        .collect();
    let (unauthorized, throttled) = burst(&t, bodies).await;
    assert!(
        (PER_ADDRESS..=PER_ADDRESS + ADDRESS_IN_FLIGHT).contains(&unauthorized),
        "{unauthorized} password checks"
    );
    assert_eq!(unauthorized + throttled, n);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope LIKE 'address:%' AND pending = 0"),
        unauthorized
    );
    // Refused now, for any account from that address.
    let r = t.try_login(ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Everyone behind one proxy signs in from one address: right passwords of
/// many accounts at once all sign in (the address counts settled failures,
/// and attempts in flight have a cap of their own).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_people_signing_in_at_once_from_one_address_all_get_in() {
    let t = TestApp::new().await;
    let db = t.db();
    // More people than the address may have failures, fewer than it may
    // have attempts in flight.
    let people = PER_ADDRESS + 10;
    assert!(people <= ADDRESS_IN_FLIGHT);
    let mut st = db
        .prepare(&format!(
            "SELECT email FROM users WHERE password_hash IS NOT NULL AND disabled = 0 \
             ORDER BY id LIMIT {people}"
        ))
        .unwrap();
    let emails: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        emails.len() > PER_ADDRESS as usize,
        "{} accounts",
        emails.len()
    );
    let tasks: Vec<_> = emails
        .iter()
        .map(|e| {
            let body = json!({"email": e, "password": PASSWORD});
            let req = request(Method::POST, "/api/auth/login", None, Some(body));
            tokio::spawn(send_to(t.router.clone(), req))
        })
        .collect();
    for task in tasks {
        let r = task.await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM login_failures"), 0);
}

/// A correct password is not a failure: it signs in after a few failures
/// and resets the account's back-off; the address keeps its failures.
#[tokio::test]
async fn a_correct_password_signs_in_and_resets_the_account() {
    let t = TestApp::new().await;
    let wrong = || t.try_login(ADMIN, "wrong password");
    for _ in 0..3 {
        assert_eq!(wrong().await.code(), "invalid_credentials");
    }
    for _ in 0..3 {
        let r = t.try_login(ADMIN, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let failures = |scope: &str| {
        t.count(&format!(
            "SELECT COUNT(*) FROM login_failures WHERE scope = '{scope}'"
        ))
    };
    assert_eq!(failures("account:admin@duvo.example"), 0);
    assert_eq!(failures("address:unknown"), 3);
    // All the free failures again, and no more: the next one waits.
    for _ in 0..FREE_FAILURES {
        assert_eq!(wrong().await.code(), "invalid_credentials");
    }
    assert_eq!(wrong().await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(failures("account:admin@duvo.example"), FREE_FAILURES);
}

/// Correct passwords sent at once all sign in while the account has free
/// attempts for them: a reservation is held only while its password is
/// checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn correct_passwords_at_once_all_sign_in() {
    let t = TestApp::new().await;
    let right = json!({"email": ADMIN, "password": PASSWORD});
    let tasks: Vec<_> = (0..FREE_FAILURES)
        .map(|_| {
            let req = request(Method::POST, "/api/auth/login", None, Some(right.clone()));
            tokio::spawn(send_to(t.router.clone(), req))
        })
        .collect();
    for task in tasks {
        let r = task.await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM login_failures"), 0);
}
