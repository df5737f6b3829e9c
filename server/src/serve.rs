//! Serving a router on a listener, with the limits a public server needs:
//! a slow or silent client cannot hold a connection (header, body and
//! keep-alive timeouts), cannot hold many (a cap in all and per client
//! address, refused by closing at once), and shutdown waits a bounded time.
//! hyper's HTTP/1 connection does the parsing and the header timeout; this
//! module owns the accept loop, the caps and the per-request body deadline.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tower::ServiceExt;
use viewas_api::{ApiError, ErrorCode};

/// How long the accept loop rests after an error that is not about one
/// connection (out of descriptors, out of memory) before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The connection limits (flags in [`crate::config::Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A request's head must arrive within this; hyper also times the wait
    /// for the next request on a kept-alive connection with it.
    pub header_timeout: Duration,
    /// A request's body must arrive in full within this after its head.
    pub body_timeout: Duration,
    /// A kept-alive connection with no request in flight closes after this.
    pub keepalive_timeout: Duration,
    /// Open connections in all; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Open connections from one client address (an IPv6 /64 counts as one).
    pub max_connections_per_addr: usize,
    /// On shutdown, requests in flight get this long to finish.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(5),
            max_connections: 1024,
            max_connections_per_addr: 64,
            drain: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish for at most `limits.drain` and closes the rest.
/// Handlers can extract `ConnectInfo<SocketAddr>` (the socket peer).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut shutdown = pin!(shutdown);
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let per_addr = PerAddr::new(limits.max_connections_per_addr);
    let limits = Arc::new(limits);
    let mut conns = JoinSet::new();
    // Each kind of trouble is logged once per streak, not once per connection.
    let (mut accept_failing, mut at_cap) = (false, false);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            Some(done) = conns.join_next(), if !conns.is_empty() => {
                if let Err(e) = done {
                    tracing::error!("connection task: {e}");
                }
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    accept_failing = false;
                    a
                }
                Err(e) if is_about_one_connection(&e) => continue,
                Err(e) => {
                    if !accept_failing {
                        tracing::error!("accept error: {e}; retrying every {ACCEPT_BACKOFF:?}");
                        accept_failing = true;
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !at_cap {
                tracing::warn!(
                    max = limits.max_connections,
                    "connection cap reached: closing new connections until some end"
                );
                at_cap = true;
            }
            drop(stream);
            continue;
        };
        at_cap = false;
        let Some(addr_slot) = per_addr.take(peer.ip()) else {
            tracing::debug!(%peer, "per-address connection cap reached: closed");
            drop(stream);
            continue;
        };
        conns.spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            limits.clone(),
            stop_rx.clone(),
            (slot, addr_slot),
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.drain, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = conns.len(),
            "closing connections still busy after {:?}",
            limits.drain
        );
    }
    conns.shutdown().await;
    Ok(())
}

/// Errors that concern the connection being accepted, not the listener:
/// the next accept may succeed at once.
fn is_about_one_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset | Interrupted
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Arc<Limits>,
    mut stop: watch::Receiver<bool>,
    _held: (OwnedSemaphorePermit, AddrSlot),
) {
    let (busy_tx, mut busy_rx) = watch::channel(0usize);
    let busy = Arc::new(busy_tx);
    let body_timeout = limits.body_timeout;
    let service = TowerToHyperService::new(tower::service_fn(move |req: Request<Incoming>| {
        let router = router.clone();
        let busy = busy.clone();
        async move {
            busy.send_modify(|n| *n += 1);
            let res = answer(router, req, peer, body_timeout).await;
            busy.send_modify(|n| *n -= 1);
            Ok::<_, std::convert::Infallible>(res)
        }
    }));
    let _ = stream.set_nodelay(true);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut closing = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%peer, "connection closed: {e}");
                }
                return;
            }
            _ = stop.wait_for(|stop| *stop), if !closing => {}
            () = idle_for(&mut busy_rx, limits.keepalive_timeout), if !closing => {}
        }
        // Shutdown or keep-alive timeout: finish the response under way, if
        // any, then close.
        conn.as_mut().graceful_shutdown();
        closing = true;
    }
}

/// Resolves once no request has been in flight for `quiet`.
async fn idle_for(busy: &mut watch::Receiver<usize>, quiet: Duration) {
    loop {
        if busy.wait_for(|n| *n == 0).await.is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(quiet) => return,
            _ = busy.changed() => {}
        }
    }
}

/// Runs one request through the router, with the peer as `ConnectInfo` and
/// the body behind a deadline; a body that missed it is answered 408 and
/// the connection closes.
async fn answer(
    router: Router,
    req: Request<Incoming>,
    peer: SocketAddr,
    body_timeout: Duration,
) -> Response {
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let missed = Arc::new(AtomicBool::new(false));
    let body = DeadlineBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep(body_timeout)),
        missed: missed.clone(),
    };
    let Ok(res) = router
        .oneshot(Request::from_parts(parts, axum::body::Body::new(body)))
        .await;
    if !missed.load(Ordering::Relaxed) {
        return res;
    }
    tracing::debug!(%peer, "request body did not arrive within {body_timeout:?}");
    let message = format!(
        "The request body did not arrive within {} s; send the request again.",
        body_timeout.as_secs_f64()
    );
    let mut res = (
        StatusCode::REQUEST_TIMEOUT,
        axum::Json(ApiError::new(ErrorCode::BadRequest, message)),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// A request body that fails once its deadline passes. Hand-written because
/// tower-http's `TimeoutBody` restarts its clock with every frame, so a body
/// sent a byte at a time would never end.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    missed: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

impl Body for DeadlineBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.missed.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Open connections per client address. Hand-written: tower's concurrency
/// limits count requests in flight, not open connections, and not per peer.
#[derive(Clone)]
struct PerAddr {
    cap: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's place in [`PerAddr`], given back when dropped.
struct AddrSlot {
    key: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddr {
    fn new(cap: usize) -> Self {
        PerAddr {
            cap,
            open: Arc::default(),
        }
    }

    fn take(&self, ip: IpAddr) -> Option<AddrSlot> {
        let key = addr_key(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(AddrSlot {
            key,
            open: self.open.clone(),
        })
    }
}

impl Drop for AddrSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The key a client address is counted under: IPv4 as is (also when mapped
/// into IPv6), IPv6 by its /64, the block one subscriber usually holds.
fn addr_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// Raises the soft limit on open files to the hard limit, and lowers
/// `max_connections` so that connections (two descriptors at most: the
/// socket, and a file being served) leave `reserve` descriptors for the
/// database and the listeners. Returns the limits to serve with.
pub fn fit_to_descriptors(mut limits: Limits, reserve: u64) -> Limits {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let mut lim = getrlimit(Resource::Nofile);
        if lim.current != lim.maximum {
            let raised = rustix::process::Rlimit {
                current: lim.maximum,
                maximum: lim.maximum,
            };
            if setrlimit(Resource::Nofile, raised).is_ok() {
                lim = raised;
            }
        }
        if let Some(soft) = lim.current {
            let fit = usize::try_from(soft.saturating_sub(reserve) / 2).unwrap_or(usize::MAX);
            if limits.max_connections > fit {
                tracing::warn!(
                    "the open-file limit is {soft}: serving at most {fit} connections instead of {} \
                     (raise `ulimit -n` to allow more)",
                    limits.max_connections
                );
                limits.max_connections = fit.max(1);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = reserve;
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_by_client() {
        let per = PerAddr::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let s1 = per.take(a).unwrap();
        let _s2 = per.take(a).unwrap();
        assert!(per.take(a).is_none());
        assert!(per.take("10.0.0.2".parse().unwrap()).is_some());
        drop(s1);
        assert!(per.take(a).is_some(), "a closed connection frees its place");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(addr_key(mapped), a);
        assert_eq!(
            addr_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            addr_key("2001:db8:1:2:bbbb::9".parse().unwrap())
        );
        assert_ne!(
            addr_key("2001:db8:1:2::1".parse().unwrap()),
            addr_key("2001:db8:1:3::1".parse().unwrap())
        );
    }
}
