//! The contract between the viewas SPA and its server: wire types (serde) and
//! the route table. Both sides import this crate, so the list of view routes
//! and the rule that they are GET-only live in exactly one place.

pub mod error;
pub mod reason;
pub mod routes;
pub mod types;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use reason::{validate_reason, ReasonError, REASON_MIN_CHARS, TICKET_MAX_CHARS};
pub use routes::{match_view, ViewMatch, ViewRoute, ViewRouteId, VIEW_PREFIX, VIEW_ROUTES};
pub use types::*;
