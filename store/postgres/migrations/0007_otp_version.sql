-- 0007: OTPStore.Update and UpdateTOTP read the row, let the service decide
-- and write it back with one statement conditioned on version (or insert it
-- if absent), instead of holding a transaction with the row locked across
-- five round trips.
ALTER TABLE mdmcred_otp_pin ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
ALTER TABLE mdmcred_otp_totp ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
