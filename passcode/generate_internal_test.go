package passcode

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/mdmcred/mdmcred/internal/randcode"
)

// TestNumericComplexBytesAgrees: the generator's copy-free check gives
// IsNumericComplex's answer for every digit string of up to 5 digits (runs
// of three in arithmetic progression allowed, four refused).
func TestNumericComplexBytesAgrees(t *testing.T) {
	for n := 0; n <= 5; n++ {
		total := 1
		for range n {
			total *= 10
		}
		for v := range total {
			s := fmt.Sprintf("%0*d", n, v)[:n]
			if got, want := isNumericComplexBytes([]byte(s)), IsNumericComplex(s); got != want {
				t.Fatalf("isNumericComplexBytes(%q) = %v, IsNumericComplex says %v", s, got, want)
			}
		}
	}
}

// TestGeneratorFastPath: the length is drawn on uint64 when the total
// number of passcodes fits (cum64 mirrors cum), on big.Int only when it
// does not, and not at all for a single length.
func TestGeneratorFastPath(t *testing.T) {
	for _, tt := range []struct {
		p       Policy
		lengths int
		fast    bool
	}{
		{Policy{Kind: Numeric, MinLength: 4, MaxLength: 8}, 5, true},
		{Policy{Kind: NumericComplex, MinLength: 4, MaxLength: 6}, 3, true},
		{Policy{Kind: Complex, MinLength: 4, MaxLength: 64}, 61, false},
		{Policy{Kind: Numeric, MinLength: 6, MaxLength: 6}, 0, false},
	} {
		g, err := NewGenerator(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.cum) != tt.lengths || (len(g.cum64) == len(g.cum)) != (tt.fast || tt.lengths == 0) {
			t.Fatalf("%s: %d cumulative counts, %d on uint64; want %d, fast %v", tt.p, len(g.cum), len(g.cum64), tt.lengths, tt.fast)
		}
		if tt.fast {
			for i, c := range g.cum {
				if c.Uint64() != g.cum64[i] {
					t.Fatalf("%s: cum64[%d] = %d, want %s", tt.p, i, g.cum64[i], c)
				}
			}
		} else if g.cum64 != nil {
			t.Fatalf("%s: a uint64 table for a total that does not fit or a single length", tt.p)
		}
	}
}

// TestPickLengthBoundaries: a draw equal to a cumulative count picks the
// next length, one below it this one, on the uint64 path (randcode.Intn:
// 8 bytes, little-endian) and on the big.Int path (uniformBig: big-endian,
// the top byte masked to the bit length, out-of-range draws rejected).
func TestPickLengthBoundaries(t *testing.T) {
	cum := []*big.Int{big.NewInt(10), big.NewInt(20)}
	for _, tt := range []struct {
		name string
		g    *Generator
		in   []byte
		want int
	}{
		{"uint64, 9", &Generator{gens: make([]*randcode.Generator, 2), cum: cum, cum64: []uint64{10, 20}}, []byte{9, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"uint64, 10", &Generator{gens: make([]*randcode.Generator, 2), cum: cum, cum64: []uint64{10, 20}}, []byte{10, 0, 0, 0, 0, 0, 0, 0}, 1},
		{"big, 9", &Generator{gens: make([]*randcode.Generator, 2), cum: cum}, []byte{9}, 0},
		{"big, 10", &Generator{gens: make([]*randcode.Generator, 2), cum: cum}, []byte{10}, 1},
		// 0xea masked to 5 bits is 10.
		{"big, masked", &Generator{gens: make([]*randcode.Generator, 2), cum: cum}, []byte{0xea}, 1},
		// 0x15 (21) is out of range and drawn again.
		{"big, rejected", &Generator{gens: make([]*randcode.Generator, 2), cum: cum}, []byte{0x15, 0x03}, 0},
	} {
		got, err := tt.g.pickLength(bytes.NewReader(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: pickLength = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
}

// TestUniformBigReadsTheBitLength: for n = 300 (9 bits) each draw reads 2
// bytes and keeps 1 bit of the first: 0xff 0x2b is 0x12b = 299, the
// largest value in range; 0x01 0x2c (300) is drawn again.
func TestUniformBigReadsTheBitLength(t *testing.T) {
	n := big.NewInt(300)
	for _, tt := range []struct {
		in   []byte
		want int64
	}{
		{[]byte{0xff, 0x2b}, 299},
		{[]byte{0x01, 0x2c, 0x00, 0x07}, 7},
		{[]byte{0xfe, 0x00}, 0},
	} {
		v, err := uniformBig(bytes.NewReader(tt.in), n)
		if err != nil || v.Int64() != tt.want {
			t.Errorf("uniformBig(% x) = %v, %v; want %d", tt.in, v, err, tt.want)
		}
	}
	if _, err := uniformBig(bytes.NewReader([]byte{0x01}), n); err == nil {
		t.Error("a short read gave a value")
	}
}

// countingFF is an endless reader of 0xff bytes that counts them.
type countingFF struct{ n int }

func (c *countingFF) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xff
	}
	c.n += len(p)
	return len(p), nil
}

// TestUniformBigGivesUp: a reader whose every draw is out of range is read
// for exactly 1,000 draws, then the draw fails with ErrUnsatisfied.
func TestUniformBigGivesUp(t *testing.T) {
	r := &countingFF{}
	if _, err := uniformBig(r, big.NewInt(300)); !errors.Is(err, randcode.ErrUnsatisfied) || r.n != 2000 {
		t.Fatalf("uniformBig on 0xff forever: %v after %d bytes, want ErrUnsatisfied after 2000", err, r.n)
	}
}

// TestCountNumericComplexShortTables: the table for every bound from 0 up
// agrees with the full one (the first two entries are literal, the rest
// computed).
func TestCountNumericComplexShortTables(t *testing.T) {
	full := numericComplexCounts()
	for n := 0; n <= 5; n++ {
		got := countNumericComplex(n)
		if len(got) != n+1 {
			t.Fatalf("countNumericComplex(%d) has %d entries, want %d", n, len(got), n+1)
		}
		for i, c := range got {
			if c.Cmp(full[i]) != 0 {
				t.Fatalf("countNumericComplex(%d)[%d] = %s, want %s", n, i, c, full[i])
			}
		}
	}
}
