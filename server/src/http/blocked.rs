//! Writes tried with an impersonation token outside `/api/view/*` (the view
//! gate in `view.rs` covers those): DESIGN 2(c) and 4 want every such
//! attempt refused and on the record.
//!
//! An impersonation token may write two things only: its session's end and
//! its notes. Any other non-GET request carrying one still reaches its route,
//! so each route answers with its contract code (403 `not_allowed` for the
//! administrators' routes); a path or method the API does not have answers
//! 403 `read_only` instead of 404/405. Every refusal then gets a `blocked`
//! audit row before it is sent, as a view does. A dead token (its session
//! ended, or the token revoked or expired) is not recorded (as for its
//! views): the routes answer it as they answer any dead token.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use viewas_api::routes::is_view_path;

use super::extractor::{resolve, Caller};
use super::{view, web, AppError, AppState};

const LOGIN: &str = "/api/auth/login";

pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // A sign-in reads no token: one left in its header changes nothing.
    let sign_in = req.method() == Method::POST && path == LOGIN;
    // HEAD is a read: axum answers it with the GET route, without a body.
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    if read || !web::is_api_path(path) || is_view_path(path) || sign_in {
        return next.run(req).await;
    }
    // Only requests bearing a live impersonation token are of interest;
    // anything else (dead tokens too) is the routes' business alone.
    let Ok(Caller::Impersonation {
        impersonator,
        session,
        ..
    }) = resolve(&state, req.headers()).await
    else {
        return next.run(req).await;
    };
    let session_control = is_session_control(req.method(), path);
    let base = view::request_record(&state, &req, impersonator.id, &session);

    let res = next.run(req).await;
    let status = res.status();
    if session_control && status != StatusCode::FORBIDDEN {
        // An end, a note (each on the record already), or a refusal that
        // is not an attempt (a session that has ended, a note too long).
        return res;
    }
    if status.is_success() {
        // A write route that let an impersonation token through: a bug the
        // read-only property test exists to catch. Keep it on the record.
        tracing::error!(path = %base.path, "an impersonation token's write was answered {status}");
    }
    let res = if !session_control
        && matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
        AppError::ReadOnly.into_response()
    } else {
        res
    };
    match view::commit_record(&state, &base, res.status().as_u16(), "blocked").await {
        Ok(()) => {
            tracing::warn!(session = session.id, "blocked a write during impersonation");
            res
        }
        // Not on the record, or the session ended meanwhile (401).
        Err(e) => e.into_response(),
    }
}

/// `POST /api/impersonations/{id}/end` and `…/notes`: what an impersonation
/// token may write (for its own session; the routes check which).
fn is_session_control(method: &Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/impersonations/") else {
        return false;
    };
    let Some((id, action)) = rest.split_once('/') else {
        return false;
    };
    method == Method::POST
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && matches!(action, "end" | "notes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sessions_end_and_notes_are_session_control() {
        let post = Method::POST;
        assert!(is_session_control(&post, "/api/impersonations/12/end"));
        assert!(is_session_control(&post, "/api/impersonations/3/notes"));
        assert!(!is_session_control(
            &Method::PUT,
            "/api/impersonations/3/notes"
        ));
        assert!(!is_session_control(&post, "/api/impersonations/3/export"));
        assert!(!is_session_control(&post, "/api/impersonations//end"));
        assert!(!is_session_control(&post, "/api/impersonations/x/end"));
        assert!(!is_session_control(&post, "/api/impersonations/3/end/"));
        assert!(!is_session_control(&post, "/api/impersonations"));
        assert!(!is_session_control(&post, "/api/admin/users/3/disable"));
    }
}
