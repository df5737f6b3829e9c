//! The address sign-in throttling counts: `X-Forwarded-For` is believed only
//! from a configured trusted proxy, and then only its right-most untrusted
//! entry (what lies left of it is whatever the client wrote).

mod common;

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;
use viewas_server::store::throttle::PER_ADDRESS;
use viewas_server::Settings;

async fn attempt(t: &TestApp, peer: &str, xff: &str, email: &str, password: &str) -> Resp {
    let body = json!({"email": email, "password": password});
    let mut req = request(Method::POST, "/api/auth/login", None, Some(body));
    req.headers_mut()
        .insert("x-forwarded-for", xff.parse().unwrap());
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    t.send(req).await
}

fn address_failures(t: &TestApp, addr: &str) -> i64 {
    t.count(&format!(
        "SELECT COUNT(*) FROM login_failures WHERE scope = 'address:{addr}'"
    ))
}

/// `n` real accounts other than Alice's, for one wrong password each (real
/// ones are quick to check in the small seed; unknown e-mails are checked
/// against a full-cost dummy hash).
fn accounts(t: &TestApp, n: i64) -> Vec<String> {
    let db = t.db();
    let mut st = db
        .prepare(
            "SELECT email FROM users WHERE password_hash IS NOT NULL AND disabled = 0 \
             AND email <> ?1 ORDER BY id LIMIT ?2",
        )
        .unwrap();
    let emails: Vec<String> = st
        .query_map(rusqlite::params![ALICE, n], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(emails.len() as i64, n);
    emails
}

async fn behind_a_proxy() -> TestApp {
    TestApp::with(Settings {
        trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
        ..Settings::default()
    })
    .await
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_from_an_untrusted_peer() {
    let t = behind_a_proxy().await;
    let peer = "198.51.100.7";
    for (i, email) in accounts(&t, PER_ADDRESS).iter().enumerate() {
        let xff = format!("203.0.113.{}", i + 1);
        let r = attempt(&t, peer, &xff, email, "guess").await;
        assert_eq!(r.code(), "invalid_credentials", "attempt {i}");
    }
    assert_eq!(address_failures(&t, peer), PER_ADDRESS);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope LIKE 'address:203.%'"),
        0
    );
    // A fresh header buys nothing.
    let r = attempt(&t, peer, "203.0.113.250", ALICE, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
}

#[tokio::test]
async fn x_forwarded_for_is_honoured_from_a_trusted_proxy() {
    let t = behind_a_proxy().await;
    let proxy = "10.0.0.2";
    // The client writes its own (spoofed) entry first; the proxy appends
    // the address it saw, and an inner proxy its own.
    for (i, email) in accounts(&t, PER_ADDRESS).iter().enumerate() {
        let xff = format!("6.6.6.{}, 203.0.113.9, 10.1.2.3", i + 1);
        let r = attempt(&t, proxy, &xff, email, "guess").await;
        assert_eq!(r.code(), "invalid_credentials", "attempt {i}");
    }
    assert_eq!(address_failures(&t, "203.0.113.9"), PER_ADDRESS);
    assert_eq!(address_failures(&t, proxy), 0, "not the proxy's address");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope LIKE 'address:6.%'"),
        0
    );
    // That client waits, however it spoofs the left of the header...
    let r = attempt(&t, proxy, "192.0.2.99, 203.0.113.9", ALICE, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    // ...while everyone else behind the same proxy signs in.
    let r = attempt(&t, proxy, "203.0.113.10", ALICE, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
