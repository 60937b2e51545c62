package attempt

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestDelay(t *testing.T) {
	p := Policy{Free: 3, Backoff: time.Second, MaxBackoff: time.Minute}
	for failures, want := range map[int]time.Duration{
		0: 0, 3: 0, 4: time.Second, 5: 2 * time.Second, 6: 4 * time.Second, 9: 32 * time.Second,
		10: time.Minute, 11: time.Minute, 1 << 30: time.Minute,
	} {
		if got := p.Delay(failures); got != want {
			t.Errorf("Delay(%d) = %v, want %v", failures, got, want)
		}
	}
	if d := (Policy{Backoff: time.Hour}).Delay(100); d != 24*time.Hour {
		t.Errorf("default cap: %v", d)
	}
	if d := (Policy{}).Delay(100); d != 0 {
		t.Errorf("zero policy: %v", d)
	}
}

func TestThresholdLocksOnce(t *testing.T) {
	p := Policy{Threshold: 3}
	var s State
	locks := 0
	for i := 1; i <= 5; i++ {
		if err := p.Check(s, t0); (err != nil) != (i > 3) {
			t.Fatalf("attempt %d: Check = %v", i, err)
		}
		r := p.Fail(s, t0)
		s = r.State
		if r.JustLocked {
			locks++
			if i != 3 {
				t.Fatalf("locked at failure %d", i)
			}
		}
	}
	if locks != 1 || s.Failures != 5 || !s.Locked {
		t.Fatalf("locks=%d state=%+v", locks, s)
	}
	var le *LockedError
	if err := p.Check(s, t0); !errors.As(err, &le) || !errors.Is(err, ErrLocked) || !le.Until.IsZero() {
		t.Fatalf("Check = %v", err)
	}
	if p.Succeed(s) != s {
		t.Fatal("success cleared a permanent lock")
	}
	if p.Reset(s) != (State{}) {
		t.Fatal("Reset kept state")
	}
}

func TestBackoffWindow(t *testing.T) {
	p := Policy{Free: 1, Backoff: 10 * time.Second}
	s := p.Fail(State{}, t0).State
	if err := p.Check(s, t0); err != nil {
		t.Fatalf("first failure is free: %v", err)
	}
	s = p.Fail(s, t0).State
	err := p.Check(s, t0.Add(4*time.Second))
	var le *LockedError
	if !errors.As(err, &le) || le.RetryAfter != 6*time.Second || !le.Until.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("Check = %v", err)
	}
	if err := p.Check(s, t0.Add(10*time.Second)); err != nil {
		t.Fatalf("still locked at the end of back-off: %v", err)
	}
	if p.Succeed(s) != (State{}) {
		t.Fatal("success did not forget back-off")
	}
	if le.Error() != "attempt: locked, retry after 6s" {
		t.Fatalf("message %q", le.Error())
	}
}

// TestConcurrentFailuresUnderMutex shows the intended use: a store applies
// Fail under its own atomicity; exactly one caller sees JustLocked.
func TestConcurrentFailuresUnderMutex(t *testing.T) {
	p := Policy{Threshold: 1000}
	var (
		mu    sync.Mutex
		s     State
		locks int
		wg    sync.WaitGroup
	)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				mu.Lock()
				r := p.Fail(s, t0)
				s = r.State
				if r.JustLocked {
					locks++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if s.Failures != 6400 || locks != 1 {
		t.Fatalf("failures=%d locks=%d", s.Failures, locks)
	}
}

func TestProperties(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("delay is monotone and capped", prop.ForAll(
		func(free, n int, base, maxd int64) bool {
			pol := Policy{Free: free, Backoff: time.Duration(base), MaxBackoff: time.Duration(maxd)}
			a, b := pol.Delay(n), pol.Delay(n+1)
			return a <= b && b <= time.Duration(maxd)
		},
		gen.IntRange(0, 10), gen.IntRange(0, 200), gen.Int64Range(1, int64(time.Hour)), gen.Int64Range(int64(time.Hour), int64(48*time.Hour)),
	))
	p.Property("n failures lock iff n >= threshold, exactly once", prop.ForAll(
		func(threshold, n int) bool {
			pol := Policy{Threshold: threshold}
			var s State
			locks := 0
			for i := 0; i < n; i++ {
				r := pol.Fail(s, t0)
				s = r.State
				if r.JustLocked {
					locks++
				}
			}
			want := 0
			if n >= threshold {
				want = 1
			}
			return s.Failures == n && s.Locked == (n >= threshold) && locks == want
		},
		gen.IntRange(1, 50), gen.IntRange(0, 80),
	))
	p.TestingRun(t)
}

func BenchmarkFail(b *testing.B) {
	p := Policy{Threshold: 10, Free: 3, Backoff: time.Second}
	var s State
	b.ReportAllocs()
	for b.Loop() {
		s = p.Fail(s, t0).State
		if s.Failures > 1000 {
			s = State{}
		}
	}
}

// TestCheckBeforeYearOne: no back-off means no back-off, whatever the
// clock says (a device clock before year 1 read as locked out).
func TestCheckBeforeYearOne(t *testing.T) {
	p := Policy{Free: 1, Backoff: time.Minute}
	for _, now := range []time.Time{time.Time{}.Add(-time.Hour), time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0)} {
		if err := p.Check(State{}, now); err != nil {
			t.Errorf("Check(zero state, %s) = %v", now, err)
		}
	}
}
