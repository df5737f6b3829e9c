//! Users, tokens and the administrative changes that revoke sessions.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use viewas_api::Role;

use super::rows::{account_from_row, first_rows, role_str, Account, Word, ACCOUNT_COLS, ROW_CAP};
use super::DbResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Login,
    Impersonation,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Login => "login",
            TokenKind::Impersonation => "impersonation",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub kind: TokenKind,
    pub user_id: i64,
    pub session_id: Option<i64>,
    pub secret_hash: Vec<u8>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub fn token_by_selector(conn: &Connection, selector: &str) -> DbResult<Option<TokenRow>> {
    let row = conn
        .prepare_cached(
            "SELECT id, kind, user_id, session_id, secret_hash, expires_at, revoked_at \
             FROM tokens WHERE selector = ?1",
        )?
        .query_row([selector], |r| {
            let kind: String = r.get(1)?;
            Ok(TokenRow {
                id: r.get(0)?,
                kind: if kind == "impersonation" {
                    TokenKind::Impersonation
                } else {
                    TokenKind::Login
                },
                user_id: r.get(2)?,
                session_id: r.get(3)?,
                secret_hash: r.get(4)?,
                expires_at: r.get(5)?,
                revoked_at: r.get(6)?,
            })
        })
        .optional()?;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
pub fn insert_token(
    conn: &Connection,
    selector: &str,
    secret_hash: &[u8; 32],
    kind: TokenKind,
    user_id: i64,
    session_id: Option<i64>,
    now: i64,
    expires_at: i64,
) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO tokens (selector, secret_hash, kind, user_id, session_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        selector,
        &secret_hash[..],
        kind.as_str(),
        user_id,
        session_id,
        now,
        expires_at
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn revoke_token(conn: &Connection, token_id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")?
        .execute(params![token_id, now])?;
    Ok(())
}

/// Revokes every sign-in token of a user (disabling them).
pub fn revoke_login_tokens(conn: &Connection, user_id: i64, now: i64) -> DbResult<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE tokens SET revoked_at = ?2 WHERE user_id = ?1 AND kind = 'login' \
             AND revoked_at IS NULL",
        )?
        .execute(params![user_id, now])?)
}

/// Records a sign-in as the user's own activity. (Viewing a user never
/// calls this for them: only their own sign-ins do.)
pub fn touch_last_active(conn: &Connection, user_id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE users SET last_active = ?2 WHERE id = ?1")?
        .execute(params![user_id, now])?;
    Ok(())
}

pub fn set_disabled(conn: &Connection, user_id: i64, disabled: bool) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("UPDATE users SET disabled = ?2 WHERE id = ?1")?
        .execute(params![user_id, i64::from(disabled)])?
        == 1)
}

pub fn set_role(conn: &Connection, user_id: i64, role: Role) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")?
        .execute(params![user_id, role_str(role)])?
        == 1)
}

/// Where a user search continues: after this (name, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCursor {
    pub name: String,
    pub id: i64,
}

/// Users matching `q` (name, e-mail or organisation; case-insensitive for
/// ASCII), ordered by name (binary) then id, limited to `orgs` when given.
pub fn search(
    conn: &Connection,
    q: &str,
    orgs: Option<&[i64]>,
    after: Option<&UserCursor>,
    limit: i64,
) -> DbResult<Vec<Account>> {
    // instr, not LIKE: `%` and `_` in a search are plain characters.
    let needle = q.trim().to_lowercase();
    let mut args: Vec<Value> = vec![Value::Text(needle)];
    let mut sql = format!(
        "SELECT {ACCOUNT_COLS} FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE (instr(lower(u.name), ?1) OR instr(lower(u.email), ?1) \
                OR instr(lower(o.name), ?1))"
    );
    if let Some(orgs) = orgs {
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; orgs.len()].join(", ");
        sql.push_str(&format!(" AND u.org_id IN ({marks})"));
        args.extend(orgs.iter().map(|&id| Value::Integer(id)));
    }
    if let Some(c) = after {
        sql.push_str(" AND (u.name > ? OR (u.name = ? AND u.id > ?))");
        args.extend([
            Value::Text(c.name.clone()),
            Value::Text(c.name.clone()),
            Value::Integer(c.id),
        ]);
    }
    sql.push_str(&format!(" ORDER BY u.name, u.id LIMIT {ROW_CAP}"));
    let mut st = conn.prepare_cached(&sql)?;
    first_rows(&mut st, params_from_iter(args), limit, account_from_row)
}

/// The role of the account behind login token `token_id` as it stands now,
/// if the token still holds: a login token, not revoked, not expired, its
/// account enabled. None otherwise.
pub fn login_role(conn: &Connection, token_id: i64, now: i64) -> DbResult<Option<Role>> {
    Ok(conn
        .prepare_cached(
            "SELECT u.role FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = ?1 AND t.kind = 'login' AND t.revoked_at IS NULL \
               AND t.expires_at > ?2 AND u.disabled = 0",
        )?
        .query_row(params![token_id, now], |r| r.get::<_, Word<Role>>(0))
        .optional()?
        .map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        conn.execute_batch(
            "INSERT INTO orgs (id, name, policy, timezone) VALUES
               (1, 'Acme', 'notify', 'UTC'), (2, 'Half_Price 50%', 'silent', 'UTC');
             INSERT INTO users (id, org_id, email, name, role, timezone, created_at) VALUES
               (1, 1, 'alice@acme.example', 'Alice Smith', 'user', 'UTC', 0),
               (2, 1, 'bob@acme.example', 'Bob Jones', 'user', 'UTC', 0),
               (3, 2, 'carol@half.example', 'Carol 100% Sure', 'user', 'UTC', 0),
               (4, 2, 'dan@half.example', 'Dan', 'user', 'UTC', 0);",
        )
        .unwrap();
        conn
    }

    fn ids(
        conn: &Connection,
        q: &str,
        orgs: Option<&[i64]>,
        after: Option<&UserCursor>,
    ) -> Vec<i64> {
        search(conn, q, orgs, after, 50)
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect()
    }

    #[test]
    fn search_matches_text_literally_in_name_email_or_organisation() {
        let conn = people();
        assert_eq!(
            ids(&conn, "  SMITH ", None, None),
            [1],
            "ASCII case and spaces"
        );
        assert_eq!(ids(&conn, "acme", None, None), [1, 2], "organisation name");
        assert_eq!(ids(&conn, "bob@", None, None), [2], "e-mail");
        // Wildcards of LIKE are plain characters here.
        assert_eq!(ids(&conn, "%", None, None), [3, 4]);
        assert_eq!(ids(&conn, "h_lf", None, None), Vec::<i64>::new());
        assert_eq!(ids(&conn, "half_", None, None), [3, 4]);
        assert_eq!(ids(&conn, "", Some(&[2]), None), [3, 4], "org filter");
        assert_eq!(ids(&conn, "a", Some(&[]), None), Vec::<i64>::new());
        let after = UserCursor {
            name: "Bob Jones".into(),
            id: 2,
        };
        assert_eq!(ids(&conn, "", None, Some(&after)), [3, 4]);
    }
}
