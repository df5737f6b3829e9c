//! A fresh server per test: temp database with the Small seed, a manual
//! clock, and helpers that speak the contract through `app(state).oneshot`.
#![allow(dead_code)]

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use viewas_server::clock::ManualClock;
use viewas_server::seed::SeedSize;
use viewas_server::store::Store;
use viewas_server::{app, AppState, Settings};

/// 2026-11-18T00:00:00Z-ish: any fixed instant will do.
pub const T0: i64 = 1_795_000_000;
pub const PASSWORD: &str = "duvo-demo";
pub const ADMIN: &str = "admin@duvo.example";
pub const SUPPORT: &str = "support@duvo.example";
pub const PARTNER: &str = "partner@northwind.example";
pub const ALICE: &str = "alice@acme.example";
pub const BOB: &str = "bob@globex.example";
pub const CAROL: &str = "carol@initech.example";
pub const REASON: &str = "Customer reported missing runs in ticket";

pub struct TestApp {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub router: Router,
    pub dir: tempfile::TempDir,
}

/// A request with an optional bearer token and JSON body.
pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap()
}

/// Sends `req` through `router` (owned, so it can run on its own task).
pub async fn send_to(router: Router, req: Request<Body>) -> Resp {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(Settings::default()).await
    }

    pub async fn with(mut settings: Settings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("test.db")).unwrap();
        viewas_server::seed_if_empty(&store, SeedSize::Small, T0)
            .await
            .unwrap();
        if settings.dist == std::path::Path::new("dist") {
            settings.dist = dir.path().join("no-dist");
        }
        let clock = Arc::new(ManualClock::new(T0));
        let state = AppState::new(store, clock.clone(), settings);
        let router = app(state.clone());
        TestApp {
            state,
            clock,
            router,
            dir,
        }
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("test.db")).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn user_id(&self, email: &str) -> i64 {
        self.db()
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .unwrap()
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        send_to(self.router.clone(), req).await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.send(request(method, path, token, body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// `POST /api/auth/login` with these credentials, whatever the answer.
    pub async fn try_login(&self, email: &str, password: &str) -> Resp {
        self.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(serde_json::json!({"email": email, "password": password})),
        )
        .await
    }

    pub async fn login(&self, email: &str) -> String {
        let r = self.try_login(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "login {email}: {}", r.text);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Starts a session as `token` on `email`; returns (session id, impersonation token).
    pub async fn start(&self, token: &str, email: &str) -> (i64, String) {
        let r = self.try_start(token, email).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "start on {email}: {}",
            r.text
        );
        (
            r.body["session"]["id"].as_i64().unwrap(),
            r.body["token"].as_str().unwrap().to_string(),
        )
    }

    pub async fn try_start(&self, token: &str, email: &str) -> Resp {
        let id = self.user_id(email);
        self.post(
            "/api/impersonations",
            token,
            serde_json::json!({"user_id": id, "reason_category": "support_request", "reason": REASON}),
        )
        .await
    }

    /// Audit events of a session, by kind.
    pub fn events(&self, session_id: i64, kind: &str) -> i64 {
        self.db()
            .query_row(
                "SELECT COUNT(*) FROM audit_events WHERE session_id = ?1 AND kind = ?2",
                rusqlite::params![session_id, kind],
                |r| r.get(0),
            )
            .unwrap()
    }
}

impl TestApp {
    /// A fresh app on a copy of `template` (a database file made with
    /// `VACUUM INTO`), its clock at `now`: independent cells of a table-driven
    /// test without re-seeding for each.
    pub async fn from_template(
        template: &std::path::Path,
        now: i64,
        settings: Settings,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(template, dir.path().join("test.db")).unwrap();
        let store = Store::open(&dir.path().join("test.db")).unwrap();
        let mut settings = settings;
        if settings.dist == std::path::Path::new("dist") {
            settings.dist = dir.path().join("no-dist");
        }
        let clock = Arc::new(ManualClock::new(now));
        let state = AppState::new(store, clock.clone(), settings);
        let router = app(state.clone());
        TestApp {
            state,
            clock,
            router,
            dir,
        }
    }

    /// A standalone, consistent copy of this app's database.
    pub fn snapshot_to(&self, path: &std::path::Path) {
        self.db()
            .execute("VACUUM INTO ?1", [path.to_str().unwrap()])
            .unwrap();
    }
}

/// `SELECT *` of `table` in a fixed order: rowid order, or for a WITHOUT
/// ROWID table (none in the schema today) its primary-key order.
pub fn select_all(db: &rusqlite::Connection, table: &str) -> String {
    let without_rowid: bool = db
        .query_row(
            "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    let order = if without_rowid { "" } else { " ORDER BY rowid" };
    format!("SELECT * FROM \"{table}\"{order}")
}

/// sha256 of every row of every table but `except`, per table, in rowid
/// order: "byte for byte unchanged" is equal maps.
pub fn table_checksums(
    db: &rusqlite::Connection,
    except: &[&str],
) -> std::collections::BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    let mut st = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .filter(|t: &String| !except.contains(&t.as_str()))
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let mut st = db.prepare(&select_all(db, &table)).unwrap();
            let n = st.column_count();
            let mut h = Sha256::new();
            let mut rows = st.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                for i in 0..n {
                    // Type tag + raw bytes: exact, and cheap enough to run
                    // around every request of the hostile corpus.
                    match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Null => h.update([0u8]),
                        rusqlite::types::ValueRef::Integer(v) => {
                            h.update([1u8]);
                            h.update(v.to_le_bytes());
                        }
                        rusqlite::types::ValueRef::Real(v) => {
                            h.update([2u8]);
                            h.update(v.to_bits().to_le_bytes());
                        }
                        rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                            h.update([3u8]);
                            h.update((b.len() as u64).to_le_bytes());
                            h.update(b);
                        }
                    }
                }
                h.update(b"\x1e");
            }
            (table, hex::encode(h.finalize()))
        })
        .collect()
}

/// Every connection secret and password hash in the database.
pub fn secrets(db: &rusqlite::Connection) -> Vec<String> {
    let mut out: Vec<String> = db
        .prepare("SELECT secret FROM connections UNION ALL SELECT password_hash FROM users WHERE password_hash IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    out.sort();
    out.dedup();
    out
}

// Races against the single writer, set up deterministically: a job holds the
// writer while requests queue behind it (`Store::pending_writes` tells when
// each has reached the queue), then the writer goes.

/// One request on its own task: (status, body).
pub fn spawn_call(
    router: &Router,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> JoinHandle<(StatusCode, Value)> {
    let req = request(method, path, Some(token), body);
    let router = router.clone();
    tokio::spawn(async move {
        let r = send_to(router, req).await;
        (r.status, r.body)
    })
}

/// Occupies the writer until the returned sender is dropped or used.
pub async fn hold_writer(store: &Store) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let store = store.clone();
    let job = tokio::spawn(async move {
        store
            .write(move |_| {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
                Ok(())
            })
            .await
            .unwrap();
    });
    started_rx.await.unwrap();
    (release_tx, job)
}

/// Waits until `n` writes are queued or running (the requests reached the
/// writer), failing after 10 s.
pub async fn until_pending(store: &Store, n: u64) {
    let start = Instant::now();
    while store.pending_writes() < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "only {} of {n} writes reached the writer",
            store.pending_writes()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// One request for [`behind`]: method, path, bearer token, JSON body.
pub type Call<'a> = (Method, String, &'a str, Option<Value>);

/// Sends `first`, waits until its write is queued on a held writer, then
/// sends `second` (which passes its checks: nothing is committed yet) and
/// waits until its write queues behind; then the writer goes. Returns both
/// answers: `second` was written after `first` committed.
pub async fn behind(
    t: &TestApp,
    first: Call<'_>,
    second: Call<'_>,
) -> ((StatusCode, Value), (StatusCode, Value)) {
    let store = &t.state.store;
    let (release, held) = hold_writer(store).await;
    let a = spawn_call(&t.router, first.0, &first.1, first.2, first.3);
    until_pending(store, 2).await;
    let b = spawn_call(&t.router, second.0, &second.1, second.2, second.3);
    until_pending(store, 3).await;
    release.send(()).unwrap();
    held.await.unwrap();
    (a.await.unwrap(), b.await.unwrap())
}
