//! Who may impersonate whom, in one place: the user search shows these
//! answers and starting a session enforces them.

use viewas_api::Role;

use crate::store::rows::Account;

pub const NOT_STAFF: &str = "Only administrators and partners can impersonate users";
pub const SELF: &str = "You cannot impersonate yourself";
pub const ADMIN: &str = "Administrators cannot be impersonated";
pub const PARTNER: &str = "Partner accounts cannot be impersonated";
pub const DISABLED: &str = "Disabled users cannot be impersonated";
pub const NOT_CLIENT: &str = "Not one of your client organisations";

/// Why `caller` may not impersonate `target`, or `None` when they may.
/// `client_orgs` are the caller's client organisations (partners only).
pub fn refusal(caller: &Account, target: &Account, client_orgs: &[i64]) -> Option<&'static str> {
    if caller.disabled || caller.role == Role::User {
        return Some(NOT_STAFF);
    }
    // First for partners, so a partner learns nothing else (role, disabled)
    // of a user outside their clients.
    if caller.role == Role::Partner && !client_orgs.contains(&target.org.id) {
        return Some(NOT_CLIENT);
    }
    if caller.id == target.id {
        return Some(SELF);
    }
    match target.role {
        Role::Admin => return Some(ADMIN),
        Role::Partner => return Some(PARTNER),
        Role::User => {}
    }
    if target.disabled {
        return Some(DISABLED);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use viewas_api::{NotifyPolicy, Org};

    fn acct(id: i64, role: Role, org: i64, disabled: bool) -> Account {
        Account {
            id,
            name: format!("u{id}"),
            email: format!("u{id}@x.example"),
            role,
            disabled,
            timezone: "UTC".into(),
            last_active: None,
            org: Org {
                id: org,
                name: format!("org{org}"),
                policy: NotifyPolicy::Notify,
            },
        }
    }

    #[test]
    fn the_rules_in_order() {
        let admin = acct(1, Role::Admin, 1, false);
        let partner = acct(2, Role::Partner, 2, false);
        let user = acct(3, Role::User, 3, false);
        let client_user = acct(4, Role::User, 5, false);
        let disabled = acct(5, Role::User, 5, true);
        assert_eq!(refusal(&admin, &user, &[]), None);
        assert_eq!(refusal(&admin, &admin, &[]), Some(SELF));
        assert_eq!(
            refusal(&admin, &acct(9, Role::Admin, 1, false), &[]),
            Some(ADMIN)
        );
        assert_eq!(refusal(&admin, &partner, &[]), Some(PARTNER));
        assert_eq!(refusal(&admin, &disabled, &[]), Some(DISABLED));
        assert_eq!(refusal(&partner, &user, &[5]), Some(NOT_CLIENT));
        assert_eq!(refusal(&partner, &client_user, &[5]), None);
        // Outside a partner's clients, nothing else is told.
        let admin_elsewhere = acct(10, Role::Admin, 7, false);
        let disabled_elsewhere = acct(11, Role::User, 7, true);
        assert_eq!(refusal(&partner, &admin_elsewhere, &[5]), Some(NOT_CLIENT));
        assert_eq!(
            refusal(&partner, &disabled_elsewhere, &[5]),
            Some(NOT_CLIENT)
        );
        assert_eq!(refusal(&partner, &partner, &[5]), Some(NOT_CLIENT));
        assert_eq!(refusal(&user, &client_user, &[]), Some(NOT_STAFF));
    }
}
