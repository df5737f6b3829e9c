//! `viewas-load`: helpers for the benchmarks and the soak test, speaking
//! only the public HTTP API (so sessions are started, audited and ended by
//! the server's normal code path).
//!
//! * `tokens --url U --count N` signs in as support01..N@duvo.example and
//!   starts one session each on Alice; prints the N impersonation tokens,
//!   one a line (for wrk's Lua script in the benchmarks).
//! * `soak --url U --log F --seconds S` drives impersonated view reads from
//!   several workers, surviving server restarts; appends every 2xx answer it
//!   gets to F (`<unix ms> <session id> <status> <path>`; each path carries
//!   a unique `soak=` query so it names exactly one request).
//! * `check --url U --db D --log F` afterwards: the chain verifies, every
//!   logged 2xx has its audit row, no session is active past its end and no
//!   view was answered 2xx after its session's end.
//!
//! A blocking client (reqwest) on plain threads: this is a test tool, not
//! the server.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use viewas_api::{
    LoginRequest, LoginResponse, Page, ReasonCategory, StartImpersonation, StartedImpersonation,
    UserSearchItem, VerifyResult,
};
use viewas_server::http::error::ErrorResponse;

#[derive(Parser)]
#[command(
    name = "viewas-load",
    about = "Load and soak helpers for viewas-server"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start N sessions (support01..N on the target) and print their tokens.
    Tokens {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 50)]
        count: usize,
        #[arg(long, default_value = "alice@acme.example")]
        target: String,
    },
    /// Impersonated view reads for S seconds, logging every 2xx answer.
    Soak {
        #[arg(long)]
        url: String,
        #[arg(long)]
        log: std::path::PathBuf,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
        /// Stop early when this file appears (the soak script's signal).
        #[arg(long)]
        stop_file: Option<std::path::PathBuf>,
    },
    /// Check the database against the soak log.
    Check {
        #[arg(long)]
        url: String,
        #[arg(long)]
        db: std::path::PathBuf,
        #[arg(long)]
        log: std::path::PathBuf,
    },
}

const PASSWORD: &str = "duvo-demo";
const REASON: &str = "Load test of the impersonation console (bench/soak)";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = match cli.cmd {
        Cmd::Tokens { url, count, target } => tokens(&url, count, &target),
        Cmd::Soak {
            url,
            log,
            seconds,
            workers,
            stop_file,
        } => soak(&url, &log, seconds, workers, stop_file),
        Cmd::Check { url, db, log } => check(&url, &db, &log),
    };
    match out {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("viewas-load: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------ the client

/// The server's API over one pooled HTTP client (shared by the workers).
#[derive(Clone)]
struct Api {
    client: Client,
    base: String,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as `T`, or an error naming `what` with the answer.
    fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let text = String::from_utf8_lossy(&self.body);
            format!("{what}: {} {text} ({e})", self.status)
        })
    }
}

impl Api {
    fn new(url: &str) -> Result<Api, String> {
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Api {
            client,
            base: url.trim_end_matches('/').to_string(),
        })
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let req = self.client.request(method, format!("{}{path}", self.base));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    fn send(req: RequestBuilder) -> Result<Answer, String> {
        let res = req.send().map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let body = res.bytes().map_err(|e| e.to_string())?.to_vec();
        Ok(Answer { status, body })
    }

    fn get(&self, path: &str, token: &str) -> Result<Answer, String> {
        Api::send(self.request(Method::GET, path, Some(token)))
    }

    fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> Result<Answer, String> {
        Api::send(self.request(Method::POST, path, token).json(body))
    }

    fn login(&self, email: &str) -> Result<String, String> {
        let body = LoginRequest {
            email: email.to_string(),
            password: PASSWORD.to_string(),
        };
        let a = self.post("/api/auth/login", None, &body)?;
        Ok(a.json::<LoginResponse>(&format!("login {email}"))?.token)
    }

    fn user_id(&self, token: &str, email: &str) -> Result<i64, String> {
        let req = self
            .request(Method::GET, "/api/users", Some(token))
            .query(&[("q", email)]);
        let a = Api::send(req)?;
        let page: Page<UserSearchItem> = a.json(&format!("search {email}"))?;
        page.items
            .iter()
            .find(|i| i.user.email == email)
            .map(|i| i.user.id)
            .ok_or_else(|| format!("no user {email}"))
    }

    /// Starts a session as `login_token` on `target`, ending a leftover one
    /// of the same impersonator first. Returns (session id, impersonation
    /// token).
    fn start(&self, login_token: &str, target: i64) -> Result<(i64, String), String> {
        let body = StartImpersonation {
            user_id: target,
            reason_category: ReasonCategory::DiagnoseIssue,
            reason: REASON.to_string(),
            ticket: None,
        };
        for _ in 0..2 {
            let a = self.post("/api/impersonations", Some(login_token), &body)?;
            if a.status == 201 {
                let started: StartedImpersonation = a.json("start")?;
                return Ok((started.session.id, started.token));
            }
            let refused: ErrorResponse = a.json("start")?;
            match (a.status, refused.active_session_id) {
                (409, Some(old)) => {
                    let path = format!("/api/impersonations/{old}/end");
                    Api::send(self.request(Method::POST, &path, Some(login_token)))?;
                }
                _ => {
                    return Err(format!(
                        "start: {} {}",
                        a.status, refused.error.error.message
                    ))
                }
            }
        }
        Err("start: still refused after ending the old session".into())
    }
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

// ------------------------------------------------------------ tokens

fn tokens(url: &str, count: usize, target: &str) -> Result<(), String> {
    let api = Api::new(url)?;
    let admin = api.login("admin@duvo.example")?;
    let target = api.user_id(&admin, target)?;
    let next = Arc::new(AtomicU64::new(1));
    let found = Arc::new(Mutex::new(Vec::new()));
    // A few at once: sign-in hashes the password (argon2), which is the slow part.
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (api, next, found) = (api.clone(), next.clone(), found.clone());
            std::thread::spawn(move || -> Result<(), String> {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if n > count {
                        return Ok(());
                    }
                    let email = format!("support{n:02}@duvo.example");
                    let t = api.login(&email)?;
                    let (_, imp) = api.start(&t, target)?;
                    if let Ok(mut v) = found.lock() {
                        v.push((n, imp));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| "a worker panicked".to_string())??;
    }
    let mut v = found.lock().map_err(|_| "poisoned")?.clone();
    v.sort();
    let mut out = std::io::stdout().lock();
    for (_, t) in v {
        writeln!(out, "{t}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

// ------------------------------------------------------------ soak

#[derive(Default)]
struct Counts {
    tried: AtomicU64,
    ok: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    sessions: AtomicU64,
}

fn soak(
    url: &str,
    log: &std::path::Path,
    seconds: u64,
    workers: usize,
    stop_file: Option<std::path::PathBuf>,
) -> Result<(), String> {
    let api = Api::new(url)?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let counts = Arc::new(Counts::default());
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let target = loop {
        // The server may be restarting when we begin.
        match api
            .login("admin@duvo.example")
            .and_then(|t| api.user_id(&t, "alice@acme.example"))
        {
            Ok(id) => break id,
            Err(e) if Instant::now() < deadline => {
                eprintln!("viewas-load: waiting for the server: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(e),
        }
    };
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let (api, file, counts, stop) =
                (api.clone(), file.clone(), counts.clone(), stop.clone());
            let stop_file = stop_file.clone();
            std::thread::spawn(move || {
                let email = format!("support{:02}@duvo.example", w + 1);
                let paths = [
                    "/api/view/runs?limit=20",
                    "/api/view/assignments",
                    "/api/view/workspace",
                    "/api/view/runs?status=failed",
                ];
                let mut session: Option<(i64, String)> = None;
                let mut seq = 0u64;
                while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                    if stop_file.as_ref().is_some_and(|f| f.exists()) {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    let Some((sid, tok)) = session.clone() else {
                        match api.login(&email).and_then(|t| api.start(&t, target)) {
                            Ok(s) => {
                                counts.sessions.fetch_add(1, Ordering::Relaxed);
                                session = Some(s);
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(100)),
                        }
                        continue;
                    };
                    seq += 1;
                    let base = paths[(seq as usize) % paths.len()];
                    let sep = if base.contains('?') { '&' } else { '?' };
                    let path = format!("{base}{sep}soak={w}-{seq}-{}", unix_ms());
                    counts.tried.fetch_add(1, Ordering::Relaxed);
                    match api.get(&path, &tok) {
                        Ok(a) if a.ok() => {
                            counts.ok.fetch_add(1, Ordering::Relaxed);
                            let line = format!("{} {sid} {} {path}\n", unix_ms(), a.status);
                            if let Ok(mut f) = file.lock() {
                                // Written before the next request: the log
                                // holds every 2xx even if we are killed.
                                let _ = f.write_all(line.as_bytes());
                            }
                        }
                        Ok(a) => {
                            counts.refused.fetch_add(1, Ordering::Relaxed);
                            if a.status == 401 {
                                // Ended (expiry, idle): start another.
                                session = None;
                            }
                        }
                        Err(_) => {
                            // Killed or restarting: try again shortly.
                            counts.failed.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "a worker panicked".to_string())?;
    }
    println!(
        "soak-load: tried {} requests: {} answered 2xx (logged), {} refused, {} without answer; {} sessions started",
        counts.tried.load(Ordering::Relaxed),
        counts.ok.load(Ordering::Relaxed),
        counts.refused.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        counts.sessions.load(Ordering::Relaxed),
    );
    Ok(())
}

// ------------------------------------------------------------ check

/// The part of a view row's detail that names a target the row shortened.
#[derive(Deserialize)]
struct TargetDetail {
    uri_sha256: Option<String>,
}

fn check(url: &str, db: &std::path::Path, log: &std::path::Path) -> Result<(), String> {
    let api = Api::new(url)?;
    let mut failures = Vec::new();

    let admin = api.login("admin@duvo.example")?;
    let verified: VerifyResult = api.get("/api/audit/verify", &admin)?.json("verify")?;
    let events = verified.events;
    if !verified.ok {
        failures.push(format!(
            "audit chain does not verify: first bad row {:?}",
            verified.first_bad
        ));
    }

    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("{}: {e}", db.display()))?;
    let q = |e: rusqlite::Error| e.to_string();

    // Every 2xx answer the load generator got has its audit row. The view
    // rows are read once into a map (a query per line took minutes). A row
    // keeps only the query parameters its route reads, and then names the
    // whole target by its sha256 (the `soak=` marker is not one the routes
    // read): such rows are keyed by that hash.
    let mut audited: HashMap<(i64, String, i64), u64> = HashMap::new();
    {
        let mut st = conn
            .prepare(
                "SELECT session_id, path, status, detail FROM audit_events WHERE kind = 'view'",
            )
            .map_err(q)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(q)?;
        for row in rows {
            let (sid, path, status, detail) = row.map_err(q)?;
            let whole = detail
                .and_then(|d| serde_json::from_str::<TargetDetail>(&d).ok())
                .and_then(|d| d.uri_sha256);
            *audited
                .entry((sid, whole.unwrap_or(path), status))
                .or_default() += 1;
        }
    }
    let file = std::fs::File::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut rows_checked = 0u64;
    let mut missing = 0u64;
    let mut by_session: HashMap<i64, u64> = HashMap::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let mut parts = line.splitn(4, ' ');
        let (Some(_t), Some(sid), Some(status), Some(path)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            // The soak never kills the load generator, so a short line is
            // a defect of its own.
            failures.push(format!("unreadable log line: {line:?}"));
            continue;
        };
        let sid: i64 = sid.parse().map_err(|_| format!("bad line {line:?}"))?;
        let status: i64 = status.parse().map_err(|_| format!("bad line {line:?}"))?;
        let n = audited
            .get(&(sid, path.to_string(), status))
            .or_else(|| audited.get(&(sid, hex::encode(Sha256::digest(path.as_bytes())), status)))
            .copied()
            .unwrap_or(0);
        rows_checked += 1;
        *by_session.entry(sid).or_default() += 1;
        if n != 1 {
            missing += 1;
            if missing <= 5 {
                failures.push(format!(
                    "answered 2xx but {n} audit rows: session {sid} {path}"
                ));
            }
        }
    }
    if missing > 5 {
        failures.push(format!(
            "... {missing} answered requests in all without their audit row"
        ));
    }

    // No session active past its end (the server has been up long enough
    // for its sweeper to run; the script waits for that).
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let overdue: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM impersonation_sessions WHERE ended_at IS NULL \
             AND (expires_at <= ?1 - 5 OR last_activity_at + idle_timeout_secs <= ?1 - 5)",
            [now],
            |r| r.get(0),
        )
        .map_err(q)?;
    if overdue > 0 {
        failures.push(format!("{overdue} sessions still active past their end"));
    }
    let ended_late: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM impersonation_sessions WHERE ended_at > expires_at",
            [],
            |r| r.get(0),
        )
        .map_err(q)?;
    if ended_late > 0 {
        failures.push(format!("{ended_late} sessions ended after their maximum"));
    }
    // And none answered a view at or after its end: by time, and by order in
    // the chain (timestamps are whole seconds; the row after the
    // `session_ended` row is later whatever its second). Each session's end
    // row is found once: a subquery per view row scanned that session's
    // events again for each of them, minutes for 130k views.
    let late_views: i64 = conn
        .query_row(
            "WITH ends AS (SELECT session_id, MIN(id) AS end_id FROM audit_events \
                           WHERE kind = 'session_ended' GROUP BY session_id) \
             SELECT COUNT(*) FROM audit_events e JOIN impersonation_sessions s ON s.id = e.session_id \
             LEFT JOIN ends ON ends.session_id = e.session_id \
             WHERE e.kind = 'view' AND e.status BETWEEN 200 AND 299 \
             AND (e.at >= s.expires_at OR (s.ended_at IS NOT NULL AND e.at > s.ended_at) \
                  OR e.id > ends.end_id)",
            [],
            |r| r.get(0),
        )
        .map_err(q)?;
    if late_views > 0 {
        failures.push(format!(
            "{late_views} views answered 2xx at or after their session's end"
        ));
    }
    let sessions: i64 = conn
        .query_row("SELECT COUNT(*) FROM impersonation_sessions", [], |r| {
            r.get(0)
        })
        .map_err(q)?;

    println!(
        "soak-check: chain of {events} audit events verifies: {}; {rows_checked} logged 2xx answers \
         checked against their audit rows ({} sessions), {missing} missing; {sessions} sessions, \
         {overdue} active past their end, {late_views} views after an end",
        verified.ok,
        by_session.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        for f in &failures {
            eprintln!("soak-check: FAIL {f}");
        }
        Err(format!("{} check(s) failed", failures.len()))
    }
}
