//! The one error shape of the HTTP contract:
//! `{"error": {"code": "<snake_case>", "message": "<for people>"}}`.

use serde::{Deserialize, Serialize};

/// Every error code the server may answer with. Unknown codes from a newer
/// server deserialize as [`ErrorCode::Other`] rather than failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    InvalidCredentials,
    Unauthorized,
    NotAllowed,
    NotFound,
    AlreadyImpersonating,
    InvalidReason,
    ReadOnly,
    SessionEnded,
    PayloadTooLarge,
    TooManyRequests,
    Internal,
    /// 422: a request body named a field the route does not know.
    UnknownField,
    #[serde(other)]
    Other,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyImpersonating => "already_impersonating",
            ErrorCode::InvalidReason => "invalid_reason",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Internal => "internal",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ErrorBody,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            error: ErrorBody {
                code,
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape_matches_the_contract() {
        let e = ApiError::new(ErrorCode::ReadOnly, "Viewing is read-only.");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["error"]["code"], "read_only");
        assert_eq!(v["error"]["message"], "Viewing is read-only.");
    }

    #[test]
    fn codes_serialize_as_their_str() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::InvalidCredentials,
            ErrorCode::NotAllowed,
            ErrorCode::AlreadyImpersonating,
            ErrorCode::InvalidReason,
            ErrorCode::ReadOnly,
            ErrorCode::SessionEnded,
        ] {
            let s = serde_json::to_string(&code).unwrap();
            assert_eq!(s, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn unknown_code_is_other() {
        let c: ErrorCode = serde_json::from_str("\"brand_new\"").unwrap();
        assert_eq!(c, ErrorCode::Other);
    }
}
