package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

var (
	// ErrSchemaTooNew: the database's schema version is newer than this
	// code knows ([SchemaVersion]); an instance of a newer release migrated
	// it. [Migrate] refuses to touch it; upgrade this instance.
	ErrSchemaTooNew = errors.New("postgres: database schema is newer than this code")
	// ErrText: a string field (a user, site, device or reset ID, an actor)
	// is not valid UTF-8 or holds a NUL byte, which a PostgreSQL text
	// column cannot store. The store refuses it before it reaches the
	// server and changes nothing.
	ErrText = errors.New("postgres: text is not valid UTF-8 or holds a NUL byte")
	// ErrServerTooOld: the server is older than [MinServerVersion]. Every
	// [*ServerVersionError] matches it.
	ErrServerTooOld = errors.New("postgres: server is older than the oldest supported PostgreSQL release")
)

// ServerVersionError is [Migrate]'s refusal of a server older than
// [MinServerVersion]; it matches [ErrServerTooOld].
type ServerVersionError struct {
	Version int // the server's server_version_num, e.g. 140011 for 14.11
}

// Error implements error.
func (e *ServerVersionError) Error() string {
	release := fmt.Sprintf("%d.%d", e.Version/10000, e.Version%10000)
	if e.Version < 100000 { // before 10: major.minor.patch as XXYYZZ
		release = fmt.Sprintf("%d.%d.%d", e.Version/10000, e.Version/100%100, e.Version%100)
	}
	return fmt.Sprintf("%s: server is PostgreSQL %s, the oldest supported release is %d: upgrade the server",
		ErrServerTooOld.Error(), release, MinServerVersion/10000)
}

// Is reports whether target is [ErrServerTooOld].
func (e *ServerVersionError) Is(target error) bool { return target == ErrServerTooOld }

// TextError names the field that [ErrText] refused. It never holds the
// value.
type TextError struct {
	Field string
}

// Error implements error.
func (e *TextError) Error() string { return ErrText.Error() + ": " + e.Field }

// Is reports whether target is [ErrText].
func (e *TextError) Is(target error) bool { return target == ErrText }

// checkText returns a *TextError if any of the named values cannot be
// stored in a text column. pairs is field name, value, field name, value...
func checkText(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := pairs[i+1]; !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return &TextError{Field: pairs[i]}
		}
	}
	return nil
}

// sqlStater is implemented by the errors of the common drivers
// (*pgconn.PgError of pgx, *pq.Error of lib/pq).
type sqlStater interface{ SQLState() string }

// isUniqueViolation reports whether err is a PostgreSQL unique_violation
// (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var s sqlStater
	return errors.As(err, &s) && s.SQLState() == "23505"
}

// execCount runs a statement and returns how many rows it changed.
func execCount(ctx context.Context, db *sql.DB, query string, args ...any) (int, error) {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// applied turns a conditional statement's result (execCount's) into its
// operation's answer: the error wrapped with op if the statement failed,
// an error matching refusal if it changed no row, nil otherwise.
func applied(op string, n int, err error, refusal error) error {
	switch {
	case err != nil:
		return fmt.Errorf("postgres: %s: %w", op, err)
	case n == 0:
		return fmt.Errorf("postgres: %s: %w", op, refusal)
	}
	return nil
}
