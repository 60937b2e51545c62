package postgres

import (
	"database/sql"
	"time"
)

// Instants are stored in timestamptz columns, truncated to the microsecond
// (PostgreSQL's resolution), with Go's zero time as NULL; they are always
// read back in UTC.

// tsArg is the query argument for t: nil for the zero time, else t in UTC
// truncated to the microsecond.
func tsArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// ts is the time read from a nullable timestamptz column: the zero time for
// NULL, else the instant in UTC.
func ts(n sql.NullTime) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return n.Time.UTC()
}
