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
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
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
    let (path, detail) = audit_target(req.uri());
    ViewRecord {
        session_id: session.id,
        actor_id: impersonator_id,
        target_id: session.target_id,
        now: state.now(),
        method: bounded(req.method().as_str(), METHOD_MAX).to_string(),
        path,
        detail,
        status: 0,
    }
}

/// Longest path (with the query parameters kept) an audit row stores, in
/// bytes. The trail is append-only: nobody may prune what a client bloats.
pub const AUDIT_PATH_MAX: usize = 512;
/// Longest method an audit row stores (extension methods are free text).
const METHOD_MAX: usize = 32;

/// What an audit row says of a request's target: its path with only the
/// query parameters its route reads (view routes: the table's `query`),
/// at most [`AUDIT_PATH_MAX`] bytes. When that is not the whole target, the
/// row's detail holds the whole one's length and sha256, so a request
/// logged elsewhere in full can still be matched to its row.
fn audit_target(uri: &Uri) -> (String, Option<String>) {
    let whole = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| uri.path());
    let known = match_view(uri.path()).map_or(&[][..], |m| m.route.query);
    let raw_pairs: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .collect();
    // Keys compared decoded (as the handler reads them), kept as sent.
    let decoded = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let kept: Vec<&str> = if decoded.len() == raw_pairs.len() {
        raw_pairs
            .iter()
            .zip(&decoded)
            .filter(|(_, (k, _))| known.contains(&k.as_str()))
            .map(|(raw, _)| *raw)
            .collect()
    } else {
        Vec::new()
    };
    let mut stored = uri.path().to_string();
    if !kept.is_empty() {
        stored.push('?');
        stored.push_str(&kept.join("&"));
    }
    let stored = bounded(&stored, AUDIT_PATH_MAX).to_string();
    let detail = (stored != whole).then(|| {
        serde_json::json!({
            "uri_bytes": whole.len(),
            "uri_sha256": hex::encode(Sha256::digest(whole.as_bytes())),
        })
        .to_string()
    });
    (stored, detail)
}

/// The longest prefix of `s` of at most `max` bytes, cut at a character.
fn bounded(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Commits `base`'s audit row (`kind` `view` or `blocked`) for an answer
/// with `status`, before that answer is sent. The writer checks the session
/// again in the row's transaction: if it ended since the gate (an Exit or a
/// revocation committed meanwhile), the row records a 401 and this is
/// `Err(SessionEnded)`, so nothing prepared is sent. Blocked attempts over
/// the session's limit are `Err(TooManyBlocked)` (see `record_view`).
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
        Recorded::Throttled { retry_after } => Err(AppError::TooManyBlocked { retry_after }),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> (String, Option<String>) {
        audit_target(&uri.parse::<Uri>().unwrap())
    }

    #[test]
    fn the_trail_keeps_the_parameters_a_route_reads() {
        assert_eq!(
            target("/api/view/runs?status=failed&limit=5"),
            ("/api/view/runs?status=failed&limit=5".to_string(), None)
        );
        assert_eq!(target("/api/view/workspace").1, None);
        let (path, detail) = target("/api/view/runs?x=1&st%61tus=failed&&limit");
        assert_eq!(path, "/api/view/runs?st%61tus=failed&limit");
        assert!(detail.unwrap().contains("uri_sha256"));
        // Routes that read no query, and paths outside the table, keep none.
        assert_eq!(
            target("/api/view/workspace?status=x").0,
            "/api/view/workspace"
        );
        assert_eq!(target("/api/users?q=x").0, "/api/users");
    }

    #[test]
    fn long_targets_are_cut_with_a_hash_of_the_whole() {
        let long = format!("/api/view/{}", "é".repeat(600));
        let (path, detail) = target(&format!("/api/view/{}", "a".repeat(2000)));
        assert_eq!(path.len(), AUDIT_PATH_MAX);
        let detail: serde_json::Value = serde_json::from_str(&detail.unwrap()).unwrap();
        assert_eq!(detail["uri_bytes"], 2010);
        assert_eq!(detail["uri_sha256"].as_str().unwrap().len(), 64);
        assert!(bounded(&long, AUDIT_PATH_MAX).len() <= AUDIT_PATH_MAX);
        assert_eq!(bounded("aé", 2), "a");
    }
}
