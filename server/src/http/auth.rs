//! Sign-in, sign-out, and who am I.

use axum::extract::State;
use axum::http::StatusCode;
use viewas_api::{AccessHistoryItem, EndReason, LoginRequest, LoginResponse, User};

use super::error::Json;
use super::extractor::{ClientAddr, Signed};
use super::{AppError, AppState};
use crate::auth::{new_token, verify_password_pooled, LOGIN_TOKEN_SECS};
use crate::clock::rfc3339;
use crate::store::accounts::{self, TokenKind};
use crate::store::rows::account_by_email;
use crate::store::{sessions, throttle};

pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, AppError> {
    let email = body.email.trim().to_lowercase();
    let now = state.now();
    let account_scope = throttle::account_scope(&email);
    let address_scope = throttle::address_scope(&addr);

    // Reserve the attempt first, on the writer: both limits are checked and
    // the attempt recorded as a failure in one transaction, so attempts
    // arriving together cannot all pass the check before any is recorded,
    // and a locked account costs no password hashing (see `throttle`).
    let lookup_email = email.clone();
    let (reserved, found) = state
        .store
        .write(
            move |c| match throttle::reserve(c, &account_scope, &address_scope, now)? {
                Ok(r) => Ok((Ok(r), account_by_email(c, &lookup_email)?)),
                Err(wait) => Ok((Err(wait), None)),
            },
        )
        .await?;
    let reservation = reserved.map_err(|retry_after| AppError::TooManyRequests { retry_after })?;

    // argon2 is deliberately slow: keep it off the async workers, on its own
    // two threads (see `verify_password_pooled`). Unknown accounts are
    // checked against a dummy hash so both answers take as long.
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    let password = body.password;
    let ok = verify_password_pooled(password, hash).await;
    let account = match found {
        Some((account, Some(_))) if ok && !account.disabled => account,
        // The reservation stays: it is this attempt's failure, now settled.
        _ => {
            state
                .store
                .write(move |c| throttle::settle(c, reservation))
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
            // A right password is no failure: give the attempt back.
            throttle::release(c, reservation)?;
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
pub(super) async fn logout(
    State(state): State<AppState>,
    Signed(u): Signed,
) -> Result<StatusCode, AppError> {
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

pub(super) async fn me(Signed(u): Signed) -> axum::Json<User> {
    axum::Json(u.account.to_user())
}

pub(super) async fn access_history(
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
