//! JSON bodies of the HTTP contract. Timestamps are RFC 3339 strings in UTC
//! (`2026-11-25T10:04:05Z`); the SPA renders them in the viewed user's time
//! zone with the browser's Intl.
//!
//! View types (assignments, runs, workspace, connections) have no secret
//! field at all: a connection secret cannot be serialized into a view
//! response because there is nowhere to put it.

use serde::{Deserialize, Serialize};

pub type Id = i64;
/// RFC 3339, UTC.
pub type Timestamp = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Partner,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyPolicy {
    /// The user is told about each session and sees it in their access history.
    Notify,
    /// Sessions are logged for auditors only.
    Silent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: Id,
    pub name: String,
    pub policy: NotifyPolicy,
}

/// `GET /api/me`, the `user` of a login, and the target of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org: Org,
    /// IANA time zone name, e.g. `Europe/Prague`.
    pub timezone: String,
}

/// Request bodies refuse fields they do not know (422 `unknown_field`), so
/// a client never believes something it sent was applied when it was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub user: User,
    pub expires_at: Timestamp,
}

/// A page of rows with an opaque cursor for the next one (`None`: last page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// One row of `GET /api/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSearchItem {
    #[serde(flatten)]
    pub user: User,
    pub disabled: bool,
    pub last_active: Option<Timestamp>,
    pub can_impersonate: bool,
    /// Why not, in words, when `can_impersonate` is false.
    pub not_allowed_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCategory {
    SupportRequest,
    DiagnoseIssue,
    Audit,
    Onboarding,
}

impl ReasonCategory {
    pub const ALL: [ReasonCategory; 4] = [
        ReasonCategory::SupportRequest,
        ReasonCategory::DiagnoseIssue,
        ReasonCategory::Audit,
        ReasonCategory::Onboarding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCategory::SupportRequest => "support_request",
            ReasonCategory::DiagnoseIssue => "diagnose_issue",
            ReasonCategory::Audit => "audit",
            ReasonCategory::Onboarding => "onboarding",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReasonCategory::SupportRequest => "Support request",
            ReasonCategory::DiagnoseIssue => "Diagnose an issue",
            ReasonCategory::Audit => "Audit",
            ReasonCategory::Onboarding => "Onboarding",
        }
    }

    pub fn parse(s: &str) -> Option<ReasonCategory> {
        ReasonCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// `POST /api/impersonations`. (`scope` is refused until it is enforced.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartImpersonation {
    pub user_id: Id,
    pub reason_category: ReasonCategory,
    pub reason: String,
    #[serde(default)]
    pub ticket: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Ended,
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Exit,
    Expiry,
    Idle,
    Revocation,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Exit => "exit",
            EndReason::Expiry => "expiry",
            EndReason::Idle => "idle",
            EndReason::Revocation => "revocation",
        }
    }
}

/// The impersonator, as shown on a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: Id,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: Id,
    pub session_id: Id,
    pub text: String,
    pub created_at: Timestamp,
}

/// `POST /api/impersonations/{id}/notes`. (`shared` is refused until
/// findings are shared.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// An impersonation session as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: Id,
    pub impersonator: Person,
    pub target: User,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub ticket: Option<String>,
    pub status: SessionStatus,
    pub started_at: Timestamp,
    /// The hard end: start + the configured maximum.
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<EndReason>,
    /// Seconds until the session ends by expiry or idleness, whichever is
    /// sooner, as of this response; 0 once ended. Lets the client count down
    /// without trusting its own clock against the server's.
    pub seconds_left: i64,
    /// Idle timeout in seconds (a view request resets it).
    pub idle_timeout_secs: i64,
    /// View requests answered 2xx during the session.
    pub pages_viewed: i64,
    pub notes: Vec<Note>,
}

/// `POST /api/impersonations/{id}/end`; the body is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndSession {
    /// Why it was ended, for the record.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `200` answer of `GET /api/impersonations/{id}` to a session's own token
/// shortly after the session ended: its state and nothing of its content.
/// (A full [`Session`] body also reads as this.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub id: Id,
    pub status: SessionStatus,
    pub end_reason: Option<EndReason>,
}

/// `201` answer of `POST /api/impersonations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartedImpersonation {
    pub session: Session,
    /// The impersonation token: good only for view routes, ending this
    /// session and adding notes to it.
    pub token: String,
}

/// `200` answer of `POST /api/impersonations/{id}/export`: the support
/// record of a session, with its notes and its audit events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionExport {
    pub session: Session,
    pub events: Vec<AuditEvent>,
}

/// `200` answer of `POST /api/admin/users/{id}/disable`, `…/enable` and
/// `…/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminChange {
    pub user: User,
    pub disabled: bool,
    /// Sessions this change ended (end reason `revocation`).
    pub sessions_ended: Vec<Id>,
}

/// `200` answer of the public `GET /api/config`: what the SPA must know
/// before anyone signs in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PublicConfig {
    /// Origins allowed to frame the console (CSP `frame-ancestors`, besides
    /// the console's own) and so the only ones it may post session messages
    /// to, e.g. `http://127.0.0.1:8090`.
    pub partner_origins: Vec<String>,
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Active,
    Paused,
    Draft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    Expired,
    Error,
}

/// A connection as a view shows it. Deliberately no secret field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: Id,
    pub kind: String,
    pub name: String,
    pub status: ConnectionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunBrief {
    pub id: Id,
    pub status: RunStatus,
    pub started_at: Timestamp,
}

/// A row of `GET /api/view/assignments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSummary {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub status: AssignmentStatus,
    /// Human schedule, e.g. "Every weekday at 07:00".
    pub schedule: String,
    pub last_run: Option<RunBrief>,
    pub connections: Vec<ConnectionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigEntry {
    pub key: String,
    pub value: String,
}

/// `GET /api/view/assignments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentDetail {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub instructions: String,
    pub status: AssignmentStatus,
    pub schedule: String,
    pub configuration: Vec<ConfigEntry>,
    pub connections: Vec<ConnectionView>,
    pub last_run: Option<RunBrief>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    Schedule,
    Manual,
    Api,
}

/// A row of `GET /api/view/runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: Id,
    pub assignment_id: Id,
    pub assignment_name: String,
    pub status: RunStatus,
    pub trigger: RunTrigger,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub duration_ms: Option<i64>,
    pub summary: Option<String>,
}

/// Succeeded and failed runs of one calendar day (UTC), for the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`
    pub day: String,
    pub succeeded: i64,
    pub failed: i64,
}

/// `GET /api/view/runs`: a page, newest first. `daily` (the last 30 days for
/// the same filter) comes with the first page only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunsPage {
    pub items: Vec<RunSummary>,
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub daily: Option<Vec<DayCount>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStep {
    pub position: i64,
    pub name: String,
    pub status: RunStatus,
    pub started_at: Option<Timestamp>,
    pub duration_ms: Option<i64>,
    pub output: String,
}

/// `GET /api/view/runs/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: RunSummary,
    pub steps: Vec<RunStep>,
    pub result: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: Id,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// `GET /api/view/workspace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub name: String,
    pub timezone: String,
    pub settings: Vec<ConfigEntry>,
    pub members: Vec<Member>,
    pub connections: Vec<ConnectionView>,
}

// ---------------------------------------------------------------- audit

/// A row of `GET /api/audit/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: Id,
    pub at: Timestamp,
    /// `session_started`, `session_ended`, `view`, `blocked`, `note`,
    /// `start_refused`, `revocation`, `export`, ...
    pub kind: String,
    pub actor_id: Option<Id>,
    pub subject_id: Option<Id>,
    pub session_id: Option<Id>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<i64>,
    pub detail: Option<String>,
    /// Hex sha256(previous hash ‖ canonical row).
    pub hash: String,
}

/// `GET /api/audit/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResult {
    pub ok: bool,
    pub events: i64,
    /// Id of the first row whose hash does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<Id>,
}

/// A row of `GET /api/me/access-history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessHistoryItem {
    pub session_id: Id,
    pub impersonator_name: String,
    pub impersonator_org: String,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_item_flattens_the_user() {
        let item = UserSearchItem {
            user: User {
                id: 1,
                name: "Alice".into(),
                email: "alice@acme.example".into(),
                role: Role::User,
                org: Org {
                    id: 2,
                    name: "Acme Logistics".into(),
                    policy: NotifyPolicy::Notify,
                },
                timezone: "Europe/Prague".into(),
            },
            disabled: false,
            last_active: None,
            can_impersonate: true,
            not_allowed_reason: None,
        };
        let v = serde_json::to_value(&item).unwrap();
        assert_eq!(v["email"], "alice@acme.example");
        assert_eq!(v["org"]["policy"], "notify");
        assert_eq!(v["role"], "user");
    }

    #[test]
    fn connection_view_has_no_secret_field() {
        let c = ConnectionView {
            id: 1,
            kind: "sftp".into(),
            name: "Warehouse".into(),
            status: ConnectionStatus::Connected,
        };
        let v = serde_json::to_value(&c).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "kind", "name", "status"]);
    }

    #[test]
    fn categories_round_trip() {
        for c in ReasonCategory::ALL {
            assert_eq!(ReasonCategory::parse(c.as_str()), Some(c));
            let s = serde_json::to_string(&c).unwrap();
            assert_eq!(s, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(ReasonCategory::parse("fun"), None);
    }
}
