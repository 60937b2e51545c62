// Package escrowtest is the test kit of package escrow: [RunStore], the
// conformance suite every [escrow.Store] backend runs (the SDK's own and a
// host's), with its concurrency races and retention purge; and gopter
// generators for bypass codes ([GenBypassCode]) and admin password
// policies ([GenAdminPolicy]), which shrink to the simplest value.
//
// Import it only from _test.go files: it pulls in testing and gopter.
package escrowtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/escrow"
)

// Racers is how many goroutines the races of [RunStore] start.
const Racers = 32

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// RunStore runs the conformance suite against stores made by newStore,
// which must return an empty store for each call. It checks the contract
// written on [escrow.Store] method by method (insert-if-absent,
// compare-and-swap, delete, the indexes, Due and ClosedBefore order and
// limits, the event trail, a canceled context), that of [Racers]
// concurrent writes from one revision exactly one wins, and, through an
// [escrow.Service] over the store: that of Racers concurrent requests for
// one device and kind exactly one secret opens; that racing Due workers
// start each due rotation exactly once; that every one of Racers
// concurrent views is recorded exactly once; and that a retention purge
// deletes what is old and closed and keeps the rest; that Rows pages in
// byte order; and that a re-seal after a sealing key rotation
// ([escrow.Service.Reseal]) re-seals every secret in batches, also while
// views, reports and rotations race it, losing none of them.
func RunStore(t *testing.T, newStore func(t *testing.T) escrow.Store) {
	t.Run("ServiceBoundary", func(t *testing.T) { testBoundary(t, newStore(t)) })
	t.Run("InsertLoad", func(t *testing.T) { testInsertLoad(t, newStore(t)) })
	t.Run("InsertIfAbsent", func(t *testing.T) { testInsertIfAbsent(t, newStore(t)) })
	t.Run("CompareAndSwap", func(t *testing.T) { testCompareAndSwap(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("Due", func(t *testing.T) { testDue(t, newStore(t)) })
	t.Run("ClosedBefore", func(t *testing.T) { testClosedBefore(t, newStore(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, newStore(t)) })
	t.Run("PurgeEvents", func(t *testing.T) { testPurgeEvents(t, newStore(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceled(t, newStore(t)) })
	t.Run("WriteRace", func(t *testing.T) { testWriteRace(t, newStore(t)) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newStore(t)) })
	t.Run("OneOpenUnderRace", func(t *testing.T) { testOneOpenRace(t, newStore(t)) })
	t.Run("OneRotationUnderRace", func(t *testing.T) { testRotationRace(t, newStore(t)) })
	t.Run("EveryViewRecordedOnce", func(t *testing.T) { testViewRace(t, newStore(t)) })
	t.Run("RetentionPurge", func(t *testing.T) { testPurge(t, newStore(t)) })
	t.Run("Rows", func(t *testing.T) { testRows(t, newStore(t)) })
	t.Run("ResealInBatches", func(t *testing.T) { testResealBatches(t, newStore(t)) })
	t.Run("ResealUnderRace", func(t *testing.T) { testResealRace(t, newStore(t)) })
}

var ctx = context.Background()

func row(device, kind string, rev uint64, data string, ids, cmds []string) escrow.Row {
	return escrow.Row{DeviceID: device, Kind: kind, Rev: rev, Data: []byte(data), RecordIDs: ids, CommandIDs: cmds}
}

func event(rec, device string, at time.Time, actor string) escrow.Event {
	return escrow.Event{Type: escrow.EventTransition, RecordID: rec, DeviceID: device, Kind: "k",
		From: escrow.None, To: escrow.Generated, At: at, Actor: actor}
}

func mustWrite(t *testing.T, s escrow.Store, r escrow.Row, prev uint64, evs ...escrow.Event) {
	t.Helper()
	if err := s.Write(ctx, r, prev, evs); err != nil {
		t.Fatalf("Write(%s/%s rev %d from %d): %v", r.DeviceID, r.Kind, r.Rev, prev, err)
	}
}

func wantRow(t *testing.T, got escrow.Row, err error, want escrow.Row) {
	t.Helper()
	if err != nil {
		t.Fatalf("load %s/%s: %v", want.DeviceID, want.Kind, err)
	}
	if got.DeviceID != want.DeviceID || got.Kind != want.Kind || got.Rev != want.Rev || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("got row %s/%s rev %d %q, want rev %d %q", got.DeviceID, got.Kind, got.Rev, got.Data, want.Rev, want.Data)
	}
}

func countEvents(t *testing.T, s escrow.Store, device string) int {
	t.Helper()
	evs, err := s.Events(ctx, escrow.EventQuery{DeviceID: device})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func testInsertLoad(t *testing.T, s escrow.Store) {
	k := escrow.Key{DeviceID: "d1", Kind: "k"}
	if _, err := s.Load(ctx, k); !errors.Is(err, escrow.ErrNotFound) {
		t.Fatalf("Load of a missing row: %v", err)
	}
	w := row("d1", "k", 1, `{"x":1}`, []string{"r1"}, []string{"c1"})
	mustWrite(t, s, w, 0, event("r1", "d1", t0, "a"))
	got, err := s.Load(ctx, k)
	wantRow(t, got, err, w)
	got.Data[0] = 'X'
	again, err := s.Load(ctx, k)
	wantRow(t, again, err, w)
	got, err = s.ByRecord(ctx, "r1")
	wantRow(t, got, err, w)
	got, err = s.ByCommand(ctx, "c1")
	wantRow(t, got, err, w)
	for _, f := range []func() error{
		func() error { _, err := s.ByRecord(ctx, "c1"); return err },
		func() error { _, err := s.ByCommand(ctx, "r1"); return err },
		func() error { _, err := s.Load(ctx, escrow.Key{DeviceID: "d1", Kind: "other"}); return err },
		func() error { _, err := s.Load(ctx, escrow.Key{DeviceID: "d2", Kind: "k"}); return err },
	} {
		if err := f(); !errors.Is(err, escrow.ErrNotFound) {
			t.Errorf("lookup of what is not there: %v", err)
		}
	}
	if n := countEvents(t, s, "d1"); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
}

func testInsertIfAbsent(t *testing.T, s escrow.Store) {
	w := row("d1", "k", 1, "first", []string{"r1"}, nil)
	mustWrite(t, s, w, 0, event("r1", "d1", t0, "a"))
	err := s.Write(ctx, row("d1", "k", 1, "second", []string{"r2"}, nil), 0, []escrow.Event{event("r2", "d1", t0, "b")})
	if !errors.Is(err, escrow.ErrConflict) {
		t.Fatalf("second insert: %v, want ErrConflict", err)
	}
	got, err := s.Load(ctx, escrow.Key{DeviceID: "d1", Kind: "k"})
	wantRow(t, got, err, w)
	if _, err := s.ByRecord(ctx, "r2"); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("refused insert indexed: %v", err)
	}
	if n := countEvents(t, s, "d1"); n != 1 {
		t.Errorf("refused insert appended events: %d", n)
	}
	// Another kind of the same device is another row.
	mustWrite(t, s, row("d1", "k2", 1, "x", []string{"r3"}, nil), 0)
}

func testCompareAndSwap(t *testing.T, s escrow.Store) {
	mustWrite(t, s, row("d1", "k", 1, "v1", []string{"r1"}, []string{"c1"}), 0)
	w2 := row("d1", "k", 2, "v2", []string{"r1", "r2"}, []string{"c2"})
	mustWrite(t, s, w2, 1, event("r2", "d1", t0, "a"))
	for _, prev := range []uint64{1, 3} {
		err := s.Write(ctx, row("d1", "k", prev+1, "stale", []string{"r9"}, nil), prev, []escrow.Event{event("r9", "d1", t0, "x")})
		if !errors.Is(err, escrow.ErrConflict) {
			t.Errorf("write from revision %d at revision 2: %v, want ErrConflict", prev, err)
		}
	}
	if err := s.Write(ctx, row("d9", "k", 2, "x", nil, nil), 1, nil); !errors.Is(err, escrow.ErrConflict) {
		t.Errorf("update of a missing row: %v, want ErrConflict", err)
	}
	got, err := s.Load(ctx, escrow.Key{DeviceID: "d1", Kind: "k"})
	wantRow(t, got, err, w2)
	if n := countEvents(t, s, "d1"); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
	// The indexes follow the row: c1 left it, c2 and r2 came.
	if _, err := s.ByCommand(ctx, "c1"); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("ByCommand of a dropped command ID: %v", err)
	}
	for _, f := range []func() (escrow.Row, error){
		func() (escrow.Row, error) { return s.ByCommand(ctx, "c2") },
		func() (escrow.Row, error) { return s.ByRecord(ctx, "r2") },
		func() (escrow.Row, error) { return s.ByRecord(ctx, "r1") },
	} {
		got, err := f()
		wantRow(t, got, err, w2)
	}
}

func testDelete(t *testing.T, s escrow.Store) {
	mustWrite(t, s, row("d1", "k", 1, "v1", []string{"r1"}, []string{"c1"}), 0)
	if err := s.Write(ctx, escrow.Row{DeviceID: "d1", Kind: "k", Rev: 3}, 2, nil); !errors.Is(err, escrow.ErrConflict) {
		t.Errorf("delete from a stale revision: %v", err)
	}
	mustWrite(t, s, escrow.Row{DeviceID: "d1", Kind: "k", Rev: 2}, 1, event("r1", "d1", t0, "purge"))
	if _, err := s.Load(ctx, escrow.Key{DeviceID: "d1", Kind: "k"}); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("Load after delete: %v", err)
	}
	if _, err := s.ByRecord(ctx, "r1"); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("ByRecord after delete: %v", err)
	}
	if _, err := s.ByCommand(ctx, "c1"); !errors.Is(err, escrow.ErrNotFound) {
		t.Errorf("ByCommand after delete: %v", err)
	}
	// The key may be inserted afresh.
	mustWrite(t, s, row("d1", "k", 1, "again", []string{"r2"}, nil), 0)
}

func keys(ks []escrow.Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.DeviceID+"/"+k.Kind)
	}
	return out
}

func testDue(t *testing.T, s escrow.Store) {
	for i, off := range []time.Duration{3 * time.Hour, time.Hour, 0, 2 * time.Hour, -1} {
		r := row(fmt.Sprintf("d%d", i), "k", 1, "x", []string{fmt.Sprintf("r%d", i)}, nil)
		if off >= 0 {
			r.DueAt = t0.Add(off)
		}
		mustWrite(t, s, r, 0)
	}
	got, err := s.Due(ctx, t0.Add(2*time.Hour), 10)
	if err != nil || !slices.Equal(keys(got), []string{"d2/k", "d1/k", "d3/k"}) {
		t.Fatalf("Due = %v, %v; want d2 d1 d3 (earliest first, at the instant included)", keys(got), err)
	}
	if got, _ := s.Due(ctx, t0.Add(2*time.Hour), 2); !slices.Equal(keys(got), []string{"d2/k", "d1/k"}) {
		t.Errorf("Due with limit 2 = %v", keys(got))
	}
	if got, _ := s.Due(ctx, t0.Add(2*time.Hour), 0); len(got) != 0 {
		t.Errorf("Due with limit 0 = %v", keys(got))
	}
	// A write that clears DueAt takes the row off the list.
	mustWrite(t, s, row("d2", "k", 2, "y", []string{"r2"}, nil), 1)
	if got, _ := s.Due(ctx, t0.Add(2*time.Hour), 10); !slices.Equal(keys(got), []string{"d1/k", "d3/k"}) {
		t.Errorf("Due after clearing d2 = %v", keys(got))
	}
}

func testClosedBefore(t *testing.T, s escrow.Store) {
	for i, off := range []time.Duration{time.Hour, -1, 0, 3 * time.Hour} {
		r := row(fmt.Sprintf("d%d", i), "k", 1, "x", nil, nil)
		if off >= 0 {
			r.ClosedAt = t0.Add(off)
		}
		mustWrite(t, s, r, 0)
	}
	got, err := s.ClosedBefore(ctx, t0.Add(3*time.Hour), 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("ClosedBefore = %v, %v; want d0 and d2 (before the cutoff, not at it)", keys(got), err)
	}
	if g := keys(got); !slices.Contains(g, "d0/k") || !slices.Contains(g, "d2/k") {
		t.Errorf("ClosedBefore = %v", g)
	}
	if got, _ := s.ClosedBefore(ctx, t0.Add(3*time.Hour), 1); len(got) != 1 {
		t.Errorf("ClosedBefore with limit 1 = %v", keys(got))
	}
}

func testEvents(t *testing.T, s escrow.Store) {
	src := netip.MustParseAddr("2001:db8::7")
	e1 := escrow.Event{Type: escrow.EventTransition, RecordID: "r1", DeviceID: "d1", Kind: "k", From: escrow.None,
		To: escrow.Generated, At: t0, Actor: "admin"}
	e2 := escrow.Event{Type: escrow.EventViewed, RecordID: "r1", DeviceID: "d1", Kind: "k", CommandID: "c1",
		From: escrow.Sent, To: escrow.Sent, At: t0.Add(time.Microsecond), Actor: "helpdesk", Source: src, Reason: "ticket 1: ünïcode"}
	e3 := escrow.Event{Type: escrow.EventViewDenied, RecordID: "r2", DeviceID: "d1", Kind: "k2", At: t0.Add(time.Second),
		Actor: "x", Source: netip.MustParseAddr("192.0.2.1"), Reason: "why"}
	e4 := escrow.Event{Type: escrow.EventTransition, RecordID: "r3", DeviceID: "d2", Kind: "k", To: escrow.Active, At: t0, Actor: "mdm"}
	mustWrite(t, s, row("d1", "k", 1, "x", []string{"r1"}, nil), 0, e1, e2)
	mustWrite(t, s, row("d1", "k2", 1, "x", []string{"r2"}, nil), 0, e3)
	mustWrite(t, s, row("d2", "k", 1, "x", []string{"r3"}, nil), 0, e4)
	for _, c := range []struct {
		q    escrow.EventQuery
		want []escrow.Event
	}{
		{escrow.EventQuery{RecordID: "r1"}, []escrow.Event{e1, e2}},
		{escrow.EventQuery{DeviceID: "d1"}, []escrow.Event{e1, e2, e3}},
		{escrow.EventQuery{RecordID: "r3", DeviceID: "d1"}, []escrow.Event{e4}},
		{escrow.EventQuery{RecordID: "nope"}, []escrow.Event{}},
		{escrow.EventQuery{DeviceID: "nope"}, []escrow.Event{}},
	} {
		got, err := s.Events(ctx, c.q)
		if err != nil || got == nil || len(got) != len(c.want) {
			t.Errorf("Events(%+v) = %+v, %v; want %+v", c.q, got, err, c.want)
			continue
		}
		for i := range got {
			if !sameEvent(got[i], c.want[i]) {
				t.Errorf("Events(%+v)[%d] = %+v, want %+v", c.q, i, got[i], c.want[i])
			}
		}
	}
}

func sameEvent(a, b escrow.Event) bool {
	at, bt := a.At, b.At
	a.At, b.At = time.Time{}, time.Time{}
	return a == b && at.Equal(bt) && at.Location() == time.UTC
}

func testPurgeEvents(t *testing.T, s escrow.Store) {
	var evs []escrow.Event
	for i := 0; i < 5; i++ {
		evs = append(evs, event(fmt.Sprintf("r%d", i), "d1", t0.Add(time.Duration(i)*time.Hour), "a"))
	}
	mustWrite(t, s, row("d1", "k", 1, "x", nil, nil), 0, evs...)
	if n, err := s.PurgeEvents(ctx, t0.Add(3*time.Hour), 0); n != 0 || err != nil {
		t.Errorf("PurgeEvents limit 0 = %d, %v", n, err)
	}
	if n, err := s.PurgeEvents(ctx, t0.Add(3*time.Hour), 2); n != 2 || err != nil {
		t.Errorf("PurgeEvents limit 2 = %d, %v", n, err)
	}
	if n, err := s.PurgeEvents(ctx, t0.Add(3*time.Hour), 10); n != 1 || err != nil {
		t.Errorf("PurgeEvents rest = %d, %v; want 1 (the event at the cutoff stays)", n, err)
	}
	got, _ := s.Events(ctx, escrow.EventQuery{DeviceID: "d1"})
	if len(got) != 2 || got[0].RecordID != "r3" || got[1].RecordID != "r4" {
		t.Errorf("left %+v", got)
	}
}

func testCanceled(t *testing.T, s escrow.Store) {
	mustWrite(t, s, row("d1", "k", 1, "x", []string{"r1"}, []string{"c1"}), 0)
	c, cancel := context.WithCancel(ctx)
	cancel()
	k := escrow.Key{DeviceID: "d1", Kind: "k"}
	checks := map[string]error{}
	_, checks["Load"] = s.Load(c, k)
	_, checks["ByRecord"] = s.ByRecord(c, "r1")
	_, checks["ByCommand"] = s.ByCommand(c, "c1")
	checks["Write"] = s.Write(c, row("d1", "k", 2, "y", nil, nil), 1, []escrow.Event{event("r1", "d1", t0, "a")})
	_, checks["Due"] = s.Due(c, t0, 10)
	_, checks["Events"] = s.Events(c, escrow.EventQuery{DeviceID: "d1"})
	_, checks["ClosedBefore"] = s.ClosedBefore(c, t0, 10)
	_, checks["PurgeEvents"] = s.PurgeEvents(c, t0.Add(time.Hour), 10)
	_, checks["Rows"] = s.Rows(c, escrow.Key{}, 10)
	for m, err := range checks {
		if err == nil {
			t.Errorf("%s with a canceled context: no error", m)
		}
	}
	got, err := s.Load(ctx, k)
	wantRow(t, got, err, row("d1", "k", 1, "x", nil, nil))
	if n := countEvents(t, s, "d1"); n != 0 {
		t.Errorf("canceled Write appended %d events", n)
	}
}

// Of Racers writes from one revision, exactly one succeeds; the others get
// ErrConflict and leave no event.
func testWriteRace(t *testing.T, s escrow.Store) {
	for _, prev := range []uint64{0, 1} {
		var wins, conflicts int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < Racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Write(ctx, row("d1", "k", prev+1, fmt.Sprintf("w%d-%d", prev, i), []string{fmt.Sprintf("r%d-%d", prev, i)}, nil),
					prev, []escrow.Event{event(fmt.Sprintf("r%d-%d", prev, i), "d1", t0, "a")})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, escrow.ErrConflict):
					conflicts++
				default:
					t.Errorf("racing write: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != Racers-1 {
			t.Fatalf("from revision %d: %d writes won, %d conflicted; want 1 and %d", prev, wins, conflicts, Racers-1)
		}
		if n := countEvents(t, s, "d1"); n != int(prev)+1 {
			t.Fatalf("%d events after the race from %d", n, prev)
		}
	}
}
