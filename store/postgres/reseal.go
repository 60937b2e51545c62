package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/passcode"
)

// A re-seal walks the rows in key order, COLLATE "C" (byte order, which
// is the order the re-seal's Go side compares keys in, whatever the
// database's collation), one batch per query; each changed value is one
// conditional UPDATE of the sealed column alone, applied only if the row
// still holds the value the re-seal read. The walk needs no index of its
// own: it runs once per rotation.

var _ passcode.Resealer = (*PasscodeStore)(nil)

// ResealResets implements [passcode.Resealer].
func (s *PasscodeStore) ResealResets(ctx context.Context, after string, limit int, reseal func(passcode.Reset) []byte) (string, int, int, error) {
	if limit < 1 {
		return after, 0, 0, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+resetColumns+` FROM mdmcred_passcode_reset
		WHERE sealed IS NOT NULL AND id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, after, limit)
	if err != nil {
		return after, 0, 0, fmt.Errorf("postgres: passcode reseal: %w", err)
	}
	var batch []passcode.Reset
	for rows.Next() {
		r, err := scanReset(rows)
		if err != nil {
			rows.Close()
			return after, 0, 0, fmt.Errorf("postgres: passcode reseal: %w", err)
		}
		batch = append(batch, r)
	}
	if err := closeRows(rows); err != nil {
		return after, 0, 0, fmt.Errorf("postgres: passcode reseal: %w", err)
	}
	changed := 0
	for _, r := range batch {
		out := reseal(r)
		if out == nil {
			continue
		}
		n, err := execCount(ctx, s.db, `UPDATE mdmcred_passcode_reset SET sealed = $1, rev = rev + 1 WHERE id = $2 AND sealed = $3`, out, r.ID, r.Sealed)
		if err != nil {
			return lastOf(after, batch, func(r passcode.Reset) string { return r.ID }), len(batch), changed, fmt.Errorf("postgres: passcode reseal: %w", err)
		}
		changed += n
	}
	return lastOf(after, batch, func(r passcode.Reset) string { return r.ID }), len(batch), changed, nil
}

var _ enrollment.Resealer = (*EnrollmentStore)(nil)

// ResealRecords implements [enrollment.Resealer]. The records it passes
// to reseal hold Site, Digest and Sealed, what a sealed copy is bound to.
// Its UPDATE also moves the row's version on by one, so that a
// [EnrollmentStore.Write] decided on the row before the re-seal conflicts
// instead of writing the old sealed copy back.
func (s *EnrollmentStore) ResealRecords(ctx context.Context, after string, limit int, reseal func(enrollment.Record) []byte) (string, int, int, error) {
	if limit < 1 {
		return after, 0, 0, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT site, digest, sealed FROM mdmcred_enrollment_passcode
		WHERE sealed IS NOT NULL AND site COLLATE "C" > $1 ORDER BY site COLLATE "C" LIMIT $2`, after, limit)
	if err != nil {
		return after, 0, 0, fmt.Errorf("postgres: enrollment reseal: %w", err)
	}
	var batch []enrollment.Record
	for rows.Next() {
		var r enrollment.Record
		if err := rows.Scan(&r.Site, &r.Digest, &r.Sealed); err != nil {
			rows.Close()
			return after, 0, 0, fmt.Errorf("postgres: enrollment reseal: %w", err)
		}
		batch = append(batch, r)
	}
	if err := closeRows(rows); err != nil {
		return after, 0, 0, fmt.Errorf("postgres: enrollment reseal: %w", err)
	}
	changed := 0
	for _, r := range batch {
		out := reseal(r)
		if out == nil {
			continue
		}
		n, err := execCount(ctx, s.db, `UPDATE mdmcred_enrollment_passcode SET sealed = $1, version = version + 1 WHERE site = $2 AND digest = $3 AND sealed = $4`,
			out, r.Site, r.Digest, r.Sealed)
		if err != nil {
			return lastOf(after, batch, func(r enrollment.Record) string { return r.Site }), len(batch), changed, fmt.Errorf("postgres: enrollment reseal: %w", err)
		}
		changed += n
	}
	return lastOf(after, batch, func(r enrollment.Record) string { return r.Site }), len(batch), changed, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

func lastOf[T any](after string, batch []T, key func(T) string) string {
	if len(batch) == 0 {
		return after
	}
	return key(batch[len(batch)-1])
}
