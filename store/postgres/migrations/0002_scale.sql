-- 0002: indexes for retention and for a cost flat in table size. Every
-- purge (see retention.go) finds its next batch through one of these, so
-- that deleting the oldest rows never scans the table. Plain CREATE INDEX
-- blocks writes to the table while it builds: on a large existing table,
-- run this migration in a quiet hour (or create the indexes CONCURRENTLY by
-- hand first, with these names, and Migrate then finds them: IF NOT EXISTS).

CREATE INDEX IF NOT EXISTS mdmcred_servicepass_event_at ON mdmcred_servicepass_event (at);
CREATE INDEX IF NOT EXISTS mdmcred_enrollment_event_at ON mdmcred_enrollment_event (at);
CREATE INDEX IF NOT EXISTS mdmcred_passcode_event_at ON mdmcred_passcode_event (at);

-- Finished resets (succeeded 4, failed 5, expired 6) by their last change.
CREATE INDEX IF NOT EXISTS mdmcred_passcode_reset_final
    ON mdmcred_passcode_reset (updated_at) WHERE state IN (4, 5, 6);

-- Expired PIN records that carry no failure: the only ones a purge deletes.
CREATE INDEX IF NOT EXISTS mdmcred_otp_pin_purgeable
    ON mdmcred_otp_pin (expires_at) WHERE failures = 0 AND NOT void;
