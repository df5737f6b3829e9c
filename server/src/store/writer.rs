//! The single writer. Every write (sessions, notes, audit rows, throttles)
//! is a job sent to one thread that owns the write connection. The thread
//! drains whatever jobs are queued, runs them in one transaction with a
//! savepoint per job, commits once, and only then answers each job: group
//! commit, so requests arriving together share an fsync, and no caller hears
//! "done" before its rows are durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{DbError, DbResult};

/// Most jobs per transaction, so one huge burst cannot starve its first caller.
const MAX_BATCH: usize = 256;

trait Job: Send {
    /// Runs inside the batch transaction; true when the job succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the outcome once the batch is committed (or failed).
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct TypedJob<T, F> {
    f: Option<F>,
    out: Option<DbResult<T>>,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let out = match catch_unwind(AssertUnwindSafe(|| f(conn))) {
            Ok(out) => out,
            Err(_) => Err(DbError::Other("write job panicked".into())),
        };
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let this = *self;
        let answer = match (committed, this.out) {
            (Ok(()), Some(out)) => out,
            (Ok(()), None) => Err(DbError::Other("write job did not run".into())),
            (Err(e), _) => Err(DbError::Other(format!("commit failed: {e}"))),
        };
        // The caller may have gone away (client disconnected); the rows are
        // committed regardless.
        let _ = this.reply.send(answer);
    }
}

pub struct Writer {
    tx: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    pub fn spawn(conn: Connection) -> Writer {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("viewas-writer".into())
            .spawn(move || run(conn, rx))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the writer thread: {e}"));
        Writer { tx }
    }

    pub async fn submit<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            f: Some(f),
            out: None,
            reply,
        };
        self.tx
            .send(Box::new(job))
            .map_err(|_| DbError::Other("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| DbError::Other("the writer dropped a job".into()))?
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = run_batch(&conn, &mut batch);
        if let Err(e) = &committed {
            tracing::error!("write batch of {} failed: {e}", batch.len());
        }
        for job in batch {
            job.finish(committed.clone());
        }
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        let step = conn
            .execute_batch("SAVEPOINT job")
            .map_err(|e| e.to_string())
            .and_then(|()| {
                let ok = job.run(conn);
                let sql = if ok {
                    "RELEASE job"
                } else {
                    "ROLLBACK TO job; RELEASE job"
                };
                conn.execute_batch(sql).map_err(|e| e.to_string())
            });
        if let Err(e) = step {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    if let Err(e) = conn.execute_batch("COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e.to_string());
    }
    Ok(())
}
