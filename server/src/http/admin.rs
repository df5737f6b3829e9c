//! Administrative changes that revoke: disabling or enabling an account and
//! changing its role. Each ends, at once, every active session the account
//! is in (as impersonator or target) and is itself audited.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use viewas_api::{AdminChange, Role};

use super::error::{parse_id, Json};
use super::extractor::Admin;
use super::{AppError, AppState};
use crate::store::accounts;
use crate::store::audit::{self, NewEvent};
use crate::store::rows::{account_by_id, role_str};
use crate::store::sessions;

#[derive(Debug, Clone, Copy)]
enum Change {
    Disable,
    Enable,
    Role(Role),
}

/// The `detail` of the change's `revocation` audit row.
#[derive(Serialize)]
struct RevocationDetail<'a> {
    action: &'a str,
    sessions_ended: &'a [i64],
}

/// Unknown fields are refused (422), as in every request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleBody {
    role: Role,
}

pub(super) async fn disable(
    state: State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<axum::Json<AdminChange>, AppError> {
    apply(state, admin, &id, Change::Disable).await
}

pub(super) async fn enable(
    state: State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<axum::Json<AdminChange>, AppError> {
    apply(state, admin, &id, Change::Enable).await
}

pub(super) async fn set_role(
    state: State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Json(body): Json<RoleBody>,
) -> Result<axum::Json<AdminChange>, AppError> {
    apply(state, admin, &id, Change::Role(body.role)).await
}

async fn apply(
    State(state): State<AppState>,
    Admin(me): Admin,
    id: &str,
    change: Change,
) -> Result<axum::Json<AdminChange>, AppError> {
    let id = parse_id(id)?;
    if id == me.account.id {
        return Err(AppError::not_allowed(
            "You cannot change your own account; ask another administrator",
        ));
    }
    let now = state.now();
    let actor = me.account.id;
    let out = me
        .write(&state, now, &[Role::Admin], move |c| {
            if account_by_id(c, id)?.is_none() {
                return Ok(None);
            }
            let action = match change {
                Change::Disable => {
                    accounts::set_disabled(c, id, true)?;
                    accounts::revoke_login_tokens(c, id, now)?;
                    "disable".to_string()
                }
                Change::Enable => {
                    accounts::set_disabled(c, id, false)?;
                    "enable".to_string()
                }
                Change::Role(role) => {
                    accounts::set_role(c, id, role)?;
                    format!("role:{}", role_str(role))
                }
            };
            // Enabling grants nothing a running session would lose, but the
            // rule is simple to state and check: every change ends them.
            let ended = sessions::revoke_for_user(c, id, now, actor)?;
            let detail = serde_json::to_string(&RevocationDetail {
                action: &action,
                sessions_ended: &ended,
            })
            .map_err(|e| crate::store::DbError::Other(e.to_string()))?;
            audit::append(
                c,
                &NewEvent {
                    at: now,
                    kind: "revocation",
                    actor_id: Some(actor),
                    subject_id: Some(id),
                    detail: Some(&detail),
                    ..Default::default()
                },
            )?;
            let account = account_by_id(c, id)?
                .ok_or_else(|| crate::store::DbError::Other("user vanished".into()))?;
            Ok(Some(AdminChange {
                user: account.to_user(),
                disabled: account.disabled,
                sessions_ended: ended,
            }))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(out))
}
