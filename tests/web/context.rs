//! SessionContext transitions: start, reload restore, Exit (also with the
//! server unreachable), a broadcast from another tab, and a 401.

use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use viewas::{
    client::{ApiErr, Method},
    components::Banner,
    provide_app_contexts,
    session::{ActiveSession, EndCause, SessionContext},
};
use viewas_api::{routes::path, ErrorCode, SessionStatus};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
async fn start_keeps_the_session_in_session_storage_only() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let (_h, ctx, _) = contexts(&t);
    assert!(ctx.active_untracked().is_none());
    ctx.start(started(alice(), 7, 1800));
    let raw = session_item("viewas.session").expect("stored");
    let stored: serde_json::Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(stored["token"], "imp-token-7");
    assert_eq!(stored["session"]["id"], 7);
    assert_eq!(stored["session"]["target"]["email"], "alice@acme.example");
    assert_eq!(local_storage_len(), 0, "nothing in localStorage");
    let cookies = web_sys::window()
        .and_then(|w| w.document())
        .map(|d| {
            js_sys::Reflect::get(&d, &JsValue::from_str("cookie"))
                .ok()
                .and_then(|c| c.as_string())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    assert_eq!(cookies, "", "no cookies");
}

#[wasm_bindgen_test]
async fn a_reload_restores_the_session_from_session_storage() {
    reset();
    let active = ActiveSession::from_started(started(alice(), 9, 1800), js_sys::Date::now());
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
        .set_item("viewas.session", &serde_json::to_string(&active).unwrap())
        .unwrap();
    let t = FakeTransport::always(200, "{}");
    let el = container();
    let arc = t.arc();
    let _dispose = mount_to(el.clone(), move || {
        provide_app_contexts(arc);
        view! {
            <Router>
                <Banner />
            </Router>
        }
    });
    settle().await;
    assert!(text_of(&el, ".banner-title").starts_with("Viewing as Alice Novak"));
    assert_eq!(
        SessionContext::restore()
            .active_untracked()
            .map(|a| a.session.id),
        Some(9)
    );

    // A stored session that is not active is not restored.
    let mut ended = active.clone();
    ended.session.status = SessionStatus::Ended;
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
        .set_item("viewas.session", &serde_json::to_string(&ended).unwrap())
        .unwrap();
    assert!(SessionContext::restore().active_untracked().is_none());
    assert_eq!(session_item("viewas.session"), None, "and it is removed");
}

fn mount_banner_with(
    t: &FakeTransport,
) -> (web_sys::HtmlElement, Box<dyn std::any::Any>, SessionContext) {
    use std::{cell::RefCell, rc::Rc};
    let el = container();
    let slot = Rc::new(RefCell::new(None));
    let out = slot.clone();
    let arc = t.arc();
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.start(started(alice(), 7, 1800));
        *out.borrow_mut() = Some(ctx);
        view! {
            <Router>
                <Banner />
            </Router>
        }
    });
    let ctx = slot.borrow_mut().take().expect("context");
    (el, Box::new(handle), ctx)
}

#[wasm_bindgen_test]
async fn exit_ends_on_the_server_clears_the_context_and_tells_other_tabs() {
    reset();
    let mut ended = session_for(alice(), 7, 1800);
    ended.status = SessionStatus::Ended;
    ended.end_reason = Some(viewas_api::EndReason::Exit);
    let body = json(&ended);
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let (el, _dispose, ctx) = mount_banner_with(&t);
    settle().await;

    // Another tab's ear.
    let heard = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let other = web_sys::BroadcastChannel::new("viewas").unwrap();
    let h = heard.clone();
    let on_msg = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::MessageEvent)>::new(
        move |ev: web_sys::MessageEvent| {
            if let Some(s) = js_sys::JSON::stringify(&ev.data())
                .ok()
                .and_then(|s| s.as_string())
            {
                h.borrow_mut().push(s);
            }
        },
    );
    other.set_onmessage(Some(wasm_bindgen::JsCast::unchecked_ref(on_msg.as_ref())));

    click(&el, ".btn-exit");
    settle().await;
    sleep_ms(50).await;

    let reqs = t.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, Method::Post);
    assert_eq!(reqs[0].path, "/api/impersonations/7/end");
    assert_eq!(reqs[0].bearer.as_deref(), Some("imp-token-7"));
    assert!(ctx.active_untracked().is_none());
    assert_eq!(ctx.ended_untracked().map(|e| e.cause), Some(EndCause::Exit));
    assert_eq!(session_item("viewas.session"), None);
    let heard = heard.borrow().clone();
    assert_eq!(
        heard,
        vec![r#"{"type":"session_ended","session_id":7}"#.to_string()]
    );
    other.set_onmessage(None);
    other.close();
}

#[wasm_bindgen_test]
async fn exit_clears_the_context_even_when_the_server_is_unreachable() {
    reset();
    let t = FakeTransport::unreachable();
    let (el, _dispose, ctx) = mount_banner_with(&t);
    settle().await;
    click(&el, ".btn-exit");
    settle().await;
    assert_eq!(t.calls(), 1, "it tried");
    assert!(ctx.active_untracked().is_none(), "fail closed");
    assert_eq!(session_item("viewas.session"), None);
}

#[wasm_bindgen_test]
async fn a_broadcast_from_another_tab_ends_this_tabs_session() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let (_h, ctx, _) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    let other = web_sys::BroadcastChannel::new("viewas").unwrap();

    // Another session's end is not ours.
    let msg = js_sys::JSON::parse(r#"{"type":"session_ended","session_id":8}"#).unwrap();
    other.post_message(&msg).unwrap();
    sleep_ms(150).await;
    assert!(ctx.active_untracked().is_some());

    let msg = js_sys::JSON::parse(r#"{"type":"session_ended","session_id":7}"#).unwrap();
    other.post_message(&msg).unwrap();
    sleep_ms(150).await;
    other.close();
    assert!(ctx.active_untracked().is_none());
    assert_eq!(
        ctx.ended_untracked().map(|e| e.cause),
        Some(EndCause::OtherTab)
    );
    assert_eq!(session_item("viewas.session"), None);
    assert_eq!(t.calls(), 0, "leaving on a broadcast needs no request");
}

#[wasm_bindgen_test]
async fn a_401_session_ended_leaves_the_session() {
    reset();
    let t = FakeTransport::always(
        401,
        r#"{"error":{"code":"session_ended","message":"This session has ended."}}"#,
    );
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    let answer = api.view::<serde_json::Value>(&path::assignments()).await;
    match answer {
        Err(ApiErr::Server {
            status: 401,
            code: ErrorCode::SessionEnded,
            message,
        }) => {
            assert_eq!(message, "This session has ended.");
        }
        other => panic!("{other:?}"),
    }
    assert!(ctx.active_untracked().is_none());
    assert_eq!(
        ctx.ended_untracked().map(|e| e.cause),
        Some(EndCause::EndedByServer)
    );
    assert_eq!(session_item("viewas.session"), None);
}

#[wasm_bindgen_test]
async fn a_401_on_an_admin_request_signs_out() {
    reset();
    let t = FakeTransport::always(
        401,
        r#"{"error":{"code":"unauthorized","message":"Sign in again."}}"#,
    );
    let (_h, ctx, api) = contexts(&t);
    ctx.sign_in(viewas::session::AuthInfo {
        token: "admin-token".into(),
        user: alice(),
    });
    assert!(session_item("viewas.auth").is_some());
    let answer = api.search_users("alice", None).await;
    assert!(matches!(answer, Err(ApiErr::Server { status: 401, .. })));
    assert_eq!(t.requests()[0].bearer.as_deref(), Some("admin-token"));
    assert!(ctx.auth_untracked().is_none());
    assert_eq!(session_item("viewas.auth"), None);
}

#[wasm_bindgen_test]
async fn a_session_the_server_has_ended_ends_here_at_the_next_check() {
    reset();
    let mut revoked = session_for(alice(), 7, 1800);
    revoked.status = SessionStatus::Ended;
    revoked.end_reason = Some(viewas_api::EndReason::Revocation);
    let body = json(&revoked);
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    api.check_session().await;

    let req = &t.requests()[0];
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.path, "/api/impersonations/7");
    assert_eq!(
        req.bearer.as_deref(),
        Some("imp-token-7"),
        "the session's own token"
    );
    assert!(ctx.active_untracked().is_none());
    let ended = ctx.ended_untracked().expect("ended");
    assert_eq!(ended.cause, EndCause::EndedByServer);
    assert_eq!(
        ended.session.end_reason,
        Some(viewas_api::EndReason::Revocation),
        "the server's record is kept for the summary"
    );
    assert_eq!(session_item("viewas.session"), None);
}

#[wasm_bindgen_test]
async fn a_session_that_still_stands_is_left_alone_and_not_counted_as_a_view() {
    reset();
    let body = json(&session_for(alice(), 7, 1800));
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    let before = ctx.active_untracked().expect("active");
    api.check_session().await;
    let after = ctx.active_untracked().expect("still active");
    assert_eq!(t.calls(), 1);
    assert_eq!(after.session.pages_viewed, before.session.pages_viewed);
    assert_eq!(
        after.idle_deadline_ms, before.idle_deadline_ms,
        "a check does not keep an idle session alive"
    );
}

#[wasm_bindgen_test]
async fn no_answer_or_a_disabled_impersonator_at_the_check() {
    reset();
    let t = FakeTransport::new(|_| Err(viewas::client::TransportError::Timeout));
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    api.check_session().await;
    assert!(
        ctx.active_untracked().is_some(),
        "no answer changes nothing"
    );

    reset();
    let t = FakeTransport::always(
        401,
        r#"{"error":{"code":"unauthorized","message":"Sign in again."}}"#,
    );
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 8, 1800));
    api.check_session().await;
    assert!(ctx.active_untracked().is_none(), "a dead token ends it");
}

#[wasm_bindgen_test]
fn a_session_saved_without_its_deadlines_is_restored_with_them() {
    reset();
    let s = started(alice(), 7, 1800);
    // What an older build kept: token and session only.
    let raw = format!(
        r#"{{"token":"{}","session":{}}}"#,
        s.token,
        serde_json::to_string(&s.session).unwrap()
    );
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .map(|st| st.set_item("viewas.session", &raw));
    let ctx = SessionContext::restore();
    let active = ctx.active_untracked().expect("restored");
    assert_eq!(active.token, "imp-token-7");
    assert!(
        (active.deadline_ms - viewas::time::parse_ms(&s.session.expires_at)).abs() < 1.0,
        "the deadline comes from the session's own end"
    );
}

#[wasm_bindgen_test]
async fn a_check_that_finds_an_exit_tells_exit() {
    reset();
    let mut exited = session_for(alice(), 7, 1800);
    exited.status = SessionStatus::Ended;
    exited.end_reason = Some(viewas_api::EndReason::Exit);
    let body = json(&exited);
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    api.check_session().await;
    assert_eq!(ctx.ended_untracked().map(|e| e.cause), Some(EndCause::Exit));
}

#[wasm_bindgen_test]
fn the_ended_session_keeps_its_notes_in_the_order_written() {
    reset();
    let t = FakeTransport::unreachable();
    let (_h, ctx, _) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    let mut server = session_for(alice(), 7, 1800);
    server.notes = [5, 2, 9, 1, 2]
        .into_iter()
        .map(|id| viewas_api::Note {
            id,
            session_id: 7,
            text: format!("note {id}"),
            created_at: iso(js_sys::Date::now()),
        })
        .collect();
    ctx.end_local(EndCause::Exit, Some(server));
    let ids: Vec<i64> = ctx
        .ended_untracked()
        .map(|e| e.session.notes.iter().map(|n| n.id).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![1, 2, 2, 5, 9]);
}
