package apple_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// TestNilContext: Apply and Sealer.ResealTokens refuse a nil context with
// ErrNilContext and do not panic.
func TestNilContext(t *testing.T) {
	sealer, err := apple.NewSealer(apple.NewKeys(map[uint8][]byte{1: make([]byte, 32)}), 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := gentest.CheckNilContext(t, apple.ErrNilContext, apple.Apply, sealer); n != 2 {
		t.Errorf("reached %d functions, want 2", n)
	}
}
