-- viewas schema, version 9 (issue 6): the runs page's rows kept whole.
--
-- 0007 kept the end of each row's JSON object (`page_tail`) in the runs
-- index and left the head (`{"id":…,"assignment_id":…,"assignment_name":…,`)
-- to the server, which looked the assignment's name up for each assignment
-- of a page (about eight queries per page of the demo's users) and wrote
-- two numbers per row. `page_row` is the whole object, the name included,
-- so a page is its index range and nothing else.
--
-- Triggers keep it equal to what it is made of: every insert of a run,
-- every update of its columns, and every rename of its assignment. A run
-- whose assignment is missing has no row (NULL), which the page reports
-- as an error rather than leaving a gap.
DROP TRIGGER runs_page_tail_insert;
DROP TRIGGER runs_page_tail_update;
DROP INDEX runs_owner_started;
DROP VIEW runs_page_tail;
ALTER TABLE runs DROP COLUMN page_tail;
ALTER TABLE runs ADD COLUMN page_row TEXT;

-- Times as `clock::rfc3339` writes them (UTC, to the second, the epoch for
-- a time outside years 0000-9999); words and text through json_quote;
-- fields in RunSummary's order.
CREATE VIEW runs_page_row (id, page_row) AS
SELECT r.id,
    '{"id":' || r.id
    || ',"assignment_id":' || r.assignment_id
    || ',"assignment_name":' || json_quote(a.name)
    || ',"status":' || json_quote(r.status)
    || ',"trigger":' || json_quote(r.run_trigger)
    || ',"started_at":"' || CASE WHEN r.started_at BETWEEN -62167219200 AND 253402300799
        THEN strftime('%Y-%m-%dT%H:%M:%SZ', r.started_at, 'unixepoch')
        ELSE '1970-01-01T00:00:00Z' END || '"'
    || ',"finished_at":' || CASE
        WHEN r.finished_at IS NULL THEN 'null'
        WHEN r.finished_at BETWEEN -62167219200 AND 253402300799
        THEN '"' || strftime('%Y-%m-%dT%H:%M:%SZ', r.finished_at, 'unixepoch') || '"'
        ELSE '"1970-01-01T00:00:00Z"' END
    || ',"duration_ms":' || COALESCE(r.duration_ms, 'null')
    || ',"summary":' || json_quote(r.summary)
    || '}'
FROM runs r JOIN assignments a ON a.id = r.assignment_id;

UPDATE runs SET page_row = (SELECT v.page_row FROM runs_page_row v WHERE v.id = runs.id);

CREATE TRIGGER runs_page_row_insert AFTER INSERT ON runs
BEGIN
    UPDATE runs SET page_row = (SELECT v.page_row FROM runs_page_row v WHERE v.id = NEW.id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER runs_page_row_update
AFTER UPDATE OF assignment_id, status, run_trigger, started_at, finished_at, duration_ms, summary,
    page_row ON runs
BEGIN
    UPDATE runs SET page_row = (SELECT v.page_row FROM runs_page_row v WHERE v.id = NEW.id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER runs_page_row_rename AFTER UPDATE OF name ON assignments
BEGIN
    UPDATE runs SET page_row = (SELECT v.page_row FROM runs_page_row v WHERE v.id = runs.id)
    WHERE assignment_id = NEW.id;
END;

-- The page's index (0004's name and key prefix, so the plans that used it
-- still do), carrying the whole row.
CREATE INDEX runs_owner_started ON runs (owner_id, started_at DESC, id DESC,
    assignment_id, status, page_row);
