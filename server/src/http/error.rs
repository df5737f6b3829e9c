//! Every error the API answers, in the one shape of the contract:
//! `{"error": {"code": "...", "message": "..."}}`. Handlers return
//! `Result<_, AppError>`; axum's own rejections (bad JSON, bad query strings,
//! bodies over the limit) are mapped here too, so nothing answers in another
//! shape.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use viewas_api::{ApiError, ErrorCode};

use crate::store::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    NotAllowed(String),
    #[error("not found")]
    NotFound,
    /// Carries the active session's id, so the console can offer to end it
    /// (the impersonator's sign-in token may end it).
    #[error("already impersonating")]
    AlreadyImpersonating(Option<i64>),
    #[error("{0}")]
    InvalidReason(String),
    #[error("read-only")]
    ReadOnly,
    #[error("session ended")]
    SessionEnded,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after: i64 },
    /// Too many refused writes in one impersonation session (see `blocked`).
    #[error("too many blocked attempts")]
    TooManyBlocked { retry_after: i64 },
    /// A request body named a field its route does not know.
    #[error("{0}")]
    UnknownField(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn not_allowed(msg: impl Into<String>) -> Self {
        AppError::NotAllowed(msg.into())
    }

    fn parts(&self) -> (StatusCode, ErrorCode, String) {
        use AppError::*;
        match self {
            BadRequest(m) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m.clone()),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "Wrong e-mail or password.".into(),
            ),
            Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "Sign in to continue.".into(),
            ),
            NotAllowed(m) => (StatusCode::FORBIDDEN, ErrorCode::NotAllowed, m.clone()),
            NotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "Nothing here.".into(),
            ),
            AlreadyImpersonating(_) => (
                StatusCode::CONFLICT,
                ErrorCode::AlreadyImpersonating,
                "You already have an active session; end it before starting another.".into(),
            ),
            InvalidReason(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidReason,
                m.clone(),
            ),
            ReadOnly => (
                StatusCode::FORBIDDEN,
                ErrorCode::ReadOnly,
                "Viewing as a user is read-only; the attempt was recorded.".into(),
            ),
            SessionEnded => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::SessionEnded,
                "This impersonation session has ended.".into(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!(
                    "Request bodies are limited to {} KiB.",
                    super::BODY_LIMIT / 1024
                ),
            ),
            TooManyRequests { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                format!("Too many failed sign-ins; try again in {retry_after} s."),
            ),
            TooManyBlocked { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                format!("Too many refused requests in this session; try again in {retry_after} s."),
            ),
            UnknownField(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownField,
                m.clone(),
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest,
                "This method is not allowed here.".into(),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "Something went wrong on the server.".into(),
            ),
        }
    }
}

/// The contract's error body; fields beside `error` are allowed by it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(flatten)]
    pub error: ApiError,
    /// On 409 `already_impersonating`: the session to end first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_session_id: Option<i64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!("internal error: {detail}");
        }
        let (status, code, message) = self.parts();
        let body = ErrorResponse {
            error: ApiError::new(code, message),
            active_session_id: match &self {
                AppError::AlreadyImpersonating(id) => *id,
                _ => None,
            },
        };
        let mut res = (status, axum::Json(body)).into_response();
        if let AppError::TooManyRequests { retry_after }
        | AppError::TooManyBlocked { retry_after } = self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        res
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// `axum::Json` for request bodies, with its rejections in our error shape:
/// malformed JSON, wrong types or a missing content type → 400, a field the
/// body type does not know (`deny_unknown_fields`) → 422 `unknown_field`, a
/// body over the limit → 413. Answers use `axum::Json` itself. As an
/// `Option<Json<T>>`, a request without a content type is `None`.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match <axum::Json<T> as FromRequest<S>>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

impl<S, T> OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        match <axum::Json<T> as OptionalFromRequest<S>>::from_request(req, state).await {
            Ok(v) => Ok(v.map(|axum::Json(v)| Json(v))),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    // serde has no error kind for `deny_unknown_fields`, only its message.
    if let JsonRejection::JsonDataError(e) = &rej {
        let text = e.body_text();
        if let Some(at) = text.find("unknown field") {
            return AppError::UnknownField(format!(
                "This request does not take that field ({}); nothing was done.",
                text[at..].trim()
            ));
        }
    }
    AppError::BadRequest(format!("Malformed request body: {}", rej.body_text()))
}

/// `axum::extract::Query` with a 400 in our shape when it does not parse.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rej) => Err(query_rejection(rej)),
        }
    }
}

fn query_rejection(rej: QueryRejection) -> AppError {
    AppError::BadRequest(format!("Malformed query string: {}", rej.body_text()))
}

/// A numeric id from the path; anything else is simply not found.
pub fn parse_id(s: &str) -> Result<i64, AppError> {
    match s.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(AppError::NotFound),
    }
}

/// A positive integer from a query parameter, or 400.
pub fn parse_param(name: &str, s: &str) -> Result<i64, AppError> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::BadRequest(format!("`{name}` must be a positive whole number")))
}
