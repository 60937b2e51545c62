package servicepasstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// RunDeviceStore runs the conformance suite for a servicepass.DeviceStore.
// newStore must return a new, empty store on each call.
func RunDeviceStore(t *testing.T, newStore func(t *testing.T) servicepass.DeviceStore) {
	t.Helper()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	t.Run("FreshStateIsZero", func(t *testing.T) {
		s := newStore(t)
		runs := 0
		err := s.Update(func(st *servicepass.DeviceState) bool {
			runs++
			if st.Failures != 0 || len(st.Used) != 0 || !st.HighWater.IsZero() || st.Window != (servicepass.WindowState{}) || st.Damaged ||
				st.Provisioned || st.Revert != (servicepass.RevertState{}) || len(st.Log) != 0 {
				t.Errorf("fresh state is not zero: %+v", st)
			}
			return false
		})
		if err != nil || runs != 1 {
			t.Fatalf("Update: err %v, fn ran %d times", err, runs)
		}
	})

	t.Run("ChangesPersist", func(t *testing.T) {
		s := newStore(t)
		want := servicepass.DeviceState{
			Failures: 2, LastFailure: t0, LockedUntil: t0.Add(time.Minute), HighWater: t0.Add(time.Second),
			Used:       map[uint64]servicepass.Use{1: {Forget: t0.Add(time.Hour)}, 1 << 63: {Forget: t0.Add(2 * time.Hour), Day: 325}},
			NextForget: t0.Add(time.Hour),
			Window:     servicepass.WindowState{Actions: servicepass.Unlock | servicepass.DisableKiosk, Start: t0, End: t0.Add(time.Hour)},
			DamagedAt:  t0.Add(-time.Hour),
			// Fields added for issue 13.
			Provisioned: true, MaxSkew: time.Hour, PrunedExpiry: t0.Add(-2 * time.Hour), DamageFound: t0.Add(-3 * time.Hour),
			Revert:  servicepass.RevertState{Actions: servicepass.AllowFactoryReset, Ended: t0.Add(-time.Minute), Seq: 1 << 62, Lost: true},
			Log:     []servicepass.UseEntry{{Seq: 4, KeyID: 2, Serial: 0xABCDEF, At: t0, Degraded: true}, {Seq: 5, KeyID: 1, Serial: 1, At: t0.Add(time.Second)}},
			LogNext: 6, LogDropped: 3,
		}
		mustUpdate(t, s, func(st *servicepass.DeviceState) bool { *st = want.Clone(); return true })
		mustUpdate(t, s, func(st *servicepass.DeviceState) bool {
			if err := sameState(st, &want); err != nil {
				t.Error(err)
			}
			delete(st.Used, 1)
			st.Used[7] = servicepass.Use{Forget: t0}
			return true
		})
		mustUpdate(t, s, func(st *servicepass.DeviceState) bool {
			if _, ok := st.Used[1]; ok || len(st.Used) != 2 || !st.Used[7].Forget.Equal(t0) {
				t.Errorf("Used = %v after delete and insert", st.Used)
			}
			return false
		})
	})

	t.Run("DamagedIsNotPersisted", func(t *testing.T) {
		s := newStore(t)
		mustUpdate(t, s, func(st *servicepass.DeviceState) bool { st.Damaged, st.Failures = true, 1; return true })
		mustUpdate(t, s, func(st *servicepass.DeviceState) bool {
			if st.Damaged || st.Failures != 1 {
				t.Errorf("after an update that set Damaged: %+v", st)
			}
			return false
		})
	})

	t.Run("UpdatesAreExclusive", func(t *testing.T) {
		s := newStore(t)
		const n = 64
		var inside atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mustUpdate(t, s, func(st *servicepass.DeviceState) bool {
					if inside.Add(1) != 1 {
						t.Error("two updates ran at once")
					}
					st.Failures++
					inside.Add(-1)
					return true
				})
			}()
		}
		wg.Wait()
		mustUpdate(t, s, func(st *servicepass.DeviceState) bool {
			if st.Failures != n {
				t.Errorf("%d racing increments counted %d", n, st.Failures)
			}
			return false
		})
	})

	t.Run("OneOfManyVerifiesSucceeds", func(t *testing.T) {
		master, _ := servicepass.GenerateMasterKey(1, nil)
		is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		iss, err := is.Issue(context.Background(), servicepass.Request{DeviceID: "race", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: Admin})
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := is.DeviceKeys("race")
		v, err := servicepass.NewVerifier(servicepass.VerifierConfig{DeviceID: "race", Mode: servicepass.DeviceOwner, Keys: keys, Store: newStore(t), Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		const n = 32
		var ok, replay atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := v.Verify(iss.Code.Reveal(), t0.Add(time.Minute))
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, servicepass.ErrReplay):
					replay.Add(1)
				default:
					t.Errorf("Verify: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || replay.Load() != n-1 {
			t.Fatalf("%d goroutines: %d succeeded, %d replays; want 1 and %d", n, ok.Load(), replay.Load(), n-1)
		}
	})
}

func mustUpdate(t *testing.T, s servicepass.DeviceStore, fn func(*servicepass.DeviceState) bool) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func sameState(got, want *servicepass.DeviceState) error {
	if got.Failures != want.Failures || !got.LastFailure.Equal(want.LastFailure) || !got.LockedUntil.Equal(want.LockedUntil) ||
		!got.HighWater.Equal(want.HighWater) || !got.NextForget.Equal(want.NextForget) || !got.DamagedAt.Equal(want.DamagedAt) ||
		got.Window.Actions != want.Window.Actions || !got.Window.Start.Equal(want.Window.Start) || !got.Window.End.Equal(want.Window.End) ||
		got.Provisioned != want.Provisioned || got.MaxSkew != want.MaxSkew || !got.PrunedExpiry.Equal(want.PrunedExpiry) ||
		!got.DamageFound.Equal(want.DamageFound) || got.Revert.Actions != want.Revert.Actions || !got.Revert.Ended.Equal(want.Revert.Ended) ||
		got.Revert.Seq != want.Revert.Seq || got.Revert.Lost != want.Revert.Lost || got.LogNext != want.LogNext || got.LogDropped != want.LogDropped {
		return fmt.Errorf("state = %+v, want %+v", *got, *want)
	}
	if len(got.Log) != len(want.Log) {
		return fmt.Errorf("use log %v, want %v", got.Log, want.Log)
	}
	for i, w := range want.Log {
		if g := got.Log[i]; g.Seq != w.Seq || g.KeyID != w.KeyID || g.Serial != w.Serial || !g.At.Equal(w.At) || g.Degraded != w.Degraded {
			return fmt.Errorf("use log entry %d is %+v, want %+v", i, g, w)
		}
	}
	if len(got.Used) != len(want.Used) {
		return fmt.Errorf("used records %v, want %v", got.Used, want.Used)
	}
	for k, w := range want.Used {
		if g, ok := got.Used[k]; !ok || !g.Forget.Equal(w.Forget) || g.Day != w.Day {
			return fmt.Errorf("used record %d is %+v, want %+v", k, g, w)
		}
	}
	return nil
}

// RunStore runs the conformance suite for the issuer's audit
// servicepass.Store. newStore must return a new, empty store on each call.
func RunStore(t *testing.T, newStore func(t *testing.T) servicepass.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ev := func(dev string, serial uint32) servicepass.Event {
		return servicepass.Event{Type: servicepass.EventIssued, At: t0, Admin: Admin, DeviceID: dev, Actions: servicepass.Unlock,
			Serial: serial, ExpiresAt: t0.Add(time.Hour)}
	}

	t.Run("EmptyIsNotAnError", func(t *testing.T) {
		got, err := newStore(t).Events(ctx, "nobody")
		if err != nil || len(got) != 0 {
			t.Fatalf("Events = %v, %v", got, err)
		}
	})

	t.Run("OrderAndFilter", func(t *testing.T) {
		s := newStore(t)
		for i, dev := range []string{"a", "b", "a", "c", "a"} {
			if err := s.Record(ctx, ev(dev, uint32(i))); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Events(ctx, "a")
		if err != nil || len(got) != 3 || got[0].Serial != 0 || got[1].Serial != 2 || got[2].Serial != 4 {
			t.Fatalf("Events(a) = %+v, %v", got, err)
		}
		all, err := s.Events(ctx, "")
		if err != nil || len(all) != 5 {
			t.Fatalf("Events() = %d events, %v", len(all), err)
		}
		if e := all[1]; e.DeviceID != "b" || e.Admin != Admin || e.Type != servicepass.EventIssued || !e.At.Equal(t0) ||
			!e.ExpiresAt.Equal(t0.Add(time.Hour)) || e.Actions != servicepass.Unlock {
			t.Fatalf("event did not round-trip: %+v", e)
		}
		all[0].DeviceID = "changed"
		again, _ := s.Events(ctx, "")
		if again[0].DeviceID != "a" {
			t.Fatal("Events returned the store's own slice")
		}
	})

	t.Run("ConcurrentRecords", func(t *testing.T) {
		s := newStore(t)
		const n = 50
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Record(ctx, ev("dev", uint32(i))); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Events(ctx, "dev")
		if err != nil || len(got) != n {
			t.Fatalf("%d concurrent records kept %d (%v)", n, len(got), err)
		}
		seen := map[uint32]bool{}
		for _, e := range got {
			seen[e.Serial] = true
		}
		if len(seen) != n {
			t.Fatalf("kept %d distinct records of %d", len(seen), n)
		}
	})

	t.Run("IssuerNeverRecordsTheCode", func(t *testing.T) {
		s := newStore(t)
		master, err := servicepass.GenerateMasterKey(3, nil)
		if err != nil {
			t.Fatal(err)
		}
		is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Store: s, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		iss, err := is.Issue(ctx, servicepass.Request{DeviceID: "dev-9", Mode: servicepass.COPE, Actions: servicepass.Unlock, Admin: Admin})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Events(ctx, "dev-9")
		if err != nil || len(got) != 1 || got[0].Serial != iss.Serial {
			t.Fatalf("Events = %+v, %v", got, err)
		}
		text := fmt.Sprintf("%+v %#v", got, got)
		for _, c := range []string{iss.Code.Reveal(), iss.Display.Reveal(), iss.Code.Reveal()[:12]} {
			if strings.Contains(text, c) {
				t.Fatal("audit event holds the code")
			}
		}
	})
}
