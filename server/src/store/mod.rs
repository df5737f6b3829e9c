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
pub mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

/// Read connections, and so reads running at once. Before, the pool kept 4
/// idle connections but let any number of reads run: under 64 concurrent
/// requests most reads opened (and dropped) a fresh connection, paying the
/// open, the PRAGMAs and the schema parse, and never hitting the statement
/// cache. Now reads wait for one of these, which are kept for good. Four on
/// two cores: reads are short and CPU-bound (README, Performance).
pub const READ_POOL: usize = 4;

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
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                readers: Mutex::new(Vec::new()),
                read_permits: Arc::new(tokio::sync::Semaphore::new(READ_POOL)),
                writer: writer::Writer::spawn(conn),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a read-only connection from the pool, off the async runtime.
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

    /// A synchronous read for startup code and tests.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        let conn = self.inner.take_reader()?;
        let out = f(&conn);
        self.inner.put_reader(conn);
        out
    }
}

impl Inner {
    fn take_reader(&self) -> DbResult<Connection> {
        let pooled = self.readers.lock().ok().and_then(|mut v| v.pop());
        match pooled {
            Some(c) => Ok(c),
            None => {
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
        }
    }

    fn put_reader(&self, conn: Connection) {
        if let Ok(mut v) = self.readers.lock() {
            if v.len() < READ_POOL {
                v.push(conn);
            }
        }
    }
}
