//! Sign-in throttling slows an attacker without locking the owner out: a
//! per-account back-off capped at a minute, a per-address window across
//! accounts, both counted in the store and driven by the manual clock.

mod common;

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::json;
use viewas_server::clock::Clock;

/// The policy the README states: the longest wait, and the failures one
/// address may have in a 15-minute window.
const CAP_SECS: i64 = 60;
const PER_ADDRESS: i64 = 50;
const WINDOW_SECS: i64 = 15 * 60;

/// A sign-in from `peer` (the socket's address, as the server would see it).
async fn attempt(t: &TestApp, peer: &str, email: &str, password: &str) -> Resp {
    let body = json!({"email": email, "password": password});
    let mut req = request(Method::POST, "/api/auth/login", None, Some(body));
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    t.send(req).await
}

fn retry_after(r: &Resp) -> i64 {
    assert_eq!(r.code(), "too_many_requests", "{}", r.text);
    r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn account_failures(t: &TestApp, email: &str) -> i64 {
    t.count(&format!(
        "SELECT COUNT(*) FROM login_failures WHERE scope = 'account:{email}'"
    ))
}

/// An attacker spread over 250 addresses (so no address limit is in the
/// way) makes 1,000 failed guesses at the administrator's password, each as
/// soon as the back-off lets it; then the owner, from their own address,
/// signs in within the cap.
#[tokio::test]
async fn the_owner_signs_in_within_the_cap_after_an_attackers_1000_failures() {
    let t = TestApp::new().await;
    let (mut failures, mut refused, mut i) = (0, 0, 0);
    while failures < 1000 {
        let peer = format!("198.18.{}.{}", i % 250 / 100, i % 250 % 100 + 1);
        i += 1;
        let r = attempt(&t, &peer, ADMIN, "guess").await;
        match r.status {
            StatusCode::UNAUTHORIZED => failures += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = retry_after(&r);
                assert!(
                    (1..=CAP_SECS).contains(&wait),
                    "attacker told to wait {wait} s"
                );
                refused += 1;
                t.clock.advance(wait);
            }
            s => panic!("unexpected {s}: {}", r.text),
        }
    }
    let attack_secs = t.clock.now() - T0;
    // Still slowed: after the free ones, a minute per guess.
    assert!(
        attack_secs >= (1000 - 11) * CAP_SECS,
        "1,000 guesses took only {attack_secs} s"
    );
    assert_eq!(account_failures(&t, ADMIN), 1000);

    // The owner arrives right after the last guess: the worst moment.
    let arrived = t.clock.now();
    let r = attempt(&t, "192.0.2.10", ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    let wait = retry_after(&r);
    assert!(wait <= CAP_SECS, "{wait}");
    t.clock.advance(wait);
    let r = attempt(&t, "192.0.2.10", ADMIN, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let waited = t.clock.now() - arrived;
    assert!(waited <= CAP_SECS, "the owner waited {waited} s");
    assert_eq!(
        account_failures(&t, ADMIN),
        0,
        "a success resets the back-off"
    );
    eprintln!(
        "1,000 failures: {refused} attempts refused unchecked, {attack_secs} s of clock time \
         for the attacker; the owner waited {waited} s"
    );
}

/// An attempt inside the delay is answered before any password is looked
/// at: the right password gets the same 429 as a wrong one, is not a
/// failure and resets nothing.
#[tokio::test]
async fn an_attempt_inside_the_delay_checks_no_password_and_resets_nothing() {
    let t = TestApp::new().await;
    let peer = "192.0.2.10";
    for _ in 0..5 {
        let r = attempt(&t, peer, ADMIN, "guess").await;
        assert_eq!(r.code(), "invalid_credentials");
    }
    let right = attempt(&t, peer, ADMIN, PASSWORD).await;
    let wrong = attempt(&t, peer, ADMIN, "guess").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        (right.text.clone(), retry_after(&right)),
        (wrong.text.clone(), 1)
    );
    assert_eq!(account_failures(&t, ADMIN), 5, "not counted");

    // One more failure after the delay: the next delay doubles, so the
    // refused right password reset nothing.
    t.clock.advance(1);
    assert_eq!(
        attempt(&t, peer, ADMIN, "guess").await.code(),
        "invalid_credentials"
    );
    let r = attempt(&t, peer, ADMIN, PASSWORD).await;
    assert_eq!(retry_after(&r), 2);
    t.clock.advance(1);
    assert_eq!(retry_after(&attempt(&t, peer, ADMIN, PASSWORD).await), 1);
    t.clock.advance(1);
    assert_eq!(
        attempt(&t, peer, ADMIN, PASSWORD).await.status,
        StatusCode::OK
    );
    // Reset: the free failures are back.
    assert_eq!(
        attempt(&t, peer, ADMIN, "guess").await.code(),
        "invalid_credentials"
    );
}

/// One address spraying made-up e-mails gets its window's failures, then
/// waits, for every account; other addresses sign in and fail as before.
#[tokio::test]
async fn made_up_emails_from_one_address_do_not_affect_other_addresses() {
    let t = TestApp::new().await;
    let sprayer = "198.51.100.7";
    for i in 0..PER_ADDRESS {
        let r = attempt(&t, sprayer, &format!("nobody{i}@duvo.example"), "guess").await;
        assert_eq!(r.code(), "invalid_credentials", "attempt {i}");
    }
    // The sprayer waits, even with a right password of a real account.
    let r = attempt(&t, sprayer, "nobody-else@duvo.example", "guess").await;
    let wait = retry_after(&r);
    assert!((1..=WINDOW_SECS).contains(&wait), "{wait}");
    assert_eq!(
        attempt(&t, sprayer, ALICE, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another address: the owner signs in, a stranger's typo is a 401.
    assert_eq!(
        attempt(&t, "192.0.2.10", ALICE, PASSWORD).await.status,
        StatusCode::OK
    );
    let r = attempt(&t, "192.0.2.11", "nobody0@duvo.example", "typo").await;
    assert_eq!(r.code(), "invalid_credentials");
    // The window slides: the sprayer may try again once its oldest left.
    t.clock.advance(wait);
    assert_eq!(
        attempt(&t, sprayer, ALICE, PASSWORD).await.status,
        StatusCode::OK
    );
}
