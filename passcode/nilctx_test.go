package passcode_test

import (
	"testing"

	"github.com/mdmcred/mdmcred/internal/gentest"
	"github.com/mdmcred/mdmcred/passcode"
)

// TestNilContext: every function and method of passcode that takes a
// context refuses a nil one with ErrNilContext and does not panic.
func TestNilContext(t *testing.T) {
	f := newFixture(t, nil)
	n := gentest.CheckNilContext(t, passcode.ErrNilContext, f.svc, f.store, passcode.Purge)
	if n != 18 {
		t.Errorf("reached %d functions, want 18 (MemStore: Write, Load, Open replace Create, Get, Open, Transition)", n)
	}
}
