package randcode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"testing"
)

// countingReader serves fixed bytes and counts what was read; past its
// bytes it fails, so a test knows exactly how many draws were made.
type countingReader struct {
	data []byte
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= len(c.data) {
		return 0, errors.New("countingReader: no more bytes")
	}
	n := copy(p, c.data[c.read:])
	c.read += n
	return n, nil
}

func le(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// intnLimit is the largest value Intn may accept for n, computed apart
// from the code: the largest multiple of n not above 2^64, minus one.
func intnLimit(n uint64) uint64 {
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	q := new(big.Int).Div(two64, new(big.Int).SetUint64(n))
	return q.Mul(q, new(big.Int).SetUint64(n)).Sub(q, big.NewInt(1)).Uint64()
}

// TestIntnRejectionBoundary feeds Intn the values at the edge of its
// acceptance region: the largest accepted value is used (one read), the
// smallest rejected one is skipped (a second read), for moduli that do
// and do not divide 2^64. A sampler that kept a biased tail, or rejected a
// value it should use, fails here deterministically.
func TestIntnRejectionBoundary(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 6, 10, 1000, 1 << 32, 1<<63 - 1, 1 << 63, 1<<63 + 1, math.MaxUint64 - 1, math.MaxUint64} {
		limit := intnLimit(n)
		r := &countingReader{data: le(limit)}
		if v, err := Intn(r, n); err != nil || v != limit%n || r.read != 8 {
			t.Errorf("n=%d: the largest accepted value %d gave %d, %v after %d bytes", n, limit, v, err, r.read)
		}
		if limit == math.MaxUint64 {
			continue // n divides 2^64: nothing is rejected
		}
		r = &countingReader{data: le(limit+1, 5)}
		if v, err := Intn(r, n); err != nil || v != 5%n || r.read != 16 {
			t.Errorf("n=%d: the smallest rejected value %d was not skipped: %d, %v after %d bytes", n, limit+1, v, err, r.read)
		}
		r = &countingReader{data: le(math.MaxUint64, 0)}
		if v, err := Intn(r, n); err != nil || v != 0 || r.read != 16 {
			t.Errorf("n=%d: 2^64-1 was not rejected: %d, %v after %d bytes", n, v, err, r.read)
		}
	}
}

// TestIntnLittleEndian pins the byte order and the reduction.
func TestIntnLittleEndian(t *testing.T) {
	cases := []struct {
		in   []byte
		n    uint64
		want uint64
	}{
		{[]byte{1, 0, 0, 0, 0, 0, 0, 0}, 1000, 1},
		{[]byte{0, 1, 0, 0, 0, 0, 0, 0}, 1000, 256},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 1}, 1 << 60, (1 << 56) % (1 << 60)},
		{[]byte{0xe9, 3, 0, 0, 0, 0, 0, 0}, 1000, 1},
		{[]byte{7, 0, 0, 0, 0, 0, 0, 0}, 7, 0},
	}
	for _, tc := range cases {
		if v, err := Intn(bytes.NewReader(tc.in), tc.n); err != nil || v != tc.want {
			t.Errorf("Intn(% x, %d) = %d, %v, want %d", tc.in, tc.n, v, err, tc.want)
		}
	}
}

// TestIntnGivesUp: a reader that only yields rejected values ends with
// ErrUnsatisfied after exactly maxTries draws, not sooner and not never.
func TestIntnGivesUp(t *testing.T) {
	r := &countingReader{data: bytes.Repeat(le(math.MaxUint64), maxTries+1)}
	if _, err := Intn(r, 3); !errors.Is(err, ErrUnsatisfied) || r.read != 8*maxTries {
		t.Fatalf("err %v after %d bytes, want ErrUnsatisfied after %d", err, r.read, 8*maxTries)
	}
	if _, err := Intn(&countingReader{data: le(1)[:7]}, 3); err == nil || errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("a short read: %v", err)
	}
}

// TestGenerateMaskBoundary: each byte is masked to the smallest all-ones
// value covering the alphabet, and a masked value past the alphabet's end
// is skipped, never folded onto it.
func TestGenerateMaskBoundary(t *testing.T) {
	cases := []struct {
		alphabet string
		in       []byte
		want     string
	}{
		{"ab", []byte{0, 1, 2, 3}, "abab"},                // mask 1
		{"abc", []byte{3, 2, 1, 0, 0}, "cba"},             // mask 3: 3 skipped
		{"abcd", []byte{3, 4, 7, 0xfc}, "dada"},           // mask 3: 4&3 = 0
		{"abcde", []byte{5, 6, 7, 4, 0x0c, 0}, "eea"},     // mask 7: 5, 6, 7 skipped; 12&7 = 4
		{Digits, []byte{10, 15, 9, 0x1a, 0, 0x19}, "909"}, // mask 15: 10..15 skipped; 0x1a&15 = 10 skipped, 0x19&15 = 9
		{Alnum, []byte{62, 63, 61, 0x7e, 0xbd, 0}, "zz0"}, // 62 symbols, mask 63
	}
	for _, tc := range cases {
		g := MustNew(Spec{Alphabet: tc.alphabet, Length: len(tc.want)})
		in := append(append([]byte(nil), tc.in...), make([]byte, 64)...)
		if got, err := g.Generate(bytes.NewReader(in)); err != nil || got != tc.want {
			t.Errorf("%q from % x = %q, %v, want %q", tc.alphabet, tc.in, got, err, tc.want)
		}
	}
}

// TestGenerateRedrawsForClasses: a draw that misses a required class is
// dropped whole and the next one used; one that never has it ends with
// ErrUnsatisfied.
func TestGenerateRedrawsForClasses(t *testing.T) {
	g := MustNew(Spec{Alphabet: "ab", Length: 2, Require: []string{"b"}})
	pool := 2*2 + 8
	// The first buffer holds only zeros ("aa", "aa", ...) for pool bytes;
	// the next starts with 1, 0: "ba".
	in := append(make([]byte, pool), 1, 0)
	in = append(in, make([]byte, pool-2)...)
	if got, err := g.Generate(bytes.NewReader(in)); err != nil || got != "ba" {
		t.Fatalf("got %q, %v, want \"ba\"", got, err)
	}
	never := MustNew(Spec{Alphabet: "ab", Length: 1, Require: []string{"b"}})
	if _, err := never.Generate(bytes.NewReader(make([]byte, 1<<20))); !errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("all zeros: %v, want ErrUnsatisfied", err)
	}
	both := MustNew(Spec{Alphabet: "abc", Length: 2, Require: []string{"a", "c"}})
	for _, tc := range []struct {
		code string
		ok   bool
	}{{"ac", true}, {"ca", true}, {"aa", false}, {"cc", false}, {"ab", false}, {"bc", false}} {
		if both.Satisfies(tc.code) != tc.ok {
			t.Errorf("Satisfies(%q) = %v", tc.code, !tc.ok)
		}
	}
}
