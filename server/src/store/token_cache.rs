//! What a bearer token resolves to, cached in memory between writes.
//!
//! Every request starts by resolving its token (token row, account, session,
//! the target's organisation): under load that was one more trip to the
//! database per request. The server is the only writer, so a lookup stays
//! true until the writer commits a job that may change tokens, accounts or
//! sessions; such a commit bumps the store's generation (see
//! `writer::Writer::spawn`), and an entry is used only while its generation
//! is the current one. Fail closed: ending, expiring, revoking, disabling
//! or signing out is such a job, so the very next request reads the
//! database again. The view audit rows are the one write that does not bump
//! it (it changes only a session's activity counters, which the cache may
//! hold stale: an older `last_activity_at` can only make a session look due
//! early, and `settle` on the writer then decides from the fresh row; a
//! view row that finds its session over ends it there, and any job that
//! ends a session bumps the generation, see `writer::note_auth_change`).
//!
//! Between a commit and its bump a request may still be served a lookup
//! that says "active". That is the same as arriving just before the
//! revocation (whose caller is not answered until after the bump), and what
//! such a request may write is decided on the writer from the fresh row: a
//! view's audit row or a note with the impersonation token is refused there
//! once its session has ended, and a write with a sign-in token once the
//! sign-in or the role no longer holds (`LoginUser::write`).
//!
//! Entries also expire after [`MAX_AGE`], so a change made to the file
//! behind the server's back (an operator with the sqlite3 shell) is seen
//! within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};

use super::accounts::{token_by_selector, TokenRow};
use super::rows::{account_by_id, session_by_id, Account, SessionRow};
use super::DbResult;

/// Longest an entry is used without reading the database again.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// Entries kept at most; past that the cache starts over (a flood of
/// distinct valid tokens is not a case worth an eviction policy).
const MAX_ENTRIES: usize = 4096;

/// A token and what it stands for, as the database had it.
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

struct Entry {
    generation: u64,
    loaded: Instant,
    value: Arc<TokenLookup>,
}

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl TokenCache {
    /// The entry for `selector` if it was loaded under `generation` and is
    /// younger than [`MAX_AGE`].
    pub fn get(&self, selector: &str, generation: u64) -> Option<Arc<TokenLookup>> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(selector)?;
        (e.generation == generation && e.loaded.elapsed() < MAX_AGE).then(|| e.value.clone())
    }

    /// Keeps `value`, read from the database after `generation` was read.
    pub fn put(&self, selector: &str, generation: u64, value: Arc<TokenLookup>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(selector) {
            entries.clear();
        }
        entries.insert(
            selector.to_string(),
            Entry {
                generation,
                loaded: Instant::now(),
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::accounts::TokenKind;

    fn lookup(id: i64) -> Arc<TokenLookup> {
        Arc::new(TokenLookup {
            token: TokenRow {
                id,
                kind: TokenKind::Login,
                user_id: 1,
                session_id: None,
                secret_hash: vec![0; 32],
                expires_at: 0,
                revoked_at: None,
            },
            account: None,
            session: None,
            target_org_id: None,
        })
    }

    #[test]
    fn an_entry_serves_only_its_own_generation() {
        let cache = TokenCache::default();
        cache.put("sel", 7, lookup(1));
        assert_eq!(cache.get("sel", 7).map(|v| v.token.id), Some(1));
        assert!(cache.get("sel", 8).is_none(), "a newer generation misses");
        assert!(cache.get("other", 7).is_none());
        // A read that raced a commit puts under the old generation: it can
        // never be served once the generation moved on.
        cache.put("sel", 7, lookup(2));
        assert!(cache.get("sel", 8).is_none());
    }

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = TokenCache::default();
        cache.put("old", 1, lookup(1));
        if let Ok(mut e) = cache.entries.lock() {
            if let Some(entry) = e.get_mut("old") {
                entry.loaded = Instant::now().checked_sub(MAX_AGE).unwrap();
            }
        }
        assert!(cache.get("old", 1).is_none(), "older than MAX_AGE misses");
        for i in 0..(MAX_ENTRIES + 10) {
            cache.put(&format!("s{i}"), 1, lookup(i as i64));
        }
        assert!(cache.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
