//! The summary's words and support record, and the embedding messages.

use viewas::{
    client::Method,
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
    s.ticket = Some("SUP-\u{202E}123".into());
    s.pages_viewed = 4;
    s.notes.push(Note {
        id: 1,
        session_id: 7,
        text: "SFTP key \u{202E}expired".into(),
        created_at: "2026-11-25T13:35:00Z".into(),
    });
    let md = markdown(&s, "Exit at 14:40", "6 min 00 s", "Europe/Prague");
    // What people typed sits between FIRST STRONG ISOLATE and POP
    // DIRECTIONAL ISOLATE: a right-to-left override cannot reach past it.
    let i = |s: &str| format!("\u{2068}{s}\u{2069}");
    for want in [
        "## Impersonation session #7".to_string(),
        format!(
            "**Who:** {} ({}), {}",
            i("Ada Admin"),
            i("admin@duvo.example"),
            i("Duvo")
        ),
        format!(
            "**Viewed as:** {} ({}), {}",
            i("Alice Novak"),
            i("alice@acme.example"),
            i("Acme Logistics")
        ),
        format!(
            "**Reason:** Support request — {}",
            i("Customer asked about a failed export")
        ),
        format!("**Ticket:** {}\n", i("SUP-\u{202E}123")),
        "**How it ended:** Exit at 14:40".to_string(),
        "**Pages viewed:** 4".to_string(),
        format!("- 25 Nov 2026, 14:35: {}\n", i("SFTP key \u{202E}expired")),
    ] {
        assert!(md.contains(&want), "missing {want:?} in\n{md}");
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
    viewas::load_partner_origins(&api).await;
    viewas::load_partner_origins(&api).await;
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
    viewas::load_partner_origins(&api2).await;
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

/// Exit while the server cannot be reached: the summary says so plainly and
/// offers to end the session on the server again, which then shows the
/// server's record.
#[wasm_bindgen_test]
async fn an_exit_the_server_did_not_hear_is_told_and_can_be_ended_again() {
    use leptos::{mount::mount_to, prelude::*};
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };
    use viewas::{app::AppRouter, client::HttpResponse, provide_app_contexts, session::AuthInfo};
    use viewas_api::SessionStatus;

    reset();
    let _at = At::go("/session/assignments");
    let online = Arc::new(AtomicBool::new(true));
    let ended_on_server = Arc::new(AtomicBool::new(false));
    let (on, done) = (online.clone(), ended_on_server.clone());
    let t = FakeTransport::new(move |req| {
        if !on.load(Ordering::SeqCst) {
            return Err(viewas::client::TransportError::Unreachable(
                "offline".into(),
            ));
        }
        let mut s = session_for(alice(), 7, 1800);
        match (req.method, req.path.as_str()) {
            (Method::Get, "/api/view/assignments") => respond(200, "[]"),
            (Method::Post, "/api/impersonations/7/end") => {
                done.store(true, Ordering::SeqCst);
                s.status = SessionStatus::Ended;
                s.end_reason = Some(EndReason::Exit);
                s.ended_at = Some(iso(js_sys::Date::now()));
                respond(200, json(&s))
            }
            (Method::Get, "/api/impersonations/7") => {
                if done.load(Ordering::SeqCst) {
                    s.status = SessionStatus::Ended;
                    s.end_reason = Some(EndReason::Exit);
                    s.ended_at = Some(iso(js_sys::Date::now()));
                }
                respond(200, json(&s))
            }
            _ => Ok(HttpResponse {
                status: 404,
                body: r#"{"error":{"code":"not_found","message":"Not found"}}"#.into(),
            }),
        }
    });
    let el = container();
    let arc = t.arc();
    let _dispose = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.sign_in(AuthInfo {
            token: "admin-token".into(),
            user: alice(),
        });
        ctx.start(started(alice(), 7, 1800));
        view! { <AppRouter /> }
    });
    settle().await;

    online.store(false, Ordering::SeqCst);
    click(&el, ".btn-exit");
    for _ in 0..3 {
        settle().await;
    }
    let text = el.text_content().unwrap_or_default();
    assert!(
        text.contains("The server could not be reached when you exited"),
        "{text}"
    );
    assert!(
        text.contains("How it ended") && text.contains("the server was not told"),
        "{text}"
    );
    assert!(!text.contains("Exit at"), "{text}");
    let alert = find(&el, "[role=alert]");
    assert!(alert
        .text_content()
        .unwrap_or_default()
        .contains("may keep it open"));

    // Still offline: the retry says so and the notice stays.
    click(&el, "[role=alert] button");
    settle().await;
    assert!(
        text_of(&el, "[role=alert] [role=status]").contains("could not be reached"),
        "{}",
        text_of(&el, "[role=alert]")
    );

    // Back online: the end goes out with the administrator's token and the
    // page shows the server's record.
    online.store(true, Ordering::SeqCst);
    click(&el, "[role=alert] button");
    for _ in 0..3 {
        settle().await;
    }
    let end = t
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/impersonations/7/end")
        .expect("an end request");
    assert_eq!(end.method, Method::Post);
    assert_eq!(end.bearer.as_deref(), Some("admin-token"));
    assert!(ended_on_server.load(Ordering::SeqCst));
    let text = el.text_content().unwrap_or_default();
    assert!(text.contains("Exit at"), "{text}");
    assert!(
        el.query_selector("[role=alert]").unwrap().is_none(),
        "the warning is gone: {text}"
    );
}
