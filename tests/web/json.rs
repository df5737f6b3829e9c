//! The console's JSON layer (`viewas::json`) against what serde writes on the
//! server: every wire type must decode to the same value, and a broken answer
//! must not decode at all.

use viewas::json::{self, FromJson};
use viewas_api::{
    ApiError, ErrorCode, Page, RunDetail, RunStatus, RunSummary, RunTrigger, RunsPage, Session,
    UserSearchItem, VerifyResult,
};
use wasm_bindgen_test::*;

use crate::support::*;

fn run(id: i64, finished: bool) -> RunSummary {
    RunSummary {
        id,
        assignment_id: 3,
        assignment_name: "Nightly export".into(),
        status: if finished {
            RunStatus::Failed
        } else {
            RunStatus::Running
        },
        trigger: RunTrigger::Schedule,
        started_at: "2026-11-20T01:00:00Z".into(),
        finished_at: finished.then(|| "2026-11-20T01:00:09Z".to_string()),
        duration_ms: finished.then_some(9_000),
        summary: None,
    }
}

#[wasm_bindgen_test]
fn what_serde_writes_decodes_to_the_same_value() {
    let mut s = started(alice(), 7, 1800).session;
    s.ticket = Some("SUP-1".into());
    let back: Session = json::from_str(&json(&s)).expect("a session decodes");
    assert_eq!(back, s);

    let page = RunsPage {
        items: vec![run(1, true), run(2, false)],
        next_cursor: Some("c2".into()),
        daily: None,
    };
    assert_eq!(json::from_str::<RunsPage>(&json(&page)), Some(page));

    let detail = RunDetail {
        run: run(1, true),
        steps: vec![],
        result: None,
        error: Some("Timed out".into()),
    };
    // Flattened on the wire: the run's fields sit beside `steps`.
    assert_eq!(json::from_str::<RunDetail>(&json(&detail)), Some(detail));

    let item = UserSearchItem {
        user: alice(),
        disabled: false,
        last_active: None,
        can_impersonate: true,
        not_allowed_reason: None,
    };
    let page = Page {
        items: vec![item],
        next_cursor: None,
    };
    assert_eq!(
        json::from_str::<Page<UserSearchItem>>(&json(&page)),
        Some(page)
    );
}

#[wasm_bindgen_test]
fn written_and_read_back_is_the_same_value() {
    let s = started(alice(), 9, 600).session;
    assert_eq!(json::from_str::<Session>(&json::to_string(&s)), Some(s));
}

#[wasm_bindgen_test]
fn a_missing_or_mistyped_required_field_fails_the_whole_value() {
    let s = started(alice(), 7, 1800).session;
    let mut v: serde_json::Value = serde_json::from_str(&json(&s)).unwrap_or_default();
    v["target"]["email"] = serde_json::Value::Null;
    assert_eq!(json::from_str::<Session>(&v.to_string()), None);
    v["target"]["email"] = "a@b.example".into();
    v["seconds_left"] = "soon".into();
    assert_eq!(json::from_str::<Session>(&v.to_string()), None);
    v["seconds_left"] = 1.5.into();
    assert_eq!(json::from_str::<Session>(&v.to_string()), None, "not whole");
    v["seconds_left"] = 5.into();
    v["status"] = "paused".into();
    assert_eq!(
        json::from_str::<Session>(&v.to_string()),
        None,
        "unknown word"
    );
    assert_eq!(json::from_str::<Session>("not json"), None);
    assert_eq!(
        json::from_str::<Vec<i64>>(r#"{"0": 1}"#),
        None,
        "not an array"
    );
}

#[wasm_bindgen_test]
fn optional_fields_accept_null_and_absence() {
    let v: VerifyResult = json::from_str(r#"{"ok":true,"events":4}"#).expect("absent");
    assert_eq!(v.first_bad, None);
    let v: VerifyResult =
        json::from_str(r#"{"ok":false,"events":4,"first_bad":3}"#).expect("present");
    assert_eq!(v.first_bad, Some(3));
    assert_eq!(
        Option::<i64>::from_json(&wasm_bindgen::JsValue::NULL),
        Some(None)
    );
}

#[wasm_bindgen_test]
fn error_codes_decode_and_an_unknown_one_is_other() {
    let e: ApiError =
        json::from_str(r#"{"error":{"code":"read_only","message":"No."}}"#).expect("error");
    assert_eq!(e.error.code, ErrorCode::ReadOnly);
    let e: ApiError =
        json::from_str(r#"{"error":{"code":"brand_new","message":"?"}}"#).expect("error");
    assert_eq!(e.error.code, ErrorCode::Other);
}
