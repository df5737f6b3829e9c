//! Slow and greedy clients over a real socket: half-sent heads and bodies are
//! closed within the configured timeouts while `/api/health` keeps
//! answering, one address cannot take more than its share of connections,
//! and shutdown does not wait for a body that never comes.
//! Run with `--nocapture` to see the figures.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use viewas_server::serve::Limits;

/// The longest any test waits for something that should happen in time.
const BOUND: Duration = Duration::from_secs(10);

const PARTIAL_HEAD: &[u8] = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-partial: abc";
const BODYLESS_POST: &[u8] = b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n\
    Content-Type: application/json\r\nContent-Length: 12\r\n\r\n";

struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    _t: TestApp,
}

async fn start(limits: Limits) -> Server {
    let t = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(viewas_server::launch_with(
        listener,
        t.state.clone(),
        limits,
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    Server {
        addr,
        stop,
        task,
        _t: t,
    }
}

fn limits(header: Duration, body: Duration, keepalive: Duration) -> Limits {
    Limits {
        header_timeout: header,
        body_timeout: body,
        keepalive_timeout: keepalive,
        max_connections: 4096,
        max_connections_per_addr: 4096,
        drain: Duration::from_millis(500),
    }
}

/// Reads until the server closes (a reset counts as closed); `None` if it
/// has not closed within `bound`.
async fn until_closed(s: &mut TcpStream, bound: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(bound, async {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| got)
}

/// One `GET /api/health` on a fresh connection from `from`: status, latency.
async fn health(addr: SocketAddr, from: &str) -> (u16, Duration) {
    let started = Instant::now();
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let raw = until_closed(&mut s, BOUND).await.expect("health answered");
    (status_of(&raw), started.elapsed())
}

fn status_of(raw: &[u8]) -> u16 {
    std::str::from_utf8(raw.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A request on a kept-alive connection, read up to the end of the answer's
/// head (the health answer is small and `Content-Length`-framed).
async fn keepalive_health(s: &mut TcpStream) -> u16 {
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(BOUND, async {
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before answering");
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("answered in time");
    status_of(&got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_in_time_while_health_answers() {
    const HEADS: usize = 200;
    const POSTS: usize = 100;
    let timeout = Duration::from_secs(1);
    let server = start(limits(timeout, timeout, Duration::from_secs(60))).await;

    let mut attack = Vec::new();
    for i in 0..HEADS + POSTS {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let bytes = if i < HEADS {
            PARTIAL_HEAD
        } else {
            BODYLESS_POST
        };
        s.write_all(bytes).await.unwrap();
        attack.push(s);
    }
    let sent = Instant::now();

    // On fresh connections, from another address, while all are held.
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let (status, took) = health(server.addr, "127.0.0.2").await;
        assert_eq!(status, 200);
        latencies.push(took);
    }
    let probed = sent.elapsed();

    let closing: Vec<_> = attack
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                let got = until_closed(&mut s, BOUND).await;
                (got, sent.elapsed())
            })
        })
        .collect();
    let mut closed_after = Vec::new();
    for (i, task) in closing.into_iter().enumerate() {
        let (got, after) = task.await.unwrap();
        let got = got.unwrap_or_else(|| panic!("connection {i} still open after {BOUND:?}"));
        if i >= HEADS {
            assert_eq!(status_of(&got), 408, "{}", String::from_utf8_lossy(&got));
        }
        closed_after.push(after);
    }
    let last = closed_after.iter().max().copied().unwrap_or_default();
    latencies.sort();
    eprintln!(
        "slow clients: {} connections held ({HEADS} half heads, {POSTS} body-less POSTs), \
         timeouts {timeout:?}; all closed {:.2}-{:.2} s after sending; 20 /api/health probes \
         in the first {:.0} ms: median {:.1} ms, max {:.1} ms",
        HEADS + POSTS,
        closed_after.iter().min().unwrap().as_secs_f64(),
        last.as_secs_f64(),
        probed.as_secs_f64() * 1000.0,
        latencies[latencies.len() / 2].as_secs_f64() * 1000.0,
        latencies[latencies.len() - 1].as_secs_f64() * 1000.0,
    );
    assert!(last < timeout * 4, "closed after {last:?}");
    assert!(latencies[latencies.len() - 1] < timeout, "{latencies:?}");
    let (status, _) = health(server.addr, "127.0.0.1").await;
    assert_eq!(status, 200, "the attacker's address is served again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_more_than_its_connections() {
    const N: usize = 4;
    let long = Duration::from_secs(60);
    let mut l = limits(long, long, long);
    l.max_connections_per_addr = N;
    let server = start(l).await;

    let mut held = Vec::new();
    for _ in 0..N {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        assert_eq!(keepalive_health(&mut s).await, 200);
        held.push(s);
    }
    let mut over = TcpStream::connect(server.addr).await.unwrap();
    let _ = over
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let started = Instant::now();
    let got = until_closed(&mut over, BOUND).await.expect("refused");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    eprintln!(
        "per-address cap {N}: connection {} closed unanswered in {:.1} ms",
        N + 1,
        started.elapsed().as_secs_f64() * 1000.0
    );

    let (status, _) = health(server.addr, "127.0.0.2").await;
    assert_eq!(status, 200, "another address is served");

    // One closes: its place is given back once the server sees it go.
    drop(held.pop());
    let deadline = Instant::now() + BOUND;
    loop {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let _ = s
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let got = until_closed(&mut s, BOUND).await.unwrap_or_default();
        if status_of(&got) == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the freed place was not reused");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_total_cap_are_closed_at_once() {
    const N: usize = 3;
    let long = Duration::from_secs(60);
    let mut l = limits(long, long, long);
    l.max_connections = N;
    let server = start(l).await;
    let mut held = Vec::new();
    for _ in 0..N {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        assert_eq!(keepalive_health(&mut s).await, 200);
        held.push(s);
    }
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut over = sock.connect(server.addr).await.unwrap();
    let _ = over
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let got = until_closed(&mut over, BOUND).await.expect("refused");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    for s in &mut held {
        assert_eq!(keepalive_health(s).await, 200, "the held ones still work");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_kept_alive_connections_are_closed() {
    let long = Duration::from_secs(60);
    let server = start(limits(long, long, Duration::from_millis(300))).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(keepalive_health(&mut s).await, 200);
    let got = until_closed(&mut s, BOUND).await;
    assert!(got.is_some(), "an idle connection is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_body_that_never_comes() {
    let long = Duration::from_secs(600);
    let server = start(limits(long, long, long)).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    // `Expect: 100-continue` makes the server say when the handler starts
    // reading the body: from then on the request is in flight.
    s.write_all(
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 12\r\nExpect: 100-continue\r\n\r\n",
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    tokio::time::timeout(BOUND, async {
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("100 Continue");
    assert_eq!(status_of(&got), 100);

    let started = Instant::now();
    server.stop.send(true).unwrap();
    let served = tokio::time::timeout(BOUND, server.task)
        .await
        .expect("shutdown finished within the bound");
    served.unwrap().unwrap();
    let took = started.elapsed();
    eprintln!(
        "shutdown with a body-less POST in flight: {:.0} ms (drain 500 ms)",
        took.as_secs_f64() * 1000.0
    );
    assert!(until_closed(&mut s, BOUND).await.is_some());
}

/// Set in the child process that runs out of descriptors on purpose.
const EMFILE_CHILD: &str = "VIEWAS_TEST_EMFILE_CHILD";

/// Running out of descriptors concerns the whole process, so the attack runs
/// in a child process (this test binary, filtered to this test) whose
/// open-file limit is lowered to just above what it has open.
#[cfg(target_os = "linux")]
#[test]
fn the_accept_loop_outlives_running_out_of_descriptors() {
    if std::env::var_os(EMFILE_CHILD).is_some() {
        return out_of_descriptors_child();
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "the_accept_loop_outlives_running_out_of_descriptors",
            "--exact",
            "--nocapture",
        ])
        .env(EMFILE_CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let done = stderr.lines().find(|l| l.contains("EMFILE child done"));
    eprintln!("{}", done.expect("the child ran the attack"));
}

#[cfg(target_os = "linux")]
fn out_of_descriptors_child() {
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let logs = sink.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();
    let accept_errors = move || {
        String::from_utf8_lossy(&logs.0.lock().unwrap())
            .matches("accept error")
            .count()
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let long = Duration::from_secs(60);
        let server = start(limits(long, long, long)).await;
        assert_eq!(health(server.addr, "127.0.0.1").await.0, 200);

        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        // Sockets made now connect later without a new descriptor: their
        // connections wait for an accept that has none left.
        let spare: Vec<TcpSocket> = (0..4).map(|_| TcpSocket::new_v4().unwrap()).collect();
        let open: Vec<u64> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        // Descriptors are numbered from the lowest free one up to the limit.
        let limit = open.iter().max().unwrap() + 9;
        let free = limit as usize - open.len();
        let saved = getrlimit(Resource::Nofile);
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(limit),
                maximum: saved.maximum,
            },
        )
        .unwrap();

        // Clients take descriptors until there are none; the server's
        // accepts then fail as long as the table stays full.
        let mut clients = Vec::new();
        loop {
            match TcpStream::connect(server.addr).await {
                Ok(s) => clients.push(s),
                Err(e) if e.raw_os_error() == Some(24) => break,
                Err(e) => panic!("connect: {e}"),
            }
            assert!(clients.len() <= free, "the lowered limit did not apply");
        }
        for sock in spare {
            clients.push(sock.connect(server.addr).await.unwrap());
        }
        let deadline = Instant::now() + BOUND;
        while accept_errors() == 0 {
            assert!(Instant::now() < deadline, "no accept error was seen");
            tokio::task::yield_now().await;
        }
        let held = clients.len();
        drop(clients);
        setrlimit(Resource::Nofile, saved).unwrap();

        let deadline = Instant::now() + BOUND;
        loop {
            let mut s = TcpStream::connect(server.addr).await.unwrap();
            let _ = s
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            if status_of(&until_closed(&mut s, BOUND).await.unwrap_or_default()) == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "not served after the descriptors came back");
        }
        assert_eq!(accept_errors(), 1, "logged once per streak");
        eprintln!(
            "EMFILE child done: {held} clients filled the {free} free descriptors; served again after"
        );
    });
}
