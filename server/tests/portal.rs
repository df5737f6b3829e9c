//! Issue 5: the demo partner portal on a second origin, and what the console
//! tells (and lets) its frames do: `GET /api/config` and `frame-ancestors`.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use axum::http::{header, Method, StatusCode};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use viewas_server::http::portal::{launch_portal, Portal};
use viewas_server::Settings;

/// A GET over a real socket; returns (status, lower-cased head, body).
async fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        head.to_ascii_lowercase(),
        body.to_string(),
    )
}

fn header_line<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

fn portal_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../portal")
}

#[tokio::test]
async fn api_config_lists_the_partner_origins_and_csp_frames_only_them() {
    let settings = Settings {
        partner_origins: vec!["http://127.0.0.1:8090".into()],
        ..Settings::default()
    };
    let t = TestApp::with(settings).await;
    let r = t.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "public, no token: {}", r.text);
    assert_eq!(
        r.body,
        serde_json::json!({"partner_origins": ["http://127.0.0.1:8090"]})
    );
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    let ancestors = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .unwrap();
    let listed: Vec<&str> = ancestors.split_whitespace().collect();
    assert_eq!(listed, ["'self'", "http://127.0.0.1:8090"]);
    // Another port, or `localhost` for the same port, is another origin.
    assert!(!listed.contains(&"http://127.0.0.1:8091"));
    assert!(!listed.contains(&"http://localhost:8090"));

    // With nothing configured, only the console may frame itself.
    let t = TestApp::new().await;
    let r = t.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(r.body, serde_json::json!({"partner_origins": []}));
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_serves_its_page_and_config_on_its_own_origin() {
    let console = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let console_addr = console.local_addr().unwrap();
    let portal = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let portal_addr = portal.local_addr().unwrap();
    let portal_origin = viewas_server::config::origin_of(portal_addr);
    let settings = viewas_server::with_partner_origin(Settings::default(), &portal_origin);
    let t = TestApp::with(settings).await;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let api = tokio::spawn(viewas_server::launch(
        console,
        t.state.clone(),
        wait(stopped.clone()),
    ));
    let web = tokio::spawn(launch_portal(
        portal,
        Portal {
            dir: portal_dir(),
            console_origin: format!("http://{console_addr}"),
        },
        wait(stopped),
    ));

    let (status, head, body) = get(portal_addr, "/config.json").await;
    assert_eq!(status, 200);
    let cfg: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(cfg["console_url"], format!("http://{console_addr}/"));
    assert!(head.contains("content-type: application/json"));

    let (status, head, body) = get(portal_addr, "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("<iframe id=\"viewas\""), "{body}");
    let csp = header_line(&head, "content-security-policy");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        csp.contains(&format!("frame-src http://{console_addr};")),
        "{csp}"
    );
    assert!(head.contains("x-content-type-options: nosniff"));
    let (status, head, _) = get(portal_addr, "/portal.js").await;
    assert_eq!(status, 200);
    assert!(head.contains("javascript"), "{head}");
    let (status, _, _) = get(portal_addr, "/../Cargo.toml").await;
    assert_eq!(status, 404, "no way out of the portal folder");
    let (status, _, _) = get(portal_addr, "/api/config").await;
    assert_eq!(status, 404, "the portal is not the console");

    // The console frames the portal's origin, and tells the SPA about it.
    let (status, head, body) = get(console_addr, "/api/config").await;
    assert_eq!(status, 200);
    let cfg: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(cfg["partner_origins"], serde_json::json!([portal_origin]));
    let csp = header_line(&head, "content-security-policy");
    assert!(
        csp.ends_with(&format!("frame-ancestors 'self' {portal_origin}")),
        "{csp}"
    );

    stop.send(true).unwrap();
    api.await.unwrap().unwrap();
    web.await.unwrap().unwrap();
}

/// The binary itself: both listening lines, the console's first, with the
/// real ports; and the printed portal origin is the one the console frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_both_listening_lines_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_viewas-server"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--portal-addr",
            "127.0.0.1:0",
            "--no-demo",
        ])
        .arg("--db")
        .arg(dir.path().join("p.db"))
        .arg("--dist")
        .arg(dir.path().join("no-dist"))
        .arg("--portal-dir")
        .arg(portal_dir())
        .env_remove("VIEWAS_PARTNER_ORIGINS")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let result = async move {
        let console: SocketAddr = first
            .strip_prefix("viewas-server listening on http://")
            .unwrap_or_else(|| panic!("first line: {first}"))
            .parse()
            .unwrap();
        let portal: SocketAddr = second
            .strip_prefix("viewas-portal listening on http://")
            .unwrap_or_else(|| panic!("second line: {second}"))
            .parse()
            .unwrap();
        assert_ne!(console.port(), 0);
        assert_ne!(portal.port(), console.port());
        let (_, _, body) = get(console, "/api/config").await;
        let cfg: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            cfg["partner_origins"],
            serde_json::json!([format!("http://{portal}")])
        );
        let (_, _, body) = get(portal, "/config.json").await;
        let cfg: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(cfg["console_url"], format!("http://{console}/"));
    };
    // Kill the child whatever the assertions say.
    let outcome = tokio::spawn(result).await;
    let _ = child.kill();
    let _ = child.wait();
    outcome.unwrap();
}
