package servicepasstest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention/retentiontest"
	"github.com/mdmcred/mdmcred/servicepass"
)

// RunPurger runs the conformance suite for a store's
// [servicepass.Purger] capability. newStore must return a new, empty
// store on each call, and the store must implement Purger.
func RunPurger(t *testing.T, newStore func(t *testing.T) servicepass.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	purger := func(t *testing.T) (servicepass.Store, servicepass.Purger) {
		t.Helper()
		s := newStore(t)
		p, ok := s.(servicepass.Purger)
		if !ok {
			t.Fatalf("%T does not implement servicepass.Purger", s)
		}
		return s, p
	}
	event := func(device string, at time.Time, serial uint32) servicepass.Event {
		return servicepass.Event{Type: servicepass.EventIssued, At: at, Admin: "admin@example.com",
			DeviceID: device, Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, KeyID: 1, Serial: serial,
			ExpiresAt: at.Add(time.Hour)}
	}
	record := func(t *testing.T, s servicepass.Store, evs ...servicepass.Event) {
		t.Helper()
		for _, e := range evs {
			if err := s.Record(ctx, e); err != nil {
				t.Fatalf("Record: %v", err)
			}
		}
	}
	serials := func(t *testing.T, s servicepass.Store, device string) string {
		t.Helper()
		evs, err := s.Events(ctx, device)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		out := ""
		for _, e := range evs {
			out += fmt.Sprintf("%d ", e.Serial)
		}
		return out
	}

	t.Run("PurgeDeletesOnlyEventsBeforeTheCutoff", func(t *testing.T) {
		s, p := purger(t)
		record(t, s,
			event("d1", t0.Add(-3*time.Hour), 1),
			event("d2", t0.Add(-2*time.Hour), 2),
			event("d1", t0.Add(-time.Hour), 3), // exactly at the cutoff: kept
			event("d2", t0, 4),
			event("d1", time.Time{}, 5), // no time: kept
			event("d1", t0.Add(-4*time.Hour), 6),
		)
		n, err := p.PurgeEvents(ctx, t0.Add(-time.Hour), 100)
		if err != nil || n != 3 {
			t.Fatalf("PurgeEvents = %d, %v; want 3, nil", n, err)
		}
		if got := serials(t, s, ""); got != "3 4 5 " {
			t.Errorf("events left %q, want \"3 4 5 \"", got)
		}
		if got := serials(t, s, "d1"); got != "3 5 " {
			t.Errorf("d1 events left %q, want \"3 5 \"", got)
		}
		if n, err := p.PurgeEvents(ctx, t0.Add(-time.Hour), 100); err != nil || n != 0 {
			t.Errorf("second PurgeEvents = %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("PurgeHonorsTheLimit", func(t *testing.T) {
		s, p := purger(t)
		for i := range 5 {
			record(t, s, event("d1", t0.Add(time.Duration(i-10)*time.Minute), uint32(i)))
		}
		record(t, s, event("d1", t0, 99))
		for _, tc := range []struct{ limit, want int }{{0, 0}, {-1, 0}, {2, 2}, {2, 2}, {2, 1}, {2, 0}} {
			if n, err := p.PurgeEvents(ctx, t0, tc.limit); err != nil || n != tc.want {
				t.Fatalf("PurgeEvents(limit %d) = %d, %v; want %d", tc.limit, n, err, tc.want)
			}
		}
		if got := serials(t, s, ""); got != "99 " {
			t.Errorf("events left %q, want \"99 \"", got)
		}
	})

	t.Run("PurgeWithCanceledContextChangesNothing", func(t *testing.T) {
		s, p := purger(t)
		record(t, s, event("d1", t0.Add(-time.Hour), 1))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := p.PurgeEvents(cctx, t0, 10); err == nil {
			t.Error("PurgeEvents with a canceled context: no error")
		}
		if got := serials(t, s, ""); got != "1 " {
			t.Errorf("events left %q, want \"1 \"", got)
		}
	})

	t.Run("PurgeEventsByAge", func(t *testing.T) {
		s, p := purger(t)
		record(t, s,
			event("d1", t0.Add(-servicepass.DefaultPurgeAge-time.Second), 1),
			event("d1", t0.Add(-servicepass.DefaultPurgeAge+time.Second), 2),
			event("d1", t0.Add(-2*time.Hour), 3),
		)
		if _, err := servicepass.Purge(ctx, p, t0, -time.Hour); !errors.Is(err, servicepass.ErrRetentionAge) {
			t.Errorf("negative age: err %v, want ErrRetentionAge", err)
		}
		if n, err := servicepass.Purge(ctx, p, t0, 0); err != nil || n.Events != 1 {
			t.Errorf("default age: %d, %v; want 1, nil", n.Events, err)
		}
		if n, err := servicepass.Purge(ctx, p, t0, time.Hour); err != nil || n.Events != 2 {
			t.Errorf("one hour: %d, %v; want 2, nil", n.Events, err)
		}
		if got := serials(t, s, ""); got != "" {
			t.Errorf("events left %q, want none", got)
		}
	})

	t.Run("PurgeUnderTraffic", func(t *testing.T) {
		// Writers record new events while two purgers delete the old
		// ones: every new event survives, every old one is deleted
		// exactly once.
		s, p := purger(t)
		const old, writers, perWriter = 60, 8, 10
		for i := range old {
			record(t, s, event(fmt.Sprintf("d%d", i%7), t0.Add(-time.Hour-time.Duration(i)*time.Second), uint32(i)))
		}
		got := retentiontest.UnderTraffic(t, writers, func(w int) error {
			for i := range perWriter {
				if err := s.Record(ctx, event(fmt.Sprintf("d%d", w), t0, uint32(1000+w*perWriter+i))); err != nil {
					return err
				}
			}
			return nil
		}, func() (int, error) { return p.PurgeEvents(ctx, t0, 7) })
		if got != old {
			t.Errorf("purgers deleted %d events, want %d", got, old)
		}
		evs, err := s.Events(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != writers*perWriter {
			t.Errorf("%d events left, want the %d new ones", len(evs), writers*perWriter)
		}
		for _, e := range evs {
			if e.Serial < 1000 {
				t.Errorf("old event %d survived", e.Serial)
			}
		}
	})
}
