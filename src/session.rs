//! `SessionContext`: the signed-in administrator and the one active
//! impersonation (or none), and everything that ends it.
//!
//! It is the client's single source of truth (guarantee 3 of DESIGN.md).
//! It survives a reload of the same tab through sessionStorage and nothing
//! else: no token goes to localStorage or cookies.
//!
//! ```text
//! let ctx = SessionContext::expect();
//! if let Some(s) = ctx.active_untracked() { /* ... */ }
//! ```

use std::sync::Arc;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use viewas_api::{Id, Note, Session, SessionStatus, StartedImpersonation, User};
use wasm_bindgen::{closure::Closure, JsCast};

use crate::{
    embed, message, storage,
    time::{parse_ms, Clock, SystemClock},
};

/// The BroadcastChannel shared by all tabs of the console.
pub const CHANNEL: &str = "viewas";

/// `viewas.auth` in sessionStorage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthInfo {
    pub token: String,
    pub user: User,
}

/// `viewas.session` in sessionStorage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveSession {
    /// The impersonation token: view routes, notes and ending this session only.
    pub token: String,
    pub session: Session,
    /// Browser clock (ms since the epoch) at which the session reaches its
    /// maximum length. Derived from the server's own timestamps at start, so
    /// a skewed browser clock does not shorten or stretch it.
    /// Missing from a session saved by an older build: 0, and `restore`
    /// derives it again.
    #[serde(default)]
    pub deadline_ms: f64,
    /// Browser clock at which the session ends for idleness unless a view
    /// request comes first (each one moves it on). 0: no idle limit known.
    #[serde(default)]
    pub idle_deadline_ms: f64,
}

impl ActiveSession {
    pub fn from_started(started: StartedImpersonation, now_ms: f64) -> Self {
        let s = &started.session;
        let span = parse_ms(&s.expires_at) - parse_ms(&s.started_at);
        let span = if span.is_finite() && span > 0.0 {
            span
        } else {
            s.seconds_left.max(0) as f64 * 1000.0
        };
        let mut active = ActiveSession {
            token: started.token,
            session: started.session,
            deadline_ms: now_ms + span,
            idle_deadline_ms: 0.0,
        };
        active.touch(now_ms);
        active
    }

    /// A view request was answered at `now_ms`: the idle clock restarts.
    pub fn touch(&mut self, now_ms: f64) {
        let idle = self.session.idle_timeout_secs;
        self.idle_deadline_ms = if idle > 0 {
            now_ms + idle as f64 * 1000.0
        } else {
            0.0
        };
    }

    /// When the session ends if nothing happens: its maximum or its idle
    /// limit, whichever comes first (the server's `seconds_left` too).
    pub fn ends_at_ms(&self) -> f64 {
        if self.idle_deadline_ms > 0.0 {
            self.deadline_ms.min(self.idle_deadline_ms)
        } else {
            self.deadline_ms
        }
    }

    /// Why the session ends when its clock runs out.
    pub fn expiry_cause(&self) -> EndCause {
        if self.idle_deadline_ms > 0.0 && self.idle_deadline_ms < self.deadline_ms {
            EndCause::Idle
        } else {
            EndCause::Expired
        }
    }

    /// Whole seconds left at `now_ms`, never negative.
    pub fn seconds_left_at(&self, now_ms: f64) -> i64 {
        ((self.ends_at_ms() - now_ms) / 1000.0).ceil().max(0.0) as i64
    }
}

/// Why the client left a session: the words of the summary page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    /// Exit in this tab.
    Exit,
    /// The countdown reached the session's maximum length.
    Expired,
    /// The countdown reached the idle limit (no view request for a while).
    Idle,
    /// The server answered 401 `session_ended`.
    EndedByServer,
    /// Another tab exited (BroadcastChannel).
    OtherTab,
}

impl EndCause {
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::Exit => "exit",
            EndCause::Expired => "expiry",
            EndCause::Idle => "idle",
            EndCause::EndedByServer => "ended_by_server",
            EndCause::OtherTab => "exit",
        }
    }
}

/// The session just left, kept for the summary page.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedSession {
    pub session: Session,
    pub cause: EndCause,
    pub at_ms: f64,
}

/// What another tab is told: `{"type":"session_ended","session_id":N}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMessage {
    #[serde(rename = "type")]
    pub kind: String,
    pub session_id: Id,
}

#[derive(Clone, Copy)]
pub struct SessionContext {
    auth: RwSignal<Option<AuthInfo>>,
    active: RwSignal<Option<ActiveSession>>,
    ended: RwSignal<Option<EndedSession>>,
    now: RwSignal<f64>,
    is_active: Memo<bool>,
    secs_left: Memo<i64>,
    /// The session whose Exit is on its way to the server. From the click
    /// on, no view request leaves for it: a page still loading would
    /// otherwise ask with a token the server is about to end.
    closing: StoredValue<Option<Id>>,
    clock: StoredValue<Arc<dyn Clock>>,
}

impl SessionContext {
    /// Restores from sessionStorage and provides the context, with the
    /// browser's clock, expiry watch and BroadcastChannel listener, to the
    /// current owner. All of them stop when the owner is cleaned up.
    pub fn provide() -> Self {
        Self::provide_with_clock(Arc::new(SystemClock))
    }

    /// [`Self::provide`] counting down by `clock` (tests: a
    /// [`crate::time::ManualClock`]).
    pub fn provide_with_clock(clock: Arc<dyn Clock>) -> Self {
        let ctx = Self::restore_with_clock(clock.clone());
        provide_context(ctx);
        clock.on_tick(Arc::new(move || {
            ctx.now.try_set(ctx.now_ms());
        }));
        ctx.listen_to_other_tabs();
        // The countdown reaching zero ends the session (no request needed:
        // the server's token dies by itself at the same moment).
        Effect::new(move |_| {
            if ctx.is_active.get() && ctx.seconds_left().get() == 0 {
                let cause = ctx
                    .active
                    .with_untracked(|a| a.as_ref().map(ActiveSession::expiry_cause));
                ctx.end_local(cause.unwrap_or(EndCause::Expired), None);
            }
        });
        ctx
    }

    /// The context without its ticking and listeners, from sessionStorage.
    pub fn restore() -> Self {
        Self::restore_with_clock(Arc::new(SystemClock))
    }

    fn restore_with_clock(clock: Arc<dyn Clock>) -> Self {
        let auth = RwSignal::new(storage::read::<AuthInfo>(storage::AUTH_KEY));
        let mut restored = storage::read::<ActiveSession>(storage::SESSION_KEY);
        if let Some(a) = restored.as_mut() {
            if a.deadline_ms <= 0.0 || !a.deadline_ms.is_finite() {
                a.deadline_ms = parse_ms(&a.session.expires_at);
            }
            if a.session.status != SessionStatus::Active || !a.deadline_ms.is_finite() {
                storage::remove(storage::SESSION_KEY);
                restored = None;
            }
        }
        let active = RwSignal::new(restored);
        let is_active = Memo::new(move |_| active.with(Option::is_some));
        let now = RwSignal::new(clock.now_ms());
        let secs_left = Memo::new(move |_| {
            let now = now.get();
            active.with(|a| a.as_ref().map_or(0, |a| a.seconds_left_at(now)))
        });
        SessionContext {
            auth,
            active,
            ended: RwSignal::new(None),
            now,
            is_active,
            secs_left,
            closing: StoredValue::new(None),
            clock: StoredValue::new(clock),
        }
    }

    pub fn expect() -> Self {
        expect_context::<SessionContext>()
    }

    /// The time by this context's clock (ms since the epoch).
    pub fn now_ms(&self) -> f64 {
        self.clock
            .try_with_value(|c| c.now_ms())
            .unwrap_or_else(crate::time::now_ms)
    }

    fn listen_to_other_tabs(self) {
        let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
            return;
        };
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(msg) = message::from_js::<ChannelMessage>(&ev.data()) else {
                    return;
                };
                if msg.kind != "session_ended" {
                    return;
                }
                let ours = self
                    .active
                    .try_with_untracked(|a| a.as_ref().map(|a| a.session.id))
                    .flatten();
                if ours == Some(msg.session_id) {
                    self.end_local(EndCause::OtherTab, None);
                }
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let stored = StoredValue::new_local(Some(Listener {
            channel,
            _on_message: on_message,
        }));
        on_cleanup(move || {
            stored.try_update_value(|l| l.take());
        });
    }

    // ------------------------------------------------------------ reading

    pub fn auth(&self) -> Option<AuthInfo> {
        self.auth.get()
    }

    pub fn auth_untracked(&self) -> Option<AuthInfo> {
        self.auth.get_untracked()
    }

    pub fn is_signed_in(&self) -> bool {
        self.auth.with(Option::is_some)
    }

    /// Tracks only whether a session is active, not its contents.
    pub fn is_active(&self) -> bool {
        self.is_active.get()
    }

    pub fn active(&self) -> Option<ActiveSession> {
        self.active.get()
    }

    pub fn active_untracked(&self) -> Option<ActiveSession> {
        self.active.get_untracked()
    }

    /// Reads the active session without cloning it.
    pub fn with_active<R>(&self, f: impl FnOnce(Option<&ActiveSession>) -> R) -> R {
        self.active.with(|a| f(a.as_ref()))
    }

    /// The user being viewed, read once (pages use it for names and zones).
    pub fn target_untracked(&self) -> Option<User> {
        self.active
            .with_untracked(|a| a.as_ref().map(|a| a.session.target.clone()))
    }

    pub fn ended(&self) -> Option<EndedSession> {
        self.ended.get()
    }

    pub fn ended_untracked(&self) -> Option<EndedSession> {
        self.ended.get_untracked()
    }

    /// Seconds left in the active session by the ticking clock (0 without one).
    pub fn seconds_left(&self) -> Signal<i64> {
        self.secs_left.into()
    }

    // ------------------------------------------------------------ changing

    pub fn sign_in(&self, auth: AuthInfo) {
        storage::write(storage::AUTH_KEY, &auth);
        self.auth.set(Some(auth));
    }

    /// Forgets the administrator's token (after logout or a 401).
    pub fn sign_out_local(&self) {
        storage::remove(storage::AUTH_KEY);
        self.auth.try_set(None);
    }

    /// A session the server just started becomes the active one.
    pub fn start(&self, started: StartedImpersonation) {
        let now = self.now_ms();
        let active = ActiveSession::from_started(started, now);
        storage::write(storage::SESSION_KEY, &active);
        embed::notify_parent(
            embed::STARTED,
            active.session.id,
            active.session.reason_category.as_str(),
        );
        self.ended.set(None);
        self.now.set(now);
        self.active.set(Some(active));
    }

    /// Exit of the active session has begun: view requests for it are
    /// refused from now on, whatever the server answers ([`Self::end_local`]
    /// follows in every case).
    pub fn begin_exit(&self) {
        let id = self
            .active
            .with_untracked(|a| a.as_ref().map(|a| a.session.id));
        self.closing.try_set_value(id);
    }

    /// Whether Exit of session `id` has begun in this tab.
    pub fn is_closing(&self, id: Id) -> bool {
        self.closing.try_get_value().flatten() == Some(id)
    }

    /// Adds a note saved on the server to the active session.
    pub fn push_note(&self, note: Note) {
        self.update_active(|a| {
            if !a.session.notes.iter().any(|n| n.id == note.id) {
                a.session.notes.push(note);
            }
        });
    }

    /// Counts a view page answered by the server (the summary's fallback when
    /// the server cannot be asked) and restarts the idle clock, as the server
    /// does.
    pub fn count_page_view(&self) {
        let now = self.now_ms();
        self.now.try_set(now);
        self.update_active(|a| {
            a.session.pages_viewed += 1;
            a.touch(now);
        });
    }

    fn update_active(&self, f: impl FnOnce(&mut ActiveSession)) {
        let mut changed = None;
        self.active.try_update(|a| {
            if let Some(a) = a.as_mut() {
                f(a);
                changed = Some(a.clone());
            }
        });
        if let Some(a) = changed {
            storage::write(storage::SESSION_KEY, &a);
        }
    }

    /// Leaves the active session on this client: clears storage and the
    /// context, tells other tabs (unless they told us) and the embedding
    /// portal. Needs no network, so it cannot fail; calling it without an
    /// active session does nothing. `server` is the session as the server
    /// answered when it ended it, if it did.
    pub fn end_local(&self, cause: EndCause, server: Option<Session>) {
        let Some(Some(active)) = self.active.try_get_untracked() else {
            return;
        };
        storage::remove(storage::SESSION_KEY);
        let id = active.session.id;
        let mut session = server.unwrap_or(active.session);
        // In the order they were written.
        session.notes.sort_by_key(|n| n.id);
        session.status = SessionStatus::Ended;
        self.ended.try_set(Some(EndedSession {
            session,
            cause,
            at_ms: self.now_ms(),
        }));
        self.active.try_set(None);
        if cause != EndCause::OtherTab {
            broadcast_ended(id);
        }
        embed::notify_parent(embed::ENDED, id, cause.as_str());
    }
}

struct Listener {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Tells every other tab of this origin that session `id` is over.
pub fn broadcast_ended(id: Id) {
    let msg = ChannelMessage {
        kind: "session_ended".into(),
        session_id: id,
    };
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
        return;
    };
    let Some(value) = message::to_js(&msg) else {
        return;
    };
    let _ = channel.post_message(&value);
    channel.close();
}
