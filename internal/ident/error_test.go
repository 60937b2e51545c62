package ident

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckErrorFields pins every field of the *Error that Check returns and
// the text it prints: the position is -1 when no rune is at fault (empty, too
// long), the byte offset of the offending rune otherwise, and the bound is
// MaxLen when max <= 0.
func TestCheckErrorFields(t *testing.T) {
	long := strings.Repeat("a", MaxLen+1)
	tests := []struct {
		name string
		in   string
		max  int
		want Error
		text string
	}{
		{"empty", "", 0, Error{Reason: ErrEmpty, Len: 0, Max: MaxLen, At: -1}, "empty"},
		{"empty, explicit max", "", 3, Error{Reason: ErrEmpty, Len: 0, Max: 3, At: -1}, "empty"},
		{"empty, negative max", "", -1, Error{Reason: ErrEmpty, Len: 0, Max: MaxLen, At: -1}, "empty"},
		{"too long", long, 0, Error{Reason: ErrTooLong, Len: MaxLen + 1, Max: MaxLen, At: -1}, "too long: 257 bytes, at most 256"},
		{"too long, explicit max", "abcde", 4, Error{Reason: ErrTooLong, Len: 5, Max: 4, At: -1}, "too long: 5 bytes, at most 4"},
		{"control at 0", "\x00", 0, Error{Reason: ErrControl, Len: 1, Max: MaxLen, At: 0}, "holds a control character at byte 0"},
		{"control at 1", "a\x1f", 0, Error{Reason: ErrControl, Len: 2, Max: MaxLen, At: 1}, "holds a control character at byte 1"},
		{"C1 after a two-byte rune", "ż\u0085", 8, Error{Reason: ErrControl, Len: 4, Max: 8, At: 2}, "holds a control character at byte 2"},
		{"bad UTF-8 at 3", "abc\xff", 0, Error{Reason: ErrUTF8, Len: 4, Max: MaxLen, At: 3}, "not valid UTF-8 at byte 3"},
		{"format at 1", "a\u200b", 0, Error{Reason: ErrFormat, Len: 4, Max: MaxLen, At: 1}, "holds an invisible formatting character at byte 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.in, tt.max)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check = %v (%T), want *Error", err, err)
			}
			if *e != tt.want {
				t.Fatalf("Check = %+v, want %+v", *e, tt.want)
			}
			if got := err.Error(); got != tt.text {
				t.Fatalf("Error() = %q, want %q", got, tt.text)
			}
			if !errors.Is(err, tt.want.Reason) || errors.Unwrap(err) != tt.want.Reason {
				t.Fatalf("Check = %v does not unwrap to %v", err, tt.want.Reason)
			}
		})
	}
}

// TestErrorText pins the three shapes of the message on hand-built errors,
// including a reason other than ErrTooLong with no position.
func TestErrorText(t *testing.T) {
	for _, tt := range []struct {
		e    Error
		want string
	}{
		{Error{Reason: ErrTooLong, Len: 9, Max: 8, At: 3}, "too long: 9 bytes, at most 8"},
		{Error{Reason: ErrControl, At: 0}, "holds a control character at byte 0"},
		{Error{Reason: ErrControl, At: -1}, "holds a control character"},
		{Error{Reason: ErrEmpty, At: -1}, "empty"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}
