//! The request guard (guarantee 2b of DESIGN.md): before any network call
//! made with the impersonation token, a session must be active and
//! unexpired, the method GET and the path one of viewas-api's view routes.

use viewas_api::{match_view, SessionStatus};

use super::Method;
use crate::session::SessionContext;

/// Why the request guard stopped a request before it left the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoSession,
    SessionEnded,
    SessionExpired,
    NotReadOnly(Method),
    NotAViewRoute(String),
}

/// `Ok` gives the impersonation token to send; an expired session found
/// here is ended on this client at once.
pub fn check_view(ctx: &SessionContext, method: Method, path: &str) -> Result<String, Refusal> {
    let Some(active) = ctx.active_untracked() else {
        return Err(if ctx.ended_untracked().is_some() {
            Refusal::SessionEnded
        } else {
            Refusal::NoSession
        });
    };
    if active.session.status != SessionStatus::Active || ctx.is_closing(active.session.id) {
        return Err(Refusal::SessionEnded);
    }
    if active.seconds_left_at(ctx.now_ms()) == 0 {
        ctx.end_local(active.expiry_cause(), None);
        return Err(Refusal::SessionExpired);
    }
    if method != Method::Get {
        return Err(Refusal::NotReadOnly(method));
    }
    if match_view(path).is_none() {
        return Err(Refusal::NotAViewRoute(
            path.split('?').next().unwrap_or_default().to_string(),
        ));
    }
    Ok(active.token)
}
