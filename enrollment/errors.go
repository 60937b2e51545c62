package enrollment

import (
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// Sentinel errors: the refusals a caller branches on, and those a [Store]
// returns. Match them with [errors.Is]; the typed errors [*MalformedError]
// and [*AttemptError] match them too. Every configuration or request check
// (a [Config] field, a site or admin identifier, a purge age, a store
// without a capability) is one [*ParamError], which names the field and
// the rule and matches [ErrParams].
var (
	// ErrMalformed: the input is not shaped like a company passcode (after
	// trimming surrounding space: 12 characters from [0-9A-Za-z] with a
	// digit, a lower- and an upper-case letter). Verify counts it as a
	// failure.
	ErrMalformed = errors.New("enrollment: malformed passcode")
	// ErrWrongPasscode: a well-formed passcode that is not the site's.
	ErrWrongPasscode = errors.New("enrollment: wrong passcode")
	// ErrLocked: too many failed attempts; only Regenerate turns
	// self-service enrollment back on.
	ErrLocked = errors.New("enrollment: passcode locked")
	// ErrDisabled: an admin turned self-service enrollment off; only
	// Regenerate turns it back on.
	ErrDisabled = errors.New("enrollment: passcode disabled")
	// ErrNoPasscode: the site has no passcode (none generated yet).
	ErrNoPasscode = errors.New("enrollment: site has no passcode")
	// ErrNotFound: ResolveSite found no site whose active passcode this is.
	ErrNotFound = errors.New("enrollment: no site for this passcode")
	// ErrNoReveal: the passcode cannot be shown again: sealing is not
	// configured, the passcode was generated before it was, or its
	// retention limit has passed.
	ErrNoReveal = errors.New("enrollment: passcode cannot be shown again")
	// ErrReseal: the sealed copy was sealed with XChaCha20-Poly1305 by an
	// earlier release (docs/sealed-format.md, format 1), which FIPS 140-3
	// mode does not open: run [Service.Reseal] outside FIPS mode first.
	ErrReseal = errors.New("enrollment: sealed copy must be re-sealed (Service.Reseal) to open in FIPS 140-3 mode")
	// ErrAlert: a passcode locked but the security alert could not be sent.
	// The lock stands; see [Service.ResendAlert].
	ErrAlert = errors.New("enrollment: lock alert not sent")
	// ErrRetiredPepper: the site's passcode was hashed under a pepper that is
	// no longer configured, so it can never match; regenerate it.
	ErrRetiredPepper = errors.New("enrollment: passcode hashed under a retired pepper")
	// ErrNotLocked: ResendAlert was called for a passcode that is not locked.
	ErrNotLocked = errors.New("enrollment: passcode not locked")
	// ErrParams is matched by every [*ParamError]: a [Config] field [New]
	// refused, a site or admin identifier refused at the service boundary
	// (before any Store call, the same on every backend), a negative purge
	// age, or a Store without the capability a method needs.
	ErrParams = errors.New("enrollment: invalid parameters")

	// ErrDuplicate is returned by [Store.Write] when the digest already
	// belongs to another site's passcode. Generate draws again.
	ErrDuplicate = errors.New("enrollment: passcode digest already in use")
	// ErrConflict: the record changed since it was read: read it again and
	// decide again. [Store.Write] and [Store.Append] return it when the
	// site's record is not at the revision they were given (another
	// writer won); the Service loads and decides again, and returns it
	// only after 1,000 lost races in a row.
	ErrConflict = errors.New("enrollment: record changed since read")
)

// MalformedError says why an input is not a company passcode. It never holds
// the input. It matches [ErrMalformed].
type MalformedError struct {
	// Reason is a short description: "length 11, want 12", "character 4 is
	// not a letter or digit", "no digit" ...
	Reason string
}

// Error returns the reason, prefixed; never the input.
func (e *MalformedError) Error() string { return "enrollment: malformed passcode: " + e.Reason }

// Is reports whether target is [ErrMalformed].
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// AttemptError is what [Service.Verify] returns for a counted failure. It
// matches its Reason ([ErrMalformed], [ErrWrongPasscode] or [ErrLocked]),
// [ErrLocked] once the passcode is locked, and [ErrAlert] (and the Alerter's
// own error) when this attempt locked the passcode but the alert failed.
type AttemptError struct {
	// Reason is why the attempt failed: a [*MalformedError],
	// [ErrWrongPasscode], or [ErrLocked] for an attempt on a passcode that
	// was already locked (which is counted but never compared) and for a
	// well-formed attempt that another attempt's lock overtook between
	// its comparison and its count, whether it was right or wrong.
	Reason error
	// Failures is the site's failure count including this attempt
	// ([Lockout].Failures).
	Failures int
	// Locked is true once the passcode is locked, by this attempt or an
	// earlier one.
	Locked bool
	// JustLocked is true for the one attempt that locked the passcode.
	JustLocked bool
	// Rule is the rule that locked the passcode, when Locked.
	Rule Rule
	// Alert is the reason the lock alert failed, if this attempt locked
	// the passcode and the alert could not be sent.
	Alert error
}

// Error describes the failure and the count; never the input.
func (e *AttemptError) Error() string {
	s := fmt.Sprintf("%v (failure %d)", e.Reason, e.Failures)
	if e.Locked && e.Reason != ErrLocked {
		s += "; passcode locked"
	}
	if e.Alert != nil {
		s += "; " + e.Alert.Error()
	}
	return s
}

// Is reports whether target is [ErrLocked] for a locked passcode.
func (e *AttemptError) Is(target error) bool { return e.Locked && target == ErrLocked }

// Unwrap returns the Reason and, if any, the alert error.
func (e *AttemptError) Unwrap() []error {
	if e.Alert != nil {
		return []error{e.Reason, e.Alert}
	}
	return []error{e.Reason}
}

// ParamError is the package's one error for a configuration or request
// check: it names the field and the rule it breaks, never the value (an
// identifier may be hostile or huge). It matches [ErrParams] and unwraps
// to the underlying reason (the identifier rule's, the key set's), if any.
type ParamError struct {
	// Field names the field: a [Config] field ("Threshold", "SealKeys",
	// "Store" ...), "site", "actor" (an admin identity: generated-by,
	// disabled-by, viewer) or "maxAge".
	Field string
	// Reason is the rule it breaks: "101 is outside 0 to 100", "empty",
	// "too long: 300 bytes, at most 256", "not a bare email address" ...
	Reason string
	// Err is the underlying reason, if any.
	Err error
}

// Error names the field and the rule: "enrollment: invalid parameters:
// <field>: <reason>".
func (e *ParamError) Error() string { return ErrParams.Error() + ": " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrParams].
func (e *ParamError) Is(target error) bool { return target == ErrParams }

// Unwrap returns the underlying reason, if any.
func (e *ParamError) Unwrap() error { return e.Err }

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("enrollment")
