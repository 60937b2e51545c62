package enrollment_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/enrollment"
)

// lockModel is the reference for the lockout rules: it keeps the whole
// history and recomputes each rule from it, the way the package
// documentation states them.
type lockModel struct {
	threshold, sourceThreshold, rateFailures int
	window                                   time.Duration

	failures    int
	consecutive int
	perSource   map[string]int
	rated       []time.Time // failures counted by the rate rule
	locked      bool
	rule        enrollment.Rule
}

// attempt applies one attempt and returns the rule that locked the
// passcode at it (zero if none), and whether it succeeded.
func (m *lockModel) attempt(at time.Time, source string, right bool) (enrollment.Rule, bool) {
	if m.locked {
		m.failures++
		return 0, false
	}
	if right {
		m.consecutive = 0
		delete(m.perSource, source)
		return 0, true
	}
	m.failures++
	m.consecutive++
	m.perSource[source]++
	m.rated = append(m.rated, at)
	start := at.Truncate(m.window)
	cur, prev := 0, 0
	for _, t := range m.rated {
		switch t.Truncate(m.window) {
		case start:
			cur++
		case start.Add(-m.window):
			prev++
		}
	}
	share := max(0, 1-float64(at.Sub(start))/float64(m.window))
	switch {
	case m.consecutive >= m.threshold:
		m.rule = enrollment.RuleConsecutive
	case m.perSource[source] >= m.sourceThreshold:
		m.rule = enrollment.RuleSource
	case float64(cur)+float64(prev)*share >= float64(m.rateFailures):
		m.rule = enrollment.RuleRate
	default:
		return 0, false
	}
	m.locked = true
	return m.rule, false
}

type lockStep struct {
	Wait   time.Duration
	Source int
	Right  bool
}

// TestLockoutMatchesModel drives random sequences of attempts (sources,
// right and wrong passcodes, time moving on by up to half a window)
// through a Service with small limits, and checks every answer, the lock
// and its rule against lockModel.
func TestLockoutMatchesModel(t *testing.T) {
	genStep := gen.Struct(reflect.TypeOf(lockStep{}), map[string]gopter.Gen{
		"Wait":   gen.Int64Range(0, int64(30*time.Second)).Map(func(n int64) time.Duration { return time.Duration(n) }),
		"Source": gen.IntRange(0, 4),
		"Right":  gen.Weighted([]gen.WeightedGen{{Weight: 1, Gen: gen.Const(true)}, {Weight: 2, Gen: gen.Const(false)}}),
	})
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 300
	p := gopter.NewProperties(params)
	p.Property("the Service locks as the model does", prop.ForAll(func(steps []lockStep) string {
		m := &lockModel{threshold: 6, sourceThreshold: 4, rateFailures: 7, window: time.Minute, perSource: map[string]int{}}
		f := newFixture(t, func(c *enrollment.Config) {
			c.Threshold, c.SourceThreshold, c.RateFailures, c.RateWindow = m.threshold, m.sourceThreshold, m.rateFailures, m.window
		})
		code := f.generate(t, "site")
		for i, s := range steps {
			f.clock.Advance(s.Wait)
			src := fmt.Sprint("10.0.0.", s.Source)
			input := wrong(code)
			if s.Right {
				input = code
			}
			err := f.svc.Verify(context.Background(), "site", input, src)
			wasLocked := m.locked
			rule, ok := m.attempt(f.clock.Now(), src, s.Right)
			var ae *enrollment.AttemptError
			switch {
			case ok:
				if err != nil {
					return fmt.Sprintf("step %d (%+v): %v, want success", i, s, err)
				}
			case wasLocked:
				if !errors.Is(err, enrollment.ErrLocked) || !errors.As(err, &ae) || ae.JustLocked {
					return fmt.Sprintf("step %d (%+v): %v, want a counted ErrLocked", i, s, err)
				}
			default:
				if !errors.Is(err, enrollment.ErrWrongPasscode) || !errors.As(err, &ae) || ae.JustLocked != (rule != 0) || ae.Rule != rule {
					return fmt.Sprintf("step %d (%+v): %v (%+v), want wrong passcode locking by %v", i, s, err, ae, rule)
				}
			}
		}
		st, err := f.svc.Status(context.Background(), "site")
		if err != nil || st.FailedAttempts != m.failures || (st.State == enrollment.StateLocked) != m.locked || st.LockRule != m.rule {
			return fmt.Sprintf("status %+v, %v; model %d failures, locked %v by %v", st, err, m.failures, m.locked, m.rule)
		}
		if n := len(f.alert.sent()); (n == 1) != m.locked || n > 1 {
			return fmt.Sprintf("%d alerts, locked %v", n, m.locked)
		}
		return ""
	}, gen.SliceOf(genStep, reflect.TypeOf(lockStep{}))))
	p.TestingRun(t)
}

// TestRuleString covers the rule names.
func TestRuleString(t *testing.T) {
	for r, want := range map[enrollment.Rule]string{
		enrollment.RuleConsecutive: "consecutive", enrollment.RuleSource: "source", enrollment.RuleRate: "rate", 0: "Rule(0)", 9: "Rule(9)",
		enrollment.RuleRate + 1: "Rule(4)", // the bound of the name table
	} {
		if r.String() != want {
			t.Errorf("Rule %d = %q, want %q", r, r.String(), want)
		}
	}
}

// TestSourcesKeepTheMostRecent: a failure from a new source when
// MaxSources are followed forgets the least recently failing one, exactly
// one, so at most MaxSources are kept.
func TestSourcesKeepTheMostRecent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *enrollment.Config) {
		c.Threshold, c.SourceThreshold, c.RateFailures = enrollment.MaxThreshold, enrollment.MaxThreshold, 1000
	})
	code := f.generate(t, "site")
	src := func(i int) string { return fmt.Sprint("10.0.", i/256, ".", i%256) }
	for i := range enrollment.MaxSources + 1 {
		if err := f.svc.Verify(ctx, "site", wrong(code), src(i)); !errors.Is(err, enrollment.ErrWrongPasscode) {
			t.Fatalf("failure %d: %v", i, err)
		}
		rec, err := f.store.Load(ctx, "site")
		if err != nil {
			t.Fatal(err)
		}
		want := min(i+1, enrollment.MaxSources)
		if len(rec.Sources) != want || rec.Sources[0].Source != src(i+1-want) || rec.Sources[want-1].Source != src(i) {
			t.Fatalf("after %d failures: %d sources from %q to %q, want %d from %q to %q", i+1, len(rec.Sources),
				rec.Sources[0].Source, rec.Sources[len(rec.Sources)-1].Source, want, src(i+1-want), src(i))
		}
	}
}

// TestRateRuleSlidingWindow: the rate rule counts the current window's
// failures plus the previous window's weighted by the share of it the
// sliding window still covers. Eight failures in one minute, then 15 s
// into the next minute the previous eight count as six (0.75 of them): the
// third failure there makes 9 and does not lock, the fourth makes exactly
// RateFailures (10) and locks by RuleRate.
func TestRateRuleSlidingWindow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *enrollment.Config) {
		c.Threshold, c.SourceThreshold = enrollment.MaxThreshold, enrollment.MaxThreshold
		c.RateFailures, c.RateWindow = 10, time.Minute
	})
	code := f.generate(t, "site")
	next := f.clock.Now().Truncate(time.Minute).Add(time.Minute)
	f.clock.Advance(next.Sub(f.clock.Now()))
	fail := func(i int) *enrollment.AttemptError {
		t.Helper()
		var ae *enrollment.AttemptError
		if err := f.svc.Verify(ctx, "site", wrong(code), fmt.Sprint("10.0.0.", i)); !errors.As(err, &ae) {
			t.Fatalf("failure %d: %v", i, err)
		}
		return ae
	}
	for i := range 8 {
		if ae := fail(i); ae.Locked {
			t.Fatalf("failure %d of the first minute locked (%v)", i+1, ae.Rule)
		}
		f.clock.Advance(time.Second)
	}
	f.clock.Advance(next.Add(75 * time.Second).Sub(f.clock.Now()))
	for i := range 3 {
		if ae := fail(10 + i); ae.Locked {
			t.Fatalf("failure %d 15 s into the second minute locked at a rate of %d (%v)", i+1, 7+i, ae.Rule)
		}
	}
	if ae := fail(20); !ae.JustLocked || ae.Rule != enrollment.RuleRate || ae.Failures != 12 {
		t.Fatalf("the failure that makes the rate 10: %+v, want JustLocked by RuleRate at 12 failures", ae)
	}
}
