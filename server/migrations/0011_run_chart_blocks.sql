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

WITH RECURSIVE slot(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM slot WHERE k < 31),
blocks AS (SELECT DISTINCT owner_id, assignment_id, day / 32 AS block FROM run_day_totals)
INSERT INTO run_chart_blocks (owner_id, assignment_id, block, counts)
SELECT b.owner_id, b.assignment_id, b.block,
       (SELECT group_concat(printf('%06d%06d', coalesce(t.succeeded, 0), coalesce(t.failed, 0)),
                            '' ORDER BY slot.k)
        FROM slot LEFT JOIN run_day_totals t
          ON t.owner_id = b.owner_id AND t.assignment_id = b.assignment_id
         AND t.day = b.block * 32 + slot.k)
FROM blocks b;

DROP TRIGGER runs_day_totals_insert;
DROP TRIGGER runs_day_totals_delete;
DROP TRIGGER runs_day_totals_update_old;
DROP TRIGGER runs_day_totals_update_new;
DROP TABLE run_day_totals;

-- Each trigger makes sure the run's two blocks exist (its assignment's and
-- the owner's, 0), then adds to or takes from the run's slot in both. Only
-- succeeded and failed runs are counted, so only they touch the table.
CREATE TRIGGER runs_chart_insert AFTER INSERT ON runs
WHEN NEW.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_chart_blocks (owner_id, assignment_id, block, counts)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400 / 32, hex(zeroblob(192))),
           (NEW.owner_id, 0, NEW.started_at / 86400 / 32, hex(zeroblob(192)))
    ON CONFLICT DO NOTHING;
    UPDATE run_chart_blocks SET counts =
        substr(counts, 1, (NEW.started_at / 86400 % 32) * 12)
        || printf('%06d%06d',
            CAST(substr(counts, (NEW.started_at / 86400 % 32) * 12 + 1, 6) AS INTEGER)
                + (NEW.status = 'succeeded'),
            CAST(substr(counts, (NEW.started_at / 86400 % 32) * 12 + 7, 6) AS INTEGER)
                + (NEW.status = 'failed'))
        || substr(counts, (NEW.started_at / 86400 % 32) * 12 + 13)
    WHERE owner_id = NEW.owner_id AND assignment_id IN (NEW.assignment_id, 0)
      AND block = NEW.started_at / 86400 / 32;
END;

CREATE TRIGGER runs_chart_delete AFTER DELETE ON runs
WHEN OLD.status IN ('succeeded', 'failed')
BEGIN
    UPDATE run_chart_blocks SET counts =
        substr(counts, 1, (OLD.started_at / 86400 % 32) * 12)
        || printf('%06d%06d',
            CAST(substr(counts, (OLD.started_at / 86400 % 32) * 12 + 1, 6) AS INTEGER)
                - (OLD.status = 'succeeded'),
            CAST(substr(counts, (OLD.started_at / 86400 % 32) * 12 + 7, 6) AS INTEGER)
                - (OLD.status = 'failed'))
        || substr(counts, (OLD.started_at / 86400 % 32) * 12 + 13)
    WHERE owner_id = OLD.owner_id AND assignment_id IN (OLD.assignment_id, 0)
      AND block = OLD.started_at / 86400 / 32;
END;

-- An update is a delete of the old row and an insert of the new one.
CREATE TRIGGER runs_chart_update_old
AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
WHEN OLD.status IN ('succeeded', 'failed')
BEGIN
    UPDATE run_chart_blocks SET counts =
        substr(counts, 1, (OLD.started_at / 86400 % 32) * 12)
        || printf('%06d%06d',
            CAST(substr(counts, (OLD.started_at / 86400 % 32) * 12 + 1, 6) AS INTEGER)
                - (OLD.status = 'succeeded'),
            CAST(substr(counts, (OLD.started_at / 86400 % 32) * 12 + 7, 6) AS INTEGER)
                - (OLD.status = 'failed'))
        || substr(counts, (OLD.started_at / 86400 % 32) * 12 + 13)
    WHERE owner_id = OLD.owner_id AND assignment_id IN (OLD.assignment_id, 0)
      AND block = OLD.started_at / 86400 / 32;
END;

CREATE TRIGGER runs_chart_update_new
AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
WHEN NEW.status IN ('succeeded', 'failed')
BEGIN
    INSERT INTO run_chart_blocks (owner_id, assignment_id, block, counts)
    VALUES (NEW.owner_id, NEW.assignment_id, NEW.started_at / 86400 / 32, hex(zeroblob(192))),
           (NEW.owner_id, 0, NEW.started_at / 86400 / 32, hex(zeroblob(192)))
    ON CONFLICT DO NOTHING;
    UPDATE run_chart_blocks SET counts =
        substr(counts, 1, (NEW.started_at / 86400 % 32) * 12)
        || printf('%06d%06d',
            CAST(substr(counts, (NEW.started_at / 86400 % 32) * 12 + 1, 6) AS INTEGER)
                + (NEW.status = 'succeeded'),
            CAST(substr(counts, (NEW.started_at / 86400 % 32) * 12 + 7, 6) AS INTEGER)
                + (NEW.status = 'failed'))
        || substr(counts, (NEW.started_at / 86400 % 32) * 12 + 13)
    WHERE owner_id = NEW.owner_id AND assignment_id IN (NEW.assignment_id, 0)
      AND block = NEW.started_at / 86400 / 32;
END;
