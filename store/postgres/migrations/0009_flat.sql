-- 0009: a hot operation's cost flat at a million devices (issue 28).
--
-- 1. An event table's per-key index is on the key alone, not (key, seq).
--    With seq in the key every event is an index entry of its own (about
--    36 bytes with its line pointer, and pages left about half full by
--    inserts in random key order): mdmcred_servicepass_event_device was
--    383 MB for 6,000,000 events, three times shared_buffers, so at a
--    million devices every audit insert and every events page read a cold
--    leaf. On the key alone, PostgreSQL deduplicates the entries into one
--    posting list per key (the key once, 6 bytes per event), a fraction of
--    the size, so that far more of it stays in memory. An events page sorts
--    its key's rows by seq: a sort of the rows it returns anyway.
-- 2. mdmcred_enrollment_passcode is rewritten by every failed attempt (the
--    lockout's compare-and-swap). On a full page (fillfactor 100, how a
--    bulk load or a long run of inserts leaves it) such an update cannot be
--    HOT: the row moves to another page and both indexes get an entry
--    (the unique digest index checking uniqueness against the old version).
--    Fillfactor 70 leaves room on every page for the new version, so the
--    update stays on the page and touches no index. The setting applies to
--    pages written from now on; VACUUM FULL mdmcred_enrollment_passcode (in
--    a quiet hour: it locks the table) applies it to existing ones.
--
-- Plain CREATE INDEX blocks writes to the table while it builds: on a large
-- existing table run this migration in a quiet hour, or create the indexes
-- CONCURRENTLY by hand first, with these names (Migrate then finds them: IF
-- NOT EXISTS), and the old ones are dropped here.

CREATE INDEX IF NOT EXISTS mdmcred_servicepass_event_by_device ON mdmcred_servicepass_event (device_id);
DROP INDEX IF EXISTS mdmcred_servicepass_event_device;

CREATE INDEX IF NOT EXISTS mdmcred_enrollment_event_by_site ON mdmcred_enrollment_event (site);
DROP INDEX IF EXISTS mdmcred_enrollment_event_site;

CREATE INDEX IF NOT EXISTS mdmcred_passcode_event_by_reset ON mdmcred_passcode_event (reset_id);
DROP INDEX IF EXISTS mdmcred_passcode_event_reset;
CREATE INDEX IF NOT EXISTS mdmcred_passcode_event_by_device ON mdmcred_passcode_event (device_id);
DROP INDEX IF EXISTS mdmcred_passcode_event_device;

ALTER TABLE mdmcred_enrollment_passcode SET (fillfactor = 70);
