//! The single writer. Every write (sessions, notes, audit rows, throttles)
//! is a job sent to one thread that owns the write connection. The thread
//! drains whatever jobs are queued, runs them in one transaction with a
//! savepoint per job, commits once, and only then answers each job: group
//! commit, so requests arriving together share an fsync, and no caller hears
//! "done" before its rows are durable.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::snapshots::SnapshotPool;
use super::{DbError, DbResult};

/// Most jobs per transaction, so one huge burst cannot starve its first caller.
const MAX_BATCH: usize = 256;

/// How long a batch that found [`COMMIT_SIBLINGS`] or more jobs queued
/// waits for more before it runs (PostgreSQL's `commit_delay` and
/// `commit_siblings`, for the same reason), and waits again while each
/// wait brings more, up to [`COMMIT_WAIT_MAX`]. Much of the writer's CPU
/// goes to what every commit costs whatever it holds: the fsync (on these
/// virtual machines a device kick, an interrupt and a context switch), the
/// WAL pages every batch touches (the sessions rows, the chain's last
/// page), the wake-ups. A lone job, or a few, never waits: the delay is
/// only paid when the queue already shows load, and it stops as soon as
/// the jobs stop coming, since by then every request in flight is in the
/// batch.
const COMMIT_DELAY: Duration = Duration::from_micros(100);

/// Jobs queued at once that make a batch wait [`COMMIT_DELAY`] for more.
const COMMIT_SIBLINGS: usize = 4;

/// The longest a batch gathers jobs. Under bench/server.sh's audited load
/// (64 connections) a batch held ~12 jobs per fsync with one wait of
/// [`COMMIT_DELAY`], and ~21 with waits up to this, at the same median and
/// 99th-percentile latency (docs/performance.md).
const COMMIT_WAIT_MAX: Duration = Duration::from_micros(500);

/// How often, while writes come in, the writer starts the WAL over (see
/// `snapshots`): held read snapshots otherwise keep it from ever restarting.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// How long that checkpoint waits for reads in flight to finish before it
/// gives up until the next time (writes wait meanwhile).
const CHECKPOINT_WAIT: Duration = Duration::from_millis(100);

/// The writer's usual wait for a lock (the same as `PRAGMA busy_timeout`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// Set on the writer thread by [`note_auth_change`] during a batch.
    static AUTH_CHANGED: Cell<bool> = const { Cell::new(false) };
}

/// Marks the running batch as one that changed tokens, accounts or sessions,
/// whatever its jobs were submitted as: `sessions::end` calls it, so a job
/// submitted as an activity write (a view's audit row) that finds its
/// session's time up and ends it still invalidates the token cache.
/// Harmless off the writer thread.
pub(crate) fn note_auth_change() {
    AUTH_CHANGED.with(|c| c.set(true));
}

trait Job: Send {
    /// Whether the job may change tokens, accounts or sessions (anything the
    /// token cache holds), so its commit must invalidate the cache.
    fn changes_auth(&self) -> bool;
    /// Runs inside the batch transaction; true when the job succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the outcome once the batch is committed (or failed).
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct TypedJob<T, F> {
    changes_auth: bool,
    f: Option<F>,
    out: Option<DbResult<T>>,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
{
    fn changes_auth(&self) -> bool {
        self.changes_auth
    }

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
    counters: Arc<Counters>,
    pending: Arc<AtomicU64>,
}

impl Writer {
    /// `auth_gen` is bumped after every batch holding a job that may change
    /// tokens, accounts or sessions: after its commit (a reader that saw the
    /// old generation cannot have cached what the batch changed under the
    /// new one) and before any caller is answered (a request that follows a
    /// revocation's answer sees the new generation).
    pub fn spawn(
        conn: Connection,
        auth_gen: Arc<AtomicU64>,
        snapshots: Arc<SnapshotPool>,
    ) -> Writer {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let counters = Arc::new(Counters::default());
        let pending = Arc::new(AtomicU64::new(0));
        let thread_counters = counters.clone();
        std::thread::Builder::new()
            .name("viewas-writer".into())
            .spawn(move || run(conn, rx, &thread_counters, &auth_gen, &snapshots))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the writer thread: {e}"));
        Writer {
            tx,
            counters,
            pending,
        }
    }

    /// Transactions committed so far (one per batch of jobs).
    pub fn commits(&self) -> u64 {
        self.counters.commits.load(Ordering::Relaxed)
    }

    /// Periodic checkpoints that completed, each letting the next write
    /// start the WAL over (a busy one, retried later, is not counted).
    pub fn wal_restarts(&self) -> u64 {
        self.counters.wal_restarts.load(Ordering::Relaxed)
    }

    /// Jobs submitted and not yet answered (queued or in the running batch).
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::SeqCst)
    }

    /// Queues `f` and waits for its batch's commit. `changes_auth: false`
    /// only for jobs that touch no token, account or session state beyond a
    /// session's activity counters (the view audit rows).
    pub async fn submit<T, F>(&self, changes_auth: bool, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            changes_auth,
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

/// What the writer thread counts for [`Writer`]'s readers.
#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    wal_restarts: AtomicU64,
}

fn run(
    conn: Connection,
    rx: mpsc::Receiver<Box<dyn Job>>,
    counters: &Counters,
    auth_gen: &AtomicU64,
    snapshots: &SnapshotPool,
) {
    // This thread's connection is the only one that appends audit rows.
    super::audit::keep_head_on_this_thread();
    let mut last_checkpoint = Instant::now();
    let mut ctl = Controls::new(&conn);
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        drain(&rx, &mut batch);
        if batch.len() >= COMMIT_SIBLINGS {
            // Busy: let the jobs on their way join this commit.
            gather(&rx, &mut batch);
        }
        AUTH_CHANGED.with(|c| c.set(false));
        let committed = run_batch(&mut ctl, &mut batch);
        match &committed {
            Ok(()) => {
                counters.commits.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::error!("write batch of {} failed: {e}", batch.len()),
        }
        // Also after a failed batch: harmless, and no reasoning needed.
        if AUTH_CHANGED.with(Cell::get) || batch.iter().any(|j| j.changes_auth()) {
            auth_gen.fetch_add(1, Ordering::SeqCst);
        }
        for job in batch {
            job.finish(committed.clone());
        }
        if last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            if restart_wal(&conn, snapshots) {
                counters.wal_restarts.fetch_add(1, Ordering::Relaxed);
            }
            last_checkpoint = Instant::now();
        }
    }
}

/// Waits [`COMMIT_DELAY`] at a time and adds the jobs that came meanwhile,
/// for as long as each wait brings some, up to [`COMMIT_WAIT_MAX`] and
/// [`MAX_BATCH`].
fn gather(rx: &mpsc::Receiver<Box<dyn Job>>, batch: &mut Vec<Box<dyn Job>>) {
    let began = Instant::now();
    while batch.len() < MAX_BATCH && began.elapsed() < COMMIT_WAIT_MAX {
        let before = batch.len();
        std::thread::sleep(COMMIT_DELAY);
        drain(rx, batch);
        if batch.len() == before {
            break;
        }
    }
}

/// Adds the jobs already queued to `batch`, up to [`MAX_BATCH`].
fn drain(rx: &mpsc::Receiver<Box<dyn Job>>, batch: &mut Vec<Box<dyn Job>>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// Checkpoints the whole WAL so the next write starts it over: pauses the
/// held read snapshots, waits up to [`CHECKPOINT_WAIT`] for reads in flight,
/// resumes them. If a read outlasts the wait, the next round tries again;
/// the autocheckpoint keeps copying pages meanwhile. Returns whether the
/// checkpoint completed.
fn restart_wal(conn: &Connection, snapshots: &SnapshotPool) -> bool {
    snapshots.pause();
    let done = conn.busy_timeout(CHECKPOINT_WAIT).and_then(|()| {
        conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
    });
    snapshots.resume();
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::error!("cannot restore the writer's busy timeout: {e}");
    }
    match done {
        Ok(0) => return true,
        Ok(_) => tracing::debug!("WAL checkpoint busy; retrying in {CHECKPOINT_EVERY:?}"),
        Err(e) => tracing::warn!("WAL checkpoint: {e}"),
    }
    false
}

/// The transaction-control statements of a batch, each prepared once for
/// the writer thread's life (at its first use) and run again from then on.
/// A batch runs two per job besides its own `BEGIN` and `COMMIT`: parsing
/// them each time showed in the profile, and so did taking them from the
/// connection's statement cache and putting them back (the SQL text hashed
/// twice per statement).
struct Controls<'c> {
    conn: &'c Connection,
    held: [Option<rusqlite::Statement<'c>>; CONTROL_SQL.len()],
}

#[derive(Debug, Clone, Copy)]
enum Control {
    Begin,
    Savepoint,
    Release,
    RollbackTo,
    Commit,
}

/// By [`Control`], in its order.
const CONTROL_SQL: [&str; 5] = [
    "BEGIN IMMEDIATE",
    "SAVEPOINT job",
    "RELEASE job",
    "ROLLBACK TO job",
    "COMMIT",
];

impl<'c> Controls<'c> {
    fn new(conn: &'c Connection) -> Self {
        Controls {
            conn,
            held: Default::default(),
        }
    }

    /// Runs `which`; a statement that cannot be prepared is tried again at
    /// its next use.
    fn run(&mut self, which: Control) -> Result<(), String> {
        let slot = &mut self.held[which as usize];
        let st = match slot {
            Some(st) => st,
            None => slot.insert(
                self.conn
                    .prepare(CONTROL_SQL[which as usize])
                    .map_err(|e| e.to_string())?,
            ),
        };
        st.execute([]).map(|_| ()).map_err(|e| e.to_string())
    }
}

fn run_batch(ctl: &mut Controls<'_>, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    let conn = ctl.conn;
    ctl.run(Control::Begin)?;
    for job in batch.iter_mut() {
        let step = ctl.run(Control::Savepoint).and_then(|()| {
            if job.run(conn) {
                ctl.run(Control::Release)
            } else {
                // The job's audit rows are gone with it.
                super::audit::forget_head();
                ctl.run(Control::RollbackTo)
                    .and_then(|()| ctl.run(Control::Release))
            }
        });
        if let Err(e) = step {
            super::audit::forget_head();
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    if let Err(e) = ctl.run(Control::Commit) {
        super::audit::forget_head();
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
        (
            dir,
            Writer::spawn(conn, Arc::default(), Arc::default()),
            path,
        )
    }

    fn count(path: &std::path::Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    struct Nop;

    impl Job for Nop {
        fn changes_auth(&self) -> bool {
            false
        }
        fn run(&mut self, _: &Connection) -> bool {
            true
        }
        fn finish(self: Box<Self>, _: Result<(), String>) {}
    }

    /// A busy batch takes in the jobs that keep coming, and still stops
    /// (at its longest wait or MAX_BATCH) while they never stop; with none
    /// coming it adds none.
    #[test]
    fn a_busy_batch_gathers_what_comes_and_stops_while_it_keeps_coming() {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let mut batch: Vec<Box<dyn Job>> = vec![Box::new(Nop)];
        gather(&rx, &mut batch);
        assert_eq!(batch.len(), 1, "nothing came");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sender = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if tx.send(Box::new(Nop)).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_micros(20));
                }
            })
        };
        while rx.try_recv().is_err() {
            std::thread::yield_now();
        }
        gather(&rx, &mut batch);
        stop.store(true, Ordering::Relaxed);
        sender.join().unwrap();
        assert!(
            batch.len() > 1 && batch.len() <= MAX_BATCH,
            "{} jobs",
            batch.len()
        );
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
                w.submit(true, move |c| {
                    c.execute("INSERT INTO t (v) VALUES (?1)", [format!("row {i}")])?;
                    Ok(c.last_insert_rowid())
                })
                .await
                .unwrap();
                // Answered means committed: another connection sees it.
                assert!(count(&path) >= 1);
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

    #[tokio::test]
    async fn only_jobs_that_may_change_auth_state_move_the_generation() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("g.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT);")
            .unwrap();
        let generation = Arc::new(AtomicU64::new(0));
        let w = Writer::spawn(conn, generation.clone(), Arc::default());
        let insert = |c: &Connection| Ok(c.execute("INSERT INTO t (v) VALUES ('x')", [])?);
        w.submit(false, insert).await.unwrap();
        assert_eq!(generation.load(Ordering::SeqCst), 0, "an activity write");
        // Moved by the time the caller hears back: the next request misses.
        w.submit(true, insert).await.unwrap();
        assert_eq!(generation.load(Ordering::SeqCst), 1);
        let failing = |_: &Connection| Err::<(), _>(DbError::Other("refused".into()));
        assert!(w.submit(true, failing).await.is_err());
        assert_eq!(generation.load(Ordering::SeqCst), 2, "fail closed");
        // An activity write that ends a session (found its time up) moves
        // it too: what it did decides, not what it was submitted as.
        w.submit(false, move |c| {
            note_auth_change();
            insert(c)
        })
        .await
        .unwrap();
        assert_eq!(generation.load(Ordering::SeqCst), 3, "a session ended");
        w.submit(false, insert).await.unwrap();
        assert_eq!(generation.load(Ordering::SeqCst), 3, "reset per batch");
    }

    /// A job whose audit row is rolled back must not leave the writer's
    /// remembered chain head pointing at it: the next row chains from the
    /// last committed one.
    #[tokio::test]
    async fn the_chain_survives_a_rolled_back_audit_row() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("c.db")).unwrap();
        crate::store::migrate::migrate(&conn).unwrap();
        let w = Writer::spawn(conn, Arc::default(), Arc::default());
        let append = |c: &Connection| {
            crate::store::audit::append(
                c,
                &crate::store::audit::NewEvent {
                    kind: "note",
                    ..Default::default()
                },
            )
        };
        w.submit(true, append).await.unwrap();
        let failed = w.submit(true, move |c| {
            append(c)?;
            Err::<i64, _>(DbError::Other("refused".into()))
        });
        assert!(failed.await.is_err());
        assert_eq!(w.submit(true, append).await.unwrap(), 2);
        let v = w.submit(true, crate::store::audit::verify).await.unwrap();
        assert!(v.ok && v.events == 2, "{v:?}");
    }

    /// The held SAVEPOINT, RELEASE, ROLLBACK TO, BEGIN and COMMIT keep
    /// working batch after batch, through rolled-back jobs and through a
    /// batch that failed as a whole (here: a job that ended the transaction
    /// under the writer, so its RELEASE failed).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn held_control_statements_survive_rollbacks_and_failed_batches() {
        let (_dir, w, path) = writer();
        let w = Arc::new(w);
        let mut kept = 0;
        for round in 0..20 {
            let ok = w.submit(true, move |c| {
                Ok(c.execute("INSERT INTO t (v) VALUES (?1)", [format!("kept {round}")])?)
            });
            let bad = w.submit(true, |c| {
                c.execute("INSERT INTO t (v) VALUES ('rolled back')", [])?;
                Err::<(), _>(DbError::Other("refused".into()))
            });
            let (ok, bad) = tokio::join!(ok, bad);
            assert!(ok.is_ok() && bad.is_err(), "round {round}");
            kept += 1;
            if round % 5 == 2 {
                let breaks = w.submit(true, |c| {
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
        let ok = w.submit(true, |c| {
            Ok(c.execute("INSERT INTO t (v) VALUES ('kept')", [])?)
        });
        let bad = w.submit(true, |c| {
            c.execute("INSERT INTO t (v) VALUES ('rolled back')", [])?;
            Err::<(), _>(DbError::Other("refused".into()))
        });
        let panics = w.submit(true, |c| -> DbResult<()> {
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
        w.submit(true, |c| {
            Ok(c.execute("INSERT INTO t (v) VALUES ('after')", [])?)
        })
        .await
        .unwrap();
        assert_eq!(count(&path), 2);
    }
}
