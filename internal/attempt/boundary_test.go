package attempt

import (
	"math"
	"math/big"
	"testing"
	"time"
)

// wantDelay is Delay computed apart from the code, without overflow:
// zero up to Free (or without Backoff), else Backoff·2^(failures-Free-1)
// capped at MaxBackoff (24 h when not positive).
func wantDelay(p Policy, failures int) time.Duration {
	if p.Backoff <= 0 || failures <= p.Free {
		return 0
	}
	max := p.MaxBackoff
	if max <= 0 {
		max = 24 * time.Hour
	}
	d := new(big.Int).Lsh(big.NewInt(int64(p.Backoff)), uint(failures-p.Free-1))
	if d.Cmp(big.NewInt(int64(max))) > 0 {
		return max
	}
	return time.Duration(d.Int64())
}

// TestDelayAtTheCap pins Delay where a wrong comparison or cap would
// show: a zero Backoff under a 1 ns cap (half of which is 0), a cap near
// the top of int64 (where doubling it overflows), and caps that the
// doubled delay reaches exactly.
func TestDelayAtTheCap(t *testing.T) {
	cases := []struct {
		p        Policy
		failures int
		want     time.Duration
	}{
		{Policy{MaxBackoff: 1}, 2, 0},               // no Backoff, no delay, whatever the cap
		{Policy{MaxBackoff: 1}, 10, 0},              //
		{Policy{Backoff: -1, MaxBackoff: 1}, 10, 0}, // a negative Backoff is none
		{Policy{Backoff: 1, MaxBackoff: 4}, 3, 4},   // 1, 2, 4: the cap reached exactly
		{Policy{Backoff: 1, MaxBackoff: 4}, 4, 4},   // 8 capped
		{Policy{Backoff: 2, MaxBackoff: 4}, 2, 4},   // 2, 4
		{Policy{Backoff: 5, MaxBackoff: 4}, 1, 4},   // Backoff above the cap
		{Policy{Backoff: 1, MaxBackoff: 3}, 2, 2},   // an odd cap: 2 is under it
		{Policy{Backoff: 1, MaxBackoff: 5}, 3, 4},   // 1, 2, 4 under 5
		{Policy{Backoff: 1, MaxBackoff: 5}, 4, 5},   // 8 capped
		{Policy{Backoff: time.Second, MaxBackoff: math.MaxInt64}, 2, 2 * time.Second},
		{Policy{Backoff: time.Second, MaxBackoff: math.MaxInt64}, 30, time.Second << 29},
		{Policy{Backoff: time.Second, MaxBackoff: math.MaxInt64}, 40, math.MaxInt64},
		{Policy{Backoff: time.Second, MaxBackoff: math.MaxInt64}, 1 << 30, math.MaxInt64},
		{Policy{Backoff: 1, MaxBackoff: 1 << 62}, 63, 1 << 62},
		{Policy{Backoff: 1, MaxBackoff: 1 << 62}, 62, 1 << 61},
		{Policy{Backoff: 1, Free: 2}, 3, 1},
		{Policy{Backoff: 1, Free: 2}, 4, 2},
	}
	for _, tc := range cases {
		if want := wantDelay(tc.p, tc.failures); want != tc.want {
			t.Fatalf("the table disagrees with the model at %+v, %d: %v", tc.p, tc.failures, want)
		}
		if got := tc.p.Delay(tc.failures); got != tc.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tc.p, tc.failures, got, tc.want)
		}
	}
}

// TestFailWithoutDelaySetsNoLockedUntil: a failure that earns no back-off
// leaves LockedUntil zero (not now), and one that does sets it exactly.
func TestFailWithoutDelaySetsNoLockedUntil(t *testing.T) {
	p := Policy{Free: 1, Backoff: time.Second}
	r := p.Fail(State{}, t0)
	if want := (State{Failures: 1, LastFailure: t0}); r.State != want || r.JustLocked {
		t.Fatalf("first (free) failure: %+v, want %+v", r, want)
	}
	r = p.Fail(r.State, t0.Add(time.Minute))
	if want := (State{Failures: 2, LastFailure: t0.Add(time.Minute), LockedUntil: t0.Add(time.Minute + time.Second)}); r.State != want {
		t.Fatalf("second failure: %+v, want %+v", r.State, want)
	}
	if r := (Policy{Threshold: 5}).Fail(State{}, t0); !r.State.LockedUntil.IsZero() {
		t.Fatalf("a policy without back-off set LockedUntil %v", r.State.LockedUntil)
	}
}

// TestDelayWithoutBackoffIsImmediate: without a Backoff, Delay answers zero
// without walking the failures: a guarded thing that has failed
// math.MaxInt times under a policy that never backs off must not cost
// 2^63 loop turns per failure (a Delay that only refused a negative
// Backoff would hang here).
func TestDelayWithoutBackoffIsImmediate(t *testing.T) {
	for _, p := range []Policy{{}, {Free: 3}, {MaxBackoff: 1}, {Threshold: 5, Cooldown: time.Minute}} {
		if d := p.Delay(math.MaxInt); d != 0 {
			t.Errorf("%+v.Delay(MaxInt) = %v, want 0", p, d)
		}
	}
}
