//! Who is calling. Every bearer token resolves to a [`Caller`] here, once;
//! the narrower extractors ([`Signed`], [`Staff`], [`Admin`]) refuse
//! impersonation tokens, so an impersonation token cannot reach any handler
//! that takes one of them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum_extra::headers::authorization::Bearer;
use axum_extra::headers::{Authorization, HeaderMapExt};
use axum_extra::TypedHeader;
use viewas_api::{EndReason, Role, SessionState, SessionStatus};

use super::{AppError, AppState};
use crate::auth::{secret_matches, split_token};
use crate::store::accounts::{self, TokenKind};
use crate::store::rows::{Account, SessionRow};
use crate::store::sessions;
use crate::store::view::ViewScope;
use crate::store::DbResult;

/// A signed-in account (login token).
#[derive(Debug, Clone)]
pub struct LoginUser {
    pub token_id: i64,
    pub account: Account,
}

impl LoginUser {
    /// Runs `f` on the writer on this caller's behalf, after reading the
    /// sign-in again in the same transaction. The token was resolved before
    /// the request queued for the writer; a disabling, a role change or a
    /// sign-out committed in the meantime is seen here, so the trail never
    /// shows this caller acting after it.
    /// Refused: 401 `unauthorized` if the sign-in no longer holds, 403
    /// `not_allowed` if the role is no longer one of `roles`.
    pub async fn write<T, F>(
        self,
        state: &AppState,
        now: i64,
        roles: &'static [Role],
        f: F,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> DbResult<T> + Send + 'static,
    {
        state
            .store
            .write(move |c| match self.recheck(c, now, roles)? {
                Ok(()) => f(c).map(Ok),
                Err(refused) => Ok(Err(refused)),
            })
            .await?
    }

    /// The check of [`LoginUser::write`], for a write that also serves
    /// impersonation tokens (notes).
    pub fn recheck(
        &self,
        c: &rusqlite::Connection,
        now: i64,
        roles: &[Role],
    ) -> DbResult<Result<(), AppError>> {
        Ok(match accounts::login_role(c, self.token_id, now)? {
            None => Err(AppError::Unauthorized),
            Some(role) if !roles.contains(&role) => Err(AppError::not_allowed(
                "Your role no longer allows this; sign in again",
            )),
            Some(_) => Ok(()),
        })
    }
}

/// The bearer of a valid token.
#[derive(Debug, Clone)]
pub enum Caller {
    Login(LoginUser),
    /// A live impersonation token: its session running, the token neither
    /// revoked nor expired, its impersonator not disabled.
    Impersonation {
        token_id: i64,
        impersonator: Account,
        session: SessionRow,
        /// The target user's organisation, read with the token so the view
        /// gate needs no second trip to the database (None: user gone).
        target_org_id: Option<i64>,
    },
    /// An impersonation token that grants nothing any more. It carries no
    /// account or session row, so no handler can serve it as a live one.
    DeadImpersonation(DeadToken),
}

/// What is left of an impersonation token after Exit, sign-out, revocation
/// or expiry: enough for its session's state, nothing of its content.
#[derive(Debug, Clone)]
pub struct DeadToken {
    pub session_id: i64,
    pub status: SessionStatus,
    pub end_reason: Option<EndReason>,
    /// When it stopped granting anything (the session's end, the token's
    /// revocation or expiry, whichever came first).
    pub died_at: i64,
    pub impersonator_disabled: bool,
}

/// How long after its end a session's own token may still learn that it
/// ended (a second tab, the summary), before it is refused outright.
pub const ENDED_GRACE_SECS: i64 = 60;

impl DeadToken {
    /// The refusal of every route but the grace answer: a disabled account
    /// holds no rights at all (401 `unauthorized`), otherwise 401
    /// `session_ended`.
    pub fn refusal(&self) -> AppError {
        if self.impersonator_disabled {
            AppError::Unauthorized
        } else {
            AppError::SessionEnded
        }
    }

    /// `GET /api/impersonations/{id}` with this token: only the session's
    /// status, and only for its own session, within the grace period.
    pub fn state_of(&self, id: &str, now: i64) -> Result<SessionState, AppError> {
        let own = id.parse::<i64>().ok() == Some(self.session_id);
        if own && !self.impersonator_disabled && now < self.died_at + ENDED_GRACE_SECS {
            Ok(SessionState {
                id: self.session_id,
                status: self.status,
                end_reason: self.end_reason,
            })
        } else {
            Err(self.refusal())
        }
    }
}

const IMPERSONATION_ONLY: &str =
    "An impersonation token can only view, add notes to and end its own session";

/// Resolves the `Authorization: Bearer` header for the middlewares that
/// hold a whole request; handlers use the [`Caller`] extractor.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let bearer = headers
        .typed_get::<Authorization<Bearer>>()
        .ok_or(AppError::Unauthorized)?;
    resolve_token(state, bearer.token()).await
}

/// Resolves a presented token. Garbled, unknown, or a sign-in token revoked
/// or expired → 401 `unauthorized`. A session whose time is up is ended here
/// (lazily, audited) so every caller sees it as ended. An impersonation
/// token is live only while its session runs and the token row itself is
/// neither revoked nor expired; otherwise it is a [`Caller::DeadImpersonation`].
async fn resolve_token(state: &AppState, token: &str) -> Result<Caller, AppError> {
    let (selector, secret) = split_token(token).ok_or(AppError::Unauthorized)?;
    let found = state.store.token(selector).await?;
    let Some(found) = found else {
        return Err(AppError::Unauthorized);
    };
    let Some(account) = found.account.clone() else {
        return Err(AppError::Unauthorized);
    };
    let token = &found.token;
    let target_org_id = found.target_org_id;
    let session = found.session.clone();
    if !secret_matches(secret, &token.secret_hash) {
        return Err(AppError::Unauthorized);
    }
    let now = state.now();
    match (token.kind, session) {
        (TokenKind::Login, _) => {
            if token.revoked_at.is_some() || now >= token.expires_at || account.disabled {
                return Err(AppError::Unauthorized);
            }
            Ok(Caller::Login(LoginUser {
                token_id: token.id,
                account,
            }))
        }
        (TokenKind::Impersonation, Some(mut session)) => {
            if session.due(now).is_some() {
                let id = session.id;
                if let Some(row) = state
                    .store
                    .write(move |c| sessions::settle(c, id, now))
                    .await?
                {
                    session = row;
                }
            }
            let expired = (now >= token.expires_at).then_some(token.expires_at);
            let died_at = [session.ended_at, token.revoked_at, expired]
                .into_iter()
                .flatten()
                .min();
            match died_at {
                None if !account.disabled => Ok(Caller::Impersonation {
                    token_id: token.id,
                    impersonator: account,
                    session,
                    target_org_id,
                }),
                _ => Ok(Caller::DeadImpersonation(DeadToken {
                    session_id: session.id,
                    status: if session.is_active() {
                        SessionStatus::Active
                    } else {
                        SessionStatus::Ended
                    },
                    end_reason: session.end_reason,
                    died_at: died_at.unwrap_or(now),
                    impersonator_disabled: account.disabled,
                })),
            }
        }
        (TokenKind::Impersonation, None) => Err(AppError::Unauthorized),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    /// A missing or malformed `Authorization: Bearer` header is a 401.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let TypedHeader(Authorization(bearer)) =
            TypedHeader::<Authorization<Bearer>>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::Unauthorized)?;
        resolve_token(state, bearer.token()).await
    }
}

/// Any signed-in account; impersonation tokens → 403 `not_allowed`.
pub struct Signed(pub LoginUser);

impl FromRequestParts<AppState> for Signed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Login(u) => Ok(Signed(u)),
            Caller::Impersonation { .. } | Caller::DeadImpersonation(_) => {
                Err(AppError::not_allowed(IMPERSONATION_ONLY))
            }
        }
    }
}

/// Administrators and partners.
pub struct Staff(pub LoginUser);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Signed(u) = Signed::from_request_parts(parts, state).await?;
        match u.account.role {
            Role::Admin | Role::Partner => Ok(Staff(u)),
            Role::User => Err(AppError::not_allowed(
                "Only administrators and partners can do this",
            )),
        }
    }
}

/// Administrators only.
pub struct Admin(pub LoginUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Signed(u) = Signed::from_request_parts(parts, state).await?;
        match u.account.role {
            Role::Admin => Ok(Admin(u)),
            _ => Err(AppError::not_allowed("Only administrators can do this")),
        }
    }
}

/// The scope the view enforcement layer put on the request. A view handler
/// reached without it (a wiring mistake) fails closed with a 500.
impl FromRequestParts<AppState> for ViewScope {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<ViewScope>()
            .cloned()
            .ok_or_else(|| AppError::Internal("view handler reached without a ViewScope".into()))
    }
}

/// Ids and the default/maximum page size for list endpoints.
pub fn clamp_limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, AppError> {
    match raw {
        None | Some("") => Ok(default),
        Some(s) => Ok(super::error::parse_param("limit", s)?.min(max)),
    }
}
