//! The audit trail: what is recorded, who may read it, and the hash chain.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

/// A busy session: views, a blocked write, notes, an export, the end.
async fn busy_session(t: &TestApp) -> i64 {
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    for p in [
        "/api/view/assignments",
        "/api/view/runs",
        "/api/view/workspace",
        "/api/view/runs/999999",
    ] {
        t.get(p, &imp).await;
    }
    t.call(Method::DELETE, "/api/view/assignments", Some(&imp), None)
        .await;
    t.post(
        &format!("/api/impersonations/{id}/notes"),
        &imp,
        json!({"text": "Checked the failing runs"}),
    )
    .await;
    t.clock.advance(5);
    t.post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    let r = t
        .post(
            &format!("/api/impersonations/{id}/export"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

#[tokio::test]
async fn a_session_is_on_the_record_in_order() {
    let t = TestApp::new().await;
    let id = busy_session(&t).await;
    let admin = t.login(SUPPORT).await;
    let r = t
        .get(&format!("/api/audit/events?session_id={id}"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let kinds: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "session_started",
            "view",
            "view",
            "view",
            "view",
            "blocked",
            "note",
            "session_ended",
            "export"
        ]
    );
    let items = r.body["items"].as_array().unwrap();
    let admin_id = t.user_id(ADMIN);
    let alice_id = t.user_id(ALICE);
    for e in items {
        assert_eq!(e["session_id"], id);
        assert_eq!(e["actor_id"], admin_id);
        assert_eq!(e["subject_id"], alice_id);
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    }
    assert_eq!(items[4]["status"], 404);
    assert_eq!(items[5]["method"], "DELETE");
    assert!(items[7]["detail"].as_str().unwrap().contains("\"exit\""));
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn the_chain_verifies_and_tampering_is_caught_at_the_row() {
    let t = TestApp::new().await;
    busy_session(&t).await;
    busy_session_for(&t, SUPPORT, CAROL).await;
    let admin = t.login(ADMIN).await;
    let r = t.get("/api/audit/verify", &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["ok"], true);
    let events = t.count("SELECT COUNT(*) FROM audit_events");
    assert_eq!(r.body["events"], events);
    assert!(r.body.get("first_bad").is_none());

    // The table refuses changes through SQL...
    let db = t.db();
    assert!(db
        .execute(
            "UPDATE audit_events SET status = 200 WHERE kind = 'blocked'",
            []
        )
        .is_err());
    assert!(db
        .execute("DELETE FROM audit_events WHERE id = 3", [])
        .is_err());
    // ...so an attacker with the file drops the guard first; the chain still tells.
    db.execute_batch("DROP TRIGGER audit_events_no_update")
        .unwrap();
    let bad: i64 = db
        .query_row(
            "SELECT id FROM audit_events WHERE kind = 'blocked' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    db.execute("UPDATE audit_events SET status = 200 WHERE id = ?1", [bad])
        .unwrap();
    let r = t.get("/api/audit/verify", &admin).await;
    assert_eq!(r.body["ok"], false);
    assert_eq!(r.body["first_bad"], bad);
    assert_eq!(r.body["events"], events);
}

#[tokio::test]
async fn deleting_a_row_breaks_the_chain_at_its_successor() {
    let t = TestApp::new().await;
    busy_session(&t).await;
    let db = t.db();
    db.execute_batch("DROP TRIGGER audit_events_no_delete")
        .unwrap();
    db.execute("DELETE FROM audit_events WHERE id = 3", [])
        .unwrap();
    let admin = t.login(ADMIN).await;
    let r = t.get("/api/audit/verify", &admin).await;
    assert_eq!(r.body["ok"], false);
    assert_eq!(r.body["first_bad"], 4);
}

async fn busy_session_for(t: &TestApp, who: &str, target: &str) -> i64 {
    let tok = t.login(who).await;
    let (id, imp) = t.start(&tok, target).await;
    t.get("/api/view/assignments", &imp).await;
    t.call(Method::PUT, "/api/view/workspace", Some(&imp), None)
        .await;
    t.post(&format!("/api/impersonations/{id}/end"), &tok, json!({}))
        .await;
    id
}

#[tokio::test]
async fn verify_is_for_admins() {
    let t = TestApp::new().await;
    for email in [PARTNER, ALICE] {
        let r = t.get("/api/audit/verify", &t.login(email).await).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(
        t.call(Method::GET, "/api/audit/verify", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn audit_sessions_filters_and_partner_scope() {
    let t = TestApp::new().await;
    let a = busy_session_for(&t, ADMIN, ALICE).await;
    let p = busy_session_for(&t, PARTNER, CAROL).await;
    let s = busy_session_for(&t, SUPPORT, BOB).await;
    let admin = t.login(ADMIN).await;

    let ids = |r: &Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    };
    let r = t.get("/api/audit/sessions", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(ids(&r), [s, p, a], "newest first");
    let r = t
        .get(
            &format!("/api/audit/sessions?impersonator={}", t.user_id(PARTNER)),
            &admin,
        )
        .await;
    assert_eq!(ids(&r), [p]);
    let r = t
        .get(
            &format!("/api/audit/sessions?user={}", t.user_id(BOB)),
            &admin,
        )
        .await;
    assert_eq!(ids(&r), [s]);
    let r = t.get("/api/audit/sessions?end_reason=exit", &admin).await;
    assert_eq!(ids(&r).len(), 3);
    let r = t.get("/api/audit/sessions?end_reason=expiry", &admin).await;
    assert_eq!(ids(&r).len(), 0);
    let r = t
        .get("/api/audit/sessions?from=2026-11-18&to=2026-11-18", &admin)
        .await;
    assert_eq!(ids(&r).len(), 3, "a bare `to` date includes that day");
    let r = t.get("/api/audit/sessions?to=2026-11-01", &admin).await;
    assert_eq!(ids(&r).len(), 0);
    let r = t.get("/api/audit/sessions?limit=2", &admin).await;
    assert_eq!(ids(&r), [s, p]);
    let c = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = t
        .get(&format!("/api/audit/sessions?limit=2&cursor={c}"), &admin)
        .await;
    assert_eq!(ids(&r), [a]);
    assert!(r.body["next_cursor"].is_null());
    for q in [
        "end_reason=bored",
        "from=soon",
        "impersonator=x",
        "limit=many",
    ] {
        assert_eq!(
            t.get(&format!("/api/audit/sessions?{q}"), &admin)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{q}"
        );
    }

    // Partners: only their own sessions, whatever they ask for.
    let partner = t.login(PARTNER).await;
    let r = t.get("/api/audit/sessions", &partner).await;
    assert_eq!(ids(&r), [p]);
    let r = t
        .get(
            &format!("/api/audit/sessions?impersonator={}", t.user_id(ADMIN)),
            &partner,
        )
        .await;
    assert_eq!(ids(&r), [p]);
    let r = t
        .get(&format!("/api/audit/events?session_id={p}"), &partner)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body["items"].as_array().unwrap().is_empty());
    let r = t
        .get(&format!("/api/audit/events?session_id={a}"), &partner)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // And the same for a session that does not exist.
    let missing = t.get("/api/audit/events?session_id=999999", &partner).await;
    assert_eq!((missing.status, missing.body.clone()), (r.status, r.body));
    let r = t.get("/api/audit/events", &partner).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Users: none of it.
    let alice = t.login(ALICE).await;
    assert_eq!(
        t.get("/api/audit/sessions", &alice).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&format!("/api/audit/events?session_id={a}"), &alice)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Unknown session: 404; admins may page through everything.
    assert_eq!(
        t.get("/api/audit/events?session_id=999999", &admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = t.get("/api/audit/events?limit=5", &admin).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
    let c = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = t
        .get(&format!("/api/audit/events?limit=5&cursor={c}"), &admin)
        .await;
    assert_eq!(r.body["items"][0]["id"], c.parse::<i64>().unwrap() + 1);
}

#[tokio::test]
async fn the_sweeper_and_lazy_ends_are_audited_without_an_actor() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    t.clock.advance(3600);
    viewas_server::sweep_once(&t.state).await.unwrap();
    let r = t
        .get(&format!("/api/audit/events?session_id={id}"), &admin)
        .await;
    let last = r.body["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "session_ended");
    assert!(last["actor_id"].is_null());
    assert!(last["detail"].as_str().unwrap().contains("idle"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_views_each_get_their_row_and_the_chain_holds() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let router = t.router.clone();
        let imp = imp.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let path = if i % 4 == 0 {
                "/api/view/workspace"
            } else {
                "/api/view/assignments"
            };
            let req = axum::http::Request::builder()
                .uri(path)
                .header("authorization", format!("Bearer {imp}"))
                .body(axum::body::Body::empty())
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(t.events(id, "view"), 40);
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    assert_eq!(r.body["pages_viewed"], 40);
    let r = t.get("/api/audit/verify", &admin).await;
    assert_eq!(r.body["ok"], true);
}
