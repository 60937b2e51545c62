package android

import (
	"errors"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// ErrInvalid: a command could not be built from its parameters, or an
// Operation, Command or push notification could not be parsed. Returned as
// an [*Error] naming the field and the rule.
var ErrInvalid = errors.New("android: invalid")

// Error names the field that was refused and the rule it broke. It matches
// [ErrInvalid] and never holds a password or any other input value.
type Error struct {
	// Field is the JSON path of the field ("newPassword",
	// "startLostModeParams.lostMessage.localizedMessages", "metadata.createTime").
	Field string
	// Rule is what the field must be ("required", "at most 16 characters").
	Rule string
}

// Error implements error.
func (e *Error) Error() string { return "android: invalid " + e.Field + ": " + e.Rule }

// Is reports whether target is [ErrInvalid].
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func invalid(field, rule string) error { return &Error{Field: field, Rule: rule} }

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("android")
