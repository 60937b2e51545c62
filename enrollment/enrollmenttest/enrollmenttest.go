// Package enrollmenttest is the test kit for package enrollment: the
// conformance suite every [enrollment.Store] backend runs ([RunStore]) and
// gopter generators of passcodes, malformed input, sites and admins for a
// host's property tests.
//
// Start with [GenPasscode] and [GenMalformed] in a gopter property over
// your enrollment form or API handler (well-formed passcodes reach the
// service, malformed ones are refused with ErrMalformed), with
// [GenSite] and [GenAdmin] for the rest of a request. A backend for the
// passcode store calls [RunStore] from its own test. Every generator
// shrinks: a failing property is reported with a small counterexample that
// still meets the generator's contract.
//
// Import it only from _test.go files: it pulls in testing and gopter.
package enrollmenttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmcred/mdmcred/enrollment"
)

// Goroutines and PerGoroutine shape the service-level failure races a
// host can run against its own Store: that many goroutines each make that
// many failed attempts through one [enrollment.Service].
const (
	Goroutines   = 64
	PerGoroutine = 100
)

// SwapsPerGoroutine and SwapThreshold shape the store-level race of
// [RunStore]: [Goroutines] goroutines each count SwapsPerGoroutine
// failures by compare-and-swap (every one contending for one row, with
// nothing serializing them), locking at SwapThreshold.
const (
	SwapsPerGoroutine = 10
	SwapThreshold     = 300
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// digest returns a distinct, well-formed-looking digest for tests; stores
// treat it as opaque bytes.
func digest(n int) []byte {
	d := make([]byte, 34)
	d[0], d[1] = 1, 0
	copy(d[2:], fmt.Sprintf("digest-%025d", n))
	return d
}

func record(site string, n int) enrollment.Record {
	return enrollment.Record{
		Site: site, Digest: digest(n), Sealed: []byte("sealed-" + site),
		GeneratedAt: t0, GeneratedBy: "admin@example.com",
	}
}

// RunStore runs the conformance suite against stores made by newStore, one
// fresh (empty) store per subtest. It checks every method's contract,
// including the sentinels: Write's insert-if-absent (prev 0) and
// compare-and-swap (prev the stored revision), each with its events
// appended only when the write applies; Append's condition on the
// revision, which never writes the record; records and events sharing no
// memory with the store. And races: of [Goroutines] Writes from one
// revision exactly one applies; [Goroutines] x [SwapsPerGoroutine]
// failures, each counted by load, compare-and-swap and again on conflict,
// against a threshold of [SwapThreshold] must count exactly
// Goroutines*SwapsPerGoroutine and lock exactly once; no use is appended
// after the lock; appends at one revision never conflict with each other;
// racing inserts of one digest for different sites must let exactly one
// through. Through an [enrollment.Service] with the default lockout rules
// it checks, as gopter properties, that a rollout of [RolloutDevices]
// enrollments over [RolloutPeriod] with a share [RolloutTypos] of single
// typos never locks, and that guessing (100 wrong in a row; one source
// amid a rollout; 10 to 50 times the typo rate from any mix of sources
// amid a rollout, with racing callers) locks and sends exactly one alert.
// Through an [enrollment.Service] over the store it checks that
// identifiers are refused at the service boundary with the same
// [*enrollment.ParamError] on every backend (empty, over-long, NUL, C0 and
// C1 controls, broken UTF-8, invisible formatting characters) without the
// store being called, that the longest and most unusual valid ones
// round-trip byte for byte, and that a Threshold above
// [enrollment.MaxThreshold] is refused while one of exactly MaxThreshold
// locks at the 100th failure with one alert.
func RunStore(t *testing.T, newStore func(t *testing.T) enrollment.Store) {
	ctx := context.Background()
	t.Run("ServiceBoundary", func(t *testing.T) { runBoundary(t, newStore) })
	t.Run("LockoutRules", func(t *testing.T) { runLockoutRules(t, newStore) })
	t.Run("LoadMissing", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Load(ctx, "nosuch"); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("Load missing: %v, want ErrNoPasscode", err)
		}
		if _, err := s.Lookup(ctx, digest(1)); !errors.Is(err, enrollment.ErrNotFound) {
			t.Fatalf("Lookup missing: %v, want ErrNotFound", err)
		}
		rec := record("nosuch", 1)
		rec.Rev = 2
		if err := s.Write(ctx, rec, 1, events("nosuch", 1)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Write at revision 1 of a missing record: %v, want ErrConflict", err)
		}
		if err := s.Append(ctx, "nosuch", 1, events("nosuch", 1)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Append to a missing record: %v, want ErrConflict", err)
		}
		if _, err := s.Load(ctx, "nosuch"); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("a refused Write stored a record: %v", err)
		}
		ev, err := s.Events(ctx, "nosuch")
		if err != nil || len(ev) != 0 {
			t.Fatalf("Events missing = %v, %v; want empty", ev, err)
		}
	})
	t.Run("InsertLoadRoundTrip", func(t *testing.T) {
		s := newStore(t)
		want := record("site-a", 1)
		want.Rev = 1
		want.Lockout = fullLockout()
		given := cloneRecord(want)
		evs := events("site-a", 2)
		if err := s.Write(ctx, given, 0, evs); err != nil {
			t.Fatal(err)
		}
		// The store must have copied what it was given.
		given.Digest[5] ^= 0xff
		given.Sealed[0] ^= 0xff
		given.Sources[0].Consecutive = 99
		evs[0].Source = "changed"
		got, err := s.Load(ctx, "site-a")
		if err != nil {
			t.Fatal(err)
		}
		if !equalRecords(got, want) || got.Rev != 1 {
			t.Fatalf("Load = %+v, want %+v at revision 1", got, want)
		}
		// Nor may it share memory with what it returns.
		got.Digest[3] ^= 0xff
		got.Sealed[1] ^= 0xff
		got.Sources[0].Consecutive = 98
		if again, _ := s.Load(ctx, "site-a"); !equalRecords(again, want) {
			t.Fatal("Load returned memory shared with the store")
		}
		if site, err := s.Lookup(ctx, want.Digest); err != nil || site != "site-a" {
			t.Fatalf("Lookup = %q, %v", site, err)
		}
		wantEvents(t, s, "site-a", events("site-a", 2))
	})
	t.Run("InsertIfAbsent", func(t *testing.T) {
		s := newStore(t)
		first := mustInsert(t, s, record("site-a", 1))
		other := record("site-a", 2)
		other.Rev = 1
		if err := s.Write(ctx, other, 0, events("site-a", 1)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("a second insert of one site: %v, want ErrConflict", err)
		}
		if got, _ := s.Load(ctx, "site-a"); !equalRecords(got, first) || got.Rev != first.Rev {
			t.Fatalf("a refused insert changed the record: %+v", got)
		}
		if _, err := s.Lookup(ctx, digest(2)); !errors.Is(err, enrollment.ErrNotFound) {
			t.Fatalf("a refused insert indexed its digest: %v", err)
		}
		// A write whose record is not at prev+1 is refused.
		for _, rev := range []uint64{0, first.Rev, first.Rev + 2} {
			bad := cloneRecord(first)
			bad.Rev = rev
			if err := s.Write(ctx, bad, first.Rev, events("site-a", 1)); err == nil {
				t.Fatalf("Write at revision %d from %d: no error", rev, first.Rev)
			}
		}
		if got, _ := s.Load(ctx, "site-a"); !equalRecords(got, first) || got.Rev != first.Rev {
			t.Fatalf("a refused write changed the record: %+v", got)
		}
		wantEvents(t, s, "site-a", nil)
	})
	t.Run("CompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		old := mustInsert(t, s, record("site-a", 1))
		bystander := mustInsert(t, s, record("site-b", 2))
		// A write replaces everything: state, lockout, index entry.
		next := record("site-a", 3)
		next.Disabled, next.DisabledAt, next.DisabledBy = true, t0.Add(time.Minute), "b@example.com"
		next.Lockout = fullLockout()
		next.Rev = old.Rev + 1
		mustNoErr(t, s.Write(ctx, cloneRecord(next), old.Rev, events("site-a", 2)))
		got, err := s.Load(ctx, "site-a")
		mustNoErr(t, err)
		if !equalRecords(got, next) || got.Rev != old.Rev+1 {
			t.Fatalf("after a write Load = %+v, want %+v", got, next)
		}
		if _, err := s.Lookup(ctx, digest(1)); !errors.Is(err, enrollment.ErrNotFound) {
			t.Fatalf("old digest still indexed: %v", err)
		}
		if site, err := s.Lookup(ctx, digest(3)); err != nil || site != "site-a" {
			t.Fatalf("Lookup new = %q, %v", site, err)
		}
		// A write decided on the replaced revision is refused and changes
		// nothing, appends nothing.
		stale := record("site-a", 4)
		stale.Rev = old.Rev + 1
		if err := s.Write(ctx, stale, old.Rev, events("site-a", 1)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Write at an old revision: %v, want ErrConflict", err)
		}
		if again, _ := s.Load(ctx, "site-a"); !equalRecords(again, next) || again.Rev != next.Rev {
			t.Fatalf("a refused write changed the record: %+v", again)
		}
		if _, err := s.Lookup(ctx, digest(4)); !errors.Is(err, enrollment.ErrNotFound) {
			t.Fatalf("a refused write indexed its digest: %v", err)
		}
		wantEvents(t, s, "site-a", events("site-a", 2))
		if b, _ := s.Load(ctx, "site-b"); !equalRecords(b, bystander) || b.Rev != bystander.Rev {
			t.Fatalf("bystander changed: %+v", b)
		}
		// The same digest written again for the same site is not a
		// duplicate, and a write with no events appends none. Back to
		// a zero lockout, as a success after failures writes it.
		again := cloneRecord(next)
		again.Lockout, again.Rev = enrollment.Lockout{}, next.Rev+1
		mustNoErr(t, s.Write(ctx, again, next.Rev, nil))
		if got, _ := s.Load(ctx, "site-a"); !equalLockouts(got.Lockout, enrollment.Lockout{}) || got.Rev != next.Rev+1 {
			t.Fatalf("after a reset: %+v", got)
		}
		wantEvents(t, s, "site-a", events("site-a", 2))
	})
	t.Run("WriteDuplicateDigest", func(t *testing.T) {
		s := newStore(t)
		a := mustInsert(t, s, record("site-a", 1))
		b := record("site-b", 1)
		b.Rev = 1
		if err := s.Write(ctx, b, 0, events("site-b", 1)); !errors.Is(err, enrollment.ErrDuplicate) {
			t.Fatalf("insert of another site's digest: %v, want ErrDuplicate", err)
		}
		if _, err := s.Load(ctx, "site-b"); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("a refused insert stored something: %v", err)
		}
		wantEvents(t, s, "site-b", nil)
		c := mustInsert(t, s, record("site-c", 3))
		c2 := record("site-c", 1)
		c2.Rev = c.Rev + 1
		if err := s.Write(ctx, c2, c.Rev, nil); !errors.Is(err, enrollment.ErrDuplicate) {
			t.Fatalf("replace with another site's digest: %v, want ErrDuplicate", err)
		}
		if got, _ := s.Load(ctx, "site-c"); !equalRecords(got, c) || got.Rev != c.Rev {
			t.Fatalf("a refused replace changed the record: %+v", got)
		}
		// Once site-a moves on, its old digest is free.
		a2 := record("site-a", 2)
		a2.Rev = a.Rev + 1
		mustNoErr(t, s.Write(ctx, a2, a.Rev, nil))
		mustInsert(t, s, record("site-b", 1))
	})
	t.Run("Append", func(t *testing.T) {
		s := newStore(t)
		r := mustInsert(t, s, record("site-a", 1))
		evs := []enrollment.Event{
			{Site: "site-a", Kind: enrollment.EventUsed, At: t0, Source: "10.0.0.1"},
			{Site: "site-a", Kind: enrollment.EventViewed, At: t0.Add(time.Minute), Actor: "v@example.com"},
		}
		mustNoErr(t, s.Append(ctx, "site-a", r.Rev, slices.Clone(evs)))
		mustNoErr(t, s.Append(ctx, "site-a", r.Rev, nil))
		if after, _ := s.Load(ctx, "site-a"); !equalRecords(after, r) || after.Rev != r.Rev {
			t.Fatalf("Append wrote the site's record: %+v -> %+v", r, after)
		}
		wantEvents(t, s, "site-a", evs)
		// Once the record moved on, an append decided on it is refused.
		next := cloneRecord(r)
		next.Locked, next.Rev = true, r.Rev+1
		mustNoErr(t, s.Write(ctx, next, r.Rev, nil))
		if err := s.Append(ctx, "site-a", r.Rev, events("site-a", 1)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Append at an old revision: %v, want ErrConflict", err)
		}
		if err := s.Append(ctx, "site-a", next.Rev+1, events("site-a", 1)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Append at a future revision: %v, want ErrConflict", err)
		}
		// With no events or several, the condition is the same.
		if err := s.Append(ctx, "site-a", r.Rev, nil); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Append of no events at an old revision: %v, want ErrConflict", err)
		}
		if err := s.Append(ctx, "site-a", r.Rev, slices.Clone(evs)); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("Append of two events at an old revision: %v, want ErrConflict", err)
		}
		wantEvents(t, s, "site-a", evs)
	})
	t.Run("Events", func(t *testing.T) {
		s := newStore(t)
		a := mustInsert(t, s, record("site-a", 1))
		b := mustInsert(t, s, record("site-b", 2))
		kinds := []enrollment.EventKind{enrollment.EventGenerated, enrollment.EventFailed, enrollment.EventLocked, enrollment.EventAlertSent, enrollment.EventRegenerated}
		for i, k := range kinds {
			mustNoErr(t, s.Append(ctx, "site-a", a.Rev, []enrollment.Event{{Site: "site-a", Kind: k, At: t0.Add(time.Duration(i) * time.Second), Failures: i}}))
		}
		mustNoErr(t, s.Append(ctx, "site-b", b.Rev, []enrollment.Event{{Site: "site-b", Kind: enrollment.EventViewed, At: t0, Actor: "v@example.com"}}))
		ev, err := s.Events(ctx, "site-a")
		mustNoErr(t, err)
		if len(ev) != len(kinds) {
			t.Fatalf("got %d events, want %d", len(ev), len(kinds))
		}
		for i, e := range ev {
			if e.Kind != kinds[i] || e.Site != "site-a" || !e.At.Equal(t0.Add(time.Duration(i)*time.Second)) || e.Failures != i {
				t.Fatalf("event %d = %+v", i, e)
			}
		}
		evb, _ := s.Events(ctx, "site-b")
		if len(evb) != 1 || evb[0].Actor != "v@example.com" {
			t.Fatalf("site-b events = %+v", evb)
		}
	})
	t.Run("RaceWritesFromOneRevision", func(t *testing.T) {
		// Of Goroutines writes decided on one revision, exactly one
		// applies, with its events; so do inserts of one new site.
		s := newStore(t)
		base := mustInsert(t, s, record("site-a", 1))
		var ok, lost, inserted atomic.Int64
		var wg sync.WaitGroup
		for g := range Goroutines {
			wg.Add(2)
			go func() {
				defer wg.Done()
				next := cloneRecord(base)
				next.Failures, next.LastSource, next.Rev = g+1, fmt.Sprintf("g%d", g), base.Rev+1
				switch err := s.Write(ctx, next, base.Rev, []enrollment.Event{{Site: "site-a", Kind: enrollment.EventFailed, At: t0, Failures: g + 1}}); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, enrollment.ErrConflict):
					lost.Add(1)
				default:
					t.Errorf("Write: %v", err)
				}
			}()
			go func() {
				defer wg.Done()
				r := record("site-new", 1000+g)
				r.Rev = 1
				switch err := s.Write(ctx, r, 0, events("site-new", 1)); {
				case err == nil:
					inserted.Add(1)
				case !errors.Is(err, enrollment.ErrConflict):
					t.Errorf("insert: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || lost.Load() != Goroutines-1 || inserted.Load() != 1 {
			t.Fatalf("%d writes from one revision applied, %d conflicted; %d inserts applied; want 1, %d, 1", ok.Load(), lost.Load(), inserted.Load(), Goroutines-1)
		}
		got, _ := s.Load(ctx, "site-a")
		ev, _ := s.Events(ctx, "site-a")
		if got.Rev != base.Rev+1 || len(ev) != 1 || ev[0].Failures != got.Failures || got.LastSource != fmt.Sprintf("g%d", got.Failures-1) {
			t.Fatalf("record %+v with events %+v: not the one write that applied", got, ev)
		}
		if ev, _ := s.Events(ctx, "site-new"); len(ev) != 1 {
			t.Fatalf("%d insert events, want 1", len(ev))
		}
	})
	t.Run("RaceFailuresLockOnce", func(t *testing.T) {
		// The Service's loop (load, decide, compare-and-swap, again on
		// ErrConflict) under Goroutines racing callers: every failure
		// counts once and exactly one caller locks.
		s := newStore(t)
		mustInsert(t, s, record("site-a", 1))
		mustInsert(t, s, record("site-b", 2)) // a bystander that must not move
		var just, errs atomic.Int64
		var wg sync.WaitGroup
		for g := range Goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range SwapsPerGoroutine {
					l, locked, err := casFailure(ctx, s, "site-a", t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("g%d", g), SwapThreshold)
					if err != nil {
						errs.Add(1)
						t.Error(err)
						continue
					}
					if locked {
						just.Add(1)
						if l.Failures != SwapThreshold {
							t.Errorf("locked at count %d, want %d", l.Failures, SwapThreshold)
						}
					}
					if l.Locked != (l.Failures >= SwapThreshold) {
						t.Errorf("count %d with Locked=%v", l.Failures, l.Locked)
					}
				}
			}()
		}
		wg.Wait()
		if errs.Load() != 0 {
			t.Fatalf("%d failures not recorded", errs.Load())
		}
		got, _ := s.Load(ctx, "site-a")
		if got.Failures != Goroutines*SwapsPerGoroutine || !got.Locked || just.Load() != 1 {
			t.Fatalf("count %d locked %v locked %d times; want %d, true, 1", got.Failures, got.Locked, just.Load(), Goroutines*SwapsPerGoroutine)
		}
		ev, _ := s.Events(ctx, "site-a")
		if len(ev) != Goroutines*SwapsPerGoroutine {
			t.Fatalf("%d failed events for %d counted failures", len(ev), Goroutines*SwapsPerGoroutine)
		}
		if b, _ := s.Load(ctx, "site-b"); b.Failures != 0 || b.Locked {
			t.Fatalf("bystander changed: %+v", b)
		}
	})
	t.Run("RaceUseAgainstLock", func(t *testing.T) {
		// Once a Write that locks has returned, no use may be appended:
		// each use either happened before the lock or is refused (its
		// Append conflicts, or the decision on the loaded record refuses
		// it).
		s := newStore(t)
		mustInsert(t, s, record("site-a", 1))
		var locked atomic.Bool
		var used atomic.Int64
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					if g%2 == 0 {
						_, just, err := casFailure(ctx, s, "site-a", t0, "", 200)
						if err != nil {
							t.Error(err)
						}
						if just {
							locked.Store(true)
						}
						continue
					}
					was := locked.Load()
					r, err := s.Load(ctx, "site-a")
					if err != nil {
						t.Error(err)
						continue
					}
					if r.Locked {
						continue
					}
					err = s.Append(ctx, "site-a", r.Rev, []enrollment.Event{{Site: "site-a", Kind: enrollment.EventUsed, At: t0}})
					if was && err == nil {
						t.Error("a use was appended after the lock")
					}
					switch {
					case err == nil:
						used.Add(1)
					case !errors.Is(err, enrollment.ErrConflict):
						t.Errorf("Append: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		got, _ := s.Load(ctx, "site-a")
		if got.Failures != 400 || !got.Locked {
			t.Fatalf("record %+v, want 400 failures and locked", got)
		}
		n := 0
		ev, _ := s.Events(ctx, "site-a")
		for _, e := range ev {
			if e.Kind == enrollment.EventUsed {
				n++
			}
		}
		if int64(n) != used.Load() {
			t.Fatalf("%d used events for %d appends that returned nil", n, used.Load())
		}
	})
	t.Run("RaceInsertSameDigest", func(t *testing.T) {
		s := newStore(t)
		var ok, dup atomic.Int64
		var wg sync.WaitGroup
		for g := range Goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := record(fmt.Sprintf("site-%d", g), 7)
				r.Rev = 1
				switch err := s.Write(ctx, r, 0, nil); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, enrollment.ErrDuplicate):
					dup.Add(1)
				default:
					t.Errorf("Write: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || dup.Load() != Goroutines-1 {
			t.Fatalf("%d inserts of one digest succeeded, %d refused; want 1 and %d", ok.Load(), dup.Load(), Goroutines-1)
		}
	})
	t.Run("RaceAppendsNeverConflict", func(t *testing.T) {
		// Successes at one site append at one revision: none waits for or
		// refuses another.
		s := newStore(t)
		r := mustInsert(t, s, record("site-a", 1))
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					if err := s.Append(ctx, "site-a", r.Rev, []enrollment.Event{{Site: "site-a", Kind: enrollment.EventUsed, At: t0}}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if ev, _ := s.Events(ctx, "site-a"); len(ev) != 400 {
			t.Fatalf("%d events after 400 racing appends", len(ev))
		}
		if got, _ := s.Load(ctx, "site-a"); got.Rev != r.Rev {
			t.Fatalf("appends moved the revision from %d to %d", r.Rev, got.Rev)
		}
	})
}

// events returns n distinct events of site.
func events(site string, n int) []enrollment.Event {
	out := make([]enrollment.Event, n)
	for i := range out {
		out[i] = enrollment.Event{Site: site, Kind: enrollment.EventFailed, At: t0.Add(time.Duration(i) * time.Second), Source: fmt.Sprintf("192.0.2.%d", i+1), Failures: i + 1}
	}
	return out
}

// wantEvents fails t unless site's log is want, in order.
func wantEvents(t *testing.T, s enrollment.Store, site string, want []enrollment.Event) {
	t.Helper()
	got, err := s.Events(context.Background(), site)
	mustNoErr(t, err)
	if len(got) != len(want) {
		t.Fatalf("%s has %d events, want %d: %+v", site, len(got), len(want), got)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Site != w.Site || g.Kind != w.Kind || !g.At.Equal(w.At) || g.Actor != w.Actor || g.Source != w.Source || g.Failures != w.Failures {
			t.Fatalf("%s event %d = %+v, want %+v", site, i, g, w)
		}
	}
}

func equalRecords(a, b enrollment.Record) bool {
	return a.Site == b.Site && bytes.Equal(a.Digest, b.Digest) && bytes.Equal(a.Sealed, b.Sealed) &&
		a.GeneratedAt.Equal(b.GeneratedAt) && a.GeneratedBy == b.GeneratedBy &&
		a.Disabled == b.Disabled && a.DisabledAt.Equal(b.DisabledAt) && a.DisabledBy == b.DisabledBy &&
		equalLockouts(a.Lockout, b.Lockout)
}

func equalLockouts(a, b enrollment.Lockout) bool {
	return a.Failures == b.Failures && a.LastFailure.Equal(b.LastFailure) && a.LastSource == b.LastSource &&
		a.Consecutive == b.Consecutive && slices.Equal(a.Sources, b.Sources) &&
		a.RateStart.Equal(b.RateStart) && a.RateCount == b.RateCount && a.RatePrev == b.RatePrev &&
		a.Locked == b.Locked && a.LockedAt.Equal(b.LockedAt) && a.Rule == b.Rule
}

// fullLockout has every field set, with sources that need escaping in
// most encodings.
func fullLockout() enrollment.Lockout {
	return enrollment.Lockout{
		Failures: 7, LastFailure: t0.Add(time.Second), LastSource: "10.0.0.1",
		Consecutive: 5,
		Sources: []enrollment.SourceFailures{
			{Source: "10.0.0.1", Consecutive: 3}, {Source: `"quoted" \ back,slash {}`, Consecutive: 1}, {Source: "ünï 🙂", Consecutive: 2},
		},
		RateStart: t0, RateCount: 6, RatePrev: 4,
		Locked: true, LockedAt: t0.Add(time.Second), Rule: enrollment.RuleSource,
	}
}

// casFailure counts one failure the way the Service does: load, decide
// (count, and lock at threshold), compare-and-swap with its failed event,
// again on ErrConflict.
// It reports whether this failure locked the record.
func casFailure(ctx context.Context, s enrollment.Store, site string, at time.Time, source string, threshold int) (enrollment.Lockout, bool, error) {
	for try := 0; ; try++ {
		if try > 0 {
			// Exponential back-off with full jitter, as the Service does.
			time.Sleep(rand.N(50 * time.Microsecond << min(try, 7)))
		}
		r, err := s.Load(ctx, site)
		if err != nil {
			return enrollment.Lockout{}, false, err
		}
		l := r.Lockout
		l.Failures++
		l.LastFailure, l.LastSource = at, source
		just := !l.Locked && l.Failures >= threshold
		if just {
			l.Locked, l.LockedAt, l.Rule = true, at, enrollment.RuleConsecutive
		}
		next := r
		next.Lockout, next.Rev = l, r.Rev+1
		switch err := s.Write(ctx, next, r.Rev, []enrollment.Event{{Site: site, Kind: enrollment.EventFailed, At: at, Source: source, Failures: l.Failures}}); {
		case err == nil:
			return l, just, nil
		case !errors.Is(err, enrollment.ErrConflict):
			return enrollment.Lockout{}, false, err
		case try > 100000:
			return enrollment.Lockout{}, false, fmt.Errorf("no progress after %d tries: %w", try, err)
		}
	}
}

// mustInsert writes r as a new record (prev 0) at revision 1 and returns it
// as stored.
func mustInsert(t *testing.T, s enrollment.Store, r enrollment.Record) enrollment.Record {
	t.Helper()
	r.Rev = 1
	if err := s.Write(context.Background(), cloneRecord(r), 0, nil); err != nil {
		t.Fatalf("insert %s: %v", r.Site, err)
	}
	return r
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cloneRecord returns r sharing no memory with it.
func cloneRecord(r enrollment.Record) enrollment.Record {
	r.Digest = bytes.Clone(r.Digest)
	r.Sealed = bytes.Clone(r.Sealed)
	r.Sources = slices.Clone(r.Sources)
	return r
}
