package servicepasstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/servicepass"
)

// RunDeviceStore runs the conformance suite for a servicepass.DeviceStore.
// newStore must return a new store holding no state on each call.
func RunDeviceStore(t *testing.T, newStore func(t *testing.T) servicepass.DeviceStore) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	t.Run("NothingStoredIsNil", func(t *testing.T) {
		s := newStore(t)
		runs := 0
		err := s.Update(ctx, func(old []byte) ([]byte, error) {
			runs++
			if old != nil {
				t.Errorf("a new store hands %q, want nil", old)
			}
			return nil, nil
		})
		if err != nil || runs != 1 {
			t.Fatalf("Update: err %v, fn ran %d times", err, runs)
		}
	})

	t.Run("BytesPersist", func(t *testing.T) {
		s := newStore(t)
		want := []byte("state \x00\xff bytes")
		give := append([]byte(nil), want...)
		mustUpdate(t, s, func([]byte) []byte { return give })
		give[0] = 'X' // the store copied them
		mustUpdate(t, s, func(old []byte) []byte {
			if !bytes.Equal(old, want) {
				t.Errorf("stored %q, read %q", want, old)
			}
			return nil // keeps them
		})
		refusal := errors.New("refused")
		if err := s.Update(ctx, func([]byte) ([]byte, error) { return []byte("other"), refusal }); !errors.Is(err, refusal) {
			t.Errorf("Update returned %v, want fn's error", err)
		}
		mustUpdate(t, s, func(old []byte) []byte {
			if !bytes.Equal(old, want) {
				t.Errorf("after nil and an error: %q, want %q", old, want)
			}
			return []byte{}
		})
		mustUpdate(t, s, func(old []byte) []byte {
			if old == nil || len(old) != 0 {
				t.Errorf("stored empty bytes, read %q (nil %v): empty is not nothing", old, old == nil)
			}
			return nil
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
				mustUpdate(t, s, func(old []byte) []byte {
					if inside.Add(1) != 1 {
						t.Error("two updates ran at once")
					}
					defer inside.Add(-1)
					k, _ := strconv.Atoi(string(old))
					return []byte(strconv.Itoa(k + 1))
				})
			}()
		}
		wg.Wait()
		mustUpdate(t, s, func(old []byte) []byte {
			if string(old) != strconv.Itoa(n) {
				t.Errorf("%d racing increments counted %s", n, old)
			}
			return nil
		})
	})

	master, _ := servicepass.GenerateMasterKey(1, nil)
	is, err := servicepass.NewIssuer(servicepass.IssuerConfig{Keys: []servicepass.MasterKey{master}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := is.DeviceKeys("race")
	prov := &servicepass.Provisioning{DeviceID: "race", Mode: servicepass.DeviceOwner, HasMode: true, Keys: keys, Location: time.UTC}
	issue := func(t *testing.T) string {
		iss, err := is.Issue(ctx, servicepass.Request{DeviceID: "race", Mode: servicepass.DeviceOwner, Actions: servicepass.Unlock, Admin: Admin})
		if err != nil {
			t.Fatal(err)
		}
		return iss.Code.Reveal()
	}

	t.Run("OneOfManyVerifiesSucceeds", func(t *testing.T) {
		store := newStore(t)
		if err := servicepass.InstallProvisioning(ctx, "", nil, store); err != nil {
			t.Fatal(err)
		}
		v, err := servicepass.NewVerifier(prov, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		code := issue(t)
		const n = 32
		var ok, replay atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g, err := v.Verify(ctx, code, t0.Add(time.Minute))
				switch {
				case err == nil && !g.Degraded:
					ok.Add(1)
				case errors.Is(err, servicepass.ErrReplay):
					replay.Add(1)
				default:
					t.Errorf("Verify: %+v %v", g, err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || replay.Load() != n-1 {
			t.Fatalf("%d goroutines: %d succeeded, %d replays; want 1 and %d", n, ok.Load(), replay.Load(), n-1)
		}
		// A second verifier on the store (another process) sees the use.
		v2, err := servicepass.NewVerifier(prov, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v2.Verify(ctx, code, t0.Add(2*time.Minute)); !errors.Is(err, servicepass.ErrReplay) {
			t.Fatalf("second verifier: %v, want ErrReplay", err)
		}
	})

	t.Run("NoStateIsLost", func(t *testing.T) {
		v, err := servicepass.NewVerifier(prov, newStore(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if g, err := v.Verify(ctx, issue(t), t0.Add(time.Minute)); err != nil || !g.Degraded {
			t.Fatalf("grant on a store without state: %+v %v, want degraded", g, err)
		}
		if _, err := v.Window(ctx, t0.Add(2*time.Minute)); !errors.Is(err, servicepass.ErrStateLost) {
			t.Fatalf("Window: %v, want ErrStateLost", err)
		}
	})
}

func mustUpdate(t *testing.T, s servicepass.DeviceStore, fn func(old []byte) []byte) {
	t.Helper()
	if err := s.Update(context.Background(), func(old []byte) ([]byte, error) { return fn(old), nil }); err != nil {
		t.Fatalf("Update: %v", err)
	}
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
