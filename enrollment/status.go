package enrollment

import (
	"context"
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/internal/keyedhash"
)

// State is a passcode's state.
type State uint8

// States. Disabled wins over Locked when both hold.
const (
	StateActive   State = iota + 1 // self-service enrollment is on
	StateDisabled                  // an admin turned it off
	StateLocked                    // a lockout rule locked it
)

// String returns "active", "disabled" or "locked".
func (s State) String() string {
	switch s {
	case StateActive:
		return "active"
	case StateDisabled:
		return "disabled"
	case StateLocked:
		return "locked"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Status is what the admin console shows about a site's passcode. It holds
// no secret.
type Status struct {
	Site        string
	State       State
	GeneratedAt time.Time
	GeneratedBy string

	// FailedAttempts counts failures since generation, including attempts
	// made after the lock.
	FailedAttempts int
	LastFailure    time.Time // zero when there was none
	LastSource     string
	LockedAt       time.Time
	// LockRule is the rule that locked the passcode; zero when not locked.
	LockRule   Rule
	DisabledAt time.Time
	DisabledBy string

	// Revealable says whether a sealed copy exists for [Service.Reveal]
	// (its retention limit is checked only on Reveal).
	Revealable bool
	// StalePepper says the passcode is hashed under a pepper that is not
	// the current one: regenerate it before that pepper is retired.
	StalePepper bool
}

// Status returns the site's passcode status, or [ErrNoPasscode].
func (s *Service) Status(ctx context.Context, site string) (Status, error) {
	if ctx == nil {
		return Status{}, ErrNilContext
	}
	if err := checkSite(site); err != nil {
		return Status{}, err
	}
	rec, err := s.store.Load(ctx, site)
	if err != nil {
		return Status{}, wrapStore("reading passcode", err)
	}
	st := Status{
		Site: site, State: StateActive, GeneratedAt: rec.GeneratedAt, GeneratedBy: rec.GeneratedBy,
		FailedAttempts: rec.Failures, LastFailure: rec.LastFailure, LastSource: rec.LastSource,
		LockedAt: rec.LockedAt, LockRule: rec.Rule, DisabledAt: rec.DisabledAt, DisabledBy: rec.DisabledBy,
		Revealable:  s.sealer != nil && rec.Sealed != nil,
		StalePepper: keyedhash.Digest(rec.Digest).PepperID() != s.hasher.Current(),
	}
	switch {
	case rec.Disabled:
		st.State = StateDisabled
	case rec.Locked:
		st.State = StateLocked
	}
	return st, nil
}
