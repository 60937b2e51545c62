package passcode

import "errors"

// ErrParams is matched by every [*ParamError]: a [Config] field [New]
// refused, a [Policy] that cannot be met, a request field missing or an
// identifier refused (before any Store call, the same on every backend), a
// negative purge age, or a Service without what a call needs (a Mailer to
// notify the user, a Store that can re-seal).
var ErrParams = errors.New("passcode: invalid parameters")

// ParamError is the package's one error for a configuration or request
// check: it names the field and the rule it breaks, never the value (an
// identifier may be hostile or huge). It matches [ErrParams] and unwraps
// to the underlying reason (the identifier rule's, the key set's), if any.
type ParamError struct {
	// Field names the field: a [Config] field ("Store", "SealKeys",
	// "Mailer" ...), a [Policy] field ("Kind", "MinLength", "MaxLength"),
	// a request field or identifier ("Device.ID", "Actor", "User",
	// "Viewer.ID", "reset ID", "UserEmail" ...) or "maxAge".
	Field string
	// Reason is the rule it breaks: "required", "negative", "3 is below
	// 4", "too long: 300 bytes, at most 256", "holds a control character
	// at byte 3" ...
	Reason string
	// Err is the underlying reason, if any.
	Err error
}

// Error names the field and the rule: "passcode: invalid parameters:
// <field>: <reason>".
func (e *ParamError) Error() string { return ErrParams.Error() + ": " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrParams].
func (e *ParamError) Is(target error) bool { return target == ErrParams }

// Unwrap returns the underlying reason, if any.
func (e *ParamError) Unwrap() error { return e.Err }
