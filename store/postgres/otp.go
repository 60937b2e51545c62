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
// decided on (compare-and-swap; insert-if-absent for a new row), returning
// the stored row when it changed nothing, so of many instances racing on
// one row exactly one wins each change, and no connection is held in a
// transaction between round trips. The version column is the record's
// Rev. Safe for concurrent use.
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
	_, rec, err := scanPIN(user, s.db.QueryRowContext(ctx, `
		SELECT false, digest, issued_at, expires_at, failures, last_failure, void, consecutive, blocked, issue_window, issued, version
		FROM mdmcred_otp_pin WHERE user_name = $1`, user))
	if err != nil {
		return otp.PINRecord{}, fmt.Errorf("postgres: otp load: %w", err)
	}
	return rec, nil
}

// Write implements [otp.Store.Write] in one statement, with no
// transaction: the conditional write (INSERT ... ON CONFLICT DO NOTHING
// for prev 0, UPDATE ... WHERE version = prev otherwise) in a WITH, and a
// SELECT of the stored row when the write changed nothing, which Write
// returns with otp.ErrConflict (UNION ALL: a row saying the write applied,
// or the stored row). That row is the one the statement's snapshot saw: at
// the revision the write was decided on when a concurrent write committed
// while this one waited for the row lock, and none when a concurrent
// insert it could not see refused the write; the service then loads.
func (s *OTPStore) Write(ctx context.Context, rec otp.PINRecord, prev uint64) (otp.PINRecord, error) {
	if err := checkText("user", rec.User); err != nil {
		return otp.PINRecord{}, err
	}
	if rec.Rev == 0 || rec.Rev > math.MaxInt64 || prev > math.MaxInt64 {
		return otp.PINRecord{}, fmt.Errorf("postgres: otp write: revision %d from %d out of range", rec.Rev, prev)
	}
	q := pinUpdate
	args := append(pinArgs(rec.User, &rec), int64(rec.Rev))
	if prev == 0 {
		q = pinInsert
	} else {
		args = append(args, int64(prev))
	}
	done, cur, err := scanPIN(rec.User, s.db.QueryRowContext(ctx, q, args...))
	switch {
	case err != nil:
		return otp.PINRecord{}, fmt.Errorf("postgres: otp write: %w", err)
	case done:
		return otp.PINRecord{}, nil
	}
	return cur, otp.ErrConflict
}

// pinReturn ends both writes: a row (true) when the write applied, else
// the stored row the statement saw (false), or no row if it saw none. When
// the write applied the second SELECT is skipped (its NOT EXISTS is a
// one-time filter).
const pinReturn = `
	SELECT true, NULL::bytea, NULL::timestamptz, NULL::timestamptz, NULL::bigint, NULL::timestamptz, NULL::boolean,
		NULL::bigint, NULL::boolean, NULL::timestamptz, NULL::bigint, NULL::bigint FROM w
	UNION ALL
	SELECT false, digest, issued_at, expires_at, failures, last_failure, void, consecutive, blocked, issue_window, issued, version
	FROM mdmcred_otp_pin WHERE user_name = $1 AND NOT EXISTS (SELECT 1 FROM w)`

const pinInsert = `
	WITH w AS (
		INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at, failures, last_failure, void,
			consecutive, blocked, issue_window, issued, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (user_name) DO NOTHING RETURNING 1)` + pinReturn

const pinUpdate = `
	WITH w AS (
		UPDATE mdmcred_otp_pin SET digest = $2, issued_at = $3, expires_at = $4, failures = $5, last_failure = $6,
			void = $7, consecutive = $8, blocked = $9, issue_window = $10, issued = $11, version = $12
		WHERE user_name = $1 AND version = $13 RETURNING 1)` + pinReturn

// scanPIN reads a row of pinReturn's shape (or Load's): whether the write
// applied, then the stored record (Rev 0 if no row came back).
func scanPIN(user string, row *sql.Row) (bool, otp.PINRecord, error) {
	rec := otp.PINRecord{User: user}
	var done bool
	var digest []byte
	var issued, expires, lastFailure, window sql.NullTime
	var failures, consecutive, count, version sql.NullInt64
	var void, blocked sql.NullBool
	err := row.Scan(&done, &digest, &issued, &expires, &failures, &lastFailure, &void, &consecutive, &blocked, &window, &count, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, rec, nil
	case err != nil:
		return false, otp.PINRecord{}, err
	}
	if version.Valid {
		if len(digest) != 0 {
			rec.Digest = digest
		}
		rec.IssuedAt, rec.ExpiresAt, rec.LastFailure, rec.IssueWindow = ts(issued), ts(expires), ts(lastFailure), ts(window)
		rec.Failures, rec.Consecutive, rec.Issued = int(failures.Int64), int(consecutive.Int64), int(count.Int64)
		rec.Void, rec.Blocked, rec.Rev = void.Bool, blocked.Bool, uint64(version.Int64)
	}
	return done, rec, nil
}

// LoadTOTP implements [otp.TOTPStore.LoadTOTP]: one SELECT of the
// subject's row.
func (s *OTPStore) LoadTOTP(ctx context.Context, subject string) (otp.TOTPState, error) {
	if err := checkText("subject", subject); err != nil {
		return otp.TOTPState{}, err
	}
	_, st, err := scanTOTP(subject, s.db.QueryRowContext(ctx, `
		SELECT false, next_step, drift, failures, last_failure, blocked, version
		FROM mdmcred_otp_totp WHERE subject = $1`, subject))
	if err != nil {
		return otp.TOTPState{}, fmt.Errorf("postgres: otp totp load: %w", err)
	}
	return st, nil
}

// WriteTOTP implements [otp.TOTPStore.WriteTOTP] in one statement, the
// same way as Write.
func (s *OTPStore) WriteTOTP(ctx context.Context, st otp.TOTPState, prev uint64) (otp.TOTPState, error) {
	if err := checkText("subject", st.Subject); err != nil {
		return otp.TOTPState{}, err
	}
	if st.NextStep > math.MaxInt64 {
		return otp.TOTPState{}, fmt.Errorf("postgres: otp totp write: next step %d out of range", st.NextStep)
	}
	if st.Rev == 0 || st.Rev > math.MaxInt64 || prev > math.MaxInt64 {
		return otp.TOTPState{}, fmt.Errorf("postgres: otp totp write: revision %d from %d out of range", st.Rev, prev)
	}
	q := totpUpdate
	args := []any{st.Subject, int64(st.NextStep), st.Drift, int64(st.Failures), tsArg(st.LastFailure), st.Blocked, int64(st.Rev)}
	if prev == 0 {
		q = totpInsert
	} else {
		args = append(args, int64(prev))
	}
	done, cur, err := scanTOTP(st.Subject, s.db.QueryRowContext(ctx, q, args...))
	switch {
	case err != nil:
		return otp.TOTPState{}, fmt.Errorf("postgres: otp totp write: %w", err)
	case done:
		return otp.TOTPState{}, nil
	}
	return cur, otp.ErrConflict
}

const totpReturn = `
	SELECT true, NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz, NULL::boolean, NULL::bigint FROM w
	UNION ALL
	SELECT false, next_step, drift, failures, last_failure, blocked, version
	FROM mdmcred_otp_totp WHERE subject = $1 AND NOT EXISTS (SELECT 1 FROM w)`

const totpInsert = `
	WITH w AS (
		INSERT INTO mdmcred_otp_totp (subject, next_step, drift, failures, last_failure, blocked, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (subject) DO NOTHING RETURNING 1)` + totpReturn

const totpUpdate = `
	WITH w AS (
		UPDATE mdmcred_otp_totp SET next_step = $2, drift = $3, failures = $4, last_failure = $5, blocked = $6, version = $7
		WHERE subject = $1 AND version = $8 RETURNING 1)` + totpReturn

// scanTOTP reads a row of totpReturn's shape (or LoadTOTP's): whether the
// write applied, then the stored state (Rev 0 if no row came back).
func scanTOTP(subject string, row *sql.Row) (bool, otp.TOTPState, error) {
	st := otp.TOTPState{Subject: subject}
	var done bool
	var next, drift, failures, version sql.NullInt64
	var lastFailure sql.NullTime
	var blocked sql.NullBool
	err := row.Scan(&done, &next, &drift, &failures, &lastFailure, &blocked, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, st, nil
	case err != nil:
		return false, otp.TOTPState{}, err
	}
	if version.Valid {
		st.NextStep, st.Drift, st.Failures, st.LastFailure = uint64(next.Int64), drift.Int64, int(failures.Int64), ts(lastFailure)
		st.Blocked, st.Rev = blocked.Bool, uint64(version.Int64)
	}
	return done, st, nil
}

// nonNilBytes returns b, or an empty slice for nil, for a NOT NULL bytea
// column. It copies nothing: the driver encodes b before the call returns.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
