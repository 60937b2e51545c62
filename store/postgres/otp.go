package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mdmcred/mdmcred/otp"
)

// OTPStore is an [otp.Store] (portal PINs, table mdmcred_otp_pin) and an
// [otp.TOTPStore] (authenticator state, table mdmcred_otp_totp) in
// PostgreSQL. It keeps only the PIN's keyed hash, and for TOTP only the
// replay mark, drift and failure count. Each Update reads the user's or
// subject's row and writes it back with one statement conditioned on the
// version it read (compare-and-swap), so of many instances racing on one
// row exactly one wins each change, and no connection is held in a
// transaction between round trips. Safe for concurrent use.
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

// Update implements [otp.Store.Update] without holding a transaction: it
// reads the user's row (one statement), calls fn, and writes the row back
// with one statement conditioned on the version it read (UPDATE ... WHERE
// version = read), or inserts it if there was none (INSERT ... ON CONFLICT
// DO NOTHING). When another instance changed, created or deleted the row in
// between, the write changes nothing and Update reads and calls fn again,
// as the Store contract allows. So a PIN consumed by one caller is gone for
// every other, on any instance, in two round trips and with no connection
// idle in a transaction.
func (s *OTPStore) Update(ctx context.Context, user string, fn func(rec *otp.PINRecord) (save bool)) error {
	if err := checkText("user", user); err != nil {
		return err
	}
	return swap(ctx, "otp update", func(ctx context.Context) (bool, error) {
		rec := otp.PINRecord{User: user}
		var issued, expires, lastFailure, window sql.NullTime
		var failures, consecutive, count, version int64
		err := s.db.QueryRowContext(ctx, `
			SELECT digest, issued_at, expires_at, failures, last_failure, void, consecutive, blocked, issue_window, issued, version
			FROM mdmcred_otp_pin WHERE user_name = $1`, user).
			Scan(&rec.Digest, &issued, &expires, &failures, &lastFailure, &rec.Void, &consecutive, &rec.Blocked, &window, &count, &version)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
		if len(rec.Digest) == 0 {
			rec.Digest = nil
		}
		rec.IssuedAt, rec.ExpiresAt, rec.LastFailure, rec.IssueWindow = ts(issued), ts(expires), ts(lastFailure), ts(window)
		rec.Failures, rec.Consecutive, rec.Issued = int(failures), int(consecutive), int(count)
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if !fn(&rec) {
			return true, nil
		}
		var res sql.Result
		if exists {
			res, err = s.db.ExecContext(ctx, `
				UPDATE mdmcred_otp_pin SET digest = $2, issued_at = $3, expires_at = $4, failures = $5, last_failure = $6,
					void = $7, consecutive = $8, blocked = $9, issue_window = $10, issued = $11, version = version + 1
				WHERE user_name = $1 AND version = $12`, append(pinArgs(user, &rec), version)...)
		} else {
			res, err = s.db.ExecContext(ctx, pinInsert, pinArgs(user, &rec)...)
		}
		return applied(res, err)
	})
}

const pinInsert = `
	INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at, failures, last_failure, void,
		consecutive, blocked, issue_window, issued)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (user_name) DO NOTHING`

// UpdateTOTP implements [otp.TOTPStore.UpdateTOTP] the same way as Update,
// on the subject's row of mdmcred_otp_totp.
func (s *OTPStore) UpdateTOTP(ctx context.Context, subject string, fn func(st *otp.TOTPState) (save bool)) error {
	if err := checkText("subject", subject); err != nil {
		return err
	}
	return swap(ctx, "otp totp update", func(ctx context.Context) (bool, error) {
		st := otp.TOTPState{Subject: subject}
		var next, failures, version int64
		var lastFailure sql.NullTime
		err := s.db.QueryRowContext(ctx, `
			SELECT next_step, drift, failures, last_failure, blocked, version
			FROM mdmcred_otp_totp WHERE subject = $1`, subject).
			Scan(&next, &st.Drift, &failures, &lastFailure, &st.Blocked, &version)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
		st.NextStep, st.Failures, st.LastFailure = uint64(next), int(failures), ts(lastFailure)
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if !fn(&st) {
			return true, nil
		}
		if st.NextStep > math.MaxInt64 {
			return false, fmt.Errorf("next step %d out of range", st.NextStep)
		}
		args := []any{subject, int64(st.NextStep), st.Drift, int64(st.Failures), tsArg(st.LastFailure), st.Blocked}
		var res sql.Result
		if exists {
			res, err = s.db.ExecContext(ctx, `
				UPDATE mdmcred_otp_totp SET next_step = $2, drift = $3, failures = $4, last_failure = $5, blocked = $6,
					version = version + 1
				WHERE subject = $1 AND version = $7`, append(args, version)...)
		} else {
			res, err = s.db.ExecContext(ctx, `
				INSERT INTO mdmcred_otp_totp (subject, next_step, drift, failures, last_failure, blocked)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subject) DO NOTHING`, args...)
		}
		return applied(res, err)
	})
}

// applied reports whether a conditional write changed its row.
func applied(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// swapTries bounds how often swap reads and decides again when other
// callers keep changing the row first.
const swapTries = 1000

// swap runs try (read, decide, conditional write) until its write applies
// or it decides to write nothing (try returns true), backing off with
// jitter after each lost race.
func swap(ctx context.Context, op string, try func(ctx context.Context) (done bool, err error)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	for n := 0; n < swapTries; n++ {
		if n > 0 {
			time.Sleep(rand.N(50 * time.Microsecond << min(n, 7)))
		}
		done, err := try(ctx)
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		if done {
			return nil
		}
	}
	return fmt.Errorf("postgres: %s: the row kept changing, %d times", op, swapTries)
}

// nonNilBytes returns b, or an empty slice for nil, for a NOT NULL bytea
// column. It copies nothing: the driver encodes b before the call returns.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
