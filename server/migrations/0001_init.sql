-- viewas schema, version 1.
-- Times are integer seconds since the Unix epoch (UTC); the HTTP layer
-- formats them as RFC 3339. Plain types and constraints so the same file
-- ports to PostgreSQL with little more than INTEGER PRIMARY KEY → BIGSERIAL.

CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    policy      TEXT    NOT NULL CHECK (policy IN ('notify', 'silent')),
    timezone    TEXT    NOT NULL,
    -- Workspace settings as a JSON array of [key, value] pairs, in display order.
    settings    TEXT    NOT NULL DEFAULT '[]'
);

-- A partner organisation serves its client organisations.
CREATE TABLE partner_clients (
    partner_org_id INTEGER NOT NULL REFERENCES orgs (id),
    client_org_id  INTEGER NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (partner_org_id, client_org_id)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    -- Stored lower-case; login lower-cases its input.
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'partner', 'user')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    timezone      TEXT    NOT NULL,
    -- argon2 PHC string; NULL: the account cannot sign in.
    password_hash TEXT,
    last_active   INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_org ON users (org_id);
CREATE INDEX users_name ON users (name, id);

-- Credentials to outside systems. `secret` never leaves the server.
CREATE TABLE connections (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES orgs (id),
    kind    TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    status  TEXT    NOT NULL CHECK (status IN ('connected', 'expired', 'error')),
    secret  TEXT    NOT NULL
);
CREATE INDEX connections_org ON connections (org_id);

CREATE TABLE assignments (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    instructions  TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'draft')),
    schedule      TEXT    NOT NULL,
    -- JSON array of [key, value] pairs.
    configuration TEXT    NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL
);
CREATE INDEX assignments_owner ON assignments (owner_id, id);

CREATE TABLE assignment_connections (
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    PRIMARY KEY (assignment_id, connection_id)
);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    -- Denormalised from the assignment so a user's runs page is one index range.
    owner_id      INTEGER NOT NULL REFERENCES users (id),
    status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    run_trigger   TEXT    NOT NULL CHECK (run_trigger IN ('schedule', 'manual', 'api')),
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    duration_ms   INTEGER,
    summary       TEXT,
    result        TEXT,
    error         TEXT
);
-- Keyset paging, newest first: (owner, started_at desc, id desc).
CREATE INDEX runs_owner_started ON runs (owner_id, started_at DESC, id DESC);
CREATE INDEX runs_assignment_started ON runs (assignment_id, started_at DESC, id DESC);

CREATE TABLE run_steps (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    started_at  INTEGER,
    duration_ms INTEGER,
    output      TEXT    NOT NULL,
    PRIMARY KEY (run_id, position)
);

CREATE TABLE impersonation_sessions (
    id                INTEGER PRIMARY KEY,
    impersonator_id   INTEGER NOT NULL REFERENCES users (id),
    target_id         INTEGER NOT NULL REFERENCES users (id),
    reason_category   TEXT    NOT NULL,
    reason            TEXT    NOT NULL,
    ticket            TEXT,
    started_at        INTEGER NOT NULL,
    -- The hard end: started_at + the configured maximum.
    expires_at        INTEGER NOT NULL,
    idle_timeout_secs INTEGER NOT NULL,
    -- Last 2xx view request (or the start): the idle clock runs from here.
    last_activity_at  INTEGER NOT NULL,
    ended_at          INTEGER,
    end_reason        TEXT CHECK (end_reason IN ('exit', 'expiry', 'idle', 'revocation')),
    pages_viewed      INTEGER NOT NULL DEFAULT 0
);
-- One active session per impersonator, enforced by the database as well.
CREATE UNIQUE INDEX sessions_one_active ON impersonation_sessions (impersonator_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_target ON impersonation_sessions (target_id, id);
CREATE INDEX sessions_started ON impersonation_sessions (started_at, id);

-- Bearer tokens: `<selector>.<secret>`; only sha256(secret) is stored.
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    selector    TEXT    NOT NULL UNIQUE,
    secret_hash BLOB    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('login', 'impersonation')),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    session_id  INTEGER REFERENCES impersonation_sessions (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES impersonation_sessions (id),
    author_id  INTEGER NOT NULL REFERENCES users (id),
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notes_session ON notes (session_id, id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    session_id INTEGER NOT NULL REFERENCES impersonation_sessions (id),
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- Failed sign-ins, for throttling per account and per client address.
CREATE TABLE login_failures (
    id    INTEGER PRIMARY KEY,
    scope TEXT    NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX login_failures_scope ON login_failures (scope, at);

-- The audit trail: append-only, hash-chained.
-- hash = hex(sha256(previous row's hash ‖ canonical encoding of this row)).
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    actor_id   INTEGER,
    subject_id INTEGER,
    session_id INTEGER,
    method     TEXT,
    path       TEXT,
    status     INTEGER,
    detail     TEXT,
    hash       TEXT    NOT NULL
);
CREATE INDEX audit_session ON audit_events (session_id, id);

-- Defence in depth: the application never updates or deletes audit rows, and
-- the database refuses to. (Someone with raw file access can still drop these
-- triggers; the hash chain is what catches that.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
