package notify

import (
	"mime"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// sanitizeCases are also the seeds of FuzzSanitize.
var sanitizeCases = []struct{ in, want string }{
	{"Pixel 8", "Pixel 8"},
	{"  spaced\t\tout  ", "spaced out"},
	{"line\r\nBcc: evil@example.com", "line Bcc: evil@example[.]com"},
	{"nul\x00byte", "nulbyte"},
	{"bad\xffutf8", "bad\ufffdutf8"},
	{"NEL\u0085and\u2028LS\u2029PS", "NEL and LS PS"},
	{"nbsp\u00a0ideographic\u3000space", "nbsp ideographic space"},
	// Bidi controls and other format characters (Cf) are removed.
	{"abc\u202Egpj.exe", "abcgpj[.]exe"},
	{"\u2066iso\u2069", "iso"},
	{"\u200Fx\u200E\u061C", "x"},
	{"scan\u200Bner", "scanner"},
	{"zw\u200Cn\u200Dj\u2060", "zwnj"},
	{"\ufeffBOM", "BOM"},
	{"soft\u00ADhyphen", "softhyphen"},
	{"tag\U000E0041\U000E0042\U000E007F", "tag"},
	{"mongolian\u180Evs", "mongolianvs"},
	{"hangul\u3164filler\u115F", "hangulfiller"},
	{"cgj\u034Fx", "cgjx"},
	{"nonchar\uFFFE\U0010FFFF", "nonchar"},
	// RFC 2047 encoded-words are broken, also when a removed character
	// hid the "=?".
	{"=?UTF-8?B?4oCuZXhlLnBkZg==?=", "= ?UTF-8?B?4oCuZXhlLnBkZg== ?="},
	{"=?UTF-8?Q?x=0D=0ABcc:evil@example.com?=", "= ?UTF-8?Q?x=0D=0ABcc[:]evil@example[.]com?="},
	{"=\u200B?utf-8?q?=E2=80=AE?=", "= ?utf-8?q?=E2=80=AE?="},
	{"=?=?", "= ?= ?"},
	// URLs and host names are defanged.
	{"https://evil.example/login", "hxxps[://]evil[.]example/login"},
	{"HTTP://EVIL.EXAMPLE", "HXXP[://]EVIL[.]EXAMPLE"},
	{"ftp://files.example", "fxp[://]files[.]example"},
	{"javascript://x", "javascript[://]x"},
	{"ht\u200Btps://evil.example", "hxxps[://]evil[.]example"},
	{"www.evil.example", "www[.]evil[.]example"},
	{"evil\u3002example evil\uff0eexample evil\uff61example", "evil[.]example evil[.]example evil[.]example"},
	// IP-address hosts, schemes without "//", protocol-relative links and
	// UNC paths (issue 27).
	{"http://203.0.113.7/login", "hxxp[://]203[.]0[.]113[.]7/login"},
	{"file://203.0.113.7/c$/x", "file[://]203[.]0[.]113[.]7/c$/x"},
	{"smb://203.0.113.7/share", "smb[://]203[.]0[.]113[.]7/share"},
	{"//203.0.113.7/login", "[//]203[.]0[.]113[.]7/login"},
	{"see //evil.example", "see [//]evil[.]example"},
	{`\\203.0.113.7\share`, `[\\]203[.]0[.]113[.]7\share`},
	{`\\fileserver\share`, `[\\]fileserver\share`},
	{"mailto:x@evil.com", "mailto[:]x@evil[.]com"},
	{"MAILTO:x@evil", "MAILTO[:]x@evil"},
	{"tel:+15550100", "tel[:]+15550100"},
	{"javascript:alert(1)", "javascript[:]alert(1)"},
	{"http:203.0.113.7", "hxxp[:]203[.]0[.]113[.]7"},
	{"203\u30020\uff0e113\uff617", "203[.]0[.]113[.]7"},
	{"Scanner v1.2 at 203.0.113.7", "Scanner v1.2 at 203[.]0[.]113[.]7"},
	{"Scanner v1.2 at 10:00, Bcc: x", "Scanner v1.2 at 10:00, Bcc: x"},
	// Already defanged text stays as it is (idempotence).
	{"hxxps[://]evil[.]example [//]x [\\]y mailto[:]z", "hxxps[://]evil[.]example [//]x [\\]y mailto[:]z"},
	{"Mr. Smith.", "Mr. Smith."},
	{"", ""},
	{"\u200B\u00AD\r\n", ""},
}

func TestSanitizeTable(t *testing.T) {
	for _, tc := range sanitizeCases {
		if got := sanitize(tc.in, MaxName); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSanitizeCapsLength(t *testing.T) {
	long := strings.Repeat("ab", MaxName)
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{long, MaxName, long[:MaxName-1] + "…"},
		{long, MaxSubjectName, long[:MaxSubjectName-1] + "…"},
		{long[:MaxSubjectName], MaxSubjectName, long[:MaxSubjectName]},
		{strings.Repeat("é", 300), MaxSubjectName, strings.Repeat("é", MaxSubjectName-1) + "…"},
		// No space left before the ellipsis.
		{strings.Repeat("a", MaxSubjectName-2) + " bcdef", MaxSubjectName, strings.Repeat("a", MaxSubjectName-2) + "…"},
	}
	for _, tc := range cases {
		got := sanitize(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("sanitize(%.20q…, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); n > tc.max {
			t.Errorf("sanitize(%.20q…, %d) has %d characters", tc.in, tc.max, n)
		}
	}
}

// unsafeRune is the test's own statement of what must never reach a
// header or a body line from a name, written from the Unicode categories
// rather than from the package's predicate.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Zl, r) ||
		unicode.Is(unicode.Zp, r) ||
		(r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// schemeColon matches a URI scheme (RFC 3986: a letter, then letters,
// digits, "+", "-" or "."; two characters at least, so "C:" stays) with
// something other than a space after its colon: what autolinkers turn into
// "mailto:", "tel:", "javascript:" or "file:" links.
var schemeColon = regexp.MustCompile(`(^|[^A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]+:[^\s]`)

// dottedQuad matches an IPv4 address, also spelled with the dots IDNA
// reads as one.
var dottedQuad = regexp.MustCompile(`[0-9]+[.\x{3002}\x{ff0e}\x{ff61}][0-9]+[.\x{3002}\x{ff0e}\x{ff61}][0-9]+[.\x{3002}\x{ff0e}\x{ff61}][0-9]+`)

// linkable says what in s (a subject or a body rendered from a hostile
// name of wire_test.go's corpus) a mail client could turn into a link, or
// returns "".
func linkable(s string) string {
	unmarked := strings.NewReplacer("[://]", "", "[//]", "", `[\\]`, "").Replace(s)
	for _, bad := range []string{"evil.example", "203.0.113.7", "://", "//203", `\\`, "mailto:", "file:", "smb:"} {
		if strings.Contains(unmarked, bad) {
			return bad
		}
	}
	return ""
}

// checkSanitized asserts the properties sanitize promises for any input.
func checkSanitized(in, out string, max int) string {
	var dec mime.WordDecoder
	switch {
	case !utf8.ValidString(out):
		return "invalid UTF-8"
	case strings.ContainsFunc(out, unsafeRune):
		return "control, format or bidi character"
	case utf8.RuneCountInString(out) > max:
		return "too long"
	case strings.Contains(out, "=?"):
		return "encoded-word opener"
	case strings.Contains(strings.ReplaceAll(out, "[://]", ""), "://"):
		return "URL scheme"
	case strings.Contains(strings.NewReplacer("[://]", "", "[//]", "").Replace(out), "//"):
		return "protocol-relative link"
	case strings.Contains(strings.ReplaceAll(out, `[\\]`, ""), `\\`):
		return "UNC path"
	case schemeColon.MatchString(out):
		return "scheme"
	case dottedQuad.MatchString(out):
		return "IP address"
	case strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  "):
		return "untrimmed space"
	}
	if d, err := dec.DecodeHeader(out); err == nil && d != out {
		return "decodes as an encoded-word"
	}
	if sanitize(out, max) != out {
		return "not idempotent"
	}
	return ""
}

// TestSanitizeProperty: for all inputs, the result is valid UTF-8 of at
// most the limit, without control, format or bidi characters, without an
// encoded-word or a URL scheme, and sanitizing it again changes nothing.
func TestSanitizeProperty(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 1000
	properties := gopter.NewProperties(params)
	pieces := gen.SliceOf(gen.OneConstOf("=", "?", "=?", "?=", "UTF-8", "B", "Q", "4oCu", "://", "http", "s", "www", ".", "/", "//", `\\`, ":", "mailto", "[", "]", "203", "0", "7",
		"\u3002", "example", "com", "\u202e", "\u200b", "\u00ad", "\U000E0041", "\ufeff", "\r\n", "\x00", "\x85",
		" ", "\t", "é", "1", "\xff")).Map(func(p []string) string { return strings.Join(p, "") })
	properties.Property("sanitized text is safe", prop.ForAll(
		func(s string, max int) bool {
			if why := checkSanitized(s, sanitize(s, max), max); why != "" {
				t.Logf("sanitize(%q, %d) = %q: %s", s, max, sanitize(s, max), why)
				return false
			}
			return true
		},
		gen.OneGenOf(gen.AnyString(), pieces),
		gen.IntRange(1, MaxName),
	))
	properties.TestingRun(t)
}

func FuzzSanitize(f *testing.F) {
	for _, tc := range sanitizeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, max := range []int{MaxSubjectName, MaxName} {
			if why := checkSanitized(s, sanitize(s, max), max); why != "" {
				t.Fatalf("sanitize(%q, %d) = %q: %s", s, max, sanitize(s, max), why)
			}
		}
	})
}

func BenchmarkSanitize(b *testing.B) {
	for _, in := range []string{"Warehouse scanner 7", "=?UTF-8?B?4oCuZXhlLnBkZg==?= https://evil.example/\u202e" + strings.Repeat("x", 200)} {
		b.Run(in[:8], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = sanitize(in, MaxSubjectName)
			}
		})
	}
}
