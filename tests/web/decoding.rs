//! Answers reach the pages through serde: a server's body becomes the page
//! it describes, and a body the console cannot read becomes words and a
//! Retry, never a blank or half-drawn page.

use std::sync::Arc;

use leptos::{mount::mount_to, prelude::*};
use viewas::{
    app::AppRouter,
    client::{ApiErr, Transport},
    provide_app_contexts,
    session::AuthInfo,
};
use viewas_api::{
    DayCount, ErrorCode, Role, RunDetail, RunStatus, RunSummary, RunTrigger, RunsPage,
};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

fn run(id: i64) -> RunSummary {
    RunSummary {
        id,
        assignment_id: 3,
        assignment_name: "Nightly <b>export</b>".into(),
        status: RunStatus::Failed,
        trigger: RunTrigger::Schedule,
        started_at: "2026-11-20T01:00:00Z".into(),
        finished_at: Some("2026-11-20T01:00:09Z".into()),
        duration_ms: Some(9_000),
        summary: Some("Timed out".into()),
    }
}

fn admin() -> AuthInfo {
    let mut user = alice();
    user.role = Role::Admin;
    AuthInfo {
        token: "admin-token".into(),
        user,
    }
}

/// The console in session 7 on Alice, on `path`, over `t`.
async fn mount_at(t: &FakeTransport) -> (web_sys::HtmlElement, Box<dyn std::any::Any>) {
    let el = container();
    let arc: Arc<dyn Transport> = t.arc();
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.sign_in(admin());
        ctx.start(started(alice(), 7, 1800));
        view! { <AppRouter /> }
    });
    settle().await;
    settle().await;
    (el, Box::new(handle))
}

#[wasm_bindgen_test]
async fn a_runs_page_body_becomes_rows_and_a_chart_in_the_users_zone() {
    reset();
    let _at = At::go("/session/runs");
    let page = RunsPage {
        items: vec![run(41), run(40)],
        next_cursor: None,
        daily: Some(vec![
            DayCount {
                day: "2026-11-19".into(),
                succeeded: 4,
                failed: 0,
            },
            DayCount {
                day: "2026-11-20".into(),
                succeeded: 2,
                failed: 3,
            },
        ]),
    };
    let body = json(&page);
    let session = json(&session_for(alice(), 7, 1800));
    let t = FakeTransport::new(move |req| match req.path.as_str() {
        "/api/view/assignments" => ok("[]"),
        "/api/impersonations/7" => ok(&session),
        _ => ok(&body),
    });
    let (el, _h) = mount_at(&t).await;

    let rows = el.query_selector_all("table tbody tr").unwrap().length();
    assert_eq!(rows, 2, "{}", el.inner_html());
    assert!(text_of(&el, "table tbody tr").contains("#41"));
    // Text from the server stays text.
    assert!(text_of(&el, "table tbody tr").contains("Nightly <b>export</b>"));
    assert!(el.query_selector("table b").unwrap().is_none());

    // The chart: two days, each with its two bars, labelled with the zone.
    let bars = el
        .query_selector_all("svg.chart-svg g rect")
        .unwrap()
        .length();
    assert_eq!(bars, 4);
    let rect = find(&el, "svg.chart-svg rect.bar-failed");
    assert_eq!(
        rect.namespace_uri().as_deref(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(text_of(&el, ".chart-zone"), "Europe/Prague");
    assert_eq!(
        text_of(&el, "#runs-chart-desc"),
        "6 succeeded and 3 failed runs from 19 Nov to 20 Nov. Most failures on 20 Nov: 3."
    );
}

#[wasm_bindgen_test]
async fn a_malformed_body_becomes_a_readable_error_with_retry() {
    reset();
    let _at = At::go("/session/runs/5");
    let session = json(&session_for(alice(), 7, 1800));
    let t = FakeTransport::new(move |req| match req.path.as_str() {
        "/api/impersonations/7" => ok(&session),
        // A run without its steps: not a RunDetail.
        _ => ok(r#"{"id":5,"assignment_id":3,"status":"failed""#),
    });
    let (el, _h) = mount_at(&t).await;
    let panel = text_of(&el, ".error-panel");
    assert!(
        panel.contains("The server's answer (HTTP 200) could not be read"),
        "{}",
        el.inner_html()
    );
    assert!(panel.contains("Retry"), "{panel}");
    // The banner stays above the error.
    assert!(text_of(&el, ".banner-title").starts_with("Viewing as Alice Novak"));
}

#[wasm_bindgen_test]
async fn bodies_decode_as_their_types_or_say_why_not() {
    reset();
    let detail = RunDetail {
        run: run(5),
        steps: vec![],
        result: None,
        error: Some("Timed out".into()),
    };
    let good = json(&detail);
    let t = FakeTransport::new(move |req| match req.path.as_str() {
        "/api/view/runs/5" => ok(&good),
        "/api/view/runs/6" => ok(r#"{"id":"six"}"#),
        "/api/view/runs/7" => respond(
            403,
            r#"{"error":{"code":"not_allowed","message":"Not in this session's scope."}}"#,
        ),
        "/api/view/runs/8" => respond(
            409,
            r#"{"error":{"code":"brand_new","message":"Something new."}}"#,
        ),
        _ => respond(502, "<html>Bad gateway</html>"),
    });
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));

    let back: RunDetail = api.view("/api/view/runs/5").await.expect("decodes");
    assert_eq!(back, detail, "flattened on the wire, whole again here");
    let bad = api.view::<RunDetail>("/api/view/runs/6").await;
    assert_eq!(bad, Err(ApiErr::BadAnswer(200)));
    assert!(bad.unwrap_err().is_retryable());

    let refused = api.view::<RunDetail>("/api/view/runs/7").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::NotAllowed));
    assert_eq!(refused.to_string(), "Not in this session's scope.");
    // A code this console does not know yet still carries its words.
    let unknown = api.view::<RunDetail>("/api/view/runs/8").await.unwrap_err();
    assert_eq!(unknown.code(), Some(ErrorCode::Other));
    assert_eq!(unknown.to_string(), "Something new.");
    // No JSON at all: the status, in words.
    let gateway = api.view::<RunDetail>("/api/view/runs/9").await.unwrap_err();
    assert_eq!(
        gateway.to_string(),
        "The server refused the request (HTTP 502)."
    );
}
