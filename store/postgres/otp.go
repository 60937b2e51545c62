package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/mdmcred/mdmcred/otp"
)

// OTPStore is an [otp.Store] (portal PINs, table mdmcred_otp_pin) and an
// [otp.TOTPStore] (authenticator state, table mdmcred_otp_totp) in
// PostgreSQL. It keeps only the PIN's keyed hash, and for TOTP only the
// replay mark, drift and failure count. Each Update locks the user's or
// subject's row (creating it first if needed, in the same transaction) for
// the length of one transaction, so of many instances racing on one row
// exactly one wins each change. Safe for concurrent use.
type OTPStore struct {
	db *sql.DB
}

var (
	_ otp.Store     = (*OTPStore)(nil)
	_ otp.TOTPStore = (*OTPStore)(nil)
)

// NewOTPStore returns an OTPStore on db, whose schema [Migrate] has set up.
func NewOTPStore(db *sql.DB) *OTPStore { return &OTPStore{db: db} }

// Put saves rec as rec.User's record, replacing any previous one: one
// upsert. The services never call it; it seeds a store in tests and
// migrations.
func (s *OTPStore) Put(ctx context.Context, rec otp.PINRecord) error {
	if err := checkText("user", rec.User); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, pinUpsert, pinArgs(rec.User, &rec)...); err != nil {
		return fmt.Errorf("postgres: otp put: %w", err)
	}
	return nil
}

const pinUpsert = `
	INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at, failures, last_failure, void,
		consecutive, blocked, issue_window, issued)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (user_name) DO UPDATE SET
		digest = EXCLUDED.digest, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at,
		failures = EXCLUDED.failures, last_failure = EXCLUDED.last_failure, void = EXCLUDED.void,
		consecutive = EXCLUDED.consecutive, blocked = EXCLUDED.blocked,
		issue_window = EXCLUDED.issue_window, issued = EXCLUDED.issued`

func pinArgs(user string, r *otp.PINRecord) []any {
	return []any{user, nonNilBytes(r.Digest), tsArg(r.IssuedAt), tsArg(r.ExpiresAt), int64(r.Failures), tsArg(r.LastFailure),
		r.Void, int64(r.Consecutive), r.Blocked, tsArg(r.IssueWindow), int64(r.Issued)}
}

// Update implements [otp.Store.Update]: in one transaction it makes sure
// the user's row exists, locks it (SELECT ... FOR UPDATE), calls fn once,
// then writes the row back and commits, or rolls back (removing a row it
// just created) when fn saves nothing. A PIN consumed by one caller is gone
// for every other, on any instance.
func (s *OTPStore) Update(ctx context.Context, user string, fn func(rec *otp.PINRecord) (save bool)) error {
	if err := checkText("user", user); err != nil {
		return err
	}
	return s.locked(ctx, "otp update", `INSERT INTO mdmcred_otp_pin (user_name, digest) VALUES ($1, '') ON CONFLICT (user_name) DO NOTHING`, user,
		func(tx *sql.Tx) error {
			rec := otp.PINRecord{User: user}
			var issued, expires, lastFailure, window sql.NullTime
			var failures, consecutive, count int64
			err := tx.QueryRowContext(ctx, `
				SELECT digest, issued_at, expires_at, failures, last_failure, void, consecutive, blocked, issue_window, issued
				FROM mdmcred_otp_pin WHERE user_name = $1 FOR UPDATE`, user).
				Scan(&rec.Digest, &issued, &expires, &failures, &lastFailure, &rec.Void, &consecutive, &rec.Blocked, &window, &count)
			if err != nil {
				return err
			}
			if len(rec.Digest) == 0 {
				rec.Digest = nil
			}
			rec.IssuedAt, rec.ExpiresAt, rec.LastFailure, rec.IssueWindow = ts(issued), ts(expires), ts(lastFailure), ts(window)
			rec.Failures, rec.Consecutive, rec.Issued = int(failures), int(consecutive), int(count)
			if !fn(&rec) {
				return errNoSave
			}
			_, err = tx.ExecContext(ctx, `
				UPDATE mdmcred_otp_pin SET digest = $2, issued_at = $3, expires_at = $4, failures = $5, last_failure = $6,
					void = $7, consecutive = $8, blocked = $9, issue_window = $10, issued = $11
				WHERE user_name = $1`, pinArgs(user, &rec)...)
			return err
		})
}

// UpdateTOTP implements [otp.TOTPStore.UpdateTOTP] the same way as Update,
// on the subject's row of mdmcred_otp_totp.
func (s *OTPStore) UpdateTOTP(ctx context.Context, subject string, fn func(st *otp.TOTPState) (save bool)) error {
	if err := checkText("subject", subject); err != nil {
		return err
	}
	return s.locked(ctx, "otp totp update", `INSERT INTO mdmcred_otp_totp (subject) VALUES ($1) ON CONFLICT (subject) DO NOTHING`, subject,
		func(tx *sql.Tx) error {
			st := otp.TOTPState{Subject: subject}
			var next, failures int64
			var lastFailure sql.NullTime
			err := tx.QueryRowContext(ctx, `
				SELECT next_step, drift, failures, last_failure, blocked
				FROM mdmcred_otp_totp WHERE subject = $1 FOR UPDATE`, subject).
				Scan(&next, &st.Drift, &failures, &lastFailure, &st.Blocked)
			if err != nil {
				return err
			}
			st.NextStep, st.Failures, st.LastFailure = uint64(next), int(failures), ts(lastFailure)
			if !fn(&st) {
				return errNoSave
			}
			if st.NextStep > math.MaxInt64 {
				return fmt.Errorf("next step %d out of range", st.NextStep)
			}
			_, err = tx.ExecContext(ctx, `
				UPDATE mdmcred_otp_totp SET next_step = $2, drift = $3, failures = $4, last_failure = $5, blocked = $6
				WHERE subject = $1`,
				subject, int64(st.NextStep), st.Drift, int64(st.Failures), tsArg(st.LastFailure), st.Blocked)
			return err
		})
}

// errNoSave tells locked that fn saved nothing: roll back.
var errNoSave = fmt.Errorf("postgres: nothing to save")

// lockAttempts bounds how often locked runs ensure again because the row
// was deleted before body could lock it.
const lockAttempts = 8

// locked runs body in a transaction after ensure (an INSERT ... ON CONFLICT
// DO NOTHING of key) has made the row exist, so that body's SELECT ... FOR
// UPDATE always has a row to lock: two callers on a new key serialize on
// the insert instead of both seeing nothing.
//
// An ensure that finds the row takes no lock on it, so a purge can delete
// the row before body's SELECT locks it (the SELECT then waits for the
// purge and finds nothing). body's first statement is that SELECT, and a
// sql.ErrNoRows out of body means exactly this: locked runs ensure again in
// the same transaction, which inserts the row afresh (invisible to a purge
// until commit), and then body. fn, which body calls after the SELECT, is
// still called once.
func (s *OTPStore) locked(ctx context.Context, op, ensure, key string, body func(tx *sql.Tx) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	defer func() { _ = tx.Rollback() }()
	for attempt := 1; ; attempt++ {
		if _, err := tx.ExecContext(ctx, ensure, key); err != nil {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		err := body(tx)
		if errors.Is(err, sql.ErrNoRows) && attempt < lockAttempts {
			continue // deleted between ensure and the lock
		}
		switch {
		case err == errNoSave:
			return nil // the deferred rollback drops a row ensure created
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("postgres: %s: row deleted before it could be locked, %d times", op, attempt)
		case err != nil:
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		break
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: %s: commit: %w", op, err)
	}
	return nil
}

// nonNilBytes returns b, or an empty slice for nil, for a NOT NULL bytea
// column. It copies nothing: the driver encodes b before the call returns.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
