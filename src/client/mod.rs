//! `ApiClient`: the only code of the SPA that talks to the network.
//!
//! Requests leave through a [`Transport`] found in context, so tests can
//! count or fail them. Every request made with the impersonation token passes
//! the request guard first ([`guard`]); anything it refuses is
//! [`ApiErr::Refused`] and no request leaves the browser. Answers are
//! decoded once, with serde_json, into viewas-api's wire types.
//!
//! ```text
//! let api = ApiClient::expect();
//! let items: Vec<AssignmentSummary> = api.view(&path::assignments()).await?;
//! ```

mod error;
pub mod guard;
mod session;
mod transport;

use std::sync::Arc;

use leptos::prelude::*;
use serde::{
    de::{DeserializeOwned, IgnoredAny},
    Serialize,
};
use viewas_api::{
    ApiError, ErrorCode, Id, LoginRequest, LoginResponse, Page, PublicConfig, Session,
    SessionStatus, StartImpersonation, StartedImpersonation, UserSearchItem,
};

pub use error::{ApiErr, ApiResult};
pub use guard::Refusal;
pub use transport::{
    FetchTransport, HttpRequest, HttpResponse, LocalFuture, Method, Transport, TransportError,
};

use crate::session::{EndCause, SessionContext};

/// Which credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    None,
    Admin,
    Session,
}

/// The answer body as `T`. An empty body (204) reads as JSON `null`, which
/// is `()` or `None`; anything else that does not fit is
/// [`ApiErr::BadAnswer`].
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> ApiResult<T> {
    let body = if body.trim().is_empty() { "null" } else { body };
    serde_json::from_str(body).map_err(|_| ApiErr::BadAnswer(status))
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

    /// The request guard of this client's session ([`guard::check_view`]).
    pub fn check_view(&self, method: Method, path: &str) -> Result<String, Refusal> {
        guard::check_view(&self.ctx, method, path)
    }

    /// A view request through the guard, decoded as `T`.
    pub async fn view_request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> ApiResult<T> {
        let token = self.check_view(method, path).map_err(ApiErr::Refused)?;
        let answer = self
            .send(method, path.to_string(), Cred::Session, Some(token), None)
            .await;
        if answer.is_ok() {
            self.ctx.count_page_view();
        }
        answer
    }

    /// `GET` a view route of the active session, decoded as `T`.
    pub async fn view<T: DeserializeOwned>(&self, path: &str) -> ApiResult<T> {
        self.view_request(Method::Get, path).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        cred: Cred,
        bearer: Option<String>,
        body: Option<String>,
    ) -> ApiResult<T> {
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
            return decode(status, &response.body);
        }
        let err = match serde_json::from_str::<ApiError>(&response.body) {
            Ok(e) => ApiErr::Server {
                status,
                code: e.error.code,
                message: e.error.message,
            },
            Err(_) => ApiErr::Server {
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

    async fn admin<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
    ) -> ApiResult<T> {
        let token = self.admin_token()?;
        self.send(method, path, Cred::Admin, Some(token), body)
            .await
    }

    fn json<B: Serialize>(body: &B) -> Option<String> {
        // The request types are plain structs of strings and numbers, which
        // serde_json always writes.
        serde_json::to_string(body).ok()
    }

    // ------------------------------------------------------------ resources

    /// One GET, decoded: a view route through the guard, or an administrator
    /// route. `None` (no id in the address yet) asks nothing and reads as
    /// JSON `null`, so `T = Option<_>` gets `None`.
    pub async fn get<T: DeserializeOwned>(&self, get: Option<Fetch>) -> ApiResult<T> {
        match get {
            None => decode(200, "null"),
            Some(Fetch::View(path)) => self.view(&path).await,
            Some(Fetch::Admin(path)) => {
                let token = self.admin_token()?;
                self.send(Method::Get, path, Cred::Admin, Some(token), None)
                    .await
            }
        }
    }

    /// A resource that GETs what `get` names, decoded as `T` once, and
    /// refetches when the signals `get` reads change.
    pub fn resource<T>(
        &self,
        get: impl Fn() -> Option<Fetch> + 'static,
    ) -> LocalResource<ApiResult<T>>
    where
        T: DeserializeOwned + 'static,
    {
        let api = self.clone();
        LocalResource::new(move || {
            let api = api.clone();
            let get = get();
            async move { api.get::<T>(get).await }
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
        self.admin::<IgnoredAny>(Method::Post, "/api/auth/logout".into(), None)
            .await
            .map(|_| ())
    }

    /// Ends a token this console will not keep (a user's, who may not use
    /// the console).
    pub async fn logout_token(&self, token: &str) -> ApiResult<()> {
        self.send::<IgnoredAny>(
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

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}
