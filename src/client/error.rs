//! What can go wrong with a request, in words a user can act on.

use std::fmt;

use viewas_api::ErrorCode;

use super::{guard::Refusal, Method};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErr {
    /// Stopped by the request guard; nothing was sent.
    Refused(Refusal),
    Unreachable,
    Timeout,
    /// The server answered with an error.
    Server {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// The server answered something this console cannot read.
    BadAnswer(u16),
    /// The client is not signed in.
    SignedOut,
}

pub type ApiResult<T> = Result<T, ApiErr>;

impl ApiErr {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiErr::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiErr::Server { status, .. } | ApiErr::BadAnswer(status) => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again might help (a Retry button makes sense).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiErr::Unreachable | ApiErr::Timeout | ApiErr::BadAnswer(_) => true,
            ApiErr::Server { status, code, .. } => {
                *status >= 500 || *code == ErrorCode::TooManyRequests
            }
            ApiErr::Refused(_) | ApiErr::SignedOut => false,
        }
    }
}

impl fmt::Display for ApiErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErr::Refused(Refusal::NoSession) => {
                f.write_str("No impersonation session is active, so nothing was requested.")
            }
            ApiErr::Refused(Refusal::SessionEnded) => {
                f.write_str("This session has ended, so nothing was requested.")
            }
            ApiErr::Refused(Refusal::SessionExpired) => f.write_str(
                "This session has expired, so nothing was requested. Start a new session to keep viewing.",
            ),
            ApiErr::Refused(Refusal::NotReadOnly(m)) => write!(
                f,
                "Viewing is read-only: a {} request was stopped before it left the browser.",
                Method::as_str(*m)
            ),
            ApiErr::Refused(Refusal::NotAViewRoute(p)) => write!(
                f,
                "{p} is not a page that can be viewed during a session; the request was stopped."
            ),
            ApiErr::Unreachable => f.write_str(
                "The server could not be reached. Check the connection, then retry.",
            ),
            ApiErr::Timeout => f.write_str("The server took too long to answer. Retry in a moment."),
            ApiErr::Server {
                status, message, ..
            } => {
                if message.trim().is_empty() {
                    write!(f, "The server refused the request (HTTP {status}).")
                } else {
                    f.write_str(message)
                }
            }
            ApiErr::BadAnswer(status) => write!(
                f,
                "The server's answer (HTTP {status}) could not be read. Retry, or reload the page."
            ),
            ApiErr::SignedOut => f.write_str("You are signed out. Sign in again to continue."),
        }
    }
}

impl std::error::Error for ApiErr {}
