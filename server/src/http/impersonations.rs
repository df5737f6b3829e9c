//! Starting, reading, ending and annotating impersonation sessions.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use viewas_api::{
    validate_reason, EndReason, EndSession, Note, ReasonCategory, Role, Session, SessionExport,
    StartedImpersonation,
};

use super::error::{parse_id, Json};
use super::extractor::{Caller, LoginUser};
use super::{AppError, AppState};
use crate::auth::new_token;
use crate::store::audit::{self, NewEvent};
use crate::store::rows::{session_by_id, SessionRow};
use crate::store::sessions::{self, StartArgs, StartOutcome};

/// Longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 4000;

/// The start body with the category and reason optional text, so a missing,
/// null or unknown one is a 422 `invalid_reason` (a rule of the form) rather
/// than a 400. Any other field (`scope` among them, until it is enforced) is
/// a 422 `unknown_field`: a start never grants more than was asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StartBody {
    user_id: i64,
    #[serde(default)]
    reason_category: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
}

/// Who may start a session: a signed-in administrator or partner. Checked
/// before the body is read, so a refused caller learns nothing about it.
pub(super) struct Starter(LoginUser);

impl FromRequestParts<AppState> for Starter {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Impersonation { .. } | Caller::DeadImpersonation(_) => Err(
                AppError::not_allowed("You cannot start a session from inside another session"),
            ),
            Caller::Login(u) if u.account.role == Role::User => {
                Err(AppError::not_allowed(crate::rules::NOT_STAFF))
            }
            Caller::Login(u) => Ok(Starter(u)),
        }
    }
}

pub(super) async fn start(
    State(state): State<AppState>,
    Starter(me): Starter,
    Json(body): Json<StartBody>,
) -> Result<(StatusCode, axum::Json<StartedImpersonation>), AppError> {
    let reason = body.reason.unwrap_or_default();
    let category = ReasonCategory::parse(body.reason_category.as_deref().unwrap_or_default())
        .ok_or_else(|| {
            AppError::InvalidReason(
                "Choose a reason category: support_request, diagnose_issue, audit or onboarding."
                    .into(),
            )
        })?;
    let ticket = body
        .ticket
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    validate_reason(category, &reason, ticket.as_deref())
        .map_err(|e| AppError::InvalidReason(e.to_string()))?;

    let t = new_token();
    let now = state.now();
    let partner = me.account.role == Role::Partner;
    let args = StartArgs {
        impersonator_id: me.account.id,
        target_id: body.user_id,
        category,
        reason: reason.trim().to_string(),
        ticket,
        now,
        max_secs: state.settings.max_session_secs,
        idle_secs: state.settings.idle_timeout_secs,
        selector: t.selector.clone(),
        secret_hash: t.secret_hash,
    };
    let outcome = me
        .write(&state, now, &[Role::Admin, Role::Partner], move |c| {
            Ok(match sessions::start(c, &args)? {
                StartOutcome::Started(row) => Ok(sessions::to_wire(c, &row, now)?),
                other => Err(other),
            })
        })
        .await?;
    match outcome {
        Ok(session) => {
            tracing::info!(session = session.id, "impersonation started");
            Ok((
                StatusCode::CREATED,
                axum::Json(StartedImpersonation {
                    session,
                    token: t.token,
                }),
            ))
        }
        // A partner is told the same of any user outside their clients.
        Err(StartOutcome::TargetNotFound) if partner => {
            Err(AppError::not_allowed(crate::rules::NOT_CLIENT))
        }
        Err(StartOutcome::TargetNotFound) => Err(AppError::NotFound),
        Err(StartOutcome::NotAllowed(why)) => Err(AppError::not_allowed(why)),
        Err(StartOutcome::AlreadyImpersonating(active)) => {
            Err(AppError::AlreadyImpersonating(Some(active)))
        }
        Err(StartOutcome::Started(_)) => Err(AppError::Internal("unreachable start".into())),
    }
}

/// What a caller may do with session `id`.
enum Access {
    /// The impersonator (either token) — or, for reading, an administrator.
    Owner {
        actor_id: i64,
    },
    Reader,
}

/// One answer for someone else's session and for a session that does not
/// exist, so ids cannot be probed.
const NOT_YOURS: &str = "This is not your session";

/// Impersonators may use either token (the impersonation token only for its
/// own session, while it lives); administrators may read any session. A
/// caller who is neither learns only [`NOT_YOURS`], whether or not a
/// session `raw_id` exists; only administrators are told 404.
async fn access(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
) -> Result<(Access, SessionRow), AppError> {
    let denied = || AppError::not_allowed(NOT_YOURS);
    let id = match caller {
        Caller::Login(u) if u.account.role == Role::Admin => Some(parse_id(raw_id)?),
        _ => parse_id(raw_id).ok(),
    };
    match caller {
        Caller::DeadImpersonation(dead) => Err(dead.refusal()),
        Caller::Impersonation {
            session,
            impersonator,
            ..
        } => {
            if id != Some(session.id) {
                return Err(denied());
            }
            let id = session.id;
            let row = state.store.read(move |c| session_by_id(c, id)).await?;
            let row = row.ok_or_else(denied)?;
            Ok((
                Access::Owner {
                    actor_id: impersonator.id,
                },
                row,
            ))
        }
        Caller::Login(u) => {
            let row = match id {
                Some(id) => state.store.read(move |c| session_by_id(c, id)).await?,
                None => None,
            };
            let admin = u.account.role == Role::Admin;
            match row {
                Some(row) if row.impersonator_id == u.account.id => Ok((
                    Access::Owner {
                        actor_id: u.account.id,
                    },
                    row,
                )),
                Some(row) if admin => Ok((Access::Reader, row)),
                None if admin => Err(AppError::NotFound),
                _ => Err(denied()),
            }
        }
    }
}

/// The session with its people, reason and notes. A session's own token,
/// once dead, learns only that it ended, for
/// [`super::extractor::ENDED_GRACE_SECS`].
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<Response, AppError> {
    let now = state.now();
    if let Caller::DeadImpersonation(dead) = &caller {
        return Ok(axum::Json(dead.state_of(&raw_id, now)?).into_response());
    }
    let (_, row) = access(&state, &caller, &raw_id).await?;
    let id = row.id;
    let session = if row.due(now).is_some() {
        state
            .store
            .write(move |c| {
                let row = sessions::settle(c, id, now)?
                    .ok_or_else(|| crate::store::DbError::Other("session vanished".into()))?;
                sessions::to_wire(c, &row, now)
            })
            .await?
    } else {
        state
            .store
            .read(move |c| sessions::to_wire(c, &row, now))
            .await?
    };
    Ok(axum::Json(session).into_response())
}

/// Longest end reason, in characters.
pub const END_REASON_MAX_CHARS: usize = 1000;

/// Exit. Idempotent with the impersonator's sign-in: ending an ended
/// session answers it as it stands. The session's own token ends it once;
/// after that the token is dead (401 `session_ended`).
pub(super) async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_id): Path<String>,
    // Read the body only after the caller is known to be allowed.
    body: Result<Option<Json<EndSession>>, AppError>,
) -> Result<axum::Json<Session>, AppError> {
    let (access, row) = access(&state, &caller, &raw_id).await?;
    let Access::Owner { actor_id } = access else {
        return Err(AppError::not_allowed(
            "Only the impersonator can end a session",
        ));
    };
    let reason = body?
        .and_then(|Json(b)| b.reason)
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > END_REASON_MAX_CHARS)
    {
        return Err(AppError::BadRequest(format!(
            "An end reason has at most {END_REASON_MAX_CHARS} characters"
        )));
    }
    let own_token = matches!(caller, Caller::Impersonation { .. });
    let (id, now) = (row.id, state.now());
    let session = state
        .store
        .write(move |c| {
            // A session already past its time ends for that reason, not Exit.
            let settled = sessions::settle(c, id, now)?;
            // Checked again on the writer: another Exit or a revocation may
            // have been committed since the token was resolved.
            if own_token && !settled.is_some_and(|s| s.is_active()) {
                return Ok(Err(AppError::SessionEnded));
            }
            sessions::end_with_reason(
                c,
                id,
                now,
                now,
                EndReason::Exit,
                Some(actor_id),
                reason.as_deref(),
            )?;
            let row = session_by_id(c, id)?
                .ok_or_else(|| crate::store::DbError::Other("session vanished".into()))?;
            sessions::to_wire(c, &row, now).map(Ok)
        })
        .await??;
    Ok(axum::Json(session))
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_id): Path<String>,
    // Read the body only after the caller is known to be allowed.
    body: Result<Json<viewas_api::NewNote>, AppError>,
) -> Result<(StatusCode, axum::Json<Note>), AppError> {
    let (access, row) = access(&state, &caller, &raw_id).await?;
    let Access::Owner { actor_id } = access else {
        return Err(AppError::not_allowed("Only the impersonator can add notes"));
    };
    let Json(body) = body?;
    let text = body.text.trim().to_string();
    if text.is_empty() {
        return Err(AppError::BadRequest("A note needs some text".into()));
    }
    if text.chars().count() > NOTE_MAX_CHARS {
        return Err(AppError::BadRequest(format!(
            "A note has at most {NOTE_MAX_CHARS} characters"
        )));
    }
    let now = state.now();
    let note = state
        .store
        .write(move |c| {
            // Checked again on the writer: an Exit, a revocation or a
            // disabling may have been committed since the checks above.
            // The impersonation token dies with its session; the
            // impersonator's own sign-in may still annotate it afterwards
            // (for the summary), while it is a staff sign-in.
            match &caller {
                Caller::Impersonation { .. } => {
                    if !sessions::settle(c, row.id, now)?.is_some_and(|s| s.is_active()) {
                        return Ok(Err(AppError::SessionEnded));
                    }
                }
                Caller::Login(u) => {
                    if let Err(refused) = u.recheck(c, now, &[Role::Admin, Role::Partner])? {
                        return Ok(Err(refused));
                    }
                }
                Caller::DeadImpersonation(dead) => return Ok(Err(dead.refusal())),
            }
            sessions::add_note(c, &row, actor_id, &text, now).map(Ok)
        })
        .await??;
    Ok((StatusCode::CREATED, axum::Json(note)))
}

/// The support record of a session. Exporting is itself audited.
pub(super) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<axum::Json<SessionExport>, AppError> {
    let Caller::Login(me) = &caller else {
        return Err(AppError::not_allowed(
            "Export the record from the console once the session is over",
        ));
    };
    let (access, row) = access(&state, &caller, &raw_id).await?;
    let id = row.id;
    // An administrator reading another's session needs to still be one.
    let roles: &'static [Role] = match access {
        Access::Owner { .. } => &[Role::Admin, Role::Partner],
        Access::Reader => &[Role::Admin],
    };
    let (me, actor_id) = (me.clone(), me.account.id);
    let now = state.now();
    let export = me
        .write(&state, now, roles, move |c| {
            audit::append(
                c,
                &NewEvent {
                    at: now,
                    kind: "export",
                    actor_id: Some(actor_id),
                    subject_id: Some(row.target_id),
                    session_id: Some(id),
                    ..Default::default()
                },
            )?;
            let row = sessions::settle(c, id, now)?
                .ok_or_else(|| crate::store::DbError::Other("session vanished".into()))?;
            Ok(SessionExport {
                session: sessions::to_wire(c, &row, now)?,
                events: audit::events(c, Some(id), 0, 10_000)?,
            })
        })
        .await?;
    Ok(axum::Json(export))
}
