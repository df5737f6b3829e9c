//! What a bearer token stands for, read from the store's current rows on
//! every request: the token row, its account, its session and the session
//! target's organisation. Nothing of it is kept between requests, so an
//! ended, revoked or disabled token is refused on the very next request, by
//! every instance of the server.

use rusqlite::{Connection, OptionalExtension};

use super::accounts::{token_by_selector, TokenRow};
use super::rows::{account_by_id, session_by_id, Account, SessionRow};
use super::DbResult;

/// A token and what it stands for, as the database has it.
#[derive(Debug, Clone)]
pub struct TokenLookup {
    pub token: TokenRow,
    /// None: the account is gone.
    pub account: Option<Account>,
    /// The session of an impersonation token.
    pub session: Option<SessionRow>,
    /// The session target's organisation (None: no session or user gone).
    pub target_org_id: Option<i64>,
}

/// Reads what `selector` stands for (None: no such token).
pub fn load(c: &Connection, selector: &str) -> DbResult<Option<TokenLookup>> {
    // One read transaction: the four reads see the same commit.
    let tx = c.unchecked_transaction()?;
    let c: &Connection = &tx;
    let Some(token) = token_by_selector(c, selector)? else {
        return Ok(None);
    };
    let account = account_by_id(c, token.user_id)?;
    let session = match token.session_id {
        Some(id) => session_by_id(c, id)?,
        None => None,
    };
    let target_org_id = match &session {
        Some(s) => c
            .prepare_cached("SELECT org_id FROM users WHERE id = ?1")?
            .query_row([s.target_id], |r| r.get::<_, i64>(0))
            .optional()?,
        None => None,
    };
    Ok(Some(TokenLookup {
        token,
        account,
        session,
        target_org_id,
    }))
}
