package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/otp"
	"github.com/mdmcred/mdmcred/passcode"
	"github.com/mdmcred/mdmcred/servicepass"
)

// Retention. Every purge method is one DELETE of at most limit rows, found
// oldest first through an index of migration 0002 and locked with FOR
// UPDATE SKIP LOCKED: a purge holds row locks on its batch only, for the
// length of one statement, never waits for a row that traffic is using
// (it takes it in a later batch), and two purges running at once delete
// disjoint batches. The package functions servicepass.Purge,
// enrollment.Purge, passcode.Purge and otp.Purge call these
// in batches of 1,000 until the old rows are gone.

// finalStates is the SQL list of the final states (Succeeded, Failed,
// Expired), those of the resets a purge may delete; migration 0002's
// partial index uses the same list.
const finalStates = "(4, 5, 6)"

var (
	_ servicepass.Purger = (*ServicepassStore)(nil)
	_ enrollment.Purger  = (*EnrollmentStore)(nil)
	_ passcode.Purger    = (*PasscodeStore)(nil)
	_ otp.Purger         = (*OTPStore)(nil)
)

// purge runs one batch-bounded DELETE, counted by a SELECT, whose
// first argument is the cutoff and second the limit, and returns the rows
// it deleted.
func purge(ctx context.Context, db *sql.DB, what, query string, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, nil
	}
	var n int64
	if err := db.QueryRowContext(ctx, query, tsArg(before), int64(limit)).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: %s: %w", what, err)
	}
	return int(n), nil
}

// PurgeEvents implements [servicepass.Purger].
func (s *ServicepassStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	return purge(ctx, s.db, "servicepass purge events", `
		WITH gone AS (
			DELETE FROM mdmcred_servicepass_event WHERE seq = ANY (ARRAY(
				SELECT seq FROM mdmcred_servicepass_event WHERE at < $1
				ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED))
			RETURNING 1)
		SELECT count(*) FROM gone`, before, limit)
}

// PurgeEvents implements [enrollment.Purger].
func (s *EnrollmentStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	return purge(ctx, s.db, "enrollment purge events", `
		WITH gone AS (
			DELETE FROM mdmcred_enrollment_event WHERE seq = ANY (ARRAY(
				SELECT seq FROM mdmcred_enrollment_event WHERE at < $1
				ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED))
			RETURNING 1)
		SELECT count(*) FROM gone`, before, limit)
}

// PurgeResets implements [passcode.Purger]: one statement deletes the
// batch of finished resets and their events.
func (s *PasscodeStore) PurgeResets(ctx context.Context, before time.Time, limit int) (int, error) {
	return purge(ctx, s.db, "passcode purge resets", `
		WITH gone AS (
			DELETE FROM mdmcred_passcode_reset WHERE id = ANY (ARRAY(
				SELECT id FROM mdmcred_passcode_reset WHERE state IN `+finalStates+` AND updated_at < $1
				ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED))
			RETURNING id),
		events AS (
			DELETE FROM mdmcred_passcode_event WHERE reset_id IN (SELECT id FROM gone))
		SELECT count(*) FROM gone`, before, limit)
}

// PurgeEvents implements [passcode.Purger].
func (s *PasscodeStore) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	return purge(ctx, s.db, "passcode purge events", `
		WITH gone AS (
			DELETE FROM mdmcred_passcode_event WHERE seq = ANY (ARRAY(
				SELECT seq FROM mdmcred_passcode_event WHERE at < $1
				ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED))
			RETURNING 1)
		SELECT count(*) FROM gone`, before, limit)
}

// pinCanPurge is otp.CanPurge in SQL, against the cutoff $1. GREATEST
// skips NULLs and is NULL (so nothing is deleted) when all are NULL. The
// partial index of migration 0004 serves it.
const pinCanPurge = `failures = 0 AND NOT void AND consecutive = 0 AND NOT blocked
	AND GREATEST(expires_at, issue_window, last_failure) < $1`

// PurgePINs implements [otp.Purger]. The conditions are checked
// again on the locked rows, so a PIN issued to the user after the batch
// was chosen survives.
func (s *OTPStore) PurgePINs(ctx context.Context, before time.Time, limit int) (int, error) {
	return purge(ctx, s.db, "otp purge pins", `
		WITH gone AS (
			DELETE FROM mdmcred_otp_pin WHERE user_name = ANY (ARRAY(
				SELECT user_name FROM mdmcred_otp_pin WHERE `+pinCanPurge+`
				ORDER BY GREATEST(expires_at, issue_window, last_failure) LIMIT $2 FOR UPDATE SKIP LOCKED))
				AND `+pinCanPurge+`
			RETURNING 1)
		SELECT count(*) FROM gone`, before, limit)
}
