package passcodetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/internal/retention/retentiontest"
	"github.com/mdmcred/mdmcred/passcode"
)

// RunPurger runs the conformance suite for a store's [passcode.Purger]
// capability. newStore must return a new, empty store on each call, and
// the store must implement Purger.
func RunPurger(t *testing.T, newStore func(t *testing.T) passcode.Store) {
	t.Helper()
	ctx := context.Background()
	purger := func(t *testing.T) (passcode.Store, passcode.Purger) {
		t.Helper()
		s := newStore(t)
		p, ok := s.(passcode.Purger)
		if !ok {
			t.Fatalf("%T does not implement passcode.Purger", s)
		}
		return s, p
	}
	// reset creates a reset at at and moves it through states, a minute
	// apart; it returns the time of the last change.
	reset := func(t *testing.T, s passcode.Store, id, device string, at time.Time, states ...passcode.State) time.Time {
		t.Helper()
		r, ev := newReset(id, device, at)
		var err error
		if err = s.Write(ctx, r, 0, []passcode.Event{ev}); err != nil {
			t.Fatalf("Write(%s): %v", id, err)
		}
		for _, to := range states {
			at = at.Add(time.Minute)
			if r, err = move(ctx, s, r, to, at); err != nil {
				t.Fatalf("Write(%s, -> %v): %v", id, to, err)
			}
		}
		return at
	}
	exists := func(t *testing.T, s passcode.Store, id string) bool {
		t.Helper()
		_, err := s.Load(ctx, id)
		if err != nil && !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("Get(%s): %v", id, err)
		}
		return err == nil
	}
	events := func(t *testing.T, s passcode.Store, q passcode.EventQuery) string {
		t.Helper()
		evs, err := s.Events(ctx, q)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		out := ""
		for _, e := range evs {
			out += fmt.Sprintf("%s:%v ", e.ResetID, e.To)
		}
		return out
	}
	cutoff := t0.Add(24 * time.Hour)

	t.Run("PurgeResetsDeletesOnlyOldFinishedResetsWithTheirEvents", func(t *testing.T) {
		s, p := purger(t)
		reset(t, s, "done", "d1", t0, passcode.Pending, passcode.Acknowledged, passcode.Succeeded)
		reset(t, s, "failed", "d2", t0, passcode.Failed)
		reset(t, s, "expired", "d3", t0, passcode.Expired)
		reset(t, s, "open", "d4", t0, passcode.Pending)                                                                      // open: kept however old
		reset(t, s, "recent", "d5", cutoff.Add(-3*time.Minute), passcode.Pending, passcode.Acknowledged, passcode.Succeeded) // changed at the cutoff: kept
		reset(t, s, "new", "d1", cutoff.Add(time.Hour), passcode.Pending, passcode.Failed)                                   // same device, later: kept
		n, err := p.PurgeResets(ctx, cutoff, 100)
		if err != nil || n != 3 {
			t.Fatalf("PurgeResets = %d, %v; want 3, nil", n, err)
		}
		for id, want := range map[string]bool{"done": false, "failed": false, "expired": false, "open": true, "recent": true, "new": true} {
			if got := exists(t, s, id); got != want {
				t.Errorf("%s exists = %v, want %v", id, got, want)
			}
		}
		for _, q := range []passcode.EventQuery{{ResetID: "done"}, {ResetID: "failed"}, {DeviceID: "d2"}, {DeviceID: "d3"}} {
			if got := events(t, s, q); got != "" {
				t.Errorf("events of %+v left: %q", q, got)
			}
		}
		if got := events(t, s, passcode.EventQuery{DeviceID: "d1"}); got != "new:requested new:pending new:failed " {
			t.Errorf("d1 events %q, want only those of the new reset", got)
		}
		if got := events(t, s, passcode.EventQuery{ResetID: "open"}); got != "open:requested open:pending " {
			t.Errorf("open reset events %q", got)
		}
		if _, err := s.Open(ctx, "d4"); err != nil {
			t.Errorf("the open reset is no longer open: %v", err)
		}
		if n, err := p.PurgeResets(ctx, cutoff, 100); err != nil || n != 0 {
			t.Errorf("second PurgeResets = %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("PurgeEventsDeletesOnlyOldEvents", func(t *testing.T) {
		s, p := purger(t)
		reset(t, s, "r1", "d1", cutoff.Add(-2*time.Minute), passcode.Pending, passcode.Acknowledged) // events at -2, -1, 0 min
		n, err := p.PurgeEvents(ctx, cutoff, 100)
		if err != nil || n != 2 {
			t.Fatalf("PurgeEvents = %d, %v; want 2, nil", n, err)
		}
		if got := events(t, s, passcode.EventQuery{ResetID: "r1"}); got != "r1:acknowledged " {
			t.Errorf("events left %q, want only the one at the cutoff", got)
		}
		if !exists(t, s, "r1") {
			t.Error("PurgeEvents deleted the reset")
		}
		if err := s.Append(ctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "r1", DeviceID: "d1", At: cutoff, Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		if got := events(t, s, passcode.EventQuery{DeviceID: "d1"}); got != "r1:acknowledged r1:none " {
			t.Errorf("after Append, events %q", got)
		}
	})

	t.Run("PurgeHonorsTheLimit", func(t *testing.T) {
		s, p := purger(t)
		for i := range 5 {
			reset(t, s, fmt.Sprintf("r%d", i), fmt.Sprintf("d%d", i), t0, passcode.Failed)
		}
		for _, tc := range []struct{ limit, want int }{{0, 0}, {-1, 0}, {2, 2}, {2, 2}, {2, 1}, {2, 0}} {
			if n, err := p.PurgeResets(ctx, cutoff, tc.limit); err != nil || n != tc.want {
				t.Fatalf("PurgeResets(limit %d) = %d, %v; want %d", tc.limit, n, err, tc.want)
			}
		}
		reset(t, s, "e", "d9", t0, passcode.Pending, passcode.Acknowledged) // 3 events
		for _, tc := range []struct{ limit, want int }{{0, 0}, {-1, 0}, {2, 2}, {2, 1}, {2, 0}} {
			if n, err := p.PurgeEvents(ctx, cutoff, tc.limit); err != nil || n != tc.want {
				t.Fatalf("PurgeEvents(limit %d) = %d, %v; want %d", tc.limit, n, err, tc.want)
			}
		}
	})

	t.Run("PurgeWithCanceledContextChangesNothing", func(t *testing.T) {
		s, p := purger(t)
		reset(t, s, "r1", "d1", t0, passcode.Failed)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := p.PurgeResets(cctx, cutoff, 10); err == nil {
			t.Error("PurgeResets with a canceled context: no error")
		}
		if _, err := p.PurgeEvents(cctx, cutoff, 10); err == nil {
			t.Error("PurgeEvents with a canceled context: no error")
		}
		if !exists(t, s, "r1") || events(t, s, passcode.EventQuery{ResetID: "r1"}) != "r1:requested r1:failed " {
			t.Error("a canceled purge changed the store")
		}
	})

	t.Run("PurgeByAge", func(t *testing.T) {
		s, p := purger(t)
		now := t0.Add(passcode.DefaultPurgeAge + time.Hour)
		reset(t, s, "old", "d1", t0, passcode.Pending, passcode.Acknowledged, passcode.Succeeded) // finished an hour before the default cutoff
		reset(t, s, "kept", "d2", t0.Add(2*time.Hour), passcode.Pending)                          // open, events older than an hour
		var pe *passcode.ParamError
		if _, err := passcode.Purge(ctx, p, now, -time.Hour); !errors.As(err, &pe) || pe.Field != "maxAge" || !errors.Is(err, passcode.ErrRetentionAge) || !errors.Is(err, passcode.ErrParams) {
			t.Errorf("negative age: err %v, want a ParamError on maxAge", err)
		}
		res, err := passcode.Purge(ctx, p, now, 0)
		if err != nil || res != (passcode.PurgeResult{Resets: 1}) {
			t.Errorf("default age: %+v, %v; want 1 reset", res, err)
		}
		res, err = passcode.Purge(ctx, p, now, time.Hour)
		if err != nil || res != (passcode.PurgeResult{Events: 2}) {
			t.Errorf("one hour: %+v, %v; want 2 events", res, err)
		}
		if exists(t, s, "old") || !exists(t, s, "kept") {
			t.Error("wrong resets purged")
		}
	})

	t.Run("PurgeUnderTraffic", func(t *testing.T) {
		// New resets open and move on devices whose old resets are being
		// purged: every old finished reset is deleted exactly once, and
		// every new reset keeps all its events.
		s, p := purger(t)
		const devices = 16
		for i := range devices {
			reset(t, s, fmt.Sprintf("old%d", i), fmt.Sprintf("d%d", i), t0, passcode.Failed)
		}
		got := retentiontest.UnderTraffic(t, devices, func(i int) error {
			id, device, at := fmt.Sprintf("new%d", i), fmt.Sprintf("d%d", i), cutoff.Add(time.Hour)
			r, ev := newReset(id, device, at)
			if err := s.Write(ctx, r, 0, []passcode.Event{ev}); err != nil {
				return err
			}
			_, err := move(ctx, s, r, passcode.Pending, at)
			return err
		}, func() (int, error) { return p.PurgeResets(ctx, cutoff, 3) })
		if got != devices {
			t.Errorf("purgers deleted %d resets, want %d", got, devices)
		}
		for i := range devices {
			if got := events(t, s, passcode.EventQuery{DeviceID: fmt.Sprintf("d%d", i)}); got != fmt.Sprintf("new%d:requested new%d:pending ", i, i) {
				t.Errorf("device d%d events %q", i, got)
			}
		}
	})
}
