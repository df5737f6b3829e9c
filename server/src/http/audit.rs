//! The audit pages: sessions, their events in order, and chain verification.

use axum::extract::State;
use serde::Deserialize;
use viewas_api::{AuditEvent, EndReason, Page, Role, Session, VerifyResult};

use super::error::{parse_param, Query};
use super::extractor::{clamp_limit, Admin, Staff};
use super::{AppError, AppState};
use crate::clock::parse_time;
use crate::store::rows::session_by_id;
use crate::store::sessions::{self, SessionFilter};

#[derive(Debug, Deserialize)]
pub(super) struct SessionsQuery {
    impersonator: Option<String>,
    user: Option<String>,
    from: Option<String>,
    to: Option<String>,
    end_reason: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn time_param(name: &str, s: Option<&str>) -> Result<Option<i64>, AppError> {
    s.map(|s| {
        parse_time(s).ok_or_else(|| {
            AppError::BadRequest(format!(
                "`{name}` is a date (YYYY-MM-DD) or an RFC 3339 time"
            ))
        })
    })
    .transpose()
}

/// Newest first. Admins see every session; partners only their own.
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    Staff(me): Staff,
    Query(q): Query<SessionsQuery>,
) -> Result<axum::Json<Page<Session>>, AppError> {
    let end_reason = given(&q.end_reason)
        .map(|s| {
            [
                EndReason::Exit,
                EndReason::Expiry,
                EndReason::Idle,
                EndReason::Revocation,
            ]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                AppError::BadRequest("`end_reason` is exit, expiry, idle or revocation".into())
            })
        })
        .transpose()?;
    let from = time_param("from", given(&q.from))?;
    // A bare date as `to` includes that whole day.
    let to = time_param("to", given(&q.to))?.map(|t| {
        if given(&q.to).is_some_and(|s| s.len() == 10) {
            t + 86_400
        } else {
            t
        }
    });
    let mut filter = SessionFilter {
        impersonator: given(&q.impersonator)
            .map(|s| parse_param("impersonator", s))
            .transpose()?,
        target: given(&q.user).map(|s| parse_param("user", s)).transpose()?,
        from,
        to,
        end_reason,
        before_id: given(&q.cursor)
            .map(|s| parse_param("cursor", s))
            .transpose()?,
        limit: clamp_limit(given(&q.limit), 50, 200)?,
    };
    if me.account.role == Role::Partner {
        filter.impersonator = Some(me.account.id);
    }
    let now = state.now();
    let limit = filter.limit;
    filter.limit += 1;
    let page = state
        .store
        .read(move |c| {
            let rows = sessions::list(c, &filter)?;
            let more = rows.len() as i64 > limit;
            let items = rows
                .iter()
                .take(limit as usize)
                .map(|r| sessions::to_wire(c, r, now))
                .collect::<Result<Vec<_>, _>>()?;
            let next_cursor = if more {
                items.last().map(|s: &Session| s.id.to_string())
            } else {
                None
            };
            Ok(Page { items, next_cursor })
        })
        .await?;
    Ok(axum::Json(page))
}

#[derive(Debug, Deserialize)]
pub(super) struct EventsQuery {
    session_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Events in the order they happened. Partners must name one of their own
/// sessions; admins may page through the whole trail.
pub(super) async fn list_events(
    State(state): State<AppState>,
    Staff(me): Staff,
    Query(q): Query<EventsQuery>,
) -> Result<axum::Json<Page<AuditEvent>>, AppError> {
    let session_id = given(&q.session_id)
        .map(|s| parse_param("session_id", s))
        .transpose()?;
    let after = given(&q.cursor)
        .map(|s| parse_param("cursor", s))
        .transpose()?
        .unwrap_or(0);
    let limit = clamp_limit(given(&q.limit), 200, 1000)?;
    let partner = me.account.role == Role::Partner;
    if partner && session_id.is_none() {
        return Err(AppError::not_allowed(
            "Partners can read the events of their own sessions only",
        ));
    }
    let me_id = me.account.id;
    let page = state
        .store
        .read(move |c| {
            if let Some(id) = session_id {
                // A partner gets the same answer for a session that is not
                // theirs and one that does not exist: ids tell them nothing.
                match session_by_id(c, id)? {
                    Some(s) if partner && s.impersonator_id != me_id => {
                        return Ok(Err(AppError::not_allowed("This is not your session")))
                    }
                    None if partner => {
                        return Ok(Err(AppError::not_allowed("This is not your session")))
                    }
                    None => return Ok(Err(AppError::NotFound)),
                    Some(_) => {}
                }
            }
            let mut items = crate::store::audit::events(c, session_id, after, limit + 1)?;
            let more = items.len() as i64 > limit;
            items.truncate(limit as usize);
            let next_cursor = if more {
                items.last().map(|e| e.id.to_string())
            } else {
                None
            };
            Ok(Ok(Page { items, next_cursor }))
        })
        .await??;
    Ok(axum::Json(page))
}

pub(super) async fn verify(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<axum::Json<VerifyResult>, AppError> {
    let result = state.store.read(crate::store::audit::verify).await?;
    if !result.ok {
        tracing::error!(first_bad = ?result.first_bad, "audit chain verification failed");
    }
    Ok(axum::Json(result))
}
