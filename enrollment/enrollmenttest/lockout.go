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

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/enrollment"
)

// Rollout shapes the rollout property of [RunStore]: RolloutDevices
// enrollments spread uniformly over RolloutPeriod, of which a share
// RolloutTypos first mistype the passcode once, must never lock at the
// default rules.
const (
	RolloutDevices = 100_000
	RolloutPeriod  = time.Hour
	RolloutTypos   = 0.02
)

// attempt is one Verify call of a simulated run.
type attempt struct {
	at     time.Duration // since the start of the run
	source string
	right  bool
	attack bool
}

// rollout returns the attempts of an honest rollout: devices enrollments
// spread uniformly over period, a share typos of them starting with one
// mistyped attempt and typing it right 5 to 60 s later from the same
// source. A share nat of
// the devices come from one of 8 shared addresses (an office behind NAT),
// the others from their own.
func rollout(r *rand.Rand, devices int, period time.Duration, typos, nat float64) []attempt {
	out := make([]attempt, 0, devices+devices/10)
	for d := range devices {
		src := fmt.Sprintf("198.51.%d.%d", d/250, d%250)
		if r.Float64() < nat {
			src = fmt.Sprintf("203.0.113.%d", r.IntN(8))
		}
		at := time.Duration(r.Int64N(int64(period)))
		if r.Float64() < typos {
			out = append(out, attempt{at: at, source: src})
			at += 5*time.Second + time.Duration(r.Int64N(int64(55*time.Second)))
		}
		out = append(out, attempt{at: at, source: src, right: true})
	}
	sortAttempts(out)
	return out
}

func sortAttempts(a []attempt) {
	slices.SortStableFunc(a, func(x, y attempt) int {
		switch {
		case x.at < y.at:
			return -1
		case x.at > y.at:
			return 1
		}
		return 0
	})
}

// lockoutRun drives a Service with the default lockout rules over a fresh
// store through a list of attempts, in time order, on a simulated clock.
type lockoutRun struct {
	svc    *enrollment.Service
	alerts *countingAlerter
	now    atomic.Int64 // simulated UnixNano
	right  string
	wrong  string
}

func newLockoutRun(t *testing.T, s enrollment.Store, mod func(*enrollment.Config)) *lockoutRun {
	t.Helper()
	run := &lockoutRun{alerts: &countingAlerter{}}
	run.now.Store(t0.UnixNano())
	cfg := enrollment.Config{
		Store: s, Alerter: run.alerts,
		Peppers: enrollment.NewKeys(map[uint8][]byte{1: bytes.Repeat([]byte{7}, 32)}), PepperID: 1,
		Now: func() time.Time { return time.Unix(0, run.now.Load()).UTC() },
	}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := enrollment.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run.svc = svc
	pc, err := svc.Generate(context.Background(), "site-a", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	run.right = pc.Reveal()
	run.wrong = wrongOf(run.right)
	return run
}

// wrongOf returns a well-formed passcode one character off pc (another of
// the same class): a typo.
func wrongOf(pc string) string {
	w := []byte(pc)
	switch c := w[0]; {
	case c >= '0' && c <= '9':
		w[0] = '0' + (c-'0'+1)%10
	case c >= 'a' && c <= 'z':
		w[0] = 'a' + (c-'a'+1)%26
	default:
		w[0] = 'A' + (c-'A'+1)%26
	}
	return string(w)
}

// result is what a run saw: the attempts made, the index of the first one
// answered ErrLocked, and the errors that were neither expected refusals
// nor successes.
type result struct {
	made     int
	lockedAt int // -1: never
	err      error
}

// play makes the attempts with workers callers (in time order, the clock
// following the latest attempt handed out), stopping stopAfter attempts
// after the first lock (never, if negative).
func (run *lockoutRun) play(attempts []attempt, workers, stopAfter int) result {
	ctx := context.Background()
	res := result{lockedAt: -1}
	var mu sync.Mutex
	var stop atomic.Bool
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				a := attempts[i]
				input := run.wrong
				if a.right {
					input = run.right
				}
				err := run.svc.Verify(ctx, "site-a", input, a.source)
				mu.Lock()
				res.made++
				switch {
				case errors.Is(err, enrollment.ErrLocked):
					if res.lockedAt < 0 || i < res.lockedAt {
						res.lockedAt = i
					}
				case err == nil && a.right, errors.Is(err, enrollment.ErrWrongPasscode) && !a.right:
				default:
					if res.err == nil {
						res.err = fmt.Errorf("attempt %d (%+v): %v", i, a, err)
					}
				}
				if stopAfter >= 0 && res.lockedAt >= 0 && i >= res.lockedAt+stopAfter {
					stop.Store(true)
				}
				mu.Unlock()
			}
		}()
	}
	for i, a := range attempts {
		if stop.Load() {
			break
		}
		run.now.Store(t0.Add(a.at).UnixNano())
		work <- i
	}
	close(work)
	wg.Wait()
	return res
}

// runLockoutRules checks the lockout rules through a Service on the store
// under test: an honest rollout never locks, a guessing run locks and
// alerts exactly once.
func runLockoutRules(t *testing.T, newStore func(t *testing.T) enrollment.Store) {
	ctx := context.Background()
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 1
	params.Rng.Seed(time.Now().UnixNano())

	t.Run("RolloutNeverLocks", func(t *testing.T) {
		// 100,000 enrollments in an hour, 2% of them mistyping once,
		// from a random mix of own and shared (NAT) addresses.
		p := gopter.NewProperties(params)
		p.Property("no lock", prop.ForAll(func(seed uint64, nat float64) string {
			run := newLockoutRun(t, newStore(t), nil)
			attempts := rollout(rand.New(rand.NewPCG(seed, 1)), RolloutDevices, RolloutPeriod, RolloutTypos, nat)
			res := run.play(attempts, 8, -1)
			switch {
			case res.err != nil:
				return res.err.Error()
			case res.lockedAt >= 0 || run.alerts.n.Load() != 0:
				return fmt.Sprintf("locked at attempt %d of %d (%+v), %d alerts", res.lockedAt, len(attempts), attempts[res.lockedAt], run.alerts.n.Load())
			case res.made != len(attempts):
				return fmt.Sprintf("made %d attempts of %d", res.made, len(attempts))
			}
			st, err := run.svc.Status(ctx, "site-a")
			if err != nil || st.State != enrollment.StateActive || st.FailedAttempts == 0 {
				return fmt.Sprintf("status %+v, %v", st, err)
			}
			return ""
		}, gen.UInt64(), gen.Float64Range(0, 1)))
		p.TestingRun(t)
	})

	t.Run("HundredWrongInARowLocksOnce", func(t *testing.T) {
		// From one source, and from a hundred different ones, with no
		// success in between: locked by the 10th, one alert for all 100.
		for _, sources := range []int{1, 100} {
			run := newLockoutRun(t, newStore(t), nil)
			var attempts []attempt
			for i := range 100 {
				attempts = append(attempts, attempt{at: time.Duration(i) * time.Second, source: fmt.Sprintf("192.0.2.%d", i%sources), attack: true})
			}
			res := run.play(attempts, 1, -1)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.lockedAt != enrollment.DefaultThreshold-1 || run.alerts.n.Load() != 1 {
				t.Fatalf("%d sources: first locked answer at attempt %d, %d alerts; want %d and 1", sources, res.lockedAt, run.alerts.n.Load(), enrollment.DefaultThreshold-1)
			}
			st, _ := run.svc.Status(ctx, "site-a")
			if st.State != enrollment.StateLocked || st.FailedAttempts != 100 {
				t.Fatalf("%d sources: status %+v", sources, st)
			}
		}
	})

	t.Run("GuessingAmidRolloutLocksOnce", func(t *testing.T) {
		// An attacker guessing at 10 to 50 times the typo rate of the
		// rollout (2,000 an hour), from 1 to 5,000 sources, its guesses
		// interleaved with a rollout of 20,000 enrollments an hour whose
		// successes keep resetting the consecutive count: locked within
		// 10 minutes, one alert, however many callers race.
		params := params
		params.MinSuccessfulTests = 4
		p := gopter.NewProperties(params)
		p.Property("locks once", prop.ForAll(func(seed uint64, sources, perHour, workers int) string {
			r := rand.New(rand.NewPCG(seed, 2))
			const period = 10 * time.Minute
			attempts := rollout(r, 20_000*int(period/time.Minute)/60, period, RolloutTypos, 0.3)
			for range perHour * int(period/time.Minute) / 60 {
				attempts = append(attempts, attempt{
					at: time.Duration(r.Int64N(int64(period))), source: fmt.Sprintf("192.0.2.%d", r.IntN(sources)), attack: true,
				})
			}
			sortAttempts(attempts)
			run := newLockoutRun(t, newStore(t), nil)
			res := run.play(attempts, workers, 200)
			switch {
			case res.err != nil:
				return res.err.Error()
			case res.lockedAt < 0:
				return fmt.Sprintf("not locked after %d attempts", res.made)
			case run.alerts.n.Load() != 1:
				return fmt.Sprintf("%d alerts", run.alerts.n.Load())
			}
			st, err := run.svc.Status(ctx, "site-a")
			if err != nil || st.State != enrollment.StateLocked || st.LockRule == 0 {
				return fmt.Sprintf("status %+v, %v", st, err)
			}
			return ""
		}, gen.UInt64(), gen.IntRange(1, 5000), gen.IntRange(20_000, 100_000), gen.IntRange(1, 8)))
		p.TestingRun(t)
	})

	t.Run("OneSourceAmidRolloutLocksOnce", func(t *testing.T) {
		// One attacker below the rate rule (600 guesses an hour) amid a
		// rollout: its own consecutive failures lock it.
		r := rand.New(rand.NewPCG(3, 3))
		const period = 10 * time.Minute
		attempts := rollout(r, 3000, period, RolloutTypos, 0.3)
		for i := range 100 {
			attempts = append(attempts, attempt{at: time.Duration(i) * 6 * time.Second, source: "192.0.2.66", attack: true})
		}
		sortAttempts(attempts)
		run := newLockoutRun(t, newStore(t), nil)
		res := run.play(attempts, 4, 50)
		if res.err != nil {
			t.Fatal(res.err)
		}
		st, _ := run.svc.Status(ctx, "site-a")
		if res.lockedAt < 0 || run.alerts.n.Load() != 1 || st.LockRule != enrollment.RuleSource {
			t.Fatalf("locked at %d, %d alerts, rule %v; want a lock by the source rule and 1 alert", res.lockedAt, run.alerts.n.Load(), st.LockRule)
		}
	})
}
