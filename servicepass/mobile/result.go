package mobile

import (
	"errors"

	"github.com/mdmcred/mdmcred/servicepass"
)

// Outcomes: the stable result codes, values of [Result.Outcome], one per
// verification reason. A host branches on these strings; they never
// change meaning.
//
//	outcome            meaning                                              counts toward lockout
//	granted            the code or response verified: apply Actions          -
//	malformed          not a service password (wrong length or characters)   no
//	typo               check symbol mismatch: ask the user to retype         no
//	version            unsupported format version                            no
//	unknown-key        key ID not in the device's keyring (rotation missed)  no
//	locked-out         back-off after failed attempts; see RetryAfterMs      no
//	bad-mac            wrong code for this device (MAC mismatch)             yes
//	expired            past its expiry (plus the clock skew)                 no
//	not-yet-valid      device clock far before the code's validity           no
//	clock-back         device clock behind the high-water mark               no
//	mode               not allowed in this device's activation mode          no
//	replayed           already used (a day-valid code: already today)        no
//	no-challenge       no outstanding challenge (used, replaced, restarted)  no
//	challenge-expired  the challenge outlived its lifetime: show a new one   no
//	challenge-void     too many wrong responses: show a new challenge        no
//	state-unavailable  the device state could not be read or locked          no
//	key-unavailable    the host's DeviceMAC failed (a locked keystore)       no
//	error              anything else (Detail says what)                      no
//
// A refusal or grant whose state could not be saved also sets
// [Result.NotSaved].
const (
	OutcomeGranted          = "granted"
	OutcomeMalformed        = "malformed"
	OutcomeTypo             = "typo"
	OutcomeVersion          = "version"
	OutcomeUnknownKey       = "unknown-key"
	OutcomeLockedOut        = "locked-out"
	OutcomeBadMAC           = "bad-mac"
	OutcomeExpired          = "expired"
	OutcomeNotYetValid      = "not-yet-valid"
	OutcomeClockBack        = "clock-back"
	OutcomeMode             = "mode"
	OutcomeReplayed         = "replayed"
	OutcomeNoChallenge      = "no-challenge"
	OutcomeChallengeExpired = "challenge-expired"
	OutcomeChallengeVoid    = "challenge-void"
	OutcomeStateUnavailable = "state-unavailable"
	OutcomeKeyUnavailable   = "key-unavailable"
	OutcomeError            = "error"
)

// outcomes maps servicepass's sentinels to result codes, in the order they are
// tried (a lockout first: it matches only its own sentinel).
var outcomes = []struct {
	err  error
	code string
}{
	{servicepass.ErrLockedOut, OutcomeLockedOut},
	{servicepass.ErrMalformed, OutcomeMalformed},
	{servicepass.ErrTypo, OutcomeTypo},
	{servicepass.ErrVersion, OutcomeVersion},
	{servicepass.ErrUnknownKey, OutcomeUnknownKey},
	{servicepass.ErrInvalid, OutcomeBadMAC},
	{servicepass.ErrExpired, OutcomeExpired},
	{servicepass.ErrNotYetValid, OutcomeNotYetValid},
	{servicepass.ErrClockBack, OutcomeClockBack},
	{servicepass.ErrMode, OutcomeMode},
	{servicepass.ErrReplay, OutcomeReplayed},
	{servicepass.ErrNoChallenge, OutcomeNoChallenge},
	{servicepass.ErrChallengeExpired, OutcomeChallengeExpired},
	{servicepass.ErrChallengeVoid, OutcomeChallengeVoid},
	{servicepass.ErrState, OutcomeStateUnavailable},
	{servicepass.ErrCustody, OutcomeKeyUnavailable},
}

// outcomeOf returns the outcome of a verification error.
func outcomeOf(err error) string {
	if err == nil {
		return OutcomeGranted
	}
	for _, c := range outcomes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return OutcomeError
}

// Result is the outcome of [Verifier.Verify] or [Verifier.VerifyResponse].
type Result struct {
	// Outcome is the stable result code (see the table above
	// OutcomeGranted).
	Outcome string
	// Granted is Outcome == "granted".
	Granted bool
	// Actions is the bit set of granted actions (docs/servicepass-format.md
	// §2: 1 Unlock, 2 DisableKiosk, ...); zero on a refusal.
	Actions int32
	// ActionNames is Actions as text ("Unlock+DisableKiosk").
	ActionNames string
	// Scope is "Device" or "WorkProfile" (a COPE Unlock opens the work
	// profile); empty on a refusal.
	Scope string
	// KeyID is the key ID the code was made under.
	KeyID int32
	// Serial is the code's serial (zero for a challenge response).
	Serial int64
	// ExpiryMs is when the code stops verifying, Unix milliseconds (zero for
	// a challenge response).
	ExpiryMs int64
	// DayValid says the code is valid through a calendar date.
	DayValid bool
	// WindowEndMs is the end of the privileged window, Unix milliseconds.
	WindowEndMs int64
	// Degraded says the code may have been used before without the device
	// knowing (its state was lost or could not be saved): report it.
	Degraded bool
	// ClockReset says an Emergency Database Reset code moved the clock
	// high-water mark back to the device time.
	ClockReset bool
	// NotSaved says the device state could not be saved: what this call
	// decided is not remembered after the process ends.
	NotSaved bool
	// RetryAfterMs is, for "locked-out", how long until the next attempt is
	// taken.
	RetryAfterMs int64
	// Detail is a human-readable explanation, never holding a secret.
	Detail string
}

// resultOf converts a servicepass outcome.
func resultOf(g servicepass.Grant, err error) *Result {
	r := &Result{Outcome: outcomeOf(err), NotSaved: errors.Is(err, servicepass.ErrNotSaved) || g.StateError != nil}
	if err != nil {
		r.Detail = err.Error()
		var lo *servicepass.LockedOutError
		if errors.As(err, &lo) {
			r.RetryAfterMs = lo.RetryAfter.Milliseconds()
		}
		return r
	}
	r.Granted = true
	r.Actions, r.ActionNames = int32(g.Actions), g.Actions.String()
	r.Scope = g.Scope.String()
	r.KeyID, r.Serial = int32(g.KeyID), int64(g.Serial)
	r.ExpiryMs, r.WindowEndMs = millis(g.Expiry), millis(g.WindowEnd)
	r.DayValid, r.Degraded, r.ClockReset = g.DayValid, g.Degraded, g.ClockReset
	if g.StateError != nil {
		r.Detail = g.StateError.Error()
	}
	return r
}
