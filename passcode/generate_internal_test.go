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
