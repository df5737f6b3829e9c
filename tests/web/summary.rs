//! The summary's words and support record, and the embedding messages.

use viewas::{
    embed,
    pages::summary::{how_it_ended, markdown},
    session::{EndCause, EndedSession},
};
use viewas_api::{EndReason, Note, SessionStatus};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
fn expiry_is_told_with_its_time() {
    let mut s = session_for(alice(), 7, 1800);
    s.status = SessionStatus::Ended;
    s.end_reason = Some(EndReason::Expiry);
    s.ended_at = Some("2026-11-25T13:32:00Z".into());
    assert_eq!(
        how_it_ended(&s, None, "Europe/Prague"),
        "Session expired at 14:32"
    );

    // The server has not said yet: the client's own reason and time.
    s.end_reason = None;
    s.ended_at = None;
    let local = EndedSession {
        session: s.clone(),
        cause: EndCause::Expired,
        at_ms: js_sys::Date::parse("2026-11-25T13:40:00Z"),
    };
    assert_eq!(
        how_it_ended(&s, Some(&local), "Europe/Prague"),
        "Session expired at 14:40"
    );
    let other_tab = EndedSession {
        cause: EndCause::OtherTab,
        ..local
    };
    assert_eq!(
        how_it_ended(&s, Some(&other_tab), "UTC"),
        "Exit in another tab"
    );
}

#[wasm_bindgen_test]
fn the_support_record_has_who_whom_why_and_the_notes() {
    let mut s = session_for(alice(), 7, 1800);
    s.ticket = Some("SUP-123".into());
    s.pages_viewed = 4;
    s.notes.push(Note {
        id: 1,
        session_id: 7,
        text: "SFTP key expired".into(),
        created_at: "2026-11-25T13:35:00Z".into(),
    });
    let md = markdown(&s, "Exit at 14:40", "6 min 00 s", "Europe/Prague");
    for want in [
        "## Impersonation session #7",
        "**Who:** Ada Admin (admin@duvo.example), Duvo",
        "**Viewed as:** Alice Novak (alice@acme.example), Acme Logistics",
        "**Reason:** Support request — Customer asked about a failed export",
        "**Ticket:** SUP-123",
        "**How it ended:** Exit at 14:40",
        "**Pages viewed:** 4",
        "- 25 Nov 2026, 14:35: SFTP key expired",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[wasm_bindgen_test]
fn only_a_bare_http_origin_is_a_partner_origin() {
    assert_eq!(
        embed::normalize_origin("https://portal.northwind.example").as_deref(),
        Some("https://portal.northwind.example")
    );
    assert_eq!(
        embed::normalize_origin("http://127.0.0.1:8091").as_deref(),
        Some("http://127.0.0.1:8091")
    );
    for bad in [
        "*",
        "",
        "null",
        "https://portal.example/path",
        "https://portal.example/?x=1",
        "javascript:alert(1)",
        "data:text/html,hi",
        "portal.example",
    ] {
        assert_eq!(embed::normalize_origin(bad), None, "{bad:?}");
    }
    // Not embedded here (the test page is the top window): nothing is posted
    // and nothing fails.
    embed::notify_parent(embed::ENDED, 7, "exit");
}

#[wasm_bindgen_test]
fn the_parent_message_has_the_agreed_shape() {
    let m = embed::ParentMessage {
        kind: embed::ENDED,
        session_id: 7,
        reason: "expiry".into(),
    };
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"type":"viewas.session.ended","session_id":7,"reason":"expiry"}"#
    );
}
