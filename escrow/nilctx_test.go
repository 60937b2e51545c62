package escrow_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/escrow"
	"github.com/mdmcred/mdmcred/internal/gentest"
)

// TestNilContext: every function and method of escrow that takes a context
// refuses a nil one with ErrNilContext and does not panic.
func TestNilContext(t *testing.T) {
	f := newFixture(t, nil)
	n := gentest.CheckNilContext(t, escrow.ErrNilContext, f.svc, f.store)
	if n != 25 {
		t.Errorf("reached %d functions, want 25", n)
	}
}
