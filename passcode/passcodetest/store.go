package passcodetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/passcode"
)

// Racers is how many goroutines the concurrency tests of [RunStore] start.
const Racers = 32

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func newReset(id, device string, at time.Time) (passcode.Reset, passcode.Event) {
	r := passcode.Reset{
		ID: id, DeviceID: device, Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
		State: passcode.Requested, RequestedBy: "admin@example.com", Owner: "user-1",
		RequestedAt: at, UpdatedAt: at, StaleAt: at.Add(time.Hour),
		Sealed: []byte{1, 2, 3, 4}, RetainUntil: at.Add(2 * time.Hour),
	}
	ev := passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: device,
		To: passcode.Requested, At: at, Actor: r.RequestedBy}
	return r, ev
}

func transitionEvent(r passcode.Reset, from, to passcode.State, at time.Time) passcode.Event {
	return passcode.Event{Kind: passcode.EventTransition, ResetID: r.ID, DeviceID: r.DeviceID,
		From: from, To: to, At: at, Actor: "mdm"}
}

// RunStore runs the conformance suite against stores made by newStore, which
// must return an empty store for each call. It checks the contract written
// on [passcode.Store], including that of [Racers] concurrent requests for
// one device exactly one opens a reset, and of Racers concurrent moves from
// one state exactly one wins. Through a [passcode.Service] over the store it
// checks that identifiers are refused at the service boundary with the same
// [*passcode.ParamError] on every backend (over-long, NUL, C0 and C1
// controls, broken UTF-8, invisible formatting characters) without the
// store being called, and that the longest and most unusual valid ones
// round-trip byte for byte.
func RunStore(t *testing.T, newStore func(t *testing.T) passcode.Store) {
	ctx := context.Background()
	t.Run("ServiceBoundary", func(t *testing.T) { runBoundary(t, newStore) })
	mustCreate := func(t *testing.T, s passcode.Store, id, device string, at time.Time) passcode.Reset {
		t.Helper()
		r, ev := newReset(id, device, at)
		if err := s.Create(ctx, r, ev); err != nil {
			t.Fatalf("Create(%s): %v", id, err)
		}
		return r
	}

	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		want := mustCreate(t, s, "r1", "d1", t0)
		got, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || !got.RequestedAt.Equal(want.RequestedAt) {
			t.Fatalf("Get = %+v, want %+v", got, want)
		}
		got.Sealed[0] = 99
		again, _ := s.Get(ctx, "r1")
		if again.Sealed[0] != 1 {
			t.Fatal("Get returned a Sealed slice shared with the store")
		}
		open, err := s.Open(ctx, "d1")
		if err != nil || open.ID != "r1" {
			t.Fatalf("Open = %q, %v; want r1", open.ID, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Get: %v, want ErrNotFound", err)
		}
		if _, err := s.Open(ctx, "nope"); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Open: %v, want ErrNotFound", err)
		}
		r, _ := newReset("nope", "d1", t0)
		if err := s.Transition(ctx, "nope", passcode.Requested, passcode.Pending, t0,
			transitionEvent(r, passcode.Requested, passcode.Pending, t0)); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Transition: %v, want ErrNotFound", err)
		}
		if err := s.Append(ctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "nope", DeviceID: "d1", At: t0}); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Append: %v, want ErrNotFound", err)
		}
		evs, err := s.Events(ctx, passcode.EventQuery{ResetID: "nope"})
		if err != nil || len(evs) != 0 {
			t.Errorf("Events(unknown) = %v, %v; want none", evs, err)
		}
	})

	t.Run("OneOpenPerDevice", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "r1", "d1", t0)
		r2, ev2 := newReset("r2", "d1", t0)
		if err := s.Create(ctx, r2, ev2); !errors.Is(err, passcode.ErrResetInProgress) {
			t.Fatalf("second Create: %v, want ErrResetInProgress", err)
		}
		if _, err := s.Get(ctx, "r2"); !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("refused reset was stored: %v", err)
		}
		mustCreate(t, s, "r3", "d2", t0)
		dup, dupEv := newReset("r3", "d3", t0)
		if err := s.Create(ctx, dup, dupEv); !errors.Is(err, passcode.ErrDuplicateID) {
			t.Fatalf("Create with a used ID: %v, want ErrDuplicateID", err)
		}
		r1, _ := s.Get(ctx, "r1")
		if err := s.Transition(ctx, "r1", passcode.Requested, passcode.Failed, t0,
			transitionEvent(r1, passcode.Requested, passcode.Failed, t0)); err != nil {
			t.Fatalf("Transition to Failed: %v", err)
		}
		if _, err := s.Open(ctx, "d1"); !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("Open after Failed: %v, want ErrNotFound", err)
		}
		mustCreate(t, s, "r4", "d1", t0.Add(time.Minute))
	})

	t.Run("TransitionCompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		r := mustCreate(t, s, "r1", "d1", t0)
		at := t0.Add(time.Minute)
		steps := []struct {
			from, to passcode.State
			want     error
		}{
			{passcode.Requested, passcode.Pending, nil},
			{passcode.Requested, passcode.Pending, passcode.ErrStateChanged},
			{passcode.Pending, passcode.Succeeded, passcode.ErrInvalidTransition},
			{passcode.Pending, passcode.Acknowledged, nil},
			{passcode.Acknowledged, passcode.Succeeded, nil},
			{passcode.Succeeded, passcode.Failed, passcode.ErrInvalidTransition},
		}
		for _, st := range steps {
			err := s.Transition(ctx, "r1", st.from, st.to, at, transitionEvent(r, st.from, st.to, at))
			if !errors.Is(err, st.want) || (st.want == nil && err != nil) {
				t.Fatalf("Transition %s -> %s: %v, want %v", st.from, st.to, err, st.want)
			}
		}
		got, _ := s.Get(ctx, "r1")
		if got.State != passcode.Succeeded || !got.UpdatedAt.Equal(at) {
			t.Fatalf("after transitions: state %s updated %s", got.State, got.UpdatedAt)
		}
		evs, _ := s.Events(ctx, passcode.EventQuery{ResetID: "r1"})
		if len(evs) != 4 {
			t.Fatalf("%d events, want 4 (created + 3 transitions)", len(evs))
		}
	})

	t.Run("EventsOrder", func(t *testing.T) {
		s := newStore(t)
		a := mustCreate(t, s, "a", "d1", t0)
		mustCreate(t, s, "x", "d2", t0)
		_ = s.Transition(ctx, "a", passcode.Requested, passcode.Failed, t0, transitionEvent(a, passcode.Requested, passcode.Failed, t0))
		b := mustCreate(t, s, "b", "d1", t0.Add(time.Second))
		if err := s.Append(ctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "b", DeviceID: "d1",
			From: passcode.Requested, To: passcode.Requested, At: t0.Add(2 * time.Second), Actor: b.RequestedBy}); err != nil {
			t.Fatalf("Append: %v", err)
		}
		dev, _ := s.Events(ctx, passcode.EventQuery{DeviceID: "d1"})
		var got []string
		for _, e := range dev {
			got = append(got, e.ResetID+":"+e.Kind.String()+":"+e.To.String())
		}
		want := "[a:transition:requested a:transition:failed b:transition:requested b:viewed:requested]"
		if fmt.Sprint(got) != want {
			t.Fatalf("device events = %v, want %s", got, want)
		}
		one, _ := s.Events(ctx, passcode.EventQuery{ResetID: "b", DeviceID: "ignored"})
		if len(one) != 2 || one[1].Kind != passcode.EventViewed || one[1].Actor != b.RequestedBy {
			t.Fatalf("reset events = %+v", one)
		}
	})

	t.Run("Stale", func(t *testing.T) {
		s := newStore(t)
		for i, dev := range []string{"d1", "d2", "d3", "d4"} {
			mustCreate(t, s, "r"+dev, dev, t0.Add(time.Duration(3-i)*time.Minute)) // d4 oldest
		}
		r2, _ := s.Get(ctx, "rd2")
		_ = s.Transition(ctx, "rd2", passcode.Requested, passcode.Failed, t0, transitionEvent(r2, passcode.Requested, passcode.Failed, t0))
		stale, err := s.Stale(ctx, t0.Add(time.Hour+2*time.Minute), 10)
		if err != nil {
			t.Fatalf("Stale: %v", err)
		}
		var ids []string
		for _, r := range stale {
			ids = append(ids, r.ID)
		}
		if fmt.Sprint(ids) != "[rd4 rd3]" {
			t.Fatalf("Stale = %v, want [rd4 rd3] (rd2 closed, rd1 not yet stale)", ids)
		}
		if few, _ := s.Stale(ctx, t0.Add(2*time.Hour), 2); len(few) != 2 || few[0].ID != "rd4" {
			t.Fatalf("Stale with limit 2 = %d resets", len(few))
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "r1", "d1", t0)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		r, ev := newReset("r2", "d2", t0)
		one, _ := s.Get(ctx, "r1")
		checks := map[string]error{
			"Create":     s.Create(cctx, r, ev),
			"Transition": s.Transition(cctx, "r1", passcode.Requested, passcode.Pending, t0, transitionEvent(one, passcode.Requested, passcode.Pending, t0)),
			"Append":     s.Append(cctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "r1", DeviceID: "d1", At: t0}),
		}
		_, checks["Get"] = s.Get(cctx, "r1")
		_, checks["Open"] = s.Open(cctx, "d1")
		_, checks["Events"] = s.Events(cctx, passcode.EventQuery{DeviceID: "d1"})
		_, checks["Stale"] = s.Stale(cctx, t0, 10)
		for name, err := range checks {
			if err == nil {
				t.Errorf("%s with a canceled context succeeded", name)
			}
		}
		if got, _ := s.Get(ctx, "r1"); got.State != passcode.Requested {
			t.Errorf("a canceled Transition moved the reset to %s", got.State)
		}
	})

	t.Run("ConcurrentCreate", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, Racers)
		for i := range Racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, ev := newReset(fmt.Sprintf("race-%d", i), "d1", t0)
				errs[i] = s.Create(ctx, r, ev)
			}()
		}
		wg.Wait()
		won := ""
		for i, err := range errs {
			switch {
			case err == nil && won == "":
				won = fmt.Sprintf("race-%d", i)
			case err == nil:
				t.Fatalf("two Creates won: %s and race-%d", won, i)
			case !errors.Is(err, passcode.ErrResetInProgress):
				t.Fatalf("race-%d: %v, want ErrResetInProgress", i, err)
			}
		}
		open, err := s.Open(ctx, "d1")
		if won == "" || err != nil || open.ID != won {
			t.Fatalf("winner %q, Open = %q, %v", won, open.ID, err)
		}
		evs, _ := s.Events(ctx, passcode.EventQuery{DeviceID: "d1"})
		if len(evs) != 1 {
			t.Fatalf("%d events for the device, want 1", len(evs))
		}
	})

	t.Run("ConcurrentTransition", func(t *testing.T) {
		s := newStore(t)
		r := mustCreate(t, s, "r1", "d1", t0)
		var wg sync.WaitGroup
		errs := make([]error, Racers)
		for i := range Racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := passcode.Pending
				if i%2 == 1 {
					to = passcode.Expired
				}
				errs[i] = s.Transition(ctx, "r1", passcode.Requested, to, t0, transitionEvent(r, passcode.Requested, to, t0))
			}()
		}
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, passcode.ErrStateChanged):
				t.Fatalf("racer %d: %v, want ErrStateChanged", i, err)
			}
		}
		evs, _ := s.Events(ctx, passcode.EventQuery{ResetID: "r1"})
		if wins != 1 || len(evs) != 2 {
			t.Fatalf("%d transitions won, %d events; want 1 and 2", wins, len(evs))
		}
	})
}
