package randcode

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

var company = Spec{Alphabet: Alnum, Length: 12, Require: []string{Digits, Lower, Upper}}

func TestNewRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		field string
	}{
		{"empty alphabet", Spec{Length: 4}, "Alphabet"},
		{"one char", Spec{Alphabet: "a", Length: 4}, "Alphabet"},
		{"repeat", Spec{Alphabet: "abca", Length: 4}, "Alphabet"},
		{"too long alphabet", Spec{Alphabet: strings.Repeat("x", 257), Length: 4}, "Alphabet"},
		{"zero length", Spec{Alphabet: Digits}, "Length"},
		{"negative length", Spec{Alphabet: Digits, Length: -1}, "Length"},
		{"huge length", Spec{Alphabet: Digits, Length: MaxLength + 1}, "Length"},
		{"too many classes", Spec{Alphabet: Alnum, Length: 2, Require: []string{Digits, Lower, Upper}}, "Require"},
		{"empty class", Spec{Alphabet: Alnum, Length: 4, Require: []string{""}}, "Require"},
		{"class outside", Spec{Alphabet: Digits, Length: 4, Require: []string{"a"}}, "Require"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.spec)
			var se *SpecError
			if !errors.Is(err, ErrSpec) || !errors.As(err, &se) || se.Field != tt.field {
				t.Fatalf("New() error = %v, want SpecError on %s", err, tt.field)
			}
		})
	}
}

func TestGenerateAlphabets(t *testing.T) {
	for _, alpha := range []string{Digits, Alnum, Crockford, Readable, "ab", Alnum + Symbols} {
		g := MustNew(Spec{Alphabet: alpha, Length: 40})
		for i := 0; i < 200; i++ {
			c, err := g.Generate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !g.Satisfies(c) {
				t.Fatalf("%q not over %q", c, alpha)
			}
		}
	}
	for _, c := range "0Oo1Il" {
		if strings.ContainsRune(Readable, c) {
			t.Errorf("Readable holds %q", c)
		}
	}
}

func TestGenerateDeterministicFromReader(t *testing.T) {
	g := MustNew(Spec{Alphabet: Digits, Length: 6})
	// mask 15: bytes 0x00..0x09 map to digits, 0x0A..0x0F are rejected.
	r := bytes.NewReader(append([]byte{0x0f, 1, 2, 0x1a, 3, 4, 5, 6}, make([]byte, 64)...))
	c, err := g.Generate(r)
	if err != nil {
		t.Fatal(err)
	}
	if c != "123456" {
		t.Fatalf("got %q, want 123456 (0x0f rejected, 0x1a masked to 0x0a rejected)", c)
	}
}

func TestGenerateReaderErrors(t *testing.T) {
	g := MustNew(company)
	if _, err := g.Generate(bytes.NewReader([]byte{1, 2, 3})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short reader: %v", err)
	}
	// A reader of zeros yields "000000000000", which never has a letter.
	if _, err := g.Generate(zeroReader{}); !errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("zero reader: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestSatisfies(t *testing.T) {
	g := MustNew(company)
	for code, want := range map[string]bool{
		"aB3aB3aB3aB3": true, "abcdefghijk1": false, "ABCDEFGHIJK1": false, "aBcDeFgHiJkL": false,
		"aB3aB3aB3aB": false, "aB3aB3aB3aB3x": false, "aB3aB3aB3aB!": false,
	} {
		if g.Satisfies(code) != want {
			t.Errorf("Satisfies(%q) = %v", code, !want)
		}
	}
}

func TestPropertyGeneratedCodesSatisfySpec(t *testing.T) {
	p := gopter.NewProperties(gopter.DefaultTestParameters())
	p.Property("every code satisfies its spec", prop.ForAll(
		func(alpha string, n int, withClass bool) bool {
			s := Spec{Alphabet: alpha, Length: n}
			if withClass {
				s.Require = []string{alpha[:1]}
			}
			g, err := New(s)
			if err != nil {
				return false
			}
			c, err := g.Generate(nil)
			if err != nil {
				return withClass && n < 3 // a rare class in a short code may be unsatisfiable in maxTries
			}
			return g.Satisfies(c) && (!withClass || strings.Contains(c, alpha[:1]))
		},
		gen.OneConstOf(Digits, Alnum, Crockford, Readable, "xy", Alnum+Symbols),
		gen.IntRange(1, 64),
		gen.Bool(),
	))
	p.Property("Intn stays in range", prop.ForAll(
		func(n uint64) bool {
			v, err := Intn(nil, n)
			return err == nil && v < n
		},
		gen.UInt64Range(1, math.MaxUint64),
	))
	p.TestingRun(t)
}

// TestUniformPerPosition is a chi-square test: with class constraints the
// distribution per position is not flat over the alphabet (a digit is
// slightly more likely than a given letter, because fewer strings lack a
// digit), so the expected count comes from the exact count of satisfying
// strings rather than 1/62.
func TestUniformPerPosition(t *testing.T) {
	const samples = 100000
	g := MustNew(company)
	var counts [12][256]int
	for i := 0; i < samples; i++ {
		c, err := g.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		for p := 0; p < len(c); p++ {
			counts[p][c[p]]++
		}
	}
	// Exact probability of character class at a position: count of strings
	// with that class at position 0 satisfying the rule, divided by the total.
	pDigit, pLower, pUpper := classProbabilities(12)
	for p := 0; p < 12; p++ {
		chi := 0.0
		for _, c := range []byte(Alnum) {
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
		// 61 degrees of freedom: p=0.0001 critical value is about 112.
		if chi > 112 {
			t.Errorf("position %d: chi-square %.1f over 61 d.o.f. (p < 0.0001)", p, chi)
		}
	}
}

// classProbabilities returns the probability that position 0 of a uniform
// string satisfying the digit/lower/upper rule is a digit, lower or upper.
func classProbabilities(n int) (digit, lower, upper float64) {
	// Inclusion-exclusion over the classes missing from the other n-1 chars.
	pow := func(b float64) float64 { return math.Pow(b, float64(n-1)) }
	// strings of the remaining n-1 chars that contain all of the given classes.
	withAll := func(needD, needL, needU bool) float64 {
		sets := []struct {
			size float64
			need bool
		}{{10, needD}, {26, needL}, {26, needU}}
		total := 0.0
		for mask := 0; mask < 8; mask++ {
			size, sign, ok := 62.0, 1.0, true
			for i, s := range sets {
				if mask&(1<<i) != 0 {
					if !s.need {
						ok = false
					}
					size -= s.size
					sign = -sign
				}
			}
			if ok {
				total += sign * pow(size)
			}
		}
		return total
	}
	d := 10 * withAll(false, true, true)
	l := 26 * withAll(true, false, true)
	u := 26 * withAll(true, true, false)
	sum := d + l + u
	return d / sum, l / sum, u / sum
}

// BenchmarkFloor is the crypto/rand rejection-sampling floor: one read and a
// loop, with no class check and no string. Generate should cost at most 2x it.
func BenchmarkFloor(b *testing.B) {
	var out [12]byte
	var buf [32]byte
	b.ReportAllocs()
	for b.Loop() {
		_, _ = rand.Read(buf[:])
		for i, j := 0, 0; i < len(out) && j < len(buf); j++ {
			if v := buf[j] & 63; v < 62 {
				out[i] = Alnum[v]
				i++
			}
		}
	}
}

func BenchmarkGenerateAlnum12(b *testing.B) {
	g := MustNew(company)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Generate(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerateDigits8(b *testing.B) {
	g := MustNew(Spec{Alphabet: Digits, Length: 8})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Generate(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntn(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Intn(nil, 1000003)
	}
}

func FuzzSatisfies(f *testing.F) {
	g := MustNew(company)
	for _, s := range []string{"aB3aB3aB3aB3", "", "abcdefghijk1", "\xff\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if g.Satisfies(s) && len(s) != 12 {
			t.Fatalf("accepted %q", s)
		}
	})
}
