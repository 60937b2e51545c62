package enrollment_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mdmcred/mdmcred/enrollment"
)

// hookStore runs a hook before Append or Write, to put another
// request's change between Verify's read of the record and its atomic
// update: the window that racing attempts hit.
type hookStore struct {
	*enrollment.MemStore
	beforeUse, beforeFailure func()
}

func (s *hookStore) Append(ctx context.Context, site string, rev uint64, events []enrollment.Event) error {
	if h := s.beforeUse; h != nil {
		s.beforeUse = nil
		h()
	}
	return s.MemStore.Append(ctx, site, rev, events)
}

func (s *hookStore) Write(ctx context.Context, r enrollment.Record, prev uint64, events []enrollment.Event) error {
	if h := s.beforeFailure; h != nil && prev != 0 {
		s.beforeFailure = nil
		h()
	}
	return s.MemStore.Write(ctx, r, prev, events)
}

// lockSite records threshold failures and the lock directly in the store,
// as another request would.
func lockSite(t *testing.T, s *enrollment.MemStore, threshold int) func() {
	return func() {
		r, err := s.Load(context.Background(), "site")
		if err != nil {
			t.Error(err)
			return
		}
		l := r.Lockout
		l.Failures += threshold
		l.Consecutive += threshold
		l.LastFailure, l.LastSource = t0, "other"
		l.Locked, l.LockedAt, l.Rule = true, t0, enrollment.RuleConsecutive
		next := r
		next.Lockout, next.Rev = l, r.Rev+1
		if err := s.Write(context.Background(), next, r.Rev, nil); err != nil {
			t.Error(err)
		}
	}
}

func uses(t *testing.T, f fixture, site string) int {
	t.Helper()
	ev, err := f.svc.Events(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ev {
		if e.Kind == enrollment.EventUsed {
			n++
		}
	}
	return n
}

// TestLockRaceIsNoOracle: an attempt read before the lock and updated after
// it gets the same answer whether its passcode was right or wrong (an
// attempt on a locked passcode, counted), so racing guesses cannot tell
// which of them was right once the passcode has locked.
func TestLockRaceIsNoOracle(t *testing.T) {
	const threshold = 3
	var got [2]*enrollment.AttemptError
	for i, right := range []bool{true, false} {
		hs := &hookStore{MemStore: enrollment.NewMemStore()}
		f := newFixture(t, func(c *enrollment.Config) { c.Store = hs; c.Threshold = threshold })
		code := f.generate(t, "site")
		input := code
		if right {
			hs.beforeUse = lockSite(t, hs.MemStore, threshold)
		} else {
			input = wrong(code)
			hs.beforeFailure = lockSite(t, hs.MemStore, threshold)
		}
		err := f.svc.Verify(context.Background(), "site", input, "10.0.0.9")
		var ae *enrollment.AttemptError
		if !errors.As(err, &ae) || !errors.Is(err, enrollment.ErrLocked) {
			t.Fatalf("right=%v: Verify = %v, want a counted AttemptError matching ErrLocked", right, err)
		}
		got[i] = ae
		if st, _ := f.svc.Status(context.Background(), "site"); st.FailedAttempts != threshold+1 || uses(t, f, "site") != 0 {
			t.Fatalf("right=%v: %d failures and %d uses, want %d and 0", right, st.FailedAttempts, uses(t, f, "site"), threshold+1)
		}
	}
	r, w := got[0], got[1]
	if r.Reason != w.Reason || r.Failures != w.Failures || r.Locked != w.Locked || r.JustLocked != w.JustLocked || r.Error() != w.Error() {
		t.Fatalf("right and wrong passcodes racing the lock answer differently:\n right %#v (%v)\n wrong %#v (%v)", r, r, w, w)
	}
}

// TestReplacedDuringVerifyIsCounted: a passcode replaced between Verify's
// read and its update is now a wrong passcode, and counted as one.
func TestReplacedDuringVerifyIsCounted(t *testing.T) {
	hs := &hookStore{MemStore: enrollment.NewMemStore()}
	f := newFixture(t, func(c *enrollment.Config) { c.Store = hs })
	code := f.generate(t, "site")
	hs.beforeUse = func() { f.generate(t, "site") }
	err := f.svc.Verify(context.Background(), "site", code, "10.0.0.9")
	var ae *enrollment.AttemptError
	if !errors.As(err, &ae) || !errors.Is(err, enrollment.ErrWrongPasscode) || ae.Failures != 1 {
		t.Fatalf("Verify = %v, want a counted AttemptError matching ErrWrongPasscode", err)
	}
	if st, _ := f.svc.Status(context.Background(), "site"); st.FailedAttempts != 1 || st.LastSource != "10.0.0.9" {
		t.Fatalf("status %+v", st)
	}
}

// conflictingStore loses every compare-and-swap, as if another instance
// always wrote first, and counts the reads; past runaway reads it fails
// instead, so a retry loop without its bound ends.
type conflictingStore struct {
	enrollment.Store
	gets, runaway int
}

func (s *conflictingStore) Load(ctx context.Context, site string) (enrollment.Record, error) {
	s.gets++
	if s.gets > s.runaway {
		return enrollment.Record{}, errors.New("runaway retries")
	}
	return s.Store.Load(ctx, site)
}

func (s *conflictingStore) Write(context.Context, enrollment.Record, uint64, []enrollment.Event) error {
	return enrollment.ErrConflict
}

func (s *conflictingStore) Append(context.Context, string, uint64, []enrollment.Event) error {
	return enrollment.ErrConflict
}

// TestVerifyGivesUpOnConstantConflict: when every write conflicts, Verify
// reads and decides again exactly 1,000 times, then reports ErrConflict.
func TestVerifyGivesUpOnConstantConflict(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	code := f.generate(t, "site")
	cs := &conflictingStore{Store: f.store, runaway: 1000}
	g := newFixture(t, func(c *enrollment.Config) { c.Store = cs })
	err := g.svc.Verify(ctx, "site", wrong(code), "10.0.0.1")
	if !errors.Is(err, enrollment.ErrConflict) || cs.gets != 1000 {
		t.Fatalf("Verify under constant conflict: %v after %d reads, want ErrConflict after 1000", err, cs.gets)
	}
}

// TestAlertEventAfterTheRecordMoved: the alert's outcome is recorded
// although another failure moved the record between the lock and the
// event's append (whose revision then conflicts): it is appended at the
// current revision, once.
func TestAlertEventAfterTheRecordMoved(t *testing.T) {
	ctx := context.Background()
	hs := &hookStore{MemStore: enrollment.NewMemStore()}
	f := newFixture(t, func(c *enrollment.Config) { c.Store = hs; c.Threshold = 1 })
	code := f.generate(t, "site")
	hs.beforeUse = func() {
		// Another request's failure on the locked passcode: counted,
		// which moves the record on.
		if err := f.svc.Verify(ctx, "site", wrong(code), "10.0.0.2"); !errors.Is(err, enrollment.ErrLocked) {
			t.Errorf("a failure on the locked passcode: %v", err)
		}
	}
	var ae *enrollment.AttemptError
	if err := f.svc.Verify(ctx, "site", wrong(code), "10.0.0.1"); !errors.As(err, &ae) || !ae.JustLocked || ae.Alert != nil {
		t.Fatalf("the locking failure: %v", err)
	}
	ev, err := f.svc.Events(ctx, "site")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, e := range ev {
		if e.Kind == enrollment.EventAlertSent {
			sent++
		}
	}
	if st, _ := f.svc.Status(ctx, "site"); sent != 1 || len(f.alert.sent()) != 1 || st.FailedAttempts != 2 {
		t.Fatalf("%d alert-sent events, %d alerts, %d failures; want 1, 1, 2: %+v", sent, len(f.alert.sent()), st.FailedAttempts, ev)
	}
}

// TestRevealDecidesAgainWhenLocked: a passcode locked between Reveal's
// read and its viewed event is not shown: the event's append conflicts and
// Reveal decides again, on the locked record.
func TestRevealDecidesAgainWhenLocked(t *testing.T) {
	ctx := context.Background()
	hs := &hookStore{MemStore: enrollment.NewMemStore()}
	f := newFixture(t, func(c *enrollment.Config) {
		c.Store = hs
		c.SealKeys = enrollment.NewKeys(map[uint8][]byte{1: pepper(3)})
		c.SealKeyID = 1
	})
	f.generate(t, "site")
	hs.beforeUse = lockSite(t, hs.MemStore, 3)
	if pc, err := f.svc.Reveal(ctx, "site", "admin@example.com"); !errors.Is(err, enrollment.ErrLocked) || !pc.IsZero() {
		t.Fatalf("Reveal of a passcode locked meanwhile: %v", err)
	}
	ev, _ := f.svc.Events(ctx, "site")
	for _, e := range ev {
		if e.Kind == enrollment.EventViewed {
			t.Fatalf("a viewed event for a passcode not shown: %+v", ev)
		}
	}
}
