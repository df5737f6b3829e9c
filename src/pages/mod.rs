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

use crate::components::isolate;

/// "Alice" from "Alice Novak": how the read-only notices name the user,
/// isolated since it is set into sentences.
pub fn first_name(user: &User) -> String {
    isolate(user.name.split_whitespace().next().unwrap_or(&user.name))
}
