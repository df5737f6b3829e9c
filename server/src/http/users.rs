//! `GET /api/users`: find someone to view, with the answer to "may I?".

use axum::extract::State;
use base64::Engine;
use serde::Deserialize;
use viewas_api::{Page, Role, UserSearchItem};

use super::error::Query;
use super::extractor::{clamp_limit, Staff};
use super::{AppError, AppState};
use crate::clock::rfc3339;
use crate::rules;
use crate::store::accounts::{self, UserCursor};
use crate::store::rows::client_orgs;

#[derive(Debug, Deserialize)]
pub(super) struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn encode_cursor(c: &UserCursor) -> String {
    B64.encode(format!("{}:{}", c.id, c.name))
}

fn decode_cursor(s: &str) -> Result<UserCursor, AppError> {
    let bad = || AppError::BadRequest("`cursor` is not one this server gave out".into());
    let raw = B64.decode(s).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (id, name) = raw.split_once(':').ok_or_else(bad)?;
    Ok(UserCursor {
        id: id.parse().map_err(|_| bad())?,
        name: name.to_string(),
    })
}

/// Admins search everyone; partners only their client organisations.
pub(super) async fn search(
    State(state): State<AppState>,
    Staff(me): Staff,
    Query(q): Query<SearchQuery>,
) -> Result<axum::Json<Page<UserSearchItem>>, AppError> {
    let limit = clamp_limit(q.limit.as_deref(), 20, 100)?;
    let after = q
        .cursor
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(decode_cursor)
        .transpose()?;
    let text = q.q.unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "`q` is limited to 200 characters".into(),
        ));
    }
    let caller = me.account.clone();
    let (rows, clients) = state
        .store
        .read(move |c| {
            let clients = client_orgs(c, caller.org.id)?;
            let scope = (caller.role == Role::Partner).then_some(clients.as_slice());
            let rows = accounts::search(c, &text, scope, after.as_ref(), limit + 1)?;
            Ok((rows, clients))
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<UserSearchItem> = rows
        .into_iter()
        .take(limit as usize)
        .map(|a| {
            let why = rules::refusal(&me.account, &a, &clients);
            UserSearchItem {
                user: a.to_user(),
                disabled: a.disabled,
                last_active: a.last_active.map(rfc3339),
                can_impersonate: why.is_none(),
                not_allowed_reason: why.map(str::to_string),
            }
        })
        .collect();
    let next_cursor = if more {
        items.last().map(|i| {
            encode_cursor(&UserCursor {
                id: i.user.id,
                name: i.user.name.clone(),
            })
        })
    } else {
        None
    };
    Ok(axum::Json(Page { items, next_cursor }))
}
