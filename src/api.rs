//! `ApiClient`: the only code of the SPA that talks to the network.
//!
//! Requests leave through a [`Transport`] found in context, so tests can
//! count or fail them. Every request made with the impersonation token passes
//! the request guard first (guarantee 2b of DESIGN.md): a session is active
//! and unexpired, the method is GET and the path is in viewas-api's route
//! table; anything else is refused with [`ApiErr::Refused`] and no request
//! leaves the browser.
//!
//! ```text
//! let api = ApiClient::expect();
//! let items: Vec<AssignmentSummary> = api.view(&path::assignments()).await?;
//! ```

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use leptos::prelude::*;
use viewas_api::{
    match_view, ApiError, EndReason, ErrorCode, Id, LoginRequest, LoginResponse, NewNote, Note,
    Page, PublicConfig, Session, SessionStatus, StartImpersonation, StartedImpersonation,
    UserSearchItem,
};

use crate::{
    json::{self, FromJson, ToJson},
    session::{now_ms, EndCause, SessionContext},
};

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
            let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
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
            .map_err(unreachable)?;
            let response = request.send().await.map_err(|e| {
                if timed_out.get() {
                    TransportError::Timeout
                } else {
                    unreachable(e)
                }
            })?;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            Ok(HttpResponse { status, body })
        })
    }
}

/// A failed fetch as text. Not through `gloo_net::Error`'s `Display`: that
/// formats a serde_json variant too (leptos_router turns on gloo-net's
/// `json`), which alone kept serde_json's error messages in the wasm.
fn unreachable(e: gloo_net::Error) -> TransportError {
    TransportError::Unreachable(match e {
        gloo_net::Error::JsError(js) => js.to_string(),
        gloo_net::Error::GlooError(s) => s,
        _ => String::new(),
    })
}

/// Why the request guard stopped a request before it left the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoSession,
    SessionEnded,
    SessionExpired,
    NotReadOnly(Method),
    NotAViewRoute(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErr {
    /// Stopped by the request guard; nothing was sent.
    Refused(Refusal),
    Unreachable,
    Timeout,
    /// The server answered with an error.
    Server {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// The server answered something this console cannot read.
    BadAnswer(u16),
    /// The client is not signed in.
    SignedOut,
}

impl ApiErr {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiErr::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiErr::Server { status, .. } | ApiErr::BadAnswer(status) => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again might help (a Retry button makes sense).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiErr::Unreachable | ApiErr::Timeout | ApiErr::BadAnswer(_) => true,
            ApiErr::Server { status, code, .. } => {
                *status >= 500 || *code == ErrorCode::TooManyRequests
            }
            ApiErr::Refused(_) | ApiErr::SignedOut => false,
        }
    }
}

impl fmt::Display for ApiErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErr::Refused(Refusal::NoSession) => {
                f.write_str("No impersonation session is active, so nothing was requested.")
            }
            ApiErr::Refused(Refusal::SessionEnded) => {
                f.write_str("This session has ended, so nothing was requested.")
            }
            ApiErr::Refused(Refusal::SessionExpired) => f.write_str(
                "This session has expired, so nothing was requested. Start a new session to keep viewing.",
            ),
            ApiErr::Refused(Refusal::NotReadOnly(m)) => write!(
                f,
                "Viewing is read-only: a {} request was stopped before it left the browser.",
                m.as_str()
            ),
            ApiErr::Refused(Refusal::NotAViewRoute(p)) => write!(
                f,
                "{p} is not a page that can be viewed during a session; the request was stopped."
            ),
            ApiErr::Unreachable => f.write_str(
                "The server could not be reached. Check the connection, then retry.",
            ),
            ApiErr::Timeout => f.write_str("The server took too long to answer. Retry in a moment."),
            ApiErr::Server {
                status, message, ..
            } => {
                if message.trim().is_empty() {
                    write!(f, "The server refused the request (HTTP {status}).")
                } else {
                    f.write_str(message)
                }
            }
            ApiErr::BadAnswer(status) => write!(
                f,
                "The server's answer (HTTP {status}) could not be read. Retry, or reload the page."
            ),
            ApiErr::SignedOut => f.write_str("You are signed out. Sign in again to continue."),
        }
    }
}

impl std::error::Error for ApiErr {}

pub type ApiResult<T> = Result<T, ApiErr>;

/// Which credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    None,
    Admin,
    Session,
}

/// The typed client. Cheap to clone; provided in context by
/// [`ApiClient::provide`].
#[derive(Clone)]
pub struct ApiClient {
    transport: Arc<dyn Transport>,
    ctx: SessionContext,
}

impl ApiClient {
    pub fn new(transport: Arc<dyn Transport>, ctx: SessionContext) -> Self {
        ApiClient { transport, ctx }
    }

    pub fn provide(transport: Arc<dyn Transport>, ctx: SessionContext) -> Self {
        let api = Self::new(transport, ctx);
        provide_context(api.clone());
        api
    }

    pub fn expect() -> Self {
        expect_context::<ApiClient>()
    }

    /// The request guard. `Ok` gives the impersonation token to use.
    pub fn check_view(&self, method: Method, path: &str) -> Result<String, Refusal> {
        let Some(active) = self.ctx.active_untracked() else {
            return Err(if self.ctx.ended_untracked().is_some() {
                Refusal::SessionEnded
            } else {
                Refusal::NoSession
            });
        };
        if active.session.status != SessionStatus::Active || self.ctx.is_closing(active.session.id)
        {
            return Err(Refusal::SessionEnded);
        }
        if active.seconds_left_at(now_ms()) == 0 {
            self.ctx.end_local(active.expiry_cause(), None);
            return Err(Refusal::SessionExpired);
        }
        if method != Method::Get {
            return Err(Refusal::NotReadOnly(method));
        }
        if match_view(path).is_none() {
            return Err(Refusal::NotAViewRoute(
                path.split('?').next().unwrap_or_default().to_string(),
            ));
        }
        Ok(active.token)
    }

    /// A view request, through the guard; the answer parsed but not yet
    /// decoded, so every view shares one request future (issue 6: one copy
    /// of the async machinery in the wasm, not one per answer type).
    pub async fn view_request(&self, method: Method, path: &str) -> ApiResult<Json> {
        let token = self.check_view(method, path).map_err(ApiErr::Refused)?;
        let answer = self
            .send_raw(method, path.to_string(), Cred::Session, Some(token), None)
            .await;
        if answer.is_ok() {
            self.ctx.count_page_view();
        }
        answer
    }

    /// `GET` a view route of the active session, parsed.
    pub async fn view_json(&self, path: &str) -> ApiResult<Json> {
        self.view_request(Method::Get, path).await
    }

    /// `GET` a view route of the active session, decoded as `T`.
    pub async fn view<T: FromJson>(&self, path: &str) -> ApiResult<T> {
        self.view_json(path).await?.decode()
    }

    async fn send<T: FromJson>(
        &self,
        method: Method,
        path: String,
        cred: Cred,
        bearer: Option<String>,
        body: Option<String>,
    ) -> ApiResult<T> {
        self.send_raw(method, path, cred, bearer, body)
            .await?
            .decode()
    }

    async fn send_raw(
        &self,
        method: Method,
        path: String,
        cred: Cred,
        bearer: Option<String>,
        body: Option<String>,
    ) -> ApiResult<Json> {
        let response = self
            .transport
            .send(HttpRequest {
                method,
                path,
                bearer,
                body,
            })
            .await
            .map_err(|e| match e {
                TransportError::Timeout => ApiErr::Timeout,
                TransportError::Unreachable(_) => ApiErr::Unreachable,
            })?;
        let status = response.status;
        if (200..300).contains(&status) {
            let value = if response.body.trim().is_empty() {
                Some(wasm_bindgen::JsValue::NULL)
            } else {
                json::parse(&response.body)
            };
            return value
                .map(|value| Json { status, value })
                .ok_or(ApiErr::BadAnswer(status));
        }
        let err = match json::from_str::<ApiError>(&response.body) {
            Some(e) => ApiErr::Server {
                status,
                code: e.error.code,
                message: e.error.message,
            },
            None => ApiErr::Server {
                status,
                code: ErrorCode::Other,
                message: String::new(),
            },
        };
        if status == 401 {
            match cred {
                Cred::Session if err.code() == Some(ErrorCode::SessionEnded) => {
                    self.ctx.end_local(EndCause::EndedByServer, None);
                }
                Cred::Admin => self.ctx.sign_out_local(),
                _ => {}
            }
        }
        Err(err)
    }

    fn admin_token(&self) -> ApiResult<String> {
        self.ctx
            .auth_untracked()
            .map(|a| a.token)
            .ok_or(ApiErr::SignedOut)
    }

    async fn admin<T: FromJson>(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
    ) -> ApiResult<T> {
        let token = self.admin_token()?;
        self.send(method, path, Cred::Admin, Some(token), body)
            .await
    }

    fn json<B: ToJson>(body: &B) -> Option<String> {
        Some(json::to_string(body))
    }

    // ------------------------------------------------------------ resources

    /// One GET, parsed: a view route through the guard, or an administrator
    /// route. `None` (no id in the address yet) answers JSON `null` without
    /// a request, which decodes as `Option::None`.
    pub async fn get_json(&self, get: Option<Fetch>) -> ApiResult<Json> {
        match get {
            None => Ok(Json {
                status: 200,
                value: wasm_bindgen::JsValue::NULL,
            }),
            Some(Fetch::View(path)) => self.view_json(&path).await,
            Some(Fetch::Admin(path)) => {
                let token = self.admin_token()?;
                self.send_raw(Method::Get, path, Cred::Admin, Some(token), None)
                    .await
            }
        }
    }

    /// A resource that GETs what `get` names and refetches when the signals
    /// it reads change. Every page's data goes through this one resource
    /// type and decodes where it renders (`json.decode::<T>()`): one copy of
    /// Leptos's async machinery in the wasm instead of one per answer type.
    pub fn resource(
        &self,
        get: impl Fn() -> Option<Fetch> + 'static,
    ) -> LocalResource<ApiResult<Json>> {
        self.resource_dyn(Box::new(get))
    }

    fn resource_dyn(&self, get: Box<dyn Fn() -> Option<Fetch>>) -> LocalResource<ApiResult<Json>> {
        let api = self.clone();
        LocalResource::new(move || {
            let api = api.clone();
            let get = get();
            async move { api.get_json(get).await }
        })
    }

    // ------------------------------------------------------------ public

    /// The public configuration (`GET /api/config`), asked without a token.
    pub async fn public_config(&self) -> ApiResult<PublicConfig> {
        self.send(Method::Get, "/api/config".into(), Cred::None, None, None)
            .await
    }

    // ------------------------------------------------------------ auth

    pub async fn login(&self, email: &str, password: &str) -> ApiResult<LoginResponse> {
        let body = Self::json(&LoginRequest {
            email: email.to_string(),
            password: password.to_string(),
        });
        self.send(
            Method::Post,
            "/api/auth/login".into(),
            Cred::None,
            None,
            body,
        )
        .await
    }

    /// Ends the administrator's token on the server; the caller forgets it
    /// locally whatever the answer.
    pub async fn logout(&self) -> ApiResult<()> {
        self.admin::<wasm_bindgen::JsValue>(Method::Post, "/api/auth/logout".into(), None)
            .await
            .map(|_| ())
    }

    /// Ends a token this console will not keep (a user's, who may not use
    /// the console).
    pub async fn logout_token(&self, token: &str) -> ApiResult<()> {
        self.send::<wasm_bindgen::JsValue>(
            Method::Post,
            "/api/auth/logout".into(),
            Cred::None,
            Some(token.to_string()),
            None,
        )
        .await
        .map(|_| ())
    }

    // ------------------------------------------------------------ admin tools

    pub async fn search_users(
        &self,
        q: &str,
        cursor: Option<&str>,
    ) -> ApiResult<Page<UserSearchItem>> {
        let mut path = format!("/api/users?limit=20&q={}", encode(q));
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={}", encode(c)));
        }
        self.admin(Method::Get, path, None).await
    }

    pub async fn start_session(&self, req: &StartImpersonation) -> ApiResult<StartedImpersonation> {
        self.admin(Method::Post, "/api/impersonations".into(), Self::json(req))
            .await
    }

    /// Ends one of the caller's sessions with the administrator's token
    /// (its impersonator may end it with either token), e.g. one left open in
    /// a closed tab that blocks starting a new one.
    pub async fn end_session_as_impersonator(&self, id: Id) -> ApiResult<Session> {
        self.admin(Method::Post, format!("/api/impersonations/{id}/end"), None)
            .await
    }

    /// The caller's own session that is still active, if any.
    pub async fn my_active_session(&self) -> ApiResult<Option<Session>> {
        let me = self
            .ctx
            .auth_untracked()
            .map(|a| a.user.id)
            .ok_or(ApiErr::SignedOut)?;
        let page = self
            .audit_sessions(&format!("?impersonator={me}&limit=20"))
            .await?;
        Ok(page
            .items
            .into_iter()
            .find(|s| s.status == SessionStatus::Active))
    }

    // ------------------------------------------------------------ in a session

    fn session_cred(&self) -> ApiResult<(Id, String)> {
        self.ctx
            .active_untracked()
            .map(|a| (a.session.id, a.token))
            .ok_or(ApiErr::Refused(Refusal::NoSession))
    }

    /// Exit: no view request leaves for the session from now on, the
    /// server is told, and this client leaves the session whatever the
    /// server says or if it cannot be reached (fail closed). Without the
    /// server's record the summary says the server was not told and offers
    /// to end the session there again.
    pub async fn exit(&self) {
        self.ctx.begin_exit();
        let ended = self.end_session().await.ok();
        self.ctx.end_local(EndCause::Exit, ended);
    }

    /// Ends the active session on the server with its own token.
    pub async fn end_session(&self) -> ApiResult<Session> {
        let (id, token) = self.session_cred()?;
        self.send(
            Method::Post,
            format!("/api/impersonations/{id}/end"),
            Cred::Session,
            Some(token),
            None,
        )
        .await
    }

    /// Asks the server whether the active session still stands, with the
    /// session's own token. Like Exit and notes, this is a session-control
    /// call outside the view guard (the server's route table lets a session
    /// read itself); it only reads the session: not a page view, so it
    /// neither counts nor keeps the session from idling out. A session the
    /// server has ended (an administrator revoked it, its impersonator was
    /// disabled, it idled out there) ends here too, with the server's record;
    /// no answer at all changes nothing (the countdown still runs).
    pub async fn check_session(&self) {
        let Some(active) = self.ctx.active_untracked() else {
            return;
        };
        if active.seconds_left_at(now_ms()) == 0 {
            return; // the countdown ends it, without a request
        }
        let (id, token) = (active.session.id, active.token);
        let answer = self
            .send::<Session>(
                Method::Get,
                admin_path::session(id),
                Cred::Session,
                Some(token),
                None,
            )
            .await;
        // The answer may arrive after an Exit and a new start: it speaks of
        // session `id` only.
        let still_ours = self.ctx.active_untracked().map(|a| a.session.id) == Some(id);
        match answer {
            Ok(s) if still_ours && s.status == SessionStatus::Ended => {
                // An Exit of this tab may be on its way: the partner portal is
                // then told "exit", as the server's record says.
                let cause = match s.end_reason {
                    Some(EndReason::Exit) => EndCause::Exit,
                    Some(EndReason::Expiry) => EndCause::Expired,
                    Some(EndReason::Idle) => EndCause::Idle,
                    Some(EndReason::Revocation) | None => EndCause::EndedByServer,
                };
                self.ctx.end_local(cause, Some(s));
            }
            Err(ApiErr::Server { status: 401, .. }) if still_ours => {
                self.ctx.end_local(EndCause::EndedByServer, None);
            }
            _ => {}
        }
    }

    pub async fn add_note(&self, text: &str) -> ApiResult<Note> {
        let (id, token) = self.session_cred()?;
        let body = Self::json(&NewNote {
            text: text.to_string(),
        });
        self.send(
            Method::Post,
            format!("/api/impersonations/{id}/notes"),
            Cred::Session,
            Some(token),
            body,
        )
        .await
    }

    // ------------------------------------------------------------ audit

    pub async fn audit_sessions(&self, query: &str) -> ApiResult<Page<Session>> {
        self.admin(Method::Get, admin_path::audit_sessions(query), None)
            .await
    }
}

/// Administrator routes read through [`ApiClient::resource`] with
/// [`Fetch::Admin`].
pub mod admin_path {
    use viewas_api::Id;

    /// `query` is empty or starts with `?`.
    pub fn audit_sessions(query: &str) -> String {
        format!("/api/audit/sessions{query}")
    }

    pub fn audit_events(session_id: Id) -> String {
        format!("/api/audit/events?session_id={session_id}&limit=500")
    }

    pub fn audit_verify() -> String {
        "/api/audit/verify".into()
    }

    pub fn session(id: Id) -> String {
        format!("/api/impersonations/{id}")
    }
}

/// What [`ApiClient::resource`] fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// A view route of the active session (`/api/view/...`), guarded.
    View(String),
    /// An administrator route (`/api/audit/...`, `/api/impersonations/..`).
    Admin(String),
}

/// A 2xx answer, parsed by the browser; [`Json::decode`] reads it as a type.
#[derive(Debug, Clone)]
pub struct Json {
    pub status: u16,
    pub value: wasm_bindgen::JsValue,
}

impl Json {
    /// The answer as `T`; an answer of another shape is
    /// [`ApiErr::BadAnswer`].
    pub fn decode<T: FromJson>(&self) -> ApiResult<T> {
        T::from_json(&self.value).ok_or(ApiErr::BadAnswer(self.status))
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}
