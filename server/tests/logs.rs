//! Tokens never reach the logs, even at trace level.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_token_or_password_is_logged() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.status,
        StatusCode::OK
    );
    t.call(Method::DELETE, "/api/view/assignments", Some(&imp), None)
        .await;
    t.post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    t.try_login(BOB, "wrong-password-123").await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/api/view/assignments"),
        "the capture works: {logs}"
    );
    for secret in [&admin, &imp] {
        let (_, s) = secret.split_once('.').unwrap();
        assert!(!logs.contains(s), "a token secret was logged");
    }
    assert!(!logs.contains(PASSWORD) && !logs.contains("wrong-password-123"));
}
