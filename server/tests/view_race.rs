//! A view request that passed the gate while its session was active must not
//! be answered with data if the session ends before the view's audit row is
//! written: an Exit, `/end` or revocation committed in between, or the
//! session's time running out. The writer checks the session again in the
//! row's transaction; the answer is then 401 `session_ended`, the row says
//! 401, and no 2xx `view` follows the `session_ended` event in the chain.
//!
//! The race is set up deterministically: a job holds the writer while the
//! revocation and then the view queue up behind it (`Store::pending_writes`
//! tells when each has reached the queue), so the view passes the gate
//! before the revocation commits and is written after it.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

const VIEW: &str = "/api/view/runs?limit=5";

/// The session's audit events in chain order: (id, kind, status).
fn chain(t: &TestApp, session_id: i64) -> Vec<(i64, String, Option<i64>)> {
    let db = t.db();
    let mut st = db
        .prepare("SELECT id, kind, status FROM audit_events WHERE session_id = ?1 ORDER BY id")
        .unwrap();
    st.query_map([session_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// No 2xx view after the session's end in the chain, and the chain verifies.
async fn assert_no_view_after_end(t: &TestApp, session_id: i64, admin: &str) {
    let events = chain(t, session_id);
    let ended = events
        .iter()
        .position(|(_, kind, _)| kind == "session_ended")
        .unwrap_or_else(|| panic!("session {session_id} has not ended: {events:?}"));
    let late: Vec<_> = events[ended..]
        .iter()
        .filter(|(_, kind, status)| {
            kind == "view" && status.is_some_and(|s| (200..300).contains(&s))
        })
        .collect();
    assert!(late.is_empty(), "2xx views after the end: {late:?}");
    let r = t.get("/api/audit/verify", admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["ok"], true, "{}", r.text);
}

/// Starts a session of `admin` on Alice and puts its tokens in the cache.
async fn session(t: &TestApp, admin: &str) -> (i64, String) {
    let (id, imp) = t.start(admin, ALICE).await;
    for _ in 0..2 {
        assert_eq!(t.get(VIEW, &imp).await.status, StatusCode::OK);
    }
    (id, imp)
}

/// The view of `imp` for [`behind`]: it passes the gate while the session
/// is still active, and its audit row queues behind the ending write.
fn view(imp: &str) -> Call<'_> {
    (Method::GET, VIEW.to_string(), imp, None)
}

#[tokio::test]
async fn a_view_written_after_an_exit_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = session(&t, &admin).await;
    let views_before = t.events(id, "view");

    let end = (
        Method::POST,
        format!("/api/impersonations/{id}/end"),
        imp.as_str(),
        Some(json!({})),
    );
    let ((end_status, end_body), (status, body)) = behind(&t, end, view(&imp)).await;
    assert_eq!(end_status, StatusCode::OK, "{end_body}");
    assert_eq!(end_body["status"], "ended");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "session_ended", "{body}");
    assert!(body.get("items").is_none(), "no data: {body}");

    // The attempt is on the record, as a 401 after the end.
    let events = chain(&t, id);
    let last = events.last().unwrap();
    assert_eq!((last.1.as_str(), last.2), ("view", Some(401)), "{events:?}");
    assert_eq!(t.events(id, "view"), views_before + 1);
    // The page was not counted.
    let pages: i64 = t
        .db()
        .query_row(
            "SELECT pages_viewed FROM impersonation_sessions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pages, 2);
    assert_no_view_after_end(&t, id, &admin).await;
}

#[tokio::test]
async fn a_view_written_after_a_revocation_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let (id, imp) = session(&t, &admin).await;
    let alice = t.user_id(ALICE);

    let disable = (
        Method::POST,
        format!("/api/admin/users/{alice}/disable"),
        support.as_str(),
        Some(json!({})),
    );
    let ((end_status, end_body), (status, body)) = behind(&t, disable, view(&imp)).await;
    assert_eq!(end_status, StatusCode::OK, "{end_body}");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "session_ended", "{body}");
    let end_reason: String = t
        .db()
        .query_row(
            "SELECT end_reason FROM impersonation_sessions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(end_reason, "revocation");
    assert_no_view_after_end(&t, id, &support).await;
}

/// The idle limit passes between the gate and the write: the writer ends
/// the session at its deadline (invalidating the token cache) and refuses.
#[tokio::test]
async fn a_view_written_after_the_idle_limit_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = session(&t, &admin).await;
    let store = &t.state.store;
    let (release, held) = hold_writer(store).await;
    t.clock.advance(10 * 60 - 1);
    let view = spawn_call(&t.router, Method::GET, VIEW, &imp, None);
    until_pending(store, 2).await;
    t.clock.advance(1);
    release.send(()).unwrap();
    held.await.unwrap();
    let (status, body) = view.await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "session_ended", "{body}");
    let (ended_at, reason): (i64, String) = t
        .db()
        .query_row(
            "SELECT ended_at, end_reason FROM impersonation_sessions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((ended_at, reason.as_str()), (T0 + 10 * 60, "idle"));
    // The ending went through the writer as an activity job: the cached
    // token must still be seen as ended on the very next request.
    assert_eq!(t.get(VIEW, &imp).await.code(), "session_ended");
    assert_no_view_after_end(&t, id, &admin).await;
}

/// Many views race an Exit on a multi-threaded runtime: every 2xx answer
/// has its 2xx row, every other answer is 401 `session_ended`, and no 2xx
/// view follows the end in the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_racing_an_exit_never_follow_it() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    for round in 0..3 {
        let (id, imp) = session(&t, &admin).await;
        let answered = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for _ in 0..8 {
            let router = t.router.clone();
            let imp = imp.clone();
            let answered = answered.clone();
            workers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                for _ in 0..40 {
                    let (status, body) = spawn_call(&router, Method::GET, VIEW, &imp, None)
                        .await
                        .unwrap();
                    answered.fetch_add(1, Ordering::SeqCst);
                    seen.push((status, body["error"]["code"].as_str().map(String::from)));
                }
                seen
            }));
        }
        while answered.load(Ordering::SeqCst) < 20 + round * 40 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let r = t
            .post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut ok = 0;
        for w in workers {
            for (status, code) in w.await.unwrap() {
                if status.is_success() {
                    ok += 1;
                } else {
                    assert_eq!(status, StatusCode::UNAUTHORIZED);
                    assert_eq!(code.as_deref(), Some("session_ended"));
                }
            }
        }
        let rows_2xx = chain(&t, id)
            .iter()
            .filter(|(_, k, s)| k == "view" && s.is_some_and(|s| (200..300).contains(&s)))
            .count();
        // Two views of `session` warmed the cache.
        assert_eq!(rows_2xx, ok + 2, "every 2xx answer has its row");
        assert_no_view_after_end(&t, id, &admin).await;
    }
}

/// The same race for a note sent with the impersonation token: the token
/// dies with its session, so a note written after the Exit is refused.
#[tokio::test]
async fn a_note_written_after_an_exit_is_refused() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = session(&t, &admin).await;
    let end = (
        Method::POST,
        format!("/api/impersonations/{id}/end"),
        imp.as_str(),
        Some(json!({})),
    );
    let note = (
        Method::POST,
        format!("/api/impersonations/{id}/notes"),
        imp.as_str(),
        Some(json!({"text": "written as the session ends"})),
    );
    let ((end_status, _), (status, body)) = behind(&t, end, note).await;
    assert_eq!(end_status, StatusCode::OK);
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "session_ended", "{body}");
    assert_eq!(t.events(id, "note"), 0);
    // The impersonator's own sign-in may still annotate the ended session.
    let r = t
        .post(
            &format!("/api/impersonations/{id}/notes"),
            &admin,
            json!({"text": "added afterwards, for the summary"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
