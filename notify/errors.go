package notify

import (
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// Errors returned by this package. Match them with errors.Is.
var (
	// ErrInvalidMessage reports a Message that cannot be sent as it is: no
	// recipient, an unparsable or over-long address, a subject with a line
	// break, an invisible character or an RFC 2047 encoded-word, a header
	// line over 998 octets, an inline part without Content-ID, no body.
	// The error is a [*FieldError] naming the field and the rule.
	ErrInvalidMessage = errors.New("notify: invalid message")
	// ErrInvalidNotice reports a notice that lacks what its email needs (no
	// recipient, no code, no expiry) or that contradicts itself (a
	// service password whose actions servicepass.CheckRules refuses); for
	// a [ServicePassword] the error is a [*FieldError] naming the field.
	ErrInvalidNotice = errors.New("notify: invalid notice")
	// ErrSend reports that a message was not (or may not have been)
	// delivered. The error also wraps the adapter's cause.
	ErrSend = errors.New("notify: send failed")
	// ErrConfig reports an unusable adapter configuration ([NewSMTP]); the
	// error is a [*FieldError] naming the field and the rule.
	ErrConfig = errors.New("notify: invalid configuration")
)

// FieldError is the one typed error for input this package refuses: it
// names the field ("To[0]", "Subject", "Host") and the rule it breaks,
// never the field's content (which may be personal data or thousands of
// characters long). It unwraps to its Kind, [ErrInvalidMessage],
// [ErrInvalidNotice] or [ErrConfig], so errors.Is matches that sentinel.
type FieldError struct {
	// Kind is ErrInvalidMessage, ErrInvalidNotice or ErrConfig.
	Kind error
	// Field names the field: a Message field with its index ("To[1]",
	// "Inline[0]"), a notice field ("ServicePassword.Issued.Actions") or a
	// configuration field ("SMTP Host").
	Field string
	// Rule says what the field breaks.
	Rule string
}

// Error implements error: "<kind>: <field>: <rule>".
func (e *FieldError) Error() string {
	kind := "notify: invalid input"
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", kind, e.Rule)
	}
	return fmt.Sprintf("%s: %s: %s", kind, e.Field, e.Rule)
}

// Unwrap returns Kind.
func (e *FieldError) Unwrap() error { return e.Kind }

func messageError(field, rule string) error {
	return &FieldError{Kind: ErrInvalidMessage, Field: field, Rule: rule}
}

func configError(field, rule string) error {
	return &FieldError{Kind: ErrConfig, Field: field, Rule: rule}
}

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("notify")
