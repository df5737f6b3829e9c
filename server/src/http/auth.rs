//! Sign-in, sign-out, and who am I.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use viewas_api::{AccessHistoryItem, EndReason, LoginRequest, LoginResponse, User};

use super::error::Json;
use super::extractor::{ClientAddr, Signed};
use super::{AppError, AppState};
use crate::auth::{new_token, verify_password_pooled, LOGIN_TOKEN_SECS};
use crate::clock::rfc3339;
use crate::store::accounts::{self, TokenKind};
use crate::store::rows::account_by_email;
use crate::store::{sessions, throttle};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/me/access-history", get(access_history))
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, AppError> {
    let email = body.email.trim().to_lowercase();
    let now = state.now();
    let account_scope = throttle::account_scope(&email);
    let address_scope = throttle::address_scope(&addr);

    // Throttle first, so a locked account costs no password hashing.
    let (scopes, lookup_email) = (
        (account_scope.clone(), address_scope.clone()),
        email.clone(),
    );
    let (wait, found) = state
        .store
        .read(move |c| {
            let a = throttle::retry_after(c, &scopes.0, throttle::PER_ACCOUNT, now)?;
            let b = throttle::retry_after(c, &scopes.1, throttle::PER_ADDRESS, now)?;
            Ok((a.max(b), account_by_email(c, &lookup_email)?))
        })
        .await?;
    if let Some(retry_after) = wait {
        return Err(AppError::TooManyRequests { retry_after });
    }

    // argon2 is deliberately slow: keep it off the async workers, on its own
    // two threads (see `verify_password_pooled`). Unknown accounts are
    // checked against a dummy hash so both answers take as long.
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    let password = body.password;
    let ok = verify_password_pooled(password, hash).await;
    let account = match found {
        Some((account, Some(_))) if ok && !account.disabled => account,
        _ => {
            state
                .store
                .write(move |c| {
                    throttle::record_failure(c, &account_scope, now)?;
                    throttle::record_failure(c, &address_scope, now)
                })
                .await?;
            return Err(AppError::InvalidCredentials);
        }
    };

    let t = new_token();
    let expires_at = now + LOGIN_TOKEN_SECS;
    let user_id = account.id;
    let (selector, secret_hash) = (t.selector.clone(), t.secret_hash);
    state
        .store
        .write(move |c| {
            accounts::insert_token(
                c,
                &selector,
                &secret_hash,
                TokenKind::Login,
                user_id,
                None,
                now,
                expires_at,
            )?;
            accounts::touch_last_active(c, user_id, now)
        })
        .await?;
    tracing::info!(user_id, "signed in");
    Ok(axum::Json(LoginResponse {
        token: t.token,
        user: account.to_user(),
        expires_at: rfc3339(expires_at),
    }))
}

/// Revokes the token at once; an impersonation session the account still
/// has open ends with it (exit), so signing out never leaves one running.
async fn logout(State(state): State<AppState>, Signed(u): Signed) -> Result<StatusCode, AppError> {
    let now = state.now();
    state
        .store
        .write(move |c| {
            accounts::revoke_token(c, u.token_id, now)?;
            if let Some(id) = sessions::active_of(c, u.account.id)? {
                sessions::end(c, id, now, now, EndReason::Exit, Some(u.account.id))?;
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Signed(u): Signed) -> axum::Json<User> {
    axum::Json(u.account.to_user())
}

async fn access_history(
    State(state): State<AppState>,
    Signed(u): Signed,
) -> Result<axum::Json<Vec<AccessHistoryItem>>, AppError> {
    let id = u.account.id;
    let items = state
        .store
        .read(move |c| sessions::access_history(c, id))
        .await?;
    Ok(axum::Json(items))
}
