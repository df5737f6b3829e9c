//! One file per route.

pub mod assignments;
pub mod audit;
pub mod impersonate;
pub mod login;
pub mod not_found;
pub mod runs;
pub mod summary;
pub mod workspace;

use viewas_api::User;

/// "Alice" from "Alice Novak": how the read-only notices name the user.
pub fn first_name(user: &User) -> String {
    user.name
        .split_whitespace()
        .next()
        .unwrap_or(&user.name)
        .to_string()
}
