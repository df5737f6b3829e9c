-- viewas schema, version 5: sign-in attempts in flight.
--
-- A sign-in attempt is recorded in login_failures before its password is
-- checked (store/throttle.rs). `pending` = 1 while the check runs: a wrong
-- password then settles the row (0), a right one deletes it. A pending row
-- older than a minute (its server died mid-check) counts as settled.
ALTER TABLE login_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0
    CHECK (pending IN (0, 1));
