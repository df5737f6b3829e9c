//! The banner: who is being viewed, isolated from bidi tricks, read-only,
//! time left, and the five-minute warning.

use std::sync::Arc;

use leptos::{mount::mount_to, prelude::*, task::tick};
use leptos_router::components::Router;
use viewas::{
    components::Banner, provide_app_contexts_with_clock, session::EndCause, time::ManualClock,
};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

/// A clock standing at the browser's now, moved only by the test.
fn clock() -> ManualClock {
    ManualClock::new(js_sys::Date::now())
}

fn mount_banner(
    t: &FakeTransport,
    clock: &ManualClock,
    target: viewas_api::User,
    secs: i64,
) -> (
    web_sys::HtmlElement,
    Box<dyn std::any::Any>,
    viewas::session::SessionContext,
) {
    use std::{cell::RefCell, rc::Rc};
    let el = container();
    let slot = Rc::new(RefCell::new(None));
    let out = slot.clone();
    let arc = t.arc();
    let clock = Arc::new(clock.clone());
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts_with_clock(arc, clock);
        ctx.start(started(target, 7, secs));
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

fn banner_text(el: &web_sys::HtmlElement) -> String {
    el.query_selector("section[role=region][aria-label='Impersonation session']")
        .unwrap()
        .expect("the banner is a region named 'Impersonation session'")
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn banner_says_who_is_viewed_and_that_it_is_read_only() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let (el, _dispose, _) = mount_banner(&t, &clock(), alice(), 1800);
    until("the banner", || !text_of(&el, ".banner-title").is_empty()).await;

    let text = banner_text(&el);
    assert!(
        text.starts_with("Viewing as Alice Novak (alice@acme.example)"),
        "{text}"
    );
    assert!(text.contains("Acme Logistics"), "{text}");
    assert!(text.contains("Read-only"), "{text}");
    assert_eq!(text_of(&el, "bdi.banner-name"), "Alice Novak");
    // 30 minutes at most, but 10 without a view request: the sooner counts.
    assert_eq!(text_of(&el, ".time-left"), "10:00");
    let buttons: Vec<String> = (0..4)
        .filter_map(|i| el.query_selector_all("button").ok()?.item(i))
        .filter_map(|b| b.text_content())
        .collect();
    assert!(
        buttons.iter().any(|b| b.starts_with("Notes")),
        "{buttons:?}"
    );
    assert!(buttons.iter().any(|b| b == "Exit"), "{buttons:?}");
    assert_eq!(t.calls(), 0, "showing the banner requests nothing");
}

#[wasm_bindgen_test]
async fn a_name_with_bidi_controls_and_markup_cannot_rewrite_the_banner() {
    reset();
    let mut hostile = alice();
    // U+202E (right-to-left override) would reverse everything after it if
    // the name were not isolated; the markup must stay text.
    hostile.name = "Mal\u{202E}<b>lory</b> admin".into();
    let t = FakeTransport::always(200, "{}");
    let (el, _dispose, _) = mount_banner(&t, &clock(), hostile.clone(), 1800);
    until("the banner", || !text_of(&el, ".banner-title").is_empty()).await;

    let title = find(&el, ".banner-title");
    // "Viewing as " is the title's own first text node, outside any <bdi>.
    let first = title.first_child().expect("a first node");
    assert_eq!(first.node_type(), web_sys::Node::TEXT_NODE);
    assert_eq!(first.text_content().as_deref(), Some("Viewing as "));
    // The name sits whole inside a <bdi> that isolates it.
    let bdi = find(&el, ".banner-title bdi");
    assert_eq!(bdi.tag_name(), "BDI");
    assert_eq!(bdi.text_content().unwrap_or_default(), hostile.name);
    assert!(
        el.query_selector(".banner b").unwrap().is_none(),
        "markup was parsed"
    );
    assert!(banner_text(&el).starts_with("Viewing as Mal\u{202E}<b>lory</b> admin ("));
    // The browser agrees: the <bdi> is isolated (unicode-bidi: isolate).
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&bdi)
        .unwrap()
        .expect("a computed style");
    assert_eq!(style.get_property_value("unicode-bidi").unwrap(), "isolate");
}

#[wasm_bindgen_test]
async fn the_countdown_ticks_and_warns_five_minutes_before_the_end() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let clock = clock();
    let (el, _dispose, ctx) = mount_banner(&t, &clock, alice(), 302);
    tick().await;
    let banner = find(&el, ".banner");
    assert_eq!(text_of(&el, ".time-left"), "05:02");
    assert!(!banner.class_list().contains("banner-warning"));
    assert_eq!(text_of(&el, "[aria-live=assertive]"), "");

    // 1.6 s later it is still outside the last five minutes...
    clock.advance(1600.0);
    until("a second less", || text_of(&el, ".time-left") == "05:01").await;
    assert!(!banner.class_list().contains("banner-warning"));
    // ...and one second later inside them.
    clock.advance(1000.0);
    until("the warning", || {
        banner.class_list().contains("banner-warning")
    })
    .await;
    assert_eq!(text_of(&el, ".time-left"), "05:00");
    assert_eq!(ctx.seconds_left().get_untracked(), 300);
    assert!(
        text_of(&el, "[aria-live=assertive]").contains("less than five minutes"),
        "the warning is announced"
    );
}

#[wasm_bindgen_test]
async fn the_countdown_reaching_zero_ends_the_session_as_expired() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let clock = clock();
    let (_el, _dispose, ctx) = mount_banner(&t, &clock, alice(), 2);
    tick().await;
    clock.advance(1900.0);
    tick().await;
    assert!(ctx.active_untracked().is_some(), "ended before its time");
    clock.advance(200.0);
    until("the end by expiry", || ctx.active_untracked().is_none()).await;
    let ended = ctx.ended_untracked().expect("an ended session");
    assert_eq!(ended.cause, EndCause::Expired);
    assert_eq!(session_item("viewas.session"), None);
    assert_eq!(t.calls(), 0, "expiry needs no request");
}

#[wasm_bindgen_test]
async fn a_view_request_restarts_the_idle_clock() {
    reset();
    let t = FakeTransport::always(200, "[]");
    let clock = clock();
    let (_h, ctx, api) = contexts_with_clock(&t, Arc::new(clock.clone()));
    let mut s = started(alice(), 7, 1800);
    s.session.idle_timeout_secs = 60;
    ctx.start(s);
    let before = ctx.active_untracked().expect("active");
    assert_eq!(before.seconds_left_at(ctx.now_ms()), 60);
    assert_eq!(before.expiry_cause(), EndCause::Idle);
    clock.advance(1100.0);
    let _: Vec<serde_json::Value> = api
        .view(&viewas_api::routes::path::assignments())
        .await
        .expect("answered");
    let after = ctx.active_untracked().expect("active");
    assert!(
        after.idle_deadline_ms >= before.idle_deadline_ms + 1000.0,
        "{} vs {}",
        after.idle_deadline_ms,
        before.idle_deadline_ms
    );
    assert_eq!(after.deadline_ms, before.deadline_ms, "the maximum stays");
    assert_eq!(after.session.pages_viewed, 1);
}

#[wasm_bindgen_test]
async fn exit_with_the_server_unreachable_still_leaves_and_says_the_server_was_not_told() {
    reset();
    let t = FakeTransport::unreachable();
    let (el, _dispose, ctx) = mount_banner(&t, &clock(), alice(), 1800);
    until("the banner", || !text_of(&el, ".banner-title").is_empty()).await;
    click(&el, ".btn-exit");
    until("the exit", || ctx.ended_untracked().is_some()).await;

    // Fail closed: the context is cleared all the same.
    assert!(ctx.active_untracked().is_none(), "still in the session");
    assert_eq!(session_item("viewas.session"), None);
    let reqs = t.requests();
    assert!(
        reqs.iter()
            .any(|r| r.method == viewas::client::Method::Post
                && r.path == "/api/impersonations/7/end"),
        "the end was asked for: {reqs:?}"
    );
    // But the summary must not say the server ended it.
    let ended = ctx.ended_untracked().expect("an ended session");
    assert_eq!(ended.cause, EndCause::Exit);
    assert!(viewas::pages::summary::exit_not_confirmed(
        &ended.session,
        Some(&ended)
    ));
    let how = viewas::pages::summary::how_it_ended(&ended.session, Some(&ended), "UTC");
    assert_eq!(how, "Exit in this browser only: the server was not told");
}
