package apple

import (
	"errors"
	"strconv"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// ErrUnsupported: the device cannot run the command (wrong platform, too old,
// unsupervised, no UnlockToken). Returned as an *UnsupportedError that says
// why.
var ErrUnsupported = errors.New("apple: command unsupported on this device")

// UnsupportedError says why a device cannot run a command. It matches
// [ErrUnsupported].
type UnsupportedError struct {
	RequestType RequestType
	Reason      string
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	return "apple: " + string(e.RequestType) + " unsupported: " + e.Reason
}

// Is reports whether target is [ErrUnsupported].
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// Error is the package's error for everything but a capability refusal: an
// invalid builder argument, a template that cannot be filled, a result
// plist that cannot be parsed, a sealed value that cannot be opened. It
// names the field and the rule broken and never holds a secret.
type Error struct {
	// Field is the argument, plist key or secret concerned ("Message",
	// "PIN", "ErrorChain[0].ErrorCode", "plist").
	Field string
	// Rule is what was wrong ("is required", "must be 6 digits").
	Rule string
	// Offset is the byte offset in a parsed input where it went wrong, or
	// -1.
	Offset int64
	// Err is a sentinel the error matches ([ErrSealed]), or nil.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := "apple: " + e.Field + ": " + e.Rule
	if e.Offset >= 0 {
		s += " (at byte " + strconv.FormatInt(e.Offset, 10) + ")"
	}
	return s
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func fieldError(field, rule string) error { return &Error{Field: field, Rule: rule, Offset: -1} }

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("apple")
