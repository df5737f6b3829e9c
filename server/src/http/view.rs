//! /api/view/*: the impersonated user's data, read-only.
//!
//! [`enforce`] is the single gate, in front of every route and the fallback.
//! In order: a valid token (401 `unauthorized`), an impersonation token (403
//! `not_allowed`), its session still running (401 `session_ended`), the
//! method GET (403 `read_only` + a `blocked` audit row), the path in the
//! route table of viewas-api (404). Only then does the request reach a
//! handler, carrying a [`ViewScope`] every view query is filtered by. After
//! the handler the `view` audit row is committed before the response leaves;
//! if it cannot be, the data is not sent. The writer checks the session
//! again in that row's transaction: if it ended meanwhile (an Exit or a
//! revocation committed while the page was being read), the row records a
//! 401 and the answer is 401 `session_ended` instead of the page.

use axum::extract::{Path, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use viewas_api::routes::is_view_path;
use viewas_api::{
    match_view, AssignmentDetail, AssignmentSummary, RunDetail, RunStatus, RunsPage, ViewRouteId,
    Workspace, VIEW_ROUTES,
};

use super::error::{parse_id, parse_param, Query};
use super::extractor::{clamp_limit, resolve, Caller};
use super::{AppError, AppState};
use crate::clock::parse_time;
use crate::store::rows::SessionRow;
use crate::store::sessions::{self, Recorded, ViewRecord};
use crate::store::view::{self, RunFilter, ViewScope};

/// Routes come from the shared table, so a route added there without a
/// handler here fails to compile (the match below is exhaustive).
pub fn router() -> Router<AppState> {
    VIEW_ROUTES.iter().fold(Router::new(), |r, route| {
        r.route(route.pattern, handler(route.id))
    })
}

fn handler(id: ViewRouteId) -> MethodRouter<AppState> {
    match id {
        ViewRouteId::Assignments => get(assignments),
        ViewRouteId::Assignment => get(assignment),
        ViewRouteId::Runs => get(runs),
        ViewRouteId::Run => get(run),
        ViewRouteId::Workspace => get(workspace),
    }
}

pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_view_path(req.uri().path()) {
        return next.run(req).await;
    }
    match gate(&state, req, next).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn gate(state: &AppState, mut req: Request, next: Next) -> Result<Response, AppError> {
    let (impersonator, session, target_org_id) = match resolve(state, req.headers()).await? {
        Caller::Login(_) => {
            return Err(AppError::not_allowed(
                "View routes need an impersonation token; start a session first",
            ))
        }
        Caller::Impersonation {
            impersonator,
            session,
            target_org_id,
            ..
        } => (impersonator, session, target_org_id),
        Caller::DeadImpersonation(_) => return Err(AppError::SessionEnded),
    };
    let method = req.method().clone();
    let base = request_record(state, &req, impersonator.id, &session);
    if method != Method::GET {
        commit_record(state, &base, 403, "blocked").await?;
        tracing::warn!(session = session.id, %method, "blocked a write during impersonation");
        return Err(AppError::ReadOnly);
    }
    let Some(route) = match_view(req.uri().path()).map(|m| m.route.id) else {
        commit_record(state, &base, 404, "view").await?;
        return Err(AppError::NotFound);
    };
    let org_id =
        target_org_id.ok_or_else(|| AppError::Internal("session target is missing".into()))?;
    req.extensions_mut().insert(ViewScope {
        session_id: session.id,
        impersonator_id: impersonator.id,
        target_user_id: session.target_id,
        org_id,
        route,
    });
    let res = next.run(req).await;
    // Durable before it is sent: no answered view without its audit row,
    // and no view answered once its session has ended.
    commit_record(state, &base, res.status().as_u16(), "view").await?;
    Ok(res)
}

/// The audit row of a request made with an impersonation token, its status
/// still to be set by [`commit_record`].
pub(super) fn request_record(
    state: &AppState,
    req: &Request,
    impersonator_id: i64,
    session: &SessionRow,
) -> ViewRecord {
    ViewRecord {
        session_id: session.id,
        actor_id: impersonator_id,
        target_id: session.target_id,
        now: state.now(),
        method: req.method().to_string(),
        path: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        status: 0,
    }
}

/// Commits `base`'s audit row (`kind` `view` or `blocked`) for an answer
/// with `status`, before that answer is sent. The writer checks the session
/// again in the row's transaction: if it ended since the gate (an Exit or a
/// revocation committed meanwhile), the row records a 401 and this is
/// `Err(SessionEnded)`, so nothing prepared is sent.
pub(super) async fn commit_record(
    state: &AppState,
    base: &ViewRecord,
    status: u16,
    kind: &'static str,
) -> Result<(), AppError> {
    let v = ViewRecord {
        status: i64::from(status),
        ..base.clone()
    };
    let clock = state.clock.clone();
    match state
        .store
        .write(move |c| sessions::record_view(c, &v, kind, clock.now()))
        .await?
    {
        Recorded::AsAnswered => Ok(()),
        Recorded::SessionEnded => Err(AppError::SessionEnded),
    }
}

async fn assignments(
    State(state): State<AppState>,
    scope: ViewScope,
) -> Result<Json<Vec<AssignmentSummary>>, AppError> {
    let items = state
        .store
        .read(move |c| view::assignments(c, &scope))
        .await?;
    Ok(Json(items))
}

async fn assignment(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<String>,
) -> Result<Json<AssignmentDetail>, AppError> {
    let id = parse_id(&id)?;
    state
        .store
        .read(move |c| view::assignment(c, &scope, id))
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize)]
struct RunsQuery {
    assignment_id: Option<String>,
    status: Option<String>,
    before: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_run_cursor(s: &str) -> Result<(i64, i64), AppError> {
    let bad = || AppError::BadRequest("`cursor` is not one this server gave out".into());
    let (t, id) = s.split_once('_').ok_or_else(bad)?;
    Ok((
        t.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

async fn runs(
    State(state): State<AppState>,
    scope: ViewScope,
    Query(q): Query<RunsQuery>,
) -> Result<Json<RunsPage>, AppError> {
    let filter = RunFilter {
        assignment_id: nonempty(&q.assignment_id)
            .map(|s| parse_param("assignment_id", s))
            .transpose()?,
        status: nonempty(&q.status)
            .map(|s| {
                RunStatus::parse(s).ok_or_else(|| {
                    AppError::BadRequest(
                        "`status` is one of queued, running, succeeded, failed, cancelled".into(),
                    )
                })
            })
            .transpose()?,
        before: nonempty(&q.before)
            .map(|s| {
                parse_time(s).ok_or_else(|| {
                    AppError::BadRequest("`before` is an RFC 3339 time or a date".into())
                })
            })
            .transpose()?,
        after: nonempty(&q.cursor).map(parse_run_cursor).transpose()?,
        limit: clamp_limit(nonempty(&q.limit), 50, 200)?,
    };
    let now = state.now();
    let page = state
        .store
        .read(move |c| view::runs_page(c, &scope, &filter, now))
        .await?;
    Ok(Json(page))
}

async fn run(
    State(state): State<AppState>,
    scope: ViewScope,
    Path(id): Path<String>,
) -> Result<Json<RunDetail>, AppError> {
    let id = parse_id(&id)?;
    state
        .store
        .read(move |c| view::run(c, &scope, id))
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

async fn workspace(
    State(state): State<AppState>,
    scope: ViewScope,
) -> Result<Json<Workspace>, AppError> {
    state
        .store
        .read(move |c| view::workspace(c, &scope))
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}
