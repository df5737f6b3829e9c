//! Schema migrations: SQL files embedded at build time, applied in order
//! and tracked with `PRAGMA user_version`. A later migration is one more
//! line in [`MIGRATIONS`].

use rusqlite::Connection;

use super::{DbError, DbResult};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../../migrations/0001_schema.sql"))];

/// The schema version this build expects.
pub const LATEST: i64 = 1;

pub fn migrate(conn: &Connection) -> DbResult<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        // An older binary must not guess at a newer schema.
        return Err(DbError::Other(format!(
            "the database is at schema version {current}, newer than this server's {LATEST}"
        )));
    }
    for &(version, sql) in MIGRATIONS {
        if version <= current {
            continue;
        }
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; version is a constant of this file.
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        tx.commit()?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", LATEST + 1))
            .unwrap();
        assert!(migrate(&conn).is_err());
    }

    /// Portable SQL: no views, no INSTEAD OF triggers, no WITHOUT ROWID
    /// tables, no JSON built in SQL (the PostgreSQL store mirrors these
    /// tables one for one).
    #[test]
    fn the_schema_is_plain_tables_and_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        let kinds: Vec<(String, String)> = conn
            .prepare("SELECT type, name FROM sqlite_master WHERE type NOT IN ('table', 'index')")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kinds,
            [
                ("trigger".to_string(), "audit_events_no_update".to_string()),
                ("trigger".to_string(), "audit_events_no_delete".to_string())
            ]
        );
        for banned in ["WITHOUT ROWID", "json_", "INSTEAD OF", "CREATE VIEW"] {
            assert!(
                !MIGRATIONS.iter().any(|(_, sql)| sql.contains(banned)),
                "{banned}"
            );
        }
    }
}
