package attempt

import (
	"errors"
	"testing"
	"time"
)

func TestCooldownLiftsThresholdLockOneAttemptAtATime(t *testing.T) {
	p := Policy{Threshold: 3, Cooldown: time.Hour}
	var s State
	just := 0
	for i := range 3 {
		if err := p.Check(s, t0); err != nil {
			t.Fatalf("failure %d refused before the threshold: %v", i+1, err)
		}
		r := p.Fail(s, t0)
		s = r.State
		if r.JustLocked {
			just++
		}
	}
	if just != 1 || !s.Locked {
		t.Fatalf("JustLocked %d times, Locked %v; want 1, true", just, s.Locked)
	}
	steps := []struct {
		at      time.Duration
		refused bool
		retry   time.Duration
	}{
		{0, true, time.Hour},
		{59 * time.Minute, true, time.Minute},
		{time.Hour, false, 0}, // exactly Cooldown after the last failure: lifted
	}
	for _, st := range steps {
		err := p.Check(s, t0.Add(st.at))
		var le *LockedError
		if st.refused != (err != nil) || (err != nil && (!errors.As(err, &le) || le.RetryAfter != st.retry || !le.Until.Equal(t0.Add(time.Hour)))) {
			t.Fatalf("Check at +%v = %v, want refused=%v retry %v", st.at, err, st.refused, st.retry)
		}
	}
	// One more failure after the cool-down locks again for a full Cooldown,
	// without a second JustLocked.
	later := t0.Add(time.Hour)
	r := p.Fail(s, later)
	if r.JustLocked || r.State.Failures != 4 || !r.State.Locked {
		t.Fatalf("failure after the cool-down: %+v", r)
	}
	if err := p.Check(r.State, later.Add(30*time.Minute)); !errors.Is(err, ErrLocked) {
		t.Fatalf("relock: %v", err)
	}
	// A success once lifted clears everything.
	if got := p.Succeed(r.State); got != (State{}) {
		t.Fatalf("Succeed after a lifted lock = %+v", got)
	}
}

func TestNoCooldownKeepsPermanentLock(t *testing.T) {
	p := Policy{Threshold: 1}
	s := p.Fail(State{}, t0).State
	if err := p.Check(s, t0.Add(1000*time.Hour)); !errors.Is(err, ErrLocked) {
		t.Fatalf("permanent lock lifted: %v", err)
	}
	if got := p.Succeed(s); !got.Locked {
		t.Fatal("Succeed cleared a permanent lock")
	}
}
