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
// including the sentinels, and races: [Goroutines] x [SwapsPerGoroutine]
// failures, each counted by load, compare-and-swap and again on conflict,
// against a threshold of [SwapThreshold] must count exactly
// Goroutines*SwapsPerGoroutine and lock exactly once; racing Puts of one digest
// for different sites must let exactly one through. Through an
// [enrollment.Service] with the default lockout rules it checks, as gopter
// properties, that a rollout of [RolloutDevices] enrollments over
// [RolloutPeriod] with a share [RolloutTypos] of single typos never locks,
// and that guessing (100 wrong in a row; one source amid a rollout; 10 to
// 50 times the typo rate from any mix of sources amid a rollout, with
// racing callers) locks and sends exactly one alert. Through an
// [enrollment.Service] over the store it checks that identifiers are
// refused at the service boundary with the same [*enrollment.ParamError] on
// every backend (empty, over-long, NUL, C0 and C1 controls, broken UTF-8,
// invisible formatting characters) without the store being called, that
// the longest and most unusual valid ones round-trip byte for byte, and
// that a Threshold above [enrollment.MaxThreshold] is refused while one of
// exactly MaxThreshold locks at the 100th failure with one alert.
func RunStore(t *testing.T, newStore func(t *testing.T) enrollment.Store) {
	ctx := context.Background()
	t.Run("ServiceBoundary", func(t *testing.T) { runBoundary(t, newStore) })
	t.Run("LockoutRules", func(t *testing.T) { runLockoutRules(t, newStore) })
	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, "nosuch"); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("Get missing: %v, want ErrNoPasscode", err)
		}
		if _, err := s.Lookup(ctx, digest(1)); !errors.Is(err, enrollment.ErrNotFound) {
			t.Fatalf("Lookup missing: %v, want ErrNotFound", err)
		}
		if err := s.Disable(ctx, "nosuch", "a@example.com", t0); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("Disable missing: %v, want ErrNoPasscode", err)
		}
		if err := s.UpdateLockout(ctx, "nosuch", 1, enrollment.Lockout{Failures: 1}); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("UpdateLockout missing: %v, want ErrNoPasscode", err)
		}
		if err := s.RecordUse(ctx, "nosuch", digest(1), t0, ""); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("RecordUse missing: %v, want ErrNoPasscode", err)
		}
		ev, err := s.Events(ctx, "nosuch")
		if err != nil || len(ev) != 0 {
			t.Fatalf("Events missing = %v, %v; want empty", ev, err)
		}
	})
	t.Run("PutGetRoundTrip", func(t *testing.T) {
		s := newStore(t)
		want := record("site-a", 1)
		if err := s.Put(ctx, want); err != nil {
			t.Fatal(err)
		}
		mine := bytes.Clone(want.Digest)
		want.Digest[5] ^= 0xff // the store must have copied what it was given
		want.Digest = mine
		got, err := s.Get(ctx, "site-a")
		if err != nil {
			t.Fatal(err)
		}
		if !equalRecords(got, want) {
			t.Fatalf("Get = %+v, want %+v", got, want)
		}
		got.Digest[3] ^= 0xff // nor may it share memory with the caller
		again, _ := s.Get(ctx, "site-a")
		if !bytes.Equal(again.Digest, want.Digest) {
			t.Fatal("Get returned memory shared with the store")
		}
		if site, err := s.Lookup(ctx, want.Digest); err != nil || site != "site-a" {
			t.Fatalf("Lookup = %q, %v", site, err)
		}
	})
	t.Run("PutReplacesEverything", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		mustNoErr(t, s.Disable(ctx, "site-a", "b@example.com", t0))
		old, err := s.Get(ctx, "site-a")
		mustNoErr(t, err)
		mustNoErr(t, s.UpdateLockout(ctx, "site-a", old.Version, fullLockout()))
		locked, _ := s.Get(ctx, "site-a")
		fresh := record("site-a", 2)
		mustPut(t, s, fresh)
		got, err := s.Get(ctx, "site-a")
		mustNoErr(t, err)
		if !equalRecords(got, fresh) {
			t.Fatalf("after replace Get = %+v, want %+v", got, fresh)
		}
		if got.Version <= locked.Version {
			t.Fatalf("Put gave version %d after %d: it must grow", got.Version, locked.Version)
		}
		// An update decided on the replaced record must not apply.
		if err := s.UpdateLockout(ctx, "site-a", locked.Version, fullLockout()); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("UpdateLockout on a replaced record: %v, want ErrConflict", err)
		}
		if _, err := s.Lookup(ctx, digest(1)); !errors.Is(err, enrollment.ErrNotFound) {
			t.Fatalf("old digest still indexed: %v", err)
		}
		if site, err := s.Lookup(ctx, digest(2)); err != nil || site != "site-a" {
			t.Fatalf("Lookup new = %q, %v", site, err)
		}
		// The same digest put again for the same site is not a duplicate.
		mustPut(t, s, fresh)
	})
	t.Run("PutDuplicateDigest", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		if err := s.Put(ctx, record("site-b", 1)); !errors.Is(err, enrollment.ErrDuplicate) {
			t.Fatalf("Put duplicate: %v, want ErrDuplicate", err)
		}
		if _, err := s.Get(ctx, "site-b"); !errors.Is(err, enrollment.ErrNoPasscode) {
			t.Fatalf("a refused Put stored something: %v", err)
		}
		// Once site-a moves on, its old digest is free.
		mustPut(t, s, record("site-a", 2))
		mustPut(t, s, record("site-b", 1))
	})
	t.Run("Disable", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		mustNoErr(t, s.Disable(ctx, "site-a", "b@example.com", t0.Add(time.Minute)))
		mustNoErr(t, s.Disable(ctx, "site-a", "c@example.com", t0.Add(time.Hour)))
		got, _ := s.Get(ctx, "site-a")
		if !got.Disabled || !got.DisabledAt.Equal(t0.Add(time.Minute)) || got.DisabledBy != "b@example.com" {
			t.Fatalf("after Disable x2: %+v (the first one must stick)", got)
		}
		if err := s.RecordUse(ctx, "site-a", digest(1), t0, ""); !errors.Is(err, enrollment.ErrDisabled) {
			t.Fatalf("RecordUse disabled: %v", err)
		}
	})
	t.Run("UpdateLockout", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		mustPut(t, s, record("site-b", 2))
		r, err := s.Get(ctx, "site-a")
		mustNoErr(t, err)
		if !equalLockouts(r.Lockout, enrollment.Lockout{}) {
			t.Fatalf("new record's lockout = %+v, want zero", r.Lockout)
		}
		want := fullLockout()
		given := want
		given.Sources = append([]enrollment.SourceFailures(nil), want.Sources...)
		mustNoErr(t, s.UpdateLockout(ctx, "site-a", r.Version, given))
		given.Sources[0].Consecutive = 99 // the store must have copied it
		got, err := s.Get(ctx, "site-a")
		mustNoErr(t, err)
		if !equalLockouts(got.Lockout, want) || got.Version != r.Version+1 {
			t.Fatalf("after UpdateLockout: version %d %+v, want %d %+v", got.Version, got.Lockout, r.Version+1, want)
		}
		got.Sources[0].Consecutive = 98 // nor share memory with the caller
		if again, _ := s.Get(ctx, "site-a"); !equalLockouts(again.Lockout, want) {
			t.Fatal("Get returned lockout memory shared with the store")
		}
		// The version read first is gone: a second update decided on it
		// is refused and changes nothing.
		if err := s.UpdateLockout(ctx, "site-a", r.Version, enrollment.Lockout{Failures: 1}); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("UpdateLockout at an old version: %v, want ErrConflict", err)
		}
		if again, _ := s.Get(ctx, "site-a"); !equalLockouts(again.Lockout, want) || again.Version != r.Version+1 {
			t.Fatalf("a refused UpdateLockout changed the record: %+v", again)
		}
		if b, _ := s.Get(ctx, "site-b"); !equalLockouts(b.Lockout, enrollment.Lockout{}) {
			t.Fatalf("bystander changed: %+v", b)
		}
		// Events come with the lockout they belong to, in order, and only
		// when it is written.
		before, err := s.Events(ctx, "site-a")
		mustNoErr(t, err)
		evs := []enrollment.Event{
			{Site: "site-a", Kind: enrollment.EventFailed, At: t0, Source: "192.0.2.1", Failures: 3},
			{Site: "site-a", Kind: enrollment.EventLocked, At: t0, Source: "192.0.2.1", Failures: 3},
		}
		if err := s.UpdateLockout(ctx, "site-a", r.Version, want, evs...); !errors.Is(err, enrollment.ErrConflict) {
			t.Fatalf("UpdateLockout with events at an old version: %v, want ErrConflict", err)
		}
		if after, _ := s.Events(ctx, "site-a"); len(after) != len(before) {
			t.Fatalf("a refused UpdateLockout appended %d events", len(after)-len(before))
		}
		mustNoErr(t, s.UpdateLockout(ctx, "site-a", r.Version+1, want, evs...))
		after, err := s.Events(ctx, "site-a")
		mustNoErr(t, err)
		if len(after) != len(before)+2 || after[len(before)].Kind != enrollment.EventFailed || after[len(before)+1].Kind != enrollment.EventLocked ||
			after[len(before)].Source != "192.0.2.1" || after[len(before)+1].Failures != 3 || !after[len(before)].At.Equal(t0) {
			t.Fatalf("events after UpdateLockout with two: %+v", after[len(before):])
		}
		r.Version++
		// Back to zero, as a success after failures writes it.
		mustNoErr(t, s.UpdateLockout(ctx, "site-a", r.Version+1, enrollment.Lockout{}))
		if again, _ := s.Get(ctx, "site-a"); !equalLockouts(again.Lockout, enrollment.Lockout{}) {
			t.Fatalf("after a reset: %+v", again.Lockout)
		}
	})
	t.Run("RecordUse", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		before, _ := s.Get(ctx, "site-a")
		mustNoErr(t, s.RecordUse(ctx, "site-a", digest(1), t0, "10.0.0.1"))
		mustNoErr(t, s.RecordUse(ctx, "site-a", digest(1), t0.Add(time.Minute), "10.0.0.2"))
		if err := s.RecordUse(ctx, "site-a", digest(9), t0, "x"); !errors.Is(err, enrollment.ErrStale) {
			t.Fatalf("RecordUse other digest: %v, want ErrStale", err)
		}
		after, _ := s.Get(ctx, "site-a")
		if after.Version != before.Version || !equalRecords(after, before) {
			t.Fatalf("RecordUse wrote the site's record: %+v -> %+v", before, after)
		}
		ev, err := s.Events(ctx, "site-a")
		mustNoErr(t, err)
		if len(ev) != 2 || ev[0].Kind != enrollment.EventUsed || ev[0].Source != "10.0.0.1" || !ev[0].At.Equal(t0) ||
			ev[1].Kind != enrollment.EventUsed || ev[1].Source != "10.0.0.2" || !ev[1].At.Equal(t0.Add(time.Minute)) {
			t.Fatalf("events after 2 uses and a refused one: %+v", ev)
		}
	})
	t.Run("RecordUsePrecedence", func(t *testing.T) {
		// ErrStale, then ErrDisabled, then ErrLocked, as Store.RecordUse
		// documents.
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		r, _ := s.Get(ctx, "site-a")
		mustNoErr(t, s.UpdateLockout(ctx, "site-a", r.Version, enrollment.Lockout{Failures: 1, Locked: true, LockedAt: t0, Rule: enrollment.RuleConsecutive}))
		if err := s.RecordUse(ctx, "site-a", digest(1), t0, ""); !errors.Is(err, enrollment.ErrLocked) {
			t.Fatalf("RecordUse locked: %v, want ErrLocked", err)
		}
		mustNoErr(t, s.Disable(ctx, "site-a", "b@example.com", t0))
		if err := s.RecordUse(ctx, "site-a", digest(1), t0, ""); !errors.Is(err, enrollment.ErrDisabled) || errors.Is(err, enrollment.ErrLocked) {
			t.Fatalf("RecordUse disabled and locked: %v, want ErrDisabled", err)
		}
		if err := s.RecordUse(ctx, "site-a", digest(2), t0, ""); !errors.Is(err, enrollment.ErrStale) {
			t.Fatalf("RecordUse replaced, disabled and locked: %v, want ErrStale", err)
		}
		if ev, _ := s.Events(ctx, "site-a"); len(ev) != 0 {
			t.Fatalf("refused RecordUse calls recorded %d events", len(ev))
		}
	})
	t.Run("Events", func(t *testing.T) {
		s := newStore(t)
		kinds := []enrollment.EventKind{enrollment.EventGenerated, enrollment.EventFailed, enrollment.EventLocked, enrollment.EventAlertSent, enrollment.EventRegenerated}
		for i, k := range kinds {
			mustNoErr(t, s.AppendEvent(ctx, enrollment.Event{Site: "site-a", Kind: k, At: t0.Add(time.Duration(i) * time.Second), Failures: i}))
		}
		mustNoErr(t, s.AppendEvent(ctx, enrollment.Event{Site: "site-b", Kind: enrollment.EventViewed, At: t0, Actor: "v@example.com"}))
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
	t.Run("RaceFailuresLockOnce", func(t *testing.T) {
		// The Service's loop (load, decide, compare-and-swap, again on
		// ErrConflict) under Goroutines racing callers: every failure
		// counts once and exactly one caller locks.
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		mustPut(t, s, record("site-b", 2)) // a bystander that must not move
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
		got, _ := s.Get(ctx, "site-a")
		if got.Failures != Goroutines*SwapsPerGoroutine || !got.Locked || just.Load() != 1 {
			t.Fatalf("count %d locked %v locked %d times; want %d, true, 1", got.Failures, got.Locked, just.Load(), Goroutines*SwapsPerGoroutine)
		}
		if b, _ := s.Get(ctx, "site-b"); b.Failures != 0 || b.Locked {
			t.Fatalf("bystander changed: %+v", b)
		}
	})
	t.Run("RaceUseAgainstLock", func(t *testing.T) {
		// Once an UpdateLockout that locks has returned, no RecordUse may
		// succeed: each use either happened before the lock or is refused.
		s := newStore(t)
		mustPut(t, s, record("site-a", 1))
		var locked atomic.Bool
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
					err := s.RecordUse(ctx, "site-a", digest(1), t0, "")
					if was && err == nil {
						t.Error("RecordUse succeeded after the lock")
					}
					if err != nil && !errors.Is(err, enrollment.ErrLocked) {
						t.Errorf("RecordUse: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		got, _ := s.Get(ctx, "site-a")
		if got.Failures != 400 || !got.Locked {
			t.Fatalf("record %+v, want 400 failures and locked", got)
		}
	})
	t.Run("RacePutSameDigest", func(t *testing.T) {
		s := newStore(t)
		var ok, dup atomic.Int64
		var wg sync.WaitGroup
		for g := range Goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch err := s.Put(ctx, record(fmt.Sprintf("site-%d", g), 7)); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, enrollment.ErrDuplicate):
					dup.Add(1)
				default:
					t.Errorf("Put: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || dup.Load() != Goroutines-1 {
			t.Fatalf("%d Puts of one digest succeeded, %d refused; want 1 and %d", ok.Load(), dup.Load(), Goroutines-1)
		}
	})
	t.Run("RaceEvents", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					if err := s.AppendEvent(ctx, enrollment.Event{Site: "site-a", Kind: enrollment.EventFailed, At: t0}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if ev, _ := s.Events(ctx, "site-a"); len(ev) != 400 {
			t.Fatalf("%d events after 400 racing appends", len(ev))
		}
	})
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
// (count, and lock at threshold), compare-and-swap, again on ErrConflict.
// It reports whether this failure locked the record.
func casFailure(ctx context.Context, s enrollment.Store, site string, at time.Time, source string, threshold int) (enrollment.Lockout, bool, error) {
	for try := 0; ; try++ {
		if try > 0 {
			// Exponential back-off with full jitter, as the Service does.
			time.Sleep(rand.N(50 * time.Microsecond << min(try, 7)))
		}
		r, err := s.Get(ctx, site)
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
		switch err := s.UpdateLockout(ctx, site, r.Version, l); {
		case err == nil:
			return l, just, nil
		case !errors.Is(err, enrollment.ErrConflict):
			return enrollment.Lockout{}, false, err
		case try > 100000:
			return enrollment.Lockout{}, false, fmt.Errorf("no progress after %d tries: %w", try, err)
		}
	}
}

func mustPut(t *testing.T, s enrollment.Store, r enrollment.Record) {
	t.Helper()
	if err := s.Put(context.Background(), r); err != nil {
		t.Fatalf("Put(%s): %v", r.Site, err)
	}
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
