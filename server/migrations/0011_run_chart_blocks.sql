-- viewas schema, version 11 (issue 6, part 3): the chart's 30 days in one
-- or two rows.
--
-- `run_day_totals` (0006) held a row per owner, assignment and day, so every
-- first runs page stepped through 30 rows for its chart: 9 % of the server's
-- CPU under the audited load. `run_chart_blocks` holds 32 days per row: a
-- day's counts sit in slot `day % 32` of block `day / 32` (days from the
-- epoch, UTC), so the 30 days up to today lie in at most two rows.
--
-- `counts` is 32 slots of 12 digits: the day's succeeded runs, then its
-- failed runs, 6 digits each. Fixed width lets a trigger change one slot
-- with substr and printf; a day with a million runs of one status would
-- need a seventh digit, and the length CHECK then fails the run's write
-- instead of shifting the slots after it.
CREATE TABLE run_chart_blocks (
    owner_id      INTEGER NOT NULL,
    -- 0: all of the owner's assignments together.
    assignment_id INTEGER NOT NULL,
    -- day / 32
    block         INTEGER NOT NULL,
    counts        TEXT NOT NULL CHECK (length(counts) = 384),
    PRIMARY KEY (owner_id, assignment_id, block)
) WITHOUT ROWID;

-- The one place a slot changes: inserting (owner, assignment, day,
-- succeeded, failed) here adds those counts (negative to take away) to the
-- day's slot, making its block first if it has none. Nothing is stored in
-- the view itself.
CREATE VIEW run_chart_changes (owner_id, assignment_id, day, succeeded, failed) AS
SELECT 0, 0, 0, 0, 0 WHERE 0;

CREATE TRIGGER run_chart_changes_apply INSTEAD OF INSERT ON run_chart_changes
BEGIN
    INSERT INTO run_chart_blocks (owner_id, assignment_id, block, counts)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.day / 32, hex(zeroblob(192)))
    ON CONFLICT DO NOTHING;
    UPDATE run_chart_blocks SET counts =
        substr(counts, 1, (NEW.day % 32) * 12)
        || printf('%06d%06d',
            CAST(substr(counts, (NEW.day % 32) * 12 + 1, 6) AS INTEGER) + NEW.succeeded,
            CAST(substr(counts, (NEW.day % 32) * 12 + 7, 6) AS INTEGER) + NEW.failed)
        || substr(counts, (NEW.day % 32) * 12 + 13)
    WHERE owner_id = NEW.owner_id AND assignment_id = NEW.assignment_id
      AND block = NEW.day / 32;
END;

INSERT INTO run_chart_changes (owner_id, assignment_id, day, succeeded, failed)
SELECT owner_id, assignment_id, day, succeeded, failed FROM run_day_totals;

DROP TRIGGER runs_day_totals_insert;
DROP TRIGGER runs_day_totals_delete;
DROP TRIGGER runs_day_totals_update_old;
DROP TRIGGER runs_day_totals_update_new;
DROP TABLE run_day_totals;

-- A run counts in its assignment's block and in the owner's (0). Only
-- succeeded and failed runs are counted, so only they make changes; an
-- update is a delete of the old row and an insert of the new one.
CREATE TRIGGER runs_chart_insert AFTER INSERT ON runs
WHEN NEW.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_chart_changes (owner_id, assignment_id, day, succeeded, failed)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed'),
           (NEW.owner_id, 0, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed');
END;

CREATE TRIGGER runs_chart_delete AFTER DELETE ON runs
WHEN OLD.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_chart_changes (owner_id, assignment_id, day, succeeded, failed)
    VALUES (OLD.owner_id, OLD.assignment_id, OLD.started_at / 86400,
            -(OLD.status = 'succeeded'), -(OLD.status = 'failed')),
           (OLD.owner_id, 0, OLD.started_at / 86400,
            -(OLD.status = 'succeeded'), -(OLD.status = 'failed'));
END;

CREATE TRIGGER runs_chart_update_old
AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
WHEN OLD.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_chart_changes (owner_id, assignment_id, day, succeeded, failed)
    VALUES (OLD.owner_id, OLD.assignment_id, OLD.started_at / 86400,
            -(OLD.status = 'succeeded'), -(OLD.status = 'failed')),
           (OLD.owner_id, 0, OLD.started_at / 86400,
            -(OLD.status = 'succeeded'), -(OLD.status = 'failed'));
END;

CREATE TRIGGER runs_chart_update_new
AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
WHEN NEW.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_chart_changes (owner_id, assignment_id, day, succeeded, failed)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed'),
           (NEW.owner_id, 0, NEW.started_at / 86400,
            NEW.status = 'succeeded', NEW.status = 'failed');
END;
