package ident

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want error
	}{
		{"plain", "site-1", 0, nil},
		{"email", "admin@example.com", 0, nil},
		{"unicode letters", "Zażółć gęślą jaźń", 0, nil},
		{"replacement char itself", "a\uFFFDb", 0, nil},
		{"at default max", strings.Repeat("a", MaxLen), 0, nil},
		{"at explicit max", "abcd", 4, nil},
		{"empty", "", 0, ErrEmpty},
		{"over default max", strings.Repeat("a", MaxLen+1), 0, ErrTooLong},
		{"over explicit max", "abcde", 4, ErrTooLong},
		{"NUL", "a\x00b", 0, ErrControl},
		{"CR LF", "a\r\nBcc: x", 0, ErrControl},
		{"tab", "a\tb", 0, ErrControl},
		{"DEL", "a\x7fb", 0, ErrControl},
		{"C1 NEL", "a\u0085b", 0, ErrControl},
		{"C1 CSI", "a\u009bb", 0, ErrControl},
		// The edges of the control ranges (gremlins maps no coverage to
		// case conditions, so these boundaries are pinned here).
		{"last C0", "a\x1fb", 0, ErrControl},
		{"space", "a b", 0, nil},
		{"tilde, last before DEL", "a~b", 0, nil},
		{"first C1", "a\u0080b", 0, ErrControl},
		{"last C1", "a\u009fb", 0, ErrControl},
		{"NBSP, first after C1", "a\u00a0b", 0, nil},
		{"last noncharacter block", "a\uFDEFb", 0, ErrFormat},
		{"after the noncharacter block", "a\uFDF0b", 0, nil},
		{"noncharacter in plane 16", "a\U0010FFFFb", 0, ErrFormat},
		{"invalid UTF-8", "a\xffb", 0, ErrUTF8},
		{"truncated UTF-8", "a\xc3", 0, ErrUTF8},
		{"surrogate bytes", "a\xed\xa0\x80", 0, ErrUTF8},
		{"RLO", "a\u202Eexe.pdf", 0, ErrFormat},
		{"zero width space", "a\u200Bb", 0, ErrFormat},
		{"zero width joiner", "a\u200Db", 0, ErrFormat},
		{"soft hyphen", "a\u00ADb", 0, ErrFormat},
		{"BOM", "\uFEFFa", 0, ErrFormat},
		{"tag character", "a\U000E0041b", 0, ErrFormat},
		{"LRI", "a\u2066b", 0, ErrFormat},
		{"noncharacter", "a\uFFFEb", 0, ErrFormat},
		{"noncharacter block", "a\uFDD0b", 0, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.in, tt.max)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check(%q) = %v, want %v", tt.in, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check(%q) = %T, want *Error", tt.in, err)
			}
			if strings.Contains(err.Error(), tt.in) && len(tt.in) > 3 {
				t.Fatalf("error %q repeats the identifier", err)
			}
		})
	}
}

// TestCheckProperty: for all strings, Check accepts exactly the non-empty,
// bounded, valid UTF-8 strings with no control, format or noncharacter rune.
func TestCheckProperty(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 2000
	p := gopter.NewProperties(params)
	model := func(s string) bool {
		if s == "" || len(s) > MaxLen || !utf8.ValidString(s) {
			return false
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || isNonchar(r) {
				return false
			}
		}
		return true
	}
	p.Property("Check agrees with the model", prop.ForAll(
		func(s string) bool { return (Check(s, 0) == nil) == model(s) },
		gen.OneGenOf(gen.AnyString(), gen.AlphaString(), gen.UnicodeString(unicode.Cf)),
	))
	p.TestingRun(t)
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "a", "a\x00", "a\u202e", "a\u0085", "\xff", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s, 0)
		if err == nil {
			if s == "" || len(s) > MaxLen || !utf8.ValidString(s) {
				t.Fatalf("accepted %q", s)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not *Error", err)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	s := "device-0123456789abcdef@example.com"
	b.ReportAllocs()
	for b.Loop() {
		if Check(s, 0) != nil {
			b.Fatal("refused")
		}
	}
}
