package notify

import (
	"errors"
	"fmt"

	"github.com/mdmcred/mdmcred/internal/nilctx"
)

// Errors a caller branches on. Match them with errors.Is. Every input this
// package refuses (a Message field, a notice field, a configuration field)
// is a [*FieldError] naming the field and the rule; configuration
// refusals ([NewSMTP], [NewOutbox], [NewNotifier], an adapter without its
// Notifier) match no sentinel: they are fixed in code, not branched on.
var (
	// ErrInvalidMessage reports a Message that cannot be sent as it is: no
	// recipient, an unparsable or over-long address, a subject with a line
	// break, an invisible character or an RFC 2047 encoded-word, a header
	// line over 998 octets, an inline part without Content-ID, no body.
	// Every [Mailer] adapter refuses such a message with it, sending
	// nothing. The error is a [*FieldError] naming the Message field
	// ("To[1]", "Subject").
	ErrInvalidMessage = errors.New("notify: invalid message")
	// ErrInvalidNotice reports a notice that lacks what its email needs (no
	// recipient, no code, no expiry), holds a recipient the email cannot
	// carry, or contradicts itself (a service password whose actions
	// servicepass.CheckRules refuses). Nothing was sent and retrying the
	// same notice cannot help, unlike [ErrSend]. The error is a
	// [*FieldError] naming the notice field ("PasscodeReset.To[0]",
	// "ServicePassword.Issued.Actions").
	ErrInvalidNotice = errors.New("notify: invalid notice")
	// ErrSend reports that a message was not (or may not have been)
	// delivered. The error also wraps the adapter's cause.
	ErrSend = errors.New("notify: send failed")
)

// FieldError is the one typed error for input this package refuses: it
// names the field by its path from the value the caller passed
// ("PasscodeReset.To[0]", "Subject", "SMTPConfig.Host") and the rule it
// breaks, never the field's content (which may be personal data, a
// credential or thousands of characters). It unwraps to its Kind, so
// errors.Is matches [ErrInvalidMessage] or [ErrInvalidNotice]; a
// configuration refusal has no Kind.
type FieldError struct {
	// Kind is ErrInvalidMessage (a [Message] field), ErrInvalidNotice (a
	// notice field) or nil (a configuration field).
	Kind error
	// Field is the field's path: a Message field with its index ("To[1]",
	// "Inline[0]"), a notice field under the notice's type name
	// ("OneTimePIN.PIN", "ServicePassword.Issued.Actions") or a
	// configuration field under its struct's type name ("SMTPConfig.Host",
	// "NotifierConfig.Mailer", "PasscodeMailer.Notifier").
	Field string
	// Rule says what the field breaks ("no recipient", "negative", "not an
	// RFC 5322 address").
	Rule string
}

// Error implements error: "<kind>: <field>: <rule>", where kind is "notify:
// invalid configuration" for a configuration refusal.
func (e *FieldError) Error() string {
	kind := "notify: invalid configuration"
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

// noticeError names field under the notice's type name.
func noticeError(notice, field, rule string) error {
	return &FieldError{Kind: ErrInvalidNotice, Field: notice + "." + field, Rule: rule}
}

func configError(field, rule string) error {
	return &FieldError{Field: field, Rule: rule}
}

// ErrNilContext is returned by every function and method of this package
// that takes a context when it is given a nil one, before any work. It
// matches the ErrNilContext of every other mdmcred package (see
// CONTRIBUTING.md).
var ErrNilContext = nilctx.New("notify")
