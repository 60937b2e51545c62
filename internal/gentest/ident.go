package gentest

import "strings"

// Ident is one identifier of the corpus the conformance suites send through
// a service boundary, with a name for test output (the value itself may be
// unprintable).
type Ident struct {
	Name  string
	Value string
}

// BadIdents returns identifiers that internal/ident refuses for a bound of
// max bytes: empty, over-long (ASCII and multi-byte), NUL and other C0
// controls, DEL, C1 controls, broken UTF-8, surrogates, invisible formatting
// characters and noncharacters. Every service must refuse each of them with
// its typed identifier error before calling its Store, so that every
// backend answers alike.
func BadIdents(max int) []Ident {
	return []Ident{
		{"empty", ""},
		{"one byte too long", strings.Repeat("s", max+1)},
		{"multi-byte, too long", strings.Repeat("ż", max/2) + "x"},
		{"NUL", "a\x00b"},
		{"only NUL", "\x00"},
		{"line break", "a\r\nb"},
		{"tab", "a\tb"},
		{"escape sequence", "a\x1b[31mb"},
		{"DEL", "a\x7fb"},
		{"C1 NEL", "a\u0085b"},
		{"C1 CSI", "a\u009bb"},
		{"invalid byte", "a\xffb"},
		{"truncated sequence", "a\xc3"},
		{"overlong encoding", "a\xc0\xafb"},
		{"surrogate", "a\xed\xa0\x80b"},
		{"right-to-left override", "site\u202efdp.exe"},
		{"zero-width space", "a\u200bb"},
		{"byte order mark", "\ufeffsite"},
		{"soft hyphen", "a\u00adb"},
		{"tag character", "a\U000E0041b"},
		{"noncharacter", "a\uffffb"},
	}
}

// GoodIdents returns identifiers that internal/ident accepts for a bound of
// max bytes (at least 8) and that every backend must store and return
// byte for byte: the longest allowed, in ASCII and in 2- and 4-byte
// characters, scripts other than Latin, quotes and SQL metacharacters, and
// a genuine U+FFFD.
func GoodIdents(max int) []Ident {
	return []Ident{
		{"longest ASCII", strings.Repeat("a", max)},
		{"longest 2-byte", strings.Repeat("ż", max/2)},
		{"longest 4-byte", strings.Repeat("🏢", max/4)},
		{"one byte", "x"},
		{"spaces inside", "Site Zürich 01"},
		{"CJK", "東京本社"},
		{"SQL metacharacters", `o'brien"; DROP TABLE x; --%_\`},
		{"replacement character", "a\ufffdb"},
	}
}
