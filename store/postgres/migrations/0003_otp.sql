-- 0003: otp. A PIN user's row now outlives the PIN: it keeps the count of
-- consecutive wrong PINs across re-issues and the issue rate-limit window,
-- and an empty digest means no PIN is outstanding. mdmcred_otp_totp holds
-- otp.TOTPService's per-subject state: the replay high-water mark, drift
-- and failure count; never a key or a code.
ALTER TABLE mdmcred_otp_pin
    ADD COLUMN consecutive  bigint      NOT NULL DEFAULT 0,
    ADD COLUMN blocked      boolean     NOT NULL DEFAULT false,
    ADD COLUMN issue_window timestamptz,
    ADD COLUMN issued       bigint      NOT NULL DEFAULT 0;

CREATE TABLE mdmcred_otp_totp (
    subject      text        PRIMARY KEY,
    -- otp.TOTPState.NextStep, a uint64 below 2^63 for any time step
    -- (Unix seconds / period), stored as bigint.
    next_step    bigint      NOT NULL DEFAULT 0 CHECK (next_step >= 0),
    drift        bigint      NOT NULL DEFAULT 0,
    failures     bigint      NOT NULL DEFAULT 0,
    last_failure timestamptz,
    blocked      boolean     NOT NULL DEFAULT false
);
