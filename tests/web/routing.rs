//! The router during a session: admin routes redirect into it, unknown paths
//! are Not found inside the banner layout, and Exit lands on the summary.

use leptos::{mount::mount_to, prelude::*};
use viewas::{app::AppRouter, provide_app_contexts, session::AuthInfo};
use viewas_api::{EndReason, SessionStatus};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

fn pathname() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default()
}

fn server() -> FakeTransport {
    let mut ended = session_for(alice(), 7, 1800);
    ended.status = SessionStatus::Ended;
    ended.end_reason = Some(EndReason::Exit);
    ended.ended_at = Some(iso(js_sys::Date::now()));
    let ended = json(&ended);
    FakeTransport::new(move |req| match req.path.as_str() {
        "/api/view/assignments" => respond(200, "[]"),
        "/api/impersonations/7/end" | "/api/impersonations/7" => respond(200, ended.clone()),
        _ => respond(
            404,
            r#"{"error":{"code":"not_found","message":"Not found"}}"#,
        ),
    })
}

fn mount_app(
    t: &FakeTransport,
    in_session: bool,
) -> (web_sys::HtmlElement, Box<dyn std::any::Any>) {
    let el = container();
    let arc = t.arc();
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.sign_in(AuthInfo {
            token: "admin-token".into(),
            user: alice(),
        });
        if in_session {
            ctx.start(started(alice(), 7, 1800));
        }
        view! { <AppRouter /> }
    });
    (el, Box::new(handle))
}

fn has_banner(el: &web_sys::HtmlElement) -> bool {
    el.query_selector("section[role=region][aria-label='Impersonation session']")
        .unwrap()
        .is_some()
}

#[wasm_bindgen_test]
async fn admin_routes_redirect_into_the_session() {
    reset();
    for admin_path in ["/", "/audit", "/login", "/summary/3"] {
        let _at = At::go(admin_path);
        let t = server();
        let (el, _dispose) = mount_app(&t, true);
        settle().await;
        sleep_ms(50).await;
        assert_eq!(pathname(), "/session/assignments", "from {admin_path}");
        assert!(has_banner(&el), "from {admin_path}");
        assert!(
            t.requests()
                .iter()
                .all(|r| r.path.starts_with("/api/view/")),
            "from {admin_path}: only view requests during a session: {:?}",
            t.requests()
        );
        reset();
    }
}

#[wasm_bindgen_test]
async fn an_unknown_path_is_not_found_inside_the_banner() {
    reset();
    let _at = At::go("/session/nowhere/at/all");
    let t = server();
    let (el, _dispose) = mount_app(&t, true);
    settle().await;
    assert!(has_banner(&el));
    assert_eq!(text_of(&el, "main h1"), "Page not found");

    reset();
    let _at2 = At::go("/no-such-page");
    let (el2, _dispose2) = mount_app(&t, true);
    settle().await;
    assert!(has_banner(&el2), "outside /session too");
    assert_eq!(text_of(&el2, "main h1"), "Page not found");
}

#[wasm_bindgen_test]
async fn without_a_session_the_session_routes_are_not_offered() {
    reset();
    let _at = At::go("/session/assignments");
    let t = server();
    let (el, _dispose) = mount_app(&t, false);
    settle().await;
    sleep_ms(50).await;
    assert_eq!(pathname(), "/");
    assert!(!has_banner(&el));
    assert_eq!(t.calls(), 0, "no view request without a session");
}

#[wasm_bindgen_test]
async fn exit_lands_on_the_summary_without_the_banner() {
    reset();
    let _at = At::go("/session/assignments");
    let t = server();
    let (el, _dispose) = mount_app(&t, true);
    settle().await;
    assert!(has_banner(&el));
    click(&el, ".btn-exit");
    settle().await;
    sleep_ms(100).await;
    settle().await;
    assert_eq!(pathname(), "/summary/7");
    assert!(!has_banner(&el));
    assert_eq!(text_of(&el, "main h1"), "Session summary");
    let how = el.text_content().unwrap_or_default();
    assert!(how.contains("How it ended"), "{how}");
    assert_eq!(session_item("viewas.session"), None);
}
