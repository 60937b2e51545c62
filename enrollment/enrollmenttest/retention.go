package enrollmenttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/retention/retentiontest"
)

// RunPurger runs the conformance suite for a store's
// [enrollment.Purger] capability. newStore must return a new, empty
// store on each call, and the store must implement Purger.
func RunPurger(t *testing.T, newStore func(t *testing.T) enrollment.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	purger := func(t *testing.T) (enrollment.Store, enrollment.Purger) {
		t.Helper()
		s := newStore(t)
		p, ok := s.(enrollment.Purger)
		if !ok {
			t.Fatalf("%T does not implement enrollment.Purger", s)
		}
		return s, p
	}
	event := func(site string, at time.Time, n int) enrollment.Event {
		return enrollment.Event{Site: site, Kind: enrollment.EventFailed, At: at, Source: "192.0.2.1", Failures: n}
	}
	record := func(t *testing.T, s enrollment.Store, evs ...enrollment.Event) {
		t.Helper()
		for _, e := range evs {
			if err := appendEvent(ctx, s, e); err != nil {
				t.Fatalf("appending an event: %v", err)
			}
		}
	}
	left := func(t *testing.T, s enrollment.Store, site string) string {
		t.Helper()
		evs, err := s.Events(ctx, site)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		out := ""
		for _, e := range evs {
			out += fmt.Sprintf("%d ", e.Failures)
		}
		return out
	}

	t.Run("PurgeDeletesOnlyEventsBeforeTheCutoff", func(t *testing.T) {
		s, p := purger(t)
		record(t, s,
			event("s1", t0.Add(-3*time.Hour), 1),
			event("s2", t0.Add(-2*time.Hour), 2),
			event("s1", t0.Add(-time.Hour), 3), // exactly at the cutoff: kept
			event("s2", t0, 4),
			event("s1", time.Time{}, 5), // no time: kept
			event("s1", t0.Add(-4*time.Hour), 6),
		)
		n, err := p.PurgeEvents(ctx, t0.Add(-time.Hour), 100)
		if err != nil || n != 3 {
			t.Fatalf("PurgeEvents = %d, %v; want 3, nil", n, err)
		}
		if got := left(t, s, "s1"); got != "3 5 " {
			t.Errorf("s1 events left %q, want \"3 5 \"", got)
		}
		if got := left(t, s, "s2"); got != "4 " {
			t.Errorf("s2 events left %q, want \"4 \"", got)
		}
		if n, err := p.PurgeEvents(ctx, t0.Add(-time.Hour), 100); err != nil || n != 0 {
			t.Errorf("second PurgeEvents = %d, %v; want 0, nil", n, err)
		}
		record(t, s, event("s1", t0, 7))
		if got := left(t, s, "s1"); got != "3 5 7 " {
			t.Errorf("after a new event, s1 events %q, want \"3 5 7 \"", got)
		}
	})

	t.Run("PurgeHonorsTheLimit", func(t *testing.T) {
		s, p := purger(t)
		for i := range 5 {
			record(t, s, event(fmt.Sprintf("s%d", i%2), t0.Add(time.Duration(i-10)*time.Minute), i))
		}
		record(t, s, event("s0", t0, 99))
		for _, tc := range []struct{ limit, want int }{{0, 0}, {-1, 0}, {2, 2}, {2, 2}, {2, 1}, {2, 0}} {
			if n, err := p.PurgeEvents(ctx, t0, tc.limit); err != nil || n != tc.want {
				t.Fatalf("PurgeEvents(limit %d) = %d, %v; want %d", tc.limit, n, err, tc.want)
			}
		}
		if got := left(t, s, "s0") + left(t, s, "s1"); got != "99 " {
			t.Errorf("events left %q, want \"99 \"", got)
		}
	})

	t.Run("PurgeWithCanceledContextChangesNothing", func(t *testing.T) {
		s, p := purger(t)
		record(t, s, event("s1", t0.Add(-time.Hour), 1))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := p.PurgeEvents(cctx, t0, 10); err == nil {
			t.Error("PurgeEvents with a canceled context: no error")
		}
		if got := left(t, s, "s1"); got != "1 " {
			t.Errorf("events left %q, want \"1 \"", got)
		}
	})

	t.Run("PurgeEventsByAge", func(t *testing.T) {
		s, p := purger(t)
		record(t, s,
			event("s1", t0.Add(-enrollment.DefaultPurgeAge-time.Second), 1),
			event("s1", t0.Add(-enrollment.DefaultPurgeAge+time.Second), 2),
			event("s1", t0.Add(-2*time.Hour), 3),
		)
		var pe *enrollment.ParamError
		if _, err := enrollment.Purge(ctx, p, t0, -time.Hour); !errors.As(err, &pe) || pe.Field != "maxAge" || !errors.Is(err, enrollment.ErrRetentionAge) || !errors.Is(err, enrollment.ErrParams) {
			t.Errorf("negative age: err %v, want a ParamError on maxAge", err)
		}
		if n, err := enrollment.Purge(ctx, p, t0, 0); err != nil || n.Events != 1 {
			t.Errorf("default age: %d, %v; want 1, nil", n.Events, err)
		}
		if n, err := enrollment.Purge(ctx, p, t0, time.Hour); err != nil || n.Events != 2 {
			t.Errorf("one hour: %d, %v; want 2, nil", n.Events, err)
		}
		if got := left(t, s, "s1"); got != "" {
			t.Errorf("events left %q, want none", got)
		}
	})

	t.Run("PurgeUnderTraffic", func(t *testing.T) {
		s, p := purger(t)
		const old, writers, perWriter = 60, 8, 10
		for i := range old {
			record(t, s, event(fmt.Sprintf("s%d", i%writers), t0.Add(-time.Hour-time.Duration(i)*time.Second), i))
		}
		got := retentiontest.UnderTraffic(t, writers, func(w int) error {
			for i := range perWriter {
				if err := appendEvent(ctx, s, event(fmt.Sprintf("s%d", w), t0, 1000+i)); err != nil {
					return err
				}
			}
			return nil
		}, func() (int, error) { return p.PurgeEvents(ctx, t0, 7) })
		if got != old {
			t.Errorf("purgers deleted %d events, want %d", got, old)
		}
		for w := range writers {
			evs, err := s.Events(ctx, fmt.Sprintf("s%d", w))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != perWriter {
				t.Errorf("site s%d has %d events, want its %d new ones", w, len(evs), perWriter)
			}
			for _, e := range evs {
				if e.Failures < 1000 {
					t.Errorf("old event survived: %+v", e)
				}
			}
		}
	})
}

// appendEvent appends e to e.Site's log at the current revision of the
// site's record ([enrollment.Store.Append]), inserting a record for the
// site first if it has none (a digest made of the site's name).
func appendEvent(ctx context.Context, s enrollment.Store, e enrollment.Event) error {
	for {
		r, err := s.Load(ctx, e.Site)
		if errors.Is(err, enrollment.ErrNoPasscode) {
			r = enrollment.Record{Site: e.Site, Digest: []byte("digest of " + e.Site), Rev: 1}
			err = s.Write(ctx, r, 0, nil)
		}
		if err == nil {
			err = s.Append(ctx, e.Site, r.Rev, []enrollment.Event{e})
		}
		if !errors.Is(err, enrollment.ErrConflict) {
			return err
		}
	}
}
