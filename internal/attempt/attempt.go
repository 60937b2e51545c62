// Package attempt limits guessing: it counts failures and locks, either for
// good at a threshold or for an exponentially growing back-off, as a pure
// state transition.
//
// Nothing here does I/O. A store persists [State] and applies [Policy.Fail]
// inside one atomic operation (a mutex, a compare-and-swap, a SQL
// transaction), so that N racing failures count N and exactly one of them
// sees [Result.JustLocked] — which is what makes "alert the admins exactly
// once" possible.
package attempt

import (
	"errors"
	"fmt"
	"time"
)

// ErrLocked is matched by every [LockedError].
var ErrLocked = errors.New("attempt: locked")

// LockedError says an attempt is refused and until when. RetryAfter is zero
// for a lock that only an administrator can lift.
type LockedError struct {
	RetryAfter time.Duration
	Until      time.Time // zero for a permanent lock
}

func (e *LockedError) Error() string {
	if e.Until.IsZero() {
		return "attempt: locked until reset"
	}
	return fmt.Sprintf("attempt: locked, retry after %s", e.RetryAfter.Round(time.Second))
}

// Is reports whether target is [ErrLocked].
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Policy says when failures lock. The zero Policy never locks.
type Policy struct {
	// Threshold is the number of failures that locks permanently (until
	// [Policy.Reset]). Zero means no permanent lock.
	Threshold int
	// Free is the number of failures allowed before back-off starts.
	Free int
	// Backoff is the delay after the first failure beyond Free; each further
	// failure doubles it. Zero means no back-off.
	Backoff time.Duration
	// MaxBackoff caps the delay. Zero means 24 hours.
	MaxBackoff time.Duration
	// Cooldown, when non-zero, lifts a Threshold lock by itself Cooldown
	// after the latest failure. The count is kept (Locked stays set), so
	// the next failure locks again for another Cooldown: past the
	// threshold one attempt per Cooldown is allowed, until a success or
	// [Policy.Reset]. Zero means only Reset lifts it.
	Cooldown time.Duration
}

// State is what a store persists per guarded thing. The zero State has no
// failures.
type State struct {
	Failures    int
	LastFailure time.Time
	// LockedUntil is the end of the current back-off, if any.
	LockedUntil time.Time
	// Locked is set at Threshold and cleared only by Reset.
	Locked bool
}

// Result is the outcome of one failure.
type Result struct {
	State State
	// JustLocked is true for exactly the failure that reached Threshold.
	JustLocked bool
}

// Check returns a [LockedError] if s refuses an attempt at now.
func (p Policy) Check(s State, now time.Time) error {
	if s.Locked {
		if p.Cooldown <= 0 {
			return &LockedError{}
		}
		if until := s.LastFailure.Add(p.Cooldown); now.Before(until) {
			return &LockedError{RetryAfter: until.Sub(now), Until: until}
		}
	}
	// A zero LockedUntil is no back-off, also for a clock that reads a
	// time before year 1 (a device clock can say anything).
	if !s.LockedUntil.IsZero() && now.Before(s.LockedUntil) {
		return &LockedError{RetryAfter: s.LockedUntil.Sub(now), Until: s.LockedUntil}
	}
	return nil
}

// Fail records one failure at now.
func (p Policy) Fail(s State, now time.Time) Result {
	s.Failures++
	s.LastFailure = now
	r := Result{}
	if p.Threshold > 0 && s.Failures >= p.Threshold && !s.Locked {
		s.Locked = true
		r.JustLocked = true
	}
	if d := p.Delay(s.Failures); d > 0 {
		s.LockedUntil = now.Add(d)
	}
	r.State = s
	return r
}

// Delay returns the back-off after the given number of failures: zero up to
// Free, then Backoff, 2*Backoff, 4*Backoff ... capped at MaxBackoff.
func (p Policy) Delay(failures int) time.Duration {
	if p.Backoff <= 0 || failures <= p.Free {
		return 0
	}
	max := p.MaxBackoff
	if max <= 0 {
		max = 24 * time.Hour
	}
	d := p.Backoff
	for i := p.Free + 1; i < failures; i++ {
		if d > max/2 { // doubling would pass max (and d ≤ max/2 cannot overflow)
			return max
		}
		d *= 2
	}
	return min(d, max)
}

// Succeed returns the state after a successful attempt: a success forgets
// back-off failures but not a permanent lock (Check refuses before that).
// With a Cooldown a success after the lock lifted clears it too.
func (p Policy) Succeed(s State) State {
	if s.Locked && p.Cooldown <= 0 {
		return s
	}
	return State{}
}

// Reset clears everything, as an administrator's unlock or a regenerated
// secret does.
func (p Policy) Reset(State) State { return State{} }
