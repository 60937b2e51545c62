// Package secret provides [String], a string that redacts itself wherever it
// might be printed or logged.
//
// Public packages re-export it under a domain name (for example
// enrollment.Passcode) with a type alias, so one implementation guards every
// secret the SDK hands out.
package secret

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// Redacted is what a [String] prints instead of its value.
const Redacted = "[REDACTED]"

// String holds a secret value. Every fmt verb (%v %+v %#v %s %q %x ...),
// log/slog, encoding/json and encoding.TextMarshaler see only [Redacted];
// the value is reached only through [String.Reveal], so a leak is a visible
// call in code review rather than an accident of formatting.
//
// The zero value is an empty secret.
type String struct {
	v string
}

// New wraps s.
func New(s string) String { return String{v: s} }

// Reveal returns the secret value. Call it only where the value must be shown
// to the person it is for or handed to a device.
func (s String) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.v == "" }

// Len returns the length of the secret in bytes, which is not itself secret
// for fixed-length codes.
func (s String) Len() int { return len(s.v) }

// Equal reports whether s equals t, in time that depends only on the lengths.
func (s String) Equal(t string) bool {
	return subtle.ConstantTimeCompare([]byte(s.v), []byte(t)) == 1
}

// String implements fmt.Stringer.
func (String) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (String) GoString() string { return "secret.String(" + Redacted + ")" }

// Format implements fmt.Formatter so that every verb and flag prints
// [Redacted].
func (String) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte("secret.String(" + Redacted + ")"))
			return
		}
	case 'q':
		_, _ = f.Write([]byte(`"` + Redacted + `"`))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// LogValue implements slog.LogValuer.
func (String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText implements encoding.TextMarshaler; it never emits the value.
func (String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalJSON implements json.Marshaler; it never emits the value.
func (String) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
