package enrollmenttest

import (
	"strings"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// ValidShape reports whether s, as is (untrimmed), is 12 characters from
// [0-9A-Za-z] with a digit, a lower- and an upper-case letter. It is written
// independently of the enrollment package's parser, so that properties can
// use it as an oracle.
func ValidShape(s string) bool {
	if len(s) != enrollment.Length {
		return false
	}
	var d, l, u bool
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9':
			d = true
		case c >= 'a' && c <= 'z':
			l = true
		case c >= 'A' && c <= 'Z':
			u = true
		default:
			return false
		}
	}
	return d && l && u
}

func alnumChar() gopter.Gen {
	return gen.IntRange(0, len(enrollment.Alphabet)-1).Map(func(i int) byte { return enrollment.Alphabet[i] })
}

func alnumString(minLen, maxLen int) gopter.Gen {
	return gen.IntRange(minLen, maxLen).FlatMap(func(n any) gopter.Gen {
		return gen.SliceOfN(n.(int), alnumChar()).Map(func(b []byte) string { return string(b) })
	}, nil)
}

// GenPasscode generates well-formed company passcodes, as strings: 12
// characters from [0-9A-Za-z] with a digit, a lower- and an upper-case
// letter. They are well-formed, not any site's passcode: use them to drive
// ErrWrongPasscode paths and host form handling. A passcode shrinks, staying
// well-formed, by replacing characters with '0', 'A' or 'a'.
func GenPasscode() gopter.Gen {
	return gen.SliceOfN(enrollment.Length, alnumChar()).
		Map(func(b []byte) string { return string(b) }).
		SuchThat(ValidShape).
		WithShrinker(gentest.ShrinkerOf(shrinkPasscode))
}

// GenPaddedPasscode generates a well-formed passcode with white space around
// it (spaces, tabs, newlines), which Verify trims. It shrinks to less white
// space and a simpler passcode.
func GenPaddedPasscode() gopter.Gen {
	space := gen.SliceOf(gen.OneConstOf(byte(' '), byte('\t'), byte('\n'), byte('\r'))).
		Map(func(b []byte) string { return string(b) })
	return gopter.CombineGens(space, GenPasscode(), space).Map(func(v []any) string {
		return v[0].(string) + v[1].(string) + v[2].(string)
	}).WithShrinker(gentest.ShrinkerOf(shrinkPadded))
}

// GenMalformed generates inputs that are not company passcodes even after
// trimming: wrong length, a character outside [0-9A-Za-z] inside, or a
// missing class (no digit, no lower, no upper case). Verify answers them
// with ErrMalformed. An input shrinks, staying malformed, to a shorter one
// of '0's.
func GenMalformed() gopter.Gen {
	bad := gen.OneConstOf("-", "_", " ", "!", "é", "\x00", "\xff", "О" /* Cyrillic O */, "٣" /* Arabic-Indic 3 */)
	return gen.OneGenOf(
		// Wrong length.
		alnumString(0, enrollment.Length-1),
		alnumString(enrollment.Length+1, 3*enrollment.Length),
		// A bad character somewhere inside a 12-character passcode.
		gopter.CombineGens(GenPasscode(), gen.IntRange(1, enrollment.Length-1), bad).Map(func(v []any) string {
			s, i, c := v[0].(string), v[1].(int), v[2].(string)
			return s[:i] + c + s[i+1:]
		}),
		// A missing class.
		gen.SliceOfN(enrollment.Length, gen.OneConstOf(classBytes("0123456789abcdefghijklmnopqrstuvwxyz")...)).Map(bytesString),
		gen.SliceOfN(enrollment.Length, gen.OneConstOf(classBytes("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")...)).Map(bytesString),
		gen.SliceOfN(enrollment.Length, gen.OneConstOf(classBytes("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")...)).Map(bytesString),
	).SuchThat(func(s string) bool { return !ValidShape(strings.TrimSpace(s)) }).
		WithShrinker(gentest.ShrinkerOf(shrinkMalformed))
}

// GenSite generates site identifiers the service accepts: identifiers (a
// lower-case letter, then letters and digits). They shrink to shorter
// identifiers of 'a's.
func GenSite() gopter.Gen {
	return gen.Identifier().SuchThat(func(s string) bool { return len(s) <= enrollment.MaxSiteLen }).
		WithShrinker(gentest.ShrinkerOf(shrinkIdentifier))
}

// GenAdmin generates admin email addresses the service accepts: an
// identifier at example.com, corp.example or example.org. They shrink to a
// shorter local part of 'a's at example.com.
func GenAdmin() gopter.Gen {
	return gopter.CombineGens(gen.Identifier(), gen.OneConstOf("example.com", "corp.example", "example.org")).
		Map(func(v []any) string { return v[0].(string) + "@" + v[1].(string) }).
		WithShrinker(gentest.ShrinkerOf(shrinkAdmin))
}

func classBytes(s string) []any {
	out := make([]any, len(s))
	for i := range len(s) {
		out[i] = s[i]
	}
	return out
}

func bytesString(b []byte) string { return string(b) }
