package randcode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSpecLimits: New accepts the limits themselves (an alphabet of all
// 256 byte values, a code of MaxLength characters, as many classes as
// characters) and refuses one past them.
func TestSpecLimits(t *testing.T) {
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		spec  Spec
		field string // "" for a valid Spec
	}{
		{Spec{Alphabet: "ab", Length: 1}, ""},
		{Spec{Alphabet: string(all[:]), Length: 1}, ""},
		{Spec{Alphabet: string(all[:]) + "\x00", Length: 1}, "Alphabet"},
		{Spec{Alphabet: Digits, Length: MaxLength}, ""},
		{Spec{Alphabet: Digits, Length: MaxLength + 1}, "Length"},
		{Spec{Alphabet: Digits, Length: 0}, "Length"},
		{Spec{Alphabet: Digits, Length: 2, Require: []string{"0", "1"}}, ""},
		{Spec{Alphabet: Digits, Length: 1, Require: []string{"0", "1"}}, "Require"},
	} {
		g, err := New(tc.spec)
		var se *SpecError
		switch {
		case tc.field == "" && (err != nil || g.Length() != tc.spec.Length || g.Alphabet() != tc.spec.Alphabet):
			t.Errorf("%d-character alphabet, length %d: %v", len(tc.spec.Alphabet), tc.spec.Length, err)
		case tc.field != "" && (!errors.As(err, &se) || se.Field != tc.field):
			t.Errorf("%d-character alphabet, length %d: %v, want a SpecError on %s", len(tc.spec.Alphabet), tc.spec.Length, err, tc.field)
		}
	}
	// The full byte alphabet maps each byte to itself: mask 0xff, nothing
	// rejected.
	g := MustNew(Spec{Alphabet: string(all[:]), Length: 4})
	in := append([]byte{0, 0x80, 0xfe, 0xff}, make([]byte, 64)...)
	if got, err := g.Generate(bytes.NewReader(in)); err != nil || got != "\x00\x80\xfe\xff" {
		t.Fatalf("full byte alphabet: %q, %v", got, err)
	}
	// A MaxLength code is drawn whole.
	if got, err := MustNew(Spec{Alphabet: "ab", Length: MaxLength}).Generate(zeroReader{}); err != nil || got != strings.Repeat("a", MaxLength) {
		t.Fatalf("MaxLength code: %q, %v", got, err)
	}
}

// sizeReader records the size of each read and fills it with zeros.
type sizeReader struct{ sizes []int }

func (s *sizeReader) Read(p []byte) (int, error) {
	s.sizes = append(s.sizes, len(p))
	clear(p)
	return len(p), nil
}

// TestGenerateReadsOnePool: Generate reads its randomness 2n+8 bytes at a
// time, once for a draw whose bytes all land in the alphabet.
func TestGenerateReadsOnePool(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, MaxLength} {
		r := &sizeReader{}
		if _, err := MustNew(Spec{Alphabet: Digits, Length: n}).Generate(r); err != nil {
			t.Fatal(err)
		}
		if len(r.sizes) != 1 || r.sizes[0] != 2*n+8 {
			t.Errorf("length %d: reads of %v bytes, want one of %d", n, r.sizes, 2*n+8)
		}
	}
}

// TestGenerateGivesUpAfterMaxTries: a Spec the reader never satisfies
// ends with ErrUnsatisfied after exactly maxTries draws: for one
// character, maxTries bytes.
func TestGenerateGivesUpAfterMaxTries(t *testing.T) {
	g := MustNew(Spec{Alphabet: "ab", Length: 1, Require: []string{"b"}})
	r := &countingReader{data: make([]byte, 2*maxTries)}
	if _, err := g.Generate(r); !errors.Is(err, ErrUnsatisfied) || r.read != maxTries {
		t.Fatalf("%v after %d bytes, want ErrUnsatisfied after %d", err, r.read, maxTries)
	}
}

// TestErrorTextAndDefaults: a SpecError names the field and the rule,
// MustNew panics with it, and a nil reader draws from crypto/rand.
func TestErrorTextAndDefaults(t *testing.T) {
	_, err := New(Spec{Alphabet: "a", Length: 1})
	if want := "randcode: invalid spec: Alphabet: has 1 characters, want 2 to 256"; err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	func() {
		defer func() {
			if p, ok := recover().(error); !ok || !errors.Is(p, ErrSpec) {
				t.Fatalf("MustNew of an invalid Spec panicked with %v", p)
			}
		}()
		MustNew(Spec{Alphabet: "ab", Length: 0})
	}()
	r := &countingReader{data: le(1)}
	if _, err := Intn(r, 0); !errors.Is(err, ErrSpec) || r.read != 0 {
		t.Fatalf("Intn(r, 0): %v after %d bytes, want ErrSpec before any read", err, r.read)
	}
	if v, err := Intn(nil, 10); err != nil || v >= 10 {
		t.Fatalf("Intn(nil, 10) = %d, %v", v, err)
	}
	if _, err := MustNew(Spec{Alphabet: Digits, Length: 6}).Generate(nil); err != nil {
		t.Fatalf("Generate(nil): %v", err)
	}
}
