//! The summary's words and support record, and the embedding messages.

use viewas::{
    api::Method,
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
        viewas::json::to_string(&m),
        r#"{"type":"viewas.session.ended","session_id":7,"reason":"expiry"}"#
    );
}

/// Collects the `viewas.session.*` messages this window receives.
struct Ear {
    heard: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
    on_msg: wasm_bindgen::closure::Closure<dyn Fn(web_sys::MessageEvent)>,
}

impl Ear {
    fn new() -> Self {
        let heard = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
        let h = heard.clone();
        let on_msg = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MessageEvent)>::new(
            move |ev: web_sys::MessageEvent| {
                let raw = js_sys::JSON::stringify(&ev.data())
                    .ok()
                    .and_then(|s| s.as_string())
                    .unwrap_or_default();
                if raw.contains("viewas.session.") {
                    h.borrow_mut().push(raw);
                }
            },
        );
        web_sys::window()
            .unwrap()
            .add_event_listener_with_callback(
                "message",
                wasm_bindgen::JsCast::unchecked_ref(on_msg.as_ref()),
            )
            .unwrap();
        Ear { heard, on_msg }
    }

    fn heard(&self) -> Vec<String> {
        self.heard.borrow().clone()
    }
}

impl Drop for Ear {
    fn drop(&mut self) {
        let _ = web_sys::window()
            .unwrap()
            .remove_event_listener_with_callback(
                "message",
                wasm_bindgen::JsCast::unchecked_ref(self.on_msg.as_ref()),
            );
    }
}

#[wasm_bindgen_test]
async fn only_an_origin_in_the_servers_list_gets_a_message() {
    reset();
    embed::set_server_origins(None);
    let window = web_sys::window().unwrap();
    // This page's own origin stands in for the portal: the message is
    // posted to this window, addressed to the configured origin.
    let own = window.location().origin().unwrap();
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
        .set_item("viewas.partner_origin", &own)
        .unwrap();
    assert_eq!(embed::partner_origin().as_deref(), Some(own.as_str()));
    let ear = Ear::new();

    // No list from the server yet: fail closed.
    assert!(!embed::notify_window(
        &window,
        embed::STARTED,
        7,
        "support_request"
    ));

    // The server lists another origin only: the list is fetched once, without
    // a token, and this origin still gets nothing.
    let t = FakeTransport::new(|req| {
        if req.path == "/api/config" {
            ok(r#"{"partner_origins":["http://127.0.0.1:8090"]}"#)
        } else {
            respond(404, "")
        }
    });
    let (_h, _ctx, api) = contexts(&t);
    embed::load_server_origins(api.clone()).await;
    embed::load_server_origins(api).await;
    let reqs = t.requests();
    assert_eq!(reqs.len(), 1, "fetched once");
    assert_eq!(reqs[0].method, Method::Get);
    assert_eq!(reqs[0].path, "/api/config");
    assert_eq!(reqs[0].bearer, None);
    assert!(!embed::server_allows(&own));
    assert!(!embed::notify_window(&window, embed::ENDED, 7, "exit"));
    sleep_ms(50).await;
    assert_eq!(
        ear.heard(),
        Vec::<String>::new(),
        "an unlisted origin hears nothing"
    );

    // An unreachable server leaves no list: still nothing.
    embed::set_server_origins(None);
    let down = FakeTransport::unreachable();
    let (_h2, _ctx2, api2) = contexts(&down);
    embed::load_server_origins(api2).await;
    assert_eq!(down.calls(), 1);
    assert!(!embed::notify_window(&window, embed::ENDED, 7, "exit"));

    // Listed: the message arrives.
    embed::set_server_origins(Some(vec!["http://127.0.0.1:8090".into(), own.clone()]));
    assert!(embed::notify_window(&window, embed::ENDED, 7, "exit"));
    sleep_ms(50).await;
    assert_eq!(
        ear.heard(),
        vec![r#"{"type":"viewas.session.ended","session_id":7,"reason":"exit"}"#.to_string()]
    );
    embed::set_server_origins(None);
    reset();
}
