// Package ident checks the identifiers that reach a service boundary (site,
// user, device, actor and admin names) with one rule, so that every backend
// accepts and refuses the same values: 1 to a bounded number of bytes of
// valid UTF-8 holding no control character (C0, DEL or C1), no Unicode
// format character (category Cf: zero-width, bidi controls, soft hyphen, tag
// characters) and no noncharacter or unpaired surrogate.
//
// The packages wrap the returned reason in their own typed errors; the
// reasons are sentinels so that tests and hosts can tell them apart.
package ident

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the default bound, in bytes, for an identifier.
const MaxLen = 256

// The reasons an identifier is refused.
var (
	ErrEmpty   = errors.New("empty")
	ErrTooLong = errors.New("too long")
	ErrUTF8    = errors.New("not valid UTF-8")
	ErrControl = errors.New("holds a control character")
	ErrFormat  = errors.New("holds an invisible formatting character")
)

// Error says why an identifier was refused. It matches its Reason with
// errors.Is. It never holds the identifier itself (it may be hostile or
// long), only its length and the offending position.
type Error struct {
	Reason error // one of the Err sentinels of this package
	Len    int   // the identifier's length in bytes
	Max    int   // the bound it was checked against
	At     int   // byte offset of the offending rune, or -1
}

func (e *Error) Error() string {
	switch {
	case e.Reason == ErrTooLong:
		return fmt.Sprintf("%v: %d bytes, at most %d", e.Reason, e.Len, e.Max)
	case e.At >= 0:
		return fmt.Sprintf("%v at byte %d", e.Reason, e.At)
	}
	return e.Reason.Error()
}

func (e *Error) Unwrap() error { return e.Reason }

// Check reports whether s is an acceptable identifier of at most max bytes
// (MaxLen when max <= 0). It returns nil or an *Error.
func Check(s string, max int) error {
	if max <= 0 {
		max = MaxLen
	}
	switch {
	case s == "":
		return &Error{Reason: ErrEmpty, Max: max, At: -1}
	case len(s) > max:
		return &Error{Reason: ErrTooLong, Len: len(s), Max: max, At: -1}
	}
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			return &Error{Reason: ErrUTF8, Len: len(s), Max: max, At: i}
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return &Error{Reason: ErrControl, Len: len(s), Max: max, At: i}
		case r < 0x80:
			// Printable ASCII: no table lookups on the common path.
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) || isNonchar(r):
			return &Error{Reason: ErrFormat, Len: len(s), Max: max, At: i}
		}
	}
	return nil
}

// validAt reports whether the RuneError at s[i] is a genuine U+FFFD.
func validAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3
}

// isNonchar reports the Unicode noncharacters (U+FDD0..U+FDEF and the last
// two code points of every plane), which have no business in a name.
func isNonchar(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}
