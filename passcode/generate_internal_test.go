package passcode

import (
	"fmt"
	"testing"
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
