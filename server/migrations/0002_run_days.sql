-- viewas schema, version 2 (issue 6): the runs page's 30-day chart.
-- Counting a user's runs of the last 30 days on every first page costs as
-- much as they have runs (18,000 for Alice in a 500k-run store, 4× the
-- latency of a 5k-run store). `run_days` keeps the counts per owner, day,
-- assignment and status, so the chart reads at most
-- 30 × assignments × statuses rows whatever the size of `runs`.
-- Triggers keep it exact for every insert, update and delete of a run.
CREATE TABLE run_days (
    owner_id      INTEGER NOT NULL,
    -- started_at / 86400: the UTC day.
    day           INTEGER NOT NULL,
    assignment_id INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (owner_id, day, assignment_id, status)
);

INSERT INTO run_days (owner_id, day, assignment_id, status, n)
SELECT owner_id, started_at / 86400, assignment_id, status, COUNT(*)
FROM runs GROUP BY owner_id, started_at / 86400, assignment_id, status;

CREATE TRIGGER runs_days_insert AFTER INSERT ON runs
BEGIN
    INSERT INTO run_days (owner_id, day, assignment_id, status, n)
    VALUES (NEW.owner_id, NEW.started_at / 86400, NEW.assignment_id, NEW.status, 1)
    ON CONFLICT (owner_id, day, assignment_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER runs_days_delete AFTER DELETE ON runs
BEGIN
    UPDATE run_days SET n = n - 1
    WHERE owner_id = OLD.owner_id AND day = OLD.started_at / 86400
      AND assignment_id = OLD.assignment_id AND status = OLD.status;
END;

CREATE TRIGGER runs_days_update AFTER UPDATE OF owner_id, started_at, assignment_id, status ON runs
BEGIN
    UPDATE run_days SET n = n - 1
    WHERE owner_id = OLD.owner_id AND day = OLD.started_at / 86400
      AND assignment_id = OLD.assignment_id AND status = OLD.status;
    INSERT INTO run_days (owner_id, day, assignment_id, status, n)
    VALUES (NEW.owner_id, NEW.started_at / 86400, NEW.assignment_id, NEW.status, 1)
    ON CONFLICT (owner_id, day, assignment_id, status) DO UPDATE SET n = n + 1;
END;
