//! The route table of the server matches what is routed.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use viewas_server::http::{api_routes, Access};

#[tokio::test]
async fn every_listed_route_exists_and_refuses_anonymous_callers() {
    let t = TestApp::new().await;
    for route in api_routes() {
        let method: Method = route.method.clone();
        let path = route.path.replace("{id}", "1");
        let r = t.call(method.clone(), &path, None, None).await;
        match route.access {
            Access::Anyone => assert_ne!(r.status, StatusCode::NOT_FOUND, "{method} {path}"),
            _ => {
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path}: {}",
                    r.text
                );
                assert_eq!(r.code(), "unauthorized");
            }
        }
    }
}

#[tokio::test]
async fn a_user_token_reaches_only_signed_routes() {
    let t = TestApp::new().await;
    let alice = t.login(ALICE).await;
    for route in api_routes() {
        if matches!(route.access, Access::Staff | Access::Admin) {
            let method: Method = route.method.clone();
            let path = route.path.replace("{id}", "1");
            let r = t.call(method.clone(), &path, Some(&alice), None).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                r.text
            );
            assert_eq!(r.code(), "not_allowed");
        }
    }
}
