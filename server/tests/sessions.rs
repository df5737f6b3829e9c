//! Starting sessions and the rules around them; expiry, idle, revocation,
//! notes, notifications.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

fn start_body(user_id: i64) -> serde_json::Value {
    json!({"user_id": user_id, "reason_category": "diagnose_issue", "reason": REASON})
}

#[tokio::test]
async fn nobody_impersonates_admins_partners_themselves_or_disabled_users() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    for (email, why) in [
        (SUPPORT, "Administrators cannot be impersonated"),
        (ADMIN, "You cannot impersonate yourself"),
        (PARTNER, "Partner accounts cannot be impersonated"),
        (
            "dave.disabled@acme.example",
            "Disabled users cannot be impersonated",
        ),
    ] {
        let r = t.try_start(&admin, email).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{email}");
        assert_eq!(r.code(), "not_allowed");
        assert_eq!(r.body["error"]["message"], why);
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM impersonation_sessions"), 0);
}

#[tokio::test]
async fn only_admins_and_partners_start() {
    let t = TestApp::new().await;
    let alice = t.login(ALICE).await;
    let r = t.try_start(&alice, BOB).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_allowed");
    let r = t
        .call(
            Method::POST,
            "/api/impersonations",
            None,
            Some(start_body(4)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn partners_only_reach_their_client_organisations() {
    let t = TestApp::new().await;
    let partner = t.login(PARTNER).await;
    let r = t.try_start(&partner, ALICE).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["error"]["message"],
        "Not one of your client organisations"
    );
    let (id, _) = t.start(&partner, CAROL).await;
    assert!(id > 0);

    // The search lists only Initech and Globex Retail users.
    let r = t.get("/api/users?limit=100", &partner).await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        let org = item["org"]["name"].as_str().unwrap();
        assert!(org == "Initech" || org == "Globex Retail", "{org}");
    }
    let r = t.get("/api/users?q=alice", &partner).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_impersonation_token_cannot_start_another_session() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let r = t.try_start(&imp, BOB).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_allowed");
}

#[tokio::test]
async fn one_active_session_per_impersonator() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    let r = t.try_start(&admin, BOB).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_impersonating");
    // The answer names the open session, which the sign-in token may end.
    assert_eq!(r.body["active_session_id"], id);
    // Another admin may view the same user meanwhile.
    let support = t.login(SUPPORT).await;
    t.start(&support, ALICE).await;
    // After Exit a new one may start.
    t.post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    t.start(&admin, BOB).await;
}

#[tokio::test]
async fn reason_rules() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let alice = t.user_id(ALICE);
    for body in [
        json!({"user_id": alice, "reason_category": "support_request", "reason": "   too short  "}),
        json!({"user_id": alice, "reason_category": "support_request"}),
        json!({"user_id": alice, "reason_category": "curiosity", "reason": REASON}),
        json!({"user_id": alice, "reason_category": "audit", "reason": REASON, "ticket": "T".repeat(65)}),
        json!({"user_id": alice, "reason_category": "audit", "reason": "x".repeat(2001)}),
        // Missing or null: the same rule of the form, not a 400.
        json!({"user_id": alice, "reason": REASON}),
        json!({"user_id": alice, "reason_category": null, "reason": REASON}),
        json!({"user_id": alice, "reason_category": "audit", "reason": null}),
    ] {
        let r = t.post("/api/impersonations", &admin, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.code(), "invalid_reason");
    }
    let r = t
        .post(
            "/api/impersonations",
            &admin,
            json!({"user_id": alice, "reason_category": "onboarding", "reason": "  Ten chars!  ", "ticket": "SUP-1234"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["session"]["reason"], "Ten chars!");
    assert_eq!(r.body["session"]["ticket"], "SUP-1234");
    assert_eq!(r.body["session"]["reason_category"], "onboarding");
}

#[tokio::test]
async fn unknown_target_is_not_found() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let r = t
        .post("/api/impersonations", &admin, start_body(999_999))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
}

/// Guarantee 4: a start the rules refuse is a blocked attempt, on the
/// record with who tried whom and why not; it opens nothing.
#[tokio::test]
async fn a_refused_start_is_on_the_record() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (admin_id, support_id) = (t.user_id(ADMIN), t.user_id(SUPPORT));
    let r = t
        .post("/api/impersonations", &admin, start_body(support_id))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let db = t.db();
    let (actor, subject, session, status, detail): (i64, i64, Option<i64>, i64, String) = db
        .query_row(
            "SELECT actor_id, subject_id, session_id, status, detail FROM audit_events \
             WHERE kind = 'start_refused'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (actor, subject, session, status),
        (admin_id, support_id, None, 403)
    );
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["why"], "Administrators cannot be impersonated");
    assert_eq!(detail["reason"], REASON);
    assert_eq!(t.count("SELECT COUNT(*) FROM impersonation_sessions"), 0);
    // The chain still verifies with the new row in it.
    let v = t.get("/api/audit/verify", &admin).await;
    assert_eq!(v.body["ok"], true, "{}", v.text);
}

/// A partner is told the same of every user outside their client
/// organisations, whether an administrator, a disabled user, anyone else
/// or nobody at all.
#[tokio::test]
async fn a_partner_learns_nothing_of_users_outside_their_clients() {
    let t = TestApp::new().await;
    let partner = t.login(PARTNER).await;
    let admin_id = t.user_id(ADMIN);
    let disabled_outside = t.count(
        "SELECT u.id FROM users u WHERE u.disabled = 1 AND u.org_id NOT IN \
         (SELECT client_org_id FROM partner_clients) LIMIT 1",
    );
    assert!(
        disabled_outside > 0,
        "the demo has a disabled user outside the partner's clients"
    );
    for id in [admin_id, disabled_outside, t.user_id(ALICE), 999_999] {
        let r = t
            .post("/api/impersonations", &partner, start_body(id))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "user {id}: {}", r.text);
        assert_eq!(r.code(), "not_allowed");
        assert_eq!(
            r.body["error"]["message"],
            "Not one of your client organisations"
        );
    }
}

#[tokio::test]
async fn reading_a_session() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, CAROL).await;
    let path = format!("/api/impersonations/{id}");
    // Impersonator with either token, and any admin.
    for tok in [&admin, &imp, &t.login(SUPPORT).await] {
        let r = t.get(&path, tok).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["id"], id);
        assert_eq!(r.body["status"], "active");
        assert_eq!(r.body["impersonator"]["email"], ADMIN);
        assert_eq!(r.body["target"]["email"], CAROL);
        assert_eq!(r.body["reason"], REASON);
        assert_eq!(r.body["idle_timeout_secs"], 600);
    }
    // A partner or user who is not its impersonator may not.
    for email in [PARTNER, ALICE] {
        let r = t.get(&path, &t.login(email).await).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{email}");
        assert_eq!(r.code(), "not_allowed");
    }
    // Another session's impersonation token may not.
    let support = t.login(SUPPORT).await;
    let (_, other_imp) = t.start(&support, BOB).await;
    let r = t.get(&path, &other_imp).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.post(&format!("{path}/end"), &other_imp, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Malformed and unknown ids.
    assert_eq!(
        t.get("/api/impersonations/abc", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/impersonations/999999", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/impersonations/99999999999999999999999", &admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_the_impersonator_ends_a_session() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let support = t.login(SUPPORT).await;
    let r = t
        .post(
            &format!("/api/impersonations/{id}/end"),
            &support,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK
    );
    // The admin token of the impersonator ends it too.
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    assert_eq!(r.body["status"], "ended");
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.code(),
        "session_ended"
    );
    // The (now dead) impersonation token ends nothing; the sign-in ends
    // it twice, unchanged.
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_ended");
    let r = t
        .post(&format!("/api/impersonations/{id}/end"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["end_reason"], "exit");
}

#[tokio::test]
async fn notes_are_added_listed_and_audited() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let path = format!("/api/impersonations/{id}/notes");
    let r = t
        .post(
            &path,
            &imp,
            json!({"text": "Runs fail at step 2 <script>x</script>"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["session_id"], id);
    let r = t
        .post(
            &path,
            &admin,
            json!({"text": "Second note, from the console token"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    for bad in [json!({"text": "   "}), json!({"text": "x".repeat(4001)})] {
        assert_eq!(
            t.post(&path, &imp, bad).await.status,
            StatusCode::BAD_REQUEST
        );
    }
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    let notes = r.body["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["text"], "Runs fail at step 2 <script>x</script>");
    assert_eq!(t.events(id, "note"), 2);
    // Someone else's session: no.
    let support = t.login(SUPPORT).await;
    assert_eq!(
        t.post(&path, &support, json!({"text": "hello there"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The impersonation token dies with the session.
    t.post(&format!("/api/impersonations/{id}/end"), &imp, json!({}))
        .await;
    let r = t.post(&path, &imp, json!({"text": "too late now"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_ended");
}

#[tokio::test]
async fn notify_policy_writes_a_notification_and_access_history() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM notifications WHERE user_id = {} AND session_id = {id}",
            t.user_id(ALICE)
        )),
        1
    );
    let alice = t.login(ALICE).await;
    let r = t.get("/api/me/access-history", &alice).await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["session_id"], id);
    assert_eq!(items[0]["impersonator_name"], "Ada Lindqvist");
    assert_eq!(items[0]["impersonator_org"], "Duvo");
    assert_eq!(items[0]["reason"], REASON);
}

#[tokio::test]
async fn silent_policy_writes_neither() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    t.start(&admin, BOB).await;
    assert_eq!(t.count("SELECT COUNT(*) FROM notifications"), 0);
    let bob = t.login(BOB).await;
    let r = t.get("/api/me/access-history", &bob).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn sessions_expire_at_the_maximum_even_when_busy() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    // Keep it busy: a view every 5 minutes holds idleness off.
    for _ in 0..5 {
        t.clock.advance(300);
        assert_eq!(
            t.get("/api/view/assignments", &imp).await.status,
            StatusCode::OK
        );
    }
    t.clock.advance(299); // 1799 s after the start
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.status,
        StatusCode::OK
    );
    t.clock.advance(1); // exactly the maximum: already over
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_ended");
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    assert_eq!(r.body["end_reason"], "expiry");
    assert_eq!(r.body["ended_at"], r.body["expires_at"]);
    assert_eq!(r.body["seconds_left"], 0);
    assert_eq!(t.events(id, "session_ended"), 1);
}

#[tokio::test]
async fn the_maximum_is_configurable() {
    let t = TestApp::with(viewas_server::Settings {
        max_session_secs: 20,
        ..Default::default()
    })
    .await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    t.clock.advance(19);
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.status,
        StatusCode::OK
    );
    t.clock.advance(1);
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.code(),
        "session_ended"
    );
}

#[tokio::test]
async fn idle_sessions_end_and_only_views_reset_the_idle_clock() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    t.clock.advance(500);
    // Neither notes nor reading the session count as activity.
    let r = t
        .post(
            &format!("/api/impersonations/{id}/notes"),
            &imp,
            json!({"text": "still here"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = t.get(&format!("/api/impersonations/{id}"), &imp).await;
    assert_eq!(r.body["seconds_left"], 100);
    // Nor does a failed view (404).
    assert_eq!(
        t.get("/api/view/runs/999999999", &imp).await.status,
        StatusCode::NOT_FOUND
    );
    t.clock.advance(100);
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.code(), "session_ended");
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    assert_eq!(r.body["end_reason"], "idle");
    assert_eq!(r.body["pages_viewed"], 0);
}

#[tokio::test]
async fn a_successful_view_resets_the_idle_clock() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    t.clock.advance(599);
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK
    );
    t.clock.advance(599);
    assert_eq!(
        t.get("/api/view/workspace", &imp).await.status,
        StatusCode::OK
    );
    let r = t.get(&format!("/api/impersonations/{id}"), &admin).await;
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["pages_viewed"], 2);
    assert_eq!(r.body["seconds_left"], 600);
}

#[tokio::test]
async fn the_sweeper_ends_sessions_nobody_touches() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    assert_eq!(viewas_server::sweep_once(&t.state).await.unwrap(), 0);
    t.clock.advance(600);
    assert_eq!(viewas_server::sweep_once(&t.state).await.unwrap(), 1);
    let (reason, ended_at, started_at): (String, i64, i64) = t
        .db()
        .query_row(
            "SELECT end_reason, ended_at, started_at FROM impersonation_sessions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(reason, "idle");
    assert_eq!(ended_at, started_at + 600);
    assert_eq!(t.events(id, "session_ended"), 1);
    assert_eq!(viewas_server::sweep_once(&t.state).await.unwrap(), 0);
    // The impersonator may start again.
    t.start(&admin, BOB).await;
}

#[tokio::test]
async fn disabling_the_impersonator_revokes_their_session() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let r = t
        .post(
            &format!("/api/admin/users/{}/disable", t.user_id(ADMIN)),
            &support,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["disabled"], true);
    assert_eq!(r.body["sessions_ended"], json!([id]));
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.code(),
        "session_ended"
    );
    assert_eq!(
        t.get("/api/me", &admin).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = t.get(&format!("/api/impersonations/{id}"), &support).await;
    assert_eq!(r.body["end_reason"], "revocation");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'revocation'"),
        1
    );
    // Disabled accounts cannot sign in; enabling lets them again.
    let r = t.try_login(ADMIN, PASSWORD).await;
    assert_eq!(r.code(), "invalid_credentials");
    let r = t
        .post(
            &format!("/api/admin/users/{}/enable", t.user_id(ADMIN)),
            &support,
            json!({}),
        )
        .await;
    assert_eq!(r.body["disabled"], false);
    t.login(ADMIN).await;
}

#[tokio::test]
async fn disabling_or_promoting_the_target_revokes_too() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let support = t.login(SUPPORT).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    let r = t
        .post(
            &format!("/api/admin/users/{}/role", t.user_id(ALICE)),
            &support,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["user"]["role"], "admin");
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.code(),
        "session_ended"
    );
    assert_eq!(
        t.get(&format!("/api/impersonations/{id}"), &admin)
            .await
            .body["end_reason"],
        "revocation"
    );
    // And now Alice, an admin, cannot be impersonated.
    assert_eq!(t.try_start(&admin, ALICE).await.code(), "not_allowed");

    let (id, imp) = t.start(&admin, CAROL).await;
    t.post(
        &format!("/api/admin/users/{}/disable", t.user_id(CAROL)),
        &support,
        json!({}),
    )
    .await;
    assert_eq!(
        t.get("/api/view/assignments", &imp).await.code(),
        "session_ended"
    );
    assert_eq!(
        t.get(&format!("/api/impersonations/{id}"), &admin)
            .await
            .body["end_reason"],
        "revocation"
    );
}

#[tokio::test]
async fn admin_endpoints_are_for_admins() {
    let t = TestApp::new().await;
    let partner = t.login(PARTNER).await;
    let alice = t.login(ALICE).await;
    let admin = t.login(ADMIN).await;
    for tok in [&partner, &alice] {
        let r = t.post("/api/admin/users/4/disable", tok, json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.code(), "not_allowed");
    }
    assert_eq!(t.count("SELECT disabled FROM users WHERE id = 4"), 0);
    // Not on oneself; unknown and malformed ids; bad role.
    let me = t.user_id(ADMIN);
    assert_eq!(
        t.post(&format!("/api/admin/users/{me}/disable"), &admin, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post("/api/admin/users/999999/disable", &admin, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.post("/api/admin/users/x/disable", &admin, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.post("/api/admin/users/4/role", &admin, json!({"role": "god"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn user_search_says_who_can_be_impersonated_and_why_not() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let find = |q: &'static str| {
        let t = &t;
        let admin = admin.clone();
        async move {
            let r = t.get(&format!("/api/users?q={q}"), &admin).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.body["items"][0].clone()
        }
    };
    let a = find("alice").await;
    assert_eq!(a["email"], ALICE);
    assert_eq!(a["can_impersonate"], true);
    assert!(a["not_allowed_reason"].is_null());
    for (q, why) in [
        ("support%40duvo", "Administrators cannot be impersonated"),
        ("admin%40duvo", "You cannot impersonate yourself"),
        ("partner%40", "Partner accounts cannot be impersonated"),
        ("dave.disabled", "Disabled users cannot be impersonated"),
    ] {
        let item = find(q).await;
        assert_eq!(item["can_impersonate"], false, "{q}");
        assert_eq!(item["not_allowed_reason"], why, "{q}");
    }
    // Partner view: an out-of-scope reason only shows for direct starts, the
    // search simply does not list them.
    let partner = t.login(PARTNER).await;
    let r = t.get("/api/users?q=carol", &partner).await;
    assert_eq!(r.body["items"][0]["can_impersonate"], true);
    // Users may not search.
    let alice = t.login(ALICE).await;
    assert_eq!(
        t.get("/api/users", &alice).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn user_search_pages_with_a_cursor() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let total = t.count("SELECT COUNT(*) FROM users");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/users?limit=3&cursor={c}"),
            None => "/api/users?limit=3".to_string(),
        };
        let r = t.get(&path, &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), seen.len(), "no user twice");
    assert_eq!(seen.len() as i64, total);
    // Junk cursors and limits are 400, never 500.
    for q in ["cursor=%%%", "cursor=bm9wZQ", "limit=abc", "limit=-1"] {
        let r = t.get(&format!("/api/users?{q}"), &admin).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(r.code(), "bad_request");
    }
    // SQL and LIKE metacharacters are just text.
    for q in ["%27%20OR%201%3D1--", "%25", "_", "%5C"] {
        let r = t.get(&format!("/api/users?q={q}"), &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{q}");
    }
}
