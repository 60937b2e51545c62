package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/otp"
)

// OTPStore is an [otp.Store] in PostgreSQL (table mdmcred_otp_pin). It
// keeps only the PIN's keyed hash. Update locks the user's row (SELECT ...
// FOR UPDATE) for the length of one transaction, so of many instances
// consuming one PIN exactly one succeeds. Safe for concurrent use.
type OTPStore struct {
	db *sql.DB
}

var _ otp.Store = (*OTPStore)(nil)

// NewOTPStore returns an OTPStore on db, whose schema [Migrate] has set up.
func NewOTPStore(db *sql.DB) *OTPStore { return &OTPStore{db: db} }

// Put implements [otp.Store.Put]: one upsert.
func (s *OTPStore) Put(ctx context.Context, rec otp.PINRecord) error {
	if err := checkText("user", rec.User); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO mdmcred_otp_pin (user_name, digest, issued_at, expires_at, failures, last_failure, void)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_name) DO UPDATE SET
			digest = EXCLUDED.digest, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at,
			failures = EXCLUDED.failures, last_failure = EXCLUDED.last_failure, void = EXCLUDED.void`,
		rec.User, nonNilBytes(rec.Digest), tsArg(rec.IssuedAt), tsArg(rec.ExpiresAt),
		int64(rec.Failures), tsArg(rec.LastFailure), rec.Void)
	if err != nil {
		return fmt.Errorf("postgres: otp put: %w", err)
	}
	return nil
}

// Update implements [otp.Store.Update]: in one transaction it locks the
// user's row, calls fn once, then updates or deletes the row and commits.
// A PIN consumed by one caller is gone for every other, on any instance.
func (s *OTPStore) Update(ctx context.Context, user string, fn func(rec *otp.PINRecord) (remove bool)) error {
	if err := checkText("user", user); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: otp update: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	rec := otp.PINRecord{User: user}
	var issued, expires, lastFailure sql.NullTime
	var failures int64
	err = tx.QueryRowContext(ctx, `
		SELECT digest, issued_at, expires_at, failures, last_failure, void
		FROM mdmcred_otp_pin WHERE user_name = $1 FOR UPDATE`, user).
		Scan(&rec.Digest, &issued, &expires, &failures, &lastFailure, &rec.Void)
	if errors.Is(err, sql.ErrNoRows) {
		return otp.ErrPINNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: otp update: %w", err)
	}
	rec.IssuedAt, rec.ExpiresAt, rec.LastFailure = ts(issued), ts(expires), ts(lastFailure)
	rec.Failures = int(failures)

	if fn(&rec) {
		_, err = tx.ExecContext(ctx, `DELETE FROM mdmcred_otp_pin WHERE user_name = $1`, user)
	} else {
		_, err = tx.ExecContext(ctx, `
			UPDATE mdmcred_otp_pin SET digest = $2, issued_at = $3, expires_at = $4,
				failures = $5, last_failure = $6, void = $7
			WHERE user_name = $1`,
			user, nonNilBytes(rec.Digest), tsArg(rec.IssuedAt), tsArg(rec.ExpiresAt),
			int64(rec.Failures), tsArg(rec.LastFailure), rec.Void)
	}
	if err != nil {
		return fmt.Errorf("postgres: otp update: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: otp update: commit: %w", err)
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
