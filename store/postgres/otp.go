package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/mdmcred/mdmcred/internal/cas"
	"github.com/mdmcred/mdmcred/otp"
)

// OTPStore is an [otp.Store] (portal PINs, table mdmcred_otp_pin) and an
// [otp.TOTPStore] (authenticator state, table mdmcred_otp_totp) in
// PostgreSQL. It keeps only the PIN's keyed hash, and for TOTP only the
// replay mark, drift and failure count. Load reads a row; Write writes one
// back with one statement conditioned on the version the change was
// decided on (compare-and-swap; insert-if-absent for a new row), so of
// many instances racing on one row exactly one wins each change, and no
// connection is held in a transaction between round trips; a refused
// write returns otp.ErrConflict and the service loads the row that won.
// The version column is the record's Rev. Safe for concurrent use.
type OTPStore struct {
	db *sql.DB
}

var (
	_ otp.Store     = (*OTPStore)(nil)
	_ otp.TOTPStore = (*OTPStore)(nil)
)

// NewOTPStore returns an OTPStore on db, whose schema [Migrate] has set up.
func NewOTPStore(db *sql.DB) *OTPStore { return &OTPStore{db: db} }

// Put saves rec as rec.User's record, replacing any previous one (at a
// new revision, so that no service's cached record matches it): one
// upsert. The services never call it; it seeds a store in tests and
// migrations.
func (s *OTPStore) Put(ctx context.Context, rec otp.PINRecord) error {
	if err := checkText("user", rec.User); err != nil {
		return err
	}
	rev, err := cas.NextRev(0)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, pinUpsert, append(pinArgs(rec.User, &rec), int64(rev))...); err != nil {
		return fmt.Errorf("postgres: otp put: %w", err)
	}
	return nil
}

const pinUpsert = `
	INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at, failures, last_failure, void,
		consecutive, blocked, issue_window, issued, version)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (user_name) DO UPDATE SET
		digest = EXCLUDED.digest, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at,
		failures = EXCLUDED.failures, last_failure = EXCLUDED.last_failure, void = EXCLUDED.void,
		consecutive = EXCLUDED.consecutive, blocked = EXCLUDED.blocked,
		issue_window = EXCLUDED.issue_window, issued = EXCLUDED.issued,
		version = mdmcred_otp_pin.version + 1`

func pinArgs(user string, r *otp.PINRecord) []any {
	return []any{user, nonNilBytes(r.Digest), tsArg(r.IssuedAt), tsArg(r.ExpiresAt), int64(r.Failures), tsArg(r.LastFailure),
		r.Void, int64(r.Consecutive), r.Blocked, tsArg(r.IssueWindow), int64(r.Issued)}
}

// Load implements [otp.Store.Load]: one SELECT of the user's row.
func (s *OTPStore) Load(ctx context.Context, user string) (otp.PINRecord, error) {
	if err := checkText("user", user); err != nil {
		return otp.PINRecord{}, err
	}
	rec, err := scanPIN(user, s.db.QueryRowContext(ctx, `
		SELECT digest, issued_at, expires_at, failures, last_failure, void, consecutive, blocked, issue_window, issued, version
		FROM mdmcred_otp_pin WHERE user_name = $1`, user))
	if err != nil {
		return otp.PINRecord{}, fmt.Errorf("postgres: otp load: %w", err)
	}
	return rec, nil
}

// Write implements [otp.Store.Write] in one statement, with no
// transaction: INSERT ... ON CONFLICT DO NOTHING for prev 0, UPDATE ...
// WHERE version = prev otherwise. A write that changed nothing returns
// otp.ErrConflict, and the service loads the row that won: the stored
// row is read only when the write is refused, so a write that applies
// pays for nothing else (a statement that can also return
// the stored row costs every write its planning and execution, for the
// refusals' sake: benchmarks/RESULTS.md, issue 28).
func (s *OTPStore) Write(ctx context.Context, rec otp.PINRecord, prev uint64) error {
	if err := checkText("user", rec.User); err != nil {
		return err
	}
	if rec.Rev == 0 || rec.Rev > math.MaxInt64 || prev > math.MaxInt64 {
		return fmt.Errorf("postgres: otp write: revision %d from %d out of range", rec.Rev, prev)
	}
	q := pinUpdate
	args := append(pinArgs(rec.User, &rec), int64(rec.Rev))
	if prev == 0 {
		q = pinInsert
	} else {
		args = append(args, int64(prev))
	}
	n, err := execCount(ctx, s.db, q, args...)
	return applied("otp write", n, err, otp.ErrConflict)
}

const pinInsert = `
	INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at, failures, last_failure, void,
		consecutive, blocked, issue_window, issued, version)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (user_name) DO NOTHING`

const pinUpdate = `
	UPDATE mdmcred_otp_pin SET digest = $2, issued_at = $3, expires_at = $4, failures = $5, last_failure = $6,
		void = $7, consecutive = $8, blocked = $9, issue_window = $10, issued = $11, version = $12
	WHERE user_name = $1 AND version = $13`

// scanPIN reads Load's row: the stored record, or Rev 0 if there is none.
func scanPIN(user string, row *sql.Row) (otp.PINRecord, error) {
	rec := otp.PINRecord{User: user}
	var digest []byte
	var issued, expires, lastFailure, window sql.NullTime
	var failures, consecutive, count, version int64
	err := row.Scan(&digest, &issued, &expires, &failures, &lastFailure, &rec.Void, &consecutive, &rec.Blocked, &window, &count, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return otp.PINRecord{User: user}, nil
	case err != nil:
		return otp.PINRecord{}, err
	}
	if len(digest) != 0 {
		rec.Digest = digest
	}
	rec.IssuedAt, rec.ExpiresAt, rec.LastFailure, rec.IssueWindow = ts(issued), ts(expires), ts(lastFailure), ts(window)
	rec.Failures, rec.Consecutive, rec.Issued, rec.Rev = int(failures), int(consecutive), int(count), uint64(version)
	return rec, nil
}

// LoadTOTP implements [otp.TOTPStore.LoadTOTP]: one SELECT of the
// subject's row.
func (s *OTPStore) LoadTOTP(ctx context.Context, subject string) (otp.TOTPState, error) {
	if err := checkText("subject", subject); err != nil {
		return otp.TOTPState{}, err
	}
	st, err := scanTOTP(subject, s.db.QueryRowContext(ctx, `
		SELECT next_step, drift, failures, last_failure, blocked, version
		FROM mdmcred_otp_totp WHERE subject = $1`, subject))
	if err != nil {
		return otp.TOTPState{}, fmt.Errorf("postgres: otp totp load: %w", err)
	}
	return st, nil
}

// WriteTOTP implements [otp.TOTPStore.WriteTOTP] in one statement, the
// same way as Write.
func (s *OTPStore) WriteTOTP(ctx context.Context, st otp.TOTPState, prev uint64) error {
	if err := checkText("subject", st.Subject); err != nil {
		return err
	}
	if st.NextStep > math.MaxInt64 {
		return fmt.Errorf("postgres: otp totp write: next step %d out of range", st.NextStep)
	}
	if st.Rev == 0 || st.Rev > math.MaxInt64 || prev > math.MaxInt64 {
		return fmt.Errorf("postgres: otp totp write: revision %d from %d out of range", st.Rev, prev)
	}
	q := totpUpdate
	args := []any{st.Subject, int64(st.NextStep), st.Drift, int64(st.Failures), tsArg(st.LastFailure), st.Blocked, int64(st.Rev)}
	if prev == 0 {
		q = totpInsert
	} else {
		args = append(args, int64(prev))
	}
	n, err := execCount(ctx, s.db, q, args...)
	return applied("otp totp write", n, err, otp.ErrConflict)
}

const totpInsert = `
	INSERT INTO mdmcred_otp_totp (subject, next_step, drift, failures, last_failure, blocked, version)
	VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (subject) DO NOTHING`

const totpUpdate = `
	UPDATE mdmcred_otp_totp SET next_step = $2, drift = $3, failures = $4, last_failure = $5, blocked = $6, version = $7
	WHERE subject = $1 AND version = $8`

// scanTOTP reads LoadTOTP's row: the stored state, or Rev 0 if there is
// none.
func scanTOTP(subject string, row *sql.Row) (otp.TOTPState, error) {
	st := otp.TOTPState{Subject: subject}
	var next, failures, version int64
	var lastFailure sql.NullTime
	err := row.Scan(&next, &st.Drift, &failures, &lastFailure, &st.Blocked, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return otp.TOTPState{Subject: subject}, nil
	case err != nil:
		return otp.TOTPState{}, err
	}
	st.NextStep, st.Failures, st.LastFailure, st.Rev = uint64(next), int(failures), ts(lastFailure), uint64(version)
	return st, nil
}

// nonNilBytes returns b, or an empty slice for nil, for a NOT NULL bytea
// column. It copies nothing: the driver encodes b before the call returns.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
