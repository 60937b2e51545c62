package qr

import (
	"errors"
	"fmt"
)

// ErrEmpty is returned for an empty text: a QR Code needs at least one
// character.
var ErrEmpty = errors.New("qr: empty text")

// ErrTooLarge matches a [*TooLargeError]: the text does not fit the largest
// QR Code (version 40) at the requested level.
var ErrTooLarge = errors.New("qr: text too large")

// ErrInvalidOptions matches an [*OptionError]: a field of [Options] is out of
// range.
var ErrInvalidOptions = errors.New("qr: invalid options")

// ErrUTF8 matches a [*UTF8Error]: the text is not valid UTF-8. QR Codes
// declare no character set here, so decoders read byte-mode text as UTF-8
// (or guess) and would rewrite other bytes.
var ErrUTF8 = errors.New("qr: text is not valid UTF-8")

// ErrEncode is returned if the underlying encoder fails in a way it
// documents as a bug. It is never expected; it exists so that no input can
// make this package panic.
var ErrEncode = errors.New("qr: encoder failed")

// TooLargeError reports a text that does not fit. It matches [ErrTooLarge]
// with errors.Is and never contains the text itself.
type TooLargeError struct {
	// Len is the length of the text in bytes.
	Len int
	// Limit is the largest length a text of this Mode can have at this
	// Level ([Capacity]).
	Limit int
	// Level is the error-correction level that was asked for.
	Level Level
	// Mode is the densest mode that can hold every character of the text.
	Mode Mode
}

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("qr: text too large: %d bytes in %s mode, at most %d at level %s",
		e.Len, e.Mode, e.Limit, e.Level)
}

// Is reports whether target is [ErrTooLarge].
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// OptionError reports an out-of-range field of [Options]. It matches
// [ErrInvalidOptions] with errors.Is.
type OptionError struct {
	// Field is the name of the Options field, e.g. "Size".
	Field string
	// Value is the rejected value (for a colour, its contrast in percent).
	Value int
	// Min and Max are the accepted range of Value when one applies: for a
	// Size too small for the symbol, Min is the smallest Size it accepts.
	// Both are zero when the field has no numeric range.
	Min, Max int
	// Reason says which bound was crossed.
	Reason string
}

// Error implements error.
func (e *OptionError) Error() string {
	return fmt.Sprintf("qr: invalid options: %s %d: %s", e.Field, e.Value, e.Reason)
}

// Is reports whether target is [ErrInvalidOptions].
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// UTF8Error reports a text that is not valid UTF-8. It matches [ErrUTF8]
// with errors.Is and gives only the position, never the bytes.
type UTF8Error struct {
	// Offset is the index of the first byte that does not start a valid
	// UTF-8 sequence.
	Offset int
}

// Error implements error.
func (e *UTF8Error) Error() string {
	return fmt.Sprintf("qr: text is not valid UTF-8: invalid byte at offset %d", e.Offset)
}

// Is reports whether target is [ErrUTF8].
func (e *UTF8Error) Is(target error) bool { return target == ErrUTF8 }
