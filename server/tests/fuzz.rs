//! Issue 7, bad input: a corpus of hostile input sent to every route that
//! takes input (bodies, query strings, ids in paths, headers), and a
//! proptest fuzz harness of the same parsing and validation paths. For
//! every request: never a 5xx, never a hang (5 s), always the error shape
//! when refused, and the database unchanged where the request was refused.
//!
//! `VIEWAS_FUZZ_CASES` sets the harness's cases (default 200; `make soak`
//! runs 20,000 in a release build).

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// Refused requests may still leave these: the trail (blocked attempts are
/// audited) and failed sign-ins (throttling counts them).
const REFUSALS_MAY_WRITE: [&str; 2] = ["audit_events", "login_failures"];

struct Target {
    method: &'static str,
    path: String,
    token: Option<String>,
}

async fn targets(t: &TestApp) -> (Vec<Target>, String, String) {
    let admin = t.login(ADMIN).await;
    let (sid, imp) = t.start(&admin, ALICE).await;
    let bob = t.user_id(BOB);
    let a = Some(admin.clone());
    let i = Some(imp.clone());
    let v = vec![
        Target {
            method: "POST",
            path: "/api/auth/login".into(),
            token: None,
        },
        Target {
            method: "POST",
            path: "/api/impersonations".into(),
            token: a.clone(),
        },
        Target {
            method: "POST",
            path: format!("/api/impersonations/{sid}/notes"),
            token: a.clone(),
        },
        Target {
            method: "POST",
            path: format!("/api/impersonations/{sid}/notes"),
            token: i.clone(),
        },
        Target {
            method: "POST",
            path: format!("/api/admin/users/{bob}/role"),
            token: a.clone(),
        },
        Target {
            method: "GET",
            path: "/api/users?q=".into(),
            token: a.clone(),
        },
        Target {
            method: "GET",
            path: "/api/audit/sessions?q=".into(),
            token: a.clone(),
        },
        Target {
            method: "GET",
            path: "/api/audit/events?session_id=".into(),
            token: a.clone(),
        },
        Target {
            method: "GET",
            path: "/api/view/runs?status=".into(),
            token: i.clone(),
        },
        Target {
            method: "GET",
            path: "/api/view/runs?cursor=".into(),
            token: i.clone(),
        },
        Target {
            method: "GET",
            path: "/api/view/runs?before=".into(),
            token: i.clone(),
        },
        Target {
            method: "GET",
            path: "/api/view/runs?limit=".into(),
            token: i.clone(),
        },
        Target {
            method: "GET",
            path: "/api/view/runs/".into(),
            token: i.clone(),
        },
        Target {
            method: "GET",
            path: "/api/view/assignments/".into(),
            token: i.clone(),
        },
        Target {
            method: "GET",
            path: "/api/impersonations/".into(),
            token: a.clone(),
        },
        Target {
            method: "POST",
            path: "/api/admin/users/".into(),
            token: a,
        },
    ];
    (v, admin, imp)
}

/// One request with a 5 s limit; checks the answer's shape.
async fn probe(
    t: &TestApp,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> Result<Resp, String> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(tok) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {tok}"));
    }
    if !body.is_empty() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let req = match b.body(Body::from(body)) {
        Ok(r) => r,
        // Not a request an HTTP client could send (e.g. a space in the URI).
        Err(_) => return Err("unbuildable".into()),
    };
    let r = tokio::time::timeout(Duration::from_secs(5), t.send(req))
        .await
        .map_err(|_| format!("{method} {uri}: no answer within 5 s"))?;
    if r.status.is_server_error() {
        return Err(format!("{method} {uri}: {} {}", r.status, r.text));
    }
    if r.status.is_client_error()
        && !(r.body["error"]["code"].is_string() && r.body["error"]["message"].is_string())
    {
        return Err(format!(
            "{method} {uri}: {} not in the error shape: {}",
            r.status, r.text
        ));
    }
    Ok(r)
}

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("truncated", b"{\"email\": \"a".to_vec()),
        ("not json", b"email=a&password=b".to_vec()),
        ("deep arrays", format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)).into_bytes()),
        ("deep objects", format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)).into_bytes()),
        ("null", b"null".to_vec()),
        ("array", b"[]".to_vec()),
        ("string", b"\"hello\"".to_vec()),
        ("wrong types", json!({"email": 1, "password": [], "user_id": "4", "reason_category": 7, "reason": {}, "text": false, "role": 1}).to_string().into_bytes()),
        ("float id", json!({"user_id": 4.5, "reason_category": "audit", "reason": "Long enough reason"}).to_string().into_bytes()),
        ("huge id", b"{\"user_id\": 99999999999999999999999999, \"reason_category\": \"audit\", \"reason\": \"Long enough reason\"}".to_vec()),
        ("huge strings", json!({"email": "a".repeat(60_000), "password": "p", "text": "n".repeat(60_000), "reason": "r".repeat(60_000), "reason_category": "audit", "user_id": 4, "role": "x".repeat(60_000)}).to_string().into_bytes()),
        ("over the limit", vec![b' '; 70 * 1024]),
        ("invalid utf-8", b"{\"email\": \"\xff\xfe\", \"text\": \"\xc3\x28\"}".to_vec()),
        ("nul bytes", b"{\"email\": \"a\x00b\", \"password\": \"\x00\"}".to_vec()),
        ("escaped nul", json!({"text": "a\u{0}b", "email": "a\u{0}@x", "password": "p", "reason": "reason\u{0}long enough", "reason_category": "audit", "user_id": 4}).to_string().into_bytes()),
        ("sql", json!({"email": "' OR 1=1; DROP TABLE users;--", "password": "' OR ''='", "text": "'); DELETE FROM runs; --", "q": "%' OR 1=1 --", "role": "admin' --"}).to_string().into_bytes()),
        ("html and script", json!({"text": "<script>alert(1)</script><img src=x onerror=alert(1)>", "email": "<b>@x", "password": "</script>", "reason": "<script>alert('reason')</script>", "reason_category": "audit", "user_id": 4}).to_string().into_bytes()),
        ("bidi and zero-width", json!({"text": "\u{202E}txet\u{202C}\u{200B}\u{2066}x\u{2069}\u{FEFF}", "email": "adm\u{200B}in@duvo.example", "password": "duvo-demo", "reason": "\u{202E}nosaer gnol a si sihT", "reason_category": "audit", "user_id": 4}).to_string().into_bytes()),
        ("unknown category", json!({"user_id": 4, "reason_category": "curiosity", "reason": "Long enough reason"}).to_string().into_bytes()),
    ];
    v.push(("empty", Vec::new()));
    v
}

const QUERY_VALUES: [&str; 14] = [
    "%00",
    "%27%20OR%201=1--",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "%E2%80%AE",
    "%E2%80%8B",
    "-1",
    "0",
    "99999999999999999999999",
    "1e3",
    "..%2F..%2Fetc%2Fpasswd",
    "%FF%FE",
    "1_2_3",
    "____",
    "x",
];

const PATH_IDS: [&str; 10] = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f",
    "1;DROP%20TABLE%20runs",
    "%00",
    "-1",
    "1e3",
    "99999999999999999999999",
    "%20",
    "%E2%80%AE1",
    "1%2F..%2F2",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hostile_corpus_never_breaks_a_route() {
    let t = TestApp::new().await;
    let (targets, _, _) = targets(&t).await;
    let mut failures = Vec::new();
    let mut sent = 0;
    let mut before = table_checksums(&t.db(), &REFUSALS_MAY_WRITE);
    for target in &targets {
        let token = target.token.as_deref();
        let inputs: Vec<(String, Vec<u8>)> =
            if target.method == "POST" && !target.path.ends_with('/') {
                bodies()
                    .into_iter()
                    .map(|(_, b)| (target.path.clone(), b))
                    .collect()
            } else if target.path.ends_with('/') {
                PATH_IDS
                    .iter()
                    .map(|id| {
                        let suffix = if target.path.starts_with("/api/admin/") {
                            "/disable"
                        } else {
                            ""
                        };
                        (format!("{}{id}{suffix}", target.path), Vec::new())
                    })
                    .collect()
            } else {
                QUERY_VALUES
                    .iter()
                    .map(|v| (format!("{}{v}", target.path), Vec::new()))
                    .collect()
            };
        for (uri, body) in inputs {
            let r = probe(&t, target.method, &uri, token, body).await;
            sent += 1;
            match r {
                Err(e) if e == "unbuildable" => {}
                Err(e) => failures.push(e),
                Ok(r) if !r.status.is_success() => {
                    let after = table_checksums(&t.db(), &REFUSALS_MAY_WRITE);
                    if before != after {
                        failures.push(format!(
                            "{} {uri}: refused ({}) but the database changed",
                            target.method, r.status
                        ));
                    }
                }
                // Accepted (a note whose text is a payload is just a note):
                // the new state is the baseline of the next refusal.
                Ok(_) => before = table_checksums(&t.db(), &REFUSALS_MAY_WRITE),
            }
        }
    }
    // Overlong and odd Authorization headers.
    for value in [
        format!("Bearer {}", "a".repeat(64 * 1024)),
        format!("Bearer {}.{}", "0".repeat(16), "f".repeat(100_000)),
        "Bearer".to_string(),
        "Basic YWRtaW46ZHV2by1kZW1v".to_string(),
        "Bearer \u{202E}".to_string(),
    ] {
        let Ok(req) = Request::builder()
            .uri("/api/me")
            .header(header::AUTHORIZATION, value.as_str())
            .body(Body::empty())
        else {
            continue;
        };
        let r = t.send(req).await;
        sent += 1;
        if r.status != 401 || r.code() != "unauthorized" {
            failures.push(format!(
                "Authorization {:.20}…: {} {}",
                value, r.status, r.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} hostile requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(sent > 150, "{sent}");
}

/// Over a real socket, an overlong request head is refused (4xx or a
/// closed connection), promptly, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_header_over_tcp_is_refused_without_a_hang() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(viewas_server::launch(listener, t.state.clone(), async {
        let _ = stopped.await;
    }));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Long: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    // The server may close before reading it all; that is a refusal too.
    let _ = s.write_all(head.as_bytes()).await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "no answer within 5 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 4"),
        "{text:.200}"
    );
    // Still serving.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        proptest::sample::select(vec![
            "audit",
            "support_request",
            "admin",
            "user",
            "partner",
            ADMIN,
            PASSWORD,
            REASON
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "email",
                    "password",
                    "user_id",
                    "reason_category",
                    "reason",
                    "ticket",
                    "text",
                    "role",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..7
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => json_value().prop_map(|v| {
            // Valid JSON cut short.
            let s = v.to_string().into_bytes();
            let n = s.len() / 2;
            s[..n].to_vec()
        }),
    ]
}

#[test]
fn fuzz_request_parsing_and_validation() {
    let cases: u32 = std::env::var("VIEWAS_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestApp::new());
    let (targets, admin, imp) = rt.block_on(targets(&t));
    let n = targets.len();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..n,
        body_bytes(),
        "[ -~]{0,24}",
        prop_oneof![Just(0u8), Just(1u8), Just(2u8), Just(3u8)],
    );
    let result = runner.run(&strategy, |(which, body, text, tok)| {
        let target = &targets[which];
        // Query values and path ids: percent-encode what a URI cannot hold.
        let encoded: String = text
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        // Path ids and query values end the target's path; bodies go to POSTs.
        let uri = if target.path.ends_with('/') || target.method == "GET" {
            format!("{}{encoded}", target.path)
        } else {
            target.path.clone()
        };
        let body = if target.method == "POST" {
            body
        } else {
            Vec::new()
        };
        // Mostly the target's own token; sometimes another one, or garbage.
        let token = match tok {
            0 | 1 => target.token.clone(),
            2 => Some(if target.token.as_deref() == Some(&admin) {
                imp.clone()
            } else {
                admin.clone()
            }),
            _ => Some(text.clone()),
        };
        let r = rt.block_on(probe(&t, target.method, &uri, token.as_deref(), body));
        match r {
            Ok(_) => Ok(()),
            Err(e) if e == "unbuildable" => Ok(()),
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    println!("fuzz: {cases} cases over {n} input paths: no 5xx, no hang, always the error shape");
}
