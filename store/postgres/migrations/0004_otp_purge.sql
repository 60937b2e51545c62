-- 0004: the PIN purge after 0003, where a user's row outlives the PIN (it
-- keeps the consecutive-failure count and the issue window): a row may go
-- once it carries no failure of either kind and its latest activity is old
-- (otp.Purgeable). Replaces 0002's index, which knew only expires_at.
DROP INDEX IF EXISTS mdmcred_otp_pin_purgeable;
CREATE INDEX IF NOT EXISTS mdmcred_otp_pin_purgeable
    ON mdmcred_otp_pin (GREATEST(expires_at, issue_window, last_failure))
    WHERE failures = 0 AND NOT void AND consecutive = 0 AND NOT blocked;
