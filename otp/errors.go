package otp

import (
	"errors"
	"strconv"
	"time"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// Sentinel errors: the refusals a caller branches on, matched with
// [errors.Is]. Every configuration or request check (a Key, Params,
// ValidateOpts, PINConfig, TOTPConfig or Eligibility field out of range, an
// identifier refused, a key FIPS 140-3 mode refuses, a negative retention
// age, a store without a capability) is one [*ParamError], which names the
// field and the rule and matches [ErrParams].
var (
	// ErrParams is matched by every [*ParamError].
	ErrParams = errors.New("otp: invalid parameters")
	// ErrSecret is matched by every [*SecretError]: a Base32 secret that does
	// not decode, or a secret of the wrong length.
	ErrSecret = errors.New("otp: invalid secret")
	// ErrURI is matched by every [*URIError]: an otpauth:// key URI that
	// does not parse or cannot be built.
	ErrURI = errors.New("otp: invalid key URI")

	// ErrFormat means a code is not the key's number of decimal digits. It is
	// reported before any MAC work and reveals nothing about the key.
	ErrFormat = errors.New("otp: malformed code")
	// ErrInvalid means a well-formed code matched no step or counter in the
	// window.
	ErrInvalid = errors.New("otp: invalid code")
	// ErrReplay means the code matched only steps before ValidateOpts.MinStep:
	// it was (or could have been) used already.
	ErrReplay = errors.New("otp: code already used")

	// ErrPINFormat means a PIN is not the configured number of digits. It is
	// not counted as a wrong attempt.
	ErrPINFormat = errors.New("otp: malformed PIN")
	// ErrPINNotFound means the user has no PIN outstanding: none was issued,
	// or it was used, revoked, or replaced by a newer one.
	ErrPINNotFound = errors.New("otp: no PIN outstanding")
	// ErrPINExpired means the PIN's validity ended. The PIN is deleted.
	ErrPINExpired = errors.New("otp: PIN expired")
	// ErrPINInvalid is matched by every [*PINAttemptError]: the PIN was wrong.
	ErrPINInvalid = errors.New("otp: wrong PIN")
	// ErrPINLocked means the PIN is void after too many wrong attempts; the
	// user needs a new one.
	ErrPINLocked = errors.New("otp: PIN void after too many wrong attempts")

	// ErrBlocked is matched by every [*BlockedError]: too many consecutive
	// failures for one user or subject (see [MaxConsecutiveFailures]).
	ErrBlocked = errors.New("otp: blocked after too many consecutive failures")
	// ErrRateLimited is matched by every [*RateLimitError]: too many PINs
	// issued to one user in the issue window.
	ErrRateLimited = errors.New("otp: too many PINs issued")

	// ErrFIPS is matched by the [*ParamError] for a key FIPS 140-3 mode
	// refuses: HMAC-SHA-1 (Field "Algorithm") or a secret shorter than
	// [FIPSMinSecretLen] (Field "Secret"). Outside FIPS mode such keys are
	// accepted.
	ErrFIPS = errors.New("otp: not allowed in FIPS 140-3 mode")

	// ErrIneligible is matched by every [*IneligibleError].
	ErrIneligible = errors.New("otp: one-time PIN not available")
)

// ParamError is the package's one error for a configuration or request
// check: it names the field and the rule it breaks, never the value (an
// identifier may be hostile or long; a secret is never shown). It matches
// [ErrParams], and through Unwrap the underlying reason: [ErrFIPS] for a
// key FIPS 140-3 mode refuses, the identifier rule's reason for a user,
// subject or actor name.
type ParamError struct {
	// Field names the field or argument: "Digits", "TTL", "Store",
	// "user", "subject", "actor", "maxAge", "Algorithm", "Secret" ...
	Field string
	// Reason is the rule it breaks: "must be 6 to 12, got 4", "empty",
	// "holds a control character at byte 3" ...
	Reason string
	// Err is the underlying reason, if any.
	Err error
}

// Error names the field and the rule: "otp: invalid parameters: <field>:
// <reason>".
func (e *ParamError) Error() string { return "otp: invalid parameters: " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrParams].
func (e *ParamError) Is(target error) bool { return target == ErrParams }

// Unwrap returns the underlying reason, if any.
func (e *ParamError) Unwrap() error { return e.Err }

// SecretError says why a secret was refused. Offset is the byte offset of
// the offending character in the input, or -1 when the error is about the
// whole secret. The character itself is never included: it is part of a
// secret. It matches [ErrSecret].
type SecretError struct {
	Offset int
	Reason string
}

func (e *SecretError) Error() string {
	if e.Offset < 0 {
		return "otp: invalid secret: " + e.Reason
	}
	return "otp: invalid secret: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

// Is reports whether target is [ErrSecret].
func (e *SecretError) Is(target error) bool { return target == ErrSecret }

// URIError says which part of a key URI is invalid and why. It never holds
// the secret. It matches [ErrURI], and also [ErrSecret] or [ErrParams] when
// that is the underlying reason.
type URIError struct {
	Field  string
	Reason string
	Err    error // the underlying *SecretError or *ParamError, if any
}

// Error says which part is wrong and why, including the underlying
// reason (for the secret: "too short: 8 bytes, must be 10 to 256"), so a
// log line or a user-facing message needs no errors.Unwrap.
func (e *URIError) Error() string {
	msg := "otp: invalid key URI: " + e.Field + ": " + e.Reason
	if d := detail(e.Err); d != "" {
		msg += ": " + d
	}
	return msg
}

// detail is an underlying error's reason without its package prefix.
func detail(err error) string {
	switch e := err.(type) {
	case nil:
		return ""
	case *SecretError:
		if e.Offset < 0 {
			return e.Reason
		}
		return e.Reason + " at offset " + strconv.Itoa(e.Offset)
	case *ParamError:
		return e.Field + ": " + e.Reason
	}
	return err.Error()
}

// Is reports whether target is [ErrURI].
func (e *URIError) Is(target error) bool { return target == ErrURI }

// Unwrap returns the underlying error, if any.
func (e *URIError) Unwrap() error { return e.Err }

// PINAttemptError reports a wrong PIN and how many attempts remain before
// the PIN is void (zero: this attempt voided it). It matches [ErrPINInvalid].
type PINAttemptError struct {
	Remaining int
}

func (e *PINAttemptError) Error() string {
	return "otp: wrong PIN: " + strconv.Itoa(e.Remaining) + " attempts remain"
}

// Is reports whether target is [ErrPINInvalid].
func (e *PINAttemptError) Is(target error) bool { return target == ErrPINInvalid }

// BlockedError reports a user or subject blocked by the consecutive-failure
// cap. Until is when one more attempt is allowed, zero when only an
// administrator's reset lifts the block. It matches [ErrBlocked].
type BlockedError struct {
	Failures int
	Until    time.Time
}

// Error says how many failures and until when.
func (e *BlockedError) Error() string {
	msg := "otp: blocked after " + strconv.Itoa(e.Failures) + " consecutive failures"
	if e.Until.IsZero() {
		return msg + " until an administrator resets it"
	}
	return msg + " until " + e.Until.UTC().Format(time.RFC3339) + " or an administrator resets it"
}

// Is reports whether target is [ErrBlocked].
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// RateLimitError reports a PIN refused by the per-user issue limit and
// when the next one may be issued. It matches [ErrRateLimited].
type RateLimitError struct {
	Limit int
	Until time.Time
}

// Error says the limit and when the next PIN may be issued.
func (e *RateLimitError) Error() string {
	return "otp: too many PINs issued: " + strconv.Itoa(e.Limit) + " per window, next at " + e.Until.UTC().Format(time.RFC3339)
}

// Is reports whether target is [ErrRateLimited].
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("otp")
