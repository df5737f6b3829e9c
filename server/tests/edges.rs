//! Issue 7, clock edges: a session ends at its maximum to the second and a
//! request at that second is refused; the idle timeout likewise; the
//! sweeper records the deadline, not the moment it noticed.

mod common;

use axum::http::StatusCode;
use common::*;
use viewas_server::Settings;

fn ended(t: &TestApp, id: i64) -> (Option<i64>, Option<String>) {
    t.db()
        .query_row(
            "SELECT ended_at, end_reason FROM impersonation_sessions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[tokio::test]
async fn the_maximum_to_the_second() {
    let settings = Settings {
        max_session_secs: 120,
        idle_timeout_secs: 600,
        ..Settings::default()
    };
    let t = TestApp::with(settings).await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    t.clock.advance(119);
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.status, StatusCode::OK, "one second before the end");
    t.clock.advance(1);
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "at the end: {}", r.text);
    assert_eq!(r.code(), "session_ended");
    assert_eq!(ended(&t, id), (Some(T0 + 120), Some("expiry".into())));
    // No view row at or after the end.
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE session_id = {id} AND kind = 'view' AND at >= {}",
            T0 + 120
        )),
        0
    );
}

#[tokio::test]
async fn the_idle_timeout_to_the_second_and_views_restart_it() {
    let settings = Settings {
        max_session_secs: 3600,
        idle_timeout_secs: 60,
        ..Settings::default()
    };
    let t = TestApp::with(settings).await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    t.clock.advance(59);
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK
    );
    // The idle clock restarted at T0+59: T0+118 is the last good second.
    t.clock.advance(59);
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK
    );
    // A refused request does not restart it.
    let r = t.get("/api/view/runs/999999999", &imp).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.clock.advance(60);
    let r = t.get("/api/view/workspace", &imp).await;
    assert_eq!(
        r.code(),
        "session_ended",
        "at T0+178, 60 s after the last good view"
    );
    assert_eq!(ended(&t, id), (Some(T0 + 118 + 60), Some("idle".into())));
}

#[tokio::test]
async fn the_sweeper_ends_at_the_deadline_not_when_it_looks() {
    let settings = Settings {
        max_session_secs: 120,
        idle_timeout_secs: 600,
        ..Settings::default()
    };
    let t = TestApp::with(settings).await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    t.clock.advance(119);
    assert_eq!(viewas_server::sweep_once(&t.state).await.unwrap(), 0);
    t.clock.advance(1);
    assert_eq!(viewas_server::sweep_once(&t.state).await.unwrap(), 1);
    assert_eq!(ended(&t, id), (Some(T0 + 120), Some("expiry".into())));
    // Noticed late: still the deadline.
    let (id2, _) = t.start(&admin, ALICE).await;
    t.clock.advance(500);
    viewas_server::sweep_once(&t.state).await.unwrap();
    assert_eq!(
        ended(&t, id2),
        (Some(T0 + 120 + 120), Some("expiry".into()))
    );
}
