-- viewas schema, version 8 (issue 6): a session's events found by their
-- range in the trail instead of by an index of their own.
--
-- `audit_session (session_id, id)` put every audited request's entry on
-- the index leaf of its session, so a commit of the writer's batch wrote
-- a 4 KB WAL frame per session in the batch, on top of the trail's last
-- page and the sessions' counters; with 50 sessions viewing at once that
-- was about half of every commit's pages, and most of the writer's CPU
-- (docs/performance.md). The events query never used the index anyway
-- (its `?1 IS NULL OR session_id = ?1` hid it from the planner) and
-- scanned the trail from its start.
--
-- The trail is append-only and its ids only grow, so a session's events
-- all lie between its first and its last: the sessions row keeps both
-- (the trigger below, in the same transaction as the row), and a
-- session's page is a range of the trail's own b-tree, from the session's
-- first event (or the cursor) to its last. The row being updated is the
-- one a view's audit job updates anyway (`pages_viewed`), so it adds no
-- page to the commit.
ALTER TABLE impersonation_sessions ADD COLUMN first_event_id INTEGER;
ALTER TABLE impersonation_sessions ADD COLUMN last_event_id INTEGER;

UPDATE impersonation_sessions SET
    first_event_id = (SELECT MIN(id) FROM audit_events e WHERE e.session_id = impersonation_sessions.id),
    last_event_id = (SELECT MAX(id) FROM audit_events e WHERE e.session_id = impersonation_sessions.id);

DROP INDEX audit_session;

CREATE TRIGGER audit_events_session_bounds AFTER INSERT ON audit_events
WHEN NEW.session_id IS NOT NULL
BEGIN
    UPDATE impersonation_sessions SET
        first_event_id = coalesce(first_event_id, NEW.id),
        last_event_id = max(coalesce(last_event_id, NEW.id), NEW.id)
    WHERE id = NEW.session_id;
END;
