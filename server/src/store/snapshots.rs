//! Read connections that keep their read transaction (their snapshot, and
//! with it their page cache) open across calls, for [`super::Store::read_recent`].
//!
//! In WAL mode a reader throws its whole page cache away whenever the
//! writer has committed since its previous read transaction. Under audited
//! load the writer commits between nearly any two reads, so every view page
//! was read from a cold cache: the runs page took ~190 µs instead of ~50,
//! the chart ~60 instead of ~30 (README, Performance). A snapshot is kept
//! for at most [`SNAPSHOT_MAX`].
//!
//! The price is that readers always hold some snapshot, and SQLite can only
//! start the WAL over when no reader holds an old one: left alone the WAL
//! grew by ~10 MB a second under load. So the writer, about once a second
//! (`writer::CHECKPOINT_EVERY`), pauses the snapshots ([`SnapshotPool::pause`]
//! ends every idle one; while paused, reads run in autocommit), runs
//! `wal_checkpoint(RESTART)`, and resumes them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// Longest a [`super::Store::read_recent`] may look at a snapshot already
/// held open: its answer may be this much older than the request.
pub const SNAPSHOT_MAX: Duration = Duration::from_millis(50);

/// Idle connections kept.
const IDLE: usize = 8;

#[derive(Default)]
pub struct SnapshotPool {
    /// Each with when its open read transaction began (None: none open).
    conns: Mutex<Vec<(Connection, Option<Instant>)>>,
    paused: AtomicBool,
}

fn end_snapshot(conn: &Connection) {
    if !conn.is_autocommit() {
        // A read transaction: COMMIT only releases the snapshot. If it
        // fails, ROLLBACK does the same.
        if conn.execute_batch("COMMIT").is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

impl SnapshotPool {
    pub fn take(&self) -> Option<(Connection, Option<Instant>)> {
        self.conns.lock().ok().and_then(|mut v| v.pop())
    }

    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Returns a connection; `began` is when its open snapshot began.
    pub fn put(&self, conn: Connection, began: Option<Instant>) {
        let Ok(mut v) = self.conns.lock() else {
            return;
        };
        // Checked under the lock: `pause` sets the flag before it takes the
        // lock, so a snapshot put back during a pause is ended here or there.
        let began = if self.paused() {
            end_snapshot(&conn);
            None
        } else {
            began
        };
        if v.len() < IDLE {
            v.push((conn, began));
        }
    }

    /// Ends idle snapshots older than `age` (the sweeper's tidy-up, so an
    /// idle server holds none).
    pub fn release_older_than(&self, age: Duration) {
        if let Ok(mut v) = self.conns.lock() {
            for (conn, began) in v.iter_mut() {
                if began.is_some_and(|t| t.elapsed() >= age) {
                    end_snapshot(conn);
                    *began = None;
                }
            }
        }
    }

    /// Stops snapshots being held (reads in flight finish theirs and end it
    /// when they put their connection back) and ends every idle one.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        self.release_older_than(Duration::ZERO);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}
