package otptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention/retentiontest"
	"github.com/mdmcred/mdmcred/otp"
)

// RunPurger runs the conformance suite for a store's
// [otp.Purger] capability. newStore must return a new, empty store
// on each call, and the store must implement Purger.
func RunPurger(t *testing.T, newStore func(t *testing.T) otp.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	purger := func(t *testing.T) (otp.Store, otp.Purger) {
		t.Helper()
		s := newStore(t)
		p, ok := s.(otp.Purger)
		if !ok {
			t.Fatalf("%T does not implement otp.Purger", s)
		}
		return s, p
	}
	// save writes rec as its user's record through the Store port.
	save := func(t *testing.T, s otp.Store, rec otp.PINRecord) {
		t.Helper()
		if err := updatePIN(ctx, s, rec.User, func(r *otp.PINRecord) bool { *r = rec; return true }); err != nil {
			t.Fatalf("saving %s: %v", rec.User, err)
		}
	}
	put := func(t *testing.T, s otp.Store, user string, expires time.Time, failures int, void bool) {
		t.Helper()
		rec := otp.PINRecord{User: user, Digest: bytes.Repeat([]byte{7}, 34), IssuedAt: expires.Add(-24 * time.Hour),
			ExpiresAt: expires, Failures: failures, Void: void, IssueWindow: expires.Add(-24 * time.Hour), Issued: 1}
		if expires.IsZero() {
			rec.IssuedAt, rec.IssueWindow = time.Time{}, time.Time{}
		}
		if failures > 0 {
			rec.LastFailure = rec.IssuedAt
			rec.Consecutive = failures
		}
		save(t, s, rec)
	}
	// exists reports whether the store holds a record for user: a user
	// with none gets the zero record (with no issue history).
	exists := func(t *testing.T, s otp.Store, user string) bool {
		t.Helper()
		var found bool
		err := updatePIN(ctx, s, user, func(r *otp.PINRecord) bool {
			found = r.HasPIN() || !r.IssueWindow.IsZero() || r.Consecutive != 0 || r.Blocked
			return false
		})
		if err != nil {
			t.Fatalf("loading %s: %v", user, err)
		}
		return found
	}

	t.Run("PurgeDeletesOnlyOldRecordsWithoutFailures", func(t *testing.T) {
		s, p := purger(t)
		put(t, s, "old", t0.Add(-2*time.Hour), 0, false)
		put(t, s, "older", t0.Add(-48*time.Hour), 0, false)
		put(t, s, "cutoff", t0.Add(-time.Hour), 0, false) // exactly at the cutoff: kept
		put(t, s, "live", t0.Add(time.Hour), 0, false)
		put(t, s, "failed", t0.Add(-2*time.Hour), 2, false)
		put(t, s, "void", t0.Add(-2*time.Hour), 5, true)
		put(t, s, "noexpiry", time.Time{}, 0, false)
		// A used PIN leaves its user's record (no PIN, the issue window
		// kept): purged once the window is old, kept while it is recent.
		save(t, s, otp.PINRecord{User: "used-old", IssueWindow: t0.Add(-3 * time.Hour), Issued: 1})
		save(t, s, otp.PINRecord{User: "used-recent", IssueWindow: t0.Add(-30 * time.Minute), Issued: 1})
		// Consecutive wrong PINs survive re-issue (the NIST cap): such a
		// record is never purged, nor a blocked one.
		save(t, s, otp.PINRecord{User: "consecutive", IssueWindow: t0.Add(-48 * time.Hour), Consecutive: 7, LastFailure: t0.Add(-47 * time.Hour)})
		save(t, s, otp.PINRecord{User: "blocked", IssueWindow: t0.Add(-48 * time.Hour), Consecutive: 100, Blocked: true, LastFailure: t0.Add(-47 * time.Hour)})
		n, err := p.PurgePINs(ctx, t0.Add(-time.Hour), 100)
		if err != nil || n != 3 {
			t.Fatalf("PurgePINs = %d, %v; want 3, nil", n, err)
		}
		for user, want := range map[string]bool{"old": false, "older": false, "cutoff": true, "live": true,
			"failed": true, "void": true, "noexpiry": true, "used-old": false, "used-recent": true,
			"consecutive": true, "blocked": true} {
			if got := exists(t, s, user); got != want {
				t.Errorf("%s exists = %v, want %v", user, got, want)
			}
		}
		if n, err := p.PurgePINs(ctx, t0.Add(-time.Hour), 100); err != nil || n != 0 {
			t.Errorf("second PurgePINs = %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("PurgeHonorsTheLimit", func(t *testing.T) {
		s, p := purger(t)
		for i := range 5 {
			put(t, s, fmt.Sprintf("u%d", i), t0.Add(-time.Duration(i+1)*time.Minute), 0, false)
		}
		for _, tc := range []struct{ limit, want int }{{0, 0}, {-1, 0}, {2, 2}, {2, 2}, {2, 1}, {2, 0}} {
			if n, err := p.PurgePINs(ctx, t0, tc.limit); err != nil || n != tc.want {
				t.Fatalf("PurgePINs(limit %d) = %d, %v; want %d", tc.limit, n, err, tc.want)
			}
		}
	})

	t.Run("PurgeWithCanceledContextChangesNothing", func(t *testing.T) {
		s, p := purger(t)
		put(t, s, "old", t0.Add(-time.Hour), 0, false)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := p.PurgePINs(cctx, t0, 10); err == nil {
			t.Error("PurgePINs with a canceled context: no error")
		}
		if !exists(t, s, "old") {
			t.Error("the record is gone")
		}
	})

	t.Run("PurgePINsByAge", func(t *testing.T) {
		s, p := purger(t)
		put(t, s, "a", t0.Add(-otp.DefaultPurgeAge-time.Second), 0, false)
		put(t, s, "b", t0.Add(-otp.DefaultPurgeAge+time.Second), 0, false)
		var pe *otp.ParamError
		if _, err := otp.Purge(ctx, p, t0, -time.Hour); !errors.As(err, &pe) || pe.Field != "maxAge" || !errors.Is(err, otp.ErrRetentionAge) {
			t.Errorf("negative age: err %v, want a ParamError on maxAge", err)
		}
		if n, err := otp.Purge(ctx, p, t0, 0); err != nil || n.PINs != 1 {
			t.Errorf("default age: %d, %v; want 1, nil", n.PINs, err)
		}
		if n, err := otp.Purge(ctx, p, t0, time.Nanosecond); err != nil || n.PINs != 1 {
			t.Errorf("1 ns: %d, %v; want 1, nil", n.PINs, err)
		}
	})

	t.Run("PurgeUnderTraffic", func(t *testing.T) {
		// Users whose expired record is being purged are issued new PINs
		// at the same time: every new record survives, every expired
		// one without a new PIN is deleted exactly once.
		s, p := purger(t)
		const users = 64
		for i := range users {
			put(t, s, fmt.Sprintf("u%d", i), t0.Add(-time.Hour), 0, false)
		}
		got := retentiontest.UnderTraffic(t, 1, func(int) error {
			for i := 0; i < users; i += 2 {
				rec := otp.PINRecord{User: fmt.Sprintf("u%d", i), Digest: []byte{1}, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour), IssueWindow: t0, Issued: 1}
				if err := updatePIN(ctx, s, rec.User, func(r *otp.PINRecord) bool { *r = rec; return true }); err != nil {
					return err
				}
			}
			return nil
		}, func() (int, error) { return p.PurgePINs(ctx, t0, 5) })
		// Odd users were never reissued: all are deleted. Even users
		// end with their new PIN, whether a purger deleted the expired
		// record before the Put or not.
		for i := range users {
			if got, want := exists(t, s, fmt.Sprintf("u%d", i)), i%2 == 0; got != want {
				t.Errorf("u%d exists = %v, want %v", i, got, want)
			}
		}
		if got < users/2 || got > users {
			t.Errorf("purgers deleted %d records, want between %d and %d", got, users/2, users)
		}
	})
}
