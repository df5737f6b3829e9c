//! All storage lives behind this module: the rest of the server calls
//! [`Store::read`] with a closure over a pooled read-only connection, or
//! [`Store::write`] with a closure the single writer runs inside its
//! transaction. Every read runs on a blocking thread, never on an async
//! worker. Swapping SQLite for PostgreSQL means replacing this module.

pub mod accounts;
pub mod audit;
pub mod blocked;
pub mod migrate;
pub mod rows;
pub mod runs;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

pub use tokens::TokenLookup;

/// Read connections, and so reads running at once (two cores; reads are
/// short and CPU-bound).
pub const READ_POOL: u32 = 4;

/// Prepared statements kept per connection: the runs page alone has up to
/// 16 shapes, and SQLite's parse costs more than the page's query.
const STATEMENT_CACHE: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Pool(#[from] r2d2::Error),
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
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// One permit per read connection: a read waits here, on the async
    /// side, rather than holding a blocking thread while the pool is busy.
    read_permits: Arc<tokio::sync::Semaphore>,
    writer: writer::Writer,
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
        // Readers never write: only the writer thread does.
        let manager = SqliteConnectionManager::file(path).with_init(|c| {
            c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            c.execute_batch(
                "PRAGMA query_only = ON;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;",
            )
        });
        let readers = r2d2::Pool::builder().max_size(READ_POOL).build(manager)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                readers,
                read_permits: Arc::new(tokio::sync::Semaphore::new(READ_POOL as usize)),
                writer: writer::Writer::spawn(conn),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a read-only connection from the pool, on a blocking
    /// thread. It sees the rows committed when it starts.
    pub async fn read<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let permit = self
            .inner
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DbError::Other("the read pool is closed".into()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = inner.readers.get()?;
            f(&conn)
        })
        .await
        .map_err(|e| DbError::Other(format!("read task failed: {e}")))?
    }

    /// What the token with `selector` stands for now (None: no such
    /// token), read from the current rows on every call.
    pub async fn token(&self, selector: &str) -> DbResult<Option<TokenLookup>> {
        let selector = selector.to_string();
        self.read(move |c| tokens::load(c, &selector)).await
    }

    /// Runs `f` in the writer's transaction (its own savepoint) and returns
    /// once the batch it joined is committed. An `Err` from `f` rolls back
    /// only `f`'s changes.
    pub async fn write<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner.writer.submit(f).await
    }

    /// Write transactions committed so far: fewer than writes when
    /// concurrent writes share a commit.
    pub fn commits(&self) -> u64 {
        self.inner.writer.commits()
    }

    /// Writes submitted whose callers have not had their answer yet (queued,
    /// or in the batch being written): for monitoring, and for tests that
    /// must know a request has reached the writer's queue.
    pub fn pending_writes(&self) -> u64 {
        self.inner.writer.pending()
    }

    /// Copies the whole WAL into the database file and empties it, from a
    /// connection of its own (blocking: call it under `spawn_blocking`).
    /// For after a bulk load such as the seed, so the first requests'
    /// writes do not pay for copying it back. Returns whether it was
    /// complete.
    pub fn checkpoint_blocking(&self) -> DbResult<bool> {
        let conn = Connection::open(&self.inner.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    /// A synchronous read, for startup code and tests only (never on an
    /// async path).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        let conn = self.inner.readers.get()?;
        f(&conn)
    }
}
