package enrollment_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/mdmcred/mdmcred/enrollment"
	"github.com/mdmcred/mdmcred/enrollment/enrollmenttest"
)

var parseTests = []struct {
	name, in, want string // want "" means malformed
	reason         string
}{
	{"plain", "aB3dE5gH7jK9", "aB3dE5gH7jK9", ""},
	{"surrounding space trimmed", "  aB3dE5gH7jK9\t\n", "aB3dE5gH7jK9", ""},
	{"unicode space trimmed", "\u00a0aB3dE5gH7jK9\u2003", "aB3dE5gH7jK9", ""},
	{"one of each class", "a1BBBBBBBBBB", "a1BBBBBBBBBB", ""},
	{"case kept", "AB3DE5GH7JKz", "AB3DE5GH7JKz", ""},
	{"empty", "", "", "length 0, want 12"},
	{"only space", "     ", "", "length 0, want 12"},
	{"short", "aB3dE5gH7jK", "", "length 11, want 12"},
	{"long", "aB3dE5gH7jK9x", "", "length 13, want 12"},
	{"inner space", "aB3dE 5gH7jK", "", "character 6 is not a letter or digit"},
	{"hyphen", "aB3d-E5gH7jK", "", "character 5 is not a letter or digit"},
	{"non-ASCII letter", "aB3dE5gH7jé", "", "character 11 is not a letter or digit"},
	{"NUL", "aB3dE5gH7jK\x00", "", "character 12 is not a letter or digit"},
	{"invalid UTF-8", "aB3dE5gH7j\xff\xfe", "", "character 11 is not a letter or digit"},
	{"no digit", "aBcdEfgHijKl", "", "no digit"},
	{"no lower", "AB3DE5GH7JK9", "", "no lower-case letter"},
	{"no upper", "ab3de5gh7jk9", "", "no upper-case letter"},
	{"huge", strings.Repeat(" ", enrollment.MaxInputLen) + "aB3dE5gH7jK9", "", "input longer than 256 bytes"},
	{"exactly MaxInputLen bytes", strings.Repeat(" ", enrollment.MaxInputLen-12) + "aB3dE5gH7jK9", "aB3dE5gH7jK9", ""},
	{"one byte over MaxInputLen", strings.Repeat(" ", enrollment.MaxInputLen-11) + "aB3dE5gH7jK9", "", "input longer than 256 bytes"},
}

func TestParsePasscode(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := enrollment.ParsePasscode(tt.in)
			if tt.want != "" {
				if err != nil || got.Reveal() != tt.want {
					t.Fatalf("ParsePasscode = %v, %v; want the passcode", got.Reveal(), err)
				}
				return
			}
			var me *enrollment.MalformedError
			if !errors.Is(err, enrollment.ErrMalformed) || !errors.As(err, &me) || me.Reason != tt.reason {
				t.Fatalf("ParsePasscode err = %v, want MalformedError %q", err, tt.reason)
			}
			if strings.TrimSpace(tt.in) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Fatalf("error %q holds the input", err)
			}
			if !got.IsZero() {
				t.Fatal("a passcode came back with the error")
			}
		})
	}
}

func FuzzParsePasscode(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := enrollment.ParsePasscode(in)
		valid := len(in) <= enrollment.MaxInputLen && enrollmenttest.ValidShape(strings.TrimSpace(in))
		if valid != (err == nil) {
			t.Fatalf("ParsePasscode(%q) err = %v, oracle says valid=%v", in, err, valid)
		}
		if err != nil && !errors.Is(err, enrollment.ErrMalformed) {
			t.Fatalf("error %v does not match ErrMalformed", err)
		}
		if err == nil && got.Reveal() != strings.TrimSpace(in) {
			t.Fatalf("got %q", got.Reveal())
		}
	})
}

func TestNewPasscodeFormatProperty(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("every generated passcode has 12 alnum chars with a digit, a lower and an upper", prop.ForAll(
		func(uint8) bool {
			code, err := enrollment.NewPasscode(nil)
			if err != nil {
				return false
			}
			_, perr := enrollment.ParsePasscode(code.Reveal())
			return enrollmenttest.ValidShape(code.Reveal()) && perr == nil
		},
		gen.UInt8(),
	))
	p.TestingRun(t)
}

func TestNewPasscodeRedacts(t *testing.T) {
	code, err := enrollment.NewPasscode(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, code); strings.Contains(s, code.Reveal()) {
			t.Errorf("%s printed the passcode", verb)
		}
	}
}

func TestNewPasscodeReaderErrors(t *testing.T) {
	if _, err := enrollment.NewPasscode(bytes.NewReader([]byte{1, 2, 3})); err == nil {
		t.Fatal("a short reader gave a passcode")
	}
}

// TestUniformPerPosition is a chi-square test per position over 120,000
// passcodes. The class rule makes the expected distribution not flat: a
// position is a digit with probability pDigit (slightly above 10/62,
// because fewer strings lack a digit elsewhere), so expected counts come
// from the exact number of satisfying strings with each class at that
// position.
func TestUniformPerPosition(t *testing.T) {
	const samples = 120000
	var counts [enrollment.Length][256]int
	for range samples {
		code, err := enrollment.NewPasscode(nil)
		if err != nil {
			t.Fatal(err)
		}
		s := code.Reveal()
		for p := range len(s) {
			counts[p][s[p]]++
		}
	}
	pDigit, pLower, pUpper := classProbabilities(t, enrollment.Length)
	if math.Abs(pDigit+pLower+pUpper-1) > 1e-12 || pDigit <= 10.0/62 {
		t.Fatalf("class probabilities %v %v %v", pDigit, pLower, pUpper)
	}
	for p := range enrollment.Length {
		chi := 0.0
		for _, c := range []byte(enrollment.Alphabet) {
			var e float64
			switch {
			case c <= '9':
				e = pDigit / 10 * samples
			case c >= 'a':
				e = pLower / 26 * samples
			default:
				e = pUpper / 26 * samples
			}
			d := float64(counts[p][c]) - e
			chi += d * d / e
		}
		// 61 degrees of freedom: the p = 0.0001 critical value is 112.3, so
		// all 12 positions pass a sound generator with probability > 0.998.
		if chi > 112.3 {
			t.Errorf("position %d: chi-square %.1f over 61 d.o.f. (p < 0.0001)", p, chi)
		}
	}
}

// classProbabilities returns the exact probability that a given position of
// a uniform n-character passcode is a digit, a lower-case or an upper-case
// letter, by inclusion-exclusion over the classes the other n-1 characters
// lack.
func classProbabilities(t *testing.T, n int) (digit, lower, upper float64) {
	// rest counts strings of n-1 characters holding every class in need.
	rest := func(need [3]bool) float64 {
		sizes := [3]float64{10, 26, 26}
		total := 0.0
		for mask := range 8 {
			size, sign, ok := 62.0, 1.0, true
			for i := range 3 {
				if mask&(1<<i) != 0 {
					ok = ok && need[i]
					size -= sizes[i]
					sign = -sign
				}
			}
			if ok {
				total += sign * math.Pow(size, float64(n-1))
			}
		}
		return total
	}
	d := 10 * rest([3]bool{false, true, true})
	l := 26 * rest([3]bool{true, false, true})
	u := 26 * rest([3]bool{true, true, false})
	sum := d + l + u
	// sum is the number of satisfying strings; check it against the closed
	// form 62^n - 52^n - 2*36^n + 2*26^n + 10^n.
	closed := math.Pow(62, float64(n)) - math.Pow(52, float64(n)) - 2*math.Pow(36, float64(n)) + 2*math.Pow(26, float64(n)) + math.Pow(10, float64(n))
	if math.Abs(sum-closed)/closed > 1e-9 {
		t.Fatalf("inclusion-exclusion gives %v strings, the closed form %v", sum, closed)
	}
	return d / sum, l / sum, u / sum
}
