package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/store/postgres"
)

// FuzzTextRoundTrip: for any site, admin and digest, Put either refuses
// the text with ErrText (and stores nothing) or stores a record that Get
// returns byte for byte and Lookup finds; the server never refuses what
// the store let through.
func FuzzTextRoundTrip(f *testing.F) {
	for _, s := range []string{"", "alice@example.com", "zażółć gęślą jaźń", "emoji 🔐", "nul\x00inside", "\x00", "bad \xff utf8", "truncated \xe2\x82"} {
		f.Add(s, s, []byte(s))
	}
	s := postgres.NewEnrollmentStore(migrated(f))
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, site, admin string, digest []byte) {
		// 0xff never occurs in UTF-8, so the digest is unique per site.
		d := append(append([]byte(site), 0xff), digest...)
		err := putRecord(ctx, s, enrollment.Record{Site: site, Digest: d, GeneratedBy: admin, GeneratedAt: t0, Sealed: digest})
		if errors.Is(err, postgres.ErrText) {
			return
		}
		if err != nil {
			t.Fatalf("Write(%q, %q): %v", site, admin, err)
		}
		got, err := s.Load(ctx, site)
		if err != nil || got.Site != site || got.GeneratedBy != admin || !bytes.Equal(got.Digest, d) || !bytes.Equal(got.Sealed, digest) {
			t.Fatalf("Load(%q) = %+v, %v", site, got, err)
		}
		if found, err := s.Lookup(ctx, d); err != nil || found != site {
			t.Fatalf("Lookup = %q, %v; want %q", found, err, site)
		}
	})
}
