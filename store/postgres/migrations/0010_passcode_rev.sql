-- 0010: passcode.Store follows the one store idiom (issue 28).
--
-- A reset carries its revision (rev): passcode.Service loads a reset,
-- decides the lifecycle in Go and writes it back with one conditional
-- statement, an INSERT ... ON CONFLICT DO NOTHING for a new reset or an
-- UPDATE ... WHERE rev = prev for a move. The store no longer knows which
-- states are open: the Service sets open_device to the device ID while a
-- reset is open and to NULL once it is final, and a partial unique index
-- on it keeps one open reset per device. Open and Stale select on it.
-- Existing resets are at revision 1; the open ones get their device.
ALTER TABLE mdmcred_passcode_reset ADD COLUMN IF NOT EXISTS rev bigint NOT NULL DEFAULT 1;
ALTER TABLE mdmcred_passcode_reset ALTER COLUMN rev DROP DEFAULT;
ALTER TABLE mdmcred_passcode_reset ADD COLUMN IF NOT EXISTS open_device text;
UPDATE mdmcred_passcode_reset SET open_device = device_id WHERE state IN (1, 2, 3) AND open_device IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS mdmcred_passcode_reset_open_device
    ON mdmcred_passcode_reset (open_device) WHERE open_device IS NOT NULL;
CREATE INDEX IF NOT EXISTS mdmcred_passcode_reset_open_stale
    ON mdmcred_passcode_reset (stale_at) WHERE open_device IS NOT NULL;
DROP INDEX IF EXISTS mdmcred_passcode_reset_one_open;
DROP INDEX IF EXISTS mdmcred_passcode_reset_stale;
