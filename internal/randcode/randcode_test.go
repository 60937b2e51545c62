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

// TestUniformOverSatisfyingStrings is a chi-square test over whole strings:
// with Require, every string that satisfies the spec must be equally likely
// (no position forced, no class favoured). The spec is small enough to list
// every satisfying string: 3 characters over "abc" with at least one 'a' and
// one 'b' leave 12 of the 27 strings. The per-position test of the product's
// 12-character passcodes is enrollment's TestUniformPerPosition.
func TestUniformOverSatisfyingStrings(t *testing.T) {
	const samples = 60000
	g := MustNew(Spec{Alphabet: "abc", Length: 3, Require: []string{"a", "b"}})
	counts := map[string]int{}
	for i := 0; i < samples; i++ {
		c, err := g.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[c]++
	}
	var want []string
	for _, x := range "abc" {
		for _, y := range "abc" {
			for _, z := range "abc" {
				if s := string([]rune{x, y, z}); strings.Contains(s, "a") && strings.Contains(s, "b") {
					want = append(want, s)
				}
			}
		}
	}
	if len(want) != 12 || len(counts) != len(want) {
		t.Fatalf("drew %d distinct strings, want the %d satisfying ones: %v", len(counts), len(want), counts)
	}
	e := float64(samples) / float64(len(want))
	chi := 0.0
	for _, s := range want {
		d := float64(counts[s]) - e
		chi += d * d / e
	}
	// 11 degrees of freedom: the p = 0.0001 critical value is 35.6.
	if chi > 35.6 {
		t.Errorf("chi-square %.1f over 11 d.o.f. (p < 0.0001): %v", chi, counts)
	}
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
