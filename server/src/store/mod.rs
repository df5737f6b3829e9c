//! All storage lives behind this module: the rest of the server calls
//! [`Store::read`] with a closure over a pooled read-only connection, or
//! [`Store::write`] with a closure the single writer runs inside its
//! transaction. Swapping SQLite for PostgreSQL means replacing this module.

pub mod accounts;
pub mod audit;
pub mod migrate;
pub mod rows;
pub mod sessions;
pub mod throttle;
pub mod token_cache;
pub mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

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
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                readers: Mutex::new(Vec::new()),
                read_permits: Arc::new(tokio::sync::Semaphore::new(READ_POOL)),
                writer: writer::Writer::spawn(conn, auth_gen.clone()),
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
