-- viewas schema, version 6 (issue 6, part 3): the chart's counts in one row
-- per day. The chart shows succeeded and failed runs per day; `run_days`
-- kept a row per day and status (up to five), so every first runs page read
-- about 90 rows and compared a status word in each (a sixth of an audited
-- request's CPU). `run_day_totals` holds both counts in one row per owner,
-- assignment (0: all of the owner's) and day: the chart reads 30 rows.
-- Triggers keep it exact for every insert, update and delete of a run.
DROP TRIGGER runs_days_insert;
DROP TRIGGER runs_days_delete;
DROP TRIGGER runs_days_update;
DROP TABLE run_days;

CREATE TABLE run_day_totals (
    owner_id      INTEGER NOT NULL,
    -- 0: all of the owner's assignments together.
    assignment_id INTEGER NOT NULL,
    -- started_at / 86400: the UTC day.
    day           INTEGER NOT NULL,
    succeeded     INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    PRIMARY KEY (owner_id, assignment_id, day)
) WITHOUT ROWID;

INSERT INTO run_day_totals (owner_id, assignment_id, day, succeeded, failed)
SELECT owner_id, assignment_id, started_at / 86400,
       SUM(status = 'succeeded'), SUM(status = 'failed')
FROM runs WHERE status IN ('succeeded', 'failed')
GROUP BY owner_id, assignment_id, started_at / 86400;
INSERT INTO run_day_totals (owner_id, assignment_id, day, succeeded, failed)
SELECT owner_id, 0, started_at / 86400,
       SUM(status = 'succeeded'), SUM(status = 'failed')
FROM runs WHERE status IN ('succeeded', 'failed')
GROUP BY owner_id, started_at / 86400;

-- Other statuses are not counted, so only succeeded and failed runs touch
-- the table.
CREATE TRIGGER runs_day_totals_insert AFTER INSERT ON runs
WHEN NEW.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_day_totals (owner_id, assignment_id, day, succeeded, failed)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed'),
           (NEW.owner_id, 0, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed')
    ON CONFLICT (owner_id, assignment_id, day) DO UPDATE SET
        succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed;
END;

CREATE TRIGGER runs_day_totals_delete AFTER DELETE ON runs
WHEN OLD.status IN ('succeeded', 'failed')
BEGIN
    UPDATE run_day_totals SET
        succeeded = succeeded - (OLD.status = 'succeeded'),
        failed = failed - (OLD.status = 'failed')
    WHERE owner_id = OLD.owner_id AND assignment_id IN (OLD.assignment_id, 0)
      AND day = OLD.started_at / 86400;
END;

-- An update is a delete of the old row and an insert of the new one.
CREATE TRIGGER runs_day_totals_update_old
AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
WHEN OLD.status IN ('succeeded', 'failed')
BEGIN
    UPDATE run_day_totals SET
        succeeded = succeeded - (OLD.status = 'succeeded'),
        failed = failed - (OLD.status = 'failed')
    WHERE owner_id = OLD.owner_id AND assignment_id IN (OLD.assignment_id, 0)
      AND day = OLD.started_at / 86400;
END;

CREATE TRIGGER runs_day_totals_update_new
AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
WHEN NEW.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_day_totals (owner_id, assignment_id, day, succeeded, failed)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed'),
           (NEW.owner_id, 0, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed')
    ON CONFLICT (owner_id, assignment_id, day) DO UPDATE SET
        succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed;
END;
