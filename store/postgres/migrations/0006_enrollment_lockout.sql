-- 0006: the enrollment lockout rules are decided in Go (package enrollment)
-- and written back with a compare-and-swap on version; the row keeps their
-- state. A success no longer writes the row: its use is a "used" event, so
-- the uses counter and last_used go, and so does locked_failures (the
-- compare-and-swap tells the one locking caller). A passcode locked before
-- this migration keeps lock_rule 0 (no rule recorded).
ALTER TABLE mdmcred_enrollment_passcode
    ADD COLUMN IF NOT EXISTS version     bigint      NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS consecutive bigint      NOT NULL DEFAULT 0,
    -- per-source consecutive failures: [{"source": text, "n": count}, ...],
    -- least recently failed first, at most enrollment.MaxSources entries.
    ADD COLUMN IF NOT EXISTS sources     jsonb       NOT NULL DEFAULT '[]',
    ADD COLUMN IF NOT EXISTS rate_start  timestamptz,
    ADD COLUMN IF NOT EXISTS rate_count  bigint      NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS rate_prev   bigint      NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS lock_rule   smallint    NOT NULL DEFAULT 0,
    DROP COLUMN IF EXISTS locked_failures,
    DROP COLUMN IF EXISTS uses,
    DROP COLUMN IF EXISTS last_used;
