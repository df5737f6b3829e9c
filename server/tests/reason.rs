//! The reason rules at the HTTP edge: what the shared validator refuses is
//! answered 422 `invalid_reason`, and nothing is started or recorded.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

/// Ten characters nobody can see: direction overrides, zero-width spaces,
/// joiners, byte-order marks and soft hyphens, with spaces around them.
#[tokio::test]
async fn a_reason_of_invisible_characters_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let alice = t.user_id(ALICE);
    let sessions = t.count("SELECT COUNT(*) FROM impersonation_sessions");
    let events = t.count("SELECT COUNT(*) FROM audit_events");
    for reason in [
        "\u{202E}".repeat(10),
        " \u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}\u{00AD}\u{2066}\u{2069}\u{200E}\u{200F} ".into(),
        // Nine visible characters padded with invisible ones.
        format!("\u{202E}{}\u{200B}", "abcdefghi"),
    ] {
        let r = t
            .post(
                "/api/impersonations",
                &admin,
                json!({"user_id": alice, "reason_category": "support_request", "reason": reason}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason:?}: {}",
            r.text
        );
        assert_eq!(r.code(), "invalid_reason");
        let msg = r.body["error"]["message"].as_str().unwrap_or("");
        assert!(msg.contains("visible"), "{msg}");
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM impersonation_sessions"),
        sessions
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_events"), events);
    // Visible text with a direction override inside is still a reason.
    let r = t
        .post(
            "/api/impersonations",
            &admin,
            json!({"user_id": alice, "reason_category": "support_request", "reason": "Customer \u{202E}ticket 4711"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
