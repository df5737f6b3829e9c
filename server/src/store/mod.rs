//! All storage lives behind this module: the rest of the server calls
//! [`Store::read`] with a closure over a pooled read-only connection, or
//! [`Store::write`] with a closure the single writer runs inside its
//! transaction. Swapping SQLite for PostgreSQL means replacing this module.

pub mod accounts;
pub mod audit;
pub mod migrate;
pub mod rows;
pub mod sessions;
pub mod snapshots;
pub mod throttle;
pub mod token_cache;
pub mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};

use snapshots::{SnapshotPool, SNAPSHOT_MAX};
use token_cache::{TokenCache, TokenLookup};

/// Read connections, and so reads running at once. Before, the pool kept 4
/// idle connections but let any number of reads run: under 64 concurrent
/// requests most reads opened (and dropped) a fresh connection, paying the
/// open, the PRAGMAs and the schema parse, and never hitting the statement
/// cache. Now reads wait for one of these, which are kept for good. Four on
/// two cores: reads are short and CPU-bound (README, Performance).
pub const READ_POOL: usize = 4;

/// Read connections kept idle: the pool's, plus one per thread that may run
/// a [`Store::read_now`] at the same time (the async workers), so neither
/// kind ever opens a fresh connection in steady state.
const IDLE_READERS: usize = READ_POOL + 4;

// Each reader caches up to 8 MB of pages (`cache_size = -8000`; SQLite's
// default is 2 MB): a runs page reads ~50 rows scattered over the table, and
// with 2 MB the hot pages kept being re-read with pread (5% of the profile).

/// Prepared statements kept per connection (the runs page alone has 16
/// shapes).
const STATEMENT_CACHE: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Other(String),
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// Connections of [`Store::read_recent`].
    snapshots: Arc<SnapshotPool>,
    /// One permit per read connection.
    read_permits: Arc<tokio::sync::Semaphore>,
    writer: writer::Writer,
    /// Bumped by the writer after each commit that may change tokens,
    /// accounts or sessions; [`TokenCache`] entries are valid for one value.
    auth_gen: Arc<AtomicU64>,
    tokens: TokenCache,
}

impl Store {
    /// Opens (creating if needed) and migrates the database, and starts the
    /// writer thread.
    pub fn open(path: &Path) -> DbResult<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbError::Other(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        let conn = Connection::open(path)?;
        // WAL lets readers run while the writer commits; synchronous=FULL
        // because a response must never be sent before its audit row is on
        // disk (the writer batches commits so that costs one fsync per batch).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        migrate::migrate(&conn)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let auth_gen = Arc::new(AtomicU64::new(0));
        let snapshots = Arc::new(SnapshotPool::default());
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                readers: Mutex::new(Vec::new()),
                snapshots: snapshots.clone(),
                read_permits: Arc::new(tokio::sync::Semaphore::new(READ_POOL)),
                writer: writer::Writer::spawn(conn, auth_gen.clone(), snapshots),
                auth_gen,
                tokens: TokenCache::default(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a read-only connection from the pool, off the async
    /// runtime: for reads that may take long (the chain verification, user
    /// search, audit pages).
    pub async fn read<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let permit = inner
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DbError::Other("the read pool is closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = inner.take_reader()?;
            let out = f(&conn);
            inner.put_reader(conn);
            out
        })
        .await
        .map_err(|e| DbError::Other(format!("read task failed: {e}")))?
    }

    /// Runs `f` on a read-only connection right here, on the calling
    /// thread, for short reads bounded by a page size (the token lookup and
    /// the view pages: well under a millisecond of CPU). Handing those to a
    /// blocking thread cost more than the query: two thread wake-ups and a
    /// context switch each way, most of the kernel time of the profile on
    /// two cores (README, Performance).
    pub fn read_now<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        let conn = self.inner.take_reader()?;
        let out = f(&conn);
        self.inner.put_reader(conn);
        out
    }

    /// [`Store::read_now`] for data this server never writes (runs,
    /// assignments, connections, workspaces: the view pages), inside a read
    /// transaction kept open across calls for up to [`SNAPSHOT_MAX`]: what
    /// `f` sees may be that much older than the call, as if the request had
    /// come that much earlier. It keeps the page cache warm under audited
    /// load (see `snapshots`). Never for tokens, sessions or accounts: the
    /// gate reads those fresh ([`Store::token`]).
    pub fn read_recent<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        let pool = &self.inner.snapshots;
        let (conn, began) = match pool.take() {
            Some(c) => c,
            None => (self.inner.open_reader()?, None),
        };
        let held = began.filter(|t| t.elapsed() < SNAPSHOT_MAX && !conn.is_autocommit());
        let began = match held {
            Some(t) => Some(t),
            None => {
                if !conn.is_autocommit() {
                    conn.execute_batch("COMMIT")?;
                }
                if pool.paused() {
                    // The writer is checkpointing: read in autocommit.
                    None
                } else {
                    // The snapshot itself starts at the first read below.
                    conn.execute_batch("BEGIN")?;
                    Some(Instant::now())
                }
            }
        };
        let out = f(&conn);
        if out.is_err() && !conn.is_autocommit() {
            // An error may have left the transaction half-done: start afresh.
            let _ = conn.execute_batch("ROLLBACK");
        }
        let began = began.filter(|_| out.is_ok());
        pool.put(conn, began);
        out
    }

    /// Ends idle [`Store::read_recent`] snapshots older than
    /// [`SNAPSHOT_MAX`], so an idle server holds none (the sweeper calls it).
    pub fn release_snapshots(&self) {
        self.inner.snapshots.release_older_than(SNAPSHOT_MAX);
    }

    /// What the token with `selector` stands for (None: no such token),
    /// from the token cache while no write has touched tokens, accounts or
    /// sessions since it was read (see `token_cache`).
    pub fn token(&self, selector: &str) -> DbResult<Option<Arc<TokenLookup>>> {
        // The generation is read before the database: a commit in between
        // leaves this entry under the old one, never to be served.
        let generation = self.inner.auth_gen.load(Ordering::SeqCst);
        if let Some(hit) = self.inner.tokens.get(selector, generation) {
            return Ok(Some(hit));
        }
        let Some(found) = self.read_now(|c| token_cache::load(c, selector))? else {
            return Ok(None);
        };
        let found = Arc::new(found);
        self.inner.tokens.put(selector, generation, found.clone());
        Ok(Some(found))
    }

    /// Runs `f` in the writer's transaction (its own savepoint) and returns
    /// once the batch it joined is committed. An `Err` from `f` rolls back
    /// only `f`'s changes. Its commit invalidates the token cache.
    pub async fn write<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner.writer.submit(true, f).await
    }

    /// [`Store::write`] for a job that changes no token, no account and no
    /// session beyond its activity counters (`pages_viewed`,
    /// `last_activity_at`): the view audit rows. It leaves the token cache
    /// valid, which is what makes the cache worth having under view load.
    pub async fn write_activity<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner.writer.submit(false, f).await
    }

    /// Write transactions committed so far: fewer than writes when
    /// concurrent writes share a commit.
    pub fn commits(&self) -> u64 {
        self.inner.writer.commits()
    }

    /// Times the writer has started the WAL over while writes came in (see
    /// `snapshots`): for monitoring, and for the test that held snapshots
    /// do not stop it.
    pub fn wal_restarts(&self) -> u64 {
        self.inner.writer.wal_restarts()
    }

    /// Writes submitted whose callers have not had their answer yet (queued,
    /// or in the batch being written): for monitoring, and for tests that
    /// must know a request has reached the writer's queue.
    pub fn pending_writes(&self) -> u64 {
        self.inner.writer.pending()
    }

    /// Copies the whole WAL into the database file and empties it, from a
    /// connection of its own (the writer's is always inside a batch). For
    /// after a bulk load: the seed of a large store leaves hundreds of
    /// megabytes in the WAL, and copying them back otherwise falls to the
    /// writer's first periodic checkpoint, with requests queued behind it.
    /// Returns whether the checkpoint was complete.
    pub fn checkpoint_blocking(&self) -> DbResult<bool> {
        let conn = Connection::open(&self.inner.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    /// A synchronous read for startup code and tests.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        self.read_now(f)
    }
}

impl Inner {
    fn take_reader(&self) -> DbResult<Connection> {
        let pooled = self.readers.lock().ok().and_then(|mut v| v.pop());
        match pooled {
            Some(c) => Ok(c),
            None => self.open_reader(),
        }
    }

    fn open_reader(&self) -> DbResult<Connection> {
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Readers never write: only the writer thread does.
        c.execute_batch(
            "PRAGMA query_only = ON;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -8000;",
        )?;
        c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(c)
    }

    fn put_reader(&self, conn: Connection) {
        if let Ok(mut v) = self.readers.lock() {
            if v.len() < IDLE_READERS {
                v.push(conn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(c: &Connection) -> DbResult<i64> {
        Ok(c.query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))?)
    }

    fn add_note(c: &Connection) -> DbResult<()> {
        c.execute(
            "INSERT INTO notes (session_id, author_id, text, created_at) VALUES (1, 1, 'n', 0)",
            [],
        )?;
        Ok(())
    }

    /// A held snapshot is at most SNAPSHOT_MAX old; the WAL still restarts
    /// while snapshots are held.
    #[tokio::test]
    async fn snapshots_are_bounded_and_do_not_pin_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        assert_eq!(store.read_recent(count).unwrap(), 0);
        store
            .write(|c| {
                c.execute_batch(
                    "INSERT INTO orgs (id, name, policy, timezone) VALUES (1, 'o', 'silent', 'UTC');
                     INSERT INTO users (id, org_id, email, name, role, timezone, created_at)
                     VALUES (1, 1, 'a@b', 'A', 'admin', 'UTC', 0);
                     INSERT INTO impersonation_sessions (id, impersonator_id, target_id,
                       reason_category, reason, started_at, expires_at, idle_timeout_secs,
                       last_activity_at) VALUES (1, 1, 1, 'audit', 'reason', 0, 1, 1, 0);
                     INSERT INTO notes (session_id, author_id, text, created_at)
                     VALUES (1, 1, 'n', 0);",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        std::thread::sleep(SNAPSHOT_MAX);
        assert_eq!(
            store.read_recent(count).unwrap(),
            1,
            "seen within SNAPSHOT_MAX"
        );

        // Writes while a snapshot is held all along: the writer's periodic
        // checkpoint must still complete (a held snapshot would make it
        // report busy, and the WAL would grow for ever). Waits for one for
        // up to ten periods, so a slow machine only makes the test slower.
        let restarts = store.wal_restarts();
        let started = Instant::now();
        let mut writes = 0;
        while store.wal_restarts() == restarts && started.elapsed() < writer::CHECKPOINT_EVERY * 10
        {
            store.read_recent(count).unwrap();
            store.write(add_note).await.unwrap();
            writes += 1;
        }
        assert!(
            store.wal_restarts() > restarts,
            "no WAL restart in {:?} of writes ({writes}) with a snapshot held",
            started.elapsed()
        );
        // And the WAL did start over: after one more write it holds only
        // that write's frames (a few pages), not the thousands before.
        store.write(add_note).await.unwrap();
        let frames: i64 = Connection::open(dir.path().join("s.db"))
            .unwrap()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap();
        assert!(
            (0..=16).contains(&frames),
            "{frames} WAL frames after a restart and one write ({writes} before)"
        );
    }
}
