//! Bad input, the error shape, headers, and the static SPA.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::json;
use viewas_server::Settings;

fn raw(
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(body.into()).unwrap()
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_bad_request() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let json_ct = Some("application/json");
    for (path, body) in [
        ("/api/auth/login", "{not json"),
        ("/api/auth/login", r#"{"email": 5, "password": []}"#),
        ("/api/auth/login", r#"{"email": "a@b.c"}"#),
        (
            "/api/impersonations",
            r#"{"user_id": "four", "reason_category": "audit", "reason": "long enough reason"}"#,
        ),
        ("/api/impersonations", r#"[1,2,3]"#),
        ("/api/impersonations", ""),
        (
            "/api/impersonations",
            "{\"user_id\": 4, \"reason_category\": \"audit\", \"reason\": \"\u{0}\u{0}\"\u{0}}",
        ),
    ] {
        let tok = (path != "/api/auth/login").then_some(admin.as_str());
        let r = t
            .send(raw(Method::POST, path, tok, json_ct, body.to_string()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{path} {body}: {}",
            r.text
        );
        assert_eq!(r.code(), "bad_request");
        assert!(r.body["error"]["message"].is_string());
    }
    // No JSON content type.
    let r = t
        .send(raw(
            Method::POST,
            "/api/auth/login",
            None,
            Some("text/plain"),
            r#"{"email":"a","password":"b"}"#,
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Invalid UTF-8.
    let r = t
        .send(raw(
            Method::POST,
            "/api/auth/login",
            None,
            json_ct,
            vec![b'{', 0xff, 0xfe, b'}'],
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bodies_over_64_kib_are_413_in_the_error_shape() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, _) = t.start(&admin, ALICE).await;
    let big = json!({"text": "x".repeat(65 * 1024)}).to_string();
    let path = format!("/api/impersonations/{id}/notes");
    // Declared too large: refused before anything reads the body.
    let mut req = raw(
        Method::POST,
        &path,
        Some(&admin),
        Some("application/json"),
        big.clone(),
    );
    req.headers_mut()
        .insert(header::CONTENT_LENGTH, big.len().into());
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
    // Undeclared: the JSON extractor stops at the limit.
    let r = t
        .send(raw(
            Method::POST,
            &path,
            Some(&admin),
            Some("application/json"),
            big.clone(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
    assert_eq!(t.count("SELECT COUNT(*) FROM notes"), 0);
    // Without a Content-Length (streamed), the JSON extractor stops at the limit.
    let stream = futures_like_stream(big);
    let r = t
        .send(raw(
            Method::POST,
            "/api/auth/login",
            None,
            Some("application/json"),
            stream,
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "payload_too_large");
    // Just under the limit is fine (and then judged on its merits).
    let ok = json!({"email": "x".repeat(60 * 1024), "password": "y"}).to_string();
    let r = t
        .send(raw(
            Method::POST,
            "/api/auth/login",
            None,
            Some("application/json"),
            ok,
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A body with no known length.
fn futures_like_stream(s: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = s
        .into_bytes()
        .chunks(8192)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn unknown_api_paths_are_json_404_never_the_spa() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>spa</html>").unwrap();
    let t = TestApp::with(Settings {
        dist: dir.path().to_path_buf(),
        ..Default::default()
    })
    .await;
    for path in [
        "/api",
        "/api/",
        "/api/nope",
        "/api/users/1/delete",
        "/api/impersonations/1/notes/2",
    ] {
        let r = t.call(Method::GET, path, None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.code(), "not_found", "{path}");
        assert!(!r.text.contains("spa"));
    }
    // Wrong method on a real route: error shape too.
    let r = t.call(Method::DELETE, "/api/me", None, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body["error"]["code"].is_string());
    // Client routes get index.html; real files are served.
    for path in ["/", "/admin/users", "/view/assignments/7"] {
        let r = t.call(Method::GET, path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.text, "<html>spa</html>");
    }
}

#[tokio::test]
async fn a_missing_module_is_a_404_not_the_spa() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>spa</html>").unwrap();
    std::fs::write(dir.path().join("split_runs-ab12.wasm"), b"\0asm").unwrap();
    let t = TestApp::with(Settings {
        dist: dir.path().to_path_buf(),
        ..Default::default()
    })
    .await;
    // A module of another build (its hash is gone) or a mistyped script.
    for path in ["/split_runs-0000.wasm", "/viewas-old.js", "/main-old.css"] {
        let r = t.call(Method::GET, path, None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.text.contains("spa"), "{path}");
    }
    let r = t
        .call(Method::GET, "/split_runs-ab12.wasm", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn static_files_are_gzipped_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>spa</html>").unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        "console.log('x');\n".repeat(2000),
    )
    .unwrap();
    let t = TestApp::with(Settings {
        dist: dir.path().to_path_buf(),
        ..Default::default()
    })
    .await;
    let req = Request::builder()
        .uri("/app.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
    assert!(r.headers.contains_key(header::CONTENT_SECURITY_POLICY));
}

/// The API's JSON is gzipped when asked too (by its own, faster layer);
/// never twice, and not at all for a client that does not ask.
#[tokio::test]
async fn api_answers_are_gzipped_when_asked() {
    use tower::ServiceExt;
    let t = TestApp::new().await;
    let admin = t.login("admin@duvo.example").await;
    let (_, imp) = t.start(&admin, "alice@acme.example").await;
    let get = |accept: &'static str| {
        let mut req = Request::builder()
            .uri("/api/view/runs?limit=50")
            .header(header::AUTHORIZATION, format!("Bearer {imp}"));
        if !accept.is_empty() {
            req = req.header(header::ACCEPT_ENCODING, accept);
        }
        let router = t.router.clone();
        async move {
            let res = router
                .oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let headers = res.headers().clone();
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            (headers, bytes)
        }
    };
    let (plain_headers, plain) = get("").await;
    assert!(!plain_headers.contains_key(header::CONTENT_ENCODING));
    assert!(serde_json::from_slice::<serde_json::Value>(&plain).is_ok());
    let (headers, gz) = get("gzip").await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers.get_all(header::CONTENT_ENCODING).iter().count(), 1);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(&gz[..2], [0x1f, 0x8b], "a gzip stream");
    assert!(
        gz.len() * 3 < plain.len(),
        "{} of {} bytes",
        gz.len(),
        plain.len()
    );
}

/// A build's `.br` / `.gz` twins are sent as they are, chosen by what the
/// client accepts; the file itself to one that accepts neither.
#[tokio::test]
async fn precompressed_twins_are_sent_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("index.html"), "<html>spa</html>").unwrap();
    std::fs::write(d.join("index.html.br"), "index-br").unwrap();
    std::fs::write(d.join("app.wasm"), "raw wasm bytes").unwrap();
    std::fs::write(d.join("app.wasm.br"), "brotli twin").unwrap();
    std::fs::write(d.join("app.wasm.gz"), "gzip twin").unwrap();
    let t = TestApp::with(Settings {
        dist: d.to_path_buf(),
        ..Default::default()
    })
    .await;
    let get = |path: &'static str, accept: &'static str| {
        let mut req = Request::builder().uri(path);
        if !accept.is_empty() {
            req = req.header(header::ACCEPT_ENCODING, accept);
        }
        t.send(req.body(Body::empty()).unwrap())
    };
    let encoding = |r: &Resp| {
        r.headers
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let r = get("/app.wasm", "gzip, deflate, br").await;
    assert_eq!(
        (encoding(&r).as_deref(), r.text.as_str()),
        (Some("br"), "brotli twin")
    );
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/wasm");
    let r = get("/app.wasm", "gzip").await;
    assert_eq!(
        (encoding(&r).as_deref(), r.text.as_str()),
        (Some("gzip"), "gzip twin")
    );
    let r = get("/app.wasm", "").await;
    assert_eq!((encoding(&r), r.text.as_str()), (None, "raw wasm bytes"));
    // Client routes get index.html's twin too.
    let r = get("/session/runs", "br").await;
    assert_eq!(
        (encoding(&r).as_deref(), r.text.as_str()),
        (Some("br"), "index-br")
    );
}

#[tokio::test]
async fn a_missing_spa_build_is_explained() {
    let t = TestApp::new().await;
    let r = t.call(Method::GET, "/", None, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text.contains("not built"), "{}", r.text);
    assert_eq!(
        t.call(Method::GET, "/api/health", None, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let boot = "import init from '/viewas.js';await init();";
    std::fs::write(
        dir.path().join("index.html"),
        format!("<html><head><script type=\"module\">{boot}</script><script src=\"/x.js\"></script></head></html>"),
    )
    .unwrap();
    let t = TestApp::with(Settings {
        dist: dir.path().to_path_buf(),
        partner_origins: vec!["https://portal.northwind.example".into()],
        ..Default::default()
    })
    .await;
    let admin = t.login(ADMIN).await;
    let (_, imp) = t.start(&admin, ALICE).await;
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(boot.as_bytes()))
    };
    let responses = vec![
        t.call(Method::GET, "/", None, None).await,
        t.call(Method::GET, "/api/health", None, None).await,
        t.call(Method::GET, "/api/me", None, None).await,
        t.get("/api/me", &admin).await,
        t.get("/api/view/assignments", &imp).await,
        t.call(Method::POST, "/api/view/assignments", Some(&imp), None)
            .await,
        t.call(Method::GET, "/api/nope", None, None).await,
    ];
    for r in responses {
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert!(csp.contains("style-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            csp.contains("frame-ancestors 'self' https://portal.northwind.example"),
            "{csp}"
        );
        assert!(csp.contains("base-uri 'none'"));
        assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(r.headers[header::REFERRER_POLICY], "no-referrer");
        assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }
    // API answers are never cached.
    let r = t.get("/api/view/assignments", &imp).await;
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn cors_preflights_get_no_permission() {
    let t = TestApp::new().await;
    let r = t
        .send(
            Request::builder()
                .method(Method::OPTIONS)
                .uri("/api/auth/login")
                .header(header::ORIGIN, "https://evil.example")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    assert!(!r.status.is_success());
}

#[tokio::test]
async fn unicode_and_sql_in_text_are_just_data() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let reason = "Robert'); DROP TABLE users;-- \u{202E}txt.exe 🦀 <img src=x onerror=alert(1)>";
    let alice = t.user_id(ALICE);
    let r = t
        .post(
            "/api/impersonations",
            &admin,
            json!({"user_id": alice, "reason_category": "audit", "reason": reason}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["session"]["reason"], reason);
    let id = r.body["session"]["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/impersonations/{id}/notes"),
            &admin,
            json!({"text": "\u{0}nul and 'quotes' \"too\""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["text"], "\u{0}nul and 'quotes' \"too\"");
    assert!(t.count("SELECT COUNT(*) FROM users") > 10);
    let r = t.get("/api/users?q=Mal%20%3Cb%3E", &admin).await;
    assert_eq!(
        r.body["items"][0]["name"],
        "Mal <b>lory</b> \u{202E}nimda\u{202C}"
    );
}

#[tokio::test]
async fn hostile_input_never_makes_a_500() {
    let t = TestApp::new().await;
    let admin = t.login(ADMIN).await;
    let (id, imp) = t.start(&admin, ALICE).await;
    // Deeply nested JSON (under the size limit).
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    for path in [
        "/api/auth/login".to_string(),
        "/api/impersonations".to_string(),
        format!("/api/impersonations/{id}/notes"),
    ] {
        let r = t
            .send(raw(
                Method::POST,
                &path,
                Some(&admin),
                Some("application/json"),
                deep.clone(),
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(r.code(), "bad_request");
    }
    // Odd ids, limits and filters.
    for (tok, path) in [
        (&admin, "/api/impersonations/%00"),
        (&admin, "/api/impersonations/1%27%20OR%201=1"),
        (&admin, "/api/impersonations/..%2F..%2Fetc%2Fpasswd"),
        (&admin, "/api/audit/events?session_id=abc"),
        (
            &admin,
            "/api/audit/events?session_id=99999999999999999999999",
        ),
        (&admin, "/api/users?limit=99999999999999999999"),
        (&admin, "/api/users?q=%00%E2%80%AE"),
        (&imp, "/api/view/runs?limit=99999999999999999999"),
        (&imp, "/api/view/runs?assignment_id=0"),
        (&imp, "/api/view/runs?before=9999-99-99"),
        (&imp, "/api/view/runs/%00"),
        (&imp, "/api/view/assignments/1e9"),
        (&imp, "/api/view/assignments/9223372036854775807"),
    ] {
        let r = t.get(path, tok).await;
        assert!(
            r.status.is_client_error() || r.status.is_success(),
            "{path}: {}",
            r.status
        );
        assert!(
            r.body["error"]["code"].is_string() || r.status.is_success(),
            "{path}: {}",
            r.text
        );
    }
    // HEAD and OPTIONS are not GET: refused like any write.
    for m in [Method::HEAD, Method::OPTIONS] {
        let r = t
            .call(m.clone(), "/api/view/assignments", Some(&imp), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m}");
    }
    let r = t.get("/api/audit/verify", &admin).await;
    assert_eq!(r.body["ok"], true);
}
