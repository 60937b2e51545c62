package apple_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/apple"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// TestNilContext: Apply refuses a nil context with ErrNilContext and does
// not panic.
func TestNilContext(t *testing.T) {
	if n := gentest.CheckNilContext(t, apple.ErrNilContext, apple.Apply); n != 1 {
		t.Errorf("reached %d functions, want 1", n)
	}
}
