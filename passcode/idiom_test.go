package passcode_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// hookStore is a MemStore that runs a hook, once, before the next Write
// or before or after the next Open: another writer getting in between the
// Service's read and its conditional write.
type hookStore struct {
	*passcode.MemStore
	mu          sync.Mutex
	beforeWrite func(r passcode.Reset, prev uint64)
	afterOpen   func()
	beforeOpen  func()
	writes      int
}

func (h *hookStore) Write(ctx context.Context, r passcode.Reset, prev uint64, evs []passcode.Event) error {
	h.mu.Lock()
	f := h.beforeWrite
	h.beforeWrite = nil
	h.writes++
	h.mu.Unlock()
	if f != nil {
		f(r, prev)
	}
	return h.MemStore.Write(ctx, r, prev, evs)
}

func (h *hookStore) Open(ctx context.Context, deviceID string) (passcode.Reset, error) {
	h.mu.Lock()
	before := h.beforeOpen
	h.beforeOpen = nil
	h.mu.Unlock()
	if before != nil {
		before()
	}
	r, err := h.MemStore.Open(ctx, deviceID)
	h.mu.Lock()
	f := h.afterOpen
	h.afterOpen = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return r, err
}

// moveRaw moves reset id to state to behind the Service's back, as another
// instance would.
func moveRaw(t *testing.T, m *passcode.MemStore, id string, to passcode.State, at time.Time) {
	t.Helper()
	ctx := context.Background()
	r, err := m.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	next := r
	next.State, next.UpdatedAt, next.Rev, next.OpenDevice = to, at, r.Rev+1, ""
	if to.Open() {
		next.OpenDevice = r.DeviceID
	}
	ev := passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: r.DeviceID, From: r.State, To: to, At: at, Actor: "other"}
	if err := m.Write(ctx, next, r.Rev, []passcode.Event{ev}); err != nil {
		t.Fatal(err)
	}
}

func newHookFixture(t *testing.T) (*fixture, *hookStore) {
	h := &hookStore{MemStore: passcode.NewMemStore()}
	f := newFixture(t, func(c *passcode.Config) { c.Store = h })
	f.store = h.MemStore
	return f, h
}

// A Transition whose write loses to another writer reads the reset again
// and decides again on what it finds: a move the new state no longer
// allows is refused, one it still allows is made from the new state.
func TestTransitionDecidesAgainAfterConflict(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		other   passcode.State // where the other writer moves the reset
		to      passcode.State
		want    error
		final   passcode.State
		trail   string
		written int // Writes the Service sent, the refused one included
	}{
		{"other failed it", passcode.Failed, passcode.Pending, passcode.ErrInvalidTransition, passcode.Failed,
			"[transition none->requested by admin-1 transition requested->failed by other]", 1},
		{"other moved it on", passcode.Pending, passcode.Failed, nil, passcode.Failed,
			"[transition none->requested by admin-1 transition requested->pending by other transition pending->failed by mdm]", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, h := newHookFixture(t)
			res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
			if err != nil {
				t.Fatal(err)
			}
			h.writes = 0
			h.beforeWrite = func(passcode.Reset, uint64) { moveRaw(t, h.MemStore, res.Reset.ID, tc.other, f.clock.Now()) }
			r, err := f.svc.Transition(ctx, res.Reset.ID, tc.to, "mdm")
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Transition: %v, want %v", err, tc.want)
			}
			if tc.want == nil && (r.State != tc.final || r.Rev != 3) {
				t.Fatalf("Transition returned %s at revision %d, want %s at 3", r.State, r.Rev, tc.final)
			}
			got, _ := f.svc.Get(ctx, res.Reset.ID)
			if got.State != tc.final || h.writes != tc.written {
				t.Fatalf("reset %s after %d writes, want %s after %d", got.State, h.writes, tc.final, tc.written)
			}
			if trail := f.events(t, passcode.EventQuery{ResetID: res.Reset.ID}); fmtList(trail) != tc.trail {
				t.Fatalf("trail %v, want %s", trail, tc.trail)
			}
		})
	}
}

func fmtList(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out + "]"
}

// A request whose insert is refused by a reset with the same ID (and no
// open reset on the device) gets ErrDuplicateID; if that reset is gone by
// the time the Service looks (a purge), the insert is tried again and
// succeeds.
func TestRequestInsertRefusedByID(t *testing.T) {
	ctx := context.Background()
	old := start.Add(-1000 * 24 * time.Hour)
	block := func(h *hookStore) func(r passcode.Reset, prev uint64) {
		return func(r passcode.Reset, prev uint64) {
			b := r
			b.DeviceID, b.OpenDevice, b.State, b.UpdatedAt = "elsewhere", "", passcode.Failed, old
			if err := h.MemStore.Write(ctx, b, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("duplicate", func(t *testing.T) {
		f, h := newHookFixture(t)
		h.beforeWrite = block(h)
		if _, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"}); !errors.Is(err, passcode.ErrDuplicateID) {
			t.Fatalf("Request: %v, want ErrDuplicateID", err)
		}
		if _, err := h.MemStore.Open(ctx, "d1"); !errors.Is(err, passcode.ErrNotFound) || h.writes != 1 {
			t.Fatalf("Open: %v after %d writes; want nothing opened, one write", err, h.writes)
		}
	})
	t.Run("purged meanwhile", func(t *testing.T) {
		f, h := newHookFixture(t)
		h.beforeWrite = block(h)
		h.afterOpen = func() {
			if n, err := h.MemStore.PurgeResets(ctx, start, 10); n != 1 || err != nil {
				t.Fatalf("purge: %d, %v", n, err)
			}
		}
		res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
		if err != nil || h.writes != 2 {
			t.Fatalf("Request: %v after %d writes, want it made by the second", err, h.writes)
		}
		if open, err := f.store.Open(ctx, "d1"); err != nil || open.ID != res.Reset.ID || open.Rev != 1 ||
			res.Reset.Rev != 1 || res.Reset.OpenDevice != "d1" {
			t.Fatalf("Open = %+v, %v", open, err)
		}
	})
	t.Run("closed meanwhile", func(t *testing.T) {
		// The device's open reset blocks the insert and is closed before
		// the Service reads it: the insert is tried again.
		f, h := newHookFixture(t)
		first, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
		if err != nil {
			t.Fatal(err)
		}
		h.writes = 0
		h.beforeOpen = func() { moveRaw(t, h.MemStore, first.Reset.ID, passcode.Failed, f.clock.Now()) }
		res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
		if err != nil || res.Reset.ID == first.Reset.ID || h.writes != 2 {
			t.Fatalf("Request: %v after %d writes; want a new reset by the second", err, h.writes)
		}
	})
}

// ExpireStale decides on the reset Stale returned; when another writer
// changed it first, it reads it again: still open and stale, it expires
// it; closed meanwhile, it leaves it and counts nothing.
func TestExpireStaleDecidesAgainAfterConflict(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		other passcode.State
		n     int
		final passcode.State
	}{{passcode.Pending, 1, passcode.Expired}, {passcode.Failed, 0, passcode.Failed}} {
		t.Run(tc.other.String(), func(t *testing.T) {
			f, h := newHookFixture(t)
			res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(passcode.DefaultStaleAfter)
			h.beforeWrite = func(passcode.Reset, uint64) { moveRaw(t, h.MemStore, res.Reset.ID, tc.other, f.clock.Now()) }
			n, err := f.svc.ExpireStale(ctx)
			got, _ := f.svc.Get(ctx, res.Reset.ID)
			if err != nil || n != tc.n || got.State != tc.final {
				t.Fatalf("ExpireStale = %d, %v; reset %s; want %d, %s", n, err, got.State, tc.n, tc.final)
			}
		})
	}
}

// Each expiry is logged once, by whichever path made it (a request over a
// stale reset, a move, ExpireStale), and only when its write succeeded.
func TestExpiryLoggedOnce(t *testing.T) {
	ctx := context.Background()
	count := func(f *fixture) int { return strings.Count(f.log.String(), `"msg":"passcode reset expired"`) }
	for _, tc := range []struct {
		name string
		run  func(f *fixture, id string) error
	}{
		{"request", func(f *fixture, _ string) error {
			_, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
			return err
		}},
		{"move", func(f *fixture, id string) error {
			if _, err := f.svc.Transition(ctx, id, passcode.Pending, "mdm"); !errors.Is(err, passcode.ErrResetExpired) {
				return fmt.Errorf("Transition: %v, want ErrResetExpired", err)
			}
			return nil
		}},
		{"ExpireStale", func(f *fixture, _ string) error {
			if n, err := f.svc.ExpireStale(ctx); n != 1 {
				return fmt.Errorf("ExpireStale = %d, %v", n, err)
			}
			return nil
		}},
	} {
		for _, race := range []bool{false, true} {
			t.Run(fmt.Sprint(tc.name, " race ", race), func(t *testing.T) {
				f, h := newHookFixture(t)
				res, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel("d1"), Actor: "admin-1"})
				if err != nil {
					t.Fatal(err)
				}
				f.clock.Advance(passcode.DefaultStaleAfter)
				if race {
					// The first expiry write loses to another writer:
					// nothing is logged for it.
					h.beforeWrite = func(passcode.Reset, uint64) {
						moveRaw(t, h.MemStore, res.Reset.ID, passcode.Pending, f.clock.Now())
					}
				}
				if err := tc.run(f, res.Reset.ID); err != nil {
					t.Fatal(err)
				}
				if got, _ := f.svc.Get(ctx, res.Reset.ID); got.State != passcode.Expired || count(f) != 1 {
					t.Fatalf("reset %s, %d expiry lines logged; want expired, 1:\n%s", got.State, count(f), f.log)
				}
			})
		}
	}
}

// ExpireStale works in batches of 100 until a batch comes back short: 150
// stale resets are all expired, in two batches.
func TestExpireStaleBatches(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for i := range 150 {
		if _, err := f.svc.Request(ctx, passcode.ResetRequest{Device: pixel(fmt.Sprint("d", i)), Actor: "admin-1"}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(passcode.DefaultStaleAfter)
	if n, err := f.svc.ExpireStale(ctx); n != 150 || err != nil {
		t.Fatalf("ExpireStale = %d, %v; want 150", n, err)
	}
	if rs, _ := f.store.Stale(ctx, f.clock.Now(), -1); len(rs) != 0 {
		t.Fatalf("%d stale resets left", len(rs))
	}
}

// stuckStale is a store whose Stale always answers a full batch of resets
// that are not stale when the Service decides on them.
type stuckStale struct {
	*passcode.MemStore
	r     passcode.Reset
	calls int
}

func (s *stuckStale) Stale(context.Context, time.Time, int) ([]passcode.Reset, error) {
	s.calls++
	out := make([]passcode.Reset, 100)
	for i := range out {
		out[i] = s.r
	}
	return out, nil
}

// ExpireStale gives up after 1,000 batches, however many a store keeps
// returning.
func TestExpireStaleRoundsBounded(t *testing.T) {
	s := &stuckStale{MemStore: passcode.NewMemStore()}
	f := newFixture(t, func(c *passcode.Config) { c.Store = s })
	s.r = passcode.Reset{ID: "r1", DeviceID: "d1", State: passcode.Pending, StaleAt: f.clock.Now().Add(time.Hour), Rev: 1}
	if n, err := f.svc.ExpireStale(context.Background()); n != 0 || err != nil || s.calls != 1000 {
		t.Fatalf("ExpireStale = %d, %v after %d batches; want 0 after 1000", n, err, s.calls)
	}
}
