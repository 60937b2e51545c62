package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mdmcred/mdmcred/enrollment"
)

// EnrollmentStore is an [enrollment.Store] in PostgreSQL (tables
// mdmcred_enrollment_passcode and mdmcred_enrollment_event). It keeps the
// passcode's keyed hash and, if the host opted in, its sealed copy; never
// the passcode. Every method is one statement; a unique index on the digest
// makes it unique across sites. It follows the SDK's one store idiom: the
// lifecycle and the lockout rules are the enrollment package's, decided in
// Go; this store keeps the record in the site's row and writes it with one
// conditional statement on the row's version ([EnrollmentStore.Write]:
// insert-if-absent or compare-and-swap, with the events), so a failure
// counts once and the lock alert goes out exactly once however many
// instances race. A success writes no row that other successes wait for:
// [EnrollmentStore.Append] inserts its event, conditioned on the site's
// row still being at the revision it was decided on, in the same
// statement.
// It keeps every audit event until [EnrollmentStore.PurgeEvents] deletes
// it. Safe for concurrent use.
type EnrollmentStore struct {
	db *sql.DB
}

var _ enrollment.Store = (*EnrollmentStore)(nil)

// NewEnrollmentStore returns an EnrollmentStore on db, whose schema
// [Migrate] has set up.
func NewEnrollmentStore(db *sql.DB) *EnrollmentStore { return &EnrollmentStore{db: db} }

// sourceJSON is one entry of the sources column.
type sourceJSON struct {
	Source string `json:"source"`
	N      int    `json:"n"`
}

func encodeSources(src []enrollment.SourceFailures) (string, error) {
	out := make([]sourceJSON, len(src))
	for i, s := range src {
		if err := checkText("source", s.Source); err != nil {
			return "", err
		}
		out[i] = sourceJSON{Source: s.Source, N: s.Consecutive}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodeSources(b []byte) ([]enrollment.SourceFailures, error) {
	var in []sourceJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]enrollment.SourceFailures, len(in))
	for i, s := range in {
		out[i] = enrollment.SourceFailures{Source: s.Source, Consecutive: s.N}
	}
	return out, nil
}

// lockoutArgs are the query arguments of l's columns, in the order failures,
// last_failure, last_source, consecutive, sources, rate_start, rate_count,
// rate_prev, locked, locked_at, lock_rule.
func lockoutArgs(l enrollment.Lockout) ([]any, error) {
	if err := checkText("last source", l.LastSource); err != nil {
		return nil, err
	}
	src, err := encodeSources(l.Sources)
	if err != nil {
		return nil, err
	}
	return []any{int64(l.Failures), tsArg(l.LastFailure), l.LastSource, int64(l.Consecutive), src,
		tsArg(l.RateStart), int64(l.RateCount), int64(l.RatePrev), l.Locked, tsArg(l.LockedAt), int16(l.Rule)}, nil
}

// Load implements [enrollment.Store.Load].
func (s *EnrollmentStore) Load(ctx context.Context, site string) (enrollment.Record, error) {
	if err := checkText("site", site); err != nil {
		return enrollment.Record{}, err
	}
	r := enrollment.Record{Site: site}
	var generated, disabledAt, lastFailure, lockedAt, rateStart sql.NullTime
	var failures, consecutive, rateCount, ratePrev, rev int64
	var rule int16
	var sources []byte
	err := s.db.QueryRowContext(ctx, `
		SELECT digest, sealed, generated_at, generated_by, disabled, disabled_at, disabled_by,
			failures, last_failure, last_source, consecutive, sources, rate_start, rate_count, rate_prev,
			locked, locked_at, lock_rule, version
		FROM mdmcred_enrollment_passcode WHERE site = $1`, site).
		Scan(&r.Digest, &r.Sealed, &generated, &r.GeneratedBy, &r.Disabled, &disabledAt, &r.DisabledBy,
			&failures, &lastFailure, &r.LastSource, &consecutive, &sources, &rateStart, &rateCount, &ratePrev,
			&r.Locked, &lockedAt, &rule, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return enrollment.Record{}, enrollment.ErrNoPasscode
	}
	if err != nil {
		return enrollment.Record{}, fmt.Errorf("postgres: enrollment load: %w", err)
	}
	if r.Sources, err = decodeSources(sources); err != nil {
		return enrollment.Record{}, fmt.Errorf("postgres: enrollment load: sources: %w", err)
	}
	r.GeneratedAt, r.DisabledAt, r.LastFailure, r.LockedAt, r.RateStart = ts(generated), ts(disabledAt), ts(lastFailure), ts(lockedAt), ts(rateStart)
	r.Failures, r.Consecutive, r.RateCount, r.RatePrev, r.Rule = int(failures), int(consecutive), int(rateCount), int(ratePrev), enrollment.Rule(rule)
	r.Rev = uint64(rev)
	return r, nil
}

// Lookup implements [enrollment.Store.Lookup] on the digest's unique index.
func (s *EnrollmentStore) Lookup(ctx context.Context, digest []byte) (string, error) {
	var site string
	err := s.db.QueryRowContext(ctx, `SELECT site FROM mdmcred_enrollment_passcode WHERE digest = $1`, nonNilBytes(digest)).Scan(&site)
	if errors.Is(err, sql.ErrNoRows) {
		return "", enrollment.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("postgres: enrollment lookup: %w", err)
	}
	return site, nil
}

// Write implements [enrollment.Store.Write] as one statement: the
// conditional write of the site's row in a WITH (INSERT ... ON CONFLICT
// (site) DO NOTHING for prev 0, UPDATE ... WHERE version = prev
// otherwise), the events inserted from its RETURNING (so exactly when the
// row is written), and the count of rows written. The unique index on the
// digest refuses another site's digest ([enrollment.ErrDuplicate]).
func (s *EnrollmentStore) Write(ctx context.Context, rec enrollment.Record, prev uint64, events []enrollment.Event) error {
	if rec.Rev != prev+1 {
		return errors.New("postgres: enrollment write: rec.Rev must be prev+1")
	}
	if err := checkText("site", rec.Site, "generated by", rec.GeneratedBy, "disabled by", rec.DisabledBy); err != nil {
		return err
	}
	lo, err := lockoutArgs(rec.Lockout)
	if err != nil {
		return err
	}
	args := append([]any{rec.Site, nonNilBytes(rec.Digest), rec.Sealed, tsArg(rec.GeneratedAt), rec.GeneratedBy,
		rec.Disabled, tsArg(rec.DisabledAt), rec.DisabledBy}, lo...)
	args = append(args, int64(rec.Rev))
	var query string
	if prev == 0 {
		query = `WITH w AS (
			INSERT INTO mdmcred_enrollment_passcode (site, digest, sealed, generated_at, generated_by,
				disabled, disabled_at, disabled_by, failures, last_failure, last_source, consecutive,
				sources, rate_start, rate_count, rate_prev, locked, locked_at, lock_rule, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17, $18, $19, $20)
			ON CONFLICT (site) DO NOTHING
			RETURNING 1)`
	} else {
		query = `WITH w AS (
			UPDATE mdmcred_enrollment_passcode SET
				digest = $2, sealed = $3, generated_at = $4, generated_by = $5,
				disabled = $6, disabled_at = $7, disabled_by = $8,
				failures = $9, last_failure = $10, last_source = $11, consecutive = $12, sources = $13::jsonb,
				rate_start = $14, rate_count = $15, rate_prev = $16, locked = $17, locked_at = $18, lock_rule = $19,
				version = $20
			WHERE site = $1 AND version = $21
			RETURNING 1)`
		args = append(args, int64(prev))
	}
	insert, args, err := eventInsert(args, events)
	if err != nil {
		return err
	}
	var n int64
	err = s.db.QueryRowContext(ctx, query+insert+` SELECT count(*) FROM w`, args...).Scan(&n)
	switch {
	case isUniqueViolation(err):
		// The site is the conflict target of the insert and the key of
		// the update, so the only unique index left to violate is the
		// digest's.
		return enrollment.ErrDuplicate
	case err != nil:
		return fmt.Errorf("postgres: enrollment write: %w", err)
	case n == 0:
		return enrollment.ErrConflict
	}
	return nil
}

// Append implements [enrollment.Store.Append] as one statement: it
// inserts the events from the site's row read at revision rev (taking no
// lock on it), so a success's event waits for no other success and is
// refused once a lock (or any write) moved the row on.
func (s *EnrollmentStore) Append(ctx context.Context, site string, rev uint64, events []enrollment.Event) error {
	if err := checkText("site", site); err != nil {
		return err
	}
	query, args, err := appendQuery(site, rev, events)
	if err != nil {
		return err
	}
	n, err := execCount(ctx, s.db, query, args...)
	return applied("enrollment append", n, err, enrollment.ErrConflict)
}

// appendQuery is Append's statement and its arguments: one INSERT ...
// SELECT of the events from the site's row where it is at revision rev
// ($1, $2), sent with Exec, so that the command tag's count (the events,
// or none) is the answer; no CTE and no row comes back, which keeps the
// hot path, a success's one "used" event, as cheap to plan (through
// PgBouncer, planned on every call) and to send as the floor's INSERT.
// Without events it is the SELECT of that row.
func appendQuery(site string, rev uint64, events []enrollment.Event) (string, []any, error) {
	args := []any{site, int64(rev)}
	for _, e := range events {
		if err := checkText("event site", e.Site, "event actor", e.Actor, "event source", e.Source); err != nil {
			return "", nil, err
		}
		args = append(args, e.Site, int16(e.Kind), tsArg(e.At), e.Actor, e.Source, int64(e.Failures))
	}
	const row = ` FROM mdmcred_enrollment_passcode p WHERE p.site = $1 AND p.version = $2`
	const insert = `INSERT INTO mdmcred_enrollment_event (site, kind, at, actor, source, failures) `
	switch len(events) {
	case 0:
		return `SELECT 1` + row, args, nil
	case 1:
		return insert + `SELECT $3::text, $4::smallint, $5::timestamptz, $6::text, $7::text, $8::bigint` + row, args, nil
	}
	values := make([]string, len(events))
	for i := range events {
		n := 2 + 6*i
		values[i] = fmt.Sprintf("(%d, $%d::text, $%d::smallint, $%d::timestamptz, $%d::text, $%d::text, $%d::bigint)",
			i, n+1, n+2, n+3, n+4, n+5, n+6)
	}
	return insert + `SELECT v.site, v.kind, v.at, v.actor, v.source, v.failures
		FROM mdmcred_enrollment_passcode p CROSS JOIN (VALUES ` + strings.Join(values, ", ") + `) v (n, site, kind, at, actor, source, failures)
		WHERE p.site = $1 AND p.version = $2 ORDER BY v.n`, args, nil
}

// eventInsert returns the WITH clause that inserts events, in order, for
// each row of w (one, or none), and args with the events' values added.
func eventInsert(args []any, events []enrollment.Event) (string, []any, error) {
	if len(events) == 0 {
		return "", args, nil
	}
	values := make([]string, len(events))
	for i, e := range events {
		if err := checkText("event site", e.Site, "event actor", e.Actor, "event source", e.Source); err != nil {
			return "", nil, err
		}
		n := len(args)
		values[i] = fmt.Sprintf("(%d, $%d::text, $%d::smallint, $%d::timestamptz, $%d::text, $%d::text, $%d::bigint)",
			i, n+1, n+2, n+3, n+4, n+5, n+6)
		args = append(args, e.Site, int16(e.Kind), tsArg(e.At), e.Actor, e.Source, int64(e.Failures))
	}
	return `,
		ev AS (
			INSERT INTO mdmcred_enrollment_event (site, kind, at, actor, source, failures)
			SELECT v.site, v.kind, v.at, v.actor, v.source, v.failures
			FROM w CROSS JOIN (VALUES ` + strings.Join(values, ", ") + `) v (n, site, kind, at, actor, source, failures)
			ORDER BY v.n)`, args, nil
}

// Events implements [enrollment.Store.Events]: all of the site's events,
// oldest first. This store keeps every event until a purge
// ([EnrollmentStore.PurgeEvents]) deletes it.
func (s *EnrollmentStore) Events(ctx context.Context, site string) ([]enrollment.Event, error) {
	if err := checkText("site", site); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT kind, at, actor, source, failures FROM mdmcred_enrollment_event
		WHERE site = $1 ORDER BY seq`, site)
	if err != nil {
		return nil, fmt.Errorf("postgres: enrollment events: %w", err)
	}
	defer rows.Close()
	out := []enrollment.Event{}
	for rows.Next() {
		e := enrollment.Event{Site: site}
		var kind int16
		var at sql.NullTime
		var failures int64
		if err := rows.Scan(&kind, &at, &e.Actor, &e.Source, &failures); err != nil {
			return nil, fmt.Errorf("postgres: enrollment events: %w", err)
		}
		e.Kind, e.At, e.Failures = enrollment.EventKind(kind), ts(at), int(failures)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: enrollment events: %w", err)
	}
	return out, nil
}
