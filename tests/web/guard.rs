//! The request guard of ApiClient: nothing but a GET to a view route of the
//! active, unexpired session leaves the browser.

use viewas::{
    client::{ApiErr, Method, Refusal},
    session::EndCause,
};
use viewas_api::routes::path;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

fn refused<T: std::fmt::Debug>(r: Result<T, ApiErr>) -> Refusal {
    match r {
        Err(ApiErr::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn an_allowed_view_request_goes_out_with_the_session_token() {
    reset();
    let t = FakeTransport::always(200, "[]");
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    let got: Vec<serde_json::Value> = api.view(&path::assignments()).await.expect("answered");
    assert!(got.is_empty());
    assert_eq!(t.calls(), 1);
    let req = &t.requests()[0];
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.path, "/api/view/assignments");
    assert_eq!(req.bearer.as_deref(), Some("imp-token-7"));
}

#[wasm_bindgen_test]
async fn writes_are_refused_without_a_request() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    for m in [Method::Post, Method::Put, Method::Patch, Method::Delete] {
        let why = refused(
            api.view_request::<serde_json::Value>(m, &path::assignments())
                .await,
        );
        assert_eq!(why, Refusal::NotReadOnly(m));
        let why = refused(
            api.view_request::<serde_json::Value>(m, &path::run(3))
                .await,
        );
        assert_eq!(why, Refusal::NotReadOnly(m));
    }
    assert_eq!(t.calls(), 0);
    assert!(
        ctx.active_untracked().is_some(),
        "a refusal does not end the session"
    );
}

#[wasm_bindgen_test]
async fn paths_off_the_route_table_are_refused_without_a_request() {
    reset();
    let t = FakeTransport::always(200, "{}");
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    for p in [
        "/api/view/secrets",
        "/api/view/assignments/7/run",
        "/api/view/assignments/..",
        "/api/view/",
        "/api/users?q=a",
        "/api/impersonations",
        "/api/audit/sessions",
        "https://elsewhere.example/api/view/assignments",
    ] {
        match refused(api.view_request::<serde_json::Value>(Method::Get, p).await) {
            Refusal::NotAViewRoute(_) => {}
            other => panic!("{p}: {other:?}"),
        }
    }
    assert_eq!(t.calls(), 0);
}

#[wasm_bindgen_test]
async fn without_a_session_nothing_is_requested() {
    reset();
    let t = FakeTransport::always(200, "[]");
    let (_h, _ctx, api) = contexts(&t);
    let why = refused(
        api.view_request::<serde_json::Value>(Method::Get, &path::assignments())
            .await,
    );
    assert_eq!(why, Refusal::NoSession);
    assert_eq!(t.calls(), 0);
}

#[wasm_bindgen_test]
async fn once_exit_has_begun_nothing_more_is_requested() {
    reset();
    let t = FakeTransport::always(200, "[]");
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    ctx.begin_exit();
    assert!(
        ctx.active_untracked().is_some(),
        "still active until the server answers"
    );
    let why = refused(
        api.view_request::<serde_json::Value>(Method::Get, &path::assignments())
            .await,
    );
    assert_eq!(why, Refusal::SessionEnded);
    assert_eq!(t.calls(), 0);
    // A session started after that one is not held back by its Exit.
    ctx.end_local(EndCause::Exit, None);
    ctx.start(started(alice(), 8, 1800));
    let got: Vec<serde_json::Value> = api.view(&path::assignments()).await.expect("answered");
    assert!(got.is_empty());
    assert_eq!(t.calls(), 1);
}

#[wasm_bindgen_test]
async fn an_ended_session_requests_nothing() {
    reset();
    let t = FakeTransport::always(200, "[]");
    let (_h, ctx, api) = contexts(&t);
    ctx.start(started(alice(), 7, 1800));
    ctx.end_local(EndCause::Exit, None);
    let why = refused(
        api.view_request::<serde_json::Value>(Method::Get, &path::assignments())
            .await,
    );
    assert_eq!(why, Refusal::SessionEnded);
    assert_eq!(t.calls(), 0);
}

#[wasm_bindgen_test]
async fn an_expired_session_requests_nothing_and_ends() {
    reset();
    let t = FakeTransport::always(200, "[]");
    // A tab reloaded after its session's end: the stored deadline has passed.
    let mut active = viewas::session::ActiveSession::from_started(
        started(alice(), 7, 1800),
        js_sys::Date::now(),
    );
    active.deadline_ms = js_sys::Date::now() - 1000.0;
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
        .set_item("viewas.session", &serde_json::to_string(&active).unwrap())
        .unwrap();
    let (_h, ctx, api) = contexts(&t);
    let why = refused(
        api.view_request::<serde_json::Value>(Method::Get, &path::assignments())
            .await,
    );
    // Refused as expired by the guard, or as ended if the countdown got
    // there first; either way nothing was sent.
    assert!(
        matches!(why, Refusal::SessionExpired | Refusal::SessionEnded),
        "{why:?}"
    );
    assert_eq!(t.calls(), 0);
    assert_eq!(
        ctx.ended_untracked().map(|e| e.cause),
        Some(EndCause::Expired)
    );
}

#[wasm_bindgen_test]
async fn refusals_are_told_in_words() {
    let e = ApiErr::Refused(Refusal::NotReadOnly(Method::Post));
    assert!(e.to_string().contains("read-only"), "{e}");
    assert!(!e.is_retryable());
}
