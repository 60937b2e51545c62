package secret

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// Uint64 holds a secret integer: a truncated MAC, which with the fields it
// authenticates is the credential. Every fmt verb, log/slog and
// encoding/json see only [Redacted]; the value is reached only through
// [Uint64.Reveal]. The zero value holds 0. Compare with [Uint64.Equal]: ==
// compares identity, not the value.
type Uint64 struct {
	// p points at the value, for the reason given on String.p.
	p *uint64
}

// NewUint64 wraps v.
func NewUint64(v uint64) Uint64 { return Uint64{p: &v} }

// Reveal returns the value.
func (u Uint64) Reveal() uint64 {
	if u.p == nil {
		return 0
	}
	return *u.p
}

// Equal reports whether u holds v, in constant time.
func (u Uint64) Equal(v uint64) bool {
	return subtle.ConstantTimeEq(int32(u.Reveal()>>32), int32(v>>32))&subtle.ConstantTimeEq(int32(u.Reveal()), int32(v)) == 1
}

// String implements fmt.Stringer.
func (Uint64) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (Uint64) GoString() string { return "secret.Uint64(" + Redacted + ")" }

// Format implements fmt.Formatter so that every verb and flag prints
// [Redacted].
func (Uint64) Format(f fmt.State, verb rune) { format(f, verb, "secret.Uint64("+Redacted+")") }

// LogValue implements slog.LogValuer.
func (Uint64) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText implements encoding.TextMarshaler; it never emits the value.
func (Uint64) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalJSON implements json.Marshaler; it never emits the value.
func (Uint64) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
