//! One HTTP request out and its answer back, behind a trait so tests can
//! count or fail requests. [`FetchTransport`] is the browser's `fetch`
//! through gloo-net.

use std::{cell::Cell, future::Future, pin::Pin, rc::Rc};

pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute path with query, e.g. `/api/view/runs?limit=50`.
    pub path: String,
    pub bearer: Option<String>,
    /// JSON body.
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No answer: offline, refused, DNS, CORS.
    Unreachable(String),
    /// No answer within the time limit.
    Timeout,
}

/// Sends one HTTP request. The default is [`FetchTransport`]; tests provide
/// their own.
pub trait Transport: Send + Sync {
    fn send(&self, req: HttpRequest) -> LocalFuture<Result<HttpResponse, TransportError>>;
}

/// `fetch` through gloo-net, with a time limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchTransport;

const TIMEOUT_MS: u32 = 15_000;

impl Transport for FetchTransport {
    fn send(&self, req: HttpRequest) -> LocalFuture<Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            use gloo_net::http::RequestBuilder;
            let controller = web_sys::AbortController::new().ok();
            let signal = controller.as_ref().map(|c| c.signal());
            let timed_out = Rc::new(Cell::new(false));
            let _timer = controller.clone().map(|c| {
                let timed_out = timed_out.clone();
                gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || {
                    timed_out.set(true);
                    c.abort();
                })
            });
            let method = match req.method {
                Method::Get => gloo_net::http::Method::GET,
                Method::Post => gloo_net::http::Method::POST,
                Method::Put => gloo_net::http::Method::PUT,
                Method::Patch => gloo_net::http::Method::PATCH,
                Method::Delete => gloo_net::http::Method::DELETE,
            };
            let mut builder = RequestBuilder::new(&req.path)
                .method(method)
                .header("Accept", "application/json")
                .abort_signal(signal.as_ref());
            if let Some(token) = &req.bearer {
                builder = builder.header("Authorization", &format!("Bearer {token}"));
            }
            let request = match req.body {
                Some(body) => builder
                    .header("Content-Type", "application/json")
                    .body(body),
                None => builder.build(),
            }
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
            let response = request.send().await.map_err(|e| {
                if timed_out.get() {
                    TransportError::Timeout
                } else {
                    TransportError::Unreachable(e.to_string())
                }
            })?;
            let status = response.status();
            // The body is decoded with serde by the client; a body that
            // cannot be read at all is an empty one, which then fails to decode.
            let body = response.text().await.unwrap_or_default();
            Ok(HttpResponse { status, body })
        })
    }
}
