//! JSON in and out of the console through the browser's own `JSON` object.
//!
//! serde_json and the serde derives cost about 90 KB of the wasm (issue 6):
//! every type got its own monomorphized parser. Here the browser parses, and
//! each wire type lists its fields once in [`json_struct!`]; decoding a field
//! is a property lookup. A missing or mistyped required field makes the whole
//! value fail to decode (`None`), as serde would; `Option` fields accept
//! `null` or absence.

use js_sys::{Array, Object, Reflect, JSON};
use viewas_api::{
    ApiError, AssignmentDetail, AssignmentStatus, AssignmentSummary, AuditEvent, ConfigEntry,
    ConnectionStatus, ConnectionView, DayCount, EndReason, ErrorBody, ErrorCode, LoginRequest,
    LoginResponse, Member, NewNote, Note, NotifyPolicy, Org, Page, Person, PublicConfig,
    ReasonCategory, Role, RunBrief, RunDetail, RunStatus, RunStep, RunSummary, RunTrigger,
    RunsPage, Session, SessionStatus, StartImpersonation, StartedImpersonation, User,
    UserSearchItem, VerifyResult, Workspace,
};
use wasm_bindgen::JsValue;

/// A value that can be read from parsed JSON.
pub trait FromJson: Sized {
    fn from_json(v: &JsValue) -> Option<Self>;
}

/// A value that can be written as JSON.
pub trait ToJson {
    fn to_json(&self) -> JsValue;
}

/// Parses JSON text; `None` when it is not JSON.
pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

/// Parses and decodes JSON text.
pub fn from_str<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&parse(text)?)
}

/// JSON text of a value (compact).
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> String {
    stringify(&value.to_json())
}

/// JSON text of a parsed value; empty if the browser refuses (a cycle).
pub fn stringify(v: &JsValue) -> String {
    JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// JSON text indented by two spaces, for files people read.
pub fn to_string_pretty<T: ToJson + ?Sized>(value: &T) -> String {
    JSON::stringify_with_replacer_and_space(&value.to_json(), &JsValue::NULL, &JsValue::from(2))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// `v[key]`, or `undefined` when `v` is not an object.
pub fn field(v: &JsValue, key: &str) -> JsValue {
    if !v.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `o[key] = value` on an object made here (cannot throw).
pub fn set(o: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &value);
}

impl FromJson for String {
    fn from_json(v: &JsValue) -> Option<Self> {
        v.as_string()
    }
}

impl ToJson for String {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl ToJson for str {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> JsValue {
        (**self).to_json()
    }
}

impl FromJson for i64 {
    fn from_json(v: &JsValue) -> Option<Self> {
        // JSON numbers arrive as f64; ids and counts are whole and well
        // inside 2^53.
        let n = v.as_f64()?;
        (n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0).then_some(n as i64)
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> JsValue {
        JsValue::from_f64(*self as f64)
    }
}

impl FromJson for f64 {
    fn from_json(v: &JsValue) -> Option<Self> {
        v.as_f64()
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> JsValue {
        JsValue::from_f64(*self)
    }
}

impl FromJson for bool {
    fn from_json(v: &JsValue) -> Option<Self> {
        v.as_bool()
    }
}

impl ToJson for bool {
    fn to_json(&self) -> JsValue {
        JsValue::from_bool(*self)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: &JsValue) -> Option<Self> {
        if v.is_null() || v.is_undefined() {
            Some(None)
        } else {
            T::from_json(v).map(Some)
        }
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> JsValue {
        match self {
            Some(x) => x.to_json(),
            None => JsValue::NULL,
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &JsValue) -> Option<Self> {
        if !Array::is_array(v) {
            return None;
        }
        // A plain loop: `collect::<Option<Vec<_>>>` costs more code per type.
        let array = Array::from(v);
        let mut out = Vec::with_capacity(array.length() as usize);
        for x in array.iter() {
            out.push(T::from_json(&x)?);
        }
        Some(out)
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> JsValue {
        self.iter().map(|x| x.to_json()).collect::<Array>().into()
    }
}

impl FromJson for JsValue {
    fn from_json(v: &JsValue) -> Option<Self> {
        Some(v.clone())
    }
}

/// The JSON key of a field: its name, or the word after `as`.
#[doc(hidden)]
#[macro_export]
macro_rules! json_key {
    ($f:ident) => {
        stringify!($f)
    };
    ($f:ident $k:literal) => {
        $k
    };
}

/// `FromJson` for a struct from its fields: `Name { a, b as "type" }`
/// reads `a` and `type`. `Name { ..inner, c }` reads `inner` from the
/// same object as `c` (serde's `#[serde(flatten)]`).
#[macro_export]
macro_rules! json_from {
    ($t:ty { $(..$inner:ident,)? $($f:ident $(as $k:literal)?),* $(,)? }) => {
        impl $crate::json::FromJson for $t {
            fn from_json(v: &::wasm_bindgen::JsValue) -> Option<Self> {
                Some(Self {
                    $($inner: $crate::json::FromJson::from_json(v)?,)?
                    $($f: $crate::json::FromJson::from_json(
                        &$crate::json::field(v, $crate::json_key!($f $($k)?)),
                    )?,)*
                })
            }
        }
    };
}

/// `ToJson` for a struct from its fields, keys as in [`json_from!`].
#[macro_export]
macro_rules! json_to {
    ($t:ty { $($f:ident $(as $k:literal)?),* $(,)? }) => {
        impl $crate::json::ToJson for $t {
            fn to_json(&self) -> ::wasm_bindgen::JsValue {
                let o = ::js_sys::Object::new();
                $($crate::json::set(
                    &o,
                    $crate::json_key!($f $($k)?),
                    $crate::json::ToJson::to_json(&self.$f),
                );)*
                o.into()
            }
        }
    };
}

/// Both [`json_from!`] and [`json_to!`].
#[macro_export]
macro_rules! json_struct {
    ($t:ty { $($body:tt)* }) => {
        $crate::json_from!($t { $($body)* });
        $crate::json_to!($t { $($body)* });
    };
}

/// `FromJson` and `ToJson` for a unit enum from its snake_case words.
macro_rules! json_enum {
    ($t:ident { $($v:ident = $s:literal),* $(,)? }) => {
        impl FromJson for $t {
            fn from_json(v: &JsValue) -> Option<Self> {
                match v.as_string()?.as_str() {
                    $($s => Some($t::$v),)*
                    _ => None,
                }
            }
        }
        impl ToJson for $t {
            fn to_json(&self) -> JsValue {
                JsValue::from_str(match self { $($t::$v => $s,)* })
            }
        }
    };
}

json_enum!(Role { Admin = "admin", Partner = "partner", User = "user" });
json_enum!(NotifyPolicy { Notify = "notify", Silent = "silent" });
json_enum!(ReasonCategory {
    SupportRequest = "support_request",
    DiagnoseIssue = "diagnose_issue",
    Audit = "audit",
    Onboarding = "onboarding",
});
json_enum!(SessionStatus { Active = "active", Ended = "ended" });
json_enum!(EndReason {
    Exit = "exit",
    Expiry = "expiry",
    Idle = "idle",
    Revocation = "revocation",
});
json_enum!(AssignmentStatus { Active = "active", Paused = "paused", Draft = "draft" });
json_enum!(RunStatus {
    Queued = "queued",
    Running = "running",
    Succeeded = "succeeded",
    Failed = "failed",
    Cancelled = "cancelled",
});
json_enum!(ConnectionStatus { Connected = "connected", Expired = "expired", Error = "error" });
json_enum!(RunTrigger { Schedule = "schedule", Manual = "manual", Api = "api" });

impl FromJson for ErrorCode {
    // An unknown code is still an error: it reads as `Other`.
    fn from_json(v: &JsValue) -> Option<Self> {
        let s = v.as_string()?;
        Some(
            [
                ErrorCode::BadRequest,
                ErrorCode::InvalidCredentials,
                ErrorCode::Unauthorized,
                ErrorCode::NotAllowed,
                ErrorCode::NotFound,
                ErrorCode::AlreadyImpersonating,
                ErrorCode::InvalidReason,
                ErrorCode::ReadOnly,
                ErrorCode::SessionEnded,
                ErrorCode::PayloadTooLarge,
                ErrorCode::TooManyRequests,
                ErrorCode::Internal,
            ]
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(ErrorCode::Other),
        )
    }
}

impl ToJson for ErrorCode {
    fn to_json(&self) -> JsValue {
        JsValue::from_str(self.as_str())
    }
}

json_struct!(Org { id, name, policy });
json_struct!(User {
    id,
    name,
    email,
    role,
    org,
    timezone
});
json_struct!(LoginRequest { email, password });
json_struct!(LoginResponse {
    token,
    user,
    expires_at
});
json_struct!(Person {
    id,
    name,
    email,
    role,
    org_name
});
json_struct!(Note {
    id,
    session_id,
    text,
    created_at
});
json_struct!(NewNote { text });
json_struct!(StartImpersonation {
    user_id,
    reason_category,
    reason,
    ticket
});
json_struct!(Session {
    id,
    impersonator,
    target,
    reason_category,
    reason,
    ticket,
    status,
    started_at,
    expires_at,
    ended_at,
    end_reason,
    seconds_left,
    idle_timeout_secs,
    pages_viewed,
    notes,
});
json_struct!(StartedImpersonation { session, token });
json_struct!(PublicConfig { partner_origins });
json_struct!(ConnectionView {
    id,
    kind,
    name,
    status
});
json_struct!(RunBrief {
    id,
    status,
    started_at
});
json_struct!(AssignmentSummary {
    id,
    name,
    description,
    status,
    schedule,
    last_run,
    connections
});
json_struct!(ConfigEntry { key, value });
json_struct!(AssignmentDetail {
    id,
    name,
    description,
    instructions,
    status,
    schedule,
    configuration,
    connections,
    last_run,
    created_at,
});
json_struct!(RunSummary {
    id,
    assignment_id,
    assignment_name,
    status,
    trigger,
    started_at,
    finished_at,
    duration_ms,
    summary,
});
json_struct!(DayCount {
    day,
    succeeded,
    failed
});
json_struct!(RunsPage {
    items,
    next_cursor,
    daily
});
json_struct!(RunStep {
    position,
    name,
    status,
    started_at,
    duration_ms,
    output
});
json_struct!(Member {
    id,
    name,
    email,
    role
});
json_struct!(Workspace {
    name,
    timezone,
    settings,
    members,
    connections
});
json_struct!(AuditEvent {
    id,
    at,
    kind,
    actor_id,
    subject_id,
    session_id,
    method,
    path,
    status,
    detail,
    hash,
});
json_struct!(VerifyResult {
    ok,
    events,
    first_bad
});
json_struct!(ErrorBody { code, message });
json_struct!(ApiError { error });

impl<T: FromJson> FromJson for Page<T> {
    fn from_json(v: &JsValue) -> Option<Self> {
        Some(Page {
            items: FromJson::from_json(&field(v, "items"))?,
            next_cursor: FromJson::from_json(&field(v, "next_cursor"))?,
        })
    }
}

// The two flattened types: the inner struct's fields sit beside their own.
json_from!(UserSearchItem {
    ..user,
    disabled,
    last_active,
    can_impersonate,
    not_allowed_reason,
});
json_from!(RunDetail { ..run, steps, result, error });
