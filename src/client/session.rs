//! The calls of an active session outside the view guard: Exit, asking
//! whether the session still stands, and notes. Each carries the session's
//! own token; the server's route table lets a session do these and nothing
//! else beyond its views.

use viewas_api::{EndReason, Id, NewNote, Note, Session, SessionState, SessionStatus};

use super::{admin_path, ApiClient, ApiErr, ApiResult, Cred, Method, Refusal};
use crate::session::EndCause;

impl ApiClient {
    fn session_cred(&self) -> ApiResult<(Id, String)> {
        self.ctx
            .active_untracked()
            .map(|a| (a.session.id, a.token))
            .ok_or(ApiErr::Refused(Refusal::NoSession))
    }

    /// Exit: no view request leaves for the session from now on, the
    /// server is told, and this client leaves the session whatever the
    /// server says or if it cannot be reached (fail closed). Without the
    /// server's record the summary says the server was not told and offers
    /// to end the session there again.
    pub async fn exit(&self) {
        self.ctx.begin_exit();
        let ended = match self.end_session().await {
            Ok(s) => Some(s),
            // Already ended on the server (elsewhere, or by it): its token
            // is dead, and the server needs telling nothing.
            Err(ApiErr::Server { status: 401, .. }) => {
                self.ctx.active_untracked().map(|a| a.session)
            }
            Err(_) => None,
        };
        self.ctx.end_local(EndCause::Exit, ended);
    }

    /// Ends the active session on the server with its own token.
    pub async fn end_session(&self) -> ApiResult<Session> {
        let (id, token) = self.session_cred()?;
        self.send(
            Method::Post,
            format!("/api/impersonations/{id}/end"),
            Cred::Session,
            Some(token),
            None,
        )
        .await
    }

    /// Asks the server whether the active session still stands, with the
    /// session's own token. Like Exit and notes, this is a session-control
    /// call outside the view guard (the server's route table lets a session
    /// read itself); it only reads the session: not a page view, so it
    /// neither counts nor keeps the session from idling out. A session the
    /// server has ended (an administrator revoked it, its impersonator was
    /// disabled, it idled out there) ends here too, with the server's record;
    /// no answer at all changes nothing (the countdown still runs).
    pub async fn check_session(&self) {
        let Some(active) = self.ctx.active_untracked() else {
            return;
        };
        if active.seconds_left_at(self.ctx.now_ms()) == 0 {
            return; // the countdown ends it, without a request
        }
        let (id, token) = (active.session.id, active.token);
        let answer = self
            // An ended session's own token gets only its state (for a
            // short while, then 401), so that is all this decodes.
            .send::<SessionState>(
                Method::Get,
                admin_path::session(id),
                Cred::Session,
                Some(token),
                None,
            )
            .await;
        // The answer may arrive after an Exit and a new start: it speaks of
        // session `id` only.
        let still_ours = self.ctx.active_untracked().map(|a| a.session.id) == Some(id);
        match answer {
            Ok(s) if still_ours && s.status == SessionStatus::Ended => {
                // An Exit of this tab may be on its way: the partner portal is
                // then told "exit", as the server's record says.
                let cause = match s.end_reason {
                    Some(EndReason::Exit) => EndCause::Exit,
                    Some(EndReason::Expiry) => EndCause::Expired,
                    Some(EndReason::Idle) => EndCause::Idle,
                    Some(EndReason::Revocation) | None => EndCause::EndedByServer,
                };
                let record = self.ctx.active_untracked().map(|a| Session {
                    end_reason: s.end_reason,
                    ..a.session
                });
                self.ctx.end_local(cause, record);
            }
            Err(ApiErr::Server { status: 401, .. }) if still_ours => {
                self.ctx.end_local(EndCause::EndedByServer, None);
            }
            _ => {}
        }
    }

    pub async fn add_note(&self, text: &str) -> ApiResult<Note> {
        let (id, token) = self.session_cred()?;
        let body = Self::json(&NewNote {
            text: text.to_string(),
        });
        self.send(
            Method::Post,
            format!("/api/impersonations/{id}/notes"),
            Cred::Session,
            Some(token),
            body,
        )
        .await
    }
}
