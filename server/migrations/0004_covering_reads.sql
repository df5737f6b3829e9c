-- viewas schema, version 4 (issue 6, part 3): the two reads of every runs
-- page answered from one b-tree each.
--
-- The runs page read each of its 50 rows from the table after finding it in
-- runs_owner_started: one more b-tree descent per row, into pages scattered
-- over the table. The index now carries every column the page shows (not
-- `result` or `error`, which only the run detail reads), so the page is one
-- range of the index. Same name and key prefix, so every plan that used it
-- still does.
DROP INDEX runs_owner_started;
CREATE INDEX runs_owner_started ON runs (owner_id, started_at DESC, id DESC,
    assignment_id, status, run_trigger, finished_at, duration_ms, summary);

-- run_days answered the chart from its primary-key index and then looked
-- up `n` in the table, row by row; WITHOUT ROWID stores the rows in the
-- primary key itself.
DROP TRIGGER runs_days_insert;
DROP TRIGGER runs_days_delete;
DROP TRIGGER runs_days_update;

CREATE TABLE run_days_new (
    owner_id      INTEGER NOT NULL,
    -- 0: all of the owner's assignments together.
    assignment_id INTEGER NOT NULL,
    -- started_at / 86400: the UTC day.
    day           INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (owner_id, assignment_id, day, status)
) WITHOUT ROWID;
INSERT INTO run_days_new (owner_id, assignment_id, day, status, n)
SELECT owner_id, assignment_id, day, status, n FROM run_days;
DROP TABLE run_days;
ALTER TABLE run_days_new RENAME TO run_days;

CREATE TRIGGER runs_days_insert AFTER INSERT ON runs
BEGIN
    INSERT INTO run_days (owner_id, assignment_id, day, status, n)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400, NEW.status, 1),
           (NEW.owner_id, 0, NEW.started_at / 86400, NEW.status, 1)
    ON CONFLICT (owner_id, assignment_id, day, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER runs_days_delete AFTER DELETE ON runs
BEGIN
    UPDATE run_days SET n = n - 1
    WHERE owner_id = OLD.owner_id AND assignment_id IN (OLD.assignment_id, 0)
      AND day = OLD.started_at / 86400 AND status = OLD.status;
END;

CREATE TRIGGER runs_days_update AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
BEGIN
    UPDATE run_days SET n = n - 1
    WHERE owner_id = OLD.owner_id AND assignment_id IN (OLD.assignment_id, 0)
      AND day = OLD.started_at / 86400 AND status = OLD.status;
    INSERT INTO run_days (owner_id, assignment_id, day, status, n)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400, NEW.status, 1),
           (NEW.owner_id, 0, NEW.started_at / 86400, NEW.status, 1)
    ON CONFLICT (owner_id, assignment_id, day, status) DO UPDATE SET n = n + 1;
END;
