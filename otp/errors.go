package otp

import (
	"errors"
	"strconv"
)

// Sentinel errors. Each rejection reason has its own; match with [errors.Is].
var (
	// ErrParams is matched by every [*ParamError]: a Key, Params, ValidateOpts,
	// PINConfig or Eligibility field out of range.
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
	// ErrUser means an empty or oversized user name was given.
	ErrUser = errors.New("otp: invalid user")

	// ErrIneligible is matched by every [*IneligibleError].
	ErrIneligible = errors.New("otp: one-time PIN not available")
)

// ParamError says which parameter is invalid and why. It matches [ErrParams].
type ParamError struct {
	Field  string
	Reason string
}

func (e *ParamError) Error() string { return "otp: invalid parameters: " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrParams].
func (e *ParamError) Is(target error) bool { return target == ErrParams }

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

func (e *URIError) Error() string { return "otp: invalid key URI: " + e.Field + ": " + e.Reason }

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
