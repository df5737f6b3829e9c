-- viewas schema, version 7 (issue 6, part 3): the runs page's rows kept in
-- the form they are sent in. Every audited runs page read eight columns of
-- 50 rows and wrote each as JSON (a string per column, two RFC 3339 times,
-- escaping): two thirds of the page's CPU. `page_tail` is the end of a
-- row's JSON object, from `"status"` to the closing brace, and the runs
-- index stores it, so a page is one index range of (started_at, id,
-- assignment_id, page_tail). The server writes the head
-- (`{"id":…,"assignment_id":…,"assignment_name":…,`) itself, since the
-- name lives in `assignments`.
--
-- Triggers keep it equal to the columns it is made of on every insert and
-- every update of those columns. (A generated column would say so by
-- construction, but SQLite does not read a virtual one from an index and
-- cannot add a stored one to a table that exists.)
--
-- Times as `clock::rfc3339` writes them: UTC, to the second, and the epoch
-- for a time outside years 0000-9999. Words and text through json_quote.
ALTER TABLE runs ADD COLUMN page_tail TEXT;

CREATE VIEW runs_page_tail (id, page_tail) AS
SELECT id,
    '"status":' || json_quote(status)
    || ',"trigger":' || json_quote(run_trigger)
    || ',"started_at":"' || CASE WHEN started_at BETWEEN -62167219200 AND 253402300799
        THEN strftime('%Y-%m-%dT%H:%M:%SZ', started_at, 'unixepoch')
        ELSE '1970-01-01T00:00:00Z' END || '"'
    || ',"finished_at":' || CASE
        WHEN finished_at IS NULL THEN 'null'
        WHEN finished_at BETWEEN -62167219200 AND 253402300799
        THEN '"' || strftime('%Y-%m-%dT%H:%M:%SZ', finished_at, 'unixepoch') || '"'
        ELSE '"1970-01-01T00:00:00Z"' END
    || ',"duration_ms":' || COALESCE(duration_ms, 'null')
    || ',"summary":' || json_quote(summary)
    || '}'
FROM runs;

UPDATE runs SET page_tail = (SELECT t.page_tail FROM runs_page_tail t WHERE t.id = runs.id);

CREATE TRIGGER runs_page_tail_insert AFTER INSERT ON runs
BEGIN
    UPDATE runs SET page_tail = (SELECT t.page_tail FROM runs_page_tail t WHERE t.id = NEW.id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER runs_page_tail_update
AFTER UPDATE OF status, run_trigger, started_at, finished_at, duration_ms, summary, page_tail ON runs
BEGIN
    UPDATE runs SET page_tail = (SELECT t.page_tail FROM runs_page_tail t WHERE t.id = NEW.id)
    WHERE id = NEW.id;
END;

-- The page's index (0004's name and key prefix, so the plans that used it
-- still do), now carrying the tail instead of the columns it is made of.
DROP INDEX runs_owner_started;
CREATE INDEX runs_owner_started ON runs (owner_id, started_at DESC, id DESC,
    assignment_id, status, page_tail);
