package escrow

import (
	"errors"
	"fmt"
	"time"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// Refusals a caller branches on. Every other refusal is an [*Error] (a
// request field and the rule it broke) or a [*ConfigError].
var (
	// ErrInvalidRequest: a request field is missing or malformed. Every
	// [*Error] matches it.
	ErrInvalidRequest = errors.New("escrow: invalid request")
	// ErrConfig: [New] was given an unusable [Config]. Every
	// [*ConfigError] matches it.
	ErrConfig = errors.New("escrow: invalid config")
	// ErrInProgress: the device already has a secret of this kind being
	// set (generated or sent, not yet acknowledged); a second one is
	// refused, not stacked. Returned as an [*InProgressError].
	ErrInProgress = errors.New("escrow: a secret of this kind is already being set on this device")
	// ErrNotFound: no record with that ID or command ID (never escrowed,
	// or purged).
	ErrNotFound = errors.New("escrow: not found")
	// ErrConflict: a [Store] write found the row at another revision
	// than the one it was decided on (someone else wrote first). The
	// [Service] loads again and decides again; a caller sees it only if
	// that keeps happening.
	ErrConflict = errors.New("escrow: record changed concurrently")
	// ErrInvalidTransition: the lifecycle does not allow the move.
	// Returned as a [*TransitionError].
	ErrInvalidTransition = errors.New("escrow: invalid state transition")
	// ErrNotAllowed: [Config.Authorize] refused the view; the refusal is
	// recorded.
	ErrNotAllowed = errors.New("escrow: not allowed to view this secret")
	// ErrNotPending: [Service.Deliver] was asked for a secret that is not
	// waiting to be delivered (not generated or sent).
	ErrNotPending = errors.New("escrow: secret is not waiting for delivery")
	// ErrRetentionAge: a purge was asked to keep history for a negative
	// age.
	ErrRetentionAge = errors.New("escrow: negative retention age")
	// ErrReseal: in FIPS 140-3 mode, a secret sealed with
	// XChaCha20-Poly1305 (docs/sealed-format.md format 1, written by
	// earlier releases) does not open; run [Service.Reseal] outside FIPS
	// mode first (docs/keys.md).
	ErrReseal = errors.New("escrow: sealed secret must be re-sealed (Service.Reseal) to open in FIPS 140-3 mode")
)

// Error names the request field the [Service] refused and why. It matches
// [ErrInvalidRequest] and never holds a secret (nor, for identifiers, the
// value itself).
type Error struct {
	Field  string // "DeviceID", "Kind", "CommandID", "Secret", ...
	Reason string
	Err    error // the underlying rule's error, if any
}

// Error implements error.
func (e *Error) Error() string { return ErrInvalidRequest.Error() + ": " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrInvalidRequest].
func (e *Error) Is(target error) bool { return target == ErrInvalidRequest }

// Unwrap returns the underlying rule's error.
func (e *Error) Unwrap() error { return e.Err }

// ConfigError names the [Config] or [Kind] field [New] refused. It matches
// [ErrConfig].
type ConfigError struct {
	Field  string
	Reason string
	Err    error
}

// Error implements error.
func (e *ConfigError) Error() string {
	s := ErrConfig.Error() + ": " + e.Field
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is [ErrConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// InProgressError names the open record that refused a new secret. It
// matches [ErrInProgress].
type InProgressError struct {
	RecordID string
	State    State
	Since    time.Time // when the open record was created
}

// Error implements error.
func (e *InProgressError) Error() string {
	return fmt.Sprintf("%s: %s, %s since %s", ErrInProgress.Error(), e.RecordID, e.State,
		e.Since.UTC().Format(time.RFC3339))
}

// Is reports whether target is [ErrInProgress].
func (e *InProgressError) Is(target error) bool { return target == ErrInProgress }

// TransitionError says which move the lifecycle refused. It matches
// [ErrInvalidTransition].
type TransitionError struct {
	From  State
	Input Input
}

// Error implements error.
func (e *TransitionError) Error() string {
	return ErrInvalidTransition.Error() + ": " + e.Input.String() + " in state " + e.From.String()
}

// Is reports whether target is [ErrInvalidTransition].
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("escrow")
