-- viewas schema, version 3 (issue 6): `run_days` keyed by owner, then
-- assignment, with assignment_id 0 holding the owner's totals over all
-- assignments (real ids start at 1). The unfiltered chart — the common case
-- — then reads 30 days × statuses rows (≈120) instead of 30 × assignments ×
-- statuses (≈1,000 for Alice), and a filtered chart one tight key range.
DROP TRIGGER runs_days_insert;
DROP TRIGGER runs_days_delete;
DROP TRIGGER runs_days_update;
DROP TABLE run_days;

CREATE TABLE run_days (
    owner_id      INTEGER NOT NULL,
    -- 0: all of the owner's assignments together.
    assignment_id INTEGER NOT NULL,
    -- started_at / 86400: the UTC day.
    day           INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (owner_id, assignment_id, day, status)
);

INSERT INTO run_days (owner_id, assignment_id, day, status, n)
SELECT owner_id, assignment_id, started_at / 86400, status, COUNT(*)
FROM runs GROUP BY owner_id, assignment_id, started_at / 86400, status;
INSERT INTO run_days (owner_id, assignment_id, day, status, n)
SELECT owner_id, 0, started_at / 86400, status, COUNT(*)
FROM runs GROUP BY owner_id, started_at / 86400, status;

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
