//! Starting, reading, ending and annotating impersonation sessions.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::Deserialize;
use viewas_api::{
    validate_reason, EndReason, Note, ReasonCategory, Role, Session, SessionExport,
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
/// than a 400.
#[derive(Debug, Deserialize)]
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
            Caller::Impersonation { .. } => Err(AppError::not_allowed(
                "You cannot start a session from inside another session",
            )),
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

/// Impersonators may use either token (the impersonation token only for its
/// own session); administrators may read any session.
async fn access(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<(Access, SessionRow), AppError> {
    let row = state.store.read(move |c| session_by_id(c, id)).await?;
    let denied = || AppError::not_allowed("This is not your session");
    match caller {
        Caller::Impersonation {
            session,
            impersonator,
            ..
        } => {
            // A disabled account holds no rights: its sign-in tokens already
            // fail, and so does its impersonation token here (its session was
            // ended by the revocation; view routes answer `session_ended`).
            if impersonator.disabled {
                return Err(AppError::Unauthorized);
            }
            if session.id != id {
                return Err(denied());
            }
            let row = row.ok_or(AppError::NotFound)?;
            Ok((
                Access::Owner {
                    actor_id: impersonator.id,
                },
                row,
            ))
        }
        Caller::Login(u) => {
            let row = row.ok_or(AppError::NotFound)?;
            if row.impersonator_id == u.account.id {
                Ok((
                    Access::Owner {
                        actor_id: u.account.id,
                    },
                    row,
                ))
            } else if u.account.role == Role::Admin {
                Ok((Access::Reader, row))
            } else {
                Err(denied())
            }
        }
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Session>, AppError> {
    let id = parse_id(&id)?;
    let (_, row) = access(&state, &caller, id).await?;
    let now = state.now();
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
    Ok(axum::Json(session))
}

/// Exit. Idempotent: ending an ended session answers it as it stands.
pub(super) async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Session>, AppError> {
    let id = parse_id(&id)?;
    let (access, _) = access(&state, &caller, id).await?;
    let Access::Owner { actor_id } = access else {
        return Err(AppError::not_allowed(
            "Only the impersonator can end a session",
        ));
    };
    let now = state.now();
    let session = state
        .store
        .write(move |c| {
            // A session already past its time ends for that reason, not Exit.
            sessions::settle(c, id, now)?;
            sessions::end(c, id, now, now, EndReason::Exit, Some(actor_id))?;
            let row = session_by_id(c, id)?
                .ok_or_else(|| crate::store::DbError::Other("session vanished".into()))?;
            sessions::to_wire(c, &row, now)
        })
        .await?;
    Ok(axum::Json(session))
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    // Read the body only after the caller is known to be allowed.
    body: Result<Json<viewas_api::NewNote>, AppError>,
) -> Result<(StatusCode, axum::Json<Note>), AppError> {
    let id = parse_id(&id)?;
    let (access, row) = access(&state, &caller, id).await?;
    let Access::Owner { actor_id } = access else {
        return Err(AppError::not_allowed("Only the impersonator can add notes"));
    };
    let Json(body) = body?;
    // The impersonation token dies with its session; the impersonator's own
    // sign-in may still annotate it afterwards (for the summary), while it
    // is a staff sign-in (checked again on the writer below).
    if matches!(caller, Caller::Impersonation { .. }) && !row.is_active() {
        return Err(AppError::SessionEnded);
    }
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
    Path(id): Path<String>,
) -> Result<axum::Json<SessionExport>, AppError> {
    let id = parse_id(&id)?;
    let Caller::Login(me) = &caller else {
        return Err(AppError::not_allowed(
            "Export the record from the console once the session is over",
        ));
    };
    let (access, row) = access(&state, &caller, id).await?;
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
