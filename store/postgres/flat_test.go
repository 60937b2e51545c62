package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// The schema choices that keep a hot operation's cost flat at a million
// devices (migration 0009; the fleet benchmark, scripts/bench.sh, measures
// them at full size). These tests check the mechanism on small tables,
// where a timing could not show it.

// TestEventIndexesDeduplicate checks that each event table's per-key index
// (the one an events page and every append use) stays a fraction of the
// size of the table's primary key: one posting list per key, not one entry
// per event, so that it grows with the keys and far less with the history.
// With (key, seq) indexes, which cannot deduplicate, each was larger than
// the primary key.
func TestEventIndexesDeduplicate(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	const events, keys = 60000, 2000 // 30 events per key, appended in random key order
	for _, q := range []string{
		`INSERT INTO mdmcred_servicepass_event (type, at, device_id, mode, actions, key_id, serial)
			SELECT 'issued', now(), 'dev-' || (hashint4(g) & 2147483647) % $2, 1, 1, 1, g FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_enrollment_event (site, kind, at)
			SELECT 'site-' || (hashint4(g) & 2147483647) % $2, 3, now() FROM generate_series(1, $1) g`,
		`INSERT INTO mdmcred_passcode_event (kind, reset_id, device_id, from_state, to_state, at)
			SELECT 1, 'r-' || (hashint4(g) & 2147483647) % $2, 'dev-' || (hashint4(g) & 2147483647) % $2, 1, 2, now()
			FROM generate_series(1, $1) g`,
	} {
		if _, err := db.ExecContext(ctx, q, events, keys); err != nil {
			t.Fatalf("load: %v\n%s", err, q)
		}
	}
	for _, c := range []struct{ table, column string }{
		{"mdmcred_servicepass_event", "device_id"},
		{"mdmcred_enrollment_event", "site"},
		{"mdmcred_passcode_event", "reset_id"},
		{"mdmcred_passcode_event", "device_id"},
	} {
		t.Run(c.table+"."+c.column, func(t *testing.T) {
			// The index whose first key column is c.column.
			var index string
			var keyCols int
			var size, pkey int64
			err := db.QueryRowContext(ctx, `
				SELECT i.indexrelid::regclass::text, i.indnkeyatts, pg_relation_size(i.indexrelid),
					pg_relation_size((SELECT indexrelid FROM pg_index WHERE indrelid = i.indrelid AND indisprimary))
				FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
				WHERE i.indrelid = $1::regclass AND a.attname = $2`, c.table, c.column).Scan(&index, &keyCols, &size, &pkey)
			if err != nil {
				t.Fatalf("the index on %s (%s): %v", c.table, c.column, err)
			}
			if keyCols != 1 {
				t.Errorf("%s has %d key columns, want 1 (%s alone, so that its entries deduplicate)", index, keyCols, c.column)
			}
			if size*2 > pkey {
				t.Errorf("%s is %d bytes for %d events of %d keys: more than half its table's primary key (%d bytes)", index, size, events, keys, pkey)
			}
			t.Logf("%s: %d bytes, primary key %d bytes", index, size, pkey)
		})
	}
}

// TestLockoutUpdateStaysOnPage checks that a failed attempt's write
// (Write, the compare-and-swap of the lockout) leaves the row on its page, a HOT update that touches
// neither index, on a table filled by a bulk load: with the table packed
// full, the first update of a row on each page moved the row to another
// page and inserted into both the site's and the digest's indexes.
func TestLockoutUpdateStaysOnPage(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	const sites = 5000
	if _, err := db.ExecContext(ctx, `
		INSERT INTO mdmcred_enrollment_passcode (site, digest, generated_at, generated_by)
		SELECT 'site-' || g, sha256(g::text::bytea), now(), 'admin@example.com' FROM generate_series(1, $1) g`, sites); err != nil {
		t.Fatal(err)
	}
	block := func(site string) int64 {
		t.Helper()
		var b int64
		if err := db.QueryRowContext(ctx, `SELECT (ctid::text::point)[0]::bigint FROM mdmcred_enrollment_passcode WHERE site = $1`, site).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := postgres.NewEnrollmentStore(db)
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	moved, updated := 0, 0
	// One site in 25: one or two on every page.
	for i := 1; i <= sites; i += 25 {
		site := fmt.Sprintf("site-%d", i)
		before := block(site)
		r, err := s.Load(ctx, site)
		if err != nil {
			t.Fatal(err)
		}
		l := r.Lockout
		l.Failures++
		l.Consecutive++
		l.LastFailure, l.LastSource = now, "192.0.2.7"
		l.Sources = []enrollment.SourceFailures{{Source: "192.0.2.7", Consecutive: 1}}
		if err := writeLockout(ctx, s, r, l); err != nil {
			t.Fatal(err)
		}
		updated++
		if block(site) != before {
			moved++
		}
	}
	if moved != 0 {
		t.Errorf("%d of %d lockout updates moved the row to another page (not HOT: both indexes written)", moved, updated)
	}
}
