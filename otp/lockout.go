package otp

import (
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/internal/attempt"
	"github.com/mdmcred/mdmcred/internal/ident"
)

// The cap on consecutive failures, shared by [PINService] (wrong PINs per
// user, across re-issued PINs) and [TOTPService] (wrong codes per subject).
// NIST SP 800-63B §5.2.2 allows at most 100 consecutive failed attempts on
// one account.
const (
	// MaxConsecutiveFailures is the default and the maximum of
	// PINConfig.MaxConsecutive and TOTPConfig.MaxFailures.
	MaxConsecutiveFailures = 100
	// DefaultCooldown is how long a subject stays blocked after the
	// failure that reached the cap (or after any later failure), when the
	// config's Cooldown is zero. After it one more attempt is allowed; if
	// it fails the block starts again, so past the cap an attacker gets
	// one guess per cool-down. [PINService.ResetFailures] and
	// [TOTPService.Reset] lift a block at once.
	DefaultCooldown = 24 * time.Hour
	// NoCooldown, as a Cooldown, means a block lasts until an
	// administrator resets it.
	NoCooldown time.Duration = -1
	// MaxCooldown bounds a Cooldown.
	MaxCooldown = 365 * 24 * time.Hour
)

// lockoutPolicy validates a consecutive-failure cap and cool-down (zero
// values meaning the defaults) and returns the attempt policy that counts
// them: the one shared lockout mechanism.
func lockoutPolicy(capField string, limit int, cooldown time.Duration) (attempt.Policy, error) {
	if limit == 0 {
		limit = MaxConsecutiveFailures
	}
	if cooldown == 0 {
		cooldown = DefaultCooldown
	}
	switch {
	case limit < 1 || limit > MaxConsecutiveFailures:
		return attempt.Policy{}, &ParamError{Field: capField, Reason: "must be 1 to 100 (NIST SP 800-63B §5.2.2), got " + strconv.Itoa(limit)}
	case cooldown != NoCooldown && (cooldown < time.Second || cooldown > MaxCooldown):
		return attempt.Policy{}, &ParamError{Field: "Cooldown", Reason: "must be NoCooldown or 1 s to 365 days, got " + cooldown.String()}
	}
	if cooldown == NoCooldown {
		cooldown = 0
	}
	return attempt.Policy{Threshold: limit, Cooldown: cooldown}, nil
}

// blocked converts the lockout's refusal into a [*BlockedError].
func blocked(p attempt.Policy, s attempt.State, now time.Time) error {
	if err := p.Check(s, now); err != nil {
		e := &BlockedError{Failures: s.Failures}
		if le, ok := err.(*attempt.LockedError); ok {
			e.Until = le.Until
		}
		return e
	}
	return nil
}

// checkID applies the one identifier rule (internal/ident) to a user,
// subject or actor name at the service boundary, so that every Store sees
// the same values whatever its backend would accept.
func checkID(field, s string) error {
	if err := ident.Check(s, MaxUserLen); err != nil {
		return &ParamError{Field: field, Reason: err.Error(), Err: err}
	}
	return nil
}
