-- viewas schema, version 10 (issue 6, growth): a status filter reads its
-- own range.
--
-- Filtered by status, the runs page walked the user's range of
-- runs_owner_started and skipped every run of another status until it had
-- a page. For a status the user rarely has (queued, running, cancelled)
-- that was the user's whole range: 1.1 ms for a user with 5.4k runs and
-- 13.8 ms with 54k (one connection, p50), against 0.4 ms unfiltered in
-- both. This index puts each status of a user in one range, newest first,
-- and carries the whole row like runs_owner_started, so a filtered page is
-- one range too. It holds each `page_row` a second time: the disk is the
-- price of a page that costs the same whatever the user's history.
CREATE INDEX runs_owner_status ON runs (owner_id, status, started_at DESC, id DESC,
    assignment_id, page_row);
