//! The single writer. Every write (sessions, notes, audit rows, throttles)
//! is a job sent to one thread that owns the write connection. The thread
//! takes whatever jobs are queued, runs them in one transaction with a
//! savepoint per job, commits once, and only then answers each job: group
//! commit, so requests arriving together share an fsync, and no caller
//! hears "done" before its rows (its audit row above all) are durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

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
    commits: Arc<AtomicU64>,
    pending: Arc<AtomicU64>,
}

impl Writer {
    pub fn spawn(conn: Connection) -> Writer {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let commits = Arc::new(AtomicU64::new(0));
        let thread_commits = commits.clone();
        std::thread::Builder::new()
            .name("viewas-writer".into())
            .spawn(move || run(&conn, &rx, &thread_commits))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the writer thread: {e}"));
        Writer {
            tx,
            commits,
            pending: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Transactions committed so far (one per batch of jobs).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Jobs submitted and not yet answered (queued or in the running batch).
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::SeqCst)
    }

    /// Queues `f` and waits for its batch's commit.
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
        self.pending.fetch_add(1, Ordering::SeqCst);
        let _pending = Pending(&self.pending);
        self.tx
            .send(Box::new(job))
            .map_err(|_| DbError::Other("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| DbError::Other("the writer dropped a job".into()))?
    }
}

/// Counts a submitted job until its caller has its answer (or gave up).
struct Pending<'a>(&'a AtomicU64);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn run(conn: &Connection, rx: &mpsc::Receiver<Box<dyn Job>>, commits: &AtomicU64) {
    while let Ok(first) = rx.recv() {
        // The jobs that queued while the last batch committed join this one.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = run_batch(conn, &mut batch);
        match &committed {
            Ok(()) => {
                commits.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::error!("write batch of {} failed: {e}", batch.len()),
        }
        for job in batch {
            job.finish(committed.clone());
        }
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<(), String> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.execute([]))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// One transaction for the whole batch, a savepoint per job: a failed job
/// rolls back only its own rows (its audit rows with them).
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    exec(conn, "BEGIN IMMEDIATE")?;
    for job in batch.iter_mut() {
        let step = exec(conn, "SAVEPOINT job").and_then(|()| {
            if job.run(conn) {
                exec(conn, "RELEASE job")
            } else {
                exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
            }
        });
        if let Err(e) = step {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    if let Err(e) = exec(conn, "COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DbResult;

    fn writer() -> (tempfile::TempDir, Writer, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
        )
        .unwrap();
        (dir, Writer::spawn(conn), path)
    }

    fn count(path: &std::path::Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_jobs_share_commits_and_each_is_durable_when_answered() {
        let (_dir, w, path) = writer();
        let w = Arc::new(w);
        let mut tasks = Vec::new();
        for i in 0..300 {
            let w = w.clone();
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                let id = w
                    .submit(move |c| {
                        c.execute("INSERT INTO t (v) VALUES (?1)", [format!("row {i}")])?;
                        Ok(c.last_insert_rowid())
                    })
                    .await
                    .unwrap();
                // Answered means committed: another connection sees it.
                let seen: i64 = Connection::open(&path)
                    .unwrap()
                    .query_row("SELECT COUNT(*) FROM t WHERE id = ?1", [id], |r| r.get(0))
                    .unwrap();
                assert_eq!(seen, 1);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(count(&path), 300);
        assert!(
            w.commits() < 300,
            "group commit: {} commits for 300 jobs",
            w.commits()
        );
    }

    /// A job whose audit row is rolled back leaves the chain whole: the
    /// next row chains from the last committed one.
    #[tokio::test]
    async fn the_chain_survives_a_rolled_back_audit_row() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("c.db")).unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let w = Writer::spawn(conn);
        let append = |c: &Connection| {
            crate::store::audit::append(
                c,
                &crate::store::audit::NewEvent {
                    kind: "note",
                    ..Default::default()
                },
            )
        };
        w.submit(append).await.unwrap();
        let failed = w.submit(move |c| {
            append(c)?;
            Err::<i64, _>(DbError::Other("refused".into()))
        });
        assert!(failed.await.is_err());
        assert_eq!(w.submit(append).await.unwrap(), 2);
        let v = w.submit(crate::store::audit::verify).await.unwrap();
        assert!(v.ok && v.events == 2, "{v:?}");
    }

    /// The writer keeps working batch after batch, through rolled-back
    /// jobs and through a batch that failed as a whole (here: a job that
    /// ended the transaction under the writer, so its RELEASE failed).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rollbacks_and_failed_batches_leave_the_writer_working() {
        let (_dir, w, path) = writer();
        let w = Arc::new(w);
        let mut kept = 0;
        for round in 0..20 {
            let ok = w.submit(move |c| {
                Ok(c.execute("INSERT INTO t (v) VALUES (?1)", [format!("kept {round}")])?)
            });
            let bad = w.submit(|c| {
                c.execute("INSERT INTO t (v) VALUES ('rolled back')", [])?;
                Err::<(), _>(DbError::Other("refused".into()))
            });
            let (ok, bad) = tokio::join!(ok, bad);
            assert!(ok.is_ok() && bad.is_err(), "round {round}");
            kept += 1;
            if round % 5 == 2 {
                let breaks = w.submit(|c| {
                    c.execute("INSERT INTO t (v) VALUES ('lost with its batch')", [])?;
                    c.execute_batch("ROLLBACK")?;
                    Ok(())
                });
                assert!(breaks.await.is_err(), "round {round}: the batch failed");
            }
            assert_eq!(count(&path), kept, "round {round}");
        }
        assert!(w.commits() >= 20);
    }

    #[tokio::test]
    async fn a_failing_job_rolls_back_only_itself() {
        let (_dir, w, path) = writer();
        let ok = w.submit(|c| Ok(c.execute("INSERT INTO t (v) VALUES ('kept')", [])?));
        let bad = w.submit(|c| {
            c.execute("INSERT INTO t (v) VALUES ('rolled back')", [])?;
            Err::<(), _>(DbError::Other("refused".into()))
        });
        let panics = w.submit(|c| -> DbResult<()> {
            c.execute("INSERT INTO t (v) VALUES ('also rolled back')", [])?;
            panic!("a bug in a job (this panic is expected by the test)");
        });
        let (ok, bad, panics) = tokio::join!(ok, bad, panics);
        assert!(ok.is_ok());
        assert!(bad.is_err());
        assert!(panics.is_err());
        let kept: Vec<String> = {
            let c = Connection::open(&path).unwrap();
            let mut st = c.prepare("SELECT v FROM t").unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(kept, ["kept"]);
        // The writer survives a panicking job.
        w.submit(|c| Ok(c.execute("INSERT INTO t (v) VALUES ('after')", [])?))
            .await
            .unwrap();
        assert_eq!(count(&path), 2);
    }
}
