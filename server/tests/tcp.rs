//! The real thing over a socket: `launch` on port 0, raw HTTP/1.1.

mod common;

use std::net::SocketAddr;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Answer {
    status: u16,
    head: String,
    body: Value,
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Answer {
        status,
        head: head.to_string(),
        body: serde_json::from_str(&payload).unwrap_or(Value::Null),
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walk_over_a_real_socket() {
    let t = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert_ne!(addr.port(), 0);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(viewas_server::launch(listener, t.state.clone(), async {
        let _ = stopped.await;
    }));

    let r = http(addr, "GET", "/api/health", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r
        .head
        .to_ascii_lowercase()
        .contains("content-security-policy:"));

    let r = http(
        addr,
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": ADMIN, "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, 200);
    let admin = r.body["token"].as_str().unwrap().to_string();

    let alice = t.user_id(ALICE);
    let r = http(
        addr,
        "POST",
        "/api/impersonations",
        Some(&admin),
        Some(json!({"user_id": alice, "reason_category": "support_request", "reason": REASON})),
    )
    .await;
    assert_eq!(r.status, 201);
    let id = r.body["session"]["id"].as_i64().unwrap();
    let imp = r.body["token"].as_str().unwrap().to_string();

    let r = http(addr, "GET", "/api/view/assignments", Some(&imp), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.as_array().unwrap().len(), 10);
    let r = http(
        addr,
        "PATCH",
        "/api/view/assignments",
        Some(&imp),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error"]["code"], "read_only");

    let r = http(
        addr,
        "POST",
        &format!("/api/impersonations/{id}/end"),
        Some(&imp),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ended");
    let r = http(addr, "GET", "/api/view/assignments", Some(&imp), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["code"], "session_ended");

    // Over a socket the client address is known, and throttling uses it.
    http(
        addr,
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": BOB, "password": "no"})),
    )
    .await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM login_failures WHERE scope = 'address:127.0.0.1'"),
        1
    );

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped listening"
    );
}
