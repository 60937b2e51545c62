// Package randcode draws random codes over an alphabet, uniformly, by
// rejection sampling from an [io.Reader] (crypto/rand by default).
//
// A [Spec] names the alphabet, the length and optional class constraints
// ("at least one digit"), plus an optional predicate. [Generator.Generate]
// draws whole strings and rejects those that break a constraint, so the result
// is uniform over exactly the strings that satisfy the Spec: no position is
// forced, and no character is more likely than another.
package randcode

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// Alphabets shared by several packages.
const (
	Digits = "0123456789"
	// Alnum is [0-9A-Za-z].
	Alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// Crockford is the Crockford Base32 symbol set (no I, L, O, U).
	Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	// Readable leaves out characters that are easily confused when read
	// aloud or handwritten: 0/O/o, 1/I/l.
	Readable = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"

	Lower   = "abcdefghijklmnopqrstuvwxyz"
	Upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	Symbols = "!#$%&*+-=?@^_~"
)

// MaxLength bounds Spec.Length.
const MaxLength = 256

// maxTries bounds the rejection loop so that a Spec that almost never accepts
// (or a broken reader) ends in an error rather than spinning forever.
const maxTries = 10000

// Errors returned by [New] and [Generator.Generate].
var (
	ErrSpec        = errors.New("randcode: invalid spec")
	ErrUnsatisfied = errors.New("randcode: no code satisfying the spec was found")
)

// SpecError says which part of a [Spec] is invalid. It matches [ErrSpec].
type SpecError struct {
	Field  string
	Reason string
}

func (e *SpecError) Error() string { return "randcode: invalid spec: " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrSpec].
func (e *SpecError) Is(target error) bool { return target == ErrSpec }

// Spec describes the codes to draw.
type Spec struct {
	// Alphabet lists the allowed characters: 2 to 256 distinct bytes.
	Alphabet string
	// Length is the number of characters, 1 to MaxLength.
	Length int
	// Require lists character classes; the code holds at least one character
	// of each. Every class must be a non-empty subset of Alphabet.
	Require []string
	// Accept, if set, must also return true for the code. It sees the code
	// before it is copied; it must not keep or modify the slice.
	Accept func(code []byte) bool
}

// Generator draws codes for one validated [Spec]. It is immutable and safe
// for concurrent use.
type Generator struct {
	alphabet string
	n        int
	mask     byte
	classes  [][256]bool
	accept   func([]byte) bool
}

// New validates s and returns its Generator.
func New(s Spec) (*Generator, error) {
	if len(s.Alphabet) < 2 || len(s.Alphabet) > 256 {
		return nil, &SpecError{"Alphabet", fmt.Sprintf("has %d characters, want 2 to 256", len(s.Alphabet))}
	}
	var seen [256]bool
	for i := 0; i < len(s.Alphabet); i++ {
		if seen[s.Alphabet[i]] {
			return nil, &SpecError{"Alphabet", fmt.Sprintf("repeats %q", s.Alphabet[i])}
		}
		seen[s.Alphabet[i]] = true
	}
	if s.Length < 1 || s.Length > MaxLength {
		return nil, &SpecError{"Length", fmt.Sprintf("%d is outside 1 to %d", s.Length, MaxLength)}
	}
	if len(s.Require) > s.Length {
		return nil, &SpecError{"Require", fmt.Sprintf("%d classes cannot fit in %d characters", len(s.Require), s.Length)}
	}
	g := &Generator{alphabet: s.Alphabet, n: s.Length, accept: s.Accept}
	for i, class := range s.Require {
		if class == "" {
			return nil, &SpecError{"Require", fmt.Sprintf("class %d is empty", i)}
		}
		var set [256]bool
		for j := 0; j < len(class); j++ {
			if !seen[class[j]] {
				return nil, &SpecError{"Require", fmt.Sprintf("class %d holds %q, which is not in the alphabet", i, class[j])}
			}
			set[class[j]] = true
		}
		g.classes = append(g.classes, set)
	}
	m := byte(1)
	for int(m) < len(s.Alphabet)-1 {
		m = m<<1 | 1
	}
	g.mask = m
	return g, nil
}

// MustNew is [New] for Specs fixed at compile time; it panics on an invalid
// Spec, which is a programming error.
func MustNew(s Spec) *Generator {
	g, err := New(s)
	if err != nil {
		panic(err)
	}
	return g
}

// Length returns the code length.
func (g *Generator) Length() int { return g.n }

// Alphabet returns the alphabet.
func (g *Generator) Alphabet() string { return g.alphabet }

// Generate draws one code from r (crypto/rand.Reader when r is nil). It
// allocates once: the returned string shares its buffer with nothing else.
func (g *Generator) Generate(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	// One allocation holds the code and, behind it, the random bytes. With a
	// mask of at least half the byte range, one read of 2n bytes almost
	// always suffices.
	pool := 2*g.n + 8
	buf := make([]byte, g.n+pool)
	code, rnd := buf[:g.n], buf[g.n:]
	pos := len(rnd)
	alen := byte(len(g.alphabet) - 1)
	for try := 0; try < maxTries; try++ {
		for i := 0; i < g.n; {
			if pos == len(rnd) {
				if _, err := io.ReadFull(r, rnd); err != nil {
					return "", fmt.Errorf("randcode: reading randomness: %w", err)
				}
				pos = 0
			}
			b := rnd[pos] & g.mask
			pos++
			if b <= alen {
				code[i] = g.alphabet[b]
				i++
			}
		}
		if g.satisfied(code) {
			clear(rnd)
			return unsafe.String(&buf[0], g.n), nil
		}
	}
	return "", ErrUnsatisfied
}

// Satisfies reports whether code could have been drawn by g: right length,
// only alphabet characters, every class present, and Accept true.
func (g *Generator) Satisfies(code string) bool {
	if len(code) != g.n {
		return false
	}
	for i := 0; i < len(code); i++ {
		if !g.inAlphabet(code[i]) {
			return false
		}
	}
	return g.satisfied([]byte(code))
}

func (g *Generator) inAlphabet(c byte) bool {
	for i := 0; i < len(g.alphabet); i++ {
		if g.alphabet[i] == c {
			return true
		}
	}
	return false
}

func (g *Generator) satisfied(code []byte) bool {
	for k := range g.classes {
		found := false
		for _, c := range code {
			if g.classes[k][c] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return g.accept == nil || g.accept(code)
}

// Intn returns a uniform integer in [0, n) read from r (crypto/rand.Reader
// when r is nil), by rejection sampling over 64-bit values. n must be
// positive.
func Intn(r io.Reader, n uint64) (uint64, error) {
	if n == 0 {
		return 0, &SpecError{"n", "must be positive"}
	}
	if r == nil {
		r = rand.Reader
	}
	limit := ^uint64(0) - (^uint64(0)%n+1)%n // largest multiple of n, minus one
	var b [8]byte
	for try := 0; try < maxTries; try++ {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, fmt.Errorf("randcode: reading randomness: %w", err)
		}
		v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if v <= limit {
			return v % n, nil
		}
	}
	return 0, ErrUnsatisfied
}
