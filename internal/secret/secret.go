// Package secret provides [String], [Bytes] and [Keys], values that redact
// themselves wherever they might be printed or logged.
//
// Public packages re-export them under a domain name (for example
// enrollment.Passcode, enrollment.Keys) with a type alias, so one
// implementation guards every secret the SDK hands out or takes in.
//
// # Why the value sits behind a pointer
//
// fmt calls a value's Format, String or GoString method only while it can
// reach the value as an interface. A value it reaches through an unexported
// struct field is printed by reflection with no method called, and so is
// everything below a pointer printed under a verb the pointer does not take
// (%s or %q of a struct holding a *Config: fmt then prints "%!s(...)" with
// all methods off, dereferencing a pointer to a map, slice or struct once).
// All three types therefore keep their contents behind a pointer that fmt
// prints as an address on every such path (a *string; for Bytes and Keys a
// pointer to a pointer), so no path through fmt shows them; the methods cover the top
// level, exported fields, log/slog and encoding/json.
package secret

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
)

// Redacted is what a [String] prints instead of its value.
const Redacted = "[REDACTED]"

// String holds a secret value. Every fmt verb (%v %+v %#v %s %q %x ...),
// log/slog, encoding/json and encoding.TextMarshaler see only [Redacted];
// the value is reached only through [String.Reveal], so a leak is a visible
// call in code review rather than an accident of formatting.
//
// The zero value is an empty secret. Compare secrets with [String.Equal]:
// == compares identity, not the value.
type String struct {
	// p points at the value, so that fmt walking a struct by reflection
	// (through an unexported field, where it calls no method) prints an
	// address rather than the text.
	p *string
}

// New wraps s.
func New(s string) String {
	if s == "" {
		return String{}
	}
	return String{p: &s}
}

// Reveal returns the secret value. Call it only where the value must be shown
// to the person it is for or handed to a device.
func (s String) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.p == nil || *s.p == "" }

// Len returns the length of the secret in bytes, which is not itself secret
// for fixed-length codes.
func (s String) Len() int { return len(s.Reveal()) }

// Equal reports whether s equals t, in time that depends only on the lengths.
func (s String) Equal(t string) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(t)) == 1
}

// String implements fmt.Stringer.
func (String) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (String) GoString() string { return "secret.String(" + Redacted + ")" }

// Format implements fmt.Formatter so that every verb and flag prints
// [Redacted].
func (String) Format(f fmt.State, verb rune) { format(f, verb, "secret.String("+Redacted+")") }

// LogValue implements slog.LogValuer.
func (String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText implements encoding.TextMarshaler; it never emits the value.
func (String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalJSON implements json.Marshaler; it never emits the value.
func (String) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// Bytes holds secret raw bytes: an image that shows a credential (the PNG
// of a code's QR symbol), or data a message carries that may. Every fmt
// verb, log/slog and encoding/json see only [Redacted] (%#v adds the
// length: secret.Bytes(len=123, [REDACTED])); the bytes are reached only
// through [Bytes.Reveal].
//
// A Bytes is immutable: [NewBytes] copies its argument and [Bytes.Reveal]
// returns a copy, so neither the caller's slice nor a revealed one aliases
// the held bytes. The zero value holds no bytes.
type Bytes struct {
	// p points at a pointer to the slice, for the reason given on Keys.p.
	p **[]byte
}

// NewBytes copies b into a Bytes. An empty b gives the zero Bytes.
func NewBytes(b []byte) Bytes {
	if len(b) == 0 {
		return Bytes{}
	}
	c := append([]byte(nil), b...)
	pc := &c
	return Bytes{p: &pc}
}

// Reveal returns a copy of the bytes (nil for the zero Bytes). Call it only
// where the bytes must be handed on: attached to the mail for the person
// they are for, written to the file asked for.
func (b Bytes) Reveal() []byte {
	if b.p == nil {
		return nil
	}
	return append([]byte(nil), (**b.p)...)
}

// Len returns the number of bytes, which is not itself secret (it is shown
// as the size of a mail attachment).
func (b Bytes) Len() int {
	if b.p == nil {
		return 0
	}
	return len(**b.p)
}

// IsZero reports whether b holds no bytes.
func (b Bytes) IsZero() bool { return b.Len() == 0 }

// String implements fmt.Stringer.
func (Bytes) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (b Bytes) GoString() string {
	return "secret.Bytes(len=" + strconv.Itoa(b.Len()) + ", " + Redacted + ")"
}

// Format implements fmt.Formatter so that every verb and flag prints
// [Redacted] (the length too under %#v).
func (b Bytes) Format(f fmt.State, verb rune) { format(f, verb, b.GoString()) }

// LogValue implements slog.LogValuer.
func (Bytes) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText implements encoding.TextMarshaler; it never emits the bytes.
func (Bytes) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalJSON implements json.Marshaler; it never emits the bytes.
func (Bytes) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// Keys is a set of keys by key ID (peppers, sealing keys), as a host
// configures them: build it with [NewKeys]. Every fmt verb, log/slog and
// encoding/json show only the key IDs and [Redacted]
// (map[1:[REDACTED] 2:[REDACTED]]), never a key byte; like [String] it
// keeps the keys behind a pointer, so fmt walking a struct by reflection
// prints an address.
//
// The zero value holds no keys.
type Keys struct {
	// p points at a pointer to the map: fmt's error path for a verb a
	// pointer does not take (%!s(...)) dereferences a pointer to a map,
	// slice or struct and prints it with every method off, but prints a
	// pointer to a pointer as an address.
	p **map[uint8][]byte
}

// NewKeys copies m (the map and every key) into a Keys. A nil m gives the
// zero Keys; an empty non-nil m gives a Keys that is not zero but holds no
// key, so that a service can tell "not configured" from "configured empty".
func NewKeys(m map[uint8][]byte) Keys {
	if m == nil {
		return Keys{}
	}
	c := make(map[uint8][]byte, len(m))
	for id, k := range m {
		c[id] = append([]byte(nil), k...)
	}
	pc := &c
	return Keys{p: &pc}
}

// IsZero reports whether k was never set (the zero Keys, or NewKeys(nil)).
func (k Keys) IsZero() bool { return k.p == nil }

// Len returns the number of keys.
func (k Keys) Len() int {
	if k.p == nil {
		return 0
	}
	return len(**k.p)
}

// Reveal returns a copy of the keys (nil for the zero Keys), for the
// mechanism that uses them (an HMAC, an AEAD); never print it.
func (k Keys) Reveal() map[uint8][]byte {
	if k.p == nil {
		return nil
	}
	c := make(map[uint8][]byte, len(**k.p))
	for id, key := range **k.p {
		c[id] = append([]byte(nil), key...)
	}
	return c
}

func (k Keys) ids() []int {
	if k.p == nil {
		return nil
	}
	ids := make([]int, 0, len(**k.p))
	for id := range **k.p {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	return ids
}

// redacted returns the key IDs in order, each mapped to [Redacted].
func (k Keys) redacted() string {
	b := []byte("map[")
	for i, id := range k.ids() {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, ":"+Redacted...)
	}
	return string(append(b, ']'))
}

// String implements fmt.Stringer.
func (k Keys) String() string { return k.redacted() }

// GoString implements fmt.GoStringer.
func (k Keys) GoString() string { return "secret.Keys(" + k.redacted() + ")" }

// Format implements fmt.Formatter so that every verb and flag prints the key
// IDs and [Redacted] only.
func (k Keys) Format(f fmt.State, verb rune) { format(f, verb, k.GoString(), k.redacted()) }

// LogValue implements slog.LogValuer.
func (k Keys) LogValue() slog.Value { return slog.StringValue(k.redacted()) }

// MarshalJSON implements json.Marshaler: an object of key IDs, each
// "[REDACTED]".
func (k Keys) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, id := range k.ids() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, `":"`+Redacted+`"`...)
	}
	return append(b, '}'), nil
}

// format writes what a redacting type prints for verb: goSyntax for %#v,
// text quoted for %q and text (Redacted by default) for everything else,
// whatever the flags and width.
func format(f fmt.State, verb rune, goSyntax string, text ...string) {
	t := Redacted
	if len(text) > 0 {
		t = text[0]
	}
	switch {
	case verb == 'v' && f.Flag('#'):
		t = goSyntax
	case verb == 'q':
		t = strconv.Quote(t)
	}
	_, _ = f.Write([]byte(t))
}
