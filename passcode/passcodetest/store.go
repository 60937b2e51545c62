package passcodetest

import (
	"bytes"
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

// newReset is a reset as the Service creates it: Requested, Rev 1, open
// for its device.
func newReset(id, device string, at time.Time) (passcode.Reset, passcode.Event) {
	r := passcode.Reset{
		ID: id, DeviceID: device, Platform: passcode.AndroidDeviceOwner, Action: passcode.SetPasscode,
		State: passcode.Requested, RequestedBy: "admin@example.com", Owner: "user-1",
		RequestedAt: at, UpdatedAt: at, StaleAt: at.Add(time.Hour),
		Sealed: []byte{1, 2, 3, 4}, RetainUntil: at.Add(2 * time.Hour),
		OpenDevice: device, Rev: 1,
	}
	ev := passcode.Event{Kind: passcode.EventTransition, ResetID: id, DeviceID: device,
		To: passcode.Requested, At: at, Actor: r.RequestedBy}
	return r, ev
}

func transitionEvent(r passcode.Reset, from, to passcode.State, at time.Time) passcode.Event {
	return passcode.Event{Kind: passcode.EventTransition, ResetID: r.ID, DeviceID: r.DeviceID,
		From: from, To: to, At: at, Actor: "mdm"}
}

// moved is r, as read, moved to state to at at, one revision on, as the
// Service writes it: OpenDevice follows the state.
func moved(r passcode.Reset, to passcode.State, at time.Time) passcode.Reset {
	r.State, r.UpdatedAt, r.Rev, r.OpenDevice = to, at, r.Rev+1, ""
	if to.Open() {
		r.OpenDevice = r.DeviceID
	}
	return r
}

// move writes r, as read, moved to state to (a compare-and-swap on r.Rev)
// with its transition event, and returns what it wrote.
func move(ctx context.Context, s passcode.Store, r passcode.Reset, to passcode.State, at time.Time) (passcode.Reset, error) {
	next := moved(r, to, at)
	return next, s.Write(ctx, next, r.Rev, []passcode.Event{transitionEvent(r, r.State, to, at)})
}

// RunStore runs the conformance suite against stores made by newStore, which
// must return an empty store for each call. It checks the contract written
// on [passcode.Store]: Write's insert-if-absent (prev 0) and
// compare-and-swap (prev = the stored Rev), returning
// [passcode.ErrConflict] and changing and appending nothing when the
// condition fails; one reset per non-empty OpenDevice; events appended
// only with a successful Write, in order; no state or lifecycle check in
// the store; records sharing no memory with the store; and that of
// [Racers] concurrent Writes from one revision (or inserts of one ID, or
// of one OpenDevice) exactly one succeeds. Through a [passcode.Service]
// over the store it checks that identifiers are refused at the service
// boundary with the same [*passcode.ParamError] on every backend
// (over-long, NUL, C0 and C1 controls, broken UTF-8, invisible formatting
// characters) without the store being called, that the longest and most
// unusual valid ones round-trip byte for byte, and that of Racers
// concurrent requests for one device through the Service exactly one
// opens a reset and the others get [passcode.ErrResetInProgress].
func RunStore(t *testing.T, newStore func(t *testing.T) passcode.Store) {
	ctx := context.Background()
	t.Run("ServiceBoundary", func(t *testing.T) { runBoundary(t, newStore) })
	mustCreate := func(t *testing.T, s passcode.Store, id, device string, at time.Time) passcode.Reset {
		t.Helper()
		r, ev := newReset(id, device, at)
		if err := s.Write(ctx, r, 0, []passcode.Event{ev}); err != nil {
			t.Fatalf("Write(%s, 0): %v", id, err)
		}
		return r
	}
	mustMove := func(t *testing.T, s passcode.Store, r passcode.Reset, to passcode.State, at time.Time) passcode.Reset {
		t.Helper()
		next, err := move(ctx, s, r, to, at)
		if err != nil {
			t.Fatalf("Write(%s, %d) -> %s: %v", r.ID, r.Rev, to, err)
		}
		return next
	}
	same := func(a, b passcode.Reset) bool {
		return fmt.Sprint(a) == fmt.Sprint(b) && a.RequestedAt.Equal(b.RequestedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
	}
	count := func(t *testing.T, s passcode.Store, q passcode.EventQuery) int {
		t.Helper()
		evs, err := s.Events(ctx, q)
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		return len(evs)
	}

	t.Run("WriteLoad", func(t *testing.T) {
		s := newStore(t)
		r, ev := newReset("r1", "d1", t0)
		want := r
		want.Sealed = []byte{1, 2, 3, 4}
		if err := s.Write(ctx, r, 0, []passcode.Event{ev}); err != nil {
			t.Fatalf("Write: %v", err)
		}
		r.Sealed[0] = 77 // the caller's slice is not the store's
		got, err := s.Load(ctx, "r1")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if !same(got, want) || got.Rev != 1 || got.OpenDevice != "d1" {
			t.Fatalf("Load = %+v, want %+v", got, want)
		}
		got.Sealed[0] = 99
		again, _ := s.Load(ctx, "r1")
		if again.Sealed[0] != 1 {
			t.Fatal("Load returned a Sealed slice shared with the store")
		}
		open, err := s.Open(ctx, "d1")
		if err != nil || !same(open, want) {
			t.Fatalf("Open = %+v, %v; want r1", open, err)
		}
		open.Sealed[0] = 98
		if again, _ := s.Load(ctx, "r1"); again.Sealed[0] != 1 {
			t.Fatal("Open returned a Sealed slice shared with the store")
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Load(ctx, "nope"); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Load: %v, want ErrNotFound", err)
		}
		if _, err := s.Open(ctx, "nope"); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Open: %v, want ErrNotFound", err)
		}
		r, _ := newReset("nope", "d1", t0)
		r.Rev = 5
		if err := s.Write(ctx, r, 4, []passcode.Event{transitionEvent(r, passcode.Requested, passcode.Pending, t0)}); !errors.Is(err, passcode.ErrConflict) {
			t.Errorf("Write(prev 4) of a missing reset: %v, want ErrConflict", err)
		}
		if _, err := s.Load(ctx, "nope"); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("a refused Write stored the reset: %v", err)
		}
		if err := s.Append(ctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "nope", DeviceID: "d1", At: t0}); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("Append: %v, want ErrNotFound", err)
		}
		if n := count(t, s, passcode.EventQuery{ResetID: "nope"}); n != 0 {
			t.Errorf("Events(unknown) = %d events; want none", n)
		}
	})

	t.Run("InsertIfAbsent", func(t *testing.T) {
		s := newStore(t)
		want := mustCreate(t, s, "r1", "d1", t0)
		for _, tt := range []struct {
			name   string
			device string
		}{{"same ID, same device", "d1"}, {"same ID, other device", "d2"}} {
			r, ev := newReset("r1", tt.device, t0.Add(time.Minute))
			r.Owner = "someone-else"
			if err := s.Write(ctx, r, 0, []passcode.Event{ev}); !errors.Is(err, passcode.ErrConflict) {
				t.Fatalf("%s: Write(prev 0) of an existing ID: %v, want ErrConflict", tt.name, err)
			}
		}
		if got, _ := s.Load(ctx, "r1"); !same(got, want) {
			t.Fatalf("a refused insert changed the reset: %+v", got)
		}
		if n := count(t, s, passcode.EventQuery{ResetID: "r1"}); n != 1 {
			t.Fatalf("%d events, want 1: a refused insert appended its event", n)
		}
		if _, err := s.Open(ctx, "d2"); !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("a refused insert opened a reset for d2: %v", err)
		}
	})

	t.Run("OneResetPerOpenDevice", func(t *testing.T) {
		s := newStore(t)
		r1 := mustCreate(t, s, "r1", "d1", t0)
		r2, ev2 := newReset("r2", "d1", t0)
		if err := s.Write(ctx, r2, 0, []passcode.Event{ev2}); !errors.Is(err, passcode.ErrConflict) {
			t.Fatalf("second open reset for d1: %v, want ErrConflict", err)
		}
		if _, err := s.Load(ctx, "r2"); !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("refused reset was stored: %v", err)
		}
		if n := count(t, s, passcode.EventQuery{DeviceID: "d1"}); n != 1 {
			t.Fatalf("%d events for d1, want 1", n)
		}
		// A write keeping its own OpenDevice is no conflict with itself.
		r1 = mustMove(t, s, r1, passcode.Pending, t0)
		// A closed reset, with OpenDevice empty, does not count.
		closed := mustCreate(t, s, "r3", "d3", t0)
		closed = mustMove(t, s, closed, passcode.Failed, t0)
		// Reopening it on d1 (a write the Service never makes; the store
		// checks only the uniqueness) is refused too.
		reopen := closed
		reopen.Rev, reopen.OpenDevice = closed.Rev+1, "d1"
		if err := s.Write(ctx, reopen, closed.Rev, nil); !errors.Is(err, passcode.ErrConflict) {
			t.Fatalf("a compare-and-swap taking d1's OpenDevice: %v, want ErrConflict", err)
		}
		if got, _ := s.Load(ctx, "r3"); !same(got, closed) {
			t.Fatalf("a refused compare-and-swap changed the reset: %+v", got)
		}
		mustMove(t, s, r1, passcode.Failed, t0)
		if _, err := s.Open(ctx, "d1"); !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("Open after Failed: %v, want ErrNotFound", err)
		}
		mustCreate(t, s, "r4", "d1", t0.Add(time.Minute))
		if open, err := s.Open(ctx, "d1"); err != nil || open.ID != "r4" {
			t.Fatalf("Open = %q, %v; want r4", open.ID, err)
		}
	})

	t.Run("CompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		r := mustCreate(t, s, "r1", "d1", t0)
		at := t0.Add(time.Minute)
		pending := mustMove(t, s, r, passcode.Pending, at)
		// Writes decided on a stale revision are refused, whatever they
		// would write.
		for _, to := range []passcode.State{passcode.Pending, passcode.Failed, passcode.Acknowledged} {
			if _, err := move(ctx, s, r, to, at); !errors.Is(err, passcode.ErrConflict) {
				t.Fatalf("Write from revision 1 after revision 2 (-> %s): %v, want ErrConflict", to, err)
			}
		}
		// A revision that is not prev+1 is a caller's error: nothing
		// changes, and it is no conflict to retry on.
		bad := moved(pending, passcode.Acknowledged, at)
		bad.Rev = pending.Rev + 2
		if err := s.Write(ctx, bad, pending.Rev, nil); err == nil || errors.Is(err, passcode.ErrConflict) {
			t.Fatalf("Write with Rev = prev+2: %v, want an error other than ErrConflict", err)
		}
		// An event of another reset or device is a caller's error too,
		// for an insert and for a compare-and-swap: a Write cannot put
		// events in another reset's history.
		ok := moved(pending, passcode.Acknowledged, at)
		for _, ev := range []passcode.Event{
			{Kind: passcode.EventViewed, ResetID: "r2", DeviceID: "d1", At: at, Actor: "a"},
			{Kind: passcode.EventViewed, ResetID: "r1", DeviceID: "d2", At: at, Actor: "a"},
		} {
			if err := s.Write(ctx, ok, pending.Rev, []passcode.Event{transitionEvent(pending, passcode.Pending, passcode.Acknowledged, at), ev}); err == nil || errors.Is(err, passcode.ErrConflict) {
				t.Fatalf("Write with an event of %s/%s: %v, want an error other than ErrConflict", ev.ResetID, ev.DeviceID, err)
			}
			// The same mismatch on an insert of r9 on d9: another reset's
			// ID, or another device.
			nr, nev := newReset("r9", "d9", at)
			if ev.ResetID != "r1" {
				nev.ResetID = ev.ResetID
			} else {
				nev.DeviceID = ev.DeviceID
			}
			if err := s.Write(ctx, nr, 0, []passcode.Event{nev}); err == nil || errors.Is(err, passcode.ErrConflict) {
				t.Fatalf("insert with an event of %s/%s: %v, want an error other than ErrConflict", nev.ResetID, nev.DeviceID, err)
			}
		}
		if _, err := s.Load(ctx, "r9"); !errors.Is(err, passcode.ErrNotFound) {
			t.Fatalf("a refused insert stored its reset: %v", err)
		}
		for _, q := range []passcode.EventQuery{{ResetID: "r2"}, {DeviceID: "d2"}, {ResetID: "r9"}, {DeviceID: "d9"}} {
			if n := count(t, s, q); n != 0 {
				t.Fatalf("refused writes appended %d events to %+v", n, q)
			}
		}
		if got, _ := s.Load(ctx, "r1"); !same(got, pending) {
			t.Fatalf("after refused writes: %+v, want %+v", got, pending)
		}
		// The store does not interpret the lifecycle: it stores a move the
		// Service would refuse (Pending -> Requested) as it is given.
		back := mustMove(t, s, pending, passcode.Requested, at.Add(time.Minute))
		got, _ := s.Load(ctx, "r1")
		if !same(got, back) || got.Rev != 3 {
			t.Fatalf("Load = %+v, want %+v", got, back)
		}
		// Several events in one Write are appended in order, at once.
		next := moved(back, passcode.Pending, at)
		v := passcode.Event{Kind: passcode.EventViewed, ResetID: "r1", DeviceID: "d1", From: passcode.Requested, To: passcode.Requested, At: at, Actor: "a"}
		if err := s.Write(ctx, next, back.Rev, []passcode.Event{v, transitionEvent(back, passcode.Requested, passcode.Pending, at)}); err != nil {
			t.Fatalf("Write with two events: %v", err)
		}
		evs, _ := s.Events(ctx, passcode.EventQuery{ResetID: "r1"})
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind.String()+":"+e.To.String())
		}
		if fmt.Sprint(kinds) != "[transition:requested transition:pending transition:requested viewed:requested transition:pending]" {
			t.Fatalf("events %v: refused writes appended, or an order was lost", kinds)
		}
	})

	t.Run("EventsOrder", func(t *testing.T) {
		s := newStore(t)
		a := mustCreate(t, s, "a", "d1", t0)
		mustCreate(t, s, "x", "d2", t0)
		mustMove(t, s, a, passcode.Failed, t0)
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
		if got, _ := s.Load(ctx, "b"); got.Rev != 1 {
			t.Fatalf("Append changed the reset's revision to %d", got.Rev)
		}
	})

	t.Run("Stale", func(t *testing.T) {
		s := newStore(t)
		for i, dev := range []string{"d1", "d2", "d3", "d4"} {
			mustCreate(t, s, "r"+dev, dev, t0.Add(time.Duration(3-i)*time.Minute)) // d4 oldest
		}
		r2, _ := s.Load(ctx, "rd2")
		mustMove(t, s, r2, passcode.Failed, t0)
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
		if stale[0].Rev != 1 || stale[0].OpenDevice != "d4" {
			t.Fatalf("Stale returned %+v without its Rev or OpenDevice", stale[0])
		}
		if few, _ := s.Stale(ctx, t0.Add(2*time.Hour), 2); len(few) != 2 || few[0].ID != "rd4" {
			t.Fatalf("Stale with limit 2 = %d resets", len(few))
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		one := mustCreate(t, s, "r1", "d1", t0)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		r, ev := newReset("r2", "d2", t0)
		_, moveErr := move(cctx, s, one, passcode.Pending, t0)
		checks := map[string]error{
			"Write insert": s.Write(cctx, r, 0, []passcode.Event{ev}),
			"Write CAS":    moveErr,
			"Append":       s.Append(cctx, passcode.Event{Kind: passcode.EventViewed, ResetID: "r1", DeviceID: "d1", At: t0}),
		}
		_, checks["Load"] = s.Load(cctx, "r1")
		_, checks["Open"] = s.Open(cctx, "d1")
		_, checks["Events"] = s.Events(cctx, passcode.EventQuery{DeviceID: "d1"})
		_, checks["Stale"] = s.Stale(cctx, t0, 10)
		for name, err := range checks {
			if err == nil {
				t.Errorf("%s with a canceled context succeeded", name)
			}
		}
		if got, _ := s.Load(ctx, "r1"); !same(got, one) {
			t.Errorf("a canceled Write moved the reset to %s", got.State)
		}
		if _, err := s.Load(ctx, "r2"); !errors.Is(err, passcode.ErrNotFound) {
			t.Errorf("a canceled Write inserted r2: %v", err)
		}
		if n := count(t, s, passcode.EventQuery{DeviceID: "d1"}) + count(t, s, passcode.EventQuery{DeviceID: "d2"}); n != 1 {
			t.Errorf("%d events, want 1", n)
		}
	})

	// race runs Racers writes at once and checks that exactly one
	// succeeded, the others returning ErrConflict; it returns the winner.
	race := func(t *testing.T, write func(i int) error) int {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, Racers)
		for i := range Racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = write(i)
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won < 0:
				won = i
			case err == nil:
				t.Fatalf("two writes won: %d and %d", won, i)
			case !errors.Is(err, passcode.ErrConflict):
				t.Fatalf("racer %d: %v, want ErrConflict", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no write won")
		}
		return won
	}

	t.Run("ConcurrentInsertOneDevice", func(t *testing.T) {
		s := newStore(t)
		won := race(t, func(i int) error {
			r, ev := newReset(fmt.Sprintf("race-%d", i), "d1", t0)
			return s.Write(ctx, r, 0, []passcode.Event{ev})
		})
		open, err := s.Open(ctx, "d1")
		if err != nil || open.ID != fmt.Sprintf("race-%d", won) {
			t.Fatalf("winner race-%d, Open = %q, %v", won, open.ID, err)
		}
		if n := count(t, s, passcode.EventQuery{DeviceID: "d1"}); n != 1 {
			t.Fatalf("%d events for the device, want 1", n)
		}
	})

	t.Run("ConcurrentInsertOneID", func(t *testing.T) {
		s := newStore(t)
		won := race(t, func(i int) error {
			r, ev := newReset("r1", fmt.Sprintf("d%d", i), t0)
			return s.Write(ctx, r, 0, []passcode.Event{ev})
		})
		if got, err := s.Load(ctx, "r1"); err != nil || got.DeviceID != fmt.Sprintf("d%d", won) {
			t.Fatalf("winner d%d, Load = %+v, %v", won, got, err)
		}
		if n := count(t, s, passcode.EventQuery{ResetID: "r1"}); n != 1 {
			t.Fatalf("%d events for the reset, want 1", n)
		}
	})

	t.Run("ConcurrentCompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		r := mustCreate(t, s, "r1", "d1", t0)
		tos := []passcode.State{passcode.Pending, passcode.Expired, passcode.Failed}
		won := race(t, func(i int) error {
			_, err := move(ctx, s, r, tos[i%len(tos)], t0)
			return err
		})
		got, _ := s.Load(ctx, "r1")
		if got.Rev != 2 || got.State != tos[won%len(tos)] {
			t.Fatalf("stored %s at revision %d, want the winner's %s at 2", got.State, got.Rev, tos[won%len(tos)])
		}
		if n := count(t, s, passcode.EventQuery{ResetID: "r1"}); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
	})

	t.Run("ConcurrentRequests", func(t *testing.T) {
		// Through the Service: of Racers requests for one device exactly
		// one opens a reset, the others are told it is in progress.
		s := newStore(t)
		svc, err := passcode.New(passcode.Config{Store: s, SealKeys: passcode.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{1}, 32)}),
			SealKeyID: 1, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, Racers)
		for i := range Racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.Request(ctx, passcode.ResetRequest{Device: android("d1", "user-1"), Actor: "admin"})
			}()
		}
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, passcode.ErrResetInProgress):
				t.Fatalf("request %d: %v, want ErrResetInProgress", i, err)
			}
		}
		if wins != 1 || count(t, s, passcode.EventQuery{DeviceID: "d1"}) != 1 {
			t.Fatalf("%d requests won, want 1 with one event", wins)
		}
	})
}
